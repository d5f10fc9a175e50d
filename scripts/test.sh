#!/usr/bin/env bash
# Installs everything, builds Muster and runs every test: unit, store conformance (SQLite),
# rule set conformance corpus (../shared), integration with real processes, and the npm clients.
#   ./scripts/test.sh            # all tests
#   ./scripts/test.sh -R sigv4   # extra arguments go to ctest
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$here/scripts/install-deps.sh"
build="${MUSTER_BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
