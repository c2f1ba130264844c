//! rpm header blobs as stored in the rpm database: any bytes, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::os::rpm::parse_header(data);
});
