#!/usr/bin/env python3
"""A bounded load on a loopback URL: CONCURRENCY keep-alive connections issue GET requests
for SECONDS (or until COUNT requests), then print requests/s and latency percentiles.
Usage: load.py URL TOKEN SECONDS CONCURRENCY [PATH...]  (paths are cycled per request)"""
import http.client
import sys
import threading
import time
from urllib.parse import urlparse

url, token, seconds, concurrency = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
paths = sys.argv[5:] or ["/api/v2/images"]
target = urlparse(url)
latencies, errors = [], [0]
lock = threading.Lock()
deadline = time.monotonic() + seconds


def worker(offset):
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    mine, i = [], offset
    while time.monotonic() < deadline:
        path = paths[i % len(paths)]
        i += concurrency
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        mine.append(time.perf_counter() - start)
        if response.status != 200:
            with lock:
                errors[0] += 1
    with lock:
        latencies.extend(mine)


threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
began = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - began
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
print(f"{len(latencies) / elapsed:.0f} req/s  p50 {pick(0.5):.1f} ms  p99 {pick(0.99):.1f} ms  errors {errors[0]}  ({len(latencies)} requests)")
