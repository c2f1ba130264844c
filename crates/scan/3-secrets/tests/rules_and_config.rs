//! The rule table, user configuration and its errors, text fields.

use std::collections::BTreeSet;

use kabuto_secrets::{
    SecretConfig, SecretError, SecretScanner, builtin_allow_rule_ids, builtin_rules,
};

fn config(yaml: &str) -> Result<SecretScanner, SecretError> {
    SecretScanner::new(SecretConfig::from_yaml_str("trivy-secret.yaml", yaml)?)
}

#[test]
fn rule_ids_are_unique_kebab_case_and_listed() {
    let rules = builtin_rules();
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), rules.len(), "duplicate rule id");
    for rule in &rules {
        assert!(
            rule.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{} is not kebab-case",
            rule.id
        );
        assert!(rule.keywords.iter().all(|k| !k.is_empty()), "{}", rule.id);
    }
    let allow: BTreeSet<&str> = builtin_allow_rule_ids().into_iter().collect();
    assert!(allow.is_disjoint(&ids));
    insta::assert_yaml_snapshot!("builtin_rules", rules);
}

#[test]
fn user_rule_and_allow_rules() {
    let scanner = config(
        r#"
rules:
  - id: acme-internal-token
    category: Acme
    title: Acme internal token
    severity: HIGH
    keywords: [acme_]
    regex: (?P<tok>acme_[0-9a-f]{16})
    secret-group-name: tok
    path: .*\.cfg
allow-rules:
  - id: skip-fixtures
    description: our fixture dir
    path: ^fixtures/
disable-rules: [jwt-token]
"#,
    )
    .expect("valid config");
    let text = b"token=acme_0123456789abcdef\n";
    let found = scanner.scan("app/settings.cfg", text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].rule_id.as_str(), "acme-internal-token");
    assert_eq!((found[0].line, found[0].column), (1, 7));
    assert!(
        scanner.scan("app/settings.txt", text).is_empty(),
        "path restriction"
    );
    assert!(
        scanner.scan("fixtures/settings.cfg", text).is_empty(),
        "allow path"
    );
    assert!(!scanner.rule_ids().contains(&"jwt-token"));
}

#[test]
fn enable_builtin_rules_selects_only_those() {
    let scanner = config("enable-builtin-rules: [github-pat, private-key]\n").expect("valid");
    assert_eq!(scanner.rule_ids(), vec!["github-pat", "private-key"]);
}

#[test]
fn bad_configs_name_the_file_and_rule() {
    let cases = [
        (
            "rules:\n  - regex: abc\n",
            "trivy-secret.yaml: rule #0 has no `id`",
        ),
        (
            "rules:\n  - id: broken\n    regex: '(unclosed'\n",
            "rule `broken`: invalid `regex` regex",
        ),
        (
            "rules:\n  - id: nogroup\n    regex: abc\n    secret-group-name: s\n",
            "rule `nogroup`: regex has no capture group named `s`",
        ),
        (
            "rules:\n  - id: noregex\n",
            "rule `noregex`: missing `regex`",
        ),
        (
            "rules:\n  - id: sev\n    regex: a\n    severity: URGENT\n",
            "rule `sev`: unknown severity `URGENT`",
        ),
        (
            "rules:\n  - id: github-pat\n    regex: a\n",
            "rule `github-pat`: id is already used",
        ),
        (
            "disable-rules: [no-such-rule]\n",
            "`disable-rules` names unknown rule `no-such-rule`",
        ),
        (
            "allow-rules:\n  - id: nothing\n",
            "rule `global/nothing`: allow rule needs `path` or `regex`",
        ),
        (
            "allow-rules:\n  - id: badpath\n    path: '[z-a]'\n",
            "rule `global/badpath`: invalid `path` regex",
        ),
        ("rules: 5\n", "trivy-secret.yaml: invalid YAML"),
        ("unknown-key: 1\n", "trivy-secret.yaml: invalid YAML"),
        (
            &format!("rules:\n  - id: deep\n    regex: {}\n", "[".repeat(200_000)),
            "secret config trivy-secret.yaml:3:",
        ),
        (
            &format!("rules: {}\n", "{a: ".repeat(200_000)),
            "YAML nested more than 128 levels deep",
        ),
    ];
    for (yaml, expected) in cases {
        let error = config(yaml)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains(expected),
            "config {yaml:?}: got {error:?}, want {expected:?}"
        );
    }
}

#[test]
fn config_file_errors_name_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("secret.yaml");
    let missing = SecretConfig::from_yaml_file(&path).expect_err("missing file");
    assert!(missing.to_string().contains("secret.yaml"), "{missing}");
    std::fs::write(&path, "rules:\n  - id: x\n    regex: '('\n").expect("write");
    let error = SecretScanner::new(SecretConfig::from_yaml_file(&path).expect("parses"))
        .err()
        .expect("bad regex");
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
}

