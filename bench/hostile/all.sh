#!/usr/bin/env bash
# Runs every hostile-input measurement in this folder: each script generates its inputs in a
# temp dir and prints time and peak RSS for the old binary ($KABUTO_BEFORE) beside the current
# one ($KABUTO), so a fix is measured against what it fixed.
#   KABUTO_BEFORE=/path/to/old/kabuto KABUTO=target/release/kabuto bench/hostile/all.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for script in "$here"/*.sh; do
    [ "$(basename "$script")" = all.sh ] && continue
    echo "== $(basename "$script" .sh)"
    bash "$script"
done
