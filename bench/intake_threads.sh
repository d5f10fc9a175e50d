#!/usr/bin/env bash
# Where intake's CPU goes, by thread: runs bench/intake.sh's load (management StartMatchmaking into
# a STANDALONE 1v1 configuration, musterd pinned to core 0, muster-load on core 1) against each
# musterd given, and prints each thread's CPU time per answer (utime + stime from /proc over the
# middle of the run; threads are named: muster-loopN, muster-writer, muster-checkpt,
# muster-dispatch, and the node's thread under the process's own name). Binaries are interleaved,
# RUNS times (the machine is noisy).
#   bench/intake_threads.sh [-r RUNS] [-d SECONDS] [-c CONNECTIONS] [MUSTERD...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=1 secs=10 conns=64
while getopts "r:d:c:" o; do
  case $o in r) runs=$OPTARG ;; d) secs=$OPTARG ;; c) conns=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- "$here/build/src/daemon/musterd"
[ "$secs" -ge 6 ] || { echo "intake_threads.sh: -d must be at least 6 seconds" >&2; exit 2; }
load="$here/build/tools/load/muster-load"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Each thread of PID as "tid name ticks" (ticks: utime + stime, in clock ticks).
snap() {
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s\n' "$(basename "$t")" "$(tr ' ' '_' < "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done
}
for run in $(seq "$runs"); do
  for bin in "$@"; do
    hp=$(port); wp=$(port)
    rm -rf "$work/data"
    taskset -c 0 "$bin" --data-dir "$work/data" --http-port "$hp" --server-ws-port "$wp" --server-wss-port 0 \
      --demo-servers 0 --log-level warn > "$work/musterd.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hp/healthz" >/dev/null && break; sleep 0.1; done
    (cd "$here/tests/e2e" && node "$here/bench/setup_standalone.mjs" "http://127.0.0.1:$hp")
    taskset -c 1 "$load" --mode start --configuration duel --url "http://127.0.0.1:$hp" --concurrency "$conns" \
      --duration "$secs" --warmup 0 --server-pid "$pid" --quiet --json "$work/r.json" > "$work/load.out" &
    lp=$!
    # Measure the middle of the run: from 2 s in until 2 s before its end.
    sleep 2; snap "$pid" > "$work/a"; t0=$(date +%s.%N)
    sleep $((secs - 4)); snap "$pid" > "$work/b"; t1=$(date +%s.%N)
    wait "$lp"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$work/a" "$work/b" "$work/r.json" "$t0" "$t1" "$bin" "$(getconf CLK_TCK)" <<'PY'
import json, sys
a = {l.split()[0]: int(l.split()[2]) for l in open(sys.argv[1])}
rows = [l.split() for l in open(sys.argv[2])]
rate = json.load(open(sys.argv[3]))["rate"]
answers = rate * (float(sys.argv[5]) - float(sys.argv[4]))
tick_us = 1e6 / int(sys.argv[7])
print(f"{sys.argv[6][-40:]}: {rate:.0f} answers/s")
total = 0.0
for tid, name, ticks in rows:
    us = (int(ticks) - a.get(tid, 0)) * tick_us / answers
    total += us
    if us >= 0.05:
        print(f"  {name:<18} {us:6.1f} us/answer")
print(f"  {'all threads':<18} {total:6.1f} us/answer")
PY
  done
done
