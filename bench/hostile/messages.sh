#!/usr/bin/env bash
# Misleading or unbounded messages from hostile image archives (issue 9, items 9 and 12):
#   - a docker-archive whose manifest.json lists 100 000 images (no selector given): the error
#     used to name every tag; now it names ten and counts the rest;
#   - an image path that is a FIFO nobody writes to: opening it used to block forever;
#   - an OCI layout whose layer blob is a FIFO: reported as missing before, now by its type;
#   - a docker-archive whose layer member is a symlink out of the archive.
# Each line: input, binary, wall time, peak RSS, exit code, bytes written to stderr.
#
#   bash bench/hostile/messages.sh
#   KABUTO_BEFORE=/path/to/old/kabuto KABUTO=target/release/kabuto bash bench/hostile/messages.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

KABUTO_BEFORE=${KABUTO_BEFORE:-/work/kabuto-before}
KABUTO=${KABUTO:-target/debug/kabuto}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import hashlib, io, json, os, sys, tarfile

work = sys.argv[1]

def add(tar, name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    tar.addfile(info, io.BytesIO(data))

# 100 000 images sharing one config and no layers: a 5 MB manifest.json.
images = [{"Config": "c.json", "RepoTags": [f"example.invalid/app{i}:1.0"], "Layers": []}
          for i in range(100_000)]
with tarfile.open(os.path.join(work, "many-images.tar"), "w") as tar:
    add(tar, "manifest.json", json.dumps(images).encode())

# A layer member that is a symlink out of the archive.
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()
manifest = json.dumps([{"Config": "c.json", "RepoTags": ["a:1"], "Layers": ["id/layer.tar"]}])
with tarfile.open(os.path.join(work, "symlinked-layer.tar"), "w") as tar:
    add(tar, "c.json", config)
    add(tar, "id/layer.tar", kind=tarfile.SYMTYPE, link="../../../etc/passwd")
    add(tar, "manifest.json", manifest.encode())

# An OCI layout whose only layer blob is then replaced by a FIFO (below).
layout = os.path.join(work, "fifo-layout")
blobs = os.path.join(layout, "blobs", "sha256")
os.makedirs(blobs)
def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}
layer = blob(b"\0" * 1024)
config = blob(json.dumps({"architecture": "amd64", "os": "linux",
                          "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
manifest = blob(json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
    "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")]}).encode())
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [
        dict(manifest, mediaType="application/vnd.oci.image.manifest.v1+json")]}, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion": "1.0.0"}')
os.remove(os.path.join(blobs, layer["digest"][7:]))
os.mkfifo(os.path.join(blobs, layer["digest"][7:]))
PY
mkfifo "$WORK/fifo-image.tar"

run() { # input-name binary target label
    local name=$1 bin=$2 target=$3 code
    if [ ! -x "$bin" ]; then
        printf '%-20s %-7s (no binary at %s)\n' "$name" "$4" "$bin"
        return
    fi
    set +e
    timeout 120 /usr/bin/time -o "$WORK/time" -f '%e s %M KB' \
        "$bin" scan image "$target" --scanners none --format json \
        >/dev/null 2>"$WORK/stderr"
    code=$?
    set -e
    if [ "$code" = 124 ]; then
        printf '%-20s %-7s >120 s (timed out)\n' "$name" "$4"
    else
        printf '%-20s %-7s %-22s exit %s, stderr %s bytes\n' "$name" "$4" \
            "$(tail -n 1 "$WORK/time")" "$code" "$(wc -c <"$WORK/stderr")"
    fi
    printf '    %.200s\n' "$(head -c 300 "$WORK/stderr" | tr -d '\n')"
}

for input in many-images.tar fifo-image.tar fifo-layout symlinked-layer.tar; do
    run "$input" "$KABUTO_BEFORE" "$WORK/$input" before
    run "$input" "$KABUTO" "$WORK/$input" after
done
