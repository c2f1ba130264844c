//! The scanning engine: keyword prefilter, per-rule regex windows, filters, redaction.

use std::ops::Range;

use kabuto_types::{SecretFinding, SecretRuleId, Severity};
use regex::bytes::{Regex, RegexBuilder};

use crate::config::{
    BUILTIN_ALLOW_RULES, OneOrMany, SecretConfig, SecretError, UserAllowRule, UserRule,
};
use crate::keywords::{KeywordHit, KeywordSearcher};
use crate::rules::{RuleInfo, Scope, builtin_rules};
use crate::user_regex;

/// Bytes inspected for NUL when deciding a file is binary (as git and Trivy do).
const BINARY_SNIFF_LEN: usize = 8 * 1024;
/// How much of a line is kept on each side of a secret in `redacted_line`.
const LINE_CONTEXT: usize = 120;
/// Bytes of a secret shown before the mask, when the secret is long enough for that to be safe.
const SHOWN_PREFIX: usize = 4;

/// Extensions of files that are binary by format; scanning them finds only noise.
const BINARY_EXTENSIONS: &[&str] = &[
    "7z", "a", "avi", "bin", "bmp", "bz2", "class", "dat", "db", "deb", "dll", "dylib", "ear",
    "eot", "exe", "flac", "gif", "gz", "ico", "iso", "jar", "jpeg", "jpg", "lib", "mkv", "mov",
    "mp3", "mp4", "o", "ogg", "otf", "pdf", "png", "psd", "pyc", "pyo", "rar", "rpm", "so",
    "sqlite", "tgz", "tif", "tiff", "ttf", "war", "wasm", "wav", "webp", "whl", "woff", "woff2",
    "xz", "zip", "zst",
];

/// Why a file is not worth scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Larger than the configured limit; callers should warn, since secrets could hide there.
    TooLarge {
        size: u64,
        limit: u64,
    },
    BinaryExtension,
    /// Matched a path-only allow rule (built-in or user).
    AllowedPath {
        rule: String,
    },
}

struct AllowRule {
    id: String,
    path: Option<Regex>,
    secret: Option<Regex>,
}

impl Rule {
    /// Whether the rule's path filter or its own path allow rules can keep it off a file.
    fn path_restricted(&self) -> bool {
        self.path.is_some() || self.allow.iter().any(|a| a.path.is_some())
    }
}

impl AllowRule {
    fn allows_path(&self, path: &str) -> bool {
        self.secret.is_none()
            && self
                .path
                .as_ref()
                .is_some_and(|p| p.is_match(path.as_bytes()))
    }

    fn allows_secret(&self, path: &str, secret: &[u8]) -> bool {
        self.path
            .as_ref()
            .is_none_or(|p| p.is_match(path.as_bytes()))
            && self.secret.as_ref().is_some_and(|s| s.is_match(secret))
    }
}

struct Rule {
    id: SecretRuleId,
    category: String,
    title: String,
    severity: Severity,
    regex: Regex,
    secret_group: Option<usize>,
    min_entropy: Option<f64>,
    path: Option<Regex>,
    scope: Scope,
    keywords: Vec<String>,
    reject_placeholders: bool,
    generic: bool,
    allow: Vec<AllowRule>,
}

/// A compiled rule set. Cheap to share: scanning takes `&self` and is thread-safe.
pub struct SecretScanner {
    rules: Vec<Rule>,
    keywords: KeywordSearcher,
    /// The same search without the keywords of path-restricted rules, for files where none of
    /// those rules applies (source code, most files): the generic rules' `token`, `secret` and
    /// `password` are common words in code.
    unrestricted_keywords: KeywordSearcher,
    /// Keyword index -> the rules it gates.
    keyword_rules: Vec<Vec<usize>>,
    allow: Vec<AllowRule>,
    max_file_size: u64,
    max_findings_per_rule: usize,
}

/// One regex match that passed every filter, before line/column and redaction.
struct Hit {
    rule: usize,
    secret: Range<usize>,
    /// Where the finding is reported: the secret's start, or for multi-line rules the match's
    /// start (the `-----BEGIN ...` line rather than the first line of key material).
    at: usize,
}

