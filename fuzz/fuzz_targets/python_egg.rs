#![no_main]
//! Arbitrary bytes as a zipped Python egg: a package, nothing, or an error, never a panic.

use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::lang::python::PythonEggAnalyzer.analyze(FileInput {
        path: "site-packages/x-1.0-py3.8.egg",
        content: data,
    });
});
