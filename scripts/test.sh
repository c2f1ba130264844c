#!/usr/bin/env bash
# Sets up everything the test suite talks to and runs it: the whole suite, from a clean checkout.
#   - builds the real fixture images from ../shared/images (when that folder exists; tests that
#     need them skip with a note otherwise),
#   - starts local OCI registries on loopback for the registry tests (scripts/test-registry.sh),
#   - installs Debian's chromium and chromium-driver for the console's browser tests
#     (scripts/setup-browser.sh),
#   - starts a throwaway PostgreSQL on loopback for the server's store tests
#     (scripts/test-postgres.sh; installs Debian's postgresql when missing),
#   - runs cargo fmt --check, clippy -D warnings and every test in the workspace.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
shared=${KABUTO_SHARED:-$here/../shared}

if [ -x "$shared/images/build-fixture-images.sh" ] && [ "$(id -u)" = 0 ]; then
  echo "== fixture images"
  bash "$shared/images/build-fixture-images.sh" all >/tmp/kabuto-fixtures.log 2>&1 ||
    { tail -20 /tmp/kabuto-fixtures.log; echo "fixture image build failed" >&2; exit 1; }
fi
if [ -x "$shared/peers/install-peers.sh" ] && ! command -v trivy-peer >/dev/null; then
  echo "== peer scanners"
  bash "$shared/peers/install-peers.sh" >/dev/null 2>&1 || echo "note: peers not installed (comparison tests will skip)"
fi
echo "== runtime enforcer tools"
bash scripts/setup-runtime.sh
if [ -x scripts/test-registry.sh ]; then
  echo "== local registries"
  bash scripts/test-registry.sh start
fi

echo "== browser (console tests)"
if bash scripts/setup-browser.sh; then
  export KABUTO_REQUIRE_BROWSER=1
else
  echo "note: chromium could not be installed: the console's browser tests will skip"
fi

echo "== PostgreSQL"
if url=$(bash scripts/test-postgres.sh start); then
  export KABUTO_TEST_POSTGRES_URL=$url
  trap 'bash scripts/test-postgres.sh stop' EXIT
else
  echo "note: PostgreSQL could not be started: the store's PostgreSQL tests will skip"
fi

echo "== fmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests"
cargo test --workspace "$@"
echo "== deploy files"
scripts/check-deploy.sh
