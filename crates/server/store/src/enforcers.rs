//! The runtime enforcers that report to the server: one row per host, overwritten by each
//! report, so the list shows every enforcer's last word and when it came.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{Result, Store, StoreError, at, query, seconds};

/// What an enforcer reported about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcerReportRow {
    pub host: String,
    /// The user whose token sent the report.
    pub reporter: String,
    pub version: String,
    /// The one-line enforcement mode it printed at start.
    pub mode: String,
    /// Names of the runtime policies it applies.
    pub policies: Vec<String>,
    pub containers: i64,
    pub spooled: i64,
    pub sent: i64,
    pub dropped: i64,
    /// Seconds between two reports.
    pub interval_secs: i64,
}

/// A stored enforcer: its last report and when reports came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcerRow {
    pub report: EnforcerReportRow,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

#[derive(FromRow)]
struct RawEnforcer {
    host: String,
    reporter: String,
    version: String,
    mode: String,
    policies: String,
    containers: i64,
    spooled: i64,
    sent: i64,
    dropped: i64,
    interval_secs: i64,
    first_seen: i64,
    last_seen: i64,
}

impl TryFrom<RawEnforcer> for EnforcerRow {
    type Error = StoreError;

    fn try_from(r: RawEnforcer) -> Result<EnforcerRow> {
        let policies = serde_json::from_str(&r.policies).map_err(|e| StoreError::Damaged {
            what: format!("enforcer {:?}", r.host),
            message: format!("policies: {e}"),
        })?;
        Ok(EnforcerRow {
            report: EnforcerReportRow {
                host: r.host,
                reporter: r.reporter,
                version: r.version,
                mode: r.mode,
                policies,
                containers: r.containers,
                spooled: r.spooled,
                sent: r.sent,
                dropped: r.dropped,
                interval_secs: r.interval_secs,
            },
            first_seen: at(r.first_seen),
            last_seen: at(r.last_seen),
        })
    }
}

impl Store {
    /// Stores an enforcer's report at `now`; returns whether the host was new.
    pub async fn report_enforcer(
        &self,
        report: &EnforcerReportRow,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let policies =
            serde_json::to_string(&report.policies).map_err(|e| StoreError::Damaged {
                what: format!("enforcer {:?}", report.host),
                message: format!("policies: {e}"),
            })?;
        let mut tx = self.begin_write("begin enforcer report").await?;
        let known: Option<(i64,)> =
            sqlx::query_as("SELECT first_seen FROM enforcers WHERE host = $1")
                .bind(&report.host)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query("read enforcer"))?;
        sqlx::query(
            "INSERT INTO enforcers (host, reporter, version, mode, policies, containers, spooled, \
             sent, dropped, interval_secs, first_seen, last_seen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (host) DO UPDATE SET reporter = excluded.reporter, \
             version = excluded.version, mode = excluded.mode, policies = excluded.policies, \
             containers = excluded.containers, spooled = excluded.spooled, sent = excluded.sent, \
             dropped = excluded.dropped, interval_secs = excluded.interval_secs, \
             last_seen = excluded.last_seen",
        )
        .bind(&report.host)
        .bind(&report.reporter)
        .bind(&report.version)
        .bind(&report.mode)
        .bind(policies)
        .bind(report.containers)
        .bind(report.spooled)
        .bind(report.sent)
        .bind(report.dropped)
        .bind(report.interval_secs)
        .bind(seconds(now))
        .execute(&mut *tx)
        .await
        .map_err(query("store enforcer report"))?;
        tx.commit().await.map_err(query("commit enforcer report"))?;
        Ok(known.is_none())
    }

    /// Every enforcer, by host name.
    pub async fn enforcers(&self) -> Result<Vec<EnforcerRow>> {
        let raw: Vec<RawEnforcer> = sqlx::query_as("SELECT * FROM enforcers ORDER BY host")
            .fetch_all(&self.pool)
            .await
            .map_err(query("list enforcers"))?;
        raw.into_iter().map(EnforcerRow::try_from).collect()
    }
}
