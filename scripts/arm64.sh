#!/usr/bin/env bash
# Cross-compiles raibid-agent and its tests for aarch64-linux-gnu with Debian's cross toolchain
# and arm64 libraries (multiarch), then runs the tests under qemu-aarch64 user emulation.
# Idempotent; slow (a full cross build), so it is not part of .ci/run. See docs/deploy.md.
#
#   scripts/arm64.sh              install, build everything, run the default test set
#   scripts/arm64.sh all          ... and run every test binary, not just the default set
#   BUILD_DIR=... JOBS=... scripts/arm64.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build="${BUILD_DIR:-$root/build-arm64}"
jobs="${JOBS:-2}"

# Test binaries run by default: the ones whose tests start no servers.
default_tests=(util_tests job_tests config_tests pipeline_tests process_tests executor_tests)

# arm64 libraries the agent and its tests link. Each is Multi-Arch: same, so it installs beside
# the amd64 one. Two -dev packages are not co-installable with their amd64 twins (libyaml-cpp-dev
# is not Multi-Arch: same; prometheus-cpp-dev depends on the civetweb program), so only their
# runtime libraries are installed and their development files are unpacked into $build/sysroot.
arm64_packages=(
  libc6-dev libstdc++-12-dev
  libhiredis-dev libspdlog-dev libfmt-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libcpp-httplib-dev libcivetweb-dev
  libyaml-cpp0.7 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libprometheus-cpp-push1.0
)
unpacked_dev_packages=(libyaml-cpp-dev prometheus-cpp-dev)
host_packages=(crossbuild-essential-arm64 qemu-user file)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

install_packages() {
  ./scripts/install-deps.sh
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "arm64: adding the arm64 architecture to dpkg"
    as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
  fi
  local missing=()
  for p in "${host_packages[@]}"; do installed "$p" || missing+=("$p"); done
  for p in "${arm64_packages[@]}"; do installed "$p:arm64" || missing+=("$p:arm64"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "arm64: installing ${missing[*]}"
    # A fresh architecture has no package lists until the next update.
    apt-cache show libhiredis-dev:arm64 >/dev/null 2>&1 || as_root apt-get update -qq
    # --no-remove: never trade a native package for its arm64 twin.
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      --no-remove "${missing[@]}" >/dev/null
  fi
}

# The arm64 packages of unpacked_dev_packages, unpacked (not installed) into $build/sysroot. Their
# library links (lib*.so and the versioned names their CMake targets mention) point at the
# multiarch runtime libraries.
unpack_dev_packages() {
  local sysroot="$build/sysroot" stamp="$build/sysroot/.unpacked" p deb link lib
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${unpacked_dev_packages[*]}" ] && return 0
  rm -rf "$sysroot" "$build/debs"
  mkdir -p "$build/debs" "$sysroot"
  for p in "${unpacked_dev_packages[@]}"; do
    (cd "$build/debs" && apt-get download -qq "$p:arm64" 2>/dev/null)
    deb=$(ls "$build"/debs/"${p}"_*_arm64.deb)
    dpkg-deb -x "$deb" "$sysroot"
  done
  for link in "$sysroot"/usr/lib/aarch64-linux-gnu/lib*.so; do
    for lib in /usr/lib/aarch64-linux-gnu/"$(basename "$link")".*; do
      [ -e "$lib" ] && ln -sfn "$lib" "$sysroot/usr/lib/aarch64-linux-gnu/$(basename "$lib")"
    done
    ln -sfn "$(readlink -f "/usr/lib/aarch64-linux-gnu/$(basename "$(readlink "$link")")")" "$link"
  done
  echo "${unpacked_dev_packages[*]}" >"$stamp"
}

configure_and_build() {
  cmake -B "$build" -S "$root" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
    -DCMAKE_PREFIX_PATH="$build/sysroot/usr" \
    -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  local targets=(raibid-agent)
  for t in "${run_tests[@]}"; do targets+=("$t"); done
  cmake --build "$build" -j"$jobs" --target "${targets[@]}"
}

# Each test binary runs under qemu-aarch64 directly (what CTest would do through
# CMAKE_CROSSCOMPILING_EMULATOR), so the summary is one line per binary.
run_tests_under_qemu() {
  echo "arm64: raibid-agent is: $(file -b "$build/raibid-agent")"
  echo "arm64: raibid-agent --version under qemu: $(qemu-aarch64 "$build/raibid-agent" --version)"
  local t log summary=() failed=0
  for t in "${run_tests[@]}"; do
    [ -x "$build/$t" ] || continue
    log="$build/$t.qemu.log"
    echo "=== $t (qemu-aarch64), log in $log"
    if qemu-aarch64 "$build/$t" --gtest_brief=1 >"$log" 2>&1; then
      summary+=("PASS $t: $(grep -E '^\[  PASSED  \]' "$log" | head -n1)")
    else
      failed=1
      summary+=("FAIL $t: $(grep -E '^\[  (PASSED|FAILED)  \]' "$log" | tr '\n' ' ')")
      grep -E '^\[  FAILED  \] [A-Za-z]' "$log" | sort -u | sed 's/^/    /' || true
    fi
  done
  printf '%s\n' "${summary[@]}"
  return "$failed"
}

main() {
  if [ "${1:-}" = "all" ]; then
    mapfile -t run_tests < <(sed -n 's/^raibid_module(\([a-z_]*\) .*/\1_tests/p' CMakeLists.txt)
  else
    run_tests=("${default_tests[@]}")
  fi
  install_packages
  unpack_dev_packages
  configure_and_build
  run_tests_under_qemu
}

main "$@"
