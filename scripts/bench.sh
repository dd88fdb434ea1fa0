#!/usr/bin/env bash
# Builds and runs every benchmark under bench/; each prints its figure beside a baseline measured
# in the same run. Pass names to run only some: scripts/bench.sh latency_bench idle_rss_bench
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
./scripts/build.sh >/dev/null
if [ "$#" -gt 0 ]; then
  benches=("$@")
else
  benches=()
  for f in bench/*_bench.cc; do benches+=("$(basename "$f" .cc)"); done
fi
for b in "${benches[@]}"; do
  echo "=== $b"
  ./build/bench/"$b"
  echo
done
