#!/usr/bin/env bash
# bench.sh (`make bench`): load against the real daemon and a real Redis on this machine,
# with ussd-phone as SMSC and phones. Prints steps/s, latency percentiles, gateway CPU
# microseconds per step (and the load generator's: all share 2 cores), Redis commands per
# step (Redis counts a script's inner calls too) and Redis round trips per step (calls of
# MGET + EVALSHA + EVAL, from INFO commandstats), the gateway's RSS, then the same with
# 100,000 sessions left open; then the USSD centres' dialects (how a dialog is named, answers
# with op 1, resent deliver_sm), whose errors are printed, not fatal. Bounded in count and
# time; stops what it started.
# `tools/bench.sh [closed] [open] [sessions] [dialects]` runs only the scenarios named
# (default all).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=$(mktemp -d "${TMPDIR:-/tmp}/ussdgw-bench.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
wait_for() { # file, pattern, seconds
    for _ in $(seq 1 $(($3 * 20))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        read -r -t 0.05 <> <(:) || true
    done
    echo "bench: timed out waiting for '$2' in $1" >&2
    return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
redis_cmds() { redis-cli -p "$REDIS_PORT" info stats | awk -F: '/total_commands_processed/ {print $2+0}'; }
# calls of the commands a step sends, each one round trip: "MGET EVALSHA+EVAL". A step is
# one MGET (load) and one EVALSHA (save); the SMS sender's scripts are EVALSHA too, so
# EVALSHA+EVAL minus MGET is what the SMS sender adds.
redis_trips() {
    redis-cli -p "$REDIS_PORT" info commandstats |
        awk -F'[:=,]' '/^cmdstat_mget:/ {m += $3} /^cmdstat_(evalsha|eval):/ {e += $3} END {print m + 0, e + 0}'
}
HZ=$(getconf CLK_TCK)

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN" --save '' --appendonly no \
    --logfile "$RUN/redis.log" &
PIDS+=($!)
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; read -r -t 0.05 <> <(:) || true; done

# The gateway's config: LINKS links (default 1: bench, bench2, ...) to the phone's port
# (@PORT@, filled in per run), each with the extra "key = value" lines given.
write_conf() {
    {
        printf 'session_ttl = 600\nmax_dialogs = 20000\n'
        for n in $(seq 1 "${LINKS:-1}"); do
            [ "$n" -eq 1 ] && echo "[link bench]" || printf "[link bench%s]\ncentre = bench\n" "$n"
            printf 'smsc = 127.0.0.1:@PORT@\nwindow = 200\ntps = 0\n'
            if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
        done
    } >"$RUN/gw.conf"
}
write_conf
# the report's keys printed per run (dialects adds its counters)
KEYS='steps|dialogs|errors|elapsed_s|steps_per_s|dialogs_per_s|p50_ms|p95_ms|p99_ms|max_ms'

# One run: phones in load mode, then the gateway binds; CPU and Redis counters are taken
# from the moment the gateway is bound to the end of the load.
run_load() { # label, ussd-phone load args...
    local label=$1
    shift
    # each scenario starts from an empty Redis: no sessions, and no SMS left queued by the
    # one before (the gateway's SMS sender would drain them during this one)
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    local port
    port=$(free_port)
    ./ussd-phone --listen "127.0.0.1:$port" --wait-bind 20 "$@" >"$RUN/load.out" 2>"$RUN/load.err" &
    local phone=$!
    PIDS+=($phone)
    wait_for "$RUN/load.err" "listening on" 10
    sed "s/@PORT@/$port/g" "$RUN/gw.conf" >"$RUN/gw.run.conf"
    ./ussdgw -c "$RUN/gw.run.conf" --smsc "127.0.0.1:$port" --redis "127.0.0.1:$REDIS_PORT" \
        --menus tests/it/menus --log-level warn 2>"$RUN/gw.log" &
    GW=$!
    PIDS+=($GW)
    wait_for "$RUN/load.err" "bound" 20
    local cpu0 cmd0 rss0 mget0 eval0 pcpu0
    cpu0=$(cpu_ticks "$GW")
    pcpu0=$(cpu_ticks "$phone")
    cmd0=$(redis_cmds)
    read -r mget0 eval0 < <(redis_trips)
    rss0=$(rss_kb "$GW")
    # the phone's CPU just before it exits (it prints its report, then unbinds)
    local pcpu1=$pcpu0
    while kill -0 "$phone" 2>/dev/null; do
        pcpu1=$(cpu_ticks "$phone" 2>/dev/null || echo "$pcpu1")
        grep -q '^steps=' "$RUN/load.out" 2>/dev/null && break
        read -r -t 0.05 <> <(:) || true
    done
    wait "$phone" || true
    local cpu1 cmd1 rss1 mget1 eval1
    cpu1=$(cpu_ticks "$GW")
    cmd1=$(redis_cmds)
    read -r mget1 eval1 < <(redis_trips)
    rss1=$(rss_kb "$GW")
    kill "$GW" 2>/dev/null || true
    wait "$GW" 2>/dev/null || true
    local steps
    steps=$(awk -F= '$1=="steps"{print $2}' "$RUN/load.out")
    steps=${steps:-0}
    echo "== $label"
    grep -E "^($KEYS)=" "$RUN/load.out" | tr '\n' ' '
    echo
    if [ "$steps" -gt 0 ]; then
        awk -v c0="$cpu0" -v c1="$cpu1" -v hz="$HZ" -v s="$steps" -v r0="$cmd0" -v r1="$cmd1" \
            -v g0="$mget0" -v g1="$mget1" -v e0="$eval0" -v e1="$eval1" -v p0="$pcpu0" -v p1="$pcpu1" \
            -v m0="$rss0" -v m1="$rss1" 'BEGIN {
            printf "gateway_cpu_us_per_step=%.1f loadgen_cpu_us_per_step=%.1f redis_cmds_per_step=%.2f redis_round_trips_per_step=%.2f (mget %.2f, evalsha+eval %.2f) gateway_rss_mb=%.1f (at start of load %.1f)\n",
                (c1 - c0) * 1e6 / hz / s, (p1 - p0) * 1e6 / hz / s, (r1 - r0) / s,
                (g1 - g0 + e1 - e0) / s, (g1 - g0) / s, (e1 - e0) / s, m1 / 1024, m0 / 1024 }'
    fi
}

SCENARIOS=" ${*:-closed open sessions dialects} "
want() { [[ $SCENARIOS == *" $1 "* ]]; }

echo "ussdgw bench on $(nproc) cores; gateway, Redis and load generator share this machine"
# a 4-step dialog: root -> input -> confirm -> handler + SMS + final screen
want closed && run_load "closed loop: 200 phones, 20000 dialogs of 4 steps" \
    --load 200 --dial '*123#' --answers '1,Alice,1' --dialogs 20000 --duration 60
want open && run_load "open loop: 5000 steps/s for 10 s" \
    --load 2000 --dial '*123#' --answers '1,Alice,1' --rate 5000 --duration 10 --dialogs 1000000
if want sessions; then
    run_load "100000 sessions left open (one dial each, never answered)" \
        --load 1000 --dial '*123#' --answers '' --dialogs 100000 --duration 120
    echo "sessions_in_redis=$(redis-cli -p "$REDIS_PORT" dbsize)"
fi
if want dialects; then
    # The USSD centres' dialects on one dialog where the same answer comes twice in a row:
    # root -> "2" districts -> "2" Burera (end). Profiles that do not count the steps need
    # the think time: the gateway takes the same answer within about a second of the screen
    # for a resend. Errors here are what the gateway gets wrong, printed, not fatal.
    KEYS="$KEYS|timeouts|unexpected|resends|extra_screens"
    D=(--dial '*123#' --answers 2,2 --timeout 3 --duration 60)
    run_load "dialects: its_session_info counted (--its-seq count), 200 phones, 6000 dialogs" \
        --load 200 --dialogs 6000 --its-seq count "${D[@]}"
    run_load "dialects: --its-seq zero, --think 1200, 100 phones, 300 dialogs" \
        --load 100 --dialogs 300 --its-seq zero --think 1200 "${D[@]}"
    write_conf 'session_key = msisdn' 'op_answer = 1'
    run_load "dialects: --session-id none --answer-op 1 (session_key = msisdn, op_answer = 1), --think 1200" \
        --load 100 --dialogs 300 --session-id none --answer-op 1 --think 1200 "${D[@]}"
    write_conf 'session_key = user_message_reference'
    run_load "dialects: --session-id umr (session_key = user_message_reference), --think 1200" \
        --load 100 --dialogs 300 --session-id umr --think 1200 "${D[@]}"
    write_conf
    run_load "dialects: --resend 0.2 --resend-mode same, 200 phones, 6000 dialogs" \
        --load 200 --dialogs 6000 --resend 0.2 --resend-mode same --seed 1 "${D[@]}"
    LINKS=2 write_conf
    run_load "dialects: --resend 0.2 --resend-mode fresh on 2 binds, 200 phones, 6000 dialogs" \
        --load 200 --dialogs 6000 --esmes 2 --resend 0.2 --resend-mode fresh --seed 1 "${D[@]}"
    write_conf
fi
