#!/usr/bin/env bash
# Installs everything, builds Muster and starts the demo: musterd with its embedded SQLite store in
# ./muster-data, the client and management API on http://127.0.0.1:8080, the game server socket on
# ws://127.0.0.1:9080 and wss://127.0.0.1:9443, and two sample game servers.
# Extra arguments go to musterd (see `musterd --help`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/install-deps.sh"
build="${MUSTER_BUILD_DIR:-$here/build}"
# The demo builds musterd and its tools only: no tests, benchmarks or Node.js.
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMUSTER_TESTS=OFF -DMUSTER_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target musterd sample-game-server muster-client
exec "$build/src/daemon/musterd" --sample-server-binary "$build/examples/sample_game_server/sample-game-server" "$@"
