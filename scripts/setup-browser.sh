#!/usr/bin/env bash
# Installs what the console's browser tests drive: Debian's chromium and chromium-driver
# (/usr/bin/chromium, /usr/bin/chromedriver). Idempotent; needs root to install.
set -euo pipefail
if command -v chromedriver >/dev/null && command -v chromium >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium and chromium-driver are missing and only root can install them" >&2
  exit 1
fi
echo "installing chromium and chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium chromium-driver fonts-dejavu-core >/dev/null 2>&1 ||
  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver fonts-dejavu-core >/dev/null; }
chromium --version >&2
