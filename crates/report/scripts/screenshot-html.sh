#!/usr/bin/env bash
# Renders the HTML report golden (tests/snapshots/golden__findings_html.snap) with headless
# Chromium and writes a PNG, to look at the page as a browser draws it.
# Usage: crates/report/scripts/screenshot-html.sh [OUT.png] [SNAPSHOT]
# Installs Debian's chromium package when no chromium is on PATH (needs root and apt).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-/tmp/kabuto-report.png}"
snapshot="${2:-$here/tests/snapshots/golden__findings_html.snap}"

if ! command -v chromium >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

page="$(mktemp --suffix=.html)"
trap 'rm -f "$page"' EXIT
# insta snapshots start with a `---` delimited header.
awk 'seen >= 2 { print; next } /^---$/ { seen++ }' "$snapshot" >"$page"

chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1280,2400 --screenshot="$out" "file://$page" 2>/dev/null
echo "wrote $out"
