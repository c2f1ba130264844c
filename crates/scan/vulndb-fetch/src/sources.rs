//! The sources file: where each feed is downloaded from. One optional key per feed; a feed
//! that is absent is not fetched. [`Sources::defaults`] holds the upstream locations.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use url::Url;

/// The upstream locations (the only place they are written down).
const DEFAULT_SOURCES: &str = include_str!("default-sources.yaml");

/// Every feed Kabuto can fetch, each optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub osv: Option<OsvSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debian: Option<UrlSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpine: Option<AlpineSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvd: Option<NvdSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<UrlSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<UrlSource>,
}

/// OSV's export bucket: `BASE/ecosystems.txt`, then `BASE/<ecosystem>/all.zip`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsvSource {
    pub base: FeedUrl,
    /// Only these ecosystems; absent means every ecosystem `ecosystems.txt` lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystems: Option<Vec<Ecosystem>>,
}

/// A feed that is one document at one URL (Debian tracker JSON, EPSS CSV, KEV JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlSource {
    pub url: FeedUrl,
}

/// Alpine secdb: `BASE/<branch>/main.json` and `BASE/<branch>/community.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlpineSource {
    pub base: FeedUrl,
    pub branches: Vec<AlpineBranch>,
}

/// The NVD CVE API 2.0 endpoint, paged with `startIndex`/`resultsPerPage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NvdSource {
    pub url: FeedUrl,
    /// Environment variable holding an API key (sent as the `apiKey` header; raises the rate
    /// limit from 5 to 50 requests per 30 s). Unset or empty: requests go without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<EnvName>,
}

/// An http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FeedUrl(Url);

impl FeedUrl {
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// This URL with `segments` appended as path segments (percent-encoded, so OSV names such
    /// as `Rocky Linux:9` stay one segment).
    pub fn join(&self, segments: &[&str]) -> Url {
        let mut url = self.0.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }
}

impl TryFrom<String> for FeedUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let url = Url::parse(&text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!("`{text}` is not an http(s) URL"));
        }
        Ok(FeedUrl(url))
    }
}

impl From<FeedUrl> for String {
    fn from(url: FeedUrl) -> String {
        url.0.into()
    }
}

impl fmt::Display for FeedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An OSV ecosystem name (`PyPI`, `Rocky Linux`, `Debian:12`). It names a directory of the
/// cache, so separators and dot names are refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ecosystem(String);

impl Ecosystem {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Ecosystem {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        let bad = name.is_empty()
            || name.len() > 100
            || name == "."
            || name == ".."
            || name
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control());
        if bad {
            return Err(format!(
                "`{}` is not an OSV ecosystem name",
                name.escape_debug()
            ));
        }
        Ok(Ecosystem(name))
    }
}

impl From<Ecosystem> for String {
    fn from(e: Ecosystem) -> String {
        e.0
    }
}

/// An Alpine release branch: `v3.N` or `edge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AlpineBranch(String);

impl AlpineBranch {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AlpineBranch {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        let numbered = name
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(major, minor)| {
                [major, minor]
                    .iter()
                    .all(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()))
            });
        if numbered || name == "edge" {
            Ok(AlpineBranch(name))
        } else {
            Err(format!(
                "`{}` is not an Alpine branch (`v3.N` or `edge`)",
                name.escape_debug()
            ))
        }
    }
}

impl From<AlpineBranch> for String {
    fn from(b: AlpineBranch) -> String {
        b.0
    }
}

/// The name of an environment variable (`[A-Za-z_][A-Za-z0-9_]*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvName(String);

impl EnvName {
    /// The variable's value, when it is set and not empty.
    pub fn value(&self) -> Option<String> {
        std::env::var(&self.0).ok().filter(|v| !v.is_empty())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EnvName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            Ok(EnvName(name))
        } else {
            Err(format!(
                "`{}` is not an environment variable name",
                name.escape_debug()
            ))
        }
    }
}

impl From<EnvName> for String {
    fn from(n: EnvName) -> String {
        n.0
    }
}

/// Why a sources file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("cannot read sources file {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("sources file {0}")]
    Refused(#[source] kabuto_yaml::Refused),
    /// `file:line:column: message`, as the other configuration readers say it.
    #[error("{file}{}: {message}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Invalid {
        file: String,
        position: Option<(usize, usize)>,
        message: String,
    },
}

impl Sources {
    /// The upstream feeds.
    pub fn defaults() -> Sources {
        // The text is part of the crate and covered by a test: it always parses.
        Sources::from_yaml_str("<built-in sources>", DEFAULT_SOURCES)
            .unwrap_or_else(|e| panic!("built-in sources: {e}"))
    }