impl SecretScanner {
    pub fn new(config: SecretConfig) -> Result<Self, SecretError> {
        let origin = config.origin.as_str();
        let builtin = builtin_rules();
        let mut known: Vec<String> = builtin.iter().map(|r| r.id.clone()).collect();
        let user: Vec<(RuleInfo, Vec<UserAllowRule>)> = config
            .rules
            .iter()
            .enumerate()
            .map(|(index, rule)| user_rule(origin, index, rule))
            .collect::<Result<_, _>>()?;
        for (rule, _) in &user {
            if known.contains(&rule.id) {
                return Err(invalid(
                    origin,
                    &rule.id,
                    "id is already used by another rule",
                ));
            }
            known.push(rule.id.clone());
        }
        let enabled = config.enable_builtin_rules.as_ref();
        for (field, ids) in [
            (
                "enable-builtin-rules",
                enabled.map(Vec::as_slice).unwrap_or(&[]),
            ),
            ("disable-rules", &config.disable_rules[..]),
        ] {
            if let Some(id) = ids.iter().find(|id| !known.contains(id)) {
                return Err(SecretError::UnknownRule {
                    origin: origin.to_string(),
                    field,
                    id: id.clone(),
                });
            }
        }

        let mut rules = Vec::new();
        let builtin_enabled = builtin
            .into_iter()
            .filter(|r| enabled.is_none_or(|ids| ids.contains(&r.id)));
        for info in builtin_enabled
            .map(|r| (r, Vec::new(), true))
            .chain(user.into_iter().map(|(r, a)| (r, a, false)))
        {
            let (info, allow, is_builtin) = info;
            if config.disable_rules.contains(&info.id) {
                continue;
            }
            rules.push(compile_rule(origin, info, &allow, is_builtin)?);
        }

        let mut allow = Vec::new();
        for (id, path, secret) in BUILTIN_ALLOW_RULES {
            if config.disable_allow_rules.iter().any(|d| d == id) {
                continue;
            }
            let user = UserAllowRule {
                id: Some(id.to_string()),
                description: None,
                path: path.map(|p| OneOrMany::One(p.to_string())),
                regex: secret.map(str::to_string),
            };
            allow.push(compile_allow(origin, "built-in", &user, 0)?);
        }
        for (index, rule) in config.allow_rules.iter().enumerate() {
            let compiled = compile_allow(origin, "global", rule, index)?;
            if !config.disable_allow_rules.contains(&compiled.id) {
                allow.push(compiled);
            }
        }

        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                let keyword = keyword.to_ascii_lowercase();
                match patterns.iter().position(|p| *p == keyword) {
                    Some(at) => keyword_rules[at].push(index),
                    None => {
                        patterns.push(keyword);
                        keyword_rules.push(vec![index]);
                    }
                }
            }
        }
        let keywords = KeywordSearcher::new(&patterns, |_| true)
            .map_err(|e| SecretError::Keywords(e.to_string()))?;
        let unrestricted_keywords = KeywordSearcher::new(&patterns, |keyword| {
            keyword_rules[keyword]
                .iter()
                .any(|&rule| !rules[rule].path_restricted())
        })
        .map_err(|e| SecretError::Keywords(e.to_string()))?;
        Ok(SecretScanner {
            rules,
            keywords,
            unrestricted_keywords,
            keyword_rules,
            allow,
            max_file_size: config.max_file_size,
            max_findings_per_rule: config.max_findings_per_rule,
        })
    }

    /// Ids of the rules this scanner runs, in report order.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.id.as_str()).collect()
    }

    /// Why `path` (of `size` bytes) need not be read, if so. Content checks (NUL bytes) happen in
    /// [`SecretScanner::scan`].
    pub fn skip_reason(&self, path: &str, size: u64) -> Option<SkipReason> {
        if size > self.max_file_size {
            return Some(SkipReason::TooLarge {
                size,
                limit: self.max_file_size,
            });
        }
        let path = normalize(path);
        let extension = path
            .rsplit_once('.')
            .map(|(_, ext)| ext)
            .filter(|ext| !ext.contains('/'));
        if extension.is_some_and(|ext| {
            BINARY_EXTENSIONS
                .iter()
                .any(|b| b.eq_ignore_ascii_case(ext))
        }) {
            return Some(SkipReason::BinaryExtension);
        }
        self.allow
            .iter()
            .find(|a| a.allows_path(path))
            .map(|a| SkipReason::AllowedPath { rule: a.id.clone() })
    }

    /// Cheap pre-filter: false when the file would yield nothing (size, extension, allowed path).
    pub fn wants(&self, path: &str, size: u64) -> bool {
        self.skip_reason(path, size).is_none()
    }

    /// Findings in one file's bytes, in file order. Binary content (a NUL byte in the first
    /// 8 KiB), skipped paths and oversized content give no findings.
    pub fn scan(&self, path: &str, content: &[u8]) -> Vec<SecretFinding> {
        self.scan_file(path, content, true)
    }

    /// [`SecretScanner::scan`] with every gated-in rule run over the whole file instead of only
    /// keyword lines: the reference the windowed search must agree with (tests, benchmarks).
    #[doc(hidden)]
    pub fn scan_unwindowed(&self, path: &str, content: &[u8]) -> Vec<SecretFinding> {
        self.scan_file(path, content, false)
    }

    fn scan_file(&self, path: &str, content: &[u8], windowed: bool) -> Vec<SecretFinding> {
        if let Some(reason) = self.skip_reason(path, content.len() as u64) {
            if let SkipReason::TooLarge { size, limit } = reason {
                tracing::warn!(
                    path,
                    size,
                    limit,
                    "file too large for secret scanning, skipped"
                );
            }
            return Vec::new();
        }
        if memchr::memchr(0, &content[..content.len().min(BINARY_SNIFF_LEN)]).is_some() {
            return Vec::new();
        }
        self.scan_bytes(path, normalize(path), content, false, windowed)
    }

    /// Findings in a text field that is not a file: an image config `ENV` entry, a history
    /// `created_by` line. `origin` names it in findings. Path-restricted rules (those meant for
    /// config files) apply, since such fields are configuration.
    pub fn scan_text_field(&self, origin: &str, text: &str) -> Vec<SecretFinding> {
        self.scan_bytes(origin, origin, text.as_bytes(), true, true)
    }

    fn scan_bytes(
        &self,
        shown_path: &str,
        path: &str,
        content: &[u8],
        any_path: bool,
        windowed: bool,
    ) -> Vec<SecretFinding> {
        let applies: Vec<bool> = self
            .rules
            .iter()
            .map(|r| {
                any_path
                    || (r.path.as_ref().is_none_or(|p| p.is_match(path.as_bytes()))
                        && !r.allow.iter().any(|a| a.allows_path(path)))
            })
            .collect();
        let windows = self.keyword_windows(content, &applies);
        let mut hits = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if !applies[index] {
                continue;
            }
            let rule_windows = &windows[index];
            if !rule.keywords.is_empty() && rule_windows.is_empty() {
                continue;
            }
            let covered: usize = rule_windows.iter().map(|w| w.len()).sum();
            let cap_at = hits.len().saturating_add(self.max_findings_per_rule);
            // Whole-file search when the rule spans lines, has no keywords, or its windows cover
            // most of the file anyway (one regex call beats thousands of small ones).
            let complete = if !windowed
                || rule.scope == Scope::File
                || rule.keywords.is_empty()
                || covered > content.len() / 2
            {
                self.match_rule(index, path, content, 0, &mut hits, cap_at)
            } else {
                rule_windows.iter().all(|window| {
                    self.match_rule(
                        index,
                        path,
                        &content[window.clone()],
                        window.start,
                        &mut hits,
                        cap_at,
                    )
                })
            };
            if !complete {
                tracing::warn!(
                    path = shown_path,
                    rule = rule.id.as_str(),
                    limit = self.max_findings_per_rule,
                    "secret rule has more findings in this file than the limit; the rest of the \
                     file was not searched for it"
                );
            }
        }
        self.drop_generic_duplicates(&mut hits);
        hits.sort_by_key(|h| (h.at, h.rule));
        self.findings(shown_path, content, &hits)
    }

    /// For each rule, the lines (as byte ranges without the newline) holding one of its keywords.
    fn keyword_windows(&self, content: &[u8], applies: &[bool]) -> Vec<Vec<Range<usize>>> {
        let mut windows: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.rules.len()];
        let restricted_apply = self
            .rules
            .iter()
            .zip(applies)
            .any(|(rule, &applies)| applies && rule.path_restricted());
        let searcher = if restricted_apply {
            &self.keywords
        } else {
            &self.unrestricted_keywords
        };
        let mut hits = Vec::new();
        searcher.find_all(content, &mut hits);
        for KeywordHit { start, keyword } in hits {
            for &rule in &self.keyword_rules[keyword] {
                if !applies[rule] {
                    continue;
                }
                let rule_windows = &mut windows[rule];
                if rule_windows.last().is_some_and(|w| w.contains(&start)) {
                    continue;
                }
                if self.rules[rule].scope == Scope::File {
                    // Only presence matters; the regex will run over the whole file.
                    rule_windows.push(0..content.len());
                } else {
                    rule_windows.push(line_around(content, start));
                }
            }
        }
        windows
    }

    /// Appends rule `index`'s accepted matches in `haystack` (which starts at `offset` in the
    /// file) to `hits`. False when a match would have made `hits` longer than `cap_at`: the rule
    /// has hit its per-file cap and the rest of `haystack` is not searched.
    fn match_rule(
        &self,
        index: usize,
        path: &str,
        haystack: &[u8],
        offset: usize,
        hits: &mut Vec<Hit>,
        cap_at: usize,
    ) -> bool {
        let rule = &self.rules[index];
        let mut locations = rule.regex.capture_locations();
        let mut at = 0;
        while at <= haystack.len() {
            let Some(whole) = rule.regex.captures_read_at(&mut locations, haystack, at) else {
                break;
            };
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.end() + 1
            };
            let secret = match rule.secret_group {
                Some(group) => match locations.get(group) {
                    Some((start, end)) => start..end,
                    None => continue,
                },
                None => whole.range(),
            };
            if secret.is_empty() || !self.accepts(rule, path, &haystack[secret.clone()]) {
                continue;
            }
            if hits.len() >= cap_at {
                return false;
            }
            let at = if rule.scope == Scope::File {
                whole.start()
            } else {
                secret.start
            };
            hits.push(Hit {
                rule: index,
                secret: secret.start + offset..secret.end + offset,
                at: at + offset,
            });
        }
        true
    }

    fn accepts(&self, rule: &Rule, path: &str, secret: &[u8]) -> bool {
        if rule
            .min_entropy
            .is_some_and(|min| shannon_entropy(secret) < min)
        {
            return false;
        }
        if rule.reject_placeholders && is_placeholder(secret) {
            return false;
        }
        !self
            .allow
            .iter()
            .chain(&rule.allow)
            .any(|a| a.allows_secret(path, secret))
    }

    /// A generic key-name finding adds nothing when a specific rule reports the same secret.
    fn drop_generic_duplicates(&self, hits: &mut Vec<Hit>) {
        let mut specific: Vec<Range<usize>> = hits
            .iter()
            .filter(|h| !self.rules[h.rule].generic)
            .map(|h| h.secret.clone())
            .collect();
        specific.sort_unstable_by_key(|s| s.start);
        // The furthest end among the specific secrets starting at or before each one: a generic
        // secret overlaps one of them iff one that starts before its end ends after its start.
        let furthest_end: Vec<usize> = specific
            .iter()
            .scan(0, |furthest, s| {
                *furthest = s.end.max(*furthest);
                Some(*furthest)
            })
            .collect();
        hits.retain(|h| {
            if !self.rules[h.rule].generic {
                return true;
            }
            let starting_before_end = specific.partition_point(|s| s.start < h.secret.end);
            starting_before_end == 0 || furthest_end[starting_before_end - 1] <= h.secret.start
        });
    }

    /// Turns sorted hits into findings, counting lines in one pass over the content.
    fn findings(&self, path: &str, content: &[u8], hits: &[Hit]) -> Vec<SecretFinding> {
        let mut line = 1;
        let mut line_start = 0;
        let mut counted_to = 0;
        let mut findings = Vec::with_capacity(hits.len());
        for hit in hits {
            let start = hit.at;
            for newline in memchr::memchr_iter(b'\n', &content[counted_to..start]) {
                line += 1;
                line_start = counted_to + newline + 1;
            }
            counted_to = start;
            let rule = &self.rules[hit.rule];
            let secret = &content[hit.secret.clone()];
            findings.push(SecretFinding {
                rule_id: rule.id.clone(),
                category: rule.category.clone(),
                severity: rule.severity,
                title: rule.title.clone(),
                path: path.to_string(),
                line,
                column: start - line_start + 1,
                redacted_match: redact_secret(secret),
                redacted_line: redacted_line(content, line_start, start, hit.secret.clone()),
                layer_diff_id: None,
            });
        }
        findings
    }
}

