//! One delivery function per output type, chosen by an explicit match.

use std::time::Duration;

use crate::error::{DeliveryError, Failure};
use crate::event::Event;
use crate::output::{Output, OutputKind};

/// Delivers an event to one configured output.
pub trait Sink {
    fn deliver(&self, notifier: &Notifier, event: &Event) -> Result<(), Failure>;
}

/// The sink of an output type: the whole registry of output types is this match.
pub fn sink_for(kind: &OutputKind) -> &dyn Sink {
    match kind {
        OutputKind::Webhook(webhook) => webhook,
        OutputKind::Slack(slack) => slack,
        OutputKind::Teams(teams) => teams,
        OutputKind::Email(email) => email,
    }
}

#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Bounds connecting, each read and each write (HTTP and SMTP alike).
    pub timeout: Duration,
    pub user_agent: String,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            timeout: Duration::from_secs(15),
            user_agent: concat!("kabuto/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Sends notifications. Blocking: from async code call it in `spawn_blocking`.
#[derive(Debug)]
pub struct Notifier {
    pub(crate) agent: ureq::Agent,
    pub(crate) timeout: Duration,
}

impl Notifier {
    pub fn new(options: &DeliveryOptions) -> Self {
        // No connection reuse: ureq 2.12 clears a pooled connection's read timeout, so a
        // receiver that stalls on a reused connection would hang the delivery forever.
        let agent = ureq::AgentBuilder::new()
            .max_idle_connections(0)
            .timeout_connect(options.timeout)
            .timeout_read(options.timeout)
            .timeout_write(options.timeout)
            .redirects(0)
            .user_agent(&options.user_agent)
            .build();
        Notifier {
            agent,
            timeout: options.timeout,
        }
    }

    /// Delivers `event` to `output` once; the outbox decides on retries with
    /// [`DeliveryError::is_retryable`].
    pub fn deliver(&self, output: &Output, event: &Event) -> Result<(), DeliveryError> {
        sink_for(output.kind())
            .deliver(self, event)
            .map_err(|failure| DeliveryError {
                output: output.name().clone(),
                kind: output.kind().code(),
                failure,
            })
    }
}
