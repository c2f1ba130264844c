//! The scan-job queue of the registry integrations: one job scans one tag. Jobs survive a
//! restart (they are rows); a worker claims one with a lease it renews by heartbeat, so a
//! job whose worker died is claimed again once the lease runs out.
//!
//! De-duplication, decided at enqueue:
//! - a tag with a pending or running job is not queued again ([`Enqueued::AlreadyQueued`];
//!   a unique index on the active jobs makes this hold between concurrent enqueues too);
//! - a job that names a digest already stored as a scan (any scan of that digest, whatever
//!   analyzers or database made it: re-evaluation keeps stored scans current without a
//!   pull) is recorded as `skipped` and never run ([`Enqueued::Skipped`]), unless its reason
//!   is [`JobReason::Rescan`]. A job without a digest (the tag not resolved yet) is queued.

use std::time::Duration;

use kabuto_types::Digest;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::sql::Sql;
use crate::{
    ImageKey, Page, PageRequest, Result, Store, StoreError, at, parse_stored, query, seconds,
    seconds_after, stored_text,
};

/// A job's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct JobId(pub i64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

stored_text! {
    /// Why a job was queued.
    JobReason ("job reason") {
        /// The integration's catalog walk found the tag (new or moved).
        Poll => "poll",
        /// The registry sent a push event.
        Webhook => "webhook",
        /// Someone asked through the API (`POST /api/v1/registries/{name}/scan`).
        Request => "request",
        /// Scan again even when the digest was scanned before (`auto_pull_rescan`).
        Rescan => "rescan",
    }
}

stored_text! {
    /// Where a job is in its life.
    JobState ("job state") {
        /// Waiting for a worker (again, after a failed attempt, once `not_before` passes).
        Pending => "pending",
        /// Claimed by a worker whose lease runs until `lease_until`.
        Running => "running",
        Done => "done",
        /// Failed `max_attempts` times, or failed without a retry time.
        Failed => "failed",
        Cancelled => "cancelled",
        /// Its digest was scanned before: nothing to do.
        Skipped => "skipped",
    }
}

/// A job to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub image: ImageKey,
    /// The manifest digest the tag pointed at when listed, when known.
    pub digest: Option<Digest>,
    pub reason: JobReason,
    /// Attempts before the job is `failed` for good (at least 1).
    pub max_attempts: u32,
}

/// What [`Store::enqueue_job`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new pending job.
    Queued(JobId),
    /// The tag already had a pending or running job: that one.
    AlreadyQueued(JobId),
    /// Recorded as `skipped`: its digest was scanned before.
    Skipped(JobId),
}

impl Enqueued {
    pub fn id(self) -> JobId {
        match self {
            Enqueued::Queued(id) | Enqueued::AlreadyQueued(id) | Enqueued::Skipped(id) => id,
        }
    }
}

/// How a worker's attempt at a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Scanned; the digest the tag resolved to.
    Done { digest: Digest },
    /// Failed; retried at `retry_at` (see [`crate::backoff`]) while attempts remain, failed
    /// for good when `None` or when none remain.
    Failed {
        error: String,
        retry_at: Option<OffsetDateTime>,
    },
    /// The worker stopped (the server is shutting down, or it saw a cancellation).
    Cancelled,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub image: ImageKey,
    pub digest: Option<Digest>,
    pub reason: JobReason,
    pub state: JobState,
    /// Attempts started so far (claims, counting those whose worker died).
    pub attempts: i64,
    pub max_attempts: i64,
    /// The worker holding or last holding it.
    pub worker: Option<String>,
    pub lease_until: Option<OffsetDateTime>,
    /// Not run before this time (a retry's backoff).
    pub not_before: OffsetDateTime,
    /// The last attempt's error.
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    /// When the last attempt started.
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

/// Filters and page of a job list, newest first.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub state: Option<JobState>,
    pub registry: Option<String>,
    pub page: Option<PageRequest>,
}

