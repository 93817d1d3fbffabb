//! The pages' handlers: read through the service, shape what the template shows, render.

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use settle_core::access::Permission;
use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_core::contact::{ContactChannel, ContactDirection};
use settle_core::dispute::DisputeStatus;
use settle_core::events::DiscountPolicy;
use settle_core::ids::PaymentId;
use settle_core::kpi::DaysBasis;
use settle_service::collections::contacts::ContactRequest;
use settle_service::collections::promises::PromiseRequest;
use settle_service::collections::worklist::{BUCKETS, WorklistFilter, select};
use settle_service::disputes::DisputeQuery;
use settle_service::kpis::KpiGrouping;
use settle_service::listing::CustomerListFilter;
use settle_service::{ApplyRequest, ApplySource};

use super::{Flash, PageError, Viewer, chart, local_path, redirect_with, render};
use crate::auth::SESSION_COOKIE;
use crate::problem::Problem;
use crate::state::AppState;
use crate::worker::on_worker;

type Page = Result<Html<String>, PageError>;

pub(super) fn today() -> settle_core::Date {
    jiff::Zoned::now().date()
}

pub(super) fn not_for_sales(viewer: &Viewer) -> Result<(), PageError> {
    if viewer.is_sales() {
        Err(PageError::Problem(Problem::forbidden(
            "this page covers every customer; the sales role sees its own customers only",
        )))
    } else {
        Ok(())
    }
}

/// A form's action: the session's CSRF token and the permission checked, the work done by the
/// service, and a redirect to `back` saying what happened (or why not).
pub(super) async fn act<T, Fut>(
    viewer: &Viewer,
    csrf: &str,
    permission: Permission,
    back: &str,
    work: impl FnOnce() -> Fut + Send + 'static,
    done: impl FnOnce(T) -> String,
) -> Result<Response, PageError>
where
    Fut: std::future::Future<Output = settle_service::ServiceResult<T>>,
    T: Send + 'static,
{
    viewer.check_csrf(csrf)?;
    viewer.require(permission)?;
    Ok(match on_worker(work).await? {
        Ok(value) => redirect_with(back, "ok", &done(value)),
        Err(e) => redirect_with(back, "error", &e.to_string()),
    })
}

