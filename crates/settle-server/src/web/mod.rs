//! The team's web pages: server-rendered HTML from templates compiled into the binary, one
//! stylesheet and one small script of our own, no framework. Pages read through the service
//! like the API does; forms post back, carry the session's CSRF token, and redirect to a page
//! that says what happened (post, redirect, get).

mod admin;
mod chart;
mod pages;
mod portal;
mod portal_links;
mod reports;
mod resolutions;

use std::sync::OnceLock;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::Environment;
use serde::Serialize;

use settle_core::access::{Permission, Role, permits, reads_customer};

use crate::auth::{SESSION_COOKIE, constant_time_eq, cookie};
use crate::problem::Problem;
use crate::state::AppState;

/// The templates, each compiled once.
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| compile(TEMPLATES))
}

/// An environment of templates compiled into the binary, where an undefined variable is an
/// error rather than an empty string.
fn compile(templates: &'static [(&'static str, &'static str)]) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in templates {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("error.html", include_str!("templates/error.html")),
    ("dashboard.html", include_str!("templates/dashboard.html")),
    ("customers.html", include_str!("templates/customers.html")),
    ("account.html", include_str!("templates/account.html")),
    ("cash.html", include_str!("templates/cash.html")),
    ("worklist.html", include_str!("templates/worklist.html")),
    ("aging.html", include_str!("templates/aging.html")),
    ("disputes.html", include_str!("templates/disputes.html")),
    ("approvals.html", include_str!("templates/approvals.html")),
    ("kpis.html", include_str!("templates/kpis.html")),
    (
        "aging_items.html",
        include_str!("templates/aging_items.html"),
    ),
    ("admin_tabs.html", include_str!("templates/admin_tabs.html")),
    (
        "admin_users.html",
        include_str!("templates/admin_users.html"),
    ),
    (
        "admin_limits.html",
        include_str!("templates/admin_limits.html"),
    ),
    (
        "admin_policies.html",
        include_str!("templates/admin_policies.html"),
    ),
    (
        "portal_link.html",
        include_str!("templates/portal_link.html"),
    ),
];

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(pages::dashboard))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/customers", get(pages::customers))
        .route("/customers/{code}", get(pages::account))
        .route("/customers/{code}/contacts", post(pages::log_contact))
        .route("/customers/{code}/promises", post(pages::promise))
        .route("/customers/{code}/portal-link", post(portal_links::create))
        .route("/cash", get(pages::cash))
        .route("/cash/apply", post(pages::apply))
        .route("/cash/{decision}/accept", post(pages::accept))
        .route("/cash/{decision}/reject", post(pages::reject))
        .route("/worklist", get(pages::worklist))
        .route("/aging", get(pages::aging))
        .route("/disputes", get(pages::disputes))
        .route("/approvals", get(pages::approvals))
        .route("/approvals/{id}/approve", post(pages::approve))
        .route("/approvals/{id}/reject", post(pages::reject_approval))
        .route("/kpis", get(reports::kpis))
        .route("/aging/items", get(reports::aging_items))
        .route("/disputes/{id}/resolve", post(resolutions::resolve))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{name}/role", post(admin::set_role))
        .route("/admin/users/{name}/disable", post(admin::disable_user))
        .route("/admin/limits", get(admin::limits).post(admin::set_limit))
        .route("/admin/limits/remove", post(admin::remove_limit))
        .route(
            "/admin/policies",
            get(admin::policies).post(admin::put_policy),
        )
        .route("/admin/policies/{name}/delete", post(admin::delete_policy))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/static/icon.svg", get(icon))
        .merge(portal::router())
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("static/app.css"))
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("static/app.js"),
    )
}

async fn icon() -> Response {
    asset("image/svg+xml", include_str!("static/icon.svg"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// A signed-in person looking at pages.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: String,
    pub role: Role,
    pub csrf_token: String,
    /// Where the request came from, for the audit trail.
    pub origin: String,
}

impl Viewer {
    /// The service acting as this person, from where they are.
    pub fn settle(&self, state: &AppState) -> settle_service::Settle {
        state
            .settle()
            .clone()
            .acting_as(&self.user)
            .with_origin(&self.origin)
    }

    pub fn may(&self, permission: Permission) -> bool {
        permits(self.role, None, permission)
    }

    pub fn is_sales(&self) -> bool {
        !reads_customer(self.role, &self.user, "")
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if constant_time_eq(sent.as_bytes(), self.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Problem(Problem::forbidden(
                "the form did not carry this session's token; reload the page and try again",
            )))
        }
    }

    pub fn require(&self, permission: Permission) -> Result<(), PageError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(PageError::Problem(Problem::forbidden(format!(
                "{} ({}) may not do this",
                self.user,
                self.role.as_str()
            ))))
        }
    }
}