fn invalid(origin: &str, rule: &str, message: &str) -> SecretError {
    SecretError::InvalidRule {
        origin: origin.to_string(),
        rule: rule.to_string(),
        message: message.to_string(),
    }
}

fn user_rule(
    origin: &str,
    index: usize,
    rule: &UserRule,
) -> Result<(RuleInfo, Vec<UserAllowRule>), SecretError> {
    let id = rule
        .id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .ok_or(SecretError::MissingId {
            origin: origin.to_string(),
            what: "rule",
            index,
        })?;
    let regex = rule
        .regex
        .clone()
        .ok_or_else(|| invalid(origin, &id, "missing `regex`"))?;
    let severity = match &rule.severity {
        None => Severity::Unknown,
        Some(label) => Severity::from_label(label).ok_or_else(|| {
            invalid(
                origin,
                &id,
                &format!("unknown severity `{label}` (use CRITICAL, HIGH, MEDIUM or LOW)"),
            )
        })?,
    };
    if rule.keywords.iter().any(|k| k.is_empty()) {
        return Err(invalid(origin, &id, "empty keyword"));
    }
    let info = RuleInfo {
        category: rule
            .category
            .clone()
            .unwrap_or_else(|| "Custom".to_string()),
        title: rule.title.clone().unwrap_or_else(|| id.clone()),
        severity,
        keywords: rule.keywords.clone(),
        regex,
        secret_group: rule.secret_group_name.clone(),
        min_entropy: rule.entropy,
        path: rule.path.as_ref().map(OneOrMany::joined),
        // User regexes follow Trivy: run over the whole file, keywords only gate.
        scope: Scope::File,
        reject_placeholders: false,
        generic: false,
        id,
    };
    Ok((info, rule.allow_rules.clone()))
}

