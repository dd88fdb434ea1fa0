#!/usr/bin/env bash
# Builds the tree with a sanitizer preset (CMakePresets.json) and runs the whole test suite
# under it:
#   scripts/sanitize.sh asan   # AddressSanitizer + UndefinedBehaviorSanitizer, into build-asan/
#   scripts/sanitize.sh tsan   # ThreadSanitizer, into build-tsan/
# Extra arguments go to ctest (e.g. -R 'Masker|Pipeline'). The build directory can be moved
# with SANITIZE_BUILD_DIR; JOBS (2) sets the parallel compile and test jobs. Any sanitizer
# report fails the test that made it, and the run. scripts/test.sh (CI) runs both presets after
# the ordinary suite. Suppressions (third-party code only) live in
# tools/sanitizers/; see docs/hardening.md.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-}
case "$preset" in
  asan | tsan) shift ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan [ctest arguments...]" >&2; exit 2 ;;
esac
dir=${SANITIZE_BUILD_DIR:-build-$preset}
jobs=${JOBS:-2}
supp="$(pwd)/tools/sanitizers"

./scripts/install-deps.sh
cmake --preset "$preset" -B "$dir" >/dev/null
cmake --build "$dir" -j"$jobs"

# Stacks with function names and lines: the runtimes need llvm-symbolizer (llvm-19 has it).
symbolizer=""
for s in llvm-symbolizer-19 llvm-symbolizer; do
  if command -v "$s" >/dev/null 2>&1; then symbolizer=":external_symbolizer_path=$(command -v "$s")"; break; fi
done
# The same options as the test presets of CMakePresets.json (keep them in step).
if [ "$preset" = asan ]; then
  export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1$symbolizer
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
else
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$supp/tsan.supp$symbolizer
fi
# Sanitized tests run 2-10x slower than the ordinary build's, so a test with a tight timing may
# miss its window: each failing test gets one more try (ctest --repeat until-pass:2). A sanitizer
# report is never excused by the retry: any report in the log fails the run, whether or not the
# test passed the second time.
log="$dir/sanitize-ctest.log"
started=$(date +%s)
rc=0
ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 900 --repeat until-pass:2 \
  --output-log "$log" "$@" || rc=$?
report='^(==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer)|: runtime error: '  # ASan, LSan, TSan, UBSan
reports=$(grep -cE "$report" "$log" || true)
echo "sanitize $preset: ctest exit $rc, $reports sanitizer report(s), $(( $(date +%s) - started )) s of tests"
if [ "$reports" -gt 0 ]; then
  grep -nE "$report" "$log" | head -n 20 >&2
  echo "sanitize $preset: sanitizer reports in $log" >&2
  exit 1
fi
exit "$rc"
