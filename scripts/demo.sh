#!/usr/bin/env bash
# The first command of the README: installs what the demo needs (scripts/install-deps.sh --demo),
# builds the agent alone (no tests, no benchmarks), then shows it doing its job on an embedded
# default. It starts a throwaway redis-server on a free port, makes an example repository (a small
# Rust crate when cargo is available, a shell project otherwise), starts an agent, submits one job
# and streams its log until it ends. Everything lives in a temporary directory removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
./scripts/install-deps.sh --demo
# Its own build directory, optimised but without debug information (a third less compile time
# than the tests' RelWithDebInfo build in build/).
echo "demo: building raibid-agent into build-demo/ (about 3 minutes on 2 cores the first time)"
cmake -B build-demo -S . -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  >/dev/null
cmake --build build-demo -j"${JOBS:-2}" --target raibid-agent >/dev/null
agent="$root/build-demo/raibid-agent"

demo=$(mktemp -d /tmp/raibid-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$demo"
}
trap cleanup EXIT

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$demo" \
  >"$demo/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
echo "demo: redis-server on 127.0.0.1:$port"

# The example repository.
repo="$demo/example"
mkdir -p "$repo"
export PATH="$PATH:/root/.cargo/bin:$HOME/.cargo/bin"
[ -d "$HOME/.rustup" ] && export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
if command -v cargo >/dev/null 2>&1; then
  mkdir -p "$repo/src"
  printf '[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n' >"$repo/Cargo.toml"
  cat >"$repo/src/main.rs" <<'RS'
fn greeting(name: &str) -> String { format!("hello, {name}") }
fn main() { println!("{}", greeting("raibid")); }
#[cfg(test)]
mod tests { #[test] fn greets() { assert_eq!(super::greeting("ci"), "hello, ci"); } }
RS
  cat >"$repo/.raibid.yaml" <<'YML'
language: rust
cache:
  paths: ["target/"]
steps:
  - name: test
    command: cargo test --offline
  - name: build
    command: |
      cargo build --release --offline
      ./target/release/hello
YML
else
  printf '#!/bin/sh\necho "hello, $1"\n' >"$repo/hello.sh"
  cat >"$repo/.raibid.yaml" <<'YML'
steps:
  - name: test
    command: test "$(sh hello.sh ci)" = "hello, ci" && echo "test passed"
  - name: build
    command: |
      echo "building $RAIBID_COMMIT on ${RAIBID_BRANCH}"
      sh hello.sh raibid
YML
fi
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -qm "example project"
echo "demo: example repository at $repo ($(git -C "$repo" rev-parse --short HEAD))"

cat >"$demo/agent.yaml" <<YML
agent:
  http:
    listen: "127.0.0.1:0"
  cache:
    path: "$demo/cache"
  timeout:
    default_minutes: 10
  redis:
    url: "redis://127.0.0.1:$port"
    consumer_name: "demo-agent"
  work_dir: "$demo/work"
  shell:
    # Steps get a fresh environment with HOME the job's own: a rustup toolchain is found
    # through RUSTUP_HOME, passed on from the agent's environment.
    env_passthrough: "PATH, LANG, LC_ALL, TZ, TERM, RUSTUP_HOME"
YML
"$agent" run --config "$demo/agent.yaml" 2>"$demo/agent.log" &
pids+=($!)
echo "demo: agent started (log: $demo/agent.log); submitting a job"
echo

printf '{"repository": "file://%s", "branch": "main"}\n' "$repo" >"$demo/job.json"
set +e
"$agent" submit --redis "redis://127.0.0.1:$port" --follow "$demo/job.json" | tee "$demo/out.txt"
rc=${PIPESTATUS[0]}
set -e
job_id=$(head -1 "$demo/out.txt")
echo
"$agent" status --redis "redis://127.0.0.1:$port" "$job_id"
echo
if [ "$rc" -eq 0 ]; then echo "demo: the job succeeded"; else echo "demo: the job did not succeed (exit $rc)"; cat "$demo/agent.log"; fi
exit "$rc"
