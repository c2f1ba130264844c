#![no_main]
//! Arbitrary bytes as an executable carrying Go build info (ELF, Mach-O, PE headers and sections): must return a result or an error, never panic.

use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::binary::GoBinaryAnalyzer.analyze(FileInput {
        path: "usr/local/bin/app",
        content: data,
    });
});