fn compile_rule(
    origin: &str,
    info: RuleInfo,
    allow: &[UserAllowRule],
    builtin: bool,
) -> Result<Rule, SecretError> {
    let id = SecretRuleId::new(info.id.clone())
        .map_err(|e| invalid(origin, &info.id, &e.to_string()))?;
    let regex = if builtin {
        // ASCII classes and `\b`, line anchors: see the rules module.
        RegexBuilder::new(&info.regex)
            .unicode(false)
            .multi_line(true)
            .crlf(true)
            .size_limit(32 << 20)
            .build()
            .map_err(|source| SecretError::BadRegex {
                origin: origin.to_string(),
                rule: info.id.clone(),
                field: "regex",
                source,
            })?
    } else {
        user_regex::compile(&info.regex, origin, &info.id, "regex")?
    };
    let secret_group = match &info.secret_group {
        None => None,
        Some(name) => Some(
            regex
                .capture_names()
                .position(|n| n == Some(name.as_str()))
                .ok_or_else(|| {
                    invalid(
                        origin,
                        &info.id,
                        &format!("regex has no capture group named `{name}`"),
                    )
                })?,
        ),
    };
    let path = info
        .path
        .as_deref()
        .map(|path| user_regex::compile(path, origin, &info.id, "path"))
        .transpose()?;
    let allow = allow
        .iter()
        .enumerate()
        .map(|(index, a)| compile_allow(origin, &info.id, a, index))
        .collect::<Result<_, _>>()?;
    Ok(Rule {
        id,
        category: info.category,
        title: info.title,
        severity: info.severity,
        regex,
        secret_group,
        min_entropy: info.min_entropy,
        path,
        scope: info.scope,
        keywords: info.keywords,
        reject_placeholders: info.reject_placeholders,
        generic: info.generic,
        allow,
    })
}

