#![no_main]
//! Arbitrary bytes as a `Cargo.lock`: must return a result or an error, never panic.

use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::lang::rust::CargoLockAnalyzer.analyze(FileInput {
        path: "Cargo.lock",
        content: data,
    });
});
