#!/usr/bin/env bash
# Builds raibid's toolchain images (images/builders/*/Containerfile) with buildah from a Debian
# base made by debootstrap (scripts/debian-base.sh: no registry needed), tags them as
# agent.docker.language_image's default "raibid/{language}-builder:{version}" expects, and writes
# each one's SBOM (SPDX 2.3 JSON, from the image's dpkg database) beside it. Opt-in and slow
# (minutes per image); see docs/builders.md.
#
#   scripts/builder-images.sh [IMAGE...]         build (default: rust node go python)
#   scripts/builder-images.sh push REGISTRY      push what was built, each with its SBOM
#
# IMAGE is rust (Debian's rustc), rust-web (Debian's newer rustc-web), rust-rustup (rustup's
# RUST_TOOLCHAIN, network needed), node, go or python. Environment:
#   ARCH=arm64          build for another architecture (debootstrap --arch, buildah --arch; needs
#                       qemu-user-static), default the host's
#   PREFIX=localhost/raibid   the images' names: PREFIX/<language>-builder:<tag>
#   RAIBID_IMAGE_CACHE  where the debootstrap tarball is kept between runs
#   REFRESH=1           bootstrap the base again (security updates; see docs/builders.md)
#   BUILDER_ARGS        more buildah bud arguments, e.g. "--build-arg RUST_TOOLCHAIN=1.75.0"
#   REGISTRY_USERNAME, REGISTRY_PASSWORD_FILE, REGISTRY_INSECURE=1   for `push`
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="${BUILD_DIR:-$root/build-deploy}/builders"
prefix="${PREFIX:-localhost/raibid}"
. scripts/debian-base.sh

install_tools() { scripts/install-deps.sh --packages buildah podman runc debootstrap uidmap python3; }

# The Containerfile directory and build arguments of each IMAGE name.
image_dir() { case "$1" in rust*) echo rust ;; *) echo "$1" ;; esac; }
image_args() {
  case "$1" in
    rust) echo "--build-arg RUST=debian" ;;
    rust-web) echo "--build-arg RUST=web" ;;
    rust-rustup) echo "--build-arg RUST=rustup" ;;
  esac
}

# The toolchain's version inside a built image: "1.63.0", "18.19.0", "1.19.8", "3.11.2".
toolchain_version() {
  local cmd
  case "$1" in
    rust*) cmd='rustc --version' ;;
    node) cmd='node --version' ;;
    go) cmd='go version' ;;
    python) cmd='python3 --version' ;;
  esac
  podman run --rm --network none "$2" sh -c "$cmd" | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n1
}

# Tags for a version: the full version and major.minor (either may be what `rust_version` says);
# the images of Debian's default toolchains also get `latest` (what the template gives languages
# other than rust, and rust without rust_version).
version_tags() {
  local name=$1 version=$2
  echo "$version"
  [ "${version%.*}" != "$version" ] && [ "${version#*.*.}" != "$version" ] && echo "${version%.*}"
  case "$name" in rust-web | rust-rustup) ;; *) echo latest ;; esac
}

build_one() {
  local name=$1 dir lang repo tmp start version tag id
  dir=$(image_dir "$name")
  lang=$dir
  repo="$prefix/$lang-builder"
  tmp="$repo:build-$name"
  start=$SECONDS
  echo "builders: buildah bud $name ($(image_args "$name"))"
  # shellcheck disable=SC2046,SC2086
  buildah bud --isolation chroot --layers --arch "$arch" --build-arg BASE="$(base_image_name)" \
    $(image_args "$name") ${BUILDER_ARGS:-} \
    --label "dev.raibid.base.date=$BASE_DATE" \
    --label "dev.raibid.base.debian_version=$BASE_DEBIAN_VERSION" \
    --label "org.opencontainers.image.base.name=debian:$suite" \
    --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -t "$tmp" -f "images/builders/$dir/Containerfile" "images/builders/$dir" \
    >"$work/$name.log" 2>&1 || { echo "builders: $name failed, see $work/$name.log"; exit 1; }
  version=$(toolchain_version "$name" "$tmp")
  [ -n "$version" ] || { echo "builders: no toolchain version in $tmp"; exit 1; }
  for tag in $(version_tags "$name" "$version"); do podman tag "$tmp" "$repo:$tag"; done
  podman untag "$tmp" "$tmp"
  id=$(podman image inspect "$repo:$version" --format '{{.Id}}')
  write_sbom "$repo:$version" "sha256:$id" "$work/sbom/$lang-builder-$version.spdx.json"
  echo "$repo $(version_tags "$name" "$version" | tr '\n' ' ')" >>"$work/built.txt"
  echo "builders: $repo:$version ($(version_tags "$name" "$version" | tr '\n' ' ')) in $((SECONDS - start)) s"
}

# Pushes every image built (built.txt) with all its tags, then its SBOM beside the versioned tag.
# The password goes to `podman login --password-stdin` (a temporary auth file), never into argv.
push_all() {
  local registry=$1 repo tags tag version name pusher
  pusher="${RAIBID_PUSH_SBOM:-$root/build/raibid-push-sbom}"
  [ -x "$pusher" ] || { echo "builders: $pusher missing (cmake --build build --target raibid-push-sbom)"; exit 1; }
  registry_login "$registry"
  sort -u "$work/built.txt" | while read -r repo tags; do
    name=${repo#"$prefix"/}
    for tag in $tags; do
      podman push --tls-verify="$tls" "$repo:$tag" "docker://$registry/raibid/$name:$tag" >/dev/null
    done
    version=${tags%% *}
    "$pusher" --registry "$scheme://$registry" "${insecure[@]}" "${creds[@]}" \
      --repository "raibid/$name" --image "$version" --sbom "$work/sbom/$name-$version.spdx.json"
  done
  rm -f "$REGISTRY_AUTH_FILE"
}

main() {
  install_tools
  mkdir -p "$work"
  containers_conf "$work"
  if [ "${1:-}" = push ]; then
    [ -n "${2:-}" ] || { echo "usage: $0 push REGISTRY" >&2; exit 2; }
    push_all "$2"
    return 0
  fi
  local names=("$@") name
  [ "${#names[@]}" -gt 0 ] || names=(rust node go python)
  for name in "${names[@]}"; do
    case "$name" in
      rust | rust-web | rust-rustup | node | go | python) ;;
      *) echo "usage: $0 [rust|rust-web|rust-rustup|node|go|python ...] | push REGISTRY" >&2; exit 2 ;;
    esac
  done
  make_base_image
  for name in "${names[@]}"; do build_one "$name"; done
}

main "$@"
