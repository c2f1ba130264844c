#![no_main]
//! Arbitrary bytes as a Java archive (zip, nested archives, pom.properties, manifests): must return a result or an error, never panic.

use kabuto_catalog::{Analyzer, FileInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kabuto_catalog::binary::JavaArchiveAnalyzer.analyze(FileInput {
        path: "app.war",
        content: data,
    });
});
