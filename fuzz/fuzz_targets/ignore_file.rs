#![no_main]
//! Ignore files (`.trivyignore` plain and YAML) through parsing and validation: errors, never panics.

use kabuto_match::suppress::IgnoreFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = IgnoreFile::from_plain(text, "fuzz");
        let _ = IgnoreFile::from_yaml(text, "fuzz.yaml");
    }
});
