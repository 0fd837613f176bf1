#!/usr/bin/env bash
# run.sh: run every test of ussdgw and end with one line "N passed, N failed, N skipped"
# (CI reads its start, "N passed, N failed").
#
# Starts a private redis-server on a free loopback port (data in a temporary folder),
# then runs: the unit test programs, the fuzz corpus replays, tests/it/*.sh and
# tests/it/*.test.js. Each program prints "PASS name", "FAIL name: why" and
# "SKIP name: why" lines; a skip is counted as a skip, never as a pass, and listed at the
# end. A program that dies without saying FAIL counts as one failure. Everything started
# here is stopped on exit, failure or Ctrl-C. `tests/run.sh PATTERN` runs only matching
# programs.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build/std}
FILTER=${1:-}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ussdgw-test.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

REDIS_PORT=$(free_port)
mkdir -p "$TMP/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --save '' \
    --appendonly no --daemonize no --logfile "$TMP/redis/log" &
PIDS+=($!)
for _ in $(seq 1 200); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || true
    read -r -t 0.05 <> <(:) || true   # a 50 ms wait between readiness polls
done
redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG || { echo "redis-server did not start"; echo "0 passed, 1 failed"; exit 1; }

export USSDGW_TEST_REDIS="127.0.0.1:$REDIS_PORT" REDIS_PORT
export USSDGW_REDIS_SERVER=$(command -v redis-server)
export USSDGW="$ROOT/ussdgw" USSD_PHONE="$ROOT/ussd-phone" USSDGW_ROOT="$ROOT"
export NODE_PATH="$ROOT/tests/node_modules" TEST_TMP="$TMP"

passed=0
failed=0
skipped=0
failures=()
skips=()

run_one() { # name, command...
    local name=$1
    shift
    case "$name" in *"$FILTER"*) ;; *) return ;; esac
    local out="$TMP/out.$$.txt" rc
    echo "== $name"
    timeout 600 "$@" >"$out" 2>"$TMP/err.txt"
    rc=$?
    cat "$out"
    local p f s line
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    s=$(grep -c '^SKIP ' "$out")
    while IFS= read -r line; do skips+=("${line#SKIP }"); done < <(grep '^SKIP ' "$out")
    if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
        echo "PASS $name"   # a program with no PASS lines of its own, e.g. a corpus replay
        p=1
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc"
        tail -20 "$TMP/err.txt" | sed 's/^/  /'
        f=1
    elif [ "$f" -gt 0 ]; then
        tail -20 "$TMP/err.txt" | sed 's/^/  stderr: /'
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    [ "$f" -gt 0 ] && failures+=("$name")
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && run_one "$(basename "$t")" "$t"
done
for t in "$BUILD"/tests/fuzz_*_replay; do
    [ -x "$t" ] || continue
    n=$(basename "$t" _replay); n=${n#fuzz_}
    run_one "fuzz_$n" "$t" "tests/fuzz/corpus/$n"
done
for t in tests/it/*.sh; do
    [ -f "$t" ] && run_one "$(basename "$t")" bash "$t"
done
for t in tests/it/*.test.js; do
    [ -f "$t" ] && run_one "$(basename "$t")" node "$t"
done

for s in "${skips[@]}"; do
    echo "skipped: $s"
done
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed programs: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
