//! Loopback receivers for the delivery tests (`sinks.rs`, shared with the server's tests) and
//! the event they deliver.

#[path = "sinks.rs"]
mod sinks;

use kabuto_notify::{Event, Trigger};
pub use sinks::*;
use time::macros::datetime;

pub fn event(trigger: Trigger) -> Event {
    Event {
        trigger,
        image: "registry.local/shop/api:1.4".to_owned(),
        digest: Some("sha256:1f2e3d4c".to_owned()),
        summary: "2 new critical vulnerabilities: CVE-2026-0001 in openssl, CVE-2026-0002 in zlib"
            .to_owned(),
        details: serde_json::json!({ "vulnerabilities": ["CVE-2026-0001", "CVE-2026-0002"] }),
        time: datetime!(2026-01-02 03:04:05 UTC),
    }
}