#[test]
fn text_fields_from_image_config() {
    let scanner = SecretScanner::new(SecretConfig::default()).expect("built-in");
    let token = format!("ghp_{}", "Zq3".repeat(12));
    let env = scanner.scan_text_field("config:Env[2]", &format!("GITHUB_TOKEN={token}"));
    assert_eq!(env.len(), 1, "{env:#?}");
    assert_eq!(
        (env[0].path.as_str(), env[0].line, env[0].column),
        ("config:Env[2]", 1, 14)
    );
    // Config-file-only rules apply to ENV values: they are configuration.
    let password = scanner.scan_text_field("config:Env[0]", "DB_PASSWORD=Vq8#mZ2!kR5tW");
    assert_eq!(
        password
            .iter()
            .map(|f| f.rule_id.as_str())
            .collect::<Vec<_>>(),
        vec!["generic-password"]
    );
    assert!(
        scanner
            .scan_text_field("config:Env[1]", "DB_PASSWORD=${DB_PASSWORD}")
            .is_empty()
    );
    let history = scanner.scan_text_field(
        "history[4].created_by",
        &format!("RUN /bin/sh -c git clone https://{token}@github.invalid/acme/app.git"),
    );
    assert_eq!(history.len(), 1);
}

#[test]
fn wants_filters_size_extension_and_allowed_paths() {
    let scanner = SecretScanner::new(SecretConfig {
        max_file_size: 1000,
        ..SecretConfig::default()
    })
    .expect("ok");
    assert!(scanner.wants("etc/app/config.yaml", 10));
    assert!(!scanner.wants("etc/app/config.yaml", 1001));
    assert!(!scanner.wants("usr/share/icons/logo.PNG", 10));
    assert!(!scanner.wants("/usr/local/go/src/crypto/tls/testdata/key.pem", 10));
    assert!(!scanner.wants("./src/handler_test.go", 10));
    assert!(scanner.wants("src/handler.go", 10));
}

#[test]
fn costly_user_regexes_are_rejected_at_load_naming_rule_and_limit() {
    let cases = [
        (
            "rules:\n  - id: nested\n    regex: '(?:[a-z]{100}){100}'\n",
            "rule `nested`: `regex` regex is too complex: its counted repetitions expand to 10000 \
             character positions, over the limit of 2000",
        ),
        (
            "rules:\n  - id: unicode-words\n    regex: '\\w{100}'\n",
            "rule `unicode-words`: `regex` regex is too complex: it compiles to more than the \
             limit of 4194304 bytes",
        ),
        (
            "rules:\n  - id: ok\n    regex: ok\n    allow-rules:\n      - id: long\n        \
             regex: 'x{3000}'\n",
            "rule `ok/long`: `regex` regex is too complex",
        ),
        (
            "allow-rules:\n  - id: paths\n    path: '(?:[a-z]{50}/){50}'\n",
            "rule `global/paths`: `path` regex is too complex",
        ),
    ];
    for (yaml, expected) in cases {
        let error = config(yaml)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains(expected),
            "config {yaml:?}: got {error:?}, want {expected:?}"
        );
    }
}

#[test]
fn realistic_user_regexes_fit_the_limits() {
    // Trivy's longest built-in (PyPI, 1,020 positions), a gitleaks-style generic rule, a
    // Unicode class repeated 64 times and a PEM block.
    let rules = [
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\-_]{50,1000}",
        r#"(?i)(?:key|api|token|secret|client|passwd|password|auth|access)(?:[0-9a-z\-_\t .]{0,20})(?:[\s|']|[\s|"]){0,3}(?:=|>|:{1,3}=|\|\|:|<=|=>|:|\?=)(?:'|"|\s|=|\x60){0,5}([0-9a-z\-_.=]{10,150})(?:['|"|\n|\r|\s|\x60|;]|$)"#,
        r"(?i)\bacme_\w{64}\b",
        r"(?i)-----\s*?BEGIN[ A-Z0-9_-]*?PRIVATE KEY( BLOCK)?\s*?-----[\s]*?(?P<secret>[A-Za-z0-9=+/\\\r\n][A-Za-z0-9=+/\\\s]{31,})[\s]*?-----\s*?END[ A-Z0-9_-]*? PRIVATE KEY( BLOCK)?\s*?-----",
    ];
    for (index, regex) in rules.iter().enumerate() {
        let yaml = format!(
            "rules:\n  - id: rule-{index}\n    regex: '{}'\n",
            regex.replace('\'', "''")
        );
        if let Err(error) = config(&yaml) {
            panic!("{regex}: {error}");
        }
    }
}