    /// Reads a sources file (at most [`kabuto_yaml::MAX_CONFIG_SIZE`]).
    pub fn from_file(path: &Path) -> Result<Sources, SourcesError> {
        let file = path.display().to_string();
        let text = kabuto_yaml::read_config(path).map_err(|source| SourcesError::Read {
            file: file.clone(),
            source,
        })?;
        Sources::from_yaml_str(&file, &text)
    }

    /// Parses sources text; `file` names it in errors. An empty document fetches nothing.
    pub fn from_yaml_str(file: &str, text: &str) -> Result<Sources, SourcesError> {
        kabuto_yaml::check(file, text).map_err(SourcesError::Refused)?;
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return Ok(Sources::none());
        }
        serde_yaml::from_str(text).map_err(|e| {
            let message = e.to_string();
            let message = message
                .rfind(" at line ")
                .map_or(message.as_str(), |at| &message[..at]);
            SourcesError::Invalid {
                file: file.to_owned(),
                position: e.location().map(|l| (l.line(), l.column())),
                message: message.to_owned(),
            }
        })
    }

    /// No feed at all.
    pub fn none() -> Sources {
        Sources {
            osv: None,
            debian: None,
            alpine: None,
            nvd: None,
            epss: None,
            kev: None,
        }
    }

    /// The YAML text `kabuto db sources` prints; [`Sources::from_yaml_str`] reads it back.
    pub fn to_yaml(&self) -> String {
        // Strings, lists and maps only: serializing cannot fail.
        serde_yaml::to_string(self).unwrap_or_else(|e| panic!("sources to YAML: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match Sources::from_yaml_str("sources.yaml", text) {
            Ok(s) => panic!("accepted: {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_parse_and_round_trip() {
        let defaults = Sources::defaults();
        assert!(defaults.osv.is_some() && defaults.debian.is_some() && defaults.kev.is_some());
        let again = Sources::from_yaml_str("printed", &defaults.to_yaml()).expect("reads back");
        assert_eq!(again, defaults);
    }

    #[test]
    fn absent_feeds_are_not_fetched() {
        let s = Sources::from_yaml_str("s", "kev:\n  url: https://mirror.example/kev.json\n")
            .expect("valid");
        assert_eq!(
            s.kev.map(|k| k.url.to_string()).as_deref(),
            Some("https://mirror.example/kev.json")
        );
        assert!(s.osv.is_none() && s.nvd.is_none() && s.debian.is_none());
        assert_eq!(
            Sources::from_yaml_str("s", "# nothing\n").expect("empty"),
            Sources::none()
        );
    }

    #[test]
    fn ecosystem_names_join_as_one_segment() {
        let s = Sources::from_yaml_str(
            "s",
            "osv:\n  base: http://127.0.0.1:9/osv/\n  ecosystems: [\"Rocky Linux:9\", PyPI]\n",
        )
        .expect("valid");
        let osv = s.osv.expect("osv");
        let eco = &osv.ecosystems.expect("list")[0];
        assert_eq!(
            osv.base.join(&[eco.as_str(), "all.zip"]).as_str(),
            "http://127.0.0.1:9/osv/Rocky%20Linux:9/all.zip"
        );
    }

    #[test]
    fn bad_files_are_refused_with_file_and_line() {
        let cases = [
            (
                "unknown feed",
                "osv:\n  base: https://a.example\nredhat:\n  url: https://b.example\n",
            ),
            (
                "unknown key",
                "osv:\n  base: https://a.example\n  ecosystem: [PyPI]\n",
            ),
            ("not http", "debian:\n  url: ftp://a.example/tracker.json\n"),
            ("not a url", "kev:\n  url: kev.json\n"),
            (
                "path in ecosystem",
                "osv:\n  base: https://a.example\n  ecosystems: [PyPI, ../etc]\n",
            ),
            (
                "alpine branch",
                "alpine:\n  base: https://a.example\n  branches: [v3.19, 3.20]\n",
            ),
            ("missing base", "alpine:\n  branches: [v3.19]\n"),
            (
                "env name",
                "nvd:\n  url: https://a.example\n  api_key_env: NVD-KEY\n",
            ),
            ("not a mapping", "- osv\n"),
        ];
        let messages: Vec<String> = cases
            .iter()
            .map(|(what, text)| format!("{what}: {}", refused(text)))
            .collect();
        insta::assert_snapshot!(messages.join("\n"));
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let text = format!("osv: {}", "[".repeat(1000));
        assert!(refused(&text).contains("more than 128 levels"));
    }
}
