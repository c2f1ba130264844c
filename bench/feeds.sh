#!/usr/bin/env bash
# `kabuto db build --fetch` figures, against a loopback mirror of the upstream layouts made
# from the shared advisory corpus (no upstream host is reached; python3's http.server answers
# If-Modified-Since with 304 as the real hosts do):
#   - the first fetch and build: time, peak RSS (goal: bounded, not the size of the feeds);
#   - the database size, and MiB per 100,000 advisories (Trivy's published DB: ~90 MiB
#     compressed for all of its sources);
#   - a daily rebuild with nothing changed upstream (goal: seconds).
# OSV exports: Debian (changelog-derived Debian 12), AlmaLinux, Go, crates.io, Bitnami; NVD:
# the real records of nvd-sample as one API page; EPSS: a generated file of FIRST's size
# (300,000 rows); KEV: a generated catalog of CISA's size (1,400 entries).
# Usage: bench/feeds.sh    PROFILE=debug for a debug build
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
flag=$([ "$profile" = release ] && echo --release || true)
shared=${KABUTO_SHARED:-$PWD/../shared}/vulndata
[ -d "$shared" ] || { echo "missing $shared" >&2; exit 1; }
cargo build $flag -q -p kabuto
kabuto=$PWD/target/$profile/kabuto
tmp=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

python3 - "$shared" "$tmp/mirror" <<'EOF'
import gzip, json, os, random, sys, zipfile
shared, root = sys.argv[1], sys.argv[2]
exports = {
    "Debian": "debian12-changelog-derived/osv",
    "AlmaLinux": "almalinux/advisories",
    "Go": "golang/data/osv",
    "crates.io": "rustsec-osv/crates",
    "Bitnami": "bitnami/data",
}
os.makedirs(f"{root}/osv", exist_ok=True)
with open(f"{root}/osv/ecosystems.txt", "w") as f:
    f.write("\n".join(exports) + "\n")
for ecosystem, src in exports.items():
    os.makedirs(f"{root}/osv/{ecosystem}", exist_ok=True)
    with zipfile.ZipFile(f"{root}/osv/{ecosystem}/all.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for dirpath, _, files in sorted(os.walk(f"{shared}/{src}")):
            for name in sorted(files):
                if name.endswith(".json"):
                    path = os.path.join(dirpath, name)
                    z.write(path, arcname=os.path.relpath(path, f"{shared}/{src}"))
cves = []
for name in sorted(os.listdir(f"{shared}/nvd-sample")):
    if name.endswith(".json"):
        cves.append({"cve": json.load(open(f"{shared}/nvd-sample/{name}"))})
os.makedirs(f"{root}/nvd", exist_ok=True)
json.dump({"resultsPerPage": len(cves), "startIndex": 0, "totalResults": len(cves),
           "format": "NVD_CVE", "version": "2.0", "vulnerabilities": cves},
          open(f"{root}/nvd/cves", "w"))
rng = random.Random(7)
rows = [f"CVE-{1999 + i % 28}-{10000 + i},{rng.random():.5f},{rng.random():.5f}" for i in range(300000)]
with gzip.open(f"{root}/epss.csv.gz", "wt") as f:
    f.write("#model_version:v2025.03.14,score_date:2026-12-06T00:00:00+0000\ncve,epss,percentile\n")
    f.write("\n".join(rows) + "\n")
vulns = [{"cveID": f"CVE-{2002 + i % 24}-{20000 + i}", "vendorProject": "v", "product": "p",
          "vulnerabilityName": "n", "dateAdded": "2026-01-01", "shortDescription": "",
          "requiredAction": "", "dueDate": "2026-02-01", "knownRansomwareCampaignUse": "Unknown",
          "notes": ""} for i in range(1400)]
json.dump({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.12.05",
           "count": len(vulns), "vulnerabilities": vulns}, open(f"{root}/kev.json", "w"))
EOF

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$tmp/mirror" >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/kev.json" -o /dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$port
cat >"$tmp/sources.yaml" <<EOF
osv: {base: $url/osv/}
nvd: {url: $url/nvd/cves}
epss: {url: $url/epss.csv.gz}
kev: {url: $url/kev.json}
EOF

run() { # run N: time and peak RSS of one `db build --fetch`
  /usr/bin/time -f "%e %M" -o "$tmp/time.$1" "$kabuto" db build --fetch --quiet \
    --sources "$tmp/sources.yaml" --feed-cache "$tmp/cache" --db "$tmp/kabuto.db" >"$tmp/out.$1" 2>&1 \
    || { cat "$tmp/out.$1" >&2; exit 1; }
}
run 1
run 2
read -r first_s first_kb <"$tmp/time.1"
read -r second_s second_kb <"$tmp/time.2"
advisories=$(grep -o '[0-9]* advisories' "$tmp/out.1" | head -1 | cut -d' ' -f1)
feeds_mib=$(du -sm --apparent-size "$tmp/mirror" | cut -f1)
db_bytes=$(stat -c %s "$tmp/kabuto.db")
python3 - "$advisories" "$db_bytes" "$feeds_mib" "$first_s" "$first_kb" "$second_s" "$second_kb" <<'EOF'
import sys
adv, db, feeds, s1, kb1, s2, kb2 = sys.argv[1:]
adv, db = int(adv), int(db)
mib = db / 2**20
print(f"feeds {feeds} MiB served on loopback; {adv:,} advisories")
print(f"{'what':<52} {'ours':>14} {'peer / goal':>22}")
print(f"{'first fetch + build: wall s / peak RSS MiB':<52} {float(s1):>7.1f} / {int(kb1)/1024:>4.0f} {'bounded':>22}")
print(f"{'database size MiB':<52} {mib:>14.1f} {'Trivy DB ~90 (all)':>22}")
print(f"{'MiB per 100,000 advisories':<52} {mib / adv * 100000:>14.1f} {'-':>22}")
print(f"{'rebuild, nothing changed: wall s / peak RSS MiB':<52} {float(s2):>7.1f} / {int(kb2)/1024:>4.0f} {'seconds':>22}")
EOF
grep -h "fetched\|enriched" "$tmp/out.1" "$tmp/out.2" || true
