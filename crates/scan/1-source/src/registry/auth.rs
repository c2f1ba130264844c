//! Registry credentials and `WWW-Authenticate` challenges.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

/// A username and password (or token) for a registry. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Why an HTTP basic `Authorization` value (or docker's `auth`) gives no credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BasicAuthError {
    #[error("is not `Basic` followed by base64 of `user:password`")]
    NotBasic,
    #[error("is not base64")]
    NotBase64,
    #[error("is not UTF-8")]
    NotUtf8,
    #[error("is not base64 of `user:password`")]
    NoColon,
}

/// A registry bearer token obtained elsewhere (Harbor hands its scanners one): sent as
/// `Authorization: Bearer <token>` from the first request, without the token flow. `Debug`
/// hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// `Authorization` header value.
    pub(crate) fn header(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<hidden>)")
    }
}

/// How a client proves itself to a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    Anonymous,
    /// Basic auth, or the token flow with these credentials.
    Credentials(Credentials),
    /// A token obtained elsewhere, sent as is.
    Token(BearerToken),
}

/// Why docker's config file could not give credentials.
#[derive(Debug, thiserror::Error)]
pub enum DockerConfigError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON: {message}")]
    Json { path: PathBuf, message: String },
    #[error("{path}: auths entry `{key}`: {message}")]
    Entry {
        path: PathBuf,
        key: String,
        message: String,
    },
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, DockerAuth>,
}

#[derive(Deserialize)]
struct DockerAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// `Authorization` header value for HTTP basic auth.
    pub(crate) fn basic_header(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!("Basic {}", BASE64.encode(pair))
    }

    /// Credentials from an HTTP basic `Authorization` value (`Basic base64(user:password)`),
    /// as Harbor hands a robot account to its scanners.
    pub fn from_basic_header(value: &str) -> Result<Self, BasicAuthError> {
        let (scheme, encoded) = value
            .trim()
            .split_once(' ')
            .ok_or(BasicAuthError::NotBasic)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(BasicAuthError::NotBasic);
        }
        Self::from_base64_pair(encoded)
    }

    /// Credentials from base64 of `user:password` (basic auth, docker's `auths.*.auth`).
    fn from_base64_pair(encoded: &str) -> Result<Self, BasicAuthError> {
        let decoded = BASE64
            .decode(encoded.trim())
            .map_err(|_| BasicAuthError::NotBase64)?;
        let decoded = String::from_utf8(decoded).map_err(|_| BasicAuthError::NotUtf8)?;
        let (username, password) = decoded.split_once(':').ok_or(BasicAuthError::NoColon)?;
        Ok(Self::new(username, password))
    }

    /// Where docker keeps its config: `$DOCKER_CONFIG/config.json`, else
    /// `$HOME/.docker/config.json`.
    pub fn default_docker_config_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
    }

    /// Credentials for `registry` (as in an image reference: `docker.io`, `host:port`)
    /// from the `auths` of docker's config file. A missing file gives `Ok(None)`.
    /// Credential helpers (`credsStore`, `credHelpers`) are not run.
    pub fn from_docker_config(
        path: &Path,
        registry: &str,
    ) -> Result<Option<Self>, DockerConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(DockerConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let config: DockerConfig =
            serde_json::from_str(&text).map_err(|e| DockerConfigError::Json {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        let wanted = normalize_auth_key(registry);
        let Some((key, entry)) = config
            .auths
            .iter()
            .find(|(key, _)| normalize_auth_key(key) == wanted)
        else {
            return Ok(None);
        };
        let entry_error = |message: &str| DockerConfigError::Entry {
            path: path.to_owned(),
            key: key.clone(),
            message: message.to_owned(),
        };
        if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
            return Ok(Some(Self::new(username, password)));
        }
        let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) else {
            return Ok(None);
        };
        Self::from_base64_pair(auth)
            .map(Some)
            .map_err(|e| entry_error(&format!("`auth` {e}")))
    }
}

