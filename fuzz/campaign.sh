#!/usr/bin/env bash
# A fuzzing campaign outside CI: runs each libFuzzer target for SECONDS (default 3600, one
# CPU-hour each), as many at once as there are cores, from its committed corpus; then merges what
# each run found into the committed corpus (fuzz/corpus/<name>: only inputs that add coverage) and
# prints executions, coverage and findings per target. Crashes are left in build-fuzz/campaign/.
#
#   fuzz/campaign.sh [SECONDS] [TARGET ...]        (default: every target)
#
# Needs the clang fuzz tree: ./scripts/test.sh builds it (build-fuzz/), or
#   CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DMUSTER_FUZZ=ON -DMUSTER_TESTS=OFF -DMUSTER_BENCH=OFF
#   cmake --build build-fuzz --target fuzz_all
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$here/build-fuzz"
seconds=${1:-3600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http_fuzz ws_frame_fuzz identity_fuzz management_fuzz sigv4_fuzz
                                     server_protocol_fuzz api_query_fuzz ruleset_fuzz expression_fuzz)
jobs=${FUZZ_JOBS:-$(nproc)}  # fuzzers at once
# CAMPAIGN_REPORT_ONLY=1: no runs, only the report and the merge of what earlier runs found.
out="$fuzz/campaign"
mkdir -p "$out"

# Inputs long enough for what each target must reach (64 KiB header fields, big frames).
max_len() {
  case "$1" in
    http_fuzz) echo 131072 ;;
    ws_frame_fuzz) echo 70000 ;;
    identity_fuzz|management_fuzz|ruleset_fuzz) echo 16384 ;;
    *) echo 4096 ;;
  esac
}
corpus_of() { echo "$here/fuzz/corpus/${1%_fuzz}"; }

run_one() {
  local t=$1 dir
  dir=$(corpus_of "$t")
  mkdir -p "$dir" "$out/$t"
  local extra=()
  [ "$t" = ruleset_fuzz ] && extra=("$here/../shared/conformance/rulesets/valid" "$here/../shared/conformance/rulesets/invalid")
  # The CPU time each run really got goes to $out/$t.time (other load on the machine shrinks it).
  # A unit slower than 25 s is a finding: far beyond the sub-millisecond every target needs.
  (cd "$out" && TIMEFORMAT='%U %S %R' && { time "$fuzz/fuzz/$t" -max_total_time="$seconds" \
      -max_len="$(max_len "$t")" -len_control=0 -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$out/$t-" "$out/$t" "$dir" "${extra[@]}" > "$out/$t.log" 2>&1; } 2> "$out/$t.time") || true
}

running=0
[ "${CAMPAIGN_REPORT_ONLY:-0}" = 1 ] && targets_to_run=() || targets_to_run=("${targets[@]}")
for t in "${targets_to_run[@]}"; do
  [ -x "$fuzz/fuzz/$t" ] || { echo "campaign: $fuzz/fuzz/$t is not built" >&2; exit 2; }
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

printf '%-22s %9s %12s %10s %8s %8s %s\n' target cpu-s executions exec/s cov ft findings
for t in "${targets[@]}"; do
  log="$out/$t.log"
  # (|| true: a missing line or file is reported as "?" or 0, it does not end the report)
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1 || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{print $2}' | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
  found=$(find "$out" -maxdepth 1 -name "$t-*" | wc -l)
  cpu=$(awk '{printf "%d", $1 + $2}' "$out/$t.time" 2>/dev/null || true)
  printf '%-22s %9s %12s %10s %8s %8s %s\n' "$t" "${cpu:-?}" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$found"
  # Keep what adds coverage: merged into the committed corpus.
  before=$(ls "$(corpus_of "$t")" | wc -l)
  "$fuzz/fuzz/$t" -merge=1 -max_len="$(max_len "$t")" "$(corpus_of "$t")" "$out/$t" > "$out/$t.merge.log" 2>&1 || true
  echo "  corpus $(corpus_of "$t" | sed "s|$here/||"): $before -> $(ls "$(corpus_of "$t")" | wc -l) files"
done
