//! apk `lib/apk/db/installed` databases, whole or cut at the per-file limit: any bytes, no
//! panic, never more packages than the cap.
#![no_main]

use kabuto_catalog::os::apk::{ApkAnalyzer, parse_installed};
use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

const INSTALLED: &str = "lib/apk/db/installed";

fuzz_target!(|data: &[u8]| {
    // The first byte is a small package cap, so the fuzzer reaches the cap as well.
    let Some((&cap, text)) = data.split_first() else {
        return;
    };
    let out = parse_installed(text, INSTALLED, "apk", usize::from(cap));
    assert!(out.packages.len() <= usize::from(cap));
    let _ = ApkAnalyzer.analyze_prefix(FileInput {
        path: INSTALLED,
        content: text,
    });
});
