#![no_main]
//! Arbitrary bytes as an executable carrying a cargo-auditable .dep-v0 section: must return a result or an error, never panic.

use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::binary::RustAuditableAnalyzer.analyze(FileInput {
        path: "usr/local/bin/app",
        content: data,
    });
});
