//! What the server tells the outputs about.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why a notification is sent. The codes ([`Trigger::code`], also the serde names) are stable:
/// receivers filter on them and the outbox stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    NewCriticalVulnerability,
    NewHighVulnerability,
    ImageNonCompliant,
    ScanFailed,
}

impl Trigger {
    pub const ALL: [Trigger; 4] = [
        Trigger::NewCriticalVulnerability,
        Trigger::NewHighVulnerability,
        Trigger::ImageNonCompliant,
        Trigger::ScanFailed,
    ];

    /// The stable machine code, e.g. `new_critical_vulnerability`.
    pub fn code(self) -> &'static str {
        match self {
            Trigger::NewCriticalVulnerability => "new_critical_vulnerability",
            Trigger::NewHighVulnerability => "new_high_vulnerability",
            Trigger::ImageNonCompliant => "image_non_compliant",
            Trigger::ScanFailed => "scan_failed",
        }
    }

    /// A short human title, e.g. `New critical vulnerability`.
    pub fn title(self) -> &'static str {
        match self {
            Trigger::NewCriticalVulnerability => "New critical vulnerability",
            Trigger::NewHighVulnerability => "New high vulnerability",
            Trigger::ImageNonCompliant => "Image non-compliant",
            Trigger::ScanFailed => "Scan failed",
        }
    }
}

/// One notification. Serialized as is, it is the webhook body (and what the outbox can store):
/// `{trigger, image, digest, summary, details, time}` with `time` in RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub trigger: Trigger,
    /// The image reference as the user knows it, e.g. `registry.local/app:1.2`.
    pub image: String,
    /// The manifest digest, when known (a failed pull may not have one).
    pub digest: Option<String>,
    /// One line for people, e.g. `2 new critical vulnerabilities: CVE-2024-1, CVE-2024-2`.
    pub summary: String,
    /// Machine-readable particulars (finding ids, policy names, the scan error).
    pub details: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
}

impl Event {
    /// The event time in RFC 3339; fails only for years RFC 3339 cannot write (outside 0..=9999).
    pub fn time_rfc3339(&self) -> Result<String, time::error::Format> {
        self.time.format(&Rfc3339)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn trigger_codes_are_unique_and_match_serde() {
        let codes: HashSet<&str> = Trigger::ALL.iter().map(|t| t.code()).collect();
        assert_eq!(codes.len(), Trigger::ALL.len());
        for trigger in Trigger::ALL {
            let json = serde_json::to_value(trigger).ok();
            assert_eq!(json, Some(serde_json::Value::from(trigger.code())));
            assert!(
                trigger
                    .code()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
        }
    }
}
