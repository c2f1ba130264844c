#!/usr/bin/env bash
# Hostile input for the secret scanner (issue 9, item 2): time and peak RSS of the old and the
# new binary on inputs generated here.
#
#   akia-10MB-line    one 10 MB line of AWS key id look-alikes (`AKIA` + 16 base32 characters,
#                     space separated): 476,190 matches of one rule
#   aaaa-rule-5MB     user rule `aaaa` (--secret-config) on one 5 MB line of `a`
#   a100x100-rule     user rule `(?:[a-z]{100}){100}` on one 5 MB line of `a`
#
#   bash bench/hostile/secrets.sh
#   KABUTO=target/release/kabuto KABUTO_BEFORE=/path/to/old/kabuto bash bench/hostile/secrets.sh
#
# One line per (input, binary): wall time and peak RSS, `>120 s` on timeout, and the exit
# status (1 = the config was rejected at load; the new binary prints why on stderr).
set -euo pipefail
cd "$(dirname "$0")/../.."

KABUTO=${KABUTO:-target/debug/kabuto}
KABUTO_BEFORE=${KABUTO_BEFORE:-/work/kabuto-before}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/akia" "$WORK/aaaa"
python3 - "$WORK" <<'PY'
import random, sys
work = sys.argv[1]
random.seed(9)
base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
key = lambda: "AKIA" + "".join(random.choice(base32) for _ in range(16))
with open(f"{work}/akia/keys.txt", "w") as f:
    f.write(" ".join(key() for _ in range(10_000_000 // 21)))
with open(f"{work}/aaaa/a.txt", "w") as f:
    f.write("a" * 5_000_000)
with open(f"{work}/aaaa.yaml", "w") as f:
    f.write("rules:\n  - id: aaaa\n    regex: aaaa\n")
with open(f"{work}/a100x100.yaml", "w") as f:
    f.write("rules:\n  - id: a100x100\n    regex: '(?:[a-z]{100}){100}'\n")
PY

run() {
    local name=$1 label=$2 bin=$3 status
    shift 3
    if [ ! -x "$bin" ]; then
        printf '%-16s %-7s (no binary at %s)\n' "$name" "$label" "$bin"
        return
    fi
    status=0
    # `time` outside `timeout`: the peak RSS is reported even when the run is cut short.
    /usr/bin/time -f '%e s %M KB' -o "$WORK/time" timeout 120 \
        "$bin" --quiet scan fs "$@" --scanners secret --format json --output "$WORK/out.json" \
        2>"$WORK/err" >/dev/null || status=$?
    if [ "$status" = 124 ]; then
        printf '%-16s %-7s >120 s (peak %s so far)\n' "$name" "$label" \
            "$(tail -n 1 "$WORK/time" | cut -d' ' -f3-)"
    else
        printf '%-16s %-7s %s  exit %s  findings %s\n' "$name" "$label" "$(tail -n 1 "$WORK/time")" \
            "$status" "$(grep -o '"rule_id"' "$WORK/out.json" 2>/dev/null | wc -l)"
    fi
    rm -f "$WORK/out.json"
}

for label in before after; do
    bin=$KABUTO
    [ "$label" = before ] && bin=$KABUTO_BEFORE
    run akia-10MB-line "$label" "$bin" "$WORK/akia"
    run aaaa-rule-5MB "$label" "$bin" "$WORK/aaaa" --secret-config "$WORK/aaaa.yaml"
    run a100x100-rule "$label" "$bin" "$WORK/aaaa" --secret-config "$WORK/a100x100.yaml"
done
