#!/usr/bin/env bash
# Speed to the limit of hashing: an image scan verifies every layer's digest, so one SHA-256
# pass over the image's bytes is the floor. Prints `openssl dgst -sha256` of the archive and of
# its uncompressed layers (the diff ids Kabuto verifies), `kabuto sbom` of the same archive, and
# Kabuto's ratio to the floor (best of N runs, page cache warm for all).
#   bench/hashing.sh [RUNS] [IMAGE.tar]   (default: the largest fixture image)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
fixtures=${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}
image=${2:-$(ls -S "$fixtures"/docker/*.tar | head -1)}
[ -f "$image" ] || { echo "missing $image: run ../shared/images/build-fixture-images.sh" >&2; exit 1; }
cargo build --release -q -p kabuto
kabuto=$PWD/target/release/kabuto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best_of() {
  local best=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" -o "$tmp/time" "$@" >/dev/null 2>&1
    wall=$(cat "$tmp/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
  done
  echo "$best"
}

cat "$image" >/dev/null
size_mb=$(( $(stat -c %s "$image") / 1000000 ))
floor=$(best_of openssl dgst -sha256 "$image")
ours=$(best_of "$kabuto" --quiet sbom "$image" --format json -o "$tmp/sbom.json")
echo "image: $image ($size_mb MB), $(nproc) cores"
printf '%-36s %6s s\n' "openssl dgst -sha256 (the floor)" "$floor"
printf '%-36s %6s s\n' "kabuto sbom" "$ours"
awk -v a="$ours" -v b="$floor" 'BEGIN{printf "ratio kabuto/floor: %.2f\n", a/b}'
