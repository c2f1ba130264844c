//! What is known of one image: registered or not, and the image assurance policies it
//! fails. A [`VerdictSource`] answers it: the server ([`crate::ServerVerdicts`]) or a scan
//! on the spot ([`crate::LocalVerdicts`]).

use kabuto_api::server::{self, FailedPolicy};
use kabuto_types::{Digest, ImageReference};

/// The verdict on one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageVerdict {
    /// The image the verdict is about, as the source names it.
    pub image: String,
    pub digest: Option<Digest>,
    pub status: ImageStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageStatus {
    /// Scanned and judged: the policies it fails (none when compliant).
    Judged(Vec<FailedPolicy>),
    /// Registered at the server but not scanned yet.
    Pending,
    /// The server does not know the image.
    Unregistered,
}

impl ImageVerdict {
    /// The failed policies that block the image from running (`block_failed`).
    pub fn blocking(&self) -> impl Iterator<Item = &FailedPolicy> {
        self.failed().filter(|p| p.block_failed)
    }

    /// The failed policies that only audit.
    pub fn auditing(&self) -> impl Iterator<Item = &FailedPolicy> {
        self.failed().filter(|p| !p.block_failed)
    }

    fn failed(&self) -> impl Iterator<Item = &FailedPolicy> {
        match &self.status {
            ImageStatus::Judged(failed) => failed.as_slice(),
            ImageStatus::Pending | ImageStatus::Unregistered => &[],
        }
        .iter()
    }
}

impl TryFrom<server::ImageVerdict> for ImageVerdict {
    type Error = VerdictError;
    fn try_from(wire: server::ImageVerdict) -> Result<Self, VerdictError> {
        let bad = |message: String| VerdictError::BadAnswer(message);
        let digest = wire
            .digest
            .map(|d| d.parse::<Digest>())
            .transpose()
            .map_err(|e| bad(format!("digest: {e}")))?;
        let status = match wire.scan_status.as_str() {
            "scanned" => ImageStatus::Judged(wire.failed_policies),
            "pending" => ImageStatus::Pending,
            "unregistered" => ImageStatus::Unregistered,
            other => return Err(bad(format!("scan_status {other:?}"))),
        };
        Ok(ImageVerdict {
            image: wire.image,
            digest,
            status,
        })
    }
}

/// Why no verdict could be had. The decision then fails open or closed, as configured.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VerdictError {
    #[error("the server at {url} is unreachable: {message}")]
    Unreachable { url: String, message: String },
    #[error("the server refused: HTTP {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the server's answer is not a verdict: {0}")]
    BadAnswer(String),
    #[error("scan of {image} failed: {message}")]
    Scan { image: String, message: String },
    #[error("no verdict for {image} within {seconds} s{hint}")]
    Timeout {
        image: String,
        seconds: u64,
        hint: &'static str,
    },
    #[error("`{image}` is not an image reference: {message}")]
    Reference { image: String, message: String },
}

/// Answers verdicts. Calls block (network, scans): the enforcer runs them on blocking
/// threads.
pub trait VerdictSource: Send + Sync {
    /// The verdict on `image`, at `digest` when it is known.
    fn verdict(
        &self,
        image: &ImageReference,
        digest: Option<&Digest>,
    ) -> Result<ImageVerdict, VerdictError>;

    /// A number that changes when cached verdicts may be stale; `None` when the source has
    /// no such notion (cached verdicts then live out their time).
    fn generation(&self) -> Result<Option<u64>, VerdictError> {
        Ok(None)
    }

    /// What the source is, for the start-up line and metrics.
    fn describe(&self) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(status: &str) -> server::ImageVerdict {
        server::ImageVerdict {
            image: "registry.example.test/app:1".into(),
            digest: Some(format!("sha256:{}", "ab".repeat(32))),
            scan_status: status.into(),
            failed_policies: vec![
                FailedPolicy {
                    policy_name: "block".into(),
                    block_failed: true,
                    controls: vec!["vulnerability_severity".into()],
                },
                FailedPolicy {
                    policy_name: "watch".into(),
                    block_failed: false,
                    controls: vec!["malware".into()],
                },
            ],
            generation: 3,
        }
    }

    #[test]
    fn a_scanned_image_splits_blocking_and_auditing_policies() {
        let verdict = ImageVerdict::try_from(wire("scanned")).expect("valid");
        let names = |it: Vec<&FailedPolicy>| {
            it.into_iter()
                .map(|p| p.policy_name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(verdict.blocking().collect()), ["block"]);
        assert_eq!(names(verdict.auditing().collect()), ["watch"]);
        let pending = ImageVerdict::try_from(wire("pending")).expect("valid");
        assert_eq!(pending.blocking().count(), 0);
    }

    #[test]
    fn a_bad_answer_is_named() {
        let error = ImageVerdict::try_from(wire("maybe")).expect_err("refused");
        assert!(
            error.to_string().contains("scan_status \"maybe\""),
            "{error}"
        );
        let mut bad_digest = wire("scanned");
        bad_digest.digest = Some("md5:00".into());
        let error = ImageVerdict::try_from(bad_digest).expect_err("refused");
        assert!(error.to_string().contains("digest"), "{error}");
    }
}
