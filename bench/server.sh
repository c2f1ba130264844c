#!/usr/bin/env bash
# The server's figures against the goals of its issue, on loopback only, bounded in count and
# time (no peer server runs here: each line prints the goal beside our figure and the ratio).
#   1. ingest of a scan report with ~5,000 findings (SQLite): p50 of 30 uploads (goal 200 ms)
#   2. 10,000 stored images (the debian-app fixture's real report, varied digests and tags)
#   3. image list and detail reads under load: req/s and p99 (goals 1,000 req/s, 50 ms)
#   4. re-evaluation of all 10,000 after a policy change (goal 30 s), reads measured meanwhile
#   5. server RSS (goal 150 MB) and store bytes per image
# Usage: bench/server.sh [IMAGES]    PROFILE=debug for a debug build
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server/lib.sh "$@"
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
prepare_kabuto
rss() { echo "  (server RSS now $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB)"; }

"$kabuto" db build --quiet --source "$shared/vulndata" --output "$tmp/data/kabuto.db" >/dev/null
findings=$(python3 bench/server/make-rootfs.py "$shared/vulndata/pypa/vulns" "$tmp/root" 6500)
"$kabuto" scan rootfs "$tmp/root" --quiet --db "$tmp/data/kabuto.db" --scanners vuln --list-packages -f json -o "$tmp/big.json" || true
"$kabuto" scan image "$fixture" --quiet --db "$tmp/data/kabuto.db" --scanners vuln,secret --list-packages -f json -o "$tmp/app.json" || true

start_server
echo "profile: $profile; server $url"

# 1. Ingest: each upload a new scan (artifact name varied, so the digest differs).
n=$(python3 -c "import json;print(len(json.load(open('$tmp/big.json'))['vulnerabilities']))")
times=$(python3 - "$tmp/big.json" "$url" "$token" <<'PY'
import json, sys, time, urllib.request
path, url, token = sys.argv[1:]
report = json.load(open(path))
out = []
for i in range(30):
    report["artifact"]["name"] = f"/bench/root-{i}"
    body = json.dumps(report).encode()
    req = urllib.request.Request(f"{url}/api/v1/scans?register=true&image=bench.example/big:{i}", body,
                                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    start = time.perf_counter()
    urllib.request.urlopen(req).read()
    out.append((time.perf_counter() - start) * 1000)
out.sort()
print(f"{out[len(out)//2]:.0f} {out[int(len(out)*0.95)]:.0f} {len(body)}")
PY
)
read -r p50 p95 bytes <<<"$times"
rss
echo "ingest of a $n-finding report ($((bytes / 1024)) KiB, $findings advisories aimed at): p50 $p50 ms, p95 $p95 ms; goal 200 ms; ratio $(ratio "$p50" 200)"

# 2. 10,000 images from the fixture's real report, two uploads at a time.
start=$(date +%s.%N)
python3 bench/server/populate.py "$tmp/app.json" "$url" "$token" "$images"
stored_s=$(python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')")
echo "stored $images images in $stored_s s"; rss

# 3. Reads under load (wrk, 10 s each, 16 connections).
detail=/api/v2/images/registry.example/team7%2Fapp/7
for path in "/api/v2/images?pagesize=50&order_by=-critical" "$detail" "/api/v2/risks/vulnerabilities?severity=high&pagesize=50"; do
  out=$(wrk -t2 -c16 -d10s --latency -H "Authorization: Bearer $token" "$url$path")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "GET $path: $rps req/s (goal 1000, ratio $(ratio "${rps%.*}" 1000)), p99 $p99 (goal 50ms)"
done

# 4. Re-evaluation after a policy change, with reads going on.
curl -sf -XPUT "$url/api/v2/assurance_policy/image/bench" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"bench","fail_cicd":true,"cvss_severity_enabled":true,"cvss_severity":"critical"}' >/dev/null
start=$(date +%s.%N)
wrk -t1 -c4 -d10s --latency -H "Authorization: Bearer $token" "$url/api/v2/images?pagesize=50" >"$tmp/reads.txt" &
wrk_pid=$!
until curl -sf "$url/api/v1/db" -H "authorization: Bearer $token" | grep -q '"reason":"policy bench changed.*"finished"'; do sleep 0.2; done
reeval_s=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
wait $wrk_pid
reads=$(awk '/Requests\/sec/ {r=$2} $1=="99%" {p=$2} END {print r" req/s, p99 "p}' "$tmp/reads.txt")
rss
echo "re-evaluation of $((images + 30)) images after a policy change: $reeval_s s (goal 30 s, ratio $(ratio "$reeval_s" 30)); reads meanwhile: $reads"

# 5. Memory and size.
rss=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status)
bytes=$(du -b "$tmp/data/kabuto.sqlite"* | awk '{s+=$1} END {print s}')
echo "server peak RSS $rss MB (goal 150, ratio $(ratio "$rss" 150)); store $((bytes / 1048576)) MiB, $((bytes / (images + 30))) bytes per image"
