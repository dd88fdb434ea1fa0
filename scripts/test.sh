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
# The Rust builder image, for the test that runs a Rust pipeline in it through the docker
# executor: about 2 minutes when missing (the debootstrap base is cached under
# /var/cache/raibid/images after the first run, which takes 1.5 minutes more), nothing when
# present. Without Debian's mirror it cannot be built and that test skips. RUST_IMAGE=0 leaves it
# out.
if [ "${RUST_IMAGE:-1}" != 0 ] && ! podman image exists localhost/raibid/rust-builder:1.63.0 2>/dev/null; then
  ./scripts/builder-images.sh rust || echo "test: the Rust builder image was not built; its test skips"
fi
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
