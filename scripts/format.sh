#!/usr/bin/env bash
# Formats every C++ file of the tree with .clang-format, using Debian's `clang-format` (14 on
# Debian 12). `--check` changes nothing and fails, listing the files, when one is not formatted;
# it checks with clang-format-19 too where installed (the clang the sanitizer builds use), so the
# tree reads the same to both. scripts/test.sh (so CI) runs the check first.
set -euo pipefail
cd "$(dirname "$0")/.."
format=${CLANG_FORMAT:-clang-format}
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h')
if [ "${1:-}" = --check ]; then
  tools=("$format")
  if [ -z "${CLANG_FORMAT:-}" ] && command -v clang-format-19 >/dev/null 2>&1; then
    tools+=(clang-format-19)
  fi
  bad=()
  for f in "${files[@]}"; do
    for tool in "${tools[@]}"; do
      if ! "$tool" --dry-run -Werror "$f" >/dev/null 2>&1; then
        bad+=("$f ($tool)")
        break
      fi
    done
  done
  if [ "${#bad[@]}" -gt 0 ]; then
    echo "format: ${#bad[@]} file(s) differ from .clang-format; run scripts/format.sh to fix:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files match .clang-format (${tools[*]})"
else
  "$format" -i "${files[@]}"
fi
