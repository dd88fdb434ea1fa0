#!/usr/bin/env bash
# CTest deb_package: packs the already-built agent with CPack, unpacks the .deb into a fresh root,
# runs `raibid-agent --version` from there, checks the layout, the unit and the dependencies, and
# runs lintian on the package. Writes only under WORK_DIR (inside the build directory).
#
#   deb_test.sh BUILD_DIR WORK_DIR VERSION
# Exit 0 passed, 1 failed, 77 skipped (no dpkg-deb: not a Debian system).
set -euo pipefail
build=$1 work=$2 version=$3

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "SKIP: dpkg-deb not found: not a Debian system"; exit 77; }
for program in raibid-agent raibid-agent-reaper; do
  [ -x "$build/$program" ] || fail "$build/$program is not built (cmake --build $build)"
done

rm -rf "$work"
mkdir -p "$work/out" "$work/root" "$work/home"
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache"  # lintian's and cpack's scratch

echo "== cpack"
cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
debs=("$work"/out/raibid-agent_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb in $work/out"
deb=${debs[0]}
echo "$deb"
dpkg-deb --field "$deb"

echo "== install into a fresh root"
dpkg-deb -x "$deb" "$work/root"
root=$work/root
for f in usr/bin/raibid-agent usr/libexec/raibid-agent/raibid-agent-reaper \
         etc/raibid/agent.yaml lib/systemd/system/raibid-agent.service \
         usr/share/man/man1/raibid-agent.1.gz usr/share/doc/raibid-agent/copyright \
         usr/share/doc/raibid-agent/examples/agent.yaml; do
  [ -e "$root/$f" ] || fail "/$f is not in the package"
done
out=$("$root/usr/bin/raibid-agent" --version)
echo "raibid-agent --version: $out"
[[ "$out" == *"$version"* ]] || fail "--version printed '$out', expected $version"
cmp -s "$root/etc/raibid/agent.yaml" "$root/usr/share/doc/raibid-agent/examples/agent.yaml" ||
  fail "/etc/raibid/agent.yaml is not the shipped example"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/raibid/agent.yaml "$work/control/conffiles" ||
  fail "/etc/raibid/agent.yaml is not a conffile"

echo "== a job run by the installed agent"
# The shipped configuration (only the HTTP port changed, to a free one), a throwaway Redis, and
# a step that names its parent: the reaper the installed agent found under /usr/libexec.
if command -v redis-server >/dev/null; then
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait' EXIT
  port=$((20000 + RANDOM % 20000))
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((20000 + RANDOM % 20000)); done
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    >"$work/redis.log" 2>&1 &
  pids+=($!)
  sed 's|^    listen: .*|    listen: "127.0.0.1:0"|' "$root/etc/raibid/agent.yaml" >"$work/agent.yaml"
  repo=$work/repo
  git init -q -b main "$repo"
  git -C "$repo" -c user.name=t -c user.email=t@example.com commit -q --allow-empty -m start
  export REDIS_URL="redis://127.0.0.1:$port" POD_NAME=deb-test
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  "$root/usr/bin/raibid-agent" run --config "$work/agent.yaml" --work-dir "$work/jobs" \
    --cache-dir "$work/cache" 2>"$work/agent.log" &
  pids+=($!)
  printf '{"repository": "file://%s", "branch": "main", "pipeline": {"steps": [%s]}}\n' "$repo" \
    '{"name": "parent", "command": "echo \"parent: $(readlink /proc/$PPID/exe)\""}' >"$work/job.json"
  timeout 60 "$root/usr/bin/raibid-agent" submit --redis "$REDIS_URL" --follow "$work/job.json" \
    >"$work/job.log" 2>&1 || { cat "$work/job.log" "$work/agent.log"; fail "the job failed"; }
  grep -qx "parent: $root/usr/libexec/raibid-agent/raibid-agent-reaper" "$work/job.log" ||
    { cat "$work/job.log"; fail "the step's parent is not the installed reaper"; }
  echo "the step ran under $root/usr/libexec/raibid-agent/raibid-agent-reaper"
else
  echo "skipped: redis-server is not installed"
fi

echo "== the unit"
unit=$root/lib/systemd/system/raibid-agent.service
grep -qx 'ExecStart=/usr/bin/raibid-agent run --config /etc/raibid/agent.yaml' "$unit" ||
  fail "ExecStart does not name /usr/bin/raibid-agent: $(grep ExecStart= "$unit")"
grace=$(awk '/^ *shutdown_grace_seconds:/ { print $2 }' "$root/etc/raibid/agent.yaml")
stop=$(sed -n 's/^TimeoutStopSec=//p' "$unit")
[ "$stop" -gt "$grace" ] || fail "TimeoutStopSec=$stop does not cover shutdown_grace_seconds $grace"
if command -v systemd-analyze >/dev/null; then
  # A copy whose ExecStart names the unpacked binary; verify exits 0 on unknown keys, so any
  # complaint fails.
  mkdir -p "$work/verify"
  sed "s|=/usr/bin/raibid-agent |=$root/usr/bin/raibid-agent |" "$unit" \
    >"$work/verify/raibid-agent.service"
  complaints=$(systemd-analyze verify --man=no "$work/verify/raibid-agent.service" 2>&1) &&
    [ -z "$complaints" ] || fail "systemd-analyze verify: $complaints"
fi

echo "== dependencies"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
named() { [[ ", $depends," == *", $1,"* || ", $depends," == *", $1 ("* ]]; }
named git || fail "git is not a dependency"
# The libraries the agent opens on first use (dlopen), which dpkg-shlibdeps cannot see.
for pkg in libcurl4 libarchive13 libssl3; do named "$pkg" || fail "$pkg (opened on first use) is not in Depends"; done
[[ "$(dpkg-deb -f "$deb" Suggests)" == *podman* ]] || fail "podman is not suggested"
# Every package owning a shared library the agent links (its NEEDED entries; their own
# dependencies are theirs to name) is in Depends, or a name it provides (libspdlog1.10 provides
# libspdlog1.10-fmt9, the name its shlibs file gives).
needed=$(objdump -p "$build/raibid-agent" | awk '$1 == "NEEDED" { print $2 }')
[ -n "$needed" ] || fail "objdump found no NEEDED entries"
for lib in $(ldd "$build/raibid-agent" | awk -v needed="$needed" '
               BEGIN { split(needed, n, "\n"); for (i in n) want[n[i]] = 1 }
               $1 in want && $2 == "=>" && $3 ~ /^\// { print $3 }'); do
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null) ||
    fail "no package owns $lib"
  # "libspdlog1.10:amd64: /usr/lib/...": ask about that architecture's package only (a machine
  # with arm64 twins installed for cross-builds has two, each with its own Provides).
  owner_pkg=${owner%%: *}
  pkg=${owner_pkg%%:*}
  provides=$(dpkg-query -W -f='${Provides}\n' "$owner_pkg" | sed 's/ *([^)]*)//g; s/,/ /g')
  found=no
  for name in "$pkg" $provides; do named "$name" && found=yes; done
  [ "$found" = yes ] || fail "$lib ($pkg) is not in Depends"
done

echo "== lintian"
if ! command -v lintian >/dev/null; then
  echo "SKIP: lintian is not installed (apt-get install lintian; scripts/install-deps.sh does)"
  exit 77
fi
lintian --fail-on error,warning --display-info "$deb" | tee "$work/lintian.log" ||
  fail "lintian found problems (above)"
echo "deb_package: passed"
