//! A small blocking client for the OCI distribution API: manifests and blobs of one
//! repository, with anonymous, basic and bearer-token auth.

use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kabuto_types::Digest;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256, Sha512};

use super::auth::{Challenge, ClientAuth, Credentials, parse_www_authenticate};
use super::manifest::{Descriptor, MANIFEST_ACCEPT};
use crate::SourceError;

/// Largest manifest we read, as containerd does: a bigger one is not a real manifest.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest error or token response body we read.
const MAX_SMALL_BODY_BYTES: u64 = 1 << 20;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Per socket read: a stalled transfer fails, a long one does not.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_REDIRECTS: u32 = 8;

pub(crate) struct RegistryClient {
    agent: ureq::Agent,
    /// The image as the user named it, for messages.
    image: String,
    /// `scheme://host[:port]`.
    origin: String,
    /// `scheme://host[:port]/v2/<repository>`.
    repository_url: String,
    credentials: Option<Credentials>,
    /// A bearer token given as it is: a 401 is final, no token flow runs.
    given_token: bool,
    /// The token scope asked for when a challenge names none: the repository's `pull`,
    /// `pull,push`, or the registry's catalog.
    default_scope: String,
    /// The `Authorization` value that last worked or was last obtained.
    authorization: RwLock<Option<String>>,
}

/// A manifest as served: raw bytes (digested as is), its content type and digest.
pub(crate) struct FetchedManifest {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub digest: Digest,
}

impl RegistryClient {
    pub fn new(
        image: String,
        api_host: &str,
        repository: &str,
        plain_http: bool,
        ca_file: Option<&Path>,
        auth: ClientAuth,
        timeout: Option<Duration>,
    ) -> Result<Self, SourceError> {
        let tls = tls_config(ca_file).map_err(|message| SourceError::Registry {
            image: image.clone(),
            message,
        })?;
        let mut agent = ureq::AgentBuilder::new()
            .tls_config(tls)
            .timeout_connect(timeout.unwrap_or(CONNECT_TIMEOUT))
            .timeout_read(timeout.unwrap_or(READ_TIMEOUT));
        if let Some(total) = timeout {
            agent = agent.timeout(total);
        }
        let agent = agent
            .redirects(MAX_REDIRECTS)
            // Blob redirects go to storage hosts that must not see our registry token.
            .redirect_auth_headers(ureq::RedirectAuthHeaders::Never)
            .user_agent(concat!("kabuto/", env!("CARGO_PKG_VERSION")))
            .build();
        let scheme = if plain_http { "http" } else { "https" };
        let origin = format!("{scheme}://{api_host}");
        let (credentials, authorization) = match &auth {
            ClientAuth::Anonymous => (None, None),
            ClientAuth::Credentials(credentials) => (Some(credentials.clone()), None),
            ClientAuth::Token(token) => (None, Some(token.header())),
        };
        Ok(Self {
            agent,
            image,
            repository_url: format!("{origin}/v2/{repository}"),
            origin,
            credentials,
            given_token: matches!(auth, ClientAuth::Token(_)),
            default_scope: format!("repository:{repository}:pull"),
            authorization: RwLock::new(authorization),
        })
    }

    /// A client that asks token servers for push rights too, when a challenge names no scope.
    pub fn for_push(mut self) -> Self {
        self.default_scope.push_str(",push");
        self
    }

    /// A client for the registry's catalog: token servers are asked for
    /// `registry:catalog:*` when a challenge names no scope.
    pub fn for_catalog(mut self) -> Self {
        self.default_scope = "registry:catalog:*".to_owned();
        self
    }

    /// The registry or image as the caller named it, for messages.
    pub fn name(&self) -> &str {
        &self.image
    }

    /// `scheme://host[:port]`, which every URL the client requests starts with.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `scheme://host[:port]/v2/<repository>`.
    pub fn repository_url(&self) -> &str {
        &self.repository_url
    }

    /// One page of a listing (catalog or tags) as JSON bytes of at most `max_bytes`, and
    /// the raw `Link` headers that may name the next page.
    pub fn list_page(
        &self,
        step: &str,
        url: &str,
        max_bytes: u64,
    ) -> Result<(Vec<u8>, Vec<String>), SourceError> {
        let response = self.get(step, url, Some("application/json"))?;
        let links = response
            .all("link")
            .into_iter()
            .map(str::to_owned)
            .collect();
        let body = read_limited(response.into_reader(), max_bytes)
            .map_err(|e| self.registry_error(step, format!("reading body: {e}")))?;
        Ok((body, links))
    }

