//! Secret scanning: finds exposed credentials (cloud keys, tokens, private keys, passwords in
//! config files) in file contents and in image config text fields.
//!
//! How it stays fast: one case-insensitive keyword search (a hashed 4-byte-window filter, see
//! `keywords.rs`) is the only pass over a whole file. A rule's regex runs only when one of its keywords occurs, and for
//! single-line rules only on the lines holding a keyword hit (every built-in single-line rule's
//! match contains one of its keywords, which makes this exact; `tests/corpus.rs` checks that
//! windowed and whole-file scanning agree).
//!
//! Entry points: [`SecretScanner::new`] with a [`SecretConfig`] (defaults, or a Trivy-shaped
//! `secret.yaml` read by [`SecretConfig::from_yaml_file`]), then [`SecretScanner::wants`] /
//! [`SecretScanner::skip_reason`] to pre-filter by path and size, [`SecretScanner::scan`] for a
//! file's bytes and [`SecretScanner::scan_text_field`] for image `ENV` values and history
//! `created_by` lines.

mod config;
mod keywords;
mod rules;
mod scanner;
mod user_regex;

pub use config::{
    DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FINDINGS_PER_RULE, SecretConfig, SecretError, UserAllowRule,
    UserRule, builtin_allow_rule_ids,
};
pub use rules::{RuleInfo, builtin_rules};
pub use scanner::{SecretScanner, SkipReason, shannon_entropy};
pub use user_regex::{USER_REGEX_DFA_LIMIT, USER_REGEX_MAX_POSITIONS, USER_REGEX_SIZE_LIMIT};
