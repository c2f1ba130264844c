#!/usr/bin/env bash
# Inventory speed and memory: `kabuto sbom` beside `syft` and `trivy` on the largest fixture
# image, all caches off, same run; then Kabuto's peak memory on a generated multi-GB image.
# Prints wall time (best of N) and peak RSS for each tool, and Kabuto's ratio to each peer.
# Needs: ../shared fixture images (scripts/test.sh builds them) and the peers
# (../shared/peers/install-peers.sh). Usage: bench/sbom.sh [RUNS] [BIG_IMAGE_GB]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
big_gb=${2:-3}
fixtures=${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}
image=$fixtures/docker/debian-app.tar
[ -f "$image" ] || { echo "missing $image: run ../shared/images/build-fixture-images.sh" >&2; exit 1; }
command -v trivy-peer >/dev/null && command -v syft-peer >/dev/null ||
  { echo "peers missing: run ../shared/peers/install-peers.sh" >&2; exit 1; }
cargo build --release -q -p kabuto
kabuto=$PWD/target/release/kabuto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SYFT_CHECK_FOR_APP_UPDATE=false

# best_of NAME CMD...: runs CMD $runs times; prints "NAME best_wall_s max_rss_mb".
best_of() {
  local name=$1; shift
  local best="" rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" ||
      { cat "$tmp/err" >&2; echo "$name failed" >&2; exit 1; }
    read -r wall kb <"$tmp/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  echo "$name $best $((rss / 1024))"
}

echo "image: $image ($(du -h "$image" | cut -f1)), best of $runs runs"
{
  best_of kabuto "$kabuto" sbom "$image" --quiet --format cyclonedx -o "$tmp/k.json"
  best_of syft syft-peer scan -q "docker-archive:$image" -o "cyclonedx-json=$tmp/s.json"
  # Trivy's cache is off: the in-memory backend starts empty every run.
  best_of trivy trivy-peer image --quiet --cache-backend memory --format cyclonedx \
    --output "$tmp/t.json" --input "$image"
} >"$tmp/results"
awk '
  { wall[$1] = $2; rss[$1] = $3; order[NR] = $1 }
  END {
    printf "%-8s %10s %12s\n", "tool", "wall (s)", "peak RSS (MB)"
    for (i = 1; i <= NR; i++) printf "%-8s %10.3f %12d\n", order[i], wall[order[i]], rss[order[i]]
    for (i = 2; i <= NR; i++) {
      p = order[i]
      printf "kabuto/%s: wall %.2fx (goal <= 0.33), memory %.2fx (goal <= 0.50)\n", p, wall["kabuto"] / wall[p], rss["kabuto"] / rss[p]
    }
  }' "$tmp/results"

# Memory stays bounded on a multi-GB image: one layer of big files, streamed, never held.
echo
echo "generating a ${big_gb} GB single-layer docker-archive ..."
python3 - "$tmp/big" "$big_gb" <<'PY'
import hashlib, io, json, os, sys, tarfile
out, gb = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
chunk = os.urandom(1 << 20)
class Blob(io.RawIOBase):
    """`size` bytes of incompressible data without holding them in memory."""
    def __init__(self, size): self.left = size
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left, len(chunk))
        b[:n] = chunk[:n]; self.left -= n
        return n
layer = os.path.join(out, "layer.tar")
with tarfile.open(layer, "w", format=tarfile.GNU_FORMAT) as t:
    for i in range(gb * 4):
        info = tarfile.TarInfo(f"data/blob{i}.bin"); info.size = 256 << 20
        t.addfile(info, io.BufferedReader(Blob(info.size)))
    status = b"Package: tiny\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n"
    info = tarfile.TarInfo("var/lib/dpkg/status"); info.size = len(status)
    t.addfile(info, io.BytesIO(status))
h = hashlib.sha256()
with open(layer, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""): h.update(block)
diff_id = "sha256:" + h.hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "config": {}}).encode()
cname = hashlib.sha256(config).hexdigest() + ".json"
open(os.path.join(out, cname), "wb").write(config)
json.dump([{"Config": cname, "RepoTags": ["bench/big:latest"], "Layers": ["layer.tar"]}], open(os.path.join(out, "manifest.json"), "w"))
PY
( cd "$tmp/big" && tar -cf ../big.tar -- * ) && rm -rf "$tmp/big"
echo "big image: $(du -h "$tmp/big.tar" | cut -f1)"
/usr/bin/time -f "%e %M" -o "$tmp/time" "$kabuto" sbom "$tmp/big.tar" --quiet --format json -o /dev/null
read -r wall kb <"$tmp/time"
echo "kabuto on ${big_gb} GB image: wall ${wall} s, peak RSS $((kb / 1024)) MB"
