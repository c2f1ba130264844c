#!/usr/bin/env bash
# The kube-enforcer's figures against the goals of its issue, on loopback only, each load run
# bounded in time (no Kubernetes API server, Kyverno or Gatekeeper runs here: their published
# figures are printed beside ours with the ratio).
#   1. cached verdicts: /validate of a Deployment whose image the server denies, 4 and 100
#      connections, each run as fast as it goes (goals: p99 under 5 ms, over 2,000 reviews/s;
#      Kyverno's published average at 100 virtual users is 36-43 ms; Gatekeeper's handler with
#      5 constraints 9.4 ms)
#   2. verdicts from the server every time (--cache-ttl 0, image pinned by digest): p99
#      (goal 50 ms)
#   3. the enforcer's peak RSS (goal 64 MB)
# Needs the local test registries (scripts/test-registry.sh start) and the fixture images.
# Usage: bench/admission.sh [SECONDS]    PROFILE=debug for a debug build
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
profile=${PROFILE:-release}
flag=$([ "$profile" = release ] && echo --release || true)
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
[ -f /tmp/kabuto-registry/registry.env ] || bash scripts/test-registry.sh start >/dev/null
# shellcheck disable=SC1091
. /tmp/kabuto-registry/registry.env
cargo build $flag -q -p kabuto
kabuto=$PWD/target/$profile/kabuto
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
wait_line() { for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return; sleep 0.1; done; cat "$1"; exit 1; }

mkdir -p "$tmp/data"
"$kabuto" db build --quiet --source crates/scan/vulndb/tests/fixtures/feeds --output "$tmp/data/kabuto.db" >/dev/null
KABUTO_ADMIN_PASSWORD='bench password 1234' "$kabuto" server --listen 127.0.0.1:0 --data-dir "$tmp/data" 2>"$tmp/server.log" &
pids+=($!)
wait_line "$tmp/server.log" "listening on"
url=$(grep -o 'http://[0-9.:]*' "$tmp/server.log" | head -1)
api() { curl -sf "$@" -H 'content-type: application/json'; }
session=$(api -XPOST "$url/api/v1/login" -d '{"id":"administrator","password":"bench password 1234"}' | jq -r .token)
admin=$(api -XPOST "$url/api/v1/tokens" -H "authorization: Bearer $session" -d '{"name":"bench"}' | jq -r .token)
api -XPOST "$url/api/v1/users" -H "authorization: Bearer $session" -d '{"id":"enforcer","role":"enforcer"}' >/dev/null
enforcer=$(api -XPOST "$url/api/v1/tokens" -H "authorization: Bearer $session" -d '{"name":"kube","user":"enforcer"}' | jq -r .token)
image=127.0.0.1:$PLAIN_PORT/fixtures/debian-app:latest
"$kabuto" scan image "$image" --insecure --quiet --db "$tmp/data/kabuto.db" --scanners vuln -f json -o /dev/null \
  --server "$url" --token "$admin" --register || true
api -XPUT "$url/api/v2/assurance_policy/image/no-requests-cve" -H "authorization: Bearer $admin" \
  -d '{"name":"no-requests-cve","block_failed":true,"cves_black_list_enabled":true,"cves_black_list":["CVE-2018-18074"]}' >/dev/null
# The policy applies once the server has evaluated the stored image again.
for _ in $(seq 300); do
  verdict=$(api "$url/api/v1/verdicts?image=$image" -H "authorization: Bearer $enforcer")
  [ "$(jq '.failed_policies | length' <<<"$verdict")" -gt 0 ] && break
  sleep 0.1
done
digest=$(jq -r .digest <<<"$verdict")
"$kabuto" kube-enforcer certs --quiet --name 127.0.0.1 --out "$tmp/certs"

