//! Browser sessions: started by a password sign-in, kept alive by use, ended by signing out or
//! by idling past their time. The cookie carries a 256-bit secret; the database keeps only its
//! SHA-256, so a copy of the database does not let anyone in.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use settle_core::access::Role;

use crate::{ServiceError, ServiceResult, Settle, sha256_hex};

/// How often a session's expiry is moved on: reading a page must not write on every request.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// A session just started: the secret for the cookie and the token its forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
    pub user: String,
    pub role: Role,
}

/// Who a live session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionUser {
    pub user: String,
    #[serde(serialize_with = "role_name")]
    pub role: Role,
    pub csrf_token: String,
}

fn role_name<S: serde::Serializer>(role: &Role, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(role.as_str())
}

/// 256 random bits as hex, from the operating system.
pub(crate) fn random_hex() -> ServiceResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Refused(format!("no randomness from the system: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Timestamps as fixed-width UTC text, so that the database compares them as text correctly.
pub(crate) fn stamp(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Settle {
    /// Checks a password and starts a session for its user.
    pub async fn sign_in(
        &self,
        user: &str,
        password: &str,
        origin: &str,
        idle: SignedDuration,
    ) -> ServiceResult<NewSession> {
        let account = self.check_password(user, password).await?;
        let role: Role = account
            .role
            .parse()
            .map_err(|e| ServiceError::Refused(format!("user {user:?}: {e}")))?;
        let secret = random_hex()?;
        let csrf_token = random_hex()?;
        let now = Timestamp::now();
        self.store()
            .insert_session(
                &sha256_hex(secret.as_bytes()),
                account.id,
                &csrf_token,
                origin,
                &stamp(now),
                &stamp(now + idle),
            )
            .await?;
        Ok(NewSession {
            secret,
            csrf_token,
            user: account.name,
            role,
        })
    }

    /// The user of a live session; `None` for an unknown, expired or disabled one.
    pub async fn session(
        &self,
        secret: &str,
        idle: SignedDuration,
    ) -> ServiceResult<Option<SessionUser>> {
        let hash = sha256_hex(secret.as_bytes());
        let Some(row) = self.store().session(&hash).await? else {
            return Ok(None);
        };
        let now = Timestamp::now();
        if row.user_disabled || row.expires_at < stamp(now) {
            return Ok(None);
        }
        let Ok(role) = row.role.parse::<Role>() else {
            return Ok(None);
        };
        let seen: Option<Timestamp> = row.last_seen_at.parse().ok();
        if seen.is_none_or(|seen| now.duration_since(seen) >= TOUCH_EVERY) {
            self.store()
                .touch_session(&hash, &stamp(now), &stamp(now + idle))
                .await?;
        }
        Ok(Some(SessionUser {
            user: row.user,
            role,
            csrf_token: row.csrf_token,
        }))
    }

    /// Ends a session (signing out); an unknown one is already ended.
    pub async fn sign_out(&self, secret: &str) -> ServiceResult<()> {
        self.store()
            .delete_session(&sha256_hex(secret.as_bytes()))
            .await?;
        Ok(())
    }

    /// Forgets sessions that idled past their time; returns how many.
    pub async fn expire_sessions(&self) -> ServiceResult<u64> {
        Ok(self
            .store()
            .delete_expired_sessions(&stamp(Timestamp::now()))
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_as_text_in_time_order() {
        let earlier: Timestamp = "2026-01-01T10:00:00.5Z".parse().unwrap();
        let later: Timestamp = "2026-01-01T10:00:01Z".parse().unwrap();
        assert!(stamp(earlier) < stamp(later));
        assert_eq!(stamp(later).len(), 20);
    }

    #[test]
    fn secrets_are_256_bits_and_differ() {
        let a = random_hex().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex().unwrap());
    }
}
