//! An OCI layout's `index.json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_source::local::parse_oci_index(data);
});
