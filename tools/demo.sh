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

# append-only persistence: what residents submit survives a Redis restart
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/$RUN/redis" --appendonly yes \
    --save '' --logfile "$PWD/$RUN/redis.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    read -r -t 0.05 <> <(:) || true
done

./ussdgw --smsc "127.0.0.1:$SMSC_PORT" --redis "127.0.0.1:$REDIS_PORT" --menus menus.d \
    --system-id ussdgw --password demo 2>"$RUN/gateway.log" &
PIDS+=($!)

cat <<TXT
ussdgw demo: a phone on a simulated operator network.
  Dial *123# (or *123*1# Land, *123*2# Business, *123*3# Permits), then type answers.
  0 = Back, 00 = Home, 98 = More. /abort cuts the dialog (dial again to resume),
  /msisdn N switches phone, /quit ends the demo.
  Gateway log: $RUN/gateway.log   Redis: 127.0.0.1:$REDIS_PORT (data in $RUN/redis)
TXT
./ussd-phone --listen "127.0.0.1:$SMSC_PORT" --system-id ussdgw --password demo
