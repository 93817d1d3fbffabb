//! Who is calling: an API token (`Authorization: Bearer stl_…`) or a browser session cookie,
//! and what their role and the token's scope let them do. Every handler takes a [`Caller`]
//! and asks it for the permission its work needs before doing anything.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};

use settle_core::access::{Permission, Role, Scope, permits, reads_customer};
use settle_service::Settle;

use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The cookie that carries a browser session's secret.
pub const SESSION_COOKIE: &str = "settle_session";
/// The header (or, on a form, the field) that carries a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Token(Scope),
    Session { csrf_token: String },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
    pub role: Role,
    pub credential: Credential,
    /// Where the request came from, for the audit trail.
    pub origin: String,
}

impl Caller {
    /// Refuses unless the caller's role (and token scope) grants `permission`.
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        let scope = match &self.credential {
            Credential::Token(scope) => Some(*scope),
            Credential::Session { .. } => None,
        };
        if permits(self.role, scope, permission) {
            return Ok(());
        }
        let why = match scope {
            Some(Scope::Read) if self.role.may(permission) => {
                "this API token is read-only".to_string()
            }
            _ => format!("{} is {}", self.user, self.role.as_str()),
        };
        Err(Problem::forbidden(format!(
            "{} needs {}; {why}",
            describe(permission),
            holders(permission)
        )))
    }

    /// The sales rep whose customers alone the caller may read, if they are so limited.
    pub fn own_customers_only(&self) -> Option<&str> {
        (!reads_customer(self.role, &self.user, "")).then_some(self.user.as_str())
    }

    /// Refuses to show a customer whose sales rep is not the caller, to a sales user.
    pub fn require_customer(&self, sales_rep: &str) -> ApiResult<()> {
        if reads_customer(self.role, &self.user, sales_rep) {
            Ok(())
        } else {
            // Not "forbidden": a sales rep must not learn which other customers exist.
            Err(Problem::not_found("no such customer among yours"))
        }
    }

    /// The service acting as this caller.
    pub fn settle(&self, state: &AppState) -> Settle {
        state
            .settle()
            .clone()
            .acting_as(&self.user)
            .with_origin(&self.origin)
    }
}

fn describe(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "reading",
        Permission::WriteMoney => "posting money",
        Permission::Collect => "collections work",
        Permission::Approve => "approving",
        Permission::Close => "closing periods",
        Permission::Administer => "administration",
    }
}

/// The roles that hold a permission, in words.
fn holders(permission: Permission) -> String {
    let roles: Vec<&str> = Role::all()
        .into_iter()
        .filter(|r| r.may(permission))
        .map(Role::as_str)
        .collect();
    format!("the role {}", roles.join(" or "))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The client's address, for the audit trail.
pub fn origin(parts: &Parts) -> String {
    match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(address)) => format!("http {}", address.ip()),
        None => "http".to_string(),
    }
}

/// Whether a method changes something, and so needs a CSRF token when sent by a browser.
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let origin = origin(parts);
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let secret = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    Problem::unauthenticated("send the API token as `Authorization: Bearer stl_…`")
                })?;
            let (user, role, scope) = state.token(secret.trim()).await?;
            return Ok(Caller {
                user,
                role,
                credential: Credential::Token(scope),
                origin,
            });
        }
        if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) {
            let session = state
                .settle()
                .session(secret, state.session_idle())
                .await
                .map_err(Problem::from)?
                .ok_or_else(|| Problem::unauthenticated("the session ended; sign in again"))?;
            if is_unsafe(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                    return Err(Problem::forbidden(
                        "the request did not carry this session's CSRF token",
                    ));
                }
            }
            return Ok(Caller {
                user: session.user,
                role: session.role,
                credential: Credential::Session {
                    csrf_token: session.csrf_token,
                },
                origin,
            });
        }
        Err(Problem::unauthenticated(
            "send an API token (`Authorization: Bearer stl_…`) or sign in",
        ))
    }
}

/// Compares two secrets in time that depends only on their length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, credential: Credential) -> Caller {
        Caller {
            user: "ann".into(),
            role,
            credential,
            origin: "http 127.0.0.1".into(),
        }
    }

    #[test]
    fn a_read_token_says_so_when_it_is_the_reason() {
        let clerk = caller(Role::Clerk, Credential::Token(Scope::Read));
        let refusal = clerk.require(Permission::WriteMoney).unwrap_err();
        assert!(refusal.detail.contains("read-only"), "{}", refusal.detail);
        let sales = caller(Role::Sales, Credential::Token(Scope::Write));
        let refusal = sales.require(Permission::WriteMoney).unwrap_err();
        assert!(
            refusal.detail.contains("admin or manager or clerk")
                && refusal.detail.contains("ann is sales"),
            "{}",
            refusal.detail
        );
    }

    #[test]
    fn sales_is_limited_to_its_own_customers() {
        let sales = caller(
            Role::Sales,
            Credential::Session {
                csrf_token: String::new(),
            },
        );
        assert_eq!(sales.own_customers_only(), Some("ann"));
        assert!(sales.require_customer("ann").is_ok());
        assert_eq!(sales.require_customer("bob").unwrap_err().status, 404);
        let auditor = caller(Role::Auditor, Credential::Token(Scope::Read));
        assert_eq!(auditor.own_customers_only(), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
