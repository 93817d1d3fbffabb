//! The customer portal's pages, under `/portal/{secret}`: the statement with its PDF, the open
//! invoices as PDF, and forms to dispute an invoice, promise a date and send remittance advice.
//!
//! The link's secret is the only credential. No staff cookie or token is read here, and no
//! staff page accepts the secret: the two never meet. Forms carry the link's own CSRF token.
//! Every answer is `no-store` and sends no referrer, since the address itself is the secret.
//! A link that is unknown, expired or revoked gets one plain page that says only that.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::Environment;
use serde::{Deserialize, Serialize};

use settle_core::dispute::DisputeReason;
use settle_service::ServiceError;
use settle_service::disputes::DisputeQuery;
use settle_service::documents::DocumentData;
use settle_service::portal::{AdviceLine, AdviceRequest, LinkRefused, PortalAccess, PortalDispute};

use super::{Flash, redirect_with};
use crate::auth::constant_time_eq;
use crate::state::{AppState, pdf_response};
use crate::worker::on_worker;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "portal_base.html",
        include_str!("templates/portal_base.html"),
    ),
    (
        "portal_statement.html",
        include_str!("templates/portal_statement.html"),
    ),
    (
        "portal_message.html",
        include_str!("templates/portal_message.html"),
    ),
];

/// The portal's own templates: nothing of the team's frame or navigation is in them.
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| super::compile(TEMPLATES))
}

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/portal/{secret}", get(statement))
        .route("/portal/{secret}/statement.pdf", get(statement_pdf))
        .route("/portal/{secret}/invoices/{file}", get(invoice_pdf))
        .route("/portal/{secret}/disputes", post(dispute))
        .route("/portal/{secret}/promises", post(promise))
        .route("/portal/{secret}/advice", post(advice))
        .layer(axum::middleware::map_response(private))
        .route("/static/portal.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    let mut response = include_str!("static/portal.css").into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// The address is the secret: no cache keeps the pages, no referrer carries it away, no
/// search engine lists it.
async fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

/// The client's address, for the audit trail's origin (`portal 203.0.113.7`).
pub struct Client(String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Client(
            match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
                Some(ConnectInfo(address)) => address.ip().to_string(),
                None => "unknown".to_string(),
            },
        ))
    }
}

/// Why a portal page is not shown.
pub enum PortalError {
    /// The link does not open the portal (unknown: 404; expired or revoked: 410).
    Invalid(LinkRefused),
    /// Anything else, said plainly.
    Failed { status: StatusCode, message: String },
}

impl From<ServiceError> for PortalError {
    fn from(error: ServiceError) -> Self {
        let status = match &error {
            ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
            ServiceError::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(%error, "portal page failed");
        }
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            "The page could not be shown just now. Please try again later.".to_string()
        } else {
            error.to_string()
        };
        PortalError::Failed { status, message }
    }
}

impl From<crate::problem::Problem> for PortalError {
    fn from(problem: crate::problem::Problem) -> Self {
        PortalError::Failed {
            status: StatusCode::from_u16(problem.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: "The page could not be shown just now. Please try again later.".to_string(),
        }
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PortalError::Invalid(refused) => (
                match refused {
                    LinkRefused::Unknown => StatusCode::NOT_FOUND,
                    LinkRefused::Expired | LinkRefused::Revoked => StatusCode::GONE,
                },
                "This link is not valid",
                "Please ask the company that sent it to you for a new link.".to_string(),
            ),
            PortalError::Failed { status, message } => (status, "Not done", message),
        };
        let page = render_page(
            "portal_message.html",
            serde_json::json!({ "title": title, "message": message }),
        )
        .unwrap_or_else(|_| {
            Html(format!(
                "<!doctype html><title>{title}</title><p>{title}</p>"
            ))
        });
        (status, page).into_response()
    }
}

