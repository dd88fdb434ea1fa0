#!/usr/bin/env bash
# Configures and builds into ./build (2 parallel jobs; JOBS=n for more): every target, or only the
# ones named (scripts/build.sh raibid-agent builds the agent and its reaper, nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -B build -S . -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"${JOBS:-2}" "${targets[@]}"
