//! `WWW-Authenticate` headers come from whatever server answers: parse or fail, never panic.
#![no_main]

use kabuto_source::registry::parse_www_authenticate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = std::str::from_utf8(data) {
        let _ = parse_www_authenticate(header);
    }
});
