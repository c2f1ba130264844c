#!/usr/bin/env bash
# The main job on an embedded default: build Kabuto, get a current vulnerability database (the
# upstream feeds when they can be reached, the advisories this repository bundles otherwise;
# KABUTO_DEMO_OFFLINE=1 always uses the bundled ones), and scan this machine's own root filesystem.
# Usage: scripts/demo.sh [extra `kabuto scan rootfs` flags, e.g. --format json]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo (Rust 1.95) is needed" >&2; exit 1; }
cargo build --release -p kabuto
kabuto=target/release/kabuto
db=target/demo/kabuto.db
mkdir -p target/demo
# A current database when the advisory feeds can be reached (the first download takes a
# while; later runs fetch only what changed), the bundled advisories otherwise.
if [ -z "${KABUTO_DEMO_OFFLINE:-}" ] &&
  curl -fsS --max-time 5 -o /dev/null https://osv-vulnerabilities.storage.googleapis.com/ecosystems.txt 2>/dev/null; then
  "$kabuto" db build --fetch --output "$db"
else
  echo "note: the advisory feeds cannot be reached: building from the advisories bundled here" >&2
  "$kabuto" db build --output "$db" \
    --source data/demo-feeds \
    --source crates/scan/vulndb/tests/fixtures/feeds
fi
"$kabuto" db info --db "$db" | head -4
exec "$kabuto" scan rootfs / --db "$db" "$@"
