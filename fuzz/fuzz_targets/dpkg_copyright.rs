//! Debian copyright files (DEP-5 and free text) and licence-name normalisation: any bytes,
//! no panic, and only non-empty, distinct licence names.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let licenses = kabuto_catalog::os::dpkg_copyright::parse_copyright(data);
    for (i, license) in licenses.iter().enumerate() {
        assert!(!license.is_empty());
        assert!(!licenses[..i].contains(license));
    }
    let _ = kabuto_catalog::license::normalize(&String::from_utf8_lossy(data));
});
