#![no_main]
//! Arbitrary bytes as a NuGet `packages.config`: must return a result or an error, never panic.

use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::lang::dotnet::PackagesConfigAnalyzer.analyze(FileInput {
        path: "packages.config",
        content: data,
    });
});
