#!/usr/bin/env bash
# demo.sh (`make demo`): a private Redis, the gateway and the phone simulator; you type
# *123# and answers at the phone's prompt. Everything stops when you quit (/quit or
# Ctrl-D). Data and logs stay in run/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=run/demo
mkdir -p "$RUN/redis"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
REDIS_PORT=$(free_port)
SMSC_PORT=$(free_port)
HTTP_PORT=$(free_port)

# append-only persistence: what residents submit survives a Redis restart
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/$RUN/redis" --appendonly yes \
    --save '' --logfile "$PWD/$RUN/redis.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    read -r -t 0.05 <> <(:) || true
done

# the demo records (deterministic, idempotent: a second demo finds the same data)
./ussdgw seed --redis "127.0.0.1:$REDIS_PORT" >"$RUN/seed.txt" 2>&1 || cat "$RUN/seed.txt"

./ussdgw --smsc "127.0.0.1:$SMSC_PORT" --redis "127.0.0.1:$REDIS_PORT" --menus menus.d \
    --system-id ussdgw --password demo --http "127.0.0.1:$HTTP_PORT" 2>"$RUN/gateway.log" &
PIDS+=($!)

cat <<TXT
ussdgw demo: a phone on a simulated operator network.
  Dial *123# (or *123*1# Land, *123*2# Business, *123*3# Permits), then type answers.
  0 = Back, 00 = Home, 98 = More. /abort cuts the dialog (dial again to resume),
  /sms HELP or /sms STATUS <reference> texts the short code, /msisdn N switches phone,
  /quit ends the demo.
  The same dialog over HTTP, as an aggregator sends it (from another terminal):
    curl -d sessionId=s1 -d 'serviceCode=*123%23' -d phoneNumber=250788000001 -d text= 127.0.0.1:$HTTP_PORT/ussd
  Gateway log: $RUN/gateway.log   Redis: 127.0.0.1:$REDIS_PORT (data in $RUN/redis)
$(sed -n '/^records to try:/,$p' "$RUN/seed.txt")
TXT
./ussd-phone --listen "127.0.0.1:$SMSC_PORT" --system-id ussdgw --password demo
