//! The vulnerability database: ingest OSV and non-OSV feeds, write a compact file, query it.
//!
//! - [`build::build`] turns feed files into a database file; [`build::collect`] stops before writing.
//! - [`Database::open`] reads and checks a file in milliseconds; [`Database::lookup`] finds a
//!   package's entries.
//! - [`age_warning`] says when a database is too old to trust.
//! - [`enrich`] reads NVD, EPSS and KEV and attaches them to the advisories of each CVE.
//! - [`signature`] signs database files (Ed25519 over the SHA-256) and verifies them.
//! - [`manage`] installs databases (import, signed import, update with checksum) atomically.
//! - [`distribute`] publishes a database as a signed OCI artifact and pulls it back.

pub mod advisory;
pub mod age;
pub mod build;
pub mod constraint;
pub mod db;
pub mod distribute;
pub mod enrich;
pub mod feeds;
pub mod manage;
pub mod namespace;
pub mod osv;
pub mod signature;

pub use advisory::{Advisory, Affected, Bound, Interval, SeverityRating};
pub use age::{AgeWarning, BuildTime, UnreadableBuildTime, age_warning};
pub use build::{BuildError, BuildReport, BuildWarning};
pub use db::{AdvisoryRef, Database, DbError, DbInfo, PackageEntry};
pub use enrich::{CveContext, Enrichment};
pub use namespace::{AdvisoryNamespace, OsvEcosystem};
