# Shared by the server benchmarks (source it): starts `kabuto server` on a loopback port with
# the data directory $tmp/data and logs in. Needs $kabuto and $tmp; sets $pid, $url,
# $session (a login) and $token (an API token of the administrator).
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
