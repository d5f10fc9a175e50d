#!/usr/bin/env bash
# Installs everything, builds Muster and runs every test:
#   1. unit tests, the store conformance suite (SQLite), the rule set conformance corpus
#      (../shared/conformance), and the end-to-end tests with real processes and the npm clients
#      (build/, GCC);
#   2. every libFuzzer target for MUSTER_FUZZ_SECONDS (default 20) from its seed corpus
#      (build-fuzz/, clang with ASan + UBSan).
# Usage: ./scripts/test.sh [extra ctest arguments for step 1, e.g. -R sigv4]
#   MUSTER_SKIP_FUZZ=1 skips step 2 (local iterations only; CI runs it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$here/scripts/install-deps.sh" --tests
jobs=$(nproc)

build="${MUSTER_BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMUSTER_TESTS=ON -DMUSTER_BENCH=ON -DMUSTER_E2E=ON >/dev/null
cmake --build "$build" -j "$jobs"

if [ "${MUSTER_SKIP_FUZZ:-0}" != "1" ]; then
  fuzz="$here/build-fuzz"
  CXX=clang++ cmake -S "$here" -B "$fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMUSTER_FUZZ=ON -DMUSTER_TESTS=OFF -DMUSTER_BENCH=OFF \
    -DMUSTER_FUZZ_SECONDS="${MUSTER_FUZZ_SECONDS:-20}" >/dev/null
  cmake --build "$fuzz" -j "$jobs" --target fuzz_all
  (cd "$fuzz" && ctest -L fuzz -j "$jobs" --output-on-failure)
fi

cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 600 "$@"
