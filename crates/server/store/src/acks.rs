//! Acknowledgements, in Aqua's fields, with a triage state and justification.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{Result, Store, at, query, seconds};

/// What identifies an acknowledgement: posting the same key again replaces it. Empty
/// strings mean "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckKey {
    pub issue_name: String,
    pub resource_name: String,
    pub resource_version: String,
    pub image_name: String,
    pub registry_name: String,
}

/// An acknowledgement to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAck {
    pub key: AckKey,
    pub issue_type: String,
    pub resource_type: String,
    pub fix_version: String,
    pub comment: String,
    pub state: String,
    pub justification: Option<String>,
    pub author: String,
    pub expires_at: Option<OffsetDateTime>,
}

/// A stored acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRow {
    pub id: i64,
    pub ack: NewAck,
    pub created_at: OffsetDateTime,
}

#[derive(FromRow)]
struct RawAck {
    id: i64,
    issue_name: String,
    issue_type: String,
    resource_type: String,
    resource_name: String,
    resource_version: String,
    image_name: String,
    registry_name: String,
    fix_version: String,
    comment: String,
    state: String,
    justification: Option<String>,
    author: String,
    created_at: i64,
    expires_at: Option<i64>,
}

impl From<RawAck> for AckRow {
    fn from(r: RawAck) -> AckRow {
        AckRow {
            id: r.id,
            ack: NewAck {
                key: AckKey {
                    issue_name: r.issue_name,
                    resource_name: r.resource_name,
                    resource_version: r.resource_version,
                    image_name: r.image_name,
                    registry_name: r.registry_name,
                },
                issue_type: r.issue_type,
                resource_type: r.resource_type,
                fix_version: r.fix_version,
                comment: r.comment,
                state: r.state,
                justification: r.justification,
                author: r.author,
                expires_at: r.expires_at.map(at),
            },
            created_at: at(r.created_at),
        }
    }
}

const KEY_MATCH: &str = "issue_name = $1 AND resource_name = $2 AND resource_version = $3 \
    AND image_name = $4 AND registry_name = $5";

impl Store {
    /// Stores an acknowledgement, replacing one with the same key; returns the one it
    /// replaced.
    pub async fn put_ack(&self, ack: &NewAck, now: OffsetDateTime) -> Result<Option<AckRow>> {
        let mut tx = self.begin_write("begin acknowledge").await?;
        let previous: Option<RawAck> =
            sqlx::query_as(&format!("SELECT * FROM acknowledgements WHERE {KEY_MATCH}"))
                .bind(&ack.key.issue_name)
                .bind(&ack.key.resource_name)
                .bind(&ack.key.resource_version)
                .bind(&ack.key.image_name)
                .bind(&ack.key.registry_name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query("read acknowledgement"))?;
        sqlx::query(
            "INSERT INTO acknowledgements (issue_name, resource_name, resource_version, \
             image_name, registry_name, issue_type, resource_type, fix_version, comment, state, \
             justification, author, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (issue_name, resource_name, resource_version, image_name, registry_name) \
             DO UPDATE SET issue_type = excluded.issue_type, resource_type = excluded.resource_type, \
             fix_version = excluded.fix_version, comment = excluded.comment, state = excluded.state, \
             justification = excluded.justification, author = excluded.author, \
             created_at = excluded.created_at, expires_at = excluded.expires_at",
        )
        .bind(&ack.key.issue_name)
        .bind(&ack.key.resource_name)
        .bind(&ack.key.resource_version)
        .bind(&ack.key.image_name)
        .bind(&ack.key.registry_name)
        .bind(&ack.issue_type)
        .bind(&ack.resource_type)
        .bind(&ack.fix_version)
        .bind(&ack.comment)
        .bind(&ack.state)
        .bind(ack.justification.as_deref())
        .bind(&ack.author)
        .bind(seconds(now))
        .bind(ack.expires_at.map(seconds))
        .execute(&mut *tx)
        .await
        .map_err(query("store acknowledgement"))?;
        tx.commit().await.map_err(query("commit acknowledgement"))?;
        Ok(previous.map(AckRow::from))
    }

    /// Every acknowledgement, expired ones included (they show as expired).
    pub async fn acks(&self) -> Result<Vec<AckRow>> {
        let raw: Vec<RawAck> =
            sqlx::query_as("SELECT * FROM acknowledgements ORDER BY issue_name, id")
                .fetch_all(&self.pool)
                .await
                .map_err(query("list acknowledgements"))?;
        Ok(raw.into_iter().map(AckRow::from).collect())
    }

    /// Removes an acknowledgement; the removed one, if there was one.
    pub async fn delete_ack(&self, key: &AckKey) -> Result<Option<AckRow>> {
        let removed: Option<RawAck> = sqlx::query_as(&format!(
            "DELETE FROM acknowledgements WHERE {KEY_MATCH} RETURNING *"
        ))
        .bind(&key.issue_name)
        .bind(&key.resource_name)
        .bind(&key.resource_version)
        .bind(&key.image_name)
        .bind(&key.registry_name)
        .fetch_optional(&self.pool)
        .await
        .map_err(query("delete acknowledgement"))?;
        Ok(removed.map(AckRow::from))
    }
}
