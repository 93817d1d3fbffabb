//! Signing in: users' passwords (Argon2id, kept as PHC strings) and API tokens (256 random
//! bits shown once, kept as SHA-256), and disabling users.
//!
//! What a signed-in user may then do is `settle_core::access` (roles, scopes, permissions);
//! browser sessions and CSRF protection belong to the HTTP server, which calls
//! [`Settle::check_password`] and [`Settle::authenticate_token`]. Every refusal of a password
//! or token says the same few words, whatever the reason, and an unknown user's password is
//! checked against a dummy hash, so neither the answer nor its time tells whether a user
//! exists.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};
use settle_core::audit_chain::Target;

use settle_core::Date;
use settle_core::access::{Role, Scope};
use settle_store::{TokenRow, UserRow};

use crate::error::{invalid, not_found};
use crate::{ServiceError, ServiceResult, Settle, sha256_hex};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in bytes: hashing is deliberately slow, so no one may make
/// it slower with a huge input.
pub const MAX_PASSWORD_BYTES: usize = 1_024;
/// What every token's secret starts with, so that a leaked one is recognised (by people and by
/// secret scanners).
pub const TOKEN_PREFIX: &str = "stl_";
/// Random bytes in a token's secret: 256 bits.
const TOKEN_BYTES: usize = 32;
/// How long a token's name may be.
pub const MAX_TOKEN_NAME_CHARS: usize = 200;
/// A token's last use is written at most this often, so that reading through the API does not
/// write on every request.
pub const LAST_USE_RESOLUTION_SECONDS: i64 = 60;

const WRONG_PASSWORD: &str = "the user name or password is wrong, or the user is disabled";
const WRONG_TOKEN: &str = "the token is unknown, revoked or expired, or its user is disabled";

/// A hash of a password nobody has, with the parameters new hashes get, checked when the user
/// is unknown or has no password so that the answer takes as long as for a real user.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_now("a password that no user has, only for timing")
        .expect("hashing a fixed password with the default parameters works")
});

/// Who a token signs in, and what for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub user: UserRow,
    pub role: Role,
    pub scope: Scope,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user: String,
    pub name: String,
    #[serde(with = "crate::serde_text")]
    pub scope: Scope,
    pub created_at: String,
    pub expires_on: Option<Date>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A token just created, with its secret: shown this once, stored only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: i64,
    pub user: String,
    pub name: String,
    #[serde(with = "crate::serde_text")]
    pub scope: Scope,
    pub expires_on: Option<Date>,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub user: String,
    pub scope: Scope,
    pub name: String,
    /// The last day the token works (UTC); none: until revoked.
    pub expires_on: Option<Date>,
}

/// Refuses a password too short or too long to be hashed, naming the rule.
pub fn check_password_rules(password: &str) -> ServiceResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes long"),
        ));
    }
    Ok(())
}

fn hash_now(password: &str) -> ServiceResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ServiceError::Refused(format!("cannot hash the password: {e}")))
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Hashes a password (Argon2id with the library's default parameters and a random salt) off
/// the async threads: it takes tens of milliseconds on purpose.
pub async fn hash_password(password: &str) -> ServiceResult<String> {
    check_password_rules(password)?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| ServiceError::Refused(format!("hashing the password failed: {e}")))?
}

/// Whether `password` matches the PHC string `phc` (none: the dummy hash, which never matches).
async fn verify_password(password: &str, phc: Option<String>) -> ServiceResult<bool> {
    let password = password.to_string();
    let known = phc.is_some();
    tokio::task::spawn_blocking(move || {
        // Touched on every check, so that the first check, whoever it is for, builds it.
        let dummy = DUMMY_HASH.as_str();
        verify_now(&password, phc.as_deref().unwrap_or(dummy)) && known
    })
    .await
    .map_err(|e| ServiceError::Refused(format!("checking the password failed: {e}")))
}

/// A new token's secret: `stl_` and 256 bits from the operating system as hex.
fn new_secret() -> ServiceResult<String> {
    Ok(format!("{TOKEN_PREFIX}{}", crate::sessions::random_hex()?))
}