    /// GETs `/manifests/<reference>` (a tag or digest) and checks the body against the
    /// digest when `reference` is one, or against `Docker-Content-Digest` when sent.
    pub fn manifest(&self, reference: &str) -> Result<FetchedManifest, SourceError> {
        let step = format!("manifest {reference}");
        let url = format!("{}/manifests/{reference}", self.repository_url);
        let response = self.get(&step, &url, Some(MANIFEST_ACCEPT))?;
        let content_type = response.header("content-type").map(str::to_owned);
        let header_digest = response.header("docker-content-digest").map(str::to_owned);
        let bytes = read_limited(response.into_reader(), MAX_MANIFEST_BYTES)
            .map_err(|e| self.registry_error(&step, format!("reading body: {e}")))?;
        let pinned = reference.parse::<Digest>().ok();
        let expected = pinned.or_else(|| header_digest.and_then(|h| h.parse::<Digest>().ok()));
        let digest = match &expected {
            Some(expected) => {
                let actual = digest_of(expected.algorithm(), &bytes);
                if actual != *expected {
                    return Err(SourceError::DigestMismatch {
                        image: self.image.clone(),
                        expected: expected.to_string(),
                        actual: actual.to_string(),
                    });
                }
                actual
            }
            None => Digest::sha256_of(&bytes),
        };
        Ok(FetchedManifest {
            bytes,
            content_type,
            digest,
        })
    }

    /// The digest `reference` (a tag) names now: a HEAD request read from
    /// `Docker-Content-Digest`, or the manifest itself when the registry does not send it.
    pub fn manifest_digest(&self, reference: &str) -> Result<Digest, SourceError> {
        let step = format!("manifest {reference}");
        let url = format!("{}/manifests/{reference}", self.repository_url);
        let response = self.call("HEAD", &step, &url, Some(MANIFEST_ACCEPT))?;
        match response
            .header("docker-content-digest")
            .and_then(|h| h.parse::<Digest>().ok())
        {
            Some(digest) => Ok(digest),
            None => Ok(self.manifest(reference)?.digest),
        }
    }

    /// Streams a blob; the reader fails at the end if the bytes do not match the
    /// descriptor's digest and size.
    pub fn blob(
        &self,
        what: &str,
        descriptor: &Descriptor,
    ) -> Result<VerifyingReader<Box<dyn Read + Send + Sync>>, SourceError> {
        let step = format!("{what} blob {}", descriptor.digest);
        let url = format!("{}/blobs/{}", self.repository_url, descriptor.digest);
        let response = self.get(&step, &url, None)?;
        Ok(VerifyingReader::new(
            response.into_reader(),
            self.image.clone(),
            descriptor,
        ))
    }

    /// A whole small blob (the config), verified.
    pub fn blob_bytes(
        &self,
        what: &str,
        descriptor: &Descriptor,
        max: u64,
    ) -> Result<Vec<u8>, SourceError> {
        let step = format!("{what} blob {}", descriptor.digest);
        if descriptor.size > max {
            return Err(self.registry_error(
                &step,
                format!("size {} is over the {max} byte limit", descriptor.size),
            ));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(descriptor.size).unwrap_or(0));
        self.blob(what, descriptor)?
            .read_to_end(&mut bytes)
            .map_err(|e| into_source_error(e, &self.image, &step))?;
        Ok(bytes)
    }

    fn get(
        &self,
        step: &str,
        url: &str,
        accept: Option<&str>,
    ) -> Result<ureq::Response, SourceError> {
        self.call("GET", step, url, accept)
    }

    /// A request without a body; see [`Self::send`].
    fn call(
        &self,
        method: &str,
        step: &str,
        url: &str,
        accept: Option<&str>,
    ) -> Result<ureq::Response, SourceError> {
        let headers: &[(&str, &str)] = match accept {
            Some(accept) => &[("Accept", accept)],
            None => &[],
        };
        self.send(method, step, url, headers, &Body::Empty)
    }

