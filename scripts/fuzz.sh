#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan) into ./build-fuzz and runs each for
# a bounded time. First every file of fuzz/regressions/<target>/ is replayed (inputs that once
# crashed); then the target fuzzes from its seeds (fuzz/corpus/<target>/) and the corpus it grew
# in earlier runs (build-fuzz/corpus/<target>/). A crash, leak, timeout or out-of-memory input is
# copied to fuzz/crashes/<target>/ and the script exits 1 after running every target.
#
#   scripts/fuzz.sh                  # 20 s per target
#   scripts/fuzz.sh 10               # CI (scripts/test.sh)
#   scripts/fuzz.sh 3600 masker job  # the long run, of some targets
#
# Environment: FUZZ_CXX (the clang++ to use), FUZZ_BUILD_DIR (build-fuzz), JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
case "$seconds" in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2; exit 2 ;; esac

cxx=${FUZZ_CXX:-}
if [ -z "$cxx" ]; then
  # Debian 12's default clang (14) has neither -std=c++23 nor std::expected; clang-19 has both.
  for c in clang++-19 clang++-18 clang++-17 clang++; do
    if command -v "$c" >/dev/null 2>&1; then cxx=$c; break; fi
  done
fi
[ -n "$cxx" ] || { echo "fuzz: no clang++ (scripts/install-deps.sh installs clang-19)" >&2; exit 2; }

build=${FUZZ_BUILD_DIR:-build-fuzz}
started=$(date +%s)
# -O1 without NDEBUG: asserts stay on, and ASan reports stay readable.
cmake -B "$build" -S . -DRAIBID_FUZZ=ON -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
if ! cmake --build "$build" --target fuzz_all -j"${JOBS:-2}" >"$build/fuzz-build.log" 2>&1; then
  grep -E 'error|Error' "$build/fuzz-build.log" | head -n 40 >&2
  echo "fuzz: build failed, see $build/fuzz-build.log" >&2
  exit 1
fi
built=$(date +%s)

# Stacks with function names and lines: any llvm-symbolizer reads clang-19's DWARF 5.
for s in llvm-symbolizer-19 llvm-symbolizer; do
  if command -v "$s" >/dev/null 2>&1; then export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v "$s")}; break; fi
done
# Crashes are what libFuzzer reports; UBSan findings abort (-fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/raibid-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch  # targets that write files (cache_archive) do so under here

failed=0
summary="$build/fuzz-summary.tsv"
printf 'target\tseconds\texecutions\tcorpus\tresult\n' >"$summary"
while IFS=$'\t' read -r name flags; do
  [ -n "$name" ] || continue
  if [ "$#" -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
  bin="$build/fuzz/fuzz_$name"
  read -r -a args <<<"$flags"
  log="$build/fuzz-logs/$name.log"
  mkdir -p "$build/fuzz-logs" "$build/corpus/$name" "$build/artifacts/$name"
  result=ok

  mapfile -t regressions < <(find "fuzz/regressions/$name" -type f ! -name '.gitkeep' 2>/dev/null | sort)
  if [ "${#regressions[@]}" -gt 0 ]; then
    if ! "$bin" "${args[@]}" -timeout=20 "${regressions[@]}" >"$log.replay" 2>&1; then
      echo "fuzz: $name: a regression input crashes again:"
      grep -E '^(Running|==[0-9]+==ERROR|SUMMARY|FUZZ_CHECK)' "$log.replay" | tail -n 8
      result="regression"
      failed=1
    fi
  fi

  rm -f "$build/artifacts/$name/"*
  rc=0
  "$bin" "${args[@]}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$name/" \
    "$build/corpus/$name" "fuzz/corpus/$name" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  corpus=$(find "$build/corpus/$name" -type f | wc -l)
  if [ "$rc" -ne 0 ]; then
    mkdir -p "fuzz/crashes/$name"
    for f in "$build/artifacts/$name/"*; do
      [ -e "$f" ] && cp "$f" "fuzz/crashes/$name/" && echo "fuzz: $name: reproducer fuzz/crashes/$name/$(basename "$f")"
    done
    grep -E '^(==[0-9]+==ERROR|SUMMARY|FUZZ_CHECK|    #[0-9] )' "$log" | head -n 20 || true
    echo "fuzz: $name: full log $log"
    result="crash"
    failed=1
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$seconds" "${execs:-0}" "$corpus" "$result" >>"$summary"
done <"$build/fuzz/targets.tsv"

finished=$(date +%s)
awk -F'\t' '{ printf "%-16s %8s %12s %8s  %s\n", $1, $2, $3, $4, $5 }' "$summary"
echo "fuzz: build $((built - started)) s, fuzzing $((finished - built)) s"
passed=$(awk -F'\t' 'NR > 1 && $5 == "ok"' "$summary" | wc -l)
echo "fuzz: $passed passed, $(( $(wc -l <"$summary") - 1 - passed )) failed"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED (reproducers under fuzz/crashes/; see docs/hardening.md)" >&2
  exit 1
fi
