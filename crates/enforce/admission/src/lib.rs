//! Kabuto's Kubernetes admission webhook (`kabuto kube-enforcer`).
//!
//! ```text
//! AdmissionReview ─> Request ─> Workload (pod spec, containers, labels)
//!     ├─ Kubernetes assurance policies (kabuto-policy) over the object ─> deny | warn
//!     └─ each new image: tag ─HEAD─> digest ─> verdict (cache | server | local scan)
//!                        ─> blocking policy failed ─> deny; audit-only ─> warn;
//!                           unregistered ─> deny when blocking unregistered images;
//!                           no verdict ─> fail open (warn) or closed (deny)
//! ─> AdmissionReview response (+ JSON Patch pinning tags to digests on /mutate)
//! ─> audit event (log, server)
//! ```

mod audit;
mod cache;
pub mod certs;
mod decide;
mod http;
mod local_source;
mod metrics;
pub mod review;
mod server_source;
mod verdict;
pub mod workload;

pub use audit::{ALLOWED, AuditSink, DENIED, LogAudit, ServerAudit, VIOLATION};
pub use decide::{Decision, Enforcer, ImageOutcome, Settings, Skip};
pub use http::{MAX_REVIEW_BYTES, router};
pub use local_source::LocalVerdicts;
pub use metrics::Metrics;
pub use server_source::ServerVerdicts;
pub use verdict::{ImageStatus, ImageVerdict, VerdictError, VerdictSource};
