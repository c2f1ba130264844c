#![no_main]
//! Arbitrary bytes through the secret scanner (windowed and whole-file) and a user config parse.

use std::sync::OnceLock;

use kabuto_secrets::{SecretConfig, SecretScanner};
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static SecretScanner {
    static SCANNER: OnceLock<SecretScanner> = OnceLock::new();
    SCANNER.get_or_init(|| SecretScanner::new(SecretConfig::default()).expect("built-in rules compile"))
}

fuzz_target!(|data: &[u8]| {
    let scanner = scanner();
    // The first byte picks the path, so path-restricted rules (config files) are exercised too.
    let path = match data.first().map(|b| b % 4) {
        Some(0) => "app/.env",
        Some(1) => "etc/config.yaml",
        Some(2) => "src/main.rs",
        _ => "home/u/.npmrc",
    };
    let findings = scanner.scan(path, data);
    assert_eq!(findings, scanner.scan_unwindowed(path, data));
    for finding in &findings {
        assert!(finding.line >= 1 && finding.column >= 1);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = scanner.scan_text_field("config:Env[0]", text);
        if let Ok(config) = SecretConfig::from_yaml_str("fuzz.yaml", text) {
            let _ = SecretScanner::new(config);
        }
    }
});
