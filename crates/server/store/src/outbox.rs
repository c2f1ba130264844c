//! The notification outbox: a notification is a row before anyone tries to send it, so none
//! is lost across a restart.
//!
//! Delivery claims a notification with a lease, like a scan job (see `jobs.rs`), rather
//! than assuming one sender: several servers may share one PostgreSQL store, and a sender
//! that dies mid-delivery leaves a lease that runs out instead of a row stuck in flight.
//! Delivery is therefore at least once: a notification sent but not yet marked delivered
//! when the sender died is sent again, so receivers de-duplicate by its id.

use std::time::Duration;

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{
    Page, PageRequest, Result, Store, StoreError, at, parse_stored, query, seconds, seconds_after,
    stored_text,
};

/// A notification's id (sent along so that receivers can drop a repeated delivery).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct NotificationId(pub i64);

impl std::fmt::Display for NotificationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

stored_text! {
    /// Where a notification is in its delivery.
    NotificationState ("notification state") {
        /// To send (again, after a failed attempt, once `not_before` passes).
        Pending => "pending",
        Delivered => "delivered",
        /// Given up on: a dead letter, listed for an administrator.
        Dead => "dead",
    }
}

/// A notification to send.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    /// The name of the output (webhook, Slack, Teams, email) to send it through.
    pub output: String,
    /// What caused it: a trigger code (`new_critical_vulnerability`, `scan_failed`...).
    pub trigger: String,
    pub payload: serde_json::Value,
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    pub output: String,
    pub trigger: String,
    pub payload: serde_json::Value,
    pub state: NotificationState,
    /// Deliveries started so far.
    pub attempts: i64,
    pub not_before: OffsetDateTime,
    /// The last failed delivery's error.
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

#[derive(FromRow)]
struct RawNotification {
    id: i64,
    output: String,
    trigger_name: String,
    payload: String,
    state: String,
    attempts: i64,
    not_before: i64,
    error: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

const NOTIFICATION_COLUMNS: &str = "id, output, trigger_name, payload, state, attempts, \
    not_before, error, created_at, finished_at";

impl TryFrom<RawNotification> for Notification {
    type Error = StoreError;

    fn try_from(r: RawNotification) -> Result<Notification> {
        let row = || format!("notification {}", r.id);
        let payload = serde_json::from_str(&r.payload).map_err(|e| StoreError::Damaged {
            what: row(),
            message: format!("payload: {e}"),
        })?;
        Ok(Notification {
            id: NotificationId(r.id),
            state: parse_stored(&r.state, row)?,
            payload,
            output: r.output,
            trigger: r.trigger_name,
            attempts: r.attempts,
            not_before: at(r.not_before),
            error: r.error,
            created_at: at(r.created_at),
            finished_at: r.finished_at.map(at),
        })
    }
}

impl Store {
    pub async fn enqueue_notification(
        &self,
        notification: &NewNotification,
        now: OffsetDateTime,
    ) -> Result<NotificationId> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO notifications (output, trigger_name, payload, state, not_before, \
             created_at) VALUES ($1, $2, $3, 'pending', $4, $4) RETURNING id",
        )
        .bind(&notification.output)
        .bind(&notification.trigger)
        .bind(notification.payload.to_string())
        .bind(seconds(now))
        .fetch_one(&self.pool)
        .await
        .map_err(query("enqueue notification"))?;
        Ok(NotificationId(id))
    }

    /// Claims the oldest notification due at `now` until `now + lease` (counting an
    /// attempt); it comes back after the lease unless marked delivered or failed.
    pub async fn take_notification(
        &self,
        lease: Duration,
        now: OffsetDateTime,
    ) -> Result<Option<Notification>> {
        let claim = format!(
            "UPDATE notifications SET lease_until = $1, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM notifications \
               WHERE state = 'pending' AND not_before <= $2 \
                 AND (lease_until IS NULL OR lease_until <= $2) \
               ORDER BY id LIMIT 1{}) \
             RETURNING {NOTIFICATION_COLUMNS}",
            self.skip_locked()
        );
        let mut tx = self.begin_write("begin take notification").await?;
        let raw: Option<RawNotification> = sqlx::query_as(&claim)
            .bind(seconds_after(now, lease))
            .bind(seconds(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(query("take notification"))?;
        tx.commit()
            .await
            .map_err(query("commit take notification"))?;
        raw.map(Notification::try_from).transpose()
    }

    /// Marks a pending notification delivered; false when it was not pending.
    pub async fn notification_delivered(
        &self,
        id: NotificationId,
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.end_delivery(id, NotificationState::Delivered, None, None, now)
            .await
    }

    /// Records a failed delivery: sent again at `retry_at` (see [`crate::backoff`]), or a
    /// dead letter when `None`. False when it was not pending.
    pub async fn notification_failed(
        &self,
        id: NotificationId,
        error: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let state = match retry_at {
            Some(_) => NotificationState::Pending,
            None => NotificationState::Dead,
        };
        self.end_delivery(id, state, Some(error), retry_at, now)
            .await
    }

    async fn end_delivery(
        &self,
        id: NotificationId,
        state: NotificationState,
        error: Option<&str>,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let finished = state != NotificationState::Pending;
        let done = sqlx::query(
            "UPDATE notifications SET state = $1, error = $2, \
             not_before = COALESCE($3, not_before), lease_until = NULL, finished_at = $4 \
             WHERE id = $5 AND state = 'pending'",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(retry_at.map(seconds))
        .bind(finished.then_some(seconds(now)))
        .bind(id.0)
        .execute(&self.pool)
        .await
        .map_err(query("end notification delivery"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Queues a dead letter again, due at `now` with a fresh count of attempts; `None` when
    /// `id` is not a dead letter.
    pub async fn retry_dead_letter(
        &self,
        id: NotificationId,
        now: OffsetDateTime,
    ) -> Result<Option<Notification>> {
        let raw: Option<RawNotification> = sqlx::query_as(&format!(
            "UPDATE notifications SET state = 'pending', attempts = 0, not_before = $1, \
             lease_until = NULL, finished_at = NULL WHERE id = $2 AND state = 'dead' \
             RETURNING {NOTIFICATION_COLUMNS}"
        ))
        .bind(seconds(now))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(query("retry dead letter"))?;
        raw.map(Notification::try_from).transpose()
    }

    /// The notifications given up on, newest first.
    pub async fn dead_letters(&self, page: PageRequest) -> Result<Page<Notification>> {
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE state = 'dead'")
                .fetch_one(&self.pool)
                .await
                .map_err(query("count dead letters"))?;
        let raw: Vec<RawNotification> = sqlx::query_as(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE state = 'dead' \
             ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(page.pagesize)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(query("list dead letters"))?;
        let rows = raw
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<_>>()?;
        Ok(page.wrap(total, rows))
    }
}
