#!/usr/bin/env bash
# Hostile package databases (issue 9, items 3 and 5): wall time, peak RSS, exit code and JSON
# report size of `kabuto scan image` on three generated docker-archives, old binary beside new.
#   repeated  one vulnerable dpkg stanza repeated to 50 MB (a few hundred KB compressed)
#   padded    a vulnerable stanza followed by 520 MiB of continuation lines (over the 512 MiB
#             per-file limit; generated gzip-compressed, deleted at exit)
#   many      100,000 distinct installed packages, every one matching an advisory
# Each image is scanned with `--exit-code 3` against a one-advisory database built here: the
# new binary once as a gate (exit 1 on an incomplete database) and once with
# --allow-incomplete (what a user who accepts partial results gets).
# Usage: bench/hostile/pkgdb.sh   (KABUTO_BEFORE, KABUTO override the binaries)
set -euo pipefail
cd "$(dirname "$0")/../.."
before=${KABUTO_BEFORE:-/work/kabuto-before}
after=${KABUTO:-$PWD/target/debug/kabuto}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One advisory: every package built from the source package `vulnpkg` before 2.0-1.
mkdir -p "$tmp/feed"
cat >"$tmp/feed/BENCH-1.json" <<'JSON'
{"schema_version": "1.6.0", "id": "CVE-2099-0001", "modified": "2099-01-01T00:00:00Z",
 "summary": "benchmark advisory", "details": "A made-up vulnerability for the benchmark.",
 "affected": [{"package": {"ecosystem": "Debian:12", "name": "vulnpkg"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0-1"}]}]}]}
JSON
"$after" --quiet db build --source "$tmp/feed" --output "$tmp/kabuto.db"

# gen KIND OUT: writes a one-layer gzip docker-archive whose dpkg status is hostile.
gen() {
  python3 - "$1" "$2" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
STANZA = ("Package: vulnpkg{n}\nStatus: install ok installed\nPriority: optional\n"
          "Section: libs\nInstalled-Size: 1234\nMaintainer: Nobody <nobody@example.org>\n"
          "Architecture: amd64\nSource: vulnpkg\nVersion: 1.0-1\n"
          "Description: a package for the benchmark\n a longer description line\n\n")

class Stream(io.RawIOBase):
    """Reads a generator of byte chunks without holding them all."""
    def __init__(self, chunks): self.chunks, self.rest = chunks, b""
    def readable(self): return True
    def readinto(self, b):
        while not self.rest:
            self.rest = next(self.chunks, b"")
            if not self.rest: return 0
        n = min(len(b), len(self.rest)); b[:n] = self.rest[:n]; self.rest = self.rest[n:]
        return n

def status():
    """(size, chunks) of the dpkg status file."""
    if kind == "repeated":
        stanza = STANZA.format(n="").encode()
        count = 50 * 1000 * 1000 // len(stanza)
        chunks = [stanza * 1000] * (count // 1000) + [stanza * (count % 1000)]
        return count * len(stanza), iter(chunks)
    if kind == "padded":
        head = STANZA.format(n="").encode()
        block = b" padding padding padding padding padding padding padding\n" * 4096
        blocks = (520 << 20) // len(block) + 1
        return len(head) + blocks * len(block), iter([head] + [block] * blocks)
    text = "".join(STANZA.format(n=i) for i in range(100_000)).encode()
    return len(text), iter([text])

class Hashing(io.RawIOBase):
    """Compresses what is written while hashing the uncompressed stream (the diff ID)."""
    def __init__(self, gz): self.gz, self.h = gz, hashlib.sha256()
    def writable(self): return True
    def write(self, b): self.h.update(b); self.gz.write(b); return len(b)

os.makedirs(out + ".d")
with open(os.path.join(out + ".d", "layer.tar.gz"), "wb") as raw:
    gz = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0)
    sink = Hashing(gz)
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.GNU_FORMAT) as t:
        osr = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
        info = tarfile.TarInfo("etc/os-release"); info.size = len(osr)
        t.addfile(info, io.BytesIO(osr))
        info = tarfile.TarInfo("var/lib/dpkg/status")
        info.size, chunks = status()
        t.addfile(info, io.BufferedReader(Stream(chunks)))
    gz.close()
diff_id = "sha256:" + sink.h.hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "config": {}}).encode()
name = hashlib.sha256(config).hexdigest() + ".json"
open(os.path.join(out + ".d", name), "wb").write(config)
json.dump([{"Config": name, "RepoTags": [f"bench/{kind}:latest"], "Layers": ["layer.tar.gz"]}],
          open(os.path.join(out + ".d", "manifest.json"), "w"))
PY
  (cd "$2.d" && tar -cf "$2" -- *) && rm -rf "$2.d"
}

# run INPUT LABEL BINARY ARGS...: one line of figures.
run() {
  local input=$1 label=$2 bin=$3; shift 3
  local code=0 figures
  rm -f "$tmp/report.json"
  timeout 120 /usr/bin/time -f '%e s %M KB' -o "$tmp/time" \
    "$bin" scan image "$tmp/$input.tar" --scanners vuln --db "$tmp/kabuto.db" --exit-code 3 \
    --format json -o "$tmp/report.json" "$@" 2>"$tmp/stderr" || code=$?
  if [ "$code" = 124 ]; then figures=">120 s"; else figures=$(cat "$tmp/time"); fi
  local report="-" packages="-" findings="-"
  if [ -s "$tmp/report.json" ]; then
    report="$(($(stat -c %s "$tmp/report.json") / 1024)) KB"
    read -r packages findings < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
print(len(r["packages"]), len(r.get("vulnerabilities") or []))' "$tmp/report.json")
  fi
  printf '%-9s %-26s %-20s exit %-3s report %-10s packages %-7s findings %s\n' \
    "$input" "$label" "$figures" "$code" "$report" "$packages" "$findings"
  [ "$code" = 1 ] && sed -n '$p' "$tmp/stderr" | cut -c1-160 | sed 's/^/          /'
  return 0
}

for input in repeated padded many; do
  gen "$input" "$tmp/$input.tar"
  echo "$input: $(du -h "$tmp/$input.tar" | cut -f1) compressed image"
  [ -x "$before" ] && run "$input" before "$before"
  run "$input" after "$after"
  run "$input" "after --allow-incomplete" "$after" --allow-incomplete
  rm -f "$tmp/$input.tar"
done
