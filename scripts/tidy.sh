#!/usr/bin/env bash
# clang-tidy (Debian's clang-tidy-19) over src/ with the checked-in .clang-tidy, using the
# compile_commands.json of a configure-only tree (build-tidy/; nothing is compiled). Prints every
# finding, then the count per check and the files with the most; exits 1 when there is any.
#   scripts/tidy.sh                      # all of src/ but the tests
#   scripts/tidy.sh src/util src/job     # some folders or files
# The *_test.cc files are left out unless TIDY_TESTS=1: gtest's ASSERT_TRUE(opt) before *opt is
# not understood by bugprone-unchecked-optional-access, which then flags every such test.
# Environment: TIDY (the clang-tidy to use), TIDY_BUILD_DIR (build-tidy), JOBS (2), TIDY_TESTS.
set -euo pipefail
cd "$(dirname "$0")/.."
tidy=${TIDY:-}
if [ -z "$tidy" ]; then
  for t in clang-tidy-19 clang-tidy-18 clang-tidy-17 clang-tidy; do
    if command -v "$t" >/dev/null 2>&1; then tidy=$t; break; fi
  done
fi
[ -n "$tidy" ] || { echo "tidy: no clang-tidy (apt-get install clang-tidy-19)" >&2; exit 2; }
dir=${TIDY_BUILD_DIR:-build-tidy}
cmake -B "$dir" -S . -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null

paths=("$@")
[ "${#paths[@]}" -gt 0 ] || paths=(src)
mapfile -t files < <(find "${paths[@]}" -name '*.cc' | { if [ "${TIDY_TESTS:-0}" = 1 ]; then cat; else grep -v '_test\.cc$'; fi; } | sort)
out="$dir/tidy.log"
# Batches of 4 files, JOBS at a time. A batch that clang-tidy cannot finish (a file that does not
# compile, a crash of the tool) is named on stderr and the others go on; its "error:" lines count
# as findings. The "N warnings generated" chatter (system headers) is dropped.
run_batch() {
  local rc=0
  "$TIDY_BIN" -p "$TIDY_DIR" --quiet "$@" 2>"$TIDY_DIR/tidy-stderr.$$" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "tidy: clang-tidy exited $rc on $*" >&2
    grep -Ev 'warnings? generated|^\[[0-9]+/[0-9]+\] Processing|^Suppressed|^Use -header-filter|^$' \
      "$TIDY_DIR/tidy-stderr.$$" | head -n 20 >&2 || true
  fi
  rm -f "$TIDY_DIR/tidy-stderr.$$"
  return 0
}
export -f run_batch
export TIDY_BIN="$tidy" TIDY_DIR="$dir"
printf '%s\n' "${files[@]}" | xargs -P "${JOBS:-2}" -n 4 bash -c 'run_batch "$@"' _ >"$out"

# One line per finding "file:line:col: warning: message [check]"; a header finding shows once.
grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .*\[[a-z0-9.,-]+\]$' "$out" | sort -u >"$dir/tidy-findings.txt" || true
cat "$dir/tidy-findings.txt"
total=$(wc -l <"$dir/tidy-findings.txt")
echo
echo "== findings per check"
sed -E 's/.*\[([a-z0-9.,-]+)\]$/\1/' "$dir/tidy-findings.txt" | sort | uniq -c | sort -rn
echo "== files with the most findings"
cut -d: -f1 "$dir/tidy-findings.txt" | sed "s|^$(pwd)/||" | sort | uniq -c | sort -rn | head -n 15
echo "tidy: $total findings in ${#files[@]} files"
[ "$total" -eq 0 ]
