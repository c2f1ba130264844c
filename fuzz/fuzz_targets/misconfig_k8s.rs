#![no_main]
//! Arbitrary bytes as a Kubernetes manifest stream: findings or an error, never a panic, and
//! bounded work for alias-heavy (YAML bomb) inputs.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_misconfig::scan_kubernetes("manifest.yaml", data);
});
