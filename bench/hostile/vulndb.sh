#!/usr/bin/env bash
# Hostile vulnerability databases (issue 9 items 6 and 7), old binary against new:
#   - opening the real database (`db info`; wall time of the whole command) and a whole
#     `scan image --scanners vuln` on the largest fixture image with it;
#   - a crafted database: the package entry of a package the image has findings for points
#     past the end of the file, header checksum recomputed (before: accepted; after: exit 1);
#   - the real database truncated while a scan has it open (before: SIGBUS, exit 135).
# The real database is built from ../shared/vulndata with $KABUTO (a debug build takes a few
# minutes). Usage: bench/hostile/vulndb.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
before=${KABUTO_BEFORE:-/work/kabuto-before}
after=${KABUTO:-$PWD/target/debug/kabuto}
feeds=${KABUTO_SHARED:-$PWD/../shared}/vulndata
image=${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}/docker/debian-app.tar
for f in "$before" "$after" "$feeds" "$image"; do
  [ -e "$f" ] || { echo "missing $f" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$after" db build --quiet --source "$feeds" --output "$tmp/real.db" >/dev/null
echo "real database: $(du -h --apparent-size "$tmp/real.db" | cut -f1)"

# Which package is looked up for the image, and has findings: its entry gets the bad offset.
"$after" scan image "$image" --quiet --scanners vuln --db "$tmp/real.db" --format json \
  -o "$tmp/findings.json" || true
python3 - "$tmp/real.db" "$tmp/crafted.db" "$tmp/findings.json" <<'PY'
import json, struct, sys, zlib
src, dst, findings = sys.argv[1:4]
data = open(src, "rb").read()
header_len = struct.unpack_from("<I", data, 12)[0]
header = json.loads(data[16:16 + header_len])
body = bytearray(data[16 + header_len:])
packages = struct.unpack_from("<I", body, 0)[0]
def key(i):
    off, ln = struct.unpack_from("<II", body, 8 + 16 * i)
    return bytes(body[off:off + ln])
# The packages with findings, under the ecosystem key they matched.
wanted = {
    e["ecosystem_key"].encode() + b"\0" + v["package_name"].encode()
    for v in json.load(open(findings))["vulnerabilities"]
    for e in v["explanations"]
}
hit = next((i for i in range(packages) if key(i) in wanted), 0)
struct.pack_into("<I", body, 8 + 16 * hit + 8, len(body) + 4096)
header["body_len"], header["body_crc32"] = len(body), zlib.crc32(body)
h = json.dumps(header, separators=(",", ":")).encode()
open(dst, "wb").write(data[:8] + struct.pack("<II", struct.unpack_from("<I", data, 8)[0], len(h)) + h + body)
print(f"crafted: package entry {hit} ({key(hit).decode(errors='replace')!r}) record offset past the end")
PY

run() { # label binary args...: one line with wall time, peak RSS, exit code, first stderr line
  local label=$1 bin=$2; shift 2
  local code=0
  timeout 120 /usr/bin/time -f '%e s %M KB' -o "$tmp/time" "$bin" "$@" >"$tmp/out" 2>"$tmp/err" || code=$?
  local t; t=$(tail -1 "$tmp/time" 2>/dev/null || true)
  [ "$code" = 124 ] && t=">120 s"
  local findings; findings=$(jq '.vulnerabilities | length' "$tmp/scan.json" 2>/dev/null || echo -)
  rm -f "$tmp/scan.json"
  printf '%-34s %-7s %-18s exit %-3s findings %-5s %s\n' "$label" "$(basename "$bin")" "$t" "$code" \
    "$findings" "$(grep -v '^\s*$' "$tmp/err" | grep -v '^Command' | head -1 | cut -c1-110)"
}
scan() { echo scan image "$image" --scanners vuln --format json -o "$tmp/scan.json" --db "$1"; }

for bin in "$before" "$after"; do
  run "open: db info, real db" "$bin" db info --db "$tmp/real.db"
done
for bin in "$before" "$after"; do
  # shellcheck disable=SC2046
  run "scan image, real db" "$bin" $(scan "$tmp/real.db")
done
for bin in "$before" "$after"; do
  run "crafted db: db import" "$bin" db import --db "$tmp/installed-$(basename "$bin").db" "$tmp/crafted.db"
done
for bin in "$before" "$after"; do
  # shellcheck disable=SC2046
  run "crafted db: scan image" "$bin" $(scan "$tmp/crafted.db")
done
# Truncation while the database is open: truncate once the scan has opened it (the image
# walk that follows takes far longer than the open).
for bin in "$before" "$after"; do
  cp "$tmp/real.db" "$tmp/shrinking.db"
  ( sleep 0.3; : >"$tmp/shrinking.db" ) &
  # shellcheck disable=SC2046
  run "real db truncated during the scan" "$bin" $(scan "$tmp/shrinking.db")
  wait
done
