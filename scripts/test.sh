#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test under CTest. The
# tests start their own redis-server, nginx + fcgiwrap (git smart HTTP) and git repositories on
# free loopback ports in temporary directories.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# Formatting first: it takes seconds and names the files to fix (.clang-format).
./scripts/format.sh --check
./scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 300
# Then every libFuzzer target of fuzz/ for 10 s (its regressions replayed first); a crash fails
# the run. See docs/hardening.md.
./scripts/fuzz.sh 10
# Then the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer and under
# ThreadSanitizer (two more builds: build-asan/, build-tsan/). SANITIZE=0 leaves them out of a
# local run; CI always runs them.
if [ "${SANITIZE:-1}" != 0 ]; then
  ./scripts/sanitize.sh asan
  ./scripts/sanitize.sh tsan
fi
