//! Hostile and odd input: bounded time, bounded output, no panic.

use std::time::{Duration, Instant};

use kabuto_secrets::{DEFAULT_MAX_FINDINGS_PER_RULE, SecretConfig, SecretScanner};

fn scanner(max_file_size: u64) -> SecretScanner {
    SecretScanner::new(SecretConfig {
        max_file_size,
        ..SecretConfig::default()
    })
    .expect("built-in rules")
}

fn token(i: usize) -> String {
    format!("ghp_{:0>36}", format!("Zq{i}x"))
}

#[test]
fn binary_content_is_skipped_even_with_a_token() {
    let mut content = vec![0u8, 1, 2, 3, 0xff];
    content.extend_from_slice(token(1).as_bytes());
    assert!(scanner(1 << 20).scan("bin/tool", &content).is_empty());
    // A NUL after the sniffed prefix does not make a text file binary.
    let mut late = token(2).into_bytes();
    late.push(b'\n');
    late.extend(std::iter::repeat_n(b'a', 9000));
    late.push(0);
    assert_eq!(scanner(1 << 20).scan("notes.txt", &late).len(), 1);
}

#[test]
fn invalid_utf8_around_a_secret_is_scanned() {
    let mut content = b"\xff\xfe garbage \xc3\x28 key: ".to_vec();
    content.extend_from_slice(token(3).as_bytes());
    content.extend_from_slice(b" \xe2\x82\n");
    let found = scanner(1 << 20).scan("blob.txt", &content);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].redacted_line.contains("key: ****"),
        "{:?}",
        found[0].redacted_line
    );
}

#[test]
fn oversized_files_are_skipped() {
    let content = token(4).repeat(100);
    assert!(scanner(1000).scan("big.txt", content.as_bytes()).is_empty());
    assert_eq!(
        scanner(1 << 20).scan("big.txt", content.as_bytes()).len(),
        0,
        "no boundary between repeats"
    );
}

#[test]
fn one_200_mib_line_with_hits_at_both_ends() {
    let size = 200 << 20;
    let mut content = Vec::with_capacity(size + 200);
    content.extend_from_slice(format!("password={} ", token(5)).as_bytes());
    content.resize(size, b'a');
    content.extend_from_slice(format!(" {} token key secret", token(6)).as_bytes());
    let started = Instant::now();
    let found = scanner(u64::MAX).scan("huge.yaml", &content);
    let elapsed = started.elapsed();
    assert_eq!(
        found.iter().map(|f| f.column).collect::<Vec<_>>(),
        vec![10, size + 2]
    );
    // The kept line context is bounded, however long the line.
    assert!(found.iter().all(|f| f.redacted_line.len() < 400));
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
}

#[test]
fn ten_thousand_keyword_hits_in_one_file() {
    let scanner = scanner(u64::MAX);
    // Many hits on one line, and many lines each with a hit and a secret.
    let one_line = "ghp_ aws password= secret: token ".repeat(10_000);
    let started = Instant::now();
    assert!(
        scanner
            .scan("one-line.yaml", one_line.as_bytes())
            .is_empty()
    );
    let many: String = (0..10_000)
        .map(|i| format!("GITHUB_TOKEN={}\n", token(i)))
        .collect();
    let found = scanner.scan("many.env", many.as_bytes());
    assert_eq!(found.len(), 10_000);
    assert_eq!((found[9_999].line, found[9_999].column), (10_000, 14));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn unterminated_private_keys_and_crlf() {
    let scanner = scanner(1 << 20);
    let mut content = String::new();
    for _ in 0..2000 {
        content.push_str("-----BEGIN RSA PRIVATE KEY-----\r\nMIIEowIBAAKCAQEAx9\r\n");
    }
    assert!(scanner.scan("keys.pem", content.as_bytes()).is_empty());
    let crlf = format!("a=1\r\nGITHUB_TOKEN={}\r\n", token(7));
    let found = scanner.scan("ci.env", crlf.as_bytes());
    assert_eq!((found[0].line, found[0].column), (2, 14));
    assert!(!found[0].redacted_line.ends_with('\r'));
}

/// `count` AWS key ids (`AKIA` + 16 base32 characters), space separated on one line.
fn aws_key_ids(count: usize) -> String {
    const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..count)
        .map(|i| {
            let tail: String = (0..16)
                .map(|digit| char::from(BASE32[((i >> (digit % 4 * 5)) % 32) ^ digit]))
                .collect();
            format!("AKIA{tail} ")
        })
        .collect()
}

#[test]
fn findings_are_capped_per_rule_and_file() {
    let scanner = scanner(u64::MAX);
    let cap = DEFAULT_MAX_FINDINGS_PER_RULE;
    // One line of more look-alike keys than the cap, then a token of another rule: the flood
    // stops at the cap and does not hide the token.
    let mut content = aws_key_ids(cap + 50);
    content.push_str(&token(8));
    let found = scanner.scan("keys.txt", content.as_bytes());
    let aws = found
        .iter()
        .filter(|f| f.rule_id.as_str() == "aws-access-key-id")
        .count();
    assert_eq!(aws, cap);
    assert_eq!(found.len(), cap + 1);
    assert_eq!(found[cap].rule_id.as_str(), "github-pat");
    // Text fields (image ENV values) are capped the same way.
    assert_eq!(
        scanner.scan_text_field("config:Env[0]", &content).len(),
        cap + 1
    );
    // Exactly the cap is not truncated.
    let content = aws_key_ids(cap);
    assert_eq!(scanner.scan("keys.txt", content.as_bytes()).len(), cap);
}

#[test]
fn a_user_rule_matching_everywhere_is_capped() {
    let rule = || {
        SecretConfig::from_yaml_str("s.yaml", "rules:\n  - id: aaaa\n    regex: aaaa\n")
            .expect("valid config")
    };
    let scanner = SecretScanner::new(rule()).expect("valid rules");
    let cap = DEFAULT_MAX_FINDINGS_PER_RULE;
    let line = "a".repeat(4 * (cap + 1));
    assert_eq!(scanner.scan("a.txt", line.as_bytes()).len(), cap);
    // The cap is a setting.
    let small = SecretScanner::new(SecretConfig {
        max_findings_per_rule: 3,
        ..rule()
    })
    .expect("valid rules");
    assert_eq!(small.scan("a.txt", line.as_bytes()).len(), 3);
}