fn compile_allow(
    origin: &str,
    owner: &str,
    rule: &UserAllowRule,
    index: usize,
) -> Result<AllowRule, SecretError> {
    let id = rule
        .id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .ok_or(SecretError::MissingId {
            origin: origin.to_string(),
            what: "allow rule",
            index,
        })?;
    let name = format!("{owner}/{id}");
    let path = rule
        .path
        .as_ref()
        .map(|p| user_regex::compile(&p.joined(), origin, &name, "path"))
        .transpose()?;
    let secret = rule
        .regex
        .as_deref()
        .map(|r| user_regex::compile(r, origin, &name, "regex"))
        .transpose()?;
    if path.is_none() && secret.is_none() {
        return Err(invalid(
            origin,
            &format!("{owner}/{id}"),
            "allow rule needs `path` or `regex`",
        ));
    }
    Ok(AllowRule { id, path, secret })
}

/// Paths as allow rules see them: no leading `/` or `./` (image paths and relative walks agree).
fn normalize(path: &str) -> &str {
    let path = path.trim_start_matches("./");
    path.trim_start_matches('/')
}

/// The line holding `at`, without its newline.
fn line_around(content: &[u8], at: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &content[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &content[at..]).map_or(content.len(), |i| at + i);
    start..end
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark a value as a stand-in rather than a credential.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "password",
    "passwd",
    "example",
    "placeholder",
    "dummy",
    "sample",
    "redacted",
    "your_",
    "your-",
    "yourpass",
    "xxxx",
    "****",
    "....",
    "secret",
    "fixme",
    "todo",
    "replace",
    "insert",
    "notreal",
    "not_real",
    "fake",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "%(",
];
/// Whole values that are stand-ins.
const PLACEHOLDER_VALUES: &[&str] = &[
    "pass",
    "pwd",
    "true",
    "false",
    "null",
    "none",
    "nil",
    "undefined",
    "required",
    "optional",
    "string",
    "empty",
];