#[derive(FromRow)]
struct RawJob {
    id: i64,
    registry: String,
    repository: String,
    tag: String,
    digest: Option<String>,
    reason: String,
    state: String,
    attempts: i64,
    max_attempts: i64,
    worker: Option<String>,
    lease_until: Option<i64>,
    not_before: i64,
    error: Option<String>,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

const JOB_COLUMNS: &str = "id, registry, repository, tag, digest, reason, state, attempts, \
    max_attempts, worker, lease_until, not_before, error, created_at, started_at, finished_at";

impl TryFrom<RawJob> for Job {
    type Error = StoreError;

    fn try_from(r: RawJob) -> Result<Job> {
        let row = || format!("scan job {}", r.id);
        let digest = r
            .digest
            .as_deref()
            .map(|d| {
                d.parse::<Digest>().map_err(|e| StoreError::Damaged {
                    what: row(),
                    message: e.to_string(),
                })
            })
            .transpose()?;
        Ok(Job {
            id: JobId(r.id),
            digest,
            reason: parse_stored(&r.reason, row)?,
            state: parse_stored(&r.state, row)?,
            image: ImageKey {
                registry: r.registry,
                repository: r.repository,
                tag: r.tag,
            },
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            worker: r.worker,
            lease_until: r.lease_until.map(at),
            not_before: at(r.not_before),
            error: r.error,
            created_at: at(r.created_at),
            started_at: r.started_at.map(at),
            finished_at: r.finished_at.map(at),
        })
    }
}

/// The state a failed attempt leaves its job in.
fn after_failure(attempts: i64, max_attempts: i64, retry_at: Option<OffsetDateTime>) -> JobState {
    match retry_at {
        Some(_) if attempts < max_attempts => JobState::Pending,
        _ => JobState::Failed,
    }
}

impl Store {
    /// Queues a scan of a tag, de-duplicated as the module documents.
    pub async fn enqueue_job(&self, job: &NewJob, now: OffsetDateTime) -> Result<Enqueued> {
        let mut tx = self.begin_write("begin enqueue job").await?;
        if let Some(id) = active_job(&mut tx, &job.image).await? {
            return Ok(Enqueued::AlreadyQueued(id));
        }
        let skip = match (&job.digest, job.reason) {
            (Some(digest), reason) if reason != JobReason::Rescan => {
                scanned(&mut tx, digest).await?
            }
            _ => false,
        };
        let state = if skip {
            JobState::Skipped
        } else {
            JobState::Pending
        };
        // A concurrent enqueue of the same tag (PostgreSQL: both saw no active job) waits
        // here for the other to commit, then finds its job.
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO scan_jobs (registry, repository, tag, digest, reason, state, \
             max_attempts, not_before, created_at, finished_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) \
             ON CONFLICT (registry, repository, tag) WHERE state IN ('pending', 'running') \
             DO NOTHING RETURNING id",
        )
        .bind(&job.image.registry)
        .bind(&job.image.repository)
        .bind(&job.image.tag)
        .bind(job.digest.as_ref().map(Digest::as_str))
        .bind(job.reason.as_str())
        .bind(state.as_str())
        .bind(i64::from(job.max_attempts.max(1)))
        .bind(seconds(now))
        .bind(skip.then_some(seconds(now)))
        .fetch_optional(&mut *tx)
        .await
        .map_err(query("enqueue job"))?;
        let enqueued = match inserted {
            Some((id,)) if skip => Enqueued::Skipped(JobId(id)),
            Some((id,)) => Enqueued::Queued(JobId(id)),
            None => active_job(&mut tx, &job.image)
                .await?
                .map(Enqueued::AlreadyQueued)
                .ok_or_else(|| StoreError::Conflict {
                    what: format!("a scan job for {}", job.image),
                })?,
        };
        tx.commit().await.map_err(query("commit enqueue job"))?;
        Ok(enqueued)
    }