    /// A request with the current authorization; on 401, answers the challenge once and
    /// retries (which is why a body is something that can be sent twice).
    fn send(
        &self,
        method: &str,
        step: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &Body<'_>,
    ) -> Result<ureq::Response, SourceError> {
        let mut answered_challenge = false;
        loop {
            let mut request = self.agent.request(method, url);
            for (name, value) in headers {
                request = request.set(name, value);
            }
            if let Some(value) = &self.current_authorization() {
                request = request.set("Authorization", value);
            }
            let sent = match body {
                Body::Empty => request.call(),
                Body::Bytes(bytes) => request.send_bytes(bytes),
                Body::File(path) => {
                    let (file, len) = open_with_len(path).map_err(|e| {
                        self.registry_error(step, format!("{}: {e}", path.display()))
                    })?;
                    request.set("Content-Length", &len.to_string()).send(file)
                }
            };
            match sent {
                Ok(response) => return Ok(response),
                Err(ureq::Error::Status(401, response)) if !answered_challenge => {
                    answered_challenge = true;
                    self.answer_challenge(step, &response)?;
                }
                Err(ureq::Error::Status(status, response)) => {
                    let mut detail = error_detail(response);
                    if status == 401 {
                        detail.push_str(self.auth_hint());
                    }
                    return Err(self.status_error(step, status, detail));
                }
                Err(ureq::Error::Transport(transport)) => {
                    return Err(self.transport_error(step, &transport));
                }
            }
        }
    }

    /// Whether the repository has the blob `digest` (a HEAD request).
    pub fn has_blob(&self, digest: &Digest) -> Result<bool, SourceError> {
        let step = format!("blob {digest}");
        let url = format!("{}/blobs/{digest}", self.repository_url);
        match self.call("HEAD", &step, &url, None) {
            Ok(_) => Ok(true),
            Err(SourceError::RegistryStatus { status: 404, .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Uploads a blob in one piece: POST `/blobs/uploads/`, then PUT its bytes to the
    /// upload's location with `?digest=`; the registry checks the digest.
    pub fn upload_blob(&self, digest: &Digest, body: &Body<'_>) -> Result<(), SourceError> {
        let step = format!("upload blob {digest}");
        let url = format!("{}/blobs/uploads/", self.repository_url);
        let started = self.send(
            "POST",
            &step,
            &url,
            &[("Content-Length", "0")],
            &Body::Empty,
        )?;
        let location = started
            .header("location")
            .ok_or_else(|| self.registry_error(&step, "upload has no Location".into()))?;
        let location = self.absolute_url(location);
        let separator = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{separator}digest={digest}");
        let headers = [("Content-Type", "application/octet-stream")];
        self.send("PUT", &step, &put_url, &headers, body)?;
        Ok(())
    }

    /// PUTs a manifest under `reference` (a tag or its digest); returns its digest.
    pub fn put_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, SourceError> {
        let step = format!("put manifest {reference}");
        let url = format!("{}/manifests/{reference}", self.repository_url);
        let headers = [("Content-Type", media_type)];
        self.send("PUT", &step, &url, &headers, &Body::Bytes(bytes))?;
        Ok(Digest::sha256_of(bytes))
    }

    /// An upload `Location` made absolute: registries may send a path only.
    fn absolute_url(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            return location.to_owned();
        }
        format!("{}/{}", self.origin, location.trim_start_matches('/'))
    }

    fn current_authorization(&self) -> Option<String> {
        match self.authorization.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_authorization(&self, value: String) {
        match self.authorization.write() {
            Ok(mut guard) => *guard = Some(value),
            Err(poisoned) => *poisoned.into_inner() = Some(value),
        }
    }

    fn answer_challenge(&self, step: &str, response: &ureq::Response) -> Result<(), SourceError> {
        if self.given_token {
            return Err(self.status_error(
                step,
                401,
                "the bearer token given was rejected (expired, or without access to this \
                 repository)"
                    .into(),
            ));
        }
        let mut challenges = Vec::new();
        for header in response.all("www-authenticate") {
            challenges.extend(
                parse_www_authenticate(header)
                    .map_err(|e| self.status_error(step, 401, e.to_string()))?,
            );
        }
        let bearer = challenges.iter().find_map(|c| match c {
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => Some((realm, service, scope)),
            _ => None,
        });
        if let Some((realm, service, scope)) = bearer {
            let token = self.fetch_token(realm, service.as_deref(), scope.as_deref())?;
            self.set_authorization(format!("Bearer {token}"));
            return Ok(());
        }
        let wants_basic = challenges
            .iter()
            .any(|c| matches!(c, Challenge::Basic { .. }));
        match (&self.credentials, wants_basic) {
            (Some(credentials), true) => {
                self.set_authorization(credentials.basic_header());
                Ok(())
            }
            (None, true) => Err(self.status_error(
                step,
                401,
                "the registry wants a username and password (basic auth)".into(),
            )),
            (_, false) => Err(self.status_error(
                step,
                401,
                "no Bearer or Basic challenge in WWW-Authenticate".into(),
            )),
        }
    }

    /// The token flow of the distribution spec: GET realm?service=..&scope=.., with basic
    /// credentials when we have them, and read `token` (or `access_token`).
    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
    ) -> Result<String, SourceError> {
        let step = format!("token from {realm}");
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(self.registry_error(&step, "realm is not an http(s) URL".into()));
        }
        let mut request = self
            .agent
            .get(realm)
            .query("scope", scope.unwrap_or(&self.default_scope));
        if let Some(service) = service {
            request = request.query("service", service);
        }
        if let Some(credentials) = &self.credentials {
            request = request.set("Authorization", &credentials.basic_header());
        }
        let response = match request.call() {
            Ok(response) => response,
            Err(ureq::Error::Status(status, response)) => {
                let mut detail = error_detail(response);
                if matches!(status, 401 | 403) {
                    detail.push_str(self.auth_hint());
                }
                return Err(self.status_error(&step, status, detail));
            }
            Err(ureq::Error::Transport(transport)) => {
                return Err(self.transport_error(&step, &transport));
            }
        };
        #[derive(Deserialize)]
        struct TokenResponse {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let body = read_limited(response.into_reader(), MAX_SMALL_BODY_BYTES)
            .map_err(|e| self.registry_error(&step, format!("reading body: {e}")))?;
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| self.registry_error(&step, format!("not a token response: {e}")))?;
        parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.registry_error(&step, "response has no token".into()))
    }

    fn auth_hint(&self) -> &'static str {
        if self.credentials.is_some() {
            " (credentials were rejected)"
        } else {
            " (authentication required: give a username and password)"
        }
    }

