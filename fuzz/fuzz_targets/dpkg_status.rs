//! dpkg status files (and distroless status.d stanzas), whole or cut at the per-file limit:
//! any bytes, no panic, never more packages than the cap.
#![no_main]

use kabuto_catalog::os::dpkg::{DpkgAnalyzer, parse_status};
use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

const STATUS: &str = "var/lib/dpkg/status";

fuzz_target!(|data: &[u8]| {
    // The first byte is a small package cap, so the fuzzer reaches the cap as well.
    let Some((&cap, text)) = data.split_first() else {
        return;
    };
    let out = parse_status(text, STATUS, "dpkg", usize::from(cap));
    assert!(out.packages.len() <= usize::from(cap));
    let _ = DpkgAnalyzer.analyze_prefix(FileInput {
        path: STATUS,
        content: text,
    });
});
