#![no_main]
//! Arbitrary bytes as a Dockerfile: findings or an error, never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_misconfig::scan_dockerfile("Dockerfile", data);
});
