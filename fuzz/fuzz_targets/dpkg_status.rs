//! dpkg status files (and distroless status.d stanzas): any bytes, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::os::dpkg::parse_status(data, "var/lib/dpkg/status", "dpkg");
});
