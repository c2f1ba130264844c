#![no_main]
//! Arbitrary text as an embedded pom.xml, and as a manifest `Bundle-License` value
//! normalised like one: licences or an error, never a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = kabuto_catalog::binary::java_licenses::pom_licenses(&text);
    let _ = kabuto_catalog::license::normalize_declared(&text);
});
