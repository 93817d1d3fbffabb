//! Signed-in browser sessions (migration 18). Like API tokens, a session's secret is never
//! stored, only its SHA-256; the CSRF token is stored as is, since the session's own pages
//! print it into their forms.

use sqlx::Row;

use crate::{Store, StoreResult};

/// A live session and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user_id: i64,
    pub user: String,
    pub role: String,
    pub user_disabled: bool,
    pub csrf_token: String,
    /// UTC, RFC 3339.
    pub last_seen_at: String,
    pub expires_at: String,
}

impl Store {
    pub async fn insert_session(
        &self,
        secret_sha256: &str,
        user_id: i64,
        csrf_token: &str,
        origin: &str,
        now: &str,
        expires_at: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO web_sessions (secret_sha256, user_id, csrf_token, origin, created_at, \
             last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(secret_sha256.to_string())
        .bind(user_id)
        .bind(csrf_token.to_string())
        .bind(origin.to_string())
        .bind(now.to_string())
        .bind(expires_at.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn session(&self, secret_sha256: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT s.user_id, u.name, u.role, u.disabled_at, s.csrf_token, s.last_seen_at, \
                 s.expires_at \
             FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.secret_sha256 = $1",
        )
        .bind(secret_sha256.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(SessionRow {
                user_id: row.try_get("user_id")?,
                user: row.try_get("name")?,
                role: row.try_get("role")?,
                user_disabled: row.try_get::<Option<String>, _>("disabled_at")?.is_some(),
                csrf_token: row.try_get("csrf_token")?,
                last_seen_at: row.try_get("last_seen_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Moves a session's idle expiry on.
    pub async fn touch_session(
        &self,
        secret_sha256: &str,
        now: &str,
        expires_at: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE web_sessions SET last_seen_at = $1, expires_at = $2 WHERE secret_sha256 = $3",
        )
        .bind(now.to_string())
        .bind(expires_at.to_string())
        .bind(secret_sha256.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_session(&self, secret_sha256: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM web_sessions WHERE secret_sha256 = $1")
            .bind(secret_sha256.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(now.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
