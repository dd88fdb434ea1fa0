#!/usr/bin/env bash
# Installs what raibid-agent needs from Debian's packages.
#   scripts/install-deps.sh --demo   what the demo runs: the compiler, CMake, the -dev libraries
#                                    the agent builds with, git and redis-server
#   scripts/install-deps.sh          all of that, and what the tests, benchmarks, fuzzers and
#                                    linters use (nginx, a registry, Podman, clang-19, ...)
#   scripts/install-deps.sh --packages P...   those packages only (the image scripts' tools)
# Idempotent: packages already present are skipped, so a second run costs a dpkg query. It never
# starts, stops or restarts a service: packages whose installation would start one (redis-server,
# nginx, docker-registry, prometheus) are installed with a policy-rc.d that forbids starting it;
# the tests start their own instances on free ports.
set -euo pipefail

demo=0 only=()
case "${1:-}" in
  --demo) demo=1 ;;
  --packages) shift; only=("$@") ;;
  "") ;;
  *) echo "usage: scripts/install-deps.sh [--demo | --packages PACKAGE...]" >&2; exit 2 ;;
esac

# What `cmake --build build --target raibid-agent` and the demo need. (CMake's configure step
# asks for GoogleTest, hence libgtest-dev and libgmock-dev.)
packages=(
  build-essential cmake pkg-config git ca-certificates
  libhiredis-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libcurl4-openssl-dev libgtest-dev libgmock-dev
  libcpp-httplib-dev prometheus-cpp-dev libssl-dev zlib1g-dev libarchive-dev libzstd-dev
  redis-server
)
# What the tests, benchmarks, fuzzers and linters add.
test_packages=(
  libbenchmark-dev zstd
  nginx-light fcgiwrap apache2-utils procps curl e2fsprogs
  docker-registry skopeo prometheus openssl buildah podman runc busybox-static
  librust-serde-json-dev librust-serde-derive-dev
  file lintian systemd  # the Debian package's test (deb_package): dpkg-shlibdeps, lintian, systemd-analyze
  clang-19 libclang-rt-19-dev llvm-19 clang-tidy-19 clang-format clang-format-19
)
[ "$demo" -eq 1 ] || packages+=("${test_packages[@]}")
# The manifest checker of deploy/ (CTest deploy_*) runs on Node.js; any node and npm on PATH do.
if [ "$demo" -eq 0 ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [ "${#only[@]}" -gt 0 ]; then
  packages=("${only[@]}")
  demo=1  # and no npm packages
fi

root_cmd=()
[ "$(id -u)" -eq 0 ] || root_cmd=(sudo)

# A package counts only when installed for this machine's architecture (or for all): a
# cross-build setup may have replaced a -dev package with its arm64 twin.
native=$(dpkg --print-architecture)
missing=()
for p in "${packages[@]}"; do
  if ! { dpkg-query -W -f='${Status} ${Architecture}\n' "$p" "$p:$native" 2>/dev/null || true; } |
       grep -Eq "install ok installed ($native|all)$"; then
    missing+=("$p:$native")
  fi
done

# Installs with services kept from starting: invoke-rc.d and deb-systemd-invoke ask
# /usr/sbin/policy-rc.d, and its exit code 101 means "action forbidden". A policy-rc.d the host
# already has is its own and is left as it is.
install_missing() {
  local policy=/usr/sbin/policy-rc.d ours=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# raibid install-deps: no service starts while it installs packages\nexit 101\n' |
      "${root_cmd[@]}" tee "$policy" >/dev/null
    "${root_cmd[@]}" chmod 755 "$policy"
    ours=1
    trap '"${root_cmd[@]}" rm -f '"$policy" EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${root_cmd[@]}" apt-get update -qq
  "${root_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$ours" -eq 1 ]; then
    "${root_cmd[@]}" rm -f "$policy"
    trap - EXIT
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  install_missing
fi

# The manifest checker's two dependencies from the npm registry, at the versions of the committed
# package-lock.json. `npm ci` runs again only when the lock file changes.
if [ "$demo" -eq 0 ]; then
  check_dir="$(cd "$(dirname "$0")/.." && pwd)/deploy/check"
  lock_sum=$(sha256sum "$check_dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$check_dir/node_modules/.raibid-lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
    (cd "$check_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$lock_sum" >"$check_dir/node_modules/.raibid-lock-sum"
  fi
fi
echo "install-deps: all packages present"
