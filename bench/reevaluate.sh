#!/usr/bin/env bash
# Re-evaluation without re-scanning: 1,000 stored inventories of the debian-app fixture image
# (Kabuto's JSON report, as `kabuto sbom --format json` writes it) parsed, matched against a
# database built from the whole shared advisory corpus, and judged; prints the total time
# (goal: a few seconds). Usage: bench/reevaluate.sh [COUNT]   PROFILE=debug for a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
profile=${PROFILE:-release}
flag=$([ "$profile" = release ] && echo --release || true)
shared=${KABUTO_SHARED:-$PWD/../shared}
image=${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}/docker/debian-app.tar
[ -f "$image" ] || { echo "missing $image: run ../shared/images/build-fixture-images.sh" >&2; exit 1; }
[ -d "$shared/vulndata" ] || { echo "missing $shared/vulndata" >&2; exit 1; }
cargo build $flag -q -p kabuto
cargo build $flag -q -p kabuto-scan --example reevaluate
kabuto=$PWD/target/$profile/kabuto
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$kabuto" db build --quiet --source "$shared/vulndata" --output "$tmp/kabuto.db" >/dev/null
"$kabuto" sbom "$image" --quiet --format json -o "$tmp/stored.json"
"$kabuto" policy init --template default >"$tmp/policy.yaml"
echo "profile: $profile"
"target/$profile/examples/reevaluate" "$tmp/stored.json" "$tmp/kabuto.db" "$count"
"target/$profile/examples/reevaluate" "$tmp/stored.json" "$tmp/kabuto.db" "$count" "$tmp/policy.yaml" |
  sed 's/^/with the default policy: /'
