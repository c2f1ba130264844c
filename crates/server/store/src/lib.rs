//! The Kabuto server's storage: users, API tokens and console sessions; scans and the images
//! (registry/repository/tag) that point at them with the server's latest evaluation; the
//! vulnerabilities of each image for cross-image queries; acknowledgements; image assurance
//! and runtime policies; the runtime enforcers' last reports; the append-only audit log; the
//! daily risk trend; the scan-job queue of the registry integrations, the notification outputs (sealed by the server), the notification
//! outbox, and the scan requests Harbor sends (sealed by the server).
//!
//! Two backends, one query text: an embedded SQLite file (the default) and PostgreSQL,
//! through sqlx's `Any` driver. The schemas differ only in type names (see
//! `migrations/{sqlite,postgres}`); migrations are versioned, embedded in the binary and
//! run forward on open.
//!
//! Rows are plain data; the server turns them into its domain types. Every write that
//! belongs together (a scan, its image and its vulnerabilities) is one transaction, so a
//! crash never leaves half of it.

mod acks;
mod audit;
mod enforcers;
mod harbor;
mod images;
mod jobs;
mod outbox;
mod outputs;
mod policies;
mod registries;
mod risk;
mod sql;
mod url;
mod users;

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use time::OffsetDateTime;

pub use acks::{AckKey, AckRow, NewAck};
pub use audit::{AuditEvent, AuditQuery, AuditRow};
pub use enforcers::{EnforcerReportRow, EnforcerRow};
pub use harbor::{HarborScanRow, HarborScanState, NewHarborScan};
pub use images::{
    Evaluation, ImageKey, ImageOrder, ImageQuery, ImageRow, Ingest, IngestOutcome, NewScan,
    PriorEvaluation, SERIOUS_RANK, SeverityCountsRow, VulnerabilityQuery, VulnerabilityRow,
    VulnerabilitySummary, vulnerabilities_digest,
};
pub use jobs::{Enqueued, Job, JobId, JobOutcome, JobQuery, JobReason, JobState, NewJob};
pub use outbox::{NewNotification, Notification, NotificationId, NotificationState};
pub use outputs::{NewOutput, OutputRow};
pub use policies::PolicyRow;
pub use registries::RegistryRow;
pub use risk::{
    GROUP_PACKAGES, GroupOrder, RiskCountsRow, RiskDay, RiskSummary, VulnerabilityGroupQuery,
    VulnerabilityGroupRow,
};
pub use url::{Backend, StoreUrl, StoreUrlError};
pub use users::{NewToken, SessionRow, TokenRow, UserRow};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the store at {url} was written by a newer Kabuto (schema version {found}; this one \
         knows up to {known})"
    )]
    NewerSchema { url: String, found: i64, known: i64 },
    #[error("cannot migrate the store at {url}")]
    Migrate {
        url: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("{what} already exists")]
    Conflict { what: String },
    #[error("store query failed: {context}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored {what} is damaged: {message}")]
    Damaged { what: String, message: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Adds a context to sqlx errors: `.map_err(query("images list"))`.
pub(crate) fn query(context: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}

/// A page of a list, in Aqua's list shape (`count`, `page`, `pagesize`, `result`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page<T> {
    /// Rows matching the filters, over all pages.
    pub count: i64,
    pub page: i64,
    pub pagesize: i64,
    pub result: Vec<T>,
}

/// Which page of a list: 1-based `page`, `pagesize` rows (clamped to 1..=1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub pagesize: i64,
}

impl PageRequest {
    pub const MAX_SIZE: i64 = 1000;

    pub fn new(page: Option<i64>, pagesize: Option<i64>) -> PageRequest {
        PageRequest {
            page: page.unwrap_or(1).max(1),
            pagesize: pagesize.unwrap_or(50).clamp(1, Self::MAX_SIZE),
        }
    }

    fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.pagesize)
    }

    fn wrap<T>(self, count: i64, result: Vec<T>) -> Page<T> {
        Page {
            count,
            page: self.page,
            pagesize: self.pagesize,
            result,
        }
    }
}

/// The server's store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A text that names none of a stored enum's values (a state or reason in a query string,
/// or a damaged row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?} (expected one of: {expected})")]
pub struct UnknownValue {
    pub what: &'static str,
    pub text: String,
    pub expected: String,
}