/// Whether a presented secret has the shape of one of ours (checked before hashing it).
fn well_formed(secret: &str) -> bool {
    secret.len() == TOKEN_PREFIX.len() + 2 * TOKEN_BYTES
        && secret.starts_with(TOKEN_PREFIX)
        && secret[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn role_of(user: &UserRow) -> ServiceResult<Role> {
    user.role
        .parse()
        .map_err(|e: settle_core::customer::UnknownValue| {
            ServiceError::Refused(format!("user {}: {e}", user.name))
        })
}

fn token_of(row: TokenRow) -> ServiceResult<ApiToken> {
    Ok(ApiToken {
        scope: row
            .scope
            .parse()
            .map_err(|e: settle_core::customer::UnknownValue| {
                ServiceError::Refused(format!("token {}: {e}", row.id))
            })?,
        id: row.id,
        user: row.user,
        name: row.name,
        created_at: row.created_at,
        expires_on: row.expires_on,
        revoked_at: row.revoked_at,
        last_used_at: row.last_used_at,
    })
}

/// Whether a token last used at `last_used` (a stored timestamp) should be marked used `now`.
fn due_for_touch(last_used: Option<&str>, now: jiff::Timestamp) -> bool {
    match last_used.and_then(|text| text.parse::<jiff::Timestamp>().ok()) {
        Some(last) => now.as_second() - last.as_second() >= LAST_USE_RESOLUTION_SECONDS,
        None => true,
    }
}

impl Settle {
    /// Sets or replaces a user's password (at least [`MIN_PASSWORD_CHARS`] characters).
    pub async fn set_password(&self, name: &str, password: &str) -> ServiceResult<()> {
        let hash = hash_password(password).await?;
        self.write(
            None,
            "set_password",
            |_: &_| Target::new("user", name),
            "",
            async |tx| {
                let user = tx
                    .user(name)
                    .await?
                    .ok_or_else(|| not_found(format!("user {name:?}")))?;
                tx.set_password_hash(user.id, Some(&hash)).await?;
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    /// The user whose name and password these are, if they are active. Every failure is the
    /// same error, and takes as long, whether or not the user exists.
    pub async fn check_password(&self, name: &str, password: &str) -> ServiceResult<UserRow> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(ServiceError::Unauthenticated(WRONG_PASSWORD));
        }
        let found = self.store().user_with_password(name).await?;
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, None),
        };
        let matches = verify_password(password, hash).await?;
        match user {
            Some(user) if matches && user.disabled_at.is_none() => Ok(user),
            _ => Err(ServiceError::Unauthenticated(WRONG_PASSWORD)),
        }
    }

    /// Gives a user another role; it applies to their open sessions and tokens at once, since
    /// both read the role on every request.
    pub async fn set_user_role(&self, name: &str, role: Role) -> ServiceResult<UserRow> {
        self.write_updating(
            None,
            "set_user_role",
            |_: &_| Target::new("user", name),
            role.as_str(),
            async |tx| {
                let user = tx
                    .user(name)
                    .await?
                    .ok_or_else(|| not_found(format!("user {name:?}")))?;
                Ok(serde_json::json!({ "role": user.role }))
            },
            async |tx| {
                let user = tx
                    .user(name)
                    .await?
                    .ok_or_else(|| not_found(format!("user {name:?}")))?;
                tx.set_user_role(user.id, role.as_str()).await?;
                Ok(serde_json::json!({ "role": role.as_str() }))
            },
        )
        .await?;
        self.named_user(name).await
    }

    /// One user as stored now.
    async fn named_user(&self, name: &str) -> ServiceResult<UserRow> {
        let mut tx = self.store().begin_read().await?;
        let user = tx.user(name).await?;
        tx.commit().await?;
        user.ok_or_else(|| not_found(format!("user {name:?}")))
    }

    /// Disables a user: from now on they cannot sign in, their tokens stop working, and they
    /// cannot approve. Their name stays on everything they did.
    pub async fn disable_user(&self, name: &str) -> ServiceResult<UserRow> {
        self.write(
            None,
            "disable_user",
            |_: &_| Target::new("user", name),
            "",
            async |tx| {
                let user = tx
                    .user(name)
                    .await?
                    .ok_or_else(|| not_found(format!("user {name:?}")))?;
                tx.disable_user(user.id).await?;
                Ok(())
            },
        )
        .await?;
        self.named_user(name).await
    }

    /// Creates an API token for a user; its secret is in the answer and nowhere else.
    pub async fn create_token(&self, request: &TokenRequest) -> ServiceResult<CreatedToken> {
        let name = request.name.trim();
        if name.chars().count() > MAX_TOKEN_NAME_CHARS {
            return Err(invalid(
                "name",
                format!("at most {MAX_TOKEN_NAME_CHARS} characters"),
            ));
        }
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        if let Some(expires) = request.expires_on
            && expires < today
        {
            return Err(invalid(
                "expires",
                format!("{expires} is in the past (today is {today} UTC)"),
            ));
        }
        let secret = new_secret()?;
        let secret_sha256 = sha256_hex(secret.as_bytes());
        let id = self
            .write(
                None,
                "create_token",
                |id: &i64| Target::new("token", id),
                "",
                async |tx| {
                    let user = tx
                        .user(&request.user)
                        .await?
                        .ok_or_else(|| not_found(format!("user {:?}", request.user)))?;
                    if user.disabled_at.is_some() {
                        return Err(ServiceError::Refused(format!(
                            "user {} is disabled: a token for them would never work",
                            user.name
                        )));
                    }
                    Ok(tx
                        .insert_token(
                            user.id,
                            name,
                            request.scope.as_str(),
                            &secret_sha256,
                            request.expires_on,
                        )
                        .await?)
                },
            )
            .await?
            .value;
        Ok(CreatedToken {
            id,
            user: request.user.clone(),
            name: name.to_string(),
            scope: request.scope,
            expires_on: request.expires_on,
            secret,
        })
    }

    /// Tokens, newest first (only one user's when named); never their secrets.
    pub async fn tokens(&self, user: Option<&str>) -> ServiceResult<Vec<ApiToken>> {
        self.store()
            .tokens(user)
            .await?
            .into_iter()
            .map(token_of)
            .collect()
    }

    /// Revokes a token: it stops working at once. Revoking it again changes nothing.
    pub async fn revoke_token(&self, id: i64) -> ServiceResult<ApiToken> {
        self.write(
            None,
            "revoke_token",
            |_: &_| Target::new("token", id),
            "",
            async |tx| {
                if tx.token_for_update(id).await?.is_none() {
                    return Err(not_found(format!("token {id}")));
                }
                tx.revoke_token(id).await?;
                Ok(())
            },
        )
        .await?;
        self.tokens(None)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| not_found(format!("token {id}")))
    }

    /// The user and scope a token's secret signs in, now.
    pub async fn authenticate_token(&self, secret: &str) -> ServiceResult<Authenticated> {
        self.authenticate_token_at(secret, jiff::Timestamp::now())
            .await
    }

    /// The user and scope a token's secret signs in at `now`: unknown, revoked and expired
    /// tokens and disabled users are refused alike. Its last use is recorded when the one
    /// stored is older than [`LAST_USE_RESOLUTION_SECONDS`].
    pub async fn authenticate_token_at(
        &self,
        secret: &str,
        now: jiff::Timestamp,
    ) -> ServiceResult<Authenticated> {
        let refused = || ServiceError::Unauthenticated(WRONG_TOKEN);
        if !well_formed(secret) {
            return Err(refused());
        }
        let (token, user) = self
            .store()
            .token_by_secret(&sha256_hex(secret.as_bytes()))
            .await?
            .ok_or_else(refused)?;
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let expired = token.expires_on.is_some_and(|last_day| today > last_day);
        if token.revoked_at.is_some() || expired || user.disabled_at.is_some() {
            return Err(refused());
        }
        let scope = token.scope.parse().map_err(|_| refused())?;
        let role = role_of(&user)?;
        if due_for_touch(token.last_used_at.as_deref(), now) {
            self.store().touch_token(token.id, &now.to_string()).await?;
        }
        Ok(Authenticated { user, role, scope })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_twelve_characters_are_refused() {
        assert!(check_password_rules("elevenchars").is_err());
        assert!(check_password_rules("twelve chars").is_ok());
        // Characters, not bytes: twelve accented letters pass.
        assert!(check_password_rules("éééééééééééé").is_ok());
        assert!(check_password_rules(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_now("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_now("correct horse battery", &hash));
        assert!(!verify_now("correct horse batterx", &hash));
        assert!(!verify_now("correct horse battery", "not a phc string"));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let real = PasswordHash::new(&hash_now("correct horse battery").unwrap())
            .unwrap()
            .params
            .to_string();
        let dummy = PasswordHash::new(&DUMMY_HASH).unwrap().params.to_string();
        assert_eq!(real, dummy);
    }

    #[test]
    fn secrets_are_prefixed_random_hex() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(well_formed(&a), "{a}");
        assert_ne!(a, b);
        assert!(!well_formed(&a.to_uppercase()));
        assert!(!well_formed(&a[..a.len() - 1]));
        assert!(!well_formed(&format!("xyz_{}", &a[4..])));
    }

    #[test]
    fn last_use_is_written_at_most_once_a_minute() {
        let now: jiff::Timestamp = "2026-11-30T10:00:00Z".parse().unwrap();
        assert!(due_for_touch(None, now));
        assert!(!due_for_touch(Some("2026-11-30T09:59:30.5Z"), now));
        assert!(due_for_touch(Some("2026-11-30T09:59:00Z"), now));
        assert!(due_for_touch(Some("garbage"), now));
    }
}
