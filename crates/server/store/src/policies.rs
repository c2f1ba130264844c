//! Assurance policies, kept as the JSON document the user wrote (Aqua's field names), by
//! kind (`image`, later `kubernetes`) and name.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{Result, Store, at, query, seconds};

/// A stored policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRow {
    pub kind: String,
    pub name: String,
    /// The policy document (JSON), as `kabuto policy` reads it.
    pub document: String,
    pub author: String,
    pub updated_at: OffsetDateTime,
}

#[derive(FromRow)]
struct RawPolicy {
    kind: String,
    name: String,
    document: String,
    author: String,
    updated_at: i64,
}

impl From<RawPolicy> for PolicyRow {
    fn from(r: RawPolicy) -> PolicyRow {
        PolicyRow {
            kind: r.kind,
            name: r.name,
            document: r.document,
            author: r.author,
            updated_at: at(r.updated_at),
        }
    }
}

impl Store {
    /// Creates or replaces a policy; returns the one it replaced.
    pub async fn put_policy(
        &self,
        kind: &str,
        name: &str,
        document: &str,
        author: &str,
        now: OffsetDateTime,
    ) -> Result<Option<PolicyRow>> {
        let mut tx = self.begin_write("begin policy").await?;
        let previous: Option<RawPolicy> =
            sqlx::query_as("SELECT * FROM policies WHERE kind = $1 AND name = $2")
                .bind(kind)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query("read policy"))?;
        sqlx::query(
            "INSERT INTO policies (kind, name, document, author, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, name) DO UPDATE SET \
             document = excluded.document, author = excluded.author, updated_at = excluded.updated_at",
        )
        .bind(kind)
        .bind(name)
        .bind(document)
        .bind(author)
        .bind(seconds(now))
        .execute(&mut *tx)
        .await
        .map_err(query("store policy"))?;
        tx.commit().await.map_err(query("commit policy"))?;
        Ok(previous.map(PolicyRow::from))
    }

    pub async fn policy(&self, kind: &str, name: &str) -> Result<Option<PolicyRow>> {
        let raw: Option<RawPolicy> =
            sqlx::query_as("SELECT * FROM policies WHERE kind = $1 AND name = $2")
                .bind(kind)
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(query("read policy"))?;
        Ok(raw.map(PolicyRow::from))
    }

    pub async fn policies(&self, kind: &str) -> Result<Vec<PolicyRow>> {
        let raw: Vec<RawPolicy> =
            sqlx::query_as("SELECT * FROM policies WHERE kind = $1 ORDER BY name")
                .bind(kind)
                .fetch_all(&self.pool)
                .await
                .map_err(query("list policies"))?;
        Ok(raw.into_iter().map(PolicyRow::from).collect())
    }

    /// Deletes a policy; the deleted one, if there was one.
    pub async fn delete_policy(&self, kind: &str, name: &str) -> Result<Option<PolicyRow>> {
        let raw: Option<RawPolicy> =
            sqlx::query_as("DELETE FROM policies WHERE kind = $1 AND name = $2 RETURNING *")
                .bind(kind)
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(query("delete policy"))?;
        Ok(raw.map(PolicyRow::from))
    }
}