/// `changeme`, `${DB_PASSWORD}`, `$(cat /run/secrets/x)`, `<your-token>`, `/run/secrets/db`,
/// `@db.password@`, `!vault`, `https://...` and friends.
fn is_placeholder(secret: &[u8]) -> bool {
    let value = String::from_utf8_lossy(secret).to_ascii_lowercase();
    if value.starts_with(['$', '%', '@', '!', '/', '~', '*'])
        || value.starts_with("./")
        || value.contains("://")
    {
        return true;
    }
    PLACEHOLDER_VALUES.contains(&value.as_str())
        || PLACEHOLDER_WORDS.iter().any(|w| value.contains(w))
}

/// `ghp_****************`: a short prefix (token types are public) only for long secrets.
fn redact_secret(secret: &[u8]) -> String {
    let shown = if secret.len() >= 16 { SHOWN_PREFIX } else { 0 };
    let prefix = String::from_utf8_lossy(&secret[..shown]);
    format!(
        "{prefix}{}",
        "*".repeat((secret.len() - shown).clamp(1, 16))
    )
}

/// The line holding `at` with the secret masked, at most `LINE_CONTEXT` bytes either side of `at`.
fn redacted_line(content: &[u8], line_start: usize, at: usize, secret: Range<usize>) -> String {
    let from = line_start.max(at.saturating_sub(LINE_CONTEXT));
    let mut to = (at + LINE_CONTEXT).min(content.len());
    if let Some(newline) = memchr::memchr(b'\n', &content[at..to]) {
        to = at + newline;
    }
    let mut line = Vec::with_capacity(to - from + 6);
    if from > line_start {
        line.extend_from_slice("…".as_bytes());
    }
    for (i, &byte) in content[from..to].iter().enumerate() {
        line.push(if secret.contains(&(from + i)) {
            b'*'
        } else {
            byte
        });
    }
    // Only whether the line goes on matters: looking for its end would cost the rest of the line
    // per finding (quadratic on one long line full of secrets).
    if content.get(to).is_some_and(|&next| next != b'\n') {
        line.extend_from_slice("…".as_bytes());
    }
    String::from_utf8_lossy(&line)
        .trim_end_matches('\r')
        .to_string()
}
