#!/usr/bin/env bash
# Builds and runs every benchmark under bench/ (the *_bench.cc programs and the *_bench.sh
# scripts); each prints its figure beside a baseline measured in the same run. Pass names to run
# only some: scripts/bench.sh latency_bench idle_rss_bench demo_build_bench
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
./scripts/build.sh >/dev/null
if [ "$#" -gt 0 ]; then
  benches=("$@")
else
  benches=()
  for f in bench/*_bench.cc bench/*_bench.sh; do benches+=("$(basename "${f%.*}")"); done
fi
for b in "${benches[@]}"; do
  echo "=== $b"
  if [ -x "bench/$b.sh" ]; then "bench/$b.sh"; else ./build/bench/"$b"; fi
  echo
done
