//! Hostile and broken input: clear errors naming the file, no panic, bounded time.

use std::time::{Duration, Instant};

use kabuto_misconfig::{MAX_MANIFEST_BYTES, MisconfigError, scan_dockerfile, scan_kubernetes};

fn billion_laughs(levels: char) -> String {
    let mut bomb = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: lol}\nx0: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut previous = 'a';
    for name in 'b'..=levels {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("x{name}: &{name} [{refs}]\n"));
        previous = name;
    }
    // The expanded tree is fed to the checks as the pod's containers and volumes.
    bomb.push_str(&format!(
        "spec: {{containers: *{previous}, volumes: *{previous}, initContainers: [*{previous}]}}\n"
    ));
    bomb
}

#[test]
fn yaml_bomb_is_bounded() {
    let started = Instant::now();
    let result = scan_kubernetes("bomb.yaml", billion_laughs('z').as_bytes());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // Shared, never expanded: the checks only walk the few nodes they look at.
    let findings = result.expect("a shared-alias document is valid YAML");
    assert!(findings.len() < 20, "{} findings", findings.len());
}

#[test]
fn too_many_aliases_is_an_error_naming_the_file() {
    let text = format!(
        "a: &a x\nb: [{}]\n",
        vec!["*a"; kabuto_misconfig::kubernetes::MAX_ALIASES + 1].join(",")
    );
    let err = scan_kubernetes("many.yaml", text.as_bytes()).expect_err("refused");
    assert!(
        err.to_string().starts_with("many.yaml: line 2: more than"),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for text in [
        "[".repeat(100_000),
        "a:\n".to_owned() + &"- ".repeat(50_000) + "x\n",
    ] {
        let started = Instant::now();
        let err = scan_kubernetes("deep.yaml", text.as_bytes()).expect_err("too deep");
        assert!(err.to_string().starts_with("deep.yaml: "), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

#[test]
fn huge_and_non_utf8_files_are_refused() {
    let huge = vec![b' '; MAX_MANIFEST_BYTES + 1];
    assert!(matches!(
        scan_kubernetes("huge.yaml", &huge),
        Err(MisconfigError::TooLarge { .. })
    ));
    let err = scan_kubernetes("latin1.yaml", b"kind: Pod\nname: caf\xe9\n").expect_err("not utf-8");
    assert_eq!(err.to_string(), "latin1.yaml: not valid UTF-8 (line 2)");
}

#[test]
fn non_manifest_yaml_gives_no_findings() {
    for text in [
        "",
        "---\n...\n",
        "just a string\n",
        "- 1\n- 2\n",
        "kind: Pod\n",
        "apiVersion: v1\nkind: Pod\nspec: 7\n",
        "apiVersion: v1\nkind: Pod\nspec: {containers: [1, [2], {securityContext: 3}]}\n",
    ] {
        let findings = scan_kubernetes("other.yaml", text.as_bytes())
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(
            findings
                .iter()
                .all(|f| f.check_id.as_str().starts_with("KBK")),
            "{text:?}"
        );
    }
}

#[test]
fn syntax_errors_name_file_and_line() {
    let err = scan_kubernetes("broken.yaml", b"apiVersion: v1\nkind: Pod\nspec: [\n")
        .expect_err("broken");
    assert!(
        err.to_string()
            .starts_with("broken.yaml: invalid YAML at line"),
        "{err}"
    );
    let err = scan_dockerfile("Dockerfile", b"FROM a\nRUN <<EOF\nx\n").expect_err("broken");
    assert_eq!(
        err.to_string(),
        "Dockerfile: invalid Dockerfile: line 2: heredoc `<<EOF` is never terminated"
    );
}

/// Cheap deterministic mutation of the fixtures (the fuzz targets go further): truncations and
/// byte flips must never panic.
#[test]
fn mutated_fixtures_never_panic() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for entry in walkdir::WalkDir::new(fixtures)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let original = std::fs::read(entry.path()).expect("fixture");
        for round in 0..60 {
            let mut data = original.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % data.len().max(1);
            if round % 3 == 0 {
                data.truncate(at);
            } else if let Some(byte) = data.get_mut(at) {
                let table = b"\"'[]{}:&*!|>-#\\\n\t <";
                *byte = table[(seed >> 32) as usize % table.len()];
            }
            let _ = scan_kubernetes("m.yaml", &data);
            let _ = scan_dockerfile("Dockerfile", &data);
        }
    }
}
