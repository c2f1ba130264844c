//! Notification outputs (webhook, Slack, Teams, email), by name. The output itself is a
//! document the server sealed (its URLs and passwords are credentials); the store keeps in the
//! clear only what picking the outputs of an event needs: the type, whether the output is
//! enabled, and the trigger codes it subscribes to.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{Result, Store, StoreError, at, conflict_or, query, seconds};

/// An output to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutput {
    pub name: String,
    /// The output's type code (`webhook`, `slack`, `teams`, `email`).
    pub kind: String,
    pub enabled: bool,
    /// Trigger codes (`new_critical_vulnerability`, ...).
    pub triggers: Vec<String>,
    /// The whole output, sealed by the server.
    pub document: String,
}

/// A stored output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRow {
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub triggers: Vec<String>,
    /// As sealed.
    pub document: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(FromRow)]
struct RawOutputRow {
    name: String,
    kind: String,
    enabled: i64,
    triggers: String,
    document: String,
    created_at: i64,
    updated_at: i64,
}

/// `enabled` read as a number: sqlx's `Any` driver cannot decode SQLite's BOOLEAN.
const OUTPUT_COLUMNS: &str = "name, kind, CAST(CASE WHEN enabled THEN 1 ELSE 0 END AS BIGINT) \
    AS enabled, triggers, document, created_at, updated_at";

impl TryFrom<RawOutputRow> for OutputRow {
    type Error = StoreError;

    fn try_from(r: RawOutputRow) -> Result<OutputRow> {
        let triggers = serde_json::from_str(&r.triggers).map_err(|e| StoreError::Damaged {
            what: format!("notification output {:?}", r.name),
            message: format!("triggers: {e}"),
        })?;
        Ok(OutputRow {
            triggers,
            name: r.name,
            kind: r.kind,
            enabled: r.enabled != 0,
            document: r.document,
            created_at: at(r.created_at),
            updated_at: at(r.updated_at),
        })
    }
}

fn triggers_json(output: &NewOutput) -> Result<String> {
    serde_json::to_string(&output.triggers).map_err(|e| StoreError::Damaged {
        what: format!("notification output {:?}", output.name),
        message: format!("triggers: {e}"),
    })
}

impl Store {
    /// Stores a new output; [`StoreError::Conflict`] when the name is taken.
    pub async fn create_output(&self, output: &NewOutput, now: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "INSERT INTO notification_outputs (name, kind, enabled, triggers, document, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&output.name)
        .bind(&output.kind)
        .bind(output.enabled)
        .bind(triggers_json(output)?)
        .bind(&output.document)
        .bind(seconds(now))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            conflict_or(
                e,
                format!("notification output {:?}", output.name),
                "create notification output",
            )
        })?;
        Ok(())
    }

    /// Creates or replaces the output of that name (keeping its creation time); returns the
    /// one it replaced.
    pub async fn replace_output(
        &self,
        output: &NewOutput,
        now: OffsetDateTime,
    ) -> Result<Option<OutputRow>> {
        let mut tx = self.begin_write("begin notification output").await?;
        let previous: Option<RawOutputRow> = sqlx::query_as(&format!(
            "SELECT {OUTPUT_COLUMNS} FROM notification_outputs WHERE name = $1"
        ))
        .bind(&output.name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query("read notification output"))?;
        sqlx::query(
            "INSERT INTO notification_outputs (name, kind, enabled, triggers, document, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, enabled = excluded.enabled, \
             triggers = excluded.triggers, document = excluded.document, \
             updated_at = excluded.updated_at",
        )
        .bind(&output.name)
        .bind(&output.kind)
        .bind(output.enabled)
        .bind(triggers_json(output)?)
        .bind(&output.document)
        .bind(seconds(now))
        .execute(&mut *tx)
        .await
        .map_err(query("replace notification output"))?;
        tx.commit()
            .await
            .map_err(query("commit notification output"))?;
        previous.map(OutputRow::try_from).transpose()
    }

    pub async fn output(&self, name: &str) -> Result<Option<OutputRow>> {
        let raw: Option<RawOutputRow> = sqlx::query_as(&format!(
            "SELECT {OUTPUT_COLUMNS} FROM notification_outputs WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(query("read notification output"))?;
        raw.map(OutputRow::try_from).transpose()
    }

    /// Every output, by name.
    pub async fn outputs(&self) -> Result<Vec<OutputRow>> {
        let raw: Vec<RawOutputRow> = sqlx::query_as(&format!(
            "SELECT {OUTPUT_COLUMNS} FROM notification_outputs ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(query("list notification outputs"))?;
        raw.into_iter().map(OutputRow::try_from).collect()
    }

    /// Deletes an output; the deleted one, if there was one. Its notifications stay in the
    /// outbox (delivery dead-letters them, naming the missing output).
    pub async fn delete_output(&self, name: &str) -> Result<Option<OutputRow>> {
        let raw: Option<RawOutputRow> = sqlx::query_as(&format!(
            "DELETE FROM notification_outputs WHERE name = $1 RETURNING {OUTPUT_COLUMNS}"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(query("delete notification output"))?;
        raw.map(OutputRow::try_from).transpose()
    }
}
