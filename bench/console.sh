#!/usr/bin/env bash
# The console's figures against the goals of its issue, on loopback only:
#   - 10,000 stored images (the debian-app fixture's real report, varied digests and tags)
#   - every page's first byte (curl, p50 and p95 of 20 loads; goal 300 ms) and its weight
#     (goal 300 KB uncompressed)
#   - every page usable in a real browser (headless chromium through chromedriver, driven by
#     Selenium from a venv; DOM content loaded, median of 5 loads; goal 1 s)
# No peer console runs here: each line prints the goal beside our figure and the ratio.
# Usage: bench/console.sh [IMAGES]    PROFILE=debug for a debug build
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server/lib.sh "$@"
bash scripts/setup-browser.sh
venv=$HOME/.cache/kabuto-bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import selenium' 2>/dev/null || "$venv/bin/pip" install -q 'selenium>=4.20'
prepare_kabuto

"$kabuto" db build --quiet --source "$shared/vulndata" --output "$tmp/data/kabuto.db" >/dev/null
"$kabuto" scan image "$fixture" --quiet --db "$tmp/data/kabuto.db" --scanners vuln,secret --list-packages -f json -o "$tmp/app.json" || true
start_server
echo "profile: $profile; server $url"
python3 bench/server/populate.py "$tmp/app.json" "$url" "$token" "$images"
curl -sf -XPUT "$url/api/v2/assurance_policy/image/bench" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"bench","fail_cicd":true,"cvss_severity_enabled":true,"cvss_severity":"critical"}' >/dev/null
until curl -sf "$url/api/v1/db" -H "authorization: Bearer $token" | grep -q '"reason":"policy bench changed.*"finished"'; do sleep 0.5; done
cve=$(curl -sf "$url/api/v2/risks/vulnerabilities?pagesize=1&severity=high" -H "authorization: Bearer $token" |
  python3 -c 'import json,sys;print(json.load(sys.stdin)["result"][0]["name"])')
cookie="kabuto_session=$session"
pages=(/ /images "/images?severity=critical&order_by=-critical" /images/registry.example/team7/app/7
  "/images/registry.example/team7/app/7?tab=vulnerabilities" "/images/registry.example/team7/app/7?tab=packages"
  /vulnerabilities "/vulnerabilities?search=$cve" /vulnerabilities/acknowledged /policies /policies/bench
  /audit /users /settings)
echo "stored $images images; first byte and weight (curl, 20 loads each):"
for page in "${pages[@]}"; do
  for _ in $(seq 20); do
    curl -s -o /dev/null -H "cookie: $cookie" -w '%{time_starttransfer} %{size_download}\n' "$url$page"
  done | sort -n | awk -v page="$page" '{t[NR]=$1*1000; s=$2} END {
    printf "  %-60s first byte p50 %4.0f ms p95 %4.0f ms (goal 300, ratio %.2f); %4.0f KB (goal 300, ratio %.2f)\n",
      page, t[int(NR/2)+1], t[int(NR*0.95)], t[int(NR/2)+1]/300, s/1000, s/1000/300 }'
done
echo "usable in the browser (DOM content loaded, median of 5 loads):"
"$venv/bin/python" - "$url" "$session" "${pages[@]}" <<'PY'
import statistics, sys, tempfile
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
url, session, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,1000", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic", f"--user-data-dir={tempfile.mkdtemp()}"]:
    options.add_argument(arg)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.get(url + "/login")
driver.add_cookie({"name": "kabuto_session", "value": session, "path": "/"})
script = "const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd - n.startTime, n.loadEventEnd - n.startTime];"
for page in pages:
    loaded, done = [], []
    for _ in range(5):
        driver.get(url + page)
        a, b = driver.execute_script(script)
        loaded.append(a); done.append(b)
    m = statistics.median(loaded)
    print(f"  {page:60s} usable {m:5.0f} ms, load event {statistics.median(done):5.0f} ms (goal 1000, ratio {m/1000:.2f})")
driver.quit()
PY
echo "server RSS after the pages: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB"
