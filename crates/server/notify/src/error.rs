//! Delivery failures, each naming the output and what failed, and whether a retry may help.

use crate::output::OutputName;

/// A notification that did not reach its output.
#[derive(Debug, thiserror::Error)]
#[error("notification output `{output}` ({kind}): {failure}")]
pub struct DeliveryError {
    pub output: OutputName,
    /// The output's type code (`webhook`, `slack`, `teams`, `email`).
    pub kind: &'static str,
    #[source]
    pub failure: Failure,
}

impl DeliveryError {
    /// Whether the outbox should try again later (true) or dead-letter the notification (false).
    pub fn is_retryable(&self) -> bool {
        self.failure.is_retryable()
    }
}

/// The first bytes of a refused response's body kept in [`Failure::HttpStatus`].
pub const BODY_EXCERPT_BYTES: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The receiver answered with a non-2xx status.
    #[error("{url} answered HTTP {status}: {body_excerpt:?}")]
    HttpStatus {
        url: String,
        status: u16,
        /// At most [`BODY_EXCERPT_BYTES`] of the body, lossily decoded.
        body_excerpt: String,
    },
    /// No answer: DNS, connection refused or reset, timeout, TLS, a garbled response.
    #[error("{url} could not be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: Box<ureq::Transport>,
    },
    /// A request that cannot succeed as configured (e.g. redirect loop, bad header).
    #[error("request to {url} failed: {source}")]
    Request {
        url: String,
        #[source]
        source: Box<ureq::Transport>,
    },
    /// The event time cannot be written in RFC 3339.
    #[error("event time: {0}")]
    EventTime(#[from] time::error::Format),
    #[error("event JSON: {0}")]
    EventJson(#[from] serde_json::Error),
    #[error("building the email: {0}")]
    EmailMessage(#[from] lettre::error::Error),
    /// The SMTP exchange failed; `reply_code` is the server's reply code when it gave one.
    #[error("SMTP server {server}{}: {source}", reply_code.map(|c| format!(" replied {c}")).unwrap_or_default())]
    Smtp {
        server: String,
        reply_code: Option<u16>,
        #[source]
        source: lettre::transport::smtp::Error,
    },
}

impl Failure {
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::HttpStatus { status, .. } => {
                *status >= 500 || *status == 429 || *status == 408
            }
            Failure::Unreachable { .. } => true,
            Failure::Smtp { source, .. } => {
                !(source.is_permanent() || source.is_client() || source.is_tls())
            }
            Failure::Request { .. }
            | Failure::EventTime(_)
            | Failure::EventJson(_)
            | Failure::EmailMessage(_) => false,
        }
    }
}
