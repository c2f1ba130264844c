//! Kabuto's notification outputs, after Aqua's `/api/v2/notification/outputs`: a generic
//! webhook (JSON, HMAC-SHA256 signed, see [`webhook`]), Slack and Microsoft Teams incoming
//! webhooks, and email over SMTP.
//!
//! The server parses an output from the API with [`Output::from_json`] (or
//! `Output::try_from(RawOutput)`), shows it with `RawOutput::from(&output)` (secrets come out as
//! `<redacted>`), and delivers an [`Event`] with [`Notifier::deliver`]: one attempt, blocking,
//! bounded by [`DeliveryOptions::timeout`]. A failure is a [`DeliveryError`] naming the output and
//! what failed; [`DeliveryError::is_retryable`] tells the outbox to retry later or dead-letter.

mod chat;
mod email;
mod error;
mod event;
mod http;
mod output;
mod secret;
mod sink;
pub mod webhook;

pub use error::{BODY_EXCERPT_BYTES, DeliveryError, Failure};
pub use event::{Event, Trigger};
pub use output::{
    ChatUrl, EmailOutput, Output, OutputError, OutputKind, OutputName, RawChatWebhook, RawEmail,
    RawOutput, RawWebhook, SlackOutput, SmtpSettings, SmtpTls, TeamsOutput, WebhookOutput,
};
pub use secret::{REDACTED, Secret};
pub use sink::{DeliveryOptions, Notifier, Sink, sink_for};