fn render_page<T: Serialize>(name: &str, values: T) -> Result<Html<String>, PortalError> {
    environment()
        .get_template(name)
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(values))))
        .map(Html)
        .map_err(|e| {
            tracing::error!(template = name, error = %e, "portal template failed");
            PortalError::Failed {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "The page could not be shown just now. Please try again later."
                    .to_string(),
            }
        })
}

fn today() -> settle_core::Date {
    jiff::Zoned::now().date()
}

/// The link's access, or the page that says it is not valid.
async fn open(state: &AppState, secret: &str) -> Result<PortalAccess, PortalError> {
    state
        .settle()
        .portal_access(secret)
        .await?
        .map_err(PortalError::Invalid)
}

fn check_csrf(access: &PortalAccess, sent: &str) -> Result<(), PortalError> {
    if constant_time_eq(sent.as_bytes(), access.csrf_token.as_bytes()) {
        Ok(())
    } else {
        Err(PortalError::Failed {
            status: StatusCode::FORBIDDEN,
            message: "The form was out of date. Please open the link again and resend it."
                .to_string(),
        })
    }
}

fn home(secret: &str) -> String {
    format!("/portal/{secret}")
}

/// A line of the statement as the page shows it.
#[derive(Debug, Serialize)]
struct Line {
    date: String,
    reference: String,
    description: String,
    due_date: String,
    days_overdue: Option<i64>,
    amount: String,
    /// An invoice or debit memo: it has a PDF, and can be disputed and covered by advice.
    invoice: bool,
    /// What the customer disputes on it now, if anything.
    disputed: Option<String>,
}

#[derive(Debug, Serialize)]
struct Section {
    currency: String,
    lines: Vec<Line>,
    amount_due: String,
    labels: Vec<String>,
    buckets: Vec<String>,
    total: String,
    unapplied: String,
}

fn text(value: &serde_json::Value) -> String {
    value["text"].as_str().unwrap_or_default().to_string()
}

