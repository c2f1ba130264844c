#![no_main]
//! OpenVEX documents through parsing and validation: errors, never panics.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_match::suppress::openvex::parse(data, "fuzz.json");
});
