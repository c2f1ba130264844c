# Shared by the server benchmarks: `source bench/server/lib.sh "$@"` from the repository's root.
# Reads the arguments (IMAGES, default 10,000) and PROFILE (release, or debug), checks the
# debian-app fixture is built; prepare_kabuto builds the binary and makes $tmp (removed on
# exit, with the server); start_server starts `kabuto server` on a loopback port with the
# data directory $tmp/data and logs in, setting $pid, $url, $session (a login) and $token
# (an API token of the administrator).
images=${1:-10000}
profile=${PROFILE:-release}
flag=$([ "$profile" = release ] && echo --release || true)
shared=${KABUTO_SHARED:-$PWD/../shared}
fixture=${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}/docker/debian-app.tar
[ -f "$fixture" ] || { echo "missing $fixture: run ../shared/images/build-fixture-images.sh" >&2; exit 1; }

prepare_kabuto() {
  cargo build $flag -q -p kabuto
  kabuto=$PWD/target/$profile/kabuto
  tmp=$(mktemp -d)
  pid=
  trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
}

start_server() {
  KABUTO_ADMIN_PASSWORD='bench password 1234' "$kabuto" server --listen 127.0.0.1:0 --data-dir "$tmp/data" 2>"$tmp/server.log" &
  pid=$!
  for _ in $(seq 600); do grep -q "listening on" "$tmp/server.log" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$tmp/server.log" | head -1)
  session=$(curl -sf -XPOST "$url/api/v1/login" -H 'content-type: application/json' \
    -d '{"id":"administrator","password":"bench password 1234"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  token=$(curl -sf -XPOST "$url/api/v1/tokens" -H "authorization: Bearer $session" -H 'content-type: application/json' \
    -d '{"name":"bench"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
}

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
