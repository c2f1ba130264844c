#!/usr/bin/env bash
# Registry scanning at the server (issue 16, "Speed"), on loopback only, bounded in count and
# time (no peer runs here: each line prints the goal beside our figure and the ratio).
#   1. a docker-registry started here whose filesystem store is written directly: REPOS x TAGS
#      real, distinct images (the fixture's layers, a config of their own per tag), checked
#      with skopeo inspect and the catalog
#   2. POST /api/v1/registries/{name}/scan: catalog walk, tag listing, platform digests and
#      queueing of one job per tag (goal: "seconds"; read as under 10 s), tags/s
#   3. a second pull right after: it queues nothing new (every tag is queued or known)
#   4. --scan-workers 2: images finished per minute over a fixed window, beside what the
#      engine allows (2 workers x one `kabuto scan image` of the same image from the same
#      registry) and the workers' per-registry spacing (a scan start every 25 ms); the
#      server's CPU seconds per image stored beside the CPU of that one `kabuto scan image`
#   5. a third pull after the window: the tags scanned meanwhile are known, none queued again;
#      every tag has one job, never two
# Needs docker-registry, skopeo and the fixture images (../shared/images/build-fixture-images.sh).
# Usage: bench/registries.sh [REPOS [TAGS]]    PROFILE=debug for a debug build, WINDOW=60 (s),
#        FIXTURE=alpine-like (an OCI layout under the fixtures' out/oci/)
set -euo pipefail
cd "$(dirname "$0")/.."
repos=${1:-500}
tags=${2:-10}
window=${WINDOW:-60}
profile=${PROFILE:-release}
flag=$([ "$profile" = release ] && echo --release || true)
shared=${KABUTO_SHARED:-$PWD/../shared}
fixture=${KABUTO_FIXTURES:-$HOME/.cache/kabuto-fixtures/out}/oci/${FIXTURE:-alpine-like}
[ -f "$fixture/index.json" ] || { echo "missing $fixture: run ../shared/images/build-fixture-images.sh" >&2; exit 1; }
for tool in docker-registry skopeo jq curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
cargo build $flag -q -p kabuto
kabuto=${CARGO_TARGET_DIR:-$PWD/target}/$profile/kabuto
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.${2:-2}f}')"; }
wait_for() { for _ in $(seq 600); do eval "$1" >/dev/null 2>&1 && return; sleep 0.1; done; echo "timed out: $1" >&2; cat "$2" >&2; exit 1; }
problems=()
check() { [ "$1" = "$2" ] || problems+=("$3: expected $2, got $1"); }
images=$((repos * tags))

# 1. The registry.
start=$(now)
python3 bench/registries/make-storage.py "$fixture" "$tmp/store" "$repos" "$tags" >"$tmp/images.txt"
made_s=$(since "$start" 1)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
registry=127.0.0.1:$port
cat >"$tmp/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $tmp/store
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $registry
EOF
docker-registry serve "$tmp/registry.yml" 2>"$tmp/registry.log" &
pids+=($!)
wait_for "curl -sf http://$registry/v2/" "$tmp/registry.log"
catalog=$(curl -sf "http://$registry/v2/_catalog?n=1000" | jq '.repositories | length')
check "$catalog" "$((repos < 1000 ? repos : 1000))" "repositories in the first catalog page"
for line in 1 $((images / 2)) "$images"; do
  read -r repository tag digest < <(sed -n "${line}p" "$tmp/images.txt")
  inspected=$(skopeo inspect --tls-verify=false "docker://$registry/$repository:$tag" | jq -r '.Digest + " " + .Labels["bench.image"]')
  check "$inspected" "$digest $repository:$tag" "skopeo inspect of $repository:$tag"
done
distinct=$(cut -d' ' -f3 "$tmp/images.txt" | sort -u | wc -l)
check "$distinct" "$images" "distinct manifest digests"

