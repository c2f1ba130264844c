#!/usr/bin/env bash
# Hostile YAML (issue 9, items 4 and 8): time and peak RSS of the old and the new binary on
#   - a 400 KB policy of nested `[`               (`kabuto policy check`)
#   - a 200 KB pnpm-lock.yaml of nested `[`       (`kabuto scan fs`, inventory only)
#   - an 11 MB ignore file of 200k `paths` globs  (`kabuto scan fs --ignorefile`)
#   - the same globs written compactly, under 4 MiB (180k globs in one flow list)
#
#   bash bench/hostile/yaml.sh
#   KABUTO_BEFORE=/path/to/old/kabuto KABUTO=target/release/kabuto bash bench/hostile/yaml.sh
#
# One line per (input, binary): wall time and peak RSS, `>120 s` on timeout. The exit code of
# each run is printed too: the new binary refuses these inputs (exit 1, or a warning for the
# lockfile), so a short time is a refusal, not a parse.
set -uo pipefail
cd "$(dirname "$0")/../.."

BEFORE=${KABUTO_BEFORE:-/work/kabuto-before}
AFTER=${KABUTO:-target/debug/kabuto}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import os, sys
work = sys.argv[1]
with open(os.path.join(work, "policy.yaml"), "w") as f:
    f.write("policies: " + "[" * 400_000 + "\n")
os.makedirs(os.path.join(work, "project"))
with open(os.path.join(work, "project", "pnpm-lock.yaml"), "w") as f:
    f.write("lockfileVersion: '6.0'\npackages: " + "[" * 200_000 + "\n")
os.makedirs(os.path.join(work, "empty"))
with open(os.path.join(work, "ignore.yaml"), "w") as f:
    f.write("vulnerabilities:\n")
    for i in range(200_000):
        f.write(f"  - id: CVE-2020-{i + 1000}\n    paths: ['a/**/b/**/c/**/d{i}']\n")
with open(os.path.join(work, "compact.yaml"), "w") as f:
    f.write("vulnerabilities:\n  - id: CVE-2020-1000\n    paths: [")
    f.write(", ".join(f"a/**/b/**/c/**/d{i}" for i in range(180_000)))
    f.write("]\n")
PY

run() { # label binary args...
    local label=$1 bin=$2
    shift 2
    if [ ! -x "$bin" ]; then
        printf '%-34s %-7s (no binary at %s)\n' "$label" "$(basename "$(dirname "$bin")")" "$bin"
        return
    fi
    local out
    out=$( { timeout 120 /usr/bin/time -f '%e s %M KB' "$bin" "$@" >/dev/null 2>"$WORK/stderr"; echo "exit $?"; } 2>&1)
    local figures code
    figures=$(tail -n 1 "$WORK/stderr")
    code=${out##*exit }
    [ "$code" = 124 ] && figures='>120 s'
    printf '%-34s %-40s %s (exit %s)\n' "$label" "$bin" "$figures" "$code"
}

for bin in "$BEFORE" "$AFTER"; do
    run "policy 400 KB nested [" "$bin" policy check "$WORK/policy.yaml"
    run "pnpm-lock 200 KB nested [" "$bin" scan fs "$WORK/project" --scanners none --format json --quiet
    run "ignore file 200k globs (11 MB)" "$bin" scan fs "$WORK/empty" --scanners none --format json --quiet --ignorefile "$WORK/ignore.yaml"
    run "ignore file 180k globs (4 MB)" "$bin" scan fs "$WORK/empty" --scanners none --format json --quiet --ignorefile "$WORK/compact.yaml"
done