/// An enum stored as text: `as_str` writes it, `FromStr` reads it back (an unknown text is
/// an [`UnknownValue`]), serialized as the same text.
macro_rules! stored_text {
    ($(#[$meta:meta])* $name:ident ($what:literal) {
        $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(text: &str) -> Result<$name, $crate::UnknownValue> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| $crate::UnknownValue {
                        what: $what,
                        text: text.to_owned(),
                        expected: $name::ALL
                            .iter()
                            .map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use stored_text;

/// A stored text read back as one of its enum's values; an unknown one is a damaged `row`.
pub(crate) fn parse_stored<T>(text: &str, row: impl FnOnce() -> String) -> Result<T>
where
    T: std::str::FromStr<Err = UnknownValue>,
{
    text.parse().map_err(|e: UnknownValue| StoreError::Damaged {
        what: row(),
        message: e.to_string(),
    })
}

/// The first retry's delay in [`backoff`].
pub const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// The longest delay [`backoff`] gives.
pub const BACKOFF_CAP: Duration = Duration::from_secs(60 * 60);

/// How long to wait before retrying after the `attempts`-th failed attempt: 30 s, doubled
/// for each further attempt, at most an hour. The caller passes
/// `now + backoff(attempts)` as the retry time of a failed job or notification.
pub fn backoff(attempts: i64) -> Duration {
    // 2^12 x 30 s is well past the cap: more doublings change nothing.
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 12)).unwrap_or(12);
    (BACKOFF_BASE * 2u32.pow(doublings)).min(BACKOFF_CAP)
}

impl Store {
    /// The clause that makes a claiming `SELECT` pass over rows another transaction is
    /// claiming (PostgreSQL); SQLite needs none, its write transactions run one at a time.
    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first cannot wait for a concurrent
    /// writer and fails with "database is locked" (SQLITE_BUSY_SNAPSHOT) instead.
    async fn begin_write(
        &self,
        what: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let statement = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        self.pool.begin_with(statement).await.map_err(query(what))
    }

    /// Connects (creating an SQLite file when missing) and brings the schema up to date.
    pub async fn open(url: &StoreUrl) -> Result<Store> {
        install_default_drivers();
        let backend = url.backend();
        let connect = |source| StoreError::Connect {
            url: url.redacted(),
            source,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets reads go on during a write; FULL makes every answered
                        // write survive a crash of the process or the machine.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url.connect_string())
            .await
            .map_err(connect)?;
        let store = Store { pool, backend };
        store.migrate(url).await?;
        Ok(store)
    }

    async fn migrate(&self, url: &StoreUrl) -> Result<()> {
        let migrator = self.migrator();
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        if let Some(found) = self.schema_version().await?
            && found > known
        {
            return Err(StoreError::NewerSchema {
                url: url.redacted(),
                found,
                known,
            });
        }
        migrator
            .run(&self.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                url: url.redacted(),
                source,
            })
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// The newest migration applied, `None` for an empty database.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        let table_exists = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
            }
        };
        let (exists,): (i64,) = sqlx::query_as(table_exists)
            .fetch_one(&self.pool)
            .await
            .map_err(query("schema version"))?;
        if exists == 0 {
            return Ok(None);
        }
        let (version,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await
                .map_err(query("schema version"))?;
        Ok(version)
    }

    /// The schema version this build writes.
    pub fn latest_schema_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(query("ping"))?;
        Ok(())
    }

    /// A setting the server keeps (the vulnerability database's version last evaluated
    /// against, for instance).
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(query("read setting"))?;
        Ok(row.map(|(v,)| v))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(query("write setting"))?;
        Ok(())
    }

    /// The database's name on a PostgreSQL server (`None` for SQLite).
    pub async fn database_name(&self) -> Result<Option<String>> {
        if self.backend == Backend::Sqlite {
            return Ok(None);
        }
        let (name,): (String,) = sqlx::query_as("SELECT current_database()::text")
            .fetch_one(&self.pool)
            .await
            .map_err(query("database name"))?;
        Ok(Some(name))
    }

    /// Closes every connection (after the last request on shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Seconds since the Unix epoch, as stored.
pub(crate) fn seconds(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// `now` plus `duration` as stored, a part second counted as a whole one (a lease of half
/// a second must not have expired at once).
pub(crate) fn seconds_after(now: OffsetDateTime, duration: Duration) -> i64 {
    let whole = duration
        .as_secs()
        .saturating_add(u64::from(duration.subsec_nanos() > 0));
    seconds(now).saturating_add(i64::try_from(whole).unwrap_or(i64::MAX))
}

/// A stored time back as a date-time; times outside `time`'s range (never written by the
/// server) read as the epoch rather than failing a whole list.
pub(crate) fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Whether an error is a unique-constraint violation.
/// A unique violation as [`StoreError::Conflict`] on `what`, any other error as a query error.
pub(crate) fn conflict_or(error: sqlx::Error, what: String, context: &'static str) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::Conflict { what }
    } else {
        query(context)(error)
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// `text` as a `LIKE` pattern matching it anywhere, case-insensitively (with `LOWER(col)`
/// on the other side), `%`, `_` and `\` escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30_seconds_up_to_an_hour() {
        let secs: Vec<u64> = [0, 1, 2, 3, 7, 8, 64, i64::MAX]
            .into_iter()
            .map(|n| backoff(n).as_secs())
            .collect();
        assert_eq!(secs, [30, 30, 60, 120, 1920, 3600, 3600, 3600]);
    }

    #[test]
    fn a_part_second_of_a_lease_counts_as_a_whole_one() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(seconds_after(now, Duration::from_millis(500)), 1);
        assert_eq!(seconds_after(now, Duration::from_secs(60)), 60);
        assert_eq!(seconds_after(now, Duration::MAX), i64::MAX);
    }
}
