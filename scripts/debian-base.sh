# Sourced by scripts/image.sh and scripts/builder-images.sh: a Debian base image made without any
# registry. `debootstrap --variant=minbase SUITE` builds a root file system from Debian's mirror;
# the result is kept as a tarball in a stable cache directory, so later runs (and CI) import it in
# seconds instead of bootstrapping again; `podman import` turns it into localhost/debian:SUITE
# (with -ARCH appended for a foreign architecture), labelled with the Debian point release and
# the date it was bootstrapped. REFRESH=1 bootstraps again (the security-update rebuild).
#
#   RAIBID_IMAGE_CACHE   where the tarballs live (default /var/cache/raibid/images)
#   DEBIAN_MIRROR        the mirror (default: the one this machine's apt uses)
#   SUITE, ARCH          bookworm and the host's dpkg architecture by default; a foreign ARCH
#                        needs qemu-user-static registered with binfmt_misc
set -euo pipefail

image_cache="${RAIBID_IMAGE_CACHE:-/var/cache/raibid/images}"
suite="${SUITE:-bookworm}"
arch="${ARCH:-$(dpkg --print-architecture)}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# SPDX 2.3 from the image's own dpkg database, read through a mount of the image (any
# architecture); extra arguments go to the generator (tools/sbom/dpkg-spdx.py: the agent image's --agent-*).
write_sbom() {
  local image=$1 id=$2 out=$3 mnt
  shift 3
  mkdir -p "$(dirname "$out")"
  mnt=$(podman image mount "$image")
  python3 tools/sbom/dpkg-spdx.py --root "$mnt" --name "$image" --image-id "$id" \
    --label "dev.raibid.base.date=$BASE_DATE" \
    --label "dev.raibid.base.debian_version=$BASE_DEBIAN_VERSION" "$@" -o "$out" \
    || { podman image unmount "$image" >/dev/null; exit 1; }
  podman image unmount "$image" >/dev/null
  echo "sbom: $out ($(grep -c '"pkg:deb/' "$out") Debian packages)"
}

# Logs podman in to registry $1 for a push (REGISTRY_USERNAME and REGISTRY_PASSWORD_FILE; none
# without a user name; REGISTRY_INSECURE=1: plain HTTP), into a temporary auth file
# (REGISTRY_AUTH_FILE under $work) with the password on stdin, never in argv. Sets tls, scheme,
# insecure and creds: what `podman push` and raibid-push-sbom take to reach the same registry.
registry_login() {
  tls=true scheme=https insecure=() creds=()
  [ -n "${REGISTRY_INSECURE:-}" ] && { tls=false; scheme=http; insecure=(--insecure); }
  export REGISTRY_AUTH_FILE="$work/auth.json"
  rm -f "$REGISTRY_AUTH_FILE"
  if [ -n "${REGISTRY_USERNAME:-}" ]; then
    podman login --tls-verify="$tls" -u "$REGISTRY_USERNAME" --password-stdin "$1" \
      <"$REGISTRY_PASSWORD_FILE" >/dev/null
    creds=(--username "$REGISTRY_USERNAME" --password-file "$REGISTRY_PASSWORD_FILE")
  fi
}

# Podman's defaults fail here: its default ulimits exceed the sandbox's hard limits, and crun
# refuses hybrid cgroups. Everything below runs with this file (in $1).
containers_conf() {
  mkdir -p "$1"
  cat >"$1/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
  export CONTAINERS_CONF="$1/containers.conf"
}

# The Debian mirror this machine's apt uses (DEBIAN_MIRROR overrides it).
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return 0; fi
  { sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null
    sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list 2>/dev/null
  } | head -n1 || true
}

# The base image's name for this suite and architecture.
base_image_name() {
  if [ "$arch" = "$(dpkg --print-architecture)" ]; then
    echo "localhost/debian:$suite"
  else
    echo "localhost/debian:$suite-$arch"
  fi
}

# Makes $image_cache/debian-SUITE-ARCH.tar (and .env with its date and point release) unless it
# is there and REFRESH is unset.
bootstrap_tarball() {
  local tarball="$image_cache/debian-$suite-$arch.tar" rootfs mirror
  if [ -s "$tarball" ] && [ -z "${REFRESH:-}" ]; then return 0; fi
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { echo "base: no Debian mirror in /etc/apt; set DEBIAN_MIRROR" >&2; exit 1; }
  as_root mkdir -p "$image_cache"
  rootfs=$(mktemp -d "$image_cache/rootfs.XXXXXX")
  echo "base: debootstrap --variant=minbase --arch=$arch $suite from $mirror"
  local start=$SECONDS
  as_root debootstrap --variant=minbase --arch="$arch" "$suite" "$rootfs" "$mirror" \
    >"$image_cache/debootstrap-$suite-$arch.log" 2>&1 \
    || { echo "base: debootstrap failed, see $image_cache/debootstrap-$suite-$arch.log" >&2; exit 1; }
  # The image's apt: the suite, its updates and its security archive (deb.debian.org/debian and
  # deb.debian.org/debian-security side by side, as Debian's own images have them).
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_SECURITY_MIRROR:-$mirror-security}
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  { echo "BASE_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "BASE_DEBIAN_VERSION=$(cat "$rootfs/etc/debian_version")"
    echo "BASE_MIRROR=$mirror"
  } >"$tarball.env"
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  echo "base: $tarball in $((SECONDS - start)) s"
}

# Imports the tarball as base_image_name (once per tarball; REFRESH=1 imports a fresh one) and
# exports BASE_DATE and BASE_DEBIAN_VERSION for the images' labels.
make_base_image() {
  local base tarball="$image_cache/debian-$suite-$arch.tar"
  base=$(base_image_name)
  bootstrap_tarball
  # shellcheck disable=SC1090
  . "$tarball.env"
  export BASE_DATE BASE_DEBIAN_VERSION
  if podman image exists "$base" && [ -z "${REFRESH:-}" ] &&
    [ "$(podman image inspect "$base" --format '{{index .Labels "dev.raibid.base.date"}}')" = "$BASE_DATE" ]; then
    echo "base: $base exists (Debian $BASE_DEBIAN_VERSION, bootstrapped $BASE_DATE)"
    return 0
  fi
  podman import --arch "$arch" --change 'CMD ["/bin/bash"]' \
    --change "LABEL dev.raibid.base.date=$BASE_DATE" \
    --change "LABEL dev.raibid.base.debian_version=$BASE_DEBIAN_VERSION" \
    --change "LABEL org.opencontainers.image.base.name=debian:$suite" \
    "$tarball" "$base" >/dev/null
  echo "base: imported $base (Debian $BASE_DEBIAN_VERSION, bootstrapped $BASE_DATE)"
}