/// The statement's sections, read from the same data its PDF is made of.
fn sections(data: &DocumentData, disputed: &[(String, String)]) -> Vec<Section> {
    let json = serde_json::to_value(data).unwrap_or_default();
    let empty = Vec::new();
    json["body"]["sections"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|s| Section {
            currency: s["currency"].as_str().unwrap_or_default().to_string(),
            lines: s["lines"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|l| {
                    let reference = l["reference"].as_str().unwrap_or_default().to_string();
                    let due = l["due_date"].as_str().unwrap_or_default().to_string();
                    Line {
                        date: l["date"].as_str().unwrap_or_default().to_string(),
                        disputed: disputed
                            .iter()
                            .find(|(number, _)| *number == reference)
                            .map(|(_, amount)| amount.clone()),
                        invoice: !due.is_empty(),
                        reference,
                        description: match l["description"].as_str().unwrap_or_default() {
                            "" if !due.is_empty() => "Invoice".to_string(),
                            text => text.to_string(),
                        },
                        due_date: due,
                        days_overdue: l["days_overdue"].as_i64(),
                        amount: text(&l["amount"]),
                    }
                })
                .collect(),
            amount_due: text(&s["amount_due"]),
            labels: s["aging"]["labels"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|l| l.as_str().unwrap_or_default().to_string())
                .collect(),
            buckets: s["aging"]["buckets"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(text)
                .collect(),
            total: text(&s["aging"]["total"]),
            unapplied: text(&s["aging"]["unapplied"]),
        })
        .collect()
}

pub async fn statement(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(flash): Query<Flash>,
) -> Result<Response, PortalError> {
    let access = open(&state, &secret).await?;
    let settle = state.settle();
    let printer = state.printer().await?;
    let data = settle.portal_statement(&printer, &access, today()).await?;
    let disputes = settle
        .disputes(&DisputeQuery {
            customer: Some(access.customer_code.clone()),
            ..DisputeQuery::default()
        })
        .await?;
    let active: Vec<_> = disputes.iter().filter(|d| d.status.is_active()).collect();
    let disputed: Vec<(String, String)> = active
        .iter()
        .map(|d| (d.row.item_number.clone(), d.row.amount.to_decimal_string()))
        .collect();
    let disputes: Vec<serde_json::Value> = active
        .iter()
        .map(|d| {
            serde_json::json!({
                "invoice": d.row.item_number,
                "amount": d.row.amount.to_decimal_string(),
                "currency": d.row.amount.currency().code(),
                "reason": d.reason.as_str().replace('_', " "),
                "status": d.status.as_str().replace('_', " "),
                "opened_on": d.row.opened_on.to_string(),
            })
        })
        .collect();
    let promises = settle
        .promises(Some("open"), Some(&access.customer_code))
        .await?;
    let advices = settle.customer_advices(access.customer).await?;
    let sections = sections(&data, &disputed);
    let reasons: Vec<(&str, String)> = [
        DisputeReason::Pricing,
        DisputeReason::Quantity,
        DisputeReason::Damaged,
        DisputeReason::NotReceived,
        DisputeReason::DuplicateBilling,
        DisputeReason::Tax,
        DisputeReason::Other,
    ]
    .iter()
    .map(|r| (r.as_str(), r.as_str().replace('_', " ")))
    .collect();
    let page = render_page(
        "portal_statement.html",
        serde_json::json!({
            "company": data.letterhead.company.name,
            "company_email": data.letterhead.company.email,
            "remittance": data.letterhead.company.remittance,
            "customer": access.customer_name,
            "code": access.customer_code,
            "as_of": today().to_string(),
            "expires": access.expires_at.get(..10).unwrap_or(&access.expires_at),
            "base": home(&secret),
            "csrf": access.csrf_token,
            "sections": sections,
            "disputes": disputes,
            "promises": promises,
            "advices": advices,
            "reasons": reasons,
            "flash": flash.message,
            "flash_kind": flash.kind,
        }),
    )?;
    Ok(page.into_response())
}

pub async fn statement_pdf(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Response, PortalError> {
    let access = open(&state, &secret).await?;
    let printer = state.printer().await?;
    let as_of = today();
    let data = state
        .settle()
        .portal_statement(&printer, &access, as_of)
        .await?;
    let bytes = AppState::render_pdf(printer, data).await?;
    let name = settle_service::documents::file_name_part(&access.customer_code);
    Ok(pdf_response(
        bytes,
        &format!("statement-{name}-{as_of}.pdf"),
    ))
}

pub async fn invoice_pdf(
    State(state): State<AppState>,
    Path((secret, file)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let access = open(&state, &secret).await?;
    let Some(number) = file.strip_suffix(".pdf") else {
        return Err(ServiceError::NotFound {
            what: format!("{file:?}"),
        }
        .into());
    };
    let printer = state.printer().await?;
    let data = state
        .settle()
        .portal_invoice(&printer, &access, number)
        .await?;
    let bytes = AppState::render_pdf(printer, data).await?;
    let name = settle_service::documents::file_name_part(number);
    Ok(pdf_response(bytes, &format!("{name}.pdf")))
}

#[derive(Debug, Deserialize)]
pub struct DisputeForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    invoice: String,
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    amount: String,
}

pub async fn dispute(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Client(client): Client,
    Form(form): Form<DisputeForm>,
) -> Result<Response, PortalError> {
    let access = open(&state, &secret).await?;
    check_csrf(&access, &form.csrf)?;
    let settle = state.settle().as_portal_customer(&access, &client);
    let request = PortalDispute {
        invoice: form.invoice,
        reason: form.reason,
        note: form.note,
        amount: form.amount,
    };
    let done =
        on_worker(move || async move { settle.portal_dispute(&access, &request).await }).await?;
    Ok(match done {
        Ok(opened) => redirect_with(
            &home(&secret),
            "ok",
            &format!(
                "Thank you: your dispute of {} {} on {} is recorded, and we will be in touch.",
                opened.amount.to_decimal_string(),
                opened.amount.currency().code(),
                opened.invoice
            ),
        ),
        Err(e) => redirect_with(&home(&secret), "error", &e.to_string()),
    })
}

#[derive(Debug, Deserialize)]
pub struct PromiseForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    amount: String,
    promised_on: String,
}

pub async fn promise(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Client(client): Client,
    Form(form): Form<PromiseForm>,
) -> Result<Response, PortalError> {
    let access = open(&state, &secret).await?;
    check_csrf(&access, &form.csrf)?;
    let Ok(promised_on) = form.promised_on.trim().parse() else {
        return Ok(redirect_with(
            &home(&secret),
            "error",
            "promised_on: give the date you will pay (yyyy-mm-dd)",
        ));
    };
    let settle = state.settle().as_portal_customer(&access, &client);
    let amount = form.amount;
    let done =
        on_worker(
            move || async move { settle.portal_promise(&access, &amount, promised_on).await },
        )
        .await?;
    Ok(match done {
        Ok(view) => redirect_with(
            &home(&secret),
            "ok",
            &format!(
                "Thank you: your promise to pay {} {} on {} is recorded.",
                view.amount, view.currency, view.promised_on
            ),
        ),
        Err(e) => redirect_with(&home(&secret), "error", &e.to_string()),
    })
}

/// The advice form: `invoice` once per ticked invoice, `amount:NUMBER` beside each, and the
/// expected date and a note.
fn advice_request(fields: &[(String, String)]) -> Result<(String, AdviceRequest), String> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let lines: Vec<AdviceLine> = fields
        .iter()
        .filter(|(k, _)| k == "invoice")
        .map(|(_, number)| AdviceLine {
            invoice: number.clone(),
            amount: value(&format!("amount:{number}")),
        })
        .collect();
    let expected = value("expected_on");
    let expected_on = if expected.is_empty() {
        None
    } else {
        Some(
            expected
                .parse()
                .map_err(|_| format!("expected_on: {expected:?} is not a date (yyyy-mm-dd)"))?,
        )
    };
    Ok((
        value("_csrf"),
        AdviceRequest {
            lines,
            expected_on,
            note: value("note"),
        },
    ))
}

