//! The generic webhook: the event as JSON, signed when the output has a secret.
//!
//! # Verifying a delivery (receiver side)
//!
//! Each POST carries `Content-Type: application/json`, `X-Kabuto-Timestamp` (the delivery
//! time in Unix seconds) and, when the output has a `secret`,
//! `X-Kabuto-Signature: sha256=<hex>`: the lowercase hex HMAC-SHA256, keyed with the secret's
//! UTF-8 bytes, of the exact request body bytes. A receiver:
//!
//! 1. reads the raw body before any JSON parsing (re-serializing changes the bytes);
//! 2. computes `HMAC-SHA256(secret, body)`, hex-encodes it and compares it with the header's
//!    value after `sha256=` in constant time; rejects on mismatch or a missing header;
//! 3. only then parses the JSON. The signed body holds the event `time`; a retried delivery
//!    sends the same body again, so a receiver that must not act twice deduplicates on
//!    (`trigger`, `image`, `digest`, `time`). The timestamp header is not signed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::error::Failure;
use crate::event::Event;
use crate::http::post_json;
use crate::output::WebhookOutput;
use crate::secret::Secret;
use crate::sink::{Notifier, Sink};

pub const SIGNATURE_HEADER: &str = "X-Kabuto-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Kabuto-Timestamp";

/// `sha256=<lowercase hex HMAC-SHA256 of body keyed with secret>`.
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    // HMAC takes keys of any length (long ones are hashed first), so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Sink for WebhookOutput {
    fn deliver(&self, notifier: &Notifier, event: &Event) -> Result<(), Failure> {
        let body = serde_json::to_string(event)?;
        let timestamp = OffsetDateTime::now_utc().unix_timestamp().to_string();
        let signature = self.secret.as_ref().map(|s| signature(s, body.as_bytes()));
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.expose()))
            .collect();
        headers.push((TIMESTAMP_HEADER, &timestamp));
        if let Some(signature) = &signature {
            headers.push((SIGNATURE_HEADER, signature));
        }
        post_json(&notifier.agent, &self.url, &headers, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 (key "Jefe").
    #[test]
    fn signature_matches_rfc_4231() {
        let signature = signature(&Secret::new("Jefe"), b"what do ya want for nothing?");
        assert_eq!(
            signature,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
