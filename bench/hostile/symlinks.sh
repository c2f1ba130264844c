#!/usr/bin/env bash
# Symlinks in scanned directories (issue 9, items 1 and 10): what reading every file through
# openat2/fstat (and following links inside the root) costs, and what it finds.
#
#   bash bench/hostile/symlinks.sh
#   KABUTO=target/release/kabuto KABUTO_BEFORE=/work/kabuto-before bash bench/hostile/symlinks.sh
#
# Inputs, generated in a temp dir:
#   tree-10k      a root filesystem of 10,000 files (dpkg database, text files the secret
#                 scanner reads, merged-/usr links `bin`, `sbin`, `lib` -> usr/...)
#   hidden        an image-like root whose dpkg database sits behind `var/lib/dpkg -> ../../opt/dpkg`
#   link-farm     2,000 links to a directory of 5,000 files (the follow budget must stop it)
# One line per (input, binary, scanners): wall time, peak RSS, and the package count.
set -euo pipefail
cd "$(dirname "$0")/../.."

KABUTO=${KABUTO:-target/debug/kabuto}
KABUTO_BEFORE=${KABUTO_BEFORE:-/work/kabuto-before}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

status_file() { # status_file PATH COUNT: a dpkg status of COUNT packages
    mkdir -p "$(dirname "$1")"
    for i in $(seq 1 "$2"); do
        printf 'Package: pkg%d\nStatus: install ok installed\nVersion: 1.%d-1\nArchitecture: amd64\n\n' "$i" "$i"
    done >"$1"
}

# tree-10k: 100 directories of 100 files under usr/, half of them text with a fake token.
T=$WORK/tree-10k
mkdir -p "$T/etc" "$T/usr/bin" "$T/usr/sbin"
printf 'ID=debian\nVERSION_ID=12\n' >"$T/etc/os-release"
status_file "$T/var/lib/dpkg/status" 300
for d in $(seq 1 100); do
    mkdir -p "$T/usr/lib/pkg$d"
    for f in $(seq 1 100); do
        if ((f % 2)); then
            printf 'config %d %d\npassword = "hunter%d"\n' "$d" "$f" "$f" >"$T/usr/lib/pkg$d/f$f.conf"
        else
            printf 'data %d %d\n' "$d" "$f" >"$T/usr/lib/pkg$d/f$f.dat"
        fi
    done
done
ln -s usr/bin "$T/bin"
ln -s usr/sbin "$T/sbin"
ln -s usr/lib "$T/lib"

# hidden: the database moved behind a relative directory link.
H=$WORK/hidden
mkdir -p "$H/etc" "$H/var/lib"
printf 'ID=debian\nVERSION_ID=12\n' >"$H/etc/os-release"
status_file "$H/opt/dpkg/status" 120
ln -s ../../opt/dpkg "$H/var/lib/dpkg"

# link-farm: 2,000 links to one directory of 5,000 files.
F=$WORK/link-farm
mkdir -p "$F/data" "$F/links"
for i in $(seq 1 5000); do : >"$F/data/f$i"; done
for i in $(seq 1 2000); do ln -s ../data "$F/links/l$i"; done

run() { # run LABEL BINARY INPUT SCANNERS
    local label=$1 bin=$2 input=$3 scanners=$4 out
    if [ ! -x "$bin" ]; then
        printf '%-10s %-7s %-7s  (no binary at %s)\n' "$input" "$label" "$scanners" "$bin"
        return
    fi
    out=$(timeout 120 /usr/bin/time -f '%e s %M KB' "$bin" scan rootfs --scanners "$scanners" \
        "$WORK/$input" 2>"$WORK/err" >"$WORK/out" && tail -n1 "$WORK/err") || out=">120 s"
    printf '%-10s %-7s %-7s  %-20s %s\n' "$input" "$label" "$scanners" "$out" \
        "$(grep -m1 -o 'Packages: [0-9]*' "$WORK/out" || echo 'Packages: ?')"
}

for input in tree-10k hidden link-farm; do
    for scanners in none secret; do
        run before "$KABUTO_BEFORE" "$input" "$scanners"
        run after "$KABUTO" "$input" "$scanners"
    done
done
