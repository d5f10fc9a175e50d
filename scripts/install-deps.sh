#!/usr/bin/env bash
# Installs every build and run dependency of Muster from Debian 12 packages; with --tests also
# Node.js and the npm clients the end-to-end tests drive Muster with.
# Idempotent: a second run only checks. Needs root (or sudo) for apt.
# Usage: ./scripts/install-deps.sh [--tests]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# What building and running musterd needs (the demo).
APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libssl-dev openssl libpq-dev libtomlplusplus-dev libjemalloc-dev
)
# What the tests, fuzzers and benchmarks need besides.
if [ "${1:-}" = "--tests" ]; then
  APT_PACKAGES+=(
    git sqlite3 libgtest-dev libgmock-dev libbenchmark-dev
    clang libfuzzer-14-dev libclang-rt-14-dev
    postgresql wrk nginx-light python3 python3-websockets curl procps
  )
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js and the npm test clients: only for the tests (./scripts/install-deps.sh --tests); the
# demo needs neither. Any Node.js from 18 on works, Debian 12's own nodejs (18.x) included: the
# clients are pinned to versions that support it (tests/e2e/package.json).
if [ "${1:-}" = "--tests" ]; then
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: installing nodejs npm"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 18 ]; then
    echo "install-deps: Node.js $(node --version) is too old for the test clients; Node.js 18 or newer is needed" >&2
    exit 1
  fi
  # npm test clients (pinned in tests/e2e/package.json / package-lock.json).
  (cd "$here/tests/e2e" && { [ -d node_modules ] && npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent; })
fi
