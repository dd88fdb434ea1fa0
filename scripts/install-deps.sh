#!/usr/bin/env bash
# Installs everything raibid-agent needs to build, test and benchmark, from Debian's packages.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libhiredis-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libcurl4-openssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev prometheus-cpp-dev libssl-dev zlib1g-dev libarchive-dev libzstd-dev zstd
  redis-server nginx-light fcgiwrap apache2-utils procps curl e2fsprogs
  docker-registry skopeo prometheus openssl buildah podman runc busybox-static
  librust-serde-json-dev librust-serde-derive-dev
  file lintian systemd  # the Debian package's test (deb_package): dpkg-shlibdeps, lintian, systemd-analyze
  clang-19 libclang-rt-19-dev llvm-19 clang-tidy-19 clang-format clang-format-19
)

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

# Debian starts some of these as services on install; the agent's tests start their own on free
# ports and need none of them. A service already running is the host's own: left alone. One that
# this run's installation started is stopped again, and nothing else.
services=(redis-server nginx fcgiwrap docker-registry prometheus prometheus-node-exporter)
service_active() {
  command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$1" 2>/dev/null
}
running_before=()
for svc in "${services[@]}"; do
  if service_active "$svc"; then running_before+=("$svc"); fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for svc in "${services[@]}"; do
    if service_active "$svc" && [[ " ${running_before[*]} " != *" $svc "* ]]; then
      echo "install-deps: stopping $svc, which installing it just started (the tests start their own)"
      "${sudo_cmd[@]}" systemctl stop "$svc" >/dev/null 2>&1 || true
    fi
  done
fi

# The manifest checker of deploy/ (CTest deploy_*) runs on Node.js, with its two dependencies
# from the npm registry at the versions of the committed package-lock.json. `npm ci` runs again
# only when the lock file changes.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing nodejs npm"
  root_cmd=()
  [ "$(id -u)" -eq 0 ] || root_cmd=(sudo)
  "${root_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${root_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi
check_dir="$(cd "$(dirname "$0")/.." && pwd)/deploy/check"
lock_sum=$(sha256sum "$check_dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$check_dir/node_modules/.raibid-lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
  (cd "$check_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >"$check_dir/node_modules/.raibid-lock-sum"
fi
echo "install-deps: all packages present"
