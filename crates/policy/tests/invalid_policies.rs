//! Invalid policy and acknowledgement files are refused with file, line and field.
//! Golden messages live in tests/snapshots; regenerate with
//! `INSTA_UPDATE=always cargo test -p kabuto-policy --test invalid_policies` and review.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::Path;

use kabuto_policy::{Acknowledgements, PolicyError, PolicySet};

#[test]
fn invalid_files_are_refused_with_location() {
    let dir = Path::new("tests/fixtures/invalid");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "fixtures missing: {files:?}");
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let error = if stem.starts_with("acks_") {
            Acknowledgements::load(&file).map(|_| ()).unwrap_err()
        } else {
            PolicySet::load(&file).map(|_| ()).unwrap_err()
        };
        if let PolicyError::Invalid(diagnostic) = &error {
            assert!(diagnostic.line.is_some(), "{stem}: no line in {error}");
            if stem != "not_yaml" {
                assert!(!diagnostic.field.is_empty(), "{stem}: no field in {error}");
            }
        }
        insta::assert_snapshot!(stem, error.to_string());
    }
}
