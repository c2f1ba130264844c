#!/usr/bin/env bash
# Misconfiguration scanning: kabuto-misconfig vs `trivy-peer config`, on the crate's fixtures
# and on 1,000 generated Kubernetes manifests. Prints both wall times and the ratio.
# Usage: bench/misconfig.sh [RUNS]   (default 3; the best run of each is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
FIXTURES=crates/scan/3-misconfig/tests/fixtures

cargo build --quiet --release -p kabuto-misconfig --example misconfig_scan
KABUTO=target/release/examples/misconfig_scan

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
GENERATED=$WORK/generated
mkdir -p "$GENERATED"
# 1,000 manifests: the fixture workloads with distinct names, one file each.
sources=("$FIXTURES/bad/deployment.yaml" "$FIXTURES/hardened/deployment.yaml" "$FIXTURES/peer-basic/deployment.yaml" "$FIXTURES/cronjob/cronjob.yaml" "$FIXTURES/helm-rendered/rendered.yaml")
for i in $(seq 1 1000); do
  src=${sources[$((i % ${#sources[@]}))]}
  sed "s/^  name: \([a-z0-9-]*\)$/  name: \1-$i/" "$src" > "$GENERATED/manifest-$i.yaml"
done

best_time() { # best wall time in seconds over $RUNS runs of "$@"
  local best=""
  for _ in $(seq 1 "$RUNS"); do
    local start end t
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%.3f' "$best"
}

have_trivy=1
command -v trivy-peer > /dev/null || { have_trivy=0; echo "note: trivy-peer not installed; only Kabuto is timed"; }

printf '%-22s %12s %12s %8s\n' "corpus" "kabuto (s)" "trivy (s)" "ratio"
for corpus in "$FIXTURES" "$GENERATED"; do
  name=$([ "$corpus" = "$FIXTURES" ] && echo "fixtures" || echo "1000 manifests")
  k=$(best_time "$KABUTO" "$corpus")
  if [ "$have_trivy" = 1 ]; then
    t=$(best_time trivy-peer config --skip-check-update --quiet --cache-dir "$WORK/trivy-cache" "$corpus")
    ratio=$(echo "$t / $k" | bc -l)
    printf '%-22s %12s %12s %7.1fx\n' "$name" "$k" "$t" "$ratio"
  else
    printf '%-22s %12s %12s %8s\n' "$name" "$k" "-" "-"
  fi
done
"$KABUTO" "$GENERATED" 2>&1 | sed 's/^/kabuto on 1000 manifests: /'