# The single-image figure, before the server runs: the same image, the same registry.
mkdir -p "$tmp/data"
"$kabuto" db build --quiet --source "$shared/vulndata" --output "$tmp/data/kabuto.db" >/dev/null
read -r repository tag _ < <(head -1 "$tmp/images.txt")
for _ in 1 2 3; do
  /usr/bin/time -a -o "$tmp/single.times" -f '%e %U %S' "$kabuto" scan image "$registry/$repository:$tag" \
    --insecure --quiet --db "$tmp/data/kabuto.db" --scanners vuln,secret -f json -o "$tmp/single.json"
done
# The median run's wall and CPU seconds.
read -r single_s single_cpu < <(awk '{print $1, $2 + $3}' "$tmp/single.times" | sort -n | sed -n 2p)

# 2. The server, the integration and the first pull.
KABUTO_ADMIN_PASSWORD='bench password 1234' "$kabuto" server --listen 127.0.0.1:0 --data-dir "$tmp/data" \
  --scan-workers 2 2>"$tmp/server.log" &
pids+=($!)
server_pid=$!
wait_for "grep -q 'listening on' $tmp/server.log" "$tmp/server.log"
url=$(grep -o 'http://[0-9.:]*' "$tmp/server.log" | head -1)
api() { curl -sf "$@" -H 'content-type: application/json'; }
session=$(api -XPOST "$url/api/v1/login" -d '{"id":"administrator","password":"bench password 1234"}' | jq -r .token)
token=$(api -XPOST "$url/api/v1/tokens" -H "authorization: Bearer $session" -d '{"name":"bench"}' | jq -r .token)
auth="authorization: Bearer $token"
api -XPOST "$url/api/v1/registries" -H "$auth" -d "{\"name\":\"bench\",\"type\":\"V2\",\"url\":\"http://$registry\",
  \"auto_pull\":false,\"auto_pull_max\":$images}" >/dev/null
pull() { # answer file -> seconds
  printf '%.1f' "$(api -XPOST "$url/api/v1/registries/bench/scan" -H "$auth" -o "$1" -w '%{time_total}' --max-time 600)"
}
jobs() { # state -> count of the registry's jobs in it
  api "$url/api/v1/scan_jobs?registry=$registry&state=$1&pagesize=1" -H "$auth" | jq .count
}
first_s=$(pull "$tmp/pull1.json")
read -r queued1 _ error1 < <(jq -r '[.status.queued, .status.known, .status.error // "-"] | @tsv' "$tmp/pull1.json")
done_during=$(jobs done)
check "$queued1" "$images" "first pull: jobs queued"
check "$error1" "-" "first pull: error"

# 3. The second pull, at once.
second_s=$(pull "$tmp/pull2.json")
read -r queued2 known2 listed2 < <(jq -r '[.status.queued, .status.known, (.jobs | length)] | @tsv' "$tmp/pull2.json")
check "$queued2" 0 "second pull: new jobs queued"
check "$((known2 + listed2))" "$images" "second pull: tags known or already queued"

# 4. The workers over a fixed window.
cpu_seconds() { awk -v tck="$(getconf CLK_TCK)" '{print ($14 + $15) / tck}' "/proc/$server_pid/stat"; }
done0=$(jobs done)
cpu0=$(cpu_seconds)
sleep "$window"
done1=$(jobs done)
cpu1=$(cpu_seconds)
load=$(cut -d' ' -f1 /proc/loadavg)
cpu_per_image=$(python3 -c "print(f'{($cpu1 - $cpu0) / max($done1 - $done0, 1):.3f}')")
failed=$(jobs failed)
per_minute=$(python3 -c "print(round(($done1 - $done0) * 60 / $window))")
engine_bound=$(python3 -c "print(round(2 * 60 / $single_s))")
spacing_bound=2400 # REGISTRY_SPACING in crates/server/http/src/registries/worker.rs: 25 ms
check "$failed" 0 "failed scan jobs"
if [ "$failed" != 0 ]; then
  api "$url/api/v1/scan_jobs?registry=$registry&state=failed&pagesize=1" -H "$auth" | jq -r '.result[0].error' >&2
