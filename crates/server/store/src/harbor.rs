//! Scan requests from Harbor (the pluggable scanner API): one row per request, by the id the
//! server answered. The request itself is sealed by the server (it holds Harbor's pull
//! credential); the store keeps in the clear only what naming the image and running the
//! queue need. A server picks the oldest pending request, marks it running, and records it
//! done or failed; requests left running by a server that stopped are pending again when it
//! starts. Finished rows are deleted after a while (Harbor keeps the reports it fetched).

use kabuto_types::Digest;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{
    Result, Store, StoreError, at, conflict_or, parse_stored, query, seconds, stored_text,
};

stored_text! {
    /// Where a Harbor scan request is in its life.
    HarborScanState ("Harbor scan state") {
        /// Waiting for the server to run it.
        Pending => "pending",
        Running => "running",
        /// Scanned: the report is the stored image's evaluation.
        Done => "done",
        Failed => "failed",
    }
}

/// A request to store, pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHarborScan {
    /// The id answered to Harbor.
    pub id: String,
    /// The whole request, sealed by the server.
    pub request: String,
    /// `host[:port]` of the registry Harbor named.
    pub registry: String,
    pub repository: String,
    pub digest: Digest,
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarborScanRow {
    pub id: String,
    /// As sealed.
    pub request: String,
    pub registry: String,
    pub repository: String,
    pub digest: Digest,
    pub state: HarborScanState,
    /// Why it failed.
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

#[derive(FromRow)]
struct RawHarborScan {
    id: String,
    request: String,
    registry: String,
    repository: String,
    digest: String,
    state: String,
    error: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

const COLUMNS: &str =
    "id, request, registry, repository, digest, state, error, created_at, finished_at";

impl TryFrom<RawHarborScan> for HarborScanRow {
    type Error = StoreError;

    fn try_from(r: RawHarborScan) -> Result<HarborScanRow> {
        let row = || format!("Harbor scan {}", r.id);
        let digest = r
            .digest
            .parse::<Digest>()
            .map_err(|e| StoreError::Damaged {
                what: row(),
                message: e.to_string(),
            })?;
        Ok(HarborScanRow {
            state: parse_stored(&r.state, row)?,
            digest,
            id: r.id,
            request: r.request,
            registry: r.registry,
            repository: r.repository,
            error: r.error,
            created_at: at(r.created_at),
            finished_at: r.finished_at.map(at),
        })
    }
}

impl Store {
    /// Stores a new pending request; [`StoreError::Conflict`] when the id is taken.
    pub async fn create_harbor_scan(
        &self,
        scan: &NewHarborScan,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO harbor_scans (id, request, registry, repository, digest, state, \
             created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
        )
        .bind(&scan.id)
        .bind(&scan.request)
        .bind(&scan.registry)
        .bind(&scan.repository)
        .bind(scan.digest.as_str())
        .bind(seconds(now))
        .execute(&self.pool)
        .await
        .map_err(|e| conflict_or(e, format!("Harbor scan {:?}", scan.id), "store Harbor scan"))?;
        Ok(())
    }

    pub async fn harbor_scan(&self, id: &str) -> Result<Option<HarborScanRow>> {
        let raw: Option<RawHarborScan> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM harbor_scans WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(query("read Harbor scan"))?;
        raw.map(HarborScanRow::try_from).transpose()
    }

    /// Marks the oldest pending request running and returns it; `None` when none waits.
    pub async fn take_harbor_scan(&self) -> Result<Option<HarborScanRow>> {
        let mut tx = self.begin_write("begin take Harbor scan").await?;
        let claim = format!(
            "UPDATE harbor_scans SET state = 'running' \
             WHERE id = (SELECT id FROM harbor_scans WHERE state = 'pending' \
               ORDER BY created_at, id LIMIT 1{}) \
             RETURNING {COLUMNS}",
            self.skip_locked()
        );
        let raw: Option<RawHarborScan> = sqlx::query_as(&claim)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query("take Harbor scan"))?;
        tx.commit()
            .await
            .map_err(query("commit take Harbor scan"))?;
        raw.map(HarborScanRow::try_from).transpose()
    }

    /// Records a running request's end: done, or failed with `error`. False when it was not
    /// running (another server finished it first).
    pub async fn finish_harbor_scan(
        &self,
        id: &str,
        error: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let state = match error {
            Some(_) => HarborScanState::Failed,
            None => HarborScanState::Done,
        };
        let done = sqlx::query(
            "UPDATE harbor_scans SET state = $1, error = $2, finished_at = $3 \
             WHERE id = $4 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(seconds(now))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(query("finish Harbor scan"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts requests left running (by a server that stopped) back to pending; how many.
    pub async fn resume_harbor_scans(&self) -> Result<u64> {
        let done = sqlx::query("UPDATE harbor_scans SET state = 'pending' WHERE state = 'running'")
            .execute(&self.pool)
            .await
            .map_err(query("resume Harbor scans"))?;
        Ok(done.rows_affected())
    }

    /// Deletes requests that finished before `before`; how many.
    pub async fn delete_finished_harbor_scans(&self, before: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM harbor_scans WHERE state IN ('done', 'failed') AND finished_at < $1",
        )
        .bind(seconds(before))
        .execute(&self.pool)
        .await
        .map_err(query("delete finished Harbor scans"))?;
        Ok(done.rows_affected())
    }
}
