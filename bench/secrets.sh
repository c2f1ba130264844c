#!/usr/bin/env bash
# Secret-scanning throughput: Kabuto's scanner (crates/scan/3-secrets/examples/scan_dir.rs)
# against `trivy-peer fs --scanners secret` on the same 500 MB+ source tree, plus single-core
# figures on that tree and on keyword-free text.
#
#   bash bench/secrets.sh            # corpus in a temp dir, removed afterwards
#   COPIES=3 RUNS=5 SRC=~/.cargo/registry/src bash bench/secrets.sh
#
# Every figure is the median of RUNS runs. "Per core" figures divide the bytes by the CPU time
# (user + sys) the process used, so they hold on a machine shared with other work; wall-clock
# figures are printed beside them. MB = 10^6 bytes of file content (apparent size).
set -euo pipefail
cd "$(dirname "$0")/.."

SRC=${SRC:-$HOME/.cargo/registry/src}
COPIES=${COPIES:-2}
RUNS=${RUNS:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
command -v trivy-peer >/dev/null || bash /work/shared/peers/install-peers.sh

echo "building corpus: $COPIES copies of $SRC"
mkdir -p "$WORK/tree"
# Hard links where possible: the same bytes under distinct paths, without filling the disk.
for i in $(seq 1 "$COPIES"); do
    cp -al "$SRC" "$WORK/tree/copy$i" 2>/dev/null || cp -r "$SRC" "$WORK/tree/copy$i"
done
# Content bytes, counting every hard link (du would count each inode once).
megabytes() { echo "$(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s}') / 1000000" | bc -l; }
TREE_MB=$(megabytes "$WORK/tree")
printf 'corpus: %.0f MB, %d files\n' "$TREE_MB" "$(find "$WORK/tree" -type f | wc -l)"

# Keyword-free text (words containing none of the rules' keywords), 32 files of 8 MiB (under
# the scanner's 10 MiB per-file limit): one file and 31 hard links to it.
mkdir -p "$WORK/nomatch"
python3 - "$WORK/nomatch" <<'PY'
import random, sys
random.seed(7)
words = "the quick brown fox jumps over lazy dog lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua".split()
line = lambda: " ".join(random.choice(words) for _ in range(12)) + "\n"
block = "".join(line() for _ in range(20000))
with open(f"{sys.argv[1]}/words0.txt", "w") as f:
    f.write((block * (8 * 1024 * 1024 // len(block) + 1))[: 8 * 1024 * 1024])
PY
for n in $(seq 1 31); do
    ln "$WORK/nomatch/words0.txt" "$WORK/nomatch/words$n.txt" 2>/dev/null \
        || cp "$WORK/nomatch/words0.txt" "$WORK/nomatch/words$n.txt"
done
NOMATCH_MB=$(megabytes "$WORK/nomatch")

cargo build --release -q -p kabuto-secrets --example scan_dir
BIN=target/release/examples/scan_dir

# `measure NAME CMD...` runs CMD RUNS times and sets NAME_WALL and NAME_CPU to the medians (s).
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
measure() {
    local name=$1 walls=() cpus=() i wall user sys
    shift
    for i in $(seq 1 "$RUNS"); do
        /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" \
            || { cat "$WORK/err" >&2; return 1; }
        read -r wall user sys <"$WORK/time"
        walls+=("$wall")
        cpus+=("$(echo "$user + $sys" | bc -l)")
    done
    printf -v "${name}_WALL" '%s' "$(printf '%s\n' "${walls[@]}" | median)"
    printf -v "${name}_CPU" '%s' "$(printf '%s\n' "${cpus[@]}" | median)"
}

# Warm the page cache so both scanners read from memory.
find "$WORK/tree" "$WORK/nomatch" -type f -exec cat {} + >/dev/null

measure K "$BIN" "$WORK/tree"
KABUTO_FINDINGS=$(grep -o 'findings=[0-9]*' "$WORK/err" | cut -d= -f2)
measure T trivy-peer fs --quiet --scanners secret --cache-dir "$WORK/trivy-cache" \
    --format json --output "$WORK/trivy.json" "$WORK/tree"
measure K1 env RAYON_NUM_THREADS=1 "$BIN" "$WORK/tree"
measure N1 env RAYON_NUM_THREADS=1 "$BIN" "$WORK/nomatch"

rate() { echo "$1 / $2" | bc -l; }
echo "median of $RUNS runs; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-46s %8s %11s %14s\n' "" "wall" "MB/s wall" "MB/s per core"
row() { printf '%-46s %7.2fs %11.1f %14.1f\n' "$1" "$2" "$(rate "$3" "$2")" "$(rate "$3" "$4")"; }
row "kabuto (all cores), source tree" "$K_WALL" "$TREE_MB" "$K_CPU"
row "trivy-peer fs --scanners secret, source tree" "$T_WALL" "$TREE_MB" "$T_CPU"
row "kabuto single thread, source tree" "$K1_WALL" "$TREE_MB" "$K1_CPU"
row "kabuto single thread, keyword-free text" "$N1_WALL" "$NOMATCH_MB" "$N1_CPU"
printf 'ratio kabuto/trivy: %.1fx wall-clock, %.1fx per core (goal: 3x)\n' \
    "$(rate "$T_WALL" "$K_WALL")" "$(rate "$T_CPU" "$K_CPU")"
printf 'keyword-free text: %.0f MB/s per core (goal: over 500)\n' "$(rate "$NOMATCH_MB" "$N1_CPU")"
echo "findings: kabuto $KABUTO_FINDINGS, trivy $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(len(x.get('Secrets',[])) for x in r.get('Results',[])))" "$WORK/trivy.json")"
