//! A docker-archive `manifest.json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(images) = kabuto_source::local::parse_docker_manifest(data) {
        assert!(!images.is_empty());
    }
});
