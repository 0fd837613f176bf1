#!/usr/bin/env bash
# demo.sh (`make demo`): a private Redis, the gateway and the phone simulator; you type
# *123# and answers at the phone's prompt. Everything stops when you quit (/quit or
# Ctrl-D). Data and logs stay in run/demo/; the staff commands for a second terminal
# (with this demo's Redis port) are printed and written to run/demo/staff.txt.
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

# the demo's own settings: a vote_secret (binding votes by national ID) kept with its data
[ -s "$RUN/vote_secret" ] || od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$RUN/vote_secret"
printf 'vote_secret = %s\n' "$(cat "$RUN/vote_secret")" >"$RUN/ussdgw.conf"

./ussdgw -c "$RUN/ussdgw.conf" --smsc "127.0.0.1:$SMSC_PORT" --redis "127.0.0.1:$REDIS_PORT" --menus menus.d \
    --system-id ussdgw --password demo --http "127.0.0.1:$HTTP_PORT" 2>"$RUN/gateway.log" &
PIDS+=($!)

# what staff do, from a second terminal (in this folder), against this demo's Redis
R="--redis 127.0.0.1:$REDIS_PORT"
cat >"$RUN/staff.txt" <<TXT
# ussdgw demo: staff commands (run them in $PWD while the demo runs)
# a water alert to Gasabo's subscribers, each in their language (rw, fr; others get the first text)
./ussdgw alert send $R water Gasabo "Water cut in Gasabo on Friday 8-14h." --text-rw "Amazi azabura muri Gasabo ku wa gatanu 8-14h." --text-fr "Coupure d'eau à Gasabo vendredi 8h-14h."
# a reported problem moves on (REF: the TKT-... reference of the SMS or My reports); its followers get an SMS
./ussdgw app status $R REF in_progress --note "Team sent"
./ussdgw app status $R REF resolved
# proposals waiting for review; approve one onto a poll's ballot in its district
# (budget-2027: everyone's; pb-2027: the participatory budget of six districts)
./ussdgw poll moderate list $R --menus menus.d
./ussdgw poll moderate approve $R --menus menus.d ID --poll pb-2027
# the polls' tallies (pb-2027: the participatory budget, projects per district)
./ussdgw poll results $R --menus menus.d budget-2027
./ussdgw poll results $R --menus menus.d pb-2027
TXT

cat <<TXT
ussdgw demo: a phone on a simulated operator network.
  Dial *123# (or *123*1# Land, *123*2# Business, *123*3# Permits), then type answers;
  Alerts, Report a problem, Vote and Language are on *123#.
  0 = Back, 00 = Home, 98 = More. /abort cuts the dialog (dial again to resume),
  /sms HELP or /sms STATUS <reference> texts the short code, /msisdn N switches phone,
  /quit ends the demo.
  The same dialog over HTTP, as an aggregator sends it (from another terminal):
    curl -d sessionId=s1 -d 'serviceCode=*123%23' -d phoneNumber=250788000001 -d text= 127.0.0.1:$HTTP_PORT/ussd
  Gateway log: $RUN/gateway.log   Redis: 127.0.0.1:$REDIS_PORT (data in $RUN/redis)
  Staff, from a second terminal in this folder (REF: a TKT-... reference; ID: a proposal
  from the list; also in $RUN/staff.txt):
$(grep -v '^#' "$RUN/staff.txt" | sed 's/^/    /')
$(sed -n '/^records to try:/,$p' "$RUN/seed.txt")
TXT
./ussd-phone --listen "127.0.0.1:$SMSC_PORT" --system-id ussdgw --password demo