/// Reduces an `auths` key (`https://index.docker.io/v1/`, `host:5000`) to a bare host,
/// with Docker Hub's aliases folded into `docker.io`.
fn normalize_auth_key(key: &str) -> String {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = without_scheme.split('/').next().unwrap_or_default();
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".into()
        }
        other => other.to_ascii_lowercase(),
    }
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic {
        realm: Option<String>,
    },
    /// Get a token from `realm` (with `service` and `scope` as query parameters) and send
    /// it as `Authorization: Bearer <token>`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Other {
        scheme: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad WWW-Authenticate header `{header}`: {reason}")]
pub struct ChallengeError {
    pub header: String,
    pub reason: &'static str,
}

/// Parses a `WWW-Authenticate` value (RFC 7235): one or more challenges, each a scheme
/// and comma-separated `key=value` or `key="quoted \" value"` parameters.
pub fn parse_www_authenticate(header: &str) -> Result<Vec<Challenge>, ChallengeError> {
    let fail = |reason| ChallengeError {
        header: header.to_owned(),
        reason,
    };
    let bytes = header.as_bytes();
    let mut pos = 0;
    let mut raw: Vec<(String, Vec<(String, String)>)> = Vec::new();
    loop {
        while pos < bytes.len() && (bytes[pos] == b',' || bytes[pos].is_ascii_whitespace()) {
            pos += 1;
        }
        if pos == bytes.len() {
            break;
        }
        let start = pos;
        while pos < bytes.len() && is_token_byte(bytes[pos]) {
            pos += 1;
        }
        if start == pos {
            return Err(fail("expected a scheme or parameter name"));
        }
        let token = &header[start..pos];
        let mut after = pos;
        while after < bytes.len() && bytes[after].is_ascii_whitespace() {
            after += 1;
        }
        if bytes.get(after) != Some(&b'=') {
            raw.push((token.to_owned(), Vec::new()));
            continue;
        }
        // `token=` is a parameter of the current challenge.
        pos = after + 1;
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let value = if bytes.get(pos) == Some(&b'"') {
            pos += 1;
            let mut value = String::new();
            loop {
                match bytes.get(pos) {
                    None => return Err(fail("unterminated quoted string")),
                    Some(b'"') => {
                        pos += 1;
                        break;
                    }
                    Some(b'\\') if pos + 1 < bytes.len() => {
                        let next = header[pos + 1..].chars().next().unwrap_or_default();
                        value.push(next);
                        pos += 1 + next.len_utf8();
                    }
                    Some(_) => {
                        let c = header[pos..].chars().next().unwrap_or_default();
                        value.push(c);
                        pos += c.len_utf8();
                    }
                }
            }
            value
        } else {
            let value_start = pos;
            while pos < bytes.len() && bytes[pos] != b',' && !bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            header[value_start..pos].to_owned()
        };
        let (_, params) = raw
            .last_mut()
            .ok_or_else(|| fail("parameter before any scheme"))?;
        params.push((token.to_ascii_lowercase(), value));
    }
    if raw.is_empty() {
        return Err(fail("no challenge"));
    }
    raw.into_iter()
        .map(|(scheme, params)| {
            let param = |name: &str| {
                params
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            };
            Ok(match scheme.to_ascii_lowercase().as_str() {
                "basic" => Challenge::Basic {
                    realm: param("realm"),
                },
                "bearer" => Challenge::Bearer {
                    realm: param("realm").ok_or_else(|| fail("Bearer challenge has no realm"))?,
                    service: param("service"),
                    scope: param("scope"),
                },
                _ => Challenge::Other { scheme },
            })
        })
        .collect()
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        let header = r#"Bearer realm="https://auth.example.invalid/token",service="registry.example.invalid",scope="repository:library/alpine:pull""#;
        assert_eq!(
            parse_www_authenticate(header).unwrap(),
            [Challenge::Bearer {
                realm: "https://auth.example.invalid/token".into(),
                service: Some("registry.example.invalid".into()),
                scope: Some("repository:library/alpine:pull".into()),
            }]
        );
        assert_eq!(
            parse_www_authenticate(r#"Basic realm="Registry Realm""#).unwrap(),
            [Challenge::Basic {
                realm: Some("Registry Realm".into())
            }]
        );
        // Unquoted values, odd spacing and case, a scope with commas, two challenges.
        let two = r#"bearer  REALM = http://127.0.0.1:1/t , scope="repository:a/b:pull,push", Basic realm=x"#;
        assert_eq!(
            parse_www_authenticate(two).unwrap(),
            [
                Challenge::Bearer {
                    realm: "http://127.0.0.1:1/t".into(),
                    service: None,
                    scope: Some("repository:a/b:pull,push".into()),
                },
                Challenge::Basic {
                    realm: Some("x".into())
                },
            ]
        );
        assert_eq!(
            parse_www_authenticate(r#"Basic realm="a \"q\" b""#).unwrap(),
            [Challenge::Basic {
                realm: Some(r#"a "q" b"#.into())
            }]
        );
        assert_eq!(
            parse_www_authenticate("Negotiate").unwrap(),
            [Challenge::Other {
                scheme: "Negotiate".into()
            }]
        );
    }

    #[test]
    fn rejects_bad_challenges() {
        for (bad, why) in [
            ("", "no challenge"),
            ("realm=x", "before any scheme"),
            (r#"Bearer realm="x"#, "unterminated"),
            ("Bearer service=x", "no realm"),
            ("Bearer (x)", "expected a scheme"),
        ] {
            let err = parse_www_authenticate(bad).expect_err(bad);
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn docker_config_auths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let alice = BASE64.encode("alice:pa:ss");
        std::fs::write(
            &path,
            format!(
                r#"{{"auths":{{
                "https://index.docker.io/v1/":{{"auth":"{alice}"}},
                "127.0.0.1:5000":{{"username":"bob","password":"pw"}},
                "http://LocalHost:6000/v2/":{{"auth":"{alice}"}},
                "broken.example.invalid":{{"auth":"!!!"}},
                "empty.example.invalid":{{}}}},
                "credsStore":"desktop"}}"#
            ),
        )
        .unwrap();
        let lookup = |registry| Credentials::from_docker_config(&path, registry);
        assert_eq!(
            lookup("docker.io").unwrap(),
            Some(Credentials::new("alice", "pa:ss"))
        );
        assert_eq!(
            lookup("127.0.0.1:5000").unwrap(),
            Some(Credentials::new("bob", "pw"))
        );
        assert_eq!(
            lookup("localhost:6000").unwrap(),
            Some(Credentials::new("alice", "pa:ss"))
        );
        assert_eq!(lookup("ghcr.io").unwrap(), None);
        assert_eq!(lookup("empty.example.invalid").unwrap(), None);
        let err = lookup("broken.example.invalid").unwrap_err().to_string();
        assert!(
            err.contains("broken.example.invalid") && err.contains("base64"),
            "{err}"
        );
        assert_eq!(
            Credentials::from_docker_config(&dir.path().join("missing.json"), "docker.io").unwrap(),
            None
        );
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            lookup("docker.io"),
            Err(DockerConfigError::Json { .. })
        ));
        assert!(!format!("{:?}", Credentials::new("u", "secret")).contains("secret"));
    }

    #[test]
    fn basic_authorization_values() {
        let value = format!("Basic {}", BASE64.encode("robot$ci:s3cret:with-colon"));
        let credentials = Credentials::from_basic_header(&value).unwrap();
        assert_eq!(
            (credentials.username.as_str(), credentials.password.as_str()),
            ("robot$ci", "s3cret:with-colon")
        );
        assert_eq!(credentials.basic_header(), value);
        let any_case = value.replacen("Basic", "BASIC", 1);
        assert_eq!(Credentials::from_basic_header(&any_case), Ok(credentials));
        for (value, error) in [
            ("Bearer abc", BasicAuthError::NotBasic),
            ("Basic", BasicAuthError::NotBasic),
            ("Basic !!!", BasicAuthError::NotBase64),
            ("basic dXNlcg==", BasicAuthError::NoColon),
        ] {
            assert_eq!(Credentials::from_basic_header(value), Err(error), "{value}");
        }
        let token = BearerToken::new("secret-token");
        assert_eq!(format!("{token:?}"), "BearerToken(<hidden>)");
        assert_eq!(token.header(), "Bearer secret-token");
    }
}
