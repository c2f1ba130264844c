#!/usr/bin/env bash
# The console with real data to look at: runs scripts/demo.sh (build, current database, scan of
# this machine's root filesystem) with JSON output, starts `kabuto server` on
# http://127.0.0.1:8080 (data in target/console-demo), registers that scan and the fixture
# images' scans when ../shared/images built them, and prints the login. Ctrl-C stops it.
# Usage: scripts/console-demo.sh        (KABUTO_DEMO_PORT=8080)
set -euo pipefail
cd "$(dirname "$0")/.."
port=${KABUTO_DEMO_PORT:-8080}
data=target/console-demo
mkdir -p "$data"
scripts/demo.sh --quiet --format json --output "$data/this-host.json" || true
kabuto=target/release/kabuto
password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
[ -s "$data/kabuto.sqlite" ] && echo "note: reusing the store in $data (its administrator keeps the password it had)" >&2
KABUTO_ADMIN_PASSWORD=$password "$kabuto" server --listen "127.0.0.1:$port" --data-dir "$data" --db target/demo/kabuto.db &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT INT TERM
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.5; done
session=$(curl -sf -XPOST "http://127.0.0.1:$port/api/v1/login" -H 'content-type: application/json' \
  -d "{\"id\":\"administrator\",\"password\":\"$password\"}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])') || true
if [ -n "${session:-}" ]; then
  export KABUTO_SERVER=http://127.0.0.1:$port KABUTO_TOKEN=$session
  curl -sf -XPOST "$KABUTO_SERVER/api/v1/scans?register=true&image=local/this-host:latest" \
    -H "authorization: Bearer $session" -H 'content-type: application/json' --data-binary "@$data/this-host.json" >/dev/null
  for image in "${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}"/docker/*.tar; do
    [ -f "$image" ] && "$kabuto" scan image "$image" --quiet --db target/demo/kabuto.db --register --exit-code 0 >/dev/null || true
  done
  echo
  echo "Console: http://127.0.0.1:$port/   user: administrator   password: $password"
fi
wait $pid
