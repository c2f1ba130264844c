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

# A generated single-layer image too (450 MB of incompressible files and a dpkg status): with
# one layer there is no other layer to overlap the hashing with.
python3 - "$tmp/big.tar" <<'PY'
import hashlib, io, json, os, sys, tarfile
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w") as t:
    data = os.urandom(1_500_000)
    for i in range(300):
        info = tarfile.TarInfo(f"usr/share/blob/{i}.bin"); info.size = len(data)
        t.addfile(info, io.BytesIO(data[i:] + data[:i]))
    status = b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n\n"
    info = tarfile.TarInfo("var/lib/dpkg/status"); info.size = len(status)
    t.addfile(info, io.BytesIO(status))
layer = layer.getvalue()
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
name = hashlib.sha256(config).hexdigest() + ".json"
manifest = json.dumps([{"Config": name, "RepoTags": ["big:1"], "Layers": ["l/layer.tar"]}]).encode()
with tarfile.open(sys.argv[1], "w") as t:
    for member, data in [(name, config), ("l/layer.tar", layer), ("manifest.json", manifest)]:
        info = tarfile.TarInfo(member); info.size = len(data); t.addfile(info, io.BytesIO(data))
PY

echo "$(nproc) cores, best of $runs"
for target in "$image" "$tmp/big.tar"; do
  cat "$target" >/dev/null
  size_mb=$(( $(stat -c %s "$target") / 1000000 ))
  floor=$(best_of openssl dgst -sha256 "$target")
  ours=$(best_of "$kabuto" --quiet sbom "$target" --format json -o "$tmp/sbom.json")
  echo "$(basename "$target") ($size_mb MB)"
  printf '  %-34s %6s s\n' "openssl dgst -sha256 (the floor)" "$floor"
  printf '  %-34s %6s s\n' "kabuto sbom" "$ours"
  awk -v a="$ours" -v b="$floor" 'BEGIN{printf "  ratio kabuto/floor: %.2f\n", a/b}'
done
