//! The client of a Kabuto server that every part of Kabuto talking to one uses (`kabuto scan
//! --server`, `kabuto kube-enforcer`, `kabuto enforcer`): the server's base URL, an API token
//! sent as `Authorization: Bearer`, an extra CA certificate to trust for its TLS (the
//! `--server-ca` flag), a timeout for each request, answers read up to a bound, and errors that
//! name the URL and the HTTP status (with the server's own explanation), never the token.
//!
//! ```no_run
//! # fn demo() -> Result<(), kabuto_client::ClientError> {
//! use std::time::Duration;
//! let server = kabuto_client::ServerClient::new(
//!     "https://kabuto.example:8443", "token", None, Duration::from_secs(10), "kabuto-doc")?;
//! let policies: Vec<serde_json::Value> = server.get_json("/api/v2/runtime_policies")?;
//! # Ok(()) }
//! ```

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use kabuto_api::server::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Largest answer read from the server (scan verdicts and policy lists are far smaller).
pub const MAX_ANSWER_BYTES: u64 = 16 << 20;

/// Why a request to the server failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The `--server-ca` file (or the system's certificates) could not be used.
    #[error("TLS for the server at {url}: {message}")]
    Tls { url: String, message: String },
    #[error("cannot reach the server at {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The server answered with an error status; `message` is its explanation.
    #[error("the server refused {url}: HTTP {status}: {message}")]
    Refused {
        url: String,
        status: u16,
        message: String,
    },
    #[error("the server's answer to {url} is not what was asked for: {message}")]
    BadAnswer { url: String, message: String },
}

/// A client of one server, authenticated by an API token.
#[derive(Clone)]
pub struct ServerClient {
    agent: ureq::Agent,
    base: String,
    authorization: String,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ServerClient {
    /// `url` is the server's base URL; `ca_file` a PEM CA to trust besides the system's;
    /// `timeout` bounds each whole request; `user_agent` names the caller
    /// (`kabuto-enforcer/0.1.0`).
    pub fn new(
        url: &str,
        token: &str,
        ca_file: Option<&Path>,
        timeout: Duration,
        user_agent: &str,
    ) -> Result<ServerClient, ClientError> {
        let base = url.trim_end_matches('/').to_owned();
        let tls =
            kabuto_source::registry::tls_config(ca_file).map_err(|message| ClientError::Tls {
                url: base.clone(),
                message,
            })?;
        let agent = ureq::AgentBuilder::new()
            .tls_config(tls)
            .timeout_connect(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .max_idle_connections_per_host(16)
            .user_agent(user_agent)
            .build();
        Ok(ServerClient {
            agent,
            base,
            authorization: format!("Bearer {token}"),
        })
    }

    /// The server's base URL (no trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The URL of `path` (`/api/...`) at this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the token set, to add a query to and [`ServerClient::send`].
    pub fn request(&self, method: &str, path: &str) -> ureq::Request {
        self.agent
            .request(method, &self.url(path))
            .set("Authorization", &self.authorization)
    }

    /// Sends `request` with `body` (JSON) or none; an error status is an error.
    pub fn send(
        &self,
        request: ureq::Request,
        body: Option<&[u8]>,
    ) -> Result<ureq::Response, ClientError> {
        let url = request.url().to_owned();
        let sent = match body {
            Some(bytes) => request
                .set("Content-Type", "application/json")
                .send_bytes(bytes),
            None => request.call(),
        };
        sent.map_err(|e| failure(&url, e))
    }

    /// `GET path`, the answer read as `T`.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let response = self.send(self.request("GET", path), None)?;
        read_json(response)
    }

    /// `method path` with `body` as JSON; the answer is not read.
    pub fn send_json(
        &self,
        method: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<(), ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::BadAnswer {
            url: self.url(path),
            message: format!("encoding the request: {e}"),
        })?;
        self.send(self.request(method, path), Some(&bytes))?;
        Ok(())
    }
}

/// An answer read (at most [`MAX_ANSWER_BYTES`]) as `T`.
pub fn read_json<T: DeserializeOwned>(response: ureq::Response) -> Result<T, ClientError> {
    let url = response.get_url().to_owned();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut body)
        .map_err(|e| ClientError::Unreachable {
            url: url.clone(),
            message: e.to_string(),
        })?;
    serde_json::from_slice(&body).map_err(|e| ClientError::BadAnswer {
        url,
        message: e.to_string(),
    })
}

/// A ureq error as a [`ClientError`]: the server's explanation for an error status (its
/// `ErrorBody`, or the start of the text), the transport's words otherwise. The URL is the
/// request's without its query.
fn failure(url: &str, error: ureq::Error) -> ClientError {
    let url = url.split('?').next().unwrap_or(url).to_owned();
    match error {
        ureq::Error::Status(status, response) => {
            let body = response.into_string().unwrap_or_default();
            let message = serde_json::from_str::<ErrorBody>(&body)
                .map(|e| e.error.message)
                .unwrap_or(body);
            ClientError::Refused {
                url,
                status,
                message: message.trim().chars().take(300).collect(),
            }
        }
        ureq::Error::Transport(transport) => ClientError::Unreachable {
            url,
            message: transport.to_string(),
        },
    }
}
