#!/usr/bin/env bash
# Builds the raibid-agent container image from ./Dockerfile with buildah, without a Docker engine
# and without a registry, then checks that the image runs a job. Idempotent; slow (it compiles
# the agent inside the build stage), so it is not part of .ci/run. See docs/deploy.md.
#
#   scripts/image.sh            base image (once), image build, smoke test
#   scripts/image.sh build      base image (once), image build only
#   scripts/image.sh smoke      smoke test of an image already built
#
# Base image: no registry is reachable, so scripts/debian-base.sh makes localhost/debian:bookworm
# with debootstrap (its tarball kept under RAIBID_IMAGE_CACHE between runs), used for both stages
# (BUILD_BASE and RUNTIME_BASE). The image's SBOM (SPDX 2.3, its dpkg database plus the agent's
# own build) is written beside it; `scripts/image.sh push REGISTRY` pushes both (docs/builders.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="${BUILD_DIR:-$root/build-deploy}/image"
. scripts/debian-base.sh
base=$(base_image_name)
version=$(sed -n 's/^project(raibid-agent VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
image="${IMAGE:-localhost/raibid-agent:$version}"

install_tools() { scripts/install-deps.sh --packages buildah podman runc debootstrap uidmap fuse-overlayfs redis-server curl; }

build_image() {
  echo "image: buildah bud --isolation chroot -t $image"
  local start=$SECONDS
  # buildah's own status decides (under pipefail a `| grep ... || true` hid a failed build).
  if ! buildah bud --isolation chroot --layers \
    --build-arg BUILD_BASE="$base" --build-arg RUNTIME_BASE="$base" \
    --build-arg BUILD_JOBS="${JOBS:-2}" \
    -t "$image" -f Dockerfile . >"$work/build.log" 2>&1; then
    grep -E '(STEP [0-9]+/|rror)' "$work/build.log" | tail -n 15
    echo "image: build failed, see $work/build.log"
    exit 1
  fi
  grep -E '(STEP [0-9]+/|^COMMIT)' "$work/build.log" || true
  echo "image: built $image in $((SECONDS - start)) s"
  podman image inspect "$image" --format 'image: {{.Id}} {{.Size}} bytes, arch {{.Architecture}}'
  write_agent_sbom
}

# The image's dpkg database plus the agent itself: the packages owning the libraries it loads
# and the -dev packages it was compiled against (both recorded by the Dockerfile's build stage).
write_agent_sbom() {
  local id doc=/usr/share/doc/raibid-agent
  id=$(podman image inspect "$image" --format '{{.Id}}')
  write_sbom "$image" "sha256:$id" "$work/sbom/raibid-agent-$version.spdx.json" \
    --agent-version "$version" --agent-runtime "$doc/runtime-packages.txt" \
    --agent-build "$doc/build-packages.txt"
}

# Pushes the image and its SBOM (REGISTRY_USERNAME / REGISTRY_PASSWORD_FILE / REGISTRY_INSECURE=1);
# the password goes to `podman login --password-stdin` (a temporary auth file), never into argv.
push_image() {
  local registry=$1 name=${image#localhost/}
  registry_login "$registry"
  podman push --tls-verify="$tls" "$image" "docker://$registry/$name" >/dev/null
  "${RAIBID_PUSH_SBOM:-$root/build/raibid-push-sbom}" --registry "$scheme://$registry" \
    "${insecure[@]}" "${creds[@]}" --repository "${name%:*}" --image "${name##*:}" \
    --sbom "$work/sbom/raibid-agent-$version.spdx.json"
  rm -f "$REGISTRY_AUTH_FILE"
}

# The docker executor benchmark's Rust image (bench/images/rust-builder: raibid's Rust builder
# plus vendored crates), made once and kept.
rust_builder="${RUST_BUILDER:-localhost/raibid/rust-bench:1.63.0}"
build_rust_builder() {
  if podman image exists "$rust_builder"; then
    echo "image: $rust_builder exists"
    return 0
  fi
  podman image exists localhost/raibid/rust-builder:1.63.0 || scripts/builder-images.sh rust
  echo "image: buildah bud -t $rust_builder"
  buildah bud --isolation chroot -t "$rust_builder" \
    -f bench/images/rust-builder/Containerfile bench/images/rust-builder >"$work/rust-builder.log" 2>&1 \
    || { echo "image: rust builder failed, see $work/rust-builder.log"; exit 1; }
  echo "image: built $rust_builder"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Runs the built image the way deploy/base/deployment.yaml runs it: as uid 10001 with a read-only
# root file system, no capabilities, writable /tmp and /var/lib/raibid only, the credential files
# at the Deployment's paths, and deploy/base/configmap.yaml's own agent.yaml (only the Redis
# address and the HTTP port changed to loopback ones), against a real redis-server that requires a
# password.
# One job goes through `submit --follow`; the HTTP endpoints answer; SIGTERM ends it with 0.
smoke_test() {
  local redis_port http_port rc password=smoke-redis-secret
  tmp=$(mktemp -d)
  redis_pid=""
  trap 'podman rm -f raibid-smoke >/dev/null 2>&1 || true; [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
  echo "image: smoke test of $image"
  podman rm -f raibid-smoke >/dev/null 2>&1 || true
  podman run --rm --entrypoint raibid-agent "$image" --version
  [ "$(podman run --rm --entrypoint id "$image" -u)" = 10001 ] || { echo "image: not uid 10001"; exit 1; }
  podman run --rm --entrypoint bash "$image" -c \
    'set -e; git --version; runc --version | head -n1; ssh -V 2>&1; test -w /var/cache/raibid; test -w /var/lib/raibid/work'

  redis_port=$(free_port)
  http_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --requirepass "$password" >"$tmp/redis.log" 2>&1 &
  redis_pid=$!
  make_smoke_repo "$tmp/repo"
  # /var/lib/raibid is an emptyDir in the pod (writable through fsGroup 10001): a directory here.
  mkdir -p "$tmp/git" "$tmp/registry" "$tmp/home"
  chown 10001:10001 "$tmp/home"
  echo smoke-gitea-token >"$tmp/git/token"
  echo smoke-registry-password >"$tmp/registry/password"
  chmod 644 "$tmp/git/token" "$tmp/registry/password"
  sed -n '/^  agent.yaml: |$/,$p' deploy/base/configmap.yaml | tail -n +2 | sed 's/^    //' \
    | sed -e "s/redis\.raibid-ci\.svc\.cluster\.local:6379/127.0.0.1:$redis_port/" \
          -e "s/0\.0\.0\.0:9090/127.0.0.1:$http_port/" >"$tmp/agent.yaml"
  chmod 644 "$tmp/agent.yaml"
  grep -q "127.0.0.1:$redis_port" "$tmp/agent.yaml" || { echo "image: cannot adapt configmap.yaml"; exit 1; }

  podman run -d --name raibid-smoke --network host --user 10001:10001 --read-only \
    --cap-drop ALL --security-opt no-new-privileges \
    -v "$tmp/home:/var/lib/raibid" \
    -e POD_NAME=smoke-agent -e REDIS_PASSWORD="$password" \
    -v "$tmp/agent.yaml:/etc/raibid/agent.yaml:ro" \
    -v "$tmp/git:/var/run/secrets/raibid/git:ro" -v "$tmp/registry:/var/run/secrets/raibid/registry:ro" \
    -v "$tmp/repo:/repo:ro" "$image" --config /etc/raibid/agent.yaml >/dev/null

  echo '{"repository": "file:///repo", "branch": "main", "pipeline": {"steps": [{"name": "build", "command": "bash build.sh"}]}}' \
    | podman run --rm -i --network host --entrypoint raibid-agent "$image" \
        submit --redis "redis://:$password@127.0.0.1:$redis_port" - --follow | tee "$tmp/job.out"
  grep -q "built on $(uname -m) as uid 10001" "$tmp/job.out" \
    || { echo "image: the job's output is missing"; podman logs raibid-smoke 2>&1 | tail -n 20; exit 1; }

  local path code
  for path in healthz readyz startupz metrics; do
    code=$(curl -s -o "$tmp/$path.out" -w '%{http_code}' "http://127.0.0.1:$http_port/$path" || true)
    echo "image: GET /$path -> ${code:-no answer}"
    [ "$code" = 200 ] || { echo "image: /$path did not answer 200"; exit 1; }
  done
  grep -E '^raibid_jobs_total' "$tmp/metrics.out" || { echo "image: no raibid_jobs_total"; exit 1; }

  if podman logs raibid-smoke 2>&1 | grep -i 'unknown key'; then
    echo "image: deploy/base/configmap.yaml has keys the agent does not know"; exit 1
  fi
  podman stop -t 30 raibid-smoke >/dev/null
  rc=$(podman inspect raibid-smoke --format '{{.State.ExitCode}}')
  podman logs raibid-smoke 2>&1 | tail -n 5
  echo "image: the agent exited $rc after SIGTERM"
  [ "$rc" = 0 ] || exit 1
  echo "image: smoke test passed"
}

# A one-commit repository the agent's user can read (git refuses repositories owned by others).
make_smoke_repo() {
  git init -q -b main "$1"
  printf 'echo "built on $(uname -m) as uid $(id -u)"\n' >"$1/build.sh"
  git -C "$1" add build.sh
  git -C "$1" -c user.name=smoke -c user.email=smoke@example.com commit -qm init
  chown -R 10001:10001 "$1"
}

main() {
  install_tools
  containers_conf "$work"
  case "${1:-all}" in
    build) make_base_image; build_image ;;
    smoke) smoke_test ;;
    rust-builder) make_base_image; build_rust_builder ;;
    push) [ -n "${2:-}" ] || { echo "usage: $0 push REGISTRY" >&2; exit 2; }; push_image "$2" ;;
    all) make_base_image; build_image; smoke_test ;;
    *) echo "usage: $0 [all|build|smoke|rust-builder|push REGISTRY]" >&2; exit 2 ;;
  esac
}

main "$@"
