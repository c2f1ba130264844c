#![no_main]
//! A user rule whose regex comes from the input, scanned over content from the input: the rule
//! is either rejected at load or scans within the per-rule findings cap, without panicking.
//! Run with a short `-timeout=` (e.g. 10): a regex that slips past the load-time limits and is
//! slow on some content shows up as a timeout.
//!
//! Input: `REGEX \0 R CONTENT`, the content repeated R + 1 times (long lines from short input).

use std::collections::HashMap;

use kabuto_secrets::{SecretConfig, SecretScanner, UserRule};
use libfuzzer_sys::fuzz_target;

/// Small, so that a rule matching everywhere reaches it.
const CAP: usize = 8;

fuzz_target!(|data: &[u8]| {
    let Some(split) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let Ok(regex) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let Some((&repeats, content)) = data[split + 1..].split_first() else {
        return;
    };
    let rule = UserRule {
        id: Some("fuzz".to_string()),
        regex: Some(regex.to_string()),
        ..UserRule::default()
    };
    let config = SecretConfig {
        rules: vec![rule],
        max_findings_per_rule: CAP,
        ..SecretConfig::default()
    };
    let Ok(scanner) = SecretScanner::new(config) else {
        return;
    };
    let content = content.repeat(usize::from(repeats) + 1);
    let mut per_rule: HashMap<String, usize> = HashMap::new();
    for finding in scanner.scan("notes.txt", &content) {
        *per_rule.entry(finding.rule_id.as_str().to_string()).or_default() += 1;
    }
    assert!(per_rule.values().all(|&n| n <= CAP), "{per_rule:?}");
});