pub async fn advice(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Client(client): Client,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PortalError> {
    let access = open(&state, &secret).await?;
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    check_csrf(&access, csrf)?;
    let request = match advice_request(&fields) {
        Ok((_, request)) => request,
        Err(message) => return Ok(redirect_with(&home(&secret), "error", &message)),
    };
    let settle = state.settle().as_portal_customer(&access, &client);
    let done =
        on_worker(move || async move { settle.portal_advice(&access, &request).await }).await?;
    Ok(match done {
        Ok(view) => redirect_with(
            &home(&secret),
            "ok",
            &format!(
                "Thank you: we will apply your payment of {} {} to {} when it arrives.",
                view.total,
                view.currency,
                view.invoices
                    .iter()
                    .map(|i| i.number.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Err(e) => redirect_with(&home(&secret), "error", &e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_portal_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(environment().get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn the_advice_form_reads_ticked_invoices_with_their_amounts() {
        let fields: Vec<(String, String)> = [
            ("_csrf", "t"),
            ("invoice", "A-1001"),
            ("amount:A-1001", "100.00"),
            ("amount:A-1002", "5.00"),
            ("invoice", "A-1003"),
            ("amount:A-1003", ""),
            ("expected_on", "2026-08-01"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (csrf, request) = advice_request(&fields).unwrap();
        assert_eq!(csrf, "t");
        let lines: Vec<(&str, &str)> = request
            .lines
            .iter()
            .map(|l| (l.invoice.as_str(), l.amount.as_str()))
            .collect();
        assert_eq!(lines, [("A-1001", "100.00"), ("A-1003", "")]);
        assert_eq!(request.expected_on, Some(jiff::civil::date(2026, 8, 1)));
    }
}
