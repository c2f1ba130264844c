//! Users, API tokens (stored as hashes only) and console sessions.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::{Result, Store, at, conflict_or, query, seconds};

/// A user as stored. The role and id are checked by the server when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub role: String,
    /// argon2id PHC string; `None` for accounts that log in with tokens only.
    pub password_hash: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(FromRow)]
struct RawUser {
    id: String,
    role: String,
    password_hash: Option<String>,
    created_at: i64,
}

impl From<RawUser> for UserRow {
    fn from(raw: RawUser) -> UserRow {
        UserRow {
            id: raw.id,
            role: raw.role,
            password_hash: raw.password_hash,
            created_at: at(raw.created_at),
        }
    }
}

/// An API token as listed: never the token itself, only the hash it is found by and the
/// prefix its owner recognises it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(FromRow)]
struct RawToken {
    id: String,
    user_id: String,
    name: String,
    prefix: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl From<RawToken> for TokenRow {
    fn from(raw: RawToken) -> TokenRow {
        TokenRow {
            id: raw.id,
            user_id: raw.user_id,
            name: raw.name,
            prefix: raw.prefix,
            created_at: at(raw.created_at),
            revoked_at: raw.revoked_at.map(at),
        }
    }
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub created_at: OffsetDateTime,
}

/// A console session, found by the hash of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user: UserRow,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[derive(FromRow)]
struct RawUserToken {
    #[sqlx(flatten)]
    user: RawUser,
    token_id: String,
    token_name: String,
    prefix: String,
    token_created_at: i64,
}

const USER_COLUMNS: &str = "users.id, users.role, users.password_hash, users.created_at";

impl Store {
    pub async fn user_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(query("count users"))?;
        Ok(n)
    }

    /// Adds a user; [`StoreError::Conflict`] when the id is taken.
    pub async fn create_user(
        &self,
        id: &str,
        role: &str,
        password_hash: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, role, password_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(role)
        .bind(password_hash)
        .bind(seconds(now))
        .execute(&self.pool)
        .await
        .map_err(|e| conflict_or(e, format!("user {id}"), "create user"))?;
        Ok(())
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let raw: Option<RawUser> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query("read user"))?;
        Ok(raw.map(UserRow::from))
    }

    pub async fn users(&self) -> Result<Vec<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let raw: Vec<RawUser> = sqlx::query_as(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(query("list users"))?;
        Ok(raw.into_iter().map(UserRow::from).collect())
    }

    /// Replaces a user's password hash; false when there is no such user.
    pub async fn set_password(&self, id: &str, password_hash: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(query("set password"))?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a user with its tokens and sessions; false when there is no such user.
    pub async fn delete_user(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(query("delete user"))?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn create_token(&self, token: &NewToken<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.id)
        .bind(token.user_id)
        .bind(token.name)
        .bind(token.token_hash)
        .bind(token.prefix)
        .bind(seconds(token.created_at))
        .execute(&self.pool)
        .await
        .map_err(|e| conflict_or(e, format!("token {}", token.id), "create token"))?;
        Ok(())
    }

    /// The user a live (not revoked) token belongs to, with the token.
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<(UserRow, TokenRow)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, api_tokens.id AS token_id, api_tokens.name AS token_name, \
             api_tokens.prefix, api_tokens.created_at AS token_created_at \
             FROM api_tokens JOIN users ON users.id = api_tokens.user_id \
             WHERE api_tokens.token_hash = $1 AND api_tokens.revoked_at IS NULL"
        );
        let row: Option<RawUserToken> = sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(query("find token"))?;
        Ok(row.map(|r| {
            let token = TokenRow {
                id: r.token_id,
                user_id: r.user.id.clone(),
                name: r.token_name,
                prefix: r.prefix,
                created_at: at(r.token_created_at),
                revoked_at: None,
            };
            (UserRow::from(r.user), token)
        }))
    }

    /// Tokens of one user, or of everyone, newest first.
    pub async fn tokens(&self, user_id: Option<&str>) -> Result<Vec<TokenRow>> {
        let raw: Vec<RawToken> = sqlx::query_as(
            "SELECT id, user_id, name, prefix, created_at, revoked_at FROM api_tokens \
             WHERE ($1 IS NULL OR user_id = $1) ORDER BY created_at DESC, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(query("list tokens"))?;
        Ok(raw.into_iter().map(TokenRow::from).collect())
    }

    pub async fn token(&self, id: &str) -> Result<Option<TokenRow>> {
        let raw: Option<RawToken> = sqlx::query_as(
            "SELECT id, user_id, name, prefix, created_at, revoked_at FROM api_tokens WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(query("read token"))?;
        Ok(raw.map(TokenRow::from))
    }

    /// Revokes a token for good; false when it does not exist or was already revoked.
    pub async fn revoke_token(&self, id: &str, now: OffsetDateTime) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(seconds(now))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(query("revoke token"))?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(seconds(now))
        .bind(seconds(expires_at))
        .execute(&self.pool)
        .await
        .map_err(query("create session"))?;
        Ok(())
    }

    /// A session that has not expired at `now`.
    pub async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<SessionRow>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, sessions.csrf_token, sessions.expires_at \
             FROM sessions JOIN users ON users.id = sessions.user_id \
             WHERE sessions.token_hash = $1 AND sessions.expires_at > $2"
        );
        let row: Option<(String, String, Option<String>, i64, String, i64)> = sqlx::query_as(&sql)
            .bind(token_hash)
            .bind(seconds(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(query("find session"))?;
        Ok(row.map(
            |(id, role, password_hash, created, csrf_token, expires)| SessionRow {
                user: UserRow::from(RawUser {
                    id,
                    role,
                    password_hash,
                    created_at: created,
                }),
                csrf_token,
                expires_at: at(expires),
            },
        ))
    }

    /// Ends a session (logout) and drops expired ones.
    pub async fn delete_session(&self, token_hash: &str, now: OffsetDateTime) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(seconds(now))
            .execute(&self.pool)
            .await
            .map_err(query("delete session"))?;
        Ok(())
    }
}
