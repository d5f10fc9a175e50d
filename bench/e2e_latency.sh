#!/usr/bin/env bash
# End-to-end placement latency (bench/e2e_latency.cc): starts each musterd given with one sample
# game server per demo location, runs MATCHES 2v2 matches of C++ game clients against it, and
# prints the JSON line of each run. Binaries are interleaved, RUNS times (the machine is noisy).
#   bench/e2e_latency.sh [-r RUNS] [-m MATCHES] [-p POLL_MS] [-a "EXTRA MUSTERD ARGS"] [MUSTERD...]
# The sample game server and the clients come from the build next to this script ($MUSTER_BUILD_DIR
# or build/).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build="${MUSTER_BUILD_DIR:-$here/build}"
runs=1 matches=1000 poll=0 extra=""
while getopts "r:m:p:a:" o; do
  case $o in r) runs=$OPTARG ;; m) matches=$OPTARG ;; p) poll=$OPTARG ;; a) extra=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- "$build/src/daemon/musterd"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Two game ports (TCP and UDP each) below the kernel's ephemeral range, where the clients' own
# connections cannot take them between runs.
game_ports() {
  python3 - <<'PY'
import random, socket
while True:
    p = random.randrange(20000, 32000, 2)
    try:
        for q in (p, p + 1):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass
PY
}
# Four guests per match from one address: lift the per-address limits meant for real clients.
lifted=""
for f in identity-rate-per-minute identity-burst credentials-rate-per-minute credentials-burst \
         tickets-rate-per-minute tickets-burst address-tickets-rate-per-minute address-tickets-burst; do
  lifted="$lifted --$f 1000000"
done

for run in $(seq "$runs"); do
  for bin in "$@"; do
    hp=$(port); wp=$(port); gp=$(game_ports)
    rm -rf "$work/data"
    # shellcheck disable=SC2086
    "$bin" --data-dir "$work/data" --http-port "$hp" --server-ws-port "$wp" --server-wss-port 0 \
      --demo-servers 1 --sample-server-binary "$build/examples/sample_game_server/sample-game-server" \
      --sample-server-base-port "$gp" --max-connections-per-address 0 --log-level warn $lifted $extra \
      > "$work/musterd.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hp/healthz" >/dev/null && break; sleep 0.1; done
    printf '%s ' "${bin: -40}"
    "$build/bench/e2e_latency" --url "http://127.0.0.1:$hp" --matches "$matches" --poll-ms "$poll" 2>/dev/null \
      || { echo "failed; musterd's log:"; tail -20 "$work/musterd.log"; }
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
