//! Registry integrations: their settings as the API took them (JSON, without credentials),
//! the credentials and webhook token sealed by the server, and how the last pull went.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{Result, Store, at, is_unique_violation, query, seconds};

/// A stored registry integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    pub name: String,
    /// The integration without credentials (JSON).
    pub settings: String,
    /// Sealed credentials, when any.
    pub credentials: Option<String>,
    /// Sealed webhook token, when the webhook is enabled.
    pub webhook_token: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// How the last pull went (JSON).
    pub last_pull: Option<String>,
}

#[derive(FromRow)]
struct RawRegistry {
    name: String,
    settings: String,
    credentials: Option<String>,
    webhook_token: Option<String>,
    created_at: i64,
    updated_at: i64,
    last_pull: Option<String>,
}

impl From<RawRegistry> for RegistryRow {
    fn from(r: RawRegistry) -> RegistryRow {
        RegistryRow {
            name: r.name,
            settings: r.settings,
            credentials: r.credentials,
            webhook_token: r.webhook_token,
            created_at: at(r.created_at),
            updated_at: at(r.updated_at),
            last_pull: r.last_pull,
        }
    }
}

impl Store {
    /// Adds an integration; false when one of that name exists.
    pub async fn create_registry(&self, row: &RegistryRow) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO registries (name, settings, credentials, webhook_token, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.name)
        .bind(&row.settings)
        .bind(&row.credentials)
        .bind(&row.webhook_token)
        .bind(seconds(row.created_at))
        .bind(seconds(row.updated_at))
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(query("store registry")(e)),
        }
    }

    /// Replaces an integration's settings, credentials and webhook token (keeps its creation
    /// time and last pull); false when there is none of that name.
    pub async fn replace_registry(&self, row: &RegistryRow) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE registries SET settings = $2, credentials = $3, webhook_token = $4, \
             updated_at = $5 WHERE name = $1",
        )
        .bind(&row.name)
        .bind(&row.settings)
        .bind(&row.credentials)
        .bind(&row.webhook_token)
        .bind(seconds(row.updated_at))
        .execute(&self.pool)
        .await
        .map_err(query("replace registry"))?;
        Ok(updated.rows_affected() > 0)
    }

    pub async fn registry(&self, name: &str) -> Result<Option<RegistryRow>> {
        let raw: Option<RawRegistry> = sqlx::query_as("SELECT * FROM registries WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(query("read registry"))?;
        Ok(raw.map(RegistryRow::from))
    }

    pub async fn registries(&self) -> Result<Vec<RegistryRow>> {
        let raw: Vec<RawRegistry> = sqlx::query_as("SELECT * FROM registries ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(query("list registries"))?;
        Ok(raw.into_iter().map(RegistryRow::from).collect())
    }

    /// Deletes an integration (its queued jobs stay and are cancelled by the caller); the
    /// deleted one, if there was one.
    pub async fn delete_registry(&self, name: &str) -> Result<Option<RegistryRow>> {
        let raw: Option<RawRegistry> =
            sqlx::query_as("DELETE FROM registries WHERE name = $1 RETURNING *")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(query("delete registry"))?;
        Ok(raw.map(RegistryRow::from))
    }

    /// Records how a pull went (JSON).
    pub async fn set_registry_pull(&self, name: &str, status: &str) -> Result<()> {
        sqlx::query("UPDATE registries SET last_pull = $2 WHERE name = $1")
            .bind(name)
            .bind(status)
            .execute(&self.pool)
            .await
            .map_err(query("record registry pull"))?;
        Ok(())
    }
}
