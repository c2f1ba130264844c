#!/usr/bin/env bash
# Rule evaluation throughput of the runtime enforcer's rule engine on one core (goal: over 1M
# events/s). A release build of crates/runtime/rules/examples/rules-bench.rs, pinned to one CPU.
# Usage: bench/runtime-rules.sh [rounds of 10 events, default 400000]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p kabuto-runtime-policy --example rules-bench
target=${CARGO_TARGET_DIR:-target}
exec taskset -c 0 "$target/release/examples/rules-bench" "$@"
