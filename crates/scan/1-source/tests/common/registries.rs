//! The registries `scripts/test-registry.sh` starts (Debian's docker-registry on loopback:
//! plain HTTP, TLS + htpasswd, bearer tokens) and the token server the token registry's realm
//! points to. Shared by the test crates that talk to them (`#[path]`-included); each uses
//! a part, hence `dead_code` allowed.
#![allow(dead_code, clippy::unwrap_used)] // test code: a panic is a failed test

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use kabuto_source::registry::{Credentials, RegistryOptions};

pub struct Registries {
    pub vars: HashMap<String, String>,
}

impl Registries {
    pub fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("registry.env has no {name}"))
    }

    pub fn address(&self, which: &str) -> String {
        format!("127.0.0.1:{}", self.var(which))
    }

    pub fn ca_file(&self) -> PathBuf {
        PathBuf::from(self.var("CA_FILE"))
    }

    pub fn credentials(&self) -> Credentials {
        Credentials::new(self.var("USERNAME"), self.var("PASSWORD"))
    }

    /// Options for the plain HTTP, anonymous registry.
    pub fn plain_options(&self) -> RegistryOptions {
        RegistryOptions {
            insecure: true,
            ..RegistryOptions::default()
        }
    }

    /// Options for the TLS registry with basic auth: its CA and the credentials.
    pub fn tls_options(&self) -> RegistryOptions {
        RegistryOptions {
            ca_file: Some(self.ca_file()),
            credentials: Some(self.credentials()),
            ..RegistryOptions::default()
        }
    }

    /// Options for the token registry (plain HTTP) with the credentials its token server
    /// (started here) wants.
    pub fn token_options(&self) -> RegistryOptions {
        start_token_server(self);
        RegistryOptions {
            insecure: true,
            credentials: Some(self.credentials()),
            ..RegistryOptions::default()
        }
    }

    /// A repository name no other test or run has used (the registries share one storage).
    pub fn fresh_repository(&self, what: &str) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("kabuto-test/{what}-{}-{nanos}", std::process::id())
    }
}

/// The running registries, or `None` (with a note) when the script has not been run.
pub fn registries() -> Option<Registries> {
    let dir = std::env::var_os("KABUTO_REGISTRY_DIR")
        .map_or_else(|| PathBuf::from("/tmp/kabuto-registry"), PathBuf::from);
    let env_file = dir.join("registry.env");
    let Ok(text) = std::fs::read_to_string(&env_file) else {
        eprintln!(
            "note: skipping: {} is missing; run scripts/test-registry.sh",
            env_file.display()
        );
        return None;
    };
    let vars: HashMap<String, String> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let registries = Registries { vars };
    if TcpStream::connect(registries.address("PLAIN_PORT")).is_err() {
        eprintln!(
            "note: skipping: the registries in {} are not running",
            env_file.display()
        );
        return None;
    }
    Some(registries)
}

/// A token for `scope` from the token server (started here), as a client outside Kabuto
/// (Harbor, handing its scanners a pull token) gets one.
pub fn issue_token(r: &Registries, scope: &str) -> String {
    start_token_server(r);
    // A plain socket: the crates including this file do not all depend on an HTTP client.
    let mut stream = TcpStream::connect(r.address("TOKEN_SERVER_PORT")).unwrap();
    let basic = STANDARD.encode(format!("{}:{}", r.var("USERNAME"), r.var("PASSWORD")));
    write!(
        stream,
        "GET /token?scope={scope}&service={} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {basic}\r\n\r\n",
        r.var("TOKEN_SERVICE"),
        r.address("TOKEN_SERVER_PORT")
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{answer}");
    let response: serde_json::Value = serde_json::from_str(body).unwrap();
    response["token"].as_str().unwrap().to_owned()
}

/// Tokens issued and requests refused by the in-test token server.
pub static TOKENS_ISSUED: AtomicUsize = AtomicUsize::new(0);
pub static TOKENS_REFUSED: AtomicUsize = AtomicUsize::new(0);

/// Starts (once) the token server the token registry's `realm` points to: it checks basic
/// credentials and issues RS256 JWTs signed (via `openssl dgst`) with the script's key.
pub fn start_token_server(r: &Registries) {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let listener = TcpListener::bind(r.address("TOKEN_SERVER_PORT")).unwrap();
        let config = TokenConfig {
            key: PathBuf::from(r.var("TOKEN_KEY")),
            cert_der_base64: pem_body(Path::new(r.var("TOKEN_CERT"))),
            issuer: r.var("TOKEN_ISSUER").to_owned(),
            service: r.var("TOKEN_SERVICE").to_owned(),
            basic: format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", r.var("USERNAME"), r.var("PASSWORD")))
            ),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve_token(stream, &config);
            }
        });
    });
}

struct TokenConfig {
    key: PathBuf,
    cert_der_base64: String,
    issuer: String,
    service: String,
    basic: String,
}

fn pem_body(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect()
}

fn serve_token(stream: TcpStream, config: &TokenConfig) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut authorization = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or_default();
    let query: HashMap<String, String> = target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect();
    let (status, body) = if authorization.as_deref() != Some(config.basic.as_str()) {
        TOKENS_REFUSED.fetch_add(1, Ordering::SeqCst);
        (
            "401 Unauthorized",
            r#"{"details":"bad credentials"}"#.to_owned(),
        )
    } else {
        TOKENS_ISSUED.fetch_add(1, Ordering::SeqCst);
        let scope = query.get("scope").cloned().unwrap_or_default();
        let token = sign_token(config, &scope, query.get("service").map(String::as_str));
        ("200 OK", format!(r#"{{"token":"{token}"}}"#))
    };
    let mut stream = &stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A JWT as distribution's token auth wants it: `x5c` chains to `rootcertbundle`.
fn sign_token(config: &TokenConfig, scope: &str, service: Option<&str>) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // scope = repository:<name>:<actions>
    let mut parts = scope.splitn(2, ':');
    let kind = parts.next().unwrap_or_default();
    let (name, actions) = parts
        .next()
        .unwrap_or_default()
        .rsplit_once(':')
        .unwrap_or_default();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [config.cert_der_base64]});
    let claims = serde_json::json!({
        "iss": config.issuer,
        "sub": "kabuto",
        "aud": service.unwrap_or(&config.service),
        "exp": now + 300,
        "nbf": now - 60,
        "iat": now - 60,
        "jti": format!("{now}-{scope}"),
        "access": [{"type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>()}],
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut openssl = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(&config.key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    openssl
        .stdin
        .take()
        .unwrap()
        .write_all(signing_input.as_bytes())
        .unwrap();
    let mut signature = Vec::new();
    openssl
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut signature)
        .unwrap();
    assert!(openssl.wait().unwrap().success());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}
