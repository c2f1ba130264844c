#!/usr/bin/env bash
# Hostile catalog inputs (issue 9), generated here:
#   - config-300k: a NuGet packages.config with 300,000 entries (`kabuto sbom dir:`); the old
#     analyzer counted each entry's line from the start of the file;
#   - zip-16MiB-entry: an advisory all.zip whose JSON member inflates past the 16 MiB limit
#     (`kabuto db build`), with the warning each binary prints for it.
# One line per (input, binary): wall time and peak RSS, `>120 s` on timeout.
# Usage: bench/hostile/catalog.sh   ($KABUTO_BEFORE: old binary, default /work/kabuto-before;
#                                    $KABUTO: new binary, default target/debug/kabuto)
set -euo pipefail
cd "$(dirname "$0")/../.."
before=${KABUTO_BEFORE:-/work/kabuto-before}
after=${KABUTO:-target/debug/kabuto}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/config-300k" "$tmp/feeds"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<packages>'
  seq 0 299999 | awk '{ printf "  <package id=\"Package.%d\" version=\"1.0.%d\" targetFramework=\"net48\" />\n", $1, $1 }'
  echo '</packages>'
} >"$tmp/config-300k/packages.config"
python3 - "$tmp/feeds/all.zip" <<'PY'
import sys, zipfile
padding = " " * ((16 << 20) + 1)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("HUGE-1.json", '{"id": "HUGE-1",' + padding + '"affected": []}')
PY

# measure NAME BINARY ARGS...: one line with wall time and peak RSS; stderr kept in $tmp/err.
measure() {
  local name=$1 label=$2 bin=$3
  shift 3
  if [ ! -x "$bin" ]; then
    printf '%-16s %-7s (no binary at %s)\n' "$name" "$label" "$bin"
    return
  fi
  local status=0
  timeout 120 /usr/bin/time -f '%e s %M KB' -o "$tmp/time" "$bin" "$@" >/dev/null 2>"$tmp/err" || status=$?
  if [ "$status" -eq 124 ]; then
    printf '%-16s %-7s >120 s\n' "$name" "$label"
  else
    printf '%-16s %-7s %s (exit %s)\n' "$name" "$label" "$(tail -1 "$tmp/time")" "$status"
  fi
}

for label in before after; do
  bin=$before
  [ "$label" = after ] && bin=$after
  measure config-300k "$label" "$bin" sbom --quiet --format json "dir:$tmp/config-300k"
done
for label in before after; do
  bin=$before
  [ "$label" = after ] && bin=$after
  measure zip-16MiB-entry "$label" "$bin" db build --source "$tmp/feeds" --output "$tmp/$label.db"
  if [ -x "$bin" ]; then
    grep -m1 -o 'HUGE-1.json.*' "$tmp/err" | cut -c1-160 | sed 's/^/    warning: /' || true
  fi
done
