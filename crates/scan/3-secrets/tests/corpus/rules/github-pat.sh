#!/bin/sh
set -eu
git clone https://x-access-token:{{fake:ghp_:a62:36}}@github.invalid/acme/app.git
