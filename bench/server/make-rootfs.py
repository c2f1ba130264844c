#!/usr/bin/env python3
"""Writes a root filesystem whose Python packages carry about TARGET known advisories from
the shared PyPA feed: each package is installed at version 0.0.1, below every fix.
Usage: make-rootfs.py PYPA_VULNS_DIR OUT_DIR TARGET"""
import os
import sys

vulns, out, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
counts = sorted(
    ((len(os.listdir(os.path.join(vulns, p))), p) for p in os.listdir(vulns)),
    reverse=True,
)
total = 0
for n, package in counts:
    if total >= target:
        break
    info = os.path.join(out, "usr/lib/python3/dist-packages", f"{package}-0.0.1.dist-info")
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n")
    total += n
print(total)