// ---- signing in ---------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(Query(query): Query<LoginQuery>) -> Html<String> {
    super::render_bare(
        "login.html",
        serde_json::json!({ "next": query.next, "user": "", "error": "" }),
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<std::net::SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let origin = format!("http {}", client.ip());
    let started = state
        .settle()
        .sign_in(&form.user, &form.password, &origin, state.session_idle())
        .await;
    match started {
        Ok(session) => {
            let secure = if state.config().secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
                session.secret
            );
            let mut response = Redirect::to(local_path(&form.next)).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => {
            let message = match &error {
                settle_service::ServiceError::Unauthenticated(why) => (*why).to_string(),
                other => other.to_string(),
            };
            let page = super::render_bare(
                "login.html",
                serde_json::json!({ "next": form.next, "user": form.user, "error": message }),
            );
            (axum::http::StatusCode::UNAUTHORIZED, page).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    let secret = crate::auth::cookie(&headers, SESSION_COOKIE).map(str::to_string);
    if let Some(secret) = secret {
        state.settle().sign_out(&secret).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("settle_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

// ---- dashboard ----------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct TotalCard {
    currency: String,
    total: String,
    unapplied: String,
    overdue_share: String,
}

#[derive(Debug, Serialize)]
struct TrendPoint {
    as_of: String,
    dso: String,
    cei: String,
    overdue: String,
}

pub(super) fn figure(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.1}{unit}"))
}

/// The last day of each of `count` months up to `as_of`'s, oldest first (`as_of` itself last).
pub(super) fn month_ends(as_of: settle_core::Date, count: usize) -> Vec<settle_core::Date> {
    let mut ends = vec![as_of];
    let mut first = as_of.first_of_month();
    for _ in 1..count {
        let end = first.yesterday().unwrap_or(first);
        ends.push(end);
        first = end.first_of_month();
    }
    ends.reverse();
    ends
}

pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(flash): Query<Flash>,
) -> Result<Response, PageError> {
    if viewer.is_sales() {
        // The dashboard covers every customer; a sales rep starts from their own.
        return Ok(Redirect::to("/customers").into_response());
    }
    let settle = state.settle();
    let as_of = today();
    let policy = AgingPolicy::standard(AgingBasis::DueDate);
    let aging = settle.aging(&policy, as_of).await?;
    let totals: Vec<TotalCard> = aging
        .report
        .totals
        .iter()
        .map(|row| {
            let overdue: i64 = row.buckets.iter().skip(1).map(|m| m.minor()).sum();
            let share =
                (row.total.minor() != 0).then(|| 100.0 * overdue as f64 / row.total.minor() as f64);
            TotalCard {
                currency: row.currency.code().to_string(),
                total: row.total.to_decimal_string(),
                unapplied: row.unapplied.to_decimal_string(),
                overdue_share: figure(share, " %"),
            }
        })
        .collect();
    let chart = chart::aging(&aging.report)
        .unwrap_or_else(|| "<p class=\"muted\">Nothing is open.</p>".to_string());
    let mut trend = Vec::new();
    for end in month_ends(as_of, 6) {
        let report = settle
            .kpis(end, DaysBasis::default(), KpiGrouping::Entity)
            .await?;
        let kpis = report.groups.first().and_then(|g| g.currencies.first());
        trend.push((
            end,
            kpis.and_then(|k| k.dso_90),
            kpis.and_then(|k| k.cei),
            kpis.and_then(|k| k.overdue_share),
        ));
    }
    let labels: Vec<String> = trend
        .iter()
        .map(|(d, ..)| d.strftime("%b").to_string())
        .collect();
    let trend_chart = chart::lines(
        "DSO (days) and CEI (%)",
        &labels,
        &[
            ("DSO", "#1f5fbf", trend.iter().map(|t| t.1).collect()),
            ("CEI", "#1e7d32", trend.iter().map(|t| t.2).collect()),
        ],
    );
    let trend: Vec<TrendPoint> = trend
        .into_iter()
        .map(|(end, dso, cei, overdue)| TrendPoint {
            as_of: end.to_string(),
            dso: figure(dso, ""),
            cei: figure(cei, " %"),
            overdue: figure(overdue, " %"),
        })
        .collect();
    let disputes = settle
        .disputes(&DisputeQuery {
            status: Some(DisputeStatus::Open),
            ..DisputeQuery::default()
        })
        .await?
        .len();
    let suggestions = settle.suggestions().await?.len();
    let approvals = settle.pending_approvals().await?.len();
    render(
        "dashboard.html",
        "dashboard",
        &viewer,
        &flash,
        serde_json::json!({ "as_of": as_of.to_string(), "totals": totals, "aging_chart": chart, "trend_chart": trend_chart, "trend": trend, "disputes": disputes, "suggestions": suggestions, "approvals": approvals }),
    )
    .map(IntoResponse::into_response)
}

// ---- customers ----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct CustomerSearch {
    #[serde(default)]
    q: String,
    after: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

pub async fn customers(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CustomerSearch>,
) -> Page {
    let filter = CustomerListFilter {
        search: query.q.clone(),
        sales_rep: viewer.is_sales().then(|| viewer.user.clone()),
        collector: None,
    };
    let page = state
        .settle()
        .customer_page(&filter, query.after.as_deref(), Some(100))
        .await?;
    render(
        "customers.html",
        "customers",
        &viewer,
        &query.flash,
        serde_json::json!({ "page": page, "q": query.q }),
    )
}

pub async fn account(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(flash): Query<Flash>,
) -> Page {
    let settle = state.settle();
    let view = settle.account(&code).await?;
    if viewer.is_sales() && view.sales_rep != viewer.user {
        return Err(Problem::not_found("no such customer among yours").into());
    }
    let today = today();
    // One after the other: a page holds one pooled connection at a time, so that many pages at
    // once never wait on each other for connections.
    let credit = settle
        .credit_status(&code, today, settle_core::credit::DEFAULT_PAST_DUE_DAYS)
        .await?;
    let promises = settle.promises(None, Some(&code)).await?;
    let plans = settle.plans(today, Some(&code)).await?;
    let credit = serde_json::json!({
        "hold": credit.hold,
        "exposure": credit.exposure,
        "use_percent": credit.use_permille.map(|p| format!("{}.{}", p / 10, p % 10)),
        "reasons": credit.reasons.iter().map(|r| r.reason.clone()).collect::<Vec<_>>(),
        "last_review": credit.last_review.as_ref().map(|r| r.reviewed_on.clone()),
    });
    render(
        "account.html",
        "customers",
        &viewer,
        &flash,
        serde_json::json!({
            "a": view,
            "today": today.to_string(),
            "credit": credit,
            "promises": promises,
            "plans": plans,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    channel: String,
    subject: String,
    #[serde(default)]
    outcome: String,
    back: Option<String>,
}

pub async fn log_contact(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Permission::Collect)?;
    let back = form
        .back
        .clone()
        .unwrap_or_else(|| format!("/customers/{code}"));
    let channel = match form.channel.parse::<ContactChannel>() {
        Ok(channel) => channel,
        Err(e) => return Ok(redirect_with(&back, "error", &e.to_string())),
    };
    let direction = if channel == ContactChannel::Note {
        ContactDirection::Internal
    } else {
        ContactDirection::Outbound
    };
    let settle = viewer.settle(&state);
    let customer = code.clone();
    let logged = on_worker(move || async move {
        settle
            .log_contact(&ContactRequest {
                customer,
                channel,
                direction,
                subject: form.subject,
                body: String::new(),
                outcome: form.outcome,
                next_step_on: None,
                occurred_at: None,
            })
            .await
    })
    .await?;
    Ok(match logged {
        Ok(entry) if entry.warnings.is_empty() => redirect_with(
            &back,
            "ok",
            &format!("Logged a {} with {code}.", channel.as_str()),
        ),
        Ok(entry) => redirect_with(
            &back,
            "ok",
            &format!("Logged, but note: {}", entry.warnings.join("; ")),
        ),
        Err(e) => redirect_with(&back, "error", &e.to_string()),
    })
}

#[derive(Debug, Deserialize)]
pub struct PromiseForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    amount: String,
    promised_on: String,
    #[serde(default)]
    invoices: String,
    back: Option<String>,
}

pub async fn promise(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Form(form): Form<PromiseForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    viewer.require(Permission::Collect)?;
    let back = form
        .back
        .clone()
        .unwrap_or_else(|| format!("/customers/{code}"));
    let Ok(promised_on) = form.promised_on.parse() else {
        return Ok(redirect_with(
            &back,
            "error",
            "the promised date is not a date",
        ));
    };
    let request = PromiseRequest {
        customer: code.clone(),
        amount: form.amount,
        promised_on,
        invoices: form
            .invoices
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        grace_days: 0,
        recorded_on: today(),
        note: String::new(),
    };
    let settle = viewer.settle(&state);
    let recorded = on_worker(move || async move { settle.promise(&request).await }).await?;
    Ok(match recorded {
        Ok(view) => redirect_with(
            &back,
            "ok",
            &format!(
                "Promise {} recorded: {} {} on {}.",
                view.id, view.amount, view.currency, view.promised_on
            ),
        ),
        Err(e) => redirect_with(&back, "error", &e.to_string()),
    })
}

// ---- cash application ---------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct CashQuery {
    #[serde(default)]
    customer: String,
    #[serde(flatten)]
    flash: Flash,
}

pub async fn cash(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CashQuery>,
) -> Page {
    not_for_sales(&viewer)?;
    let settle = state.settle();
    let suggestions = settle.suggestions().await?;
    let unapplied = settle.payment_page(true, None, None, Some(200)).await?;
    let items = if query.customer.is_empty() {
        None
    } else {
        Some(
            settle
                .open_item_page(Some(&query.customer), None, None, Some(200))
                .await?,
        )
    };
    render(
        "cash.html",
        "cash",
        &viewer,
        &query.flash,
        serde_json::json!({ "suggestions": suggestions, "unapplied": unapplied, "items": items, "customer": query.customer }),
    )
}

pub async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(decision): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let settle = viewer.settle(&state);
    let user = viewer.user.clone();
    act(
        &viewer,
        &form.csrf,
        Permission::WriteMoney,
        "/cash",
        move || async move { settle.accept_match(decision, &user).await },
        |accepted| {
            let invoices: Vec<String> = accepted
                .allocations
                .iter()
                .map(|a| format!("{} {}", a.number, a.cash.to_decimal_string()))
                .collect();
            format!("Applied: {}.", invoices.join(", "))
        },
    )
    .await
}

pub async fn reject(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(decision): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let settle = viewer.settle(&state);
    let user = viewer.user.clone();
    act(
        &viewer,
        &form.csrf,
        Permission::WriteMoney,
        "/cash",
        move || async move { settle.reject_match(decision, &user).await },
        |_| format!("Suggestion {decision} rejected."),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ApplyForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    payment_id: i64,
    invoice: String,
    #[serde(default)]
    amount: String,
}

pub async fn apply(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ApplyForm>,
) -> Result<Response, PageError> {
    let request = ApplyRequest {
        source: ApplySource::Payment(PaymentId(form.payment_id)),
        invoice: form.invoice.trim().to_string(),
        amount: (!form.amount.trim().is_empty()).then(|| form.amount.trim().to_string()),
        date: today(),
        discount: DiscountPolicy::WhenEarned,
    };
    let settle = viewer.settle(&state);
    act(
        &viewer,
        &form.csrf,
        Permission::WriteMoney,
        "/cash",
        move || async move { settle.apply(request, None).await },
        |outcome| {
            let a = outcome.value;
            format!(
                "Applied {} to {}; {} still open on it, {} left on payment {}.",
                a.amount, a.invoice, a.invoice_open, a.source_remaining, form.payment_id
            )
        },
    )
    .await
}

// ---- worklist, aging, disputes ------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct WorklistQuery {
    #[serde(default)]
    collector: String,
    #[serde(default)]
    bucket: String,
    #[serde(flatten)]
    flash: Flash,
}

pub async fn worklist(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<WorklistQuery>,
) -> Page {
    not_for_sales(&viewer)?;
    let as_of = today();
    let filter = WorklistFilter {
        collector: (!query.collector.is_empty()).then(|| query.collector.clone()),
        segment: None,
        bucket: (!query.bucket.is_empty()).then(|| query.bucket.clone()),
        disputed: None,
        limit: Some(100),
    };
    let ranking = state.ranking(as_of).await?;
    let entries = select(&ranking.entries, &filter)?;
    let ranked_at = ranking
        .ranked_at
        .to_zoned(jiff::tz::TimeZone::system())
        .strftime("%H:%M:%S")
        .to_string();
    render(
        "worklist.html",
        "worklist",
        &viewer,
        &query.flash,
        serde_json::json!({ "entries": entries, "as_of": as_of.to_string(), "ranked_at": ranked_at, "collector": query.collector, "bucket": query.bucket, "buckets": BUCKETS }),
    )
}

#[derive(Debug, Serialize)]
struct AgingLine {
    code: String,
    name: String,
    currency: String,
    buckets: Vec<String>,
    total: String,
    unapplied: String,
    net: String,
}

/// The accounts the aging page lists; the exports hold every one.
const AGING_ROWS_SHOWN: usize = 500;

pub async fn aging(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(flash): Query<Flash>,
) -> Page {
    not_for_sales(&viewer)?;
    let as_of = today();
    let policy = AgingPolicy::standard(AgingBasis::DueDate);
    let aging = state.settle().aging(&policy, as_of).await?;
    let line = |code: &str, name: &str, row: &settle_core::aging::AgingRow| AgingLine {
        code: code.to_string(),
        name: name.to_string(),
        currency: row.currency.code().to_string(),
        buckets: row.buckets.iter().map(|m| m.to_decimal_string()).collect(),
        total: row.total.to_decimal_string(),
        unapplied: row.unapplied.to_decimal_string(),
        net: row.net.to_decimal_string(),
    };
    let mut rows: Vec<(&str, &str, &settle_core::aging::AgingRow)> = aging.rows_by_code();
    let count = rows.len();
    rows.sort_by_key(|(_, _, row)| std::cmp::Reverse(row.total.minor()));
    let mut lines: Vec<AgingLine> = rows
        .iter()
        .take(AGING_ROWS_SHOWN)
        .map(|(code, name, row)| line(code, name, row))
        .collect();
    lines.extend(aging.report.totals.iter().map(|row| line("TOTAL", "", row)));
    let chart = chart::aging(&aging.report).unwrap_or_default();
    render(
        "aging.html",
        "aging",
        &viewer,
        &flash,
        serde_json::json!({ "as_of": as_of.to_string(), "labels": aging.report.labels, "rows": lines, "chart": chart, "more": count > AGING_ROWS_SHOWN, "count": count }),
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct DisputeFilterQuery {
    status: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

pub async fn disputes(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DisputeFilterQuery>,
) -> Page {
    not_for_sales(&viewer)?;
    let status_text = query.status.clone().unwrap_or_else(|| "open".into());
    let status = if status_text == "all" {
        None
    } else {
        Some(
            status_text
                .parse::<DisputeStatus>()
                .map_err(|e| Problem::bad_request(Some("status".into()), e.to_string()))?,
        )
    };
    let disputes = state
        .settle()
        .disputes(&DisputeQuery {
            status,
            ..DisputeQuery::default()
        })
        .await?;
    let disputes: Vec<serde_json::Value> = disputes.iter().map(|d| d.to_json()).collect();
    render(
        "disputes.html",
        "disputes",
        &viewer,
        &query.flash,
        serde_json::json!({ "disputes": disputes, "status": status_text, "statuses": ["open", "in_review", "credited", "rebilled", "reinstated", "written_off"] }),
    )
}

// ---- approvals ----------------------------------------------------------------------------

/// How many decided requests the approvals page lists.
const DECIDED_SHOWN: usize = 50;

pub async fn approvals(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(flash): Query<Flash>,
) -> Page {
    not_for_sales(&viewer)?;
    let all = state.settle().approvals(None).await?;
    let (pending, mut decided): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|a| a.status == settle_core::approval::ApprovalStatus::Pending);
    decided.sort_by(|a, b| b.decided_at.cmp(&a.decided_at));
    decided.truncate(DECIDED_SHOWN);
    render(
        "approvals.html",
        "approvals",
        &viewer,
        &flash,
        serde_json::json!({ "pending": pending, "decided": decided }),
    )
}

pub async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let settle = viewer.settle(&state);
    act(
        &viewer,
        &form.csrf,
        Permission::Approve,
        "/approvals",
        move || async move { settle.approve(id, None).await },
        |_| format!("Approval {id} approved and posted."),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct RejectForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    reason: String,
}

pub async fn reject_approval(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<RejectForm>,
) -> Result<Response, PageError> {
    let settle = viewer.settle(&state);
    let reason = form.reason;
    // A checker rejects, and a maker may withdraw their own request: the service decides who.
    act(
        &viewer,
        &form.csrf,
        Permission::Read,
        "/approvals",
        move || async move { settle.reject(id, &reason, None).await },
        |_| format!("Approval {id} rejected."),
    )
    .await
}
