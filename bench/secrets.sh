#!/usr/bin/env bash
# Secret-scanning throughput: Kabuto's scanner (crates/scan/3-secrets/examples/scan_dir.rs)
# against `trivy-peer fs --scanners secret` on the same 500 MB+ source tree, plus single-core
# figures on that tree and on keyword-free text.
#
#   bash bench/secrets.sh            # corpus in a temp dir, removed afterwards
#   COPIES=3 SRC=~/.cargo/registry/src bash bench/secrets.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SRC=${SRC:-$HOME/.cargo/registry/src}
COPIES=${COPIES:-2}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "building corpus: $COPIES copies of $SRC"
mkdir -p "$WORK/tree"
for i in $(seq 1 "$COPIES"); do cp -r "$SRC" "$WORK/tree/copy$i"; done
TREE_MB=$(du -sm "$WORK/tree" | cut -f1)
echo "corpus: ${TREE_MB} MB, $(find "$WORK/tree" -type f | wc -l) files"

# Keyword-free text (words containing none of the rules' keywords), 32 files of 8 MiB: under
# the scanner's 10 MiB per-file limit.
mkdir -p "$WORK/nomatch"
python3 - "$WORK/nomatch" <<'PY'
import random, sys
random.seed(7)
words = "the quick brown fox jumps over lazy dog lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua".split()
line = lambda: " ".join(random.choice(words) for _ in range(12)) + "\n"
block = "".join(line() for _ in range(20000))
for n in range(32):
    with open(f"{sys.argv[1]}/words{n}.txt", "w") as f:
        f.write((block * (8 * 1024 * 1024 // len(block) + 1))[: 8 * 1024 * 1024])
PY

cargo build --release -q -p kabuto-secrets --example scan_dir
BIN=target/release/examples/scan_dir

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# Warm the page cache so both scanners read from memory.
find "$WORK/tree" -type f -exec cat {} + >/dev/null

K=$(secs "$BIN" "$WORK/tree")
echo "kabuto: $(tail -1 "$WORK/err")"
T=$(secs trivy-peer fs --quiet --scanners secret --cache-dir "$WORK/trivy-cache" --format json --output "$WORK/trivy.json" "$WORK/tree")
K1=$(RAYON_NUM_THREADS=1 secs "$BIN" "$WORK/tree")
N1=$(RAYON_NUM_THREADS=1 secs "$BIN" "$WORK/nomatch")
NOMATCH_MB=$(du -sm "$WORK/nomatch" | cut -f1)

printf '%-44s %8.2f s %9.1f MB/s\n' "kabuto (all cores) on source tree" "$K" "$(echo "$TREE_MB / $K" | bc -l)"
printf '%-44s %8.2f s %9.1f MB/s\n' "trivy-peer fs --scanners secret (all cores)" "$T" "$(echo "$TREE_MB / $T" | bc -l)"
printf '%-44s %8.2fx\n' "ratio kabuto/trivy" "$(echo "$T / $K" | bc -l)"
printf '%-44s %8.2f s %9.1f MB/s\n' "kabuto single core on source tree" "$K1" "$(echo "$TREE_MB / $K1" | bc -l)"
printf '%-44s %8.2f s %9.1f MB/s\n' "kabuto single core, keyword-free text" "$N1" "$(echo "$NOMATCH_MB / $N1" | bc -l)"
echo "trivy findings: $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(len(x.get('Secrets',[])) for x in r.get('Results',[])))" "$WORK/trivy.json")"