fi

# 5. The third pull: what the workers finished is known now; one job per tag.
done_before3=$(jobs done)
third_s=$(pull "$tmp/pull3.json")
read -r queued3 known3 < <(jq -r '[.status.queued, .status.known] | @tsv' "$tmp/pull3.json")
check "$queued3" 0 "third pull: new jobs queued"
[ "$known3" -ge "$done_before3" ] || problems+=("third pull: $known3 known, but $done_before3 jobs were done before it")
duplicates=$(python3 - "$url" "$token" "$registry" <<'PY'
import collections, json, sys, urllib.request
url, token, registry = sys.argv[1:]
per_tag, page = collections.Counter(), 1
while True:
    req = urllib.request.Request(f"{url}/api/v1/scan_jobs?registry={registry}&pagesize=1000&page={page}",
                                 headers={"Authorization": f"Bearer {token}"})
    answer = json.load(urllib.request.urlopen(req))
    for job in answer["result"]:
        if job["state"] != "skipped":
            per_tag[(job["repository"], job["tag"])] += 1
    if page * 1000 >= answer["count"]:
        break
    page += 1
print(sum(n - 1 for n in per_tag.values() if n > 1), len(per_tag))
PY
)
read -r twice tagged <<<"$duplicates"
check "$twice" 0 "tags with more than one (non-skipped) job"
check "$tagged" "$images" "tags with a job"
rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$server_pid/status")

echo "profile: $profile; registry $registry: $repos repositories x $tags tags of ${fixture##*/} (store written in $made_s s)"
printf '%-62s %12s %14s %8s\n' "what" "ours" "goal / peer" "ratio"
printf '%-62s %12s %14s %8s\n' "first pull: catalog, tags, digests, $queued1 jobs queued: s" "$first_s" "seconds (10)" "$(ratio "$first_s" 10)"
printf '%-62s %12s %14s %8s\n' "  same pull: tags/s ($done_during done by the workers meanwhile)" "$(python3 -c "print(round($images / $first_s))")" "-" "-"
printf '%-62s %12s %14s %8s\n' "second pull at once: s ($known2 known, $listed2 already queued)" "$second_s" "seconds (10)" "$(ratio "$second_s" 10)"
printf '%-62s %12s %14s %8s\n' "  same pull: new jobs queued" "$queued2" "0" "-"
printf '%-62s %12s %14s %8s\n' "2 workers: images stored per minute (${window} s, load $load/$(nproc))" "$per_minute" "$engine_bound" "$(ratio "$per_minute" "$engine_bound")"
printf '%-62s %12s %14s %8s\n' "  engine bound: \`kabuto scan image\` from the registry (process), s" "$single_s" "-" "-"
printf '%-62s %12s %14s %8s\n' "  server CPU s per image stored (scan + ingest) vs scan image" "$cpu_per_image" "$single_cpu" "$(ratio "$cpu_per_image" "$single_cpu")"
printf '%-62s %12s %14s %8s\n' "  bound by the workers' spacing per registry (25 ms): /min" "$spacing_bound" "-" "$(ratio "$per_minute" "$spacing_bound")"
printf '%-62s %12s %14s %8s\n' "third pull after the window: s ($known3 known)" "$third_s" "seconds (10)" "$(ratio "$third_s" 10)"
printf '%-62s %12s %14s %8s\n' "  same pull: new jobs queued; tags with two jobs" "$queued3; $twice" "0; 0" "-"
printf '%-62s %12s %14s %8s\n' "server peak RSS, MB" "$rss" "-" "-"
if [ "${#problems[@]}" -gt 0 ]; then
  printf 'PROBLEM: %s\n' "${problems[@]}" >&2
  exit 1
fi
