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

/// A 400 KB run of `[` took serde_yaml 80 s before its recursion limit; the shared guard
/// refuses it at the first level past the limit, naming file, line and limit.
#[test]
fn deeply_nested_yaml_is_refused_before_parsing() {
    let deep = "[".repeat(400_000);
    let policy = format!("name: deep\ncves_black_list_enabled: true\ncves_black_list: {deep}\n");
    let error = PolicySet::parse(&policy, "deep.yaml").unwrap_err();
    insta::assert_snapshot!("deep_policy", error.to_string());
    let PolicyError::Invalid(diagnostic) = error else {
        panic!("expected a diagnostic, got {error}");
    };
    assert_eq!(diagnostic.line, Some(3));
    assert!(
        diagnostic.message.contains("more than 128 levels"),
        "{diagnostic}"
    );

    let acks = format!("acknowledgements:\n  - id: {deep}\n");
    let error = Acknowledgements::parse(&acks, "acks.yaml").unwrap_err();
    insta::assert_snapshot!("deep_acknowledgements", error.to_string());
}

#[test]
fn files_past_the_size_limit_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(kabuto_yaml::MAX_CONFIG_SIZE + 1).unwrap();
    for error in [
        PolicySet::load(&path).map(|_| ()).unwrap_err(),
        Acknowledgements::load(&path).map(|_| ()).unwrap_err(),
    ] {
        assert!(
            matches!(&error, PolicyError::Read { source, .. } if source.kind() == std::io::ErrorKind::FileTooLarge),
            "{error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("huge.yaml") && message.contains("4 MiB"),
            "{message}"
        );
    }
}
