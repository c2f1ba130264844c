#!/usr/bin/env bash
# The main job on an embedded default: build Kabuto, build a vulnerability database from the
# advisories this repository bundles, and scan this machine's own root filesystem.
# Usage: scripts/demo.sh [extra `kabuto scan rootfs` flags, e.g. --format json]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo (Rust 1.95) is needed" >&2; exit 1; }
cargo build --release -p kabuto
kabuto=target/release/kabuto
db=target/demo/kabuto.db
mkdir -p target/demo
"$kabuto" db build --output "$db" \
  --source data/demo-feeds \
  --source crates/scan/vulndb/tests/fixtures/feeds
"$kabuto" db info --db "$db" | head -4
exec "$kabuto" scan rootfs / --db "$db" "$@"
