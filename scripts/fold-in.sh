# Sourced by scripts/main, scripts/test and scripts/nightly-gpu: the results other runs left
# in a folder that `ttt-harness check` folds into its report, when they are there: the
# suites' JUnit XML and their labels (ctest --show-only=json-v1), the long suite's
# error-versus-position series, the benchmarks (bench/run --json).
#
#   fold_in_results DIR   sets the array FOLD_IN to the matching check options
fold_in_results() {
  local dir="$1"
  FOLD_IN=()
  [ -f "$dir/ctest-junit.xml" ] && FOLD_IN+=(--junit "$dir/ctest-junit.xml")
  [ -f "$dir/ctest-tests.json" ] && FOLD_IN+=(--ctest-tests "$dir/ctest-tests.json")
  [ -f "$dir/long_sequence.json" ] && FOLD_IN+=(--long-series "$dir/long_sequence.json")
  [ -f "$dir/bench.json" ] && FOLD_IN+=(--bench "$dir/bench.json")
  return 0
}
