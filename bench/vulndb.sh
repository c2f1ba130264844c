#!/usr/bin/env bash
# Vulnerability database and matching figures:
#   - building the DB from the whole shared advisory corpus (goal < 60 s), its size beside the feeds';
#   - opening it (goal < 20 ms);
#   - matching 10,000 packages (goal < 50 ms; kabuto-match's bench_match example);
#   - a whole `kabuto scan image` with vulnerabilities on the largest fixture image beside Trivy's
#     package-only scan of the same image (goal: faster), same run.
# Usage: bench/vulndb.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
shared=${KABUTO_SHARED:-$PWD/../shared}
feeds=$shared/vulndata
image=${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}/docker/debian-app.tar
[ -d "$feeds" ] || { echo "missing $feeds" >&2; exit 1; }
cargo build --release -q -p kabuto
cargo build --release -q -p kabuto-match --example bench_match
kabuto=$PWD/target/release/kabuto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/kabuto.db

start=$(date +%s.%N)
"$kabuto" db build --quiet --source "$feeds" --output "$db" >/dev/null
end=$(date +%s.%N)
printf 'build: %.1f s (goal < 60 s); feeds %s, database %s\n' "$(echo "$end - $start" | bc)" \
  "$(du -sh --apparent-size "$feeds" | cut -f1)" "$(du -h --apparent-size "$db" | cut -f1)"

target/release/examples/bench_match "$db"

best() { # best wall time of $runs runs of a command, in seconds
  local best=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" -o "$tmp/t" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    local t; t=$(cat "$tmp/t")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}
if [ -f "$image" ] && command -v trivy-peer >/dev/null; then
  ours=$(best "$kabuto" scan image "$image" --quiet --scanners vuln --db "$db" --format json -o "$tmp/k.json")
  # Package-only: Trivy's CycloneDX output turns vulnerability scanning off by itself.
  theirs=$(best trivy-peer image --quiet --cache-backend memory --format cyclonedx \
    --output "$tmp/t.json" --input "$image")
  printf 'scan image with vulnerabilities: kabuto %.2f s; trivy package-only %.2f s; ratio %.2f (goal < 1)\n' \
    "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
else
  echo "skipped the image comparison: fixture image or trivy-peer missing"
fi
