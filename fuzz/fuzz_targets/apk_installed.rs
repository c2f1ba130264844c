//! apk `lib/apk/db/installed` databases: any bytes, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::os::apk::parse_installed(data, "lib/apk/db/installed", "apk");
});