/// Why a page could not be shown.
pub enum PageError {
    /// Not signed in: to the sign-in page, and back here afterwards.
    SignIn {
        next: String,
    },
    Problem(Problem),
}

impl From<Problem> for PageError {
    fn from(problem: Problem) -> Self {
        PageError::Problem(problem)
    }
}

impl From<settle_service::ServiceError> for PageError {
    fn from(error: settle_service::ServiceError) -> Self {
        PageError::Problem(Problem::from(error))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                Redirect::to(&format!("/login?next={}", query_escape(&next))).into_response()
            }
            PageError::Problem(problem) => {
                let status = StatusCode::from_u16(problem.status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let body = render_bare(
                    "error.html",
                    minijinja::context! {
                        title => problem.title, detail => problem.detail,
                        user => "", role => "", csrf => "", nav => "", sales => false,
                        can_approve => false, can_administer => false,
                        flash => "", flash_kind => "",
                    },
                );
                (status, body).into_response()
            }
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let next = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.to_string(), |uri| uri.0.to_string());
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignIn { next });
        };
        match state.settle().session(secret, state.session_idle()).await? {
            Some(session) => Ok(Viewer {
                user: session.user,
                role: session.role,
                csrf_token: session.csrf_token,
                origin: crate::auth::origin(parts),
            }),
            None => Err(PageError::SignIn { next }),
        }
    }
}

/// Percent-encodes text for a query string.
pub fn query_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A template with only the values given.
fn render_bare<T: Serialize>(name: &str, context: T) -> Html<String> {
    match environment()
        .get_template(name)
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(context))))
    {
        Ok(html) => Html(html),
        Err(e) => Html(format!(
            "<!doctype html><title>Error</title><p>The page {name} could not be drawn: {}</p>",
            chart::escape(&e.to_string())
        )),
    }
}

/// A page for the viewer: the page's own values, and what the frame needs (who, the CSRF token
/// for forms, the navigation, a message from the action before).
pub fn render<T: Serialize>(
    name: &str,
    page: &str,
    viewer: &Viewer,
    flash: &Flash,
    values: T,
) -> Result<Html<String>, PageError> {
    let frame = minijinja::context! {
        user => &viewer.user, role => viewer.role.as_str(), csrf => &viewer.csrf_token,
        nav => page, sales => viewer.is_sales(),
        can_post => viewer.may(Permission::WriteMoney),
        can_collect => viewer.may(Permission::Collect),
        can_approve => viewer.may(Permission::Approve),
        can_administer => viewer.may(Permission::Administer),
        flash => &flash.message, flash_kind => &flash.kind,
    };
    let context =
        minijinja::context! { ..frame, ..minijinja::Value::from(minijinja::value::Serde(values)) };
    environment()
        .get_template(name)
        .and_then(|t| t.render(context))
        .map(Html)
        .map_err(|e| {
            PageError::Problem(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The page could not be drawn",
                format!("{name}: {e}"),
            ))
        })
}

/// The message an action leaves for the page it redirects to.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    #[serde(default, rename = "ok")]
    pub message: String,
    #[serde(default)]
    pub kind: String,
}

/// Redirects to a page of this site with a message.
pub fn redirect_with(back: &str, kind: &str, message: &str) -> Response {
    let back = local_path(back);
    let separator = if back.contains('?') { '&' } else { '?' };
    Redirect::to(&format!(
        "{back}{separator}ok={}&kind={kind}",
        query_escape(message)
    ))
    .into_response()
}

/// Only a path of this site is followed after a form or a sign-in; anything else goes home.
pub fn local_path(target: &str) -> &str {
    if target.starts_with('/') && !target.starts_with("//") && !target.contains('\\') {
        target
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(local_path("/customers/A?x=1"), "/customers/A?x=1");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil"), "/");
        assert_eq!(query_escape("a b&c"), "a%20b%26c");
    }
}