    /// Claims the oldest runnable job for `worker` (unique per worker and process run) until
    /// `now + lease`: a pending job whose `not_before` has passed, or a running one whose
    /// lease ran out (its worker died). A running job whose lease ran out on its last
    /// attempt is failed instead. Safe with any number of workers.
    pub async fn take_job(
        &self,
        worker: &str,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Option<Job>> {
        let mut tx = self.begin_write("begin take job").await?;
        sqlx::query(
            "UPDATE scan_jobs SET state = 'failed', finished_at = $1, lease_until = NULL, \
             error = 'the worker stopped answering on the last attempt' \
             WHERE state = 'running' AND lease_until <= $1 AND attempts >= max_attempts",
        )
        .bind(seconds(now))
        .execute(&mut *tx)
        .await
        .map_err(query("fail abandoned jobs"))?;
        let claim = format!(
            "UPDATE scan_jobs SET state = 'running', worker = $1, lease_until = $2, \
             attempts = attempts + 1, started_at = $3 \
             WHERE id = (SELECT id FROM scan_jobs \
               WHERE (state = 'pending' AND not_before <= $3) \
                  OR (state = 'running' AND lease_until <= $3) \
               ORDER BY id LIMIT 1{}) \
             RETURNING {JOB_COLUMNS}",
            self.skip_locked()
        );
        let raw: Option<RawJob> = sqlx::query_as(&claim)
            .bind(worker)
            .bind(seconds_after(now, lease))
            .bind(seconds(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(query("take job"))?;
        tx.commit().await.map_err(query("commit take job"))?;
        raw.map(Job::try_from).transpose()
    }

    /// Extends `worker`'s lease on a running job to `now + lease`; false when the worker no
    /// longer holds it (cancelled, or its lease ran out and another worker took it): the
    /// worker should stop.
    pub async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE scan_jobs SET lease_until = $1 \
             WHERE id = $2 AND state = 'running' AND worker = $3",
        )
        .bind(seconds_after(now, lease))
        .bind(id.0)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(query("renew job lease"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how `worker`'s attempt ended; the job's new state, or `None` when the worker
    /// no longer held it (nothing changed).
    pub async fn finish_job(
        &self,
        id: JobId,
        worker: &str,
        outcome: &JobOutcome,
        now: OffsetDateTime,
    ) -> Result<Option<JobState>> {
        let mut tx = self.begin_write("begin finish job").await?;
        let held: Option<(i64, i64)> = sqlx::query_as(
            "SELECT attempts, max_attempts FROM scan_jobs \
             WHERE id = $1 AND state = 'running' AND worker = $2",
        )
        .bind(id.0)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query("read finished job"))?;
        let Some((attempts, max_attempts)) = held else {
            return Ok(None);
        };
        let (state, digest, error, not_before) = match outcome {
            JobOutcome::Done { digest } => (JobState::Done, Some(digest.as_str()), None, None),
            JobOutcome::Failed { error, retry_at } => (
                after_failure(attempts, max_attempts, *retry_at),
                None,
                Some(error.as_str()),
                *retry_at,
            ),
            JobOutcome::Cancelled => (JobState::Cancelled, None, None, None),
        };
        let finished = state != JobState::Pending;
        let updated = sqlx::query(
            "UPDATE scan_jobs SET state = $1, digest = COALESCE($2, digest), error = $3, \
             not_before = COALESCE($4, not_before), lease_until = NULL, finished_at = $5 \
             WHERE id = $6 AND state = 'running' AND worker = $7",
        )
        .bind(state.as_str())
        .bind(digest)
        .bind(error)
        .bind(not_before.filter(|_| !finished).map(seconds))
        .bind(finished.then_some(seconds(now)))
        .bind(id.0)
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(query("finish job"))?;
        tx.commit().await.map_err(query("commit finish job"))?;
        // Checked again on PostgreSQL: another worker may have taken it since the read.
        Ok((updated.rows_affected() == 1).then_some(state))
    }

    /// Cancels a pending or running job (a running job's worker learns it at its next
    /// heartbeat); false when the job had already ended or does not exist.
    pub async fn cancel_job(&self, id: JobId, now: OffsetDateTime) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE scan_jobs SET state = 'cancelled', lease_until = NULL, finished_at = $1 \
             WHERE id = $2 AND state IN ('pending', 'running')",
        )
        .bind(seconds(now))
        .bind(id.0)
        .execute(&self.pool)
        .await
        .map_err(query("cancel job"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes jobs that ended (done, failed, cancelled, skipped) before `before`; how many.
    /// Every pull records a skipped job per known tag, so the history is kept for a while
    /// only.
    pub async fn delete_finished_jobs(&self, before: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM scan_jobs WHERE state NOT IN ('pending', 'running') \
             AND finished_at < $1",
        )
        .bind(seconds(before))
        .execute(&self.pool)
        .await
        .map_err(query("delete finished jobs"))?;
        Ok(done.rows_affected())
    }

    pub async fn job(&self, id: JobId) -> Result<Option<Job>> {
        let raw: Option<RawJob> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM scan_jobs WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(query("read job"))?;
        raw.map(Job::try_from).transpose()
    }

    /// Jobs, newest first, for the progress view.
    pub async fn list_jobs(&self, q: &JobQuery) -> Result<Page<Job>> {
        let page = q.page.unwrap_or(PageRequest::new(None, None));
        let mut count = Sql::new(self.backend, "SELECT COUNT(*) FROM scan_jobs WHERE 1 = 1");
        job_filters(&mut count, q);
        let (total,): (i64,) = count
            .query_as()
            .fetch_one(&self.pool)
            .await
            .map_err(query("count jobs"))?;
        let mut list = Sql::new(
            self.backend,
            &format!("SELECT {JOB_COLUMNS} FROM scan_jobs WHERE 1 = 1"),
        );
        job_filters(&mut list, q);
        list.push(" ORDER BY id DESC LIMIT ")
            .bind(page.pagesize)
            .push(" OFFSET ")
            .bind(page.offset());
        let raw: Vec<RawJob> = list
            .query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(query("list jobs"))?;
        let jobs = raw.into_iter().map(Job::try_from).collect::<Result<_>>()?;
        Ok(page.wrap(total, jobs))
    }
}

async fn active_job(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    image: &ImageKey,
) -> Result<Option<JobId>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM scan_jobs WHERE registry = $1 AND repository = $2 AND tag = $3 \
         AND state IN ('pending', 'running')",
    )
    .bind(&image.registry)
    .bind(&image.repository)
    .bind(&image.tag)
    .fetch_optional(&mut **tx)
    .await
    .map_err(query("find queued job"))?;
    Ok(row.map(|(id,)| JobId(id)))
}

async fn scanned(tx: &mut sqlx::Transaction<'_, sqlx::Any>, digest: &Digest) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM scans WHERE digest = $1 LIMIT 1")
        .bind(digest.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(query("find scan by digest"))?;
    Ok(row.is_some())
}

fn job_filters(q: &mut Sql, filter: &JobQuery) {
    if let Some(state) = filter.state {
        q.push(" AND state = ").bind(state.as_str().to_owned());
    }
    if let Some(registry) = &filter.registry {
        q.push(" AND registry = ").bind(registry.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_retried_only_with_a_retry_time_and_attempts_left() {
        let later = Some(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(after_failure(1, 3, later), JobState::Pending);
        assert_eq!(after_failure(3, 3, later), JobState::Failed);
        assert_eq!(after_failure(1, 3, None), JobState::Failed);
    }

    #[test]
    fn states_read_back_as_written_and_unknown_ones_are_named() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(*state));
        }
        let unknown = "paused".parse::<JobState>().unwrap_err().to_string();
        assert!(
            unknown.contains("unknown job state \"paused\""),
            "{unknown}"
        );
        assert!(unknown.contains("pending, running"), "{unknown}");
    }
}