    fn registry_error(&self, step: &str, message: String) -> SourceError {
        SourceError::Registry {
            image: self.image.clone(),
            message: format!("{step}: {message}"),
        }
    }

    fn status_error(&self, step: &str, status: u16, message: String) -> SourceError {
        SourceError::RegistryStatus {
            image: self.image.clone(),
            step: step.to_owned(),
            status,
            message,
        }
    }

    fn transport_error(&self, step: &str, transport: &ureq::Transport) -> SourceError {
        let hint = if transport.to_string().contains("certificate") {
            " (for a registry with a private CA, pass its CA certificate file)"
        } else {
            ""
        };
        self.registry_error(step, format!("{transport}{hint}"))
    }
}

/// A TLS client configuration (ring) whose roots are webpki's bundle, the system's, and
/// `ca_file` (PEM) when given; shared by every HTTPS client of Kabuto's. Without a CA file
/// the configuration is built once per process: reading the system's certificates took most
/// of a registry walk's time when every tag's client read them again.
pub fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    static WITHOUT_CA_FILE: std::sync::OnceLock<Arc<rustls::ClientConfig>> =
        std::sync::OnceLock::new();
    match ca_file {
        None => {
            if let Some(config) = WITHOUT_CA_FILE.get() {
                return Ok(Arc::clone(config));
            }
            let config = build_tls_config(None)?;
            Ok(Arc::clone(WITHOUT_CA_FILE.get_or_init(|| config)))
        }
        Some(path) => build_tls_config(Some(path)),
    }
}

