#!/usr/bin/env bash
# Hostile SBOMs for `kabuto scan sbom` (untrusted input): generated here, each run with the
# old and the new binary, printing wall time and peak RSS per (input, binary). The old binary
# has no `scan sbom` and refuses every input at once; the figures show the new one bounded:
#   - entries: 200,001 empty components (one past the per-list limit, refused while parsing)
#   - deep: components nested 100,000 deep (refused at serde_json's recursion limit)
#   - properties: 60 MB of package properties on 12 components (parsed; memory a small
#     multiple of the input)
#   - oversize: a 65 MB file (refused before reading)
#   - packages: 199,999 npm packages (the most one list may hold; parsed and inventoried)
# Usage: bench/hostile/sbom_input.sh   (KABUTO, KABUTO_BEFORE override the binaries)
set -euo pipefail
cd "$(dirname "$0")/../.."
new=${KABUTO:-target/debug/kabuto}
old=${KABUTO_BEFORE:-/work/kabuto-before}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import sys, os
d = sys.argv[1]
head = '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": ['
with open(f"{d}/entries.json", "w") as f:
    f.write(head + ",".join(["{}"] * 200_001) + "]}")
with open(f"{d}/deep.json", "w") as f:
    f.write(head + '{"components": [' * 100_000 + "]}" * 100_000 + "]}")
prop = '{"name": "kabuto:location:0:path", "value": "usr/lib/x"}'
comp = '{"type": "library", "purl": "pkg:npm/x@1", "properties": [' + ",".join([prop] * 90_000) + "]}"
with open(f"{d}/properties.json", "w") as f:
    f.write(head + ",".join([comp] * 12) + "]}")
with open(f"{d}/oversize.json", "w") as f:
    f.write(head + '{"name": "' + "x" * (65 * 1024 * 1024) + '"}]}')
with open(f"{d}/packages.json", "w") as f:
    f.write(head + ",".join(f'{{"purl": "pkg:npm/p{i}@1.0.{i % 7}"}}' for i in range(199_999)) + "]}")
PY

run() { # run INPUT BINARY LABEL
  local input=$1 bin=$2 label=$3 status figures
  if [ ! -x "$bin" ]; then printf '%-11s %-7s missing (%s)\n' "$input" "$label" "$bin"; return; fi
  if timeout 120 /usr/bin/time -o "$tmp/time" -f '%e s %M KB' "$bin" scan sbom "$tmp/$input.json" \
       --quiet --scanners none --format json -o /dev/null 2>"$tmp/err"; then
    status=ok
  else
    status="exit $?"
  fi
  if [ "$status" = "exit 124" ]; then figures='>120 s'; else figures=$(tail -1 "$tmp/time"); fi
  printf '%-11s %-7s %-20s %s: %s\n' "$input" "$label" "$figures" "$status" \
    "$(head -c 110 "$tmp/err" | tr '\n' ' ')"
}
for input in entries deep properties oversize packages; do
  printf '%-11s %s\n' "$input" "$(du -h "$tmp/$input.json" | cut -f1)"
  run "$input" "$old" before
  run "$input" "$new" after
done
