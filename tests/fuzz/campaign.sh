#!/bin/bash
# A fuzzing campaign you can rerun: builds every fuzz target with clang, libFuzzer, ASan and
# UBSan (every library a target links is instrumented for coverage), runs each for a number of
# runs or a time, merges what found new coverage into tests/fuzz/corpus/NAME (minimised), and
# prints one table: target, runs, exec/s, coverage (edges), features, corpus files and bytes,
# crashes. Crashing inputs are kept in build-fuzz/crashes/NAME/.
#
#   tests/fuzz/campaign.sh [-r RUNS] [-t SECONDS] [-j JOBS] [TARGET...]
#     -r RUNS     runs per target (default 10000000)
#     -t SECONDS  at most this long per target (default 1800); whichever comes first
#     -j JOBS     targets fuzzed at once (default 1)
#     TARGET      e.g. http_request (default: every target)
#
# Not part of the test suite (CI compiles the targets and replays the corpora, see run.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
RUNS=10000000 SECS=1800 JOBS=1
while getopts "r:t:j:" o; do
  case $o in
    r) RUNS=$OPTARG ;;
    t) SECS=$OPTARG ;;
    j) JOBS=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
tests/fuzz/build.sh "$BUILD" || exit 1
if [ $# -gt 0 ]; then targets=("$@"); else
  mapfile -t targets < <(ls "$BUILD"/tests/fuzz/ | sed -n 's/^fuzz_\([a-z0-9_]*\)$/\1/p')
fi
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
OUT="$BUILD/campaign"
mkdir -p "$OUT"

fuzz_one() {  # fuzz_one NAME: one target's run and merge; writes $OUT/NAME.row
  local name=$1 bin="$BUILD/tests/fuzz/fuzz_$1" corpus="tests/fuzz/corpus/$1"
  local new="$OUT/$name.new" crashes="$BUILD/crashes/$name"
  rm -rf "$new"
  mkdir -p "$new" "$crashes" "$corpus"
  local start=$SECONDS
  "$bin" -runs="$RUNS" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$new" "$corpus" >"$OUT/$name.log" 2>&1
  local rc=$? took=$((SECONDS - start))
  # Merge: of the new finds, only inputs that add coverage to the corpus are kept (the named,
  # hand-written seeds stay as they are).
  "$bin" -merge=1 "$corpus" "$new" >"$OUT/$name.merge.log" 2>&1
  local runs cov ft files bytes ncrash
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$OUT/$name.log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$OUT/$name.log" | tail -n 1 | cut -d' ' -f2)
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  ncrash=$(find "$crashes" -type f | wc -l)
  [ "$rc" = 0 ] || [ "$ncrash" -gt 0 ] || ncrash="rc=$rc"
  printf '%s %s %s %s %s %s %s %s\n' "$name" "${runs:-0}" "$(( ${runs:-0} / (took > 0 ? took : 1) ))" \
    "${cov:-?}" "${ft:-?}" "$files" "$bytes" "$ncrash" >"$OUT/$name.row"
}

running=0
for t in "${targets[@]}"; do
  [ -x "$BUILD/tests/fuzz/fuzz_$t" ] || { echo "no such target: $t" >&2; exit 2; }
  echo "fuzzing $t (at most $RUNS runs or $SECS s)..." >&2
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
printf '| %-16s | %12s | %8s | %6s | %8s | %7s | %9s | %7s |\n' target runs exec/s cov features files bytes crashes
printf '|%s|\n' "------------------|--------------|----------|--------|----------|---------|-----------|---------"
for t in "${targets[@]}"; do
  read -r name runs rate cov ft files bytes crash <"$OUT/$t.row"
  printf '| %-16s | %12s | %8s | %6s | %8s | %7s | %9s | %7s |\n' "$name" "$runs" "$rate" "$cov" "$ft" "$files" "$bytes" "$crash"
  [ "$crash" = 0 ] || status=1
done
exit $status