start_enforcer() { # log file, extra flags -> sets webhook (its URL) and webhook_pid
  "$kabuto" kube-enforcer --listen 127.0.0.1:0 --tls-cert "$tmp/certs/tls.crt" --tls-key "$tmp/certs/tls.key" \
    --server "$url" --token "$enforcer" --insecure "${@:2}" 2>"$1" &
  webhook_pid=$!
  pids+=("$webhook_pid")
  wait_line "$1" "listening on"
  webhook=$(grep -oE 'https://[0-9.]+:[0-9]+' "$1" | head -1)
}
review() { # image -> AdmissionReview body file
  sed "s#IMAGE_1#$1#" crates/bin/kabuto/tests/fixtures/admission/deployment.json |
    jq -c '{apiVersion:"admission.k8s.io/v1",kind:"AdmissionReview",request:{uid:"bench",
      kind:{group:"apps",version:"v1",kind:"Deployment"},resource:{group:"apps",version:"v1",resource:"deployments"},
      name:"web",namespace:"shop",operation:"CREATE",userInfo:{username:"bench"},object:.,dryRun:false}}'
}
lua() { # body file -> wrk script
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("%s")\nwrk.body = f:read("*a")\nf:close()\n' "$1"
}
load() { # url, connections, script -> "req/s avg_ms p99_ms"
  wrk -t2 -c"$2" -d"${seconds}s" --latency -s "$3" "$1/validate" > "$tmp/wrk.txt"
  python3 - "$tmp/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
avg = re.search(r"Latency\s+([\d.]+)(us|ms|s)", text)
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if non2xx: sys.exit(f"{non2xx.group(1)} reviews were not answered with 200")
print(f"{rps:.0f} {ms(*avg.groups()):.2f} {ms(*p99.groups()):.2f}")
PY
}

review "$image" > "$tmp/tag.json"
review "127.0.0.1:$PLAIN_PORT/fixtures/debian-app@$digest" > "$tmp/digest.json"
lua "$tmp/tag.json" > "$tmp/tag.lua"
lua "$tmp/digest.json" > "$tmp/digest.lua"

start_enforcer "$tmp/cached.log"
cached=$webhook
curl -sS --cacert "$tmp/certs/ca.crt" -XPOST "$cached/validate" -H 'content-type: application/json' \
  --data-binary @"$tmp/tag.json" | tee "$tmp/first.json" | jq -e ".response.allowed == false" >/dev/null || { cat "$tmp/first.json" "$tmp/cached.log" >&2; echo "the review was not denied" >&2; exit 1; }
read -r rps4 avg4 p99_4 <<<"$(load "$cached" 4 "$tmp/tag.lua")"
read -r rps100 avg100 p99_100 <<<"$(load "$cached" 100 "$tmp/tag.lua")"
hwm=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$webhook_pid/status")

start_enforcer "$tmp/uncached.log" --cache-ttl 0
uncached=$webhook
read -r rps_server avg_server p99_server <<<"$(load "$uncached" 16 "$tmp/digest.lua")"

echo "profile: $profile; $seconds s per run; image $image (denied by a block_failed policy at the server)"
printf '%-58s %12s %14s %8s\n' "what" "ours" "goal / peer" "ratio"
printf '%-58s %12s %14s %8s\n' "cached verdicts, 4 connections: reviews/s" "$rps4" "2000" "$(ratio "$rps4" 2000)"
printf '%-58s %12s %14s %8s\n' "cached verdicts, 4 connections: p99 ms (average $avg4)" "$p99_4" "5" "$(ratio "$p99_4" 5)"
printf '%-58s %12s %14s %8s\n' "cached verdicts, 4 connections: average ms (Gatekeeper 9.4)" "$avg4" "9.4" "$(ratio "$avg4" 9.4)"
printf '%-58s %12s %14s %8s\n' "cached verdicts, 100 connections: average ms (Kyverno 42.67)" "$avg100" "42.67" "$(ratio "$avg100" 42.67)"
printf '%-58s %12s %14s %8s\n' "cached verdicts, 100 connections: p99 ms, reviews/s $rps100" "$p99_100" "-" "-"
printf '%-58s %12s %14s %8s\n' "verdict from the server each time (by digest): p99 ms" "$p99_server" "50" "$(ratio "$p99_server" 50)"
printf '%-58s %12s %14s %8s\n' "  same run: reviews/s, average ms" "$rps_server" "$avg_server" "-"
printf '%-58s %12s %14s %8s\n' "enforcer peak RSS after the cached runs, MB" "$hwm" "64" "$(ratio "$hwm" 64)"
