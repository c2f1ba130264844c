#!/usr/bin/env python3
"""Stores COUNT images at a Kabuto server from one real scan report, each with its own
digest and tag (registry.example/team{i % 50}/app:{i}), two uploads at a time.
Usage: populate.py REPORT.json URL TOKEN COUNT"""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

path, url, token, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
report = json.load(open(path))


def upload(i):
    r = dict(report)
    r["image"] = dict(report.get("image") or {})
    r["image"]["manifest_digest"] = "sha256:%064x" % i
    body = json.dumps(r).encode()
    req = urllib.request.Request(
        f"{url}/api/v1/scans?register=true&image=registry.example/team{i % 50}/app:{i}",
        body,
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(req).read()


with ThreadPoolExecutor(2) as pool:
    list(pool.map(upload, range(count)))
