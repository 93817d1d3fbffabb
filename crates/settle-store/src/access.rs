//! Sign-in records: users' password hashes and disabling, and API tokens (migration 17).
//!
//! A token's secret is never stored, only its SHA-256, under a unique key, so a token is found
//! by hashing what a client presents. Reading a token for authentication runs outside any write
//! transaction (the read API must not write); the time it was last used is written on its
//! own, and only when the service decides that the stored time is old enough.

use settle_core::Date;
use sqlx::Row;

use crate::close::{user_columns, user_from};
use crate::codec::{now, read_date};
use crate::{Store, StoreResult, Tx, UserRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub user: String,
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub created_at: String,
    /// The last day it works, if it expires.
    pub expires_on: Option<Date>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

const TOKEN_SELECT: &str = "SELECT t.id, t.user_id, u.name AS user_name, t.name, t.scope, \
     t.created_at, t.expires_on, t.revoked_at, t.last_used_at \
     FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_from(row: &sqlx::any::AnyRow) -> StoreResult<TokenRow> {
    let expires_on: Option<String> = row.try_get("expires_on")?;
    Ok(TokenRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        user: row.try_get("user_name")?,
        name: row.try_get("name")?,
        scope: row.try_get("scope")?,
        created_at: row.try_get("created_at")?,
        expires_on: expires_on
            .map(|text| read_date("api_tokens", "expires_on", &text))
            .transpose()?,
        revoked_at: row.try_get("revoked_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

impl Tx {
    /// Sets (or with `None` removes) a user's password hash, a PHC string.
    pub async fn set_password_hash(&mut self, user_id: i64, hash: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.map(str::to_string))
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn set_user_role(&mut self, user_id: i64, role: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.to_string())
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Disables a user from now on; a user disabled already keeps the first time.
    pub async fn disable_user(&mut self, user_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(now())
            .bind(user_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn insert_token(
        &mut self,
        user_id: i64,
        name: &str,
        scope: &str,
        secret_sha256: &str,
        expires_on: Option<Date>,
    ) -> StoreResult<i64> {
        let id = self.allocate("api_tokens", 1).await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, scope, secret_sha256, created_at, expires_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(user_id)
        .bind(name.to_string())
        .bind(scope.to_string())
        .bind(secret_sha256.to_string())
        .bind(now())
        .bind(expires_on.map(|d| d.to_string()))
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// A token by id, locked for the rest of the transaction.
    pub async fn token_for_update(&mut self, id: i64) -> StoreResult<Option<TokenRow>> {
        let lock = format!(
            "SELECT id FROM api_tokens WHERE id = $1{}",
            self.engine.for_update()
        );
        let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(lock))
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        if found.is_none() {
            return Ok(None);
        }
        let sql = format!("{TOKEN_SELECT} WHERE t.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(token_from).transpose()
    }

    pub async fn revoke_token(&mut self, id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl Store {
    /// A user with their password hash, for checking a password.
    pub async fn user_with_password(
        &self,
        name: &str,
    ) -> StoreResult<Option<(UserRow, Option<String>)>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash AS hash FROM users WHERE name = $1"
        ))
        .bind(name.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| Ok((user_from(&row)?, row.try_get("hash")?)))
            .transpose()
    }

    /// The token whose secret hashes to `secret_sha256`, with its user.
    pub async fn token_by_secret(
        &self,
        secret_sha256: &str,
    ) -> StoreResult<Option<(TokenRow, UserRow)>> {
        let sql = format!("{TOKEN_SELECT} WHERE t.secret_sha256 = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_sha256.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token = token_from(&row)?;
        let user = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(token.user_id)
        .fetch_one(self.pool())
        .await?;
        Ok(Some((token, user_from(&user)?)))
    }

    /// Records that a token was used at `at` (a UTC timestamp), in a statement of its own.
    pub async fn touch_token(&self, id: i64, at: &str) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(at.to_string())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Tokens, newest first; only one user's when named.
    pub async fn tokens(&self, user: Option<&str>) -> StoreResult<Vec<TokenRow>> {
        let sql = format!("{TOKEN_SELECT} WHERE ($1 = '' OR u.name = $1) ORDER BY t.id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.unwrap_or("").to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(token_from).collect()
    }
}
