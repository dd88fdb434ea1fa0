#!/usr/bin/env bash
# Configures and builds raibid-agent, its tests and benchmarks into ./build (2 parallel jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -B build -S . -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build -j"${JOBS:-2}"
