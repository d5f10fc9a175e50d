#!/usr/bin/env bash
# Ticket intake: management StartMatchmaking (admin-signed, one new player per ticket) into a
# STANDALONE 1v1 configuration, commits durable in the default store (SQLite, WAL,
# synchronous=NORMAL), with musterd pinned to core 0 and muster-load on core 1. Every binary given
# is measured RUNS times, interleaved (the machine is noisy), each run on a fresh data directory.
#   bench/intake.sh [-r RUNS] [-d SECONDS] [-c CONNECTIONS] [-a "EXTRA MUSTERD ARGS"] MUSTERD...
# Prints one line per run: binary, answers/s, p50/p99 latency, server CPU µs per answer.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=3 secs=10 conns=64 extra=""
while getopts "r:d:c:a:" o; do
  case $o in r) runs=$OPTARG ;; d) secs=$OPTARG ;; c) conns=$OPTARG ;; a) extra=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- "$here/build/src/daemon/musterd"
load="$here/build/tools/load/muster-load"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

printf '%-40s %10s %9s %9s %12s\n' musterd answers/s p50-ms p99-ms cpu-us/answer
for run in $(seq "$runs"); do
  for bin in "$@"; do
    hp=$(port); wp=$(port)
    rm -rf "$work/data"
    # shellcheck disable=SC2086
    taskset -c 0 "$bin" --data-dir "$work/data" --http-port "$hp" --server-ws-port "$wp" --server-wss-port 0 \
      --demo-servers 0 --log-level warn $extra > "$work/musterd.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hp/healthz" >/dev/null && break; sleep 0.1; done
    (cd "$here/tests/e2e" && node "$here/bench/setup_standalone.mjs" "http://127.0.0.1:$hp")
    taskset -c 1 "$load" --mode start --configuration duel --url "http://127.0.0.1:$hp" --concurrency "$conns" \
      --duration "$secs" --warmup 2 --server-pid "$pid" --quiet --json "$work/r.json" > "$work/load.out"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$work/r.json" "$bin" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
srv = r.get("server", {})
print(f"{sys.argv[2][-40:]:<40} {r['rate']:>10.0f} {r['latency_us']['p50'] / 1000:>9.2f} "
      f"{r['latency_us']['p99'] / 1000:>9.2f} {srv.get('cpu_us_per_answer', float('nan')):>12.1f}")
bad = {k: r[k] for k in ("failed", "connection_errors", "timeouts") if r[k]}
if bad:
    print("  not all answered 200: " + json.dumps(bad))
PY
  done
done