fn build_tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Unreadable system certificates are not fatal: webpki's roots remain.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let shown = path.display();
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("CA file {shown}: {e}"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("CA file {shown}: {e}"))?;
        if certs.is_empty() {
            return Err(format!("CA file {shown}: no PEM certificate in it"));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("CA file {shown}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// What a request sends.
pub(crate) enum Body<'a> {
    Empty,
    Bytes(&'a [u8]),
    /// A file, opened anew for each try.
    File(&'a Path),
}

fn open_with_len(path: &Path) -> io::Result<(std::fs::File, u64)> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    Ok((file, len))
}

fn read_limited(reader: impl Read, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// `HTTP <status> <text>: <CODE: message; ...>` from a registry error response.
fn error_detail(response: ureq::Response) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<RegistryErrorEntry>,
    }
    #[derive(Deserialize)]
    struct RegistryErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let status_text = response.status_text().to_owned();
    let body = read_limited(response.into_reader(), MAX_SMALL_BODY_BYTES).unwrap_or_default();
    let detail = match serde_json::from_slice::<Errors>(&body) {
        Ok(errors) if !errors.errors.is_empty() => errors
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::from_utf8_lossy(&body)
            .chars()
            .take(200)
            .collect::<String>()
            .trim()
            .to_owned(),
    };
    if detail.is_empty() {
        status_text
    } else {
        format!("{status_text}: {detail}")
    }
}

fn digest_of(algorithm: &str, bytes: &[u8]) -> Digest {
    let mut hasher = BlobHasher::for_algorithm(algorithm);
    hasher.update(bytes);
    hasher.finish()
}

enum BlobHasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl BlobHasher {
    /// `Digest` only admits sha256 and sha512.
    fn for_algorithm(algorithm: &str) -> Self {
        if algorithm == "sha512" {
            Self::Sha512(Sha512::new())
        } else {
            Self::Sha256(Sha256::new())
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Digest {
        let text = match self {
            Self::Sha256(h) => format!("sha256:{}", hex::encode(h.finalize())),
            Self::Sha512(h) => format!("sha512:{}", hex::encode(h.finalize())),
        };
        // Always well-formed: the algorithm is known and the hex has its length.
        text.parse().unwrap_or_else(|_| Digest::sha256_of(&[]))
    }
}

/// Passes a blob through while hashing it; at the end (or past the expected size) it
/// fails with [`SourceError::DigestMismatch`] inside an `InvalidData` I/O error.
pub(crate) struct VerifyingReader<R> {
    inner: R,
    hasher: Option<BlobHasher>,
    image: String,
    expected: Digest,
    expected_size: u64,
    seen: u64,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, image: String, descriptor: &Descriptor) -> Self {
        Self {
            inner,
            hasher: Some(BlobHasher::for_algorithm(descriptor.digest.algorithm())),
            image,
            expected: descriptor.digest.clone(),
            expected_size: descriptor.size,
            seen: 0,
        }
    }

    fn mismatch(&self, actual: String) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            SourceError::DigestMismatch {
                image: self.image.clone(),
                expected: self.expected.to_string(),
                actual,
            },
        )
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(hasher) = self.hasher.as_mut() else {
            return Ok(0);
        };
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        if self.seen > self.expected_size {
            self.hasher = None;
            return Err(self.mismatch(format!(
                "unknown (more than the {} bytes the manifest gives)",
                self.expected_size
            )));
        }
        if n > 0 {
            hasher.update(&buf[..n]);
            return Ok(n);
        }
        let Some(hasher) = self.hasher.take() else {
            return Ok(0);
        };
        let actual = hasher.finish();
        if self.seen != self.expected_size {
            return Err(self.mismatch(format!(
                "unknown (blob ended after {} of {} bytes)",
                self.seen, self.expected_size
            )));
        }
        if actual != self.expected {
            return Err(self.mismatch(actual.to_string()));
        }
        Ok(0)
    }
}

/// Unwraps the [`SourceError`] a [`VerifyingReader`] put into an I/O error.
pub(crate) fn into_source_error(error: io::Error, image: &str, step: &str) -> SourceError {
    error
        .downcast::<SourceError>()
        .unwrap_or_else(|error| SourceError::Registry {
            image: image.to_owned(),
            message: format!("{step}: reading body: {error}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: None,
            digest: Digest::sha256_of(bytes),
            size: bytes.len() as u64,
            platform: None,
        }
    }

    fn read_all(reader: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut reader = reader;
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn verifying_reader_accepts_matching_blob() {
        let blob = b"layer bytes".repeat(10_000);
        let reader = VerifyingReader::new(&blob[..], "img".into(), &descriptor(&blob));
        assert_eq!(read_all(reader).unwrap(), blob);
    }

    #[test]
    fn verifying_reader_rejects_wrong_bytes_size_and_overflow() {
        let good = descriptor(b"hello");
        for (served, why) in [
            (&b"jello"[..], "has digest sha256:"),
            (&b"hell"[..], "ended after 4 of 5"),
            (&b"hello!"[..], "more than the 5 bytes"),
        ] {
            let err = read_all(VerifyingReader::new(served, "img".into(), &good)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            let source = into_source_error(err, "img", "layer");
            assert!(
                matches!(source, SourceError::DigestMismatch { .. }),
                "{source}"
            );
            assert!(source.to_string().contains(why), "{source}");
            assert!(
                source.to_string().contains(good.digest.as_str()),
                "{source}"
            );
        }
    }

    #[test]
    fn sha512_digests_verify() {
        let bytes = b"abc";
        let d = digest_of("sha512", bytes);
        assert_eq!(d.algorithm(), "sha512");
        assert!(d.hex().starts_with("ddaf35a193617aba"));
        let desc = Descriptor {
            digest: d,
            ..descriptor(bytes)
        };
        assert_eq!(
            read_all(VerifyingReader::new(&bytes[..], "i".into(), &desc)).unwrap(),
            bytes
        );
    }

    #[test]
    fn bad_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = tls_config(Some(&path)).unwrap_err();
        assert!(
            err.contains("no PEM certificate") && err.contains("ca.pem"),
            "{err}"
        );
        let err = tls_config(Some(&dir.path().join("missing.pem"))).unwrap_err();
        assert!(err.contains("missing.pem"), "{err}");
        assert!(tls_config(None).is_ok());
    }
}
