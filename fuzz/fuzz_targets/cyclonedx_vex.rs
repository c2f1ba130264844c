#![no_main]
//! CycloneDX VEX documents, and format detection, through parsing and validation: errors,
//! never panics.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_match::suppress::cyclonedx::parse(data, "fuzz.json");
    let _ = kabuto_match::suppress::VexDocument::from_json(data, "fuzz.json");
});
