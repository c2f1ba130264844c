//! The scan engine: the one place a scan is assembled, for every front end (the command
//! line, a server's registration and registry workers, an admission controller, a runtime
//! agent).
//!
//! ```text
//! Target ──open──> image source | directory
//!        ──walk (kabuto-inventory, with the secret/misconfig/malware adapters)──> inventory + content findings
//!        ──judge──> match (kabuto-match x kabuto-vulndb) -> suppress (ignore files, VEX)
//!                   -> severity / unfixed filters -> policies + acknowledgements -> exit decision
//!        ==> ScanResult
//! ```
//!
//! A [`ScanPlan`] says what to look for and how to judge it; an [`Engine`] holds what is
//! expensive to load (the database, compiled rules) and runs any number of plans. Nothing is
//! printed: warnings, suppressed findings and the exit decision are data in the
//! [`ScanResult`], and the front end renders them.
//!
//! ```no_run
//! # fn demo(db: kabuto_vulndb::Database) -> Result<(), kabuto_scan::EngineError> {
//! use kabuto_scan::{Cancel, Engine, NoProgress, Rules, ScanPlan, Scanners, Target};
//! let plan = ScanPlan {
//!     scanners: Scanners::from_names(&["vuln", "secret"]),
//!     ..ScanPlan::default()
//! }
//! .with_policy_files(&["policy.yaml".into()])?;
//! let engine = Engine::new(Some(db), &Rules::default(), plan.effective_scanners())?;
//! let target = Target::Image("app.tar".into());
//! let result = engine.scan(&target, &plan, &NoProgress, &Cancel::new())?;
//! std::process::exit(i32::from(result.exit.code()));
//! # }
//! ```
//!
//! Scans are synchronous and CPU-bound (layers and files run on rayon's pool). From async
//! code, run them with `tokio::task::spawn_blocking`: plans and results are `Send`, the
//! engine is `Sync` (share it in an `Arc`), and a [`Cancel`] clone stops a scan whose
//! client went away.

mod adapters;
mod engine;
mod error;
mod plan;
mod policy;
mod result;
mod stored;
mod target;

pub use engine::Engine;
pub use error::EngineError;
pub use kabuto_inventory::{Cancel, NoProgress, Progress};
pub use plan::{Filters, Rules, ScanPlan, Scanners};
pub use result::{ExitDecision, ScanResult, ScanWarning};
pub use stored::{MAX_STORED_BYTES, StoredError, StoredScan};
pub use target::{RegistryAccess, Target};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}
    fn assert_sync<T: Sync>() {}

    #[test]
    fn plans_and_results_cross_threads_and_engines_are_shared() {
        assert_send::<ScanPlan>();
        assert_send::<ScanResult>();
        assert_send::<Target>();
        assert_send::<EngineError>();
        assert_sync::<Engine>();
        assert_send::<Engine>();
    }
}
