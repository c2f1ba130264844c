#!/usr/bin/env python3
"""Writes a root filesystem whose Python packages carry about TARGET known advisories from
the shared PyPA feed: each package is installed at version 0.0.1 (below every fix), and the
set is installed again in further site-packages directories (as several virtual
environments of one image would) until TARGET is reached. Prints the advisories aimed at.
Usage: make-rootfs.py PYPA_VULNS_DIR OUT_DIR TARGET"""
import os
import sys

vulns, out, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
packages = [(len(os.listdir(os.path.join(vulns, p))), p) for p in sorted(os.listdir(vulns))]
total, copy = 0, 0
while total < target:
    site = "usr/lib/python3/dist-packages" if copy == 0 else f"opt/venv{copy}/lib/python3.11/site-packages"
    for n, package in packages:
        if total >= target:
            break
        info = os.path.join(out, site, f"{package}-0.0.1.dist-info")
        os.makedirs(info, exist_ok=True)
        with open(os.path.join(info, "METADATA"), "w") as f:
            f.write(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n")
        total += n
    copy += 1
print(total)
