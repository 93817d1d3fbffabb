//! Collections: the worklist, the contact log, promises to pay and disputes.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use settle_core::Date;
use settle_core::access::Permission;
use settle_core::contact::{ContactChannel, ContactDirection};
use settle_core::dispute::{DisputeReason, DisputeStatus};
use settle_core::dunning::DunningPolicy;
use settle_service::Decided;
use settle_service::collections::contacts::{ContactRequest, LoggedContact};
use settle_service::collections::promises::{PromiseRequest, PromiseView};
use settle_service::collections::worklist::{WorklistEntry, WorklistFilter, select};
use settle_service::disputes::{
    DisputeOpened, DisputeQuery, DisputeRequest, DisputeResolved, Resolution,
};

use super::{Written, parse_field, today};
use crate::auth::Caller;
use crate::extract::{Body, IdempotencyKey, Params};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::worker::on_worker;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorklistQuery {
    pub collector: Option<String>,
    pub segment: Option<String>,
    pub bucket: Option<String>,
    pub as_of: Option<Date>,
    pub limit: Option<usize>,
}

pub async fn worklist(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<WorklistQuery>,
) -> ApiResult<Json<Vec<WorklistEntry>>> {
    caller.require(Permission::Read)?;
    if caller.own_customers_only().is_some() {
        return Err(Problem::forbidden(
            "the worklist is not shown to the sales role",
        ));
    }
    let filter = WorklistFilter {
        collector: query.collector,
        segment: query.segment,
        bucket: query.bucket,
        disputed: None,
        limit: query.limit,
    };
    let today = today();
    let entries = match query.as_of {
        // Another day's worklist is ranked for the asking.
        Some(as_of) if as_of != today => {
            state
                .settle()
                .worklist(as_of, jiff::Timestamp::now(), &filter)
                .await?
        }
        _ => select(&state.ranking(today).await?.entries, &filter)?,
    };
    Ok(Json(entries))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub customer_id: String,
    pub channel: String,
    pub direction: Option<String>,
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub outcome: String,
    pub next_step_on: Option<Date>,
    pub occurred_at: Option<jiff::Timestamp>,
}

pub const CONTACT_FIELDS: &[(&str, &str, bool, &str)] = &[
    ("customer_id", "string", true, ""),
    (
        "channel",
        "string",
        true,
        "phone, email, letter, meeting or note",
    ),
    (
        "direction",
        "string",
        false,
        "outbound (default), inbound, or internal for a note",
    ),
    ("subject", "string", true, ""),
    ("body", "string", false, ""),
    ("outcome", "string", false, "what came of it"),
    ("next_step_on", "date", false, "when to follow up"),
    ("occurred_at", "date-time", false, "default: now"),
];

pub async fn log_contact(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewContact>,
) -> ApiResult<Written<LoggedContact>> {
    caller.require(Permission::Collect)?;
    let channel: ContactChannel = parse_field("channel", &body.channel)?;
    let direction = match body.direction.as_deref() {
        Some(text) => parse_field::<ContactDirection>("direction", text)?,
        None if channel == ContactChannel::Note => ContactDirection::Internal,
        None => ContactDirection::Outbound,
    };
    let request = ContactRequest {
        customer: body.customer_id,
        channel,
        direction,
        subject: body.subject,
        body: body.body,
        outcome: body.outcome,
        next_step_on: body.next_step_on,
        occurred_at: body.occurred_at,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move {
        settle
            .replayable("log_contact", &format!("{request:?}"), async || {
                settle.log_contact(&request).await
            })
            .await
    })
    .await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPromise {
    pub customer_id: String,
    pub amount: String,
    pub promised_on: Date,
    #[serde(default)]
    pub invoices: Vec<String>,
    #[serde(default)]
    pub grace_days: u32,
    #[serde(default)]
    pub note: String,
}

pub const PROMISE_FIELDS: &[(&str, &str, bool, &str)] = &[
    ("customer_id", "string", true, ""),
    ("amount", "string", true, "decimal text"),
    ("promised_on", "date", true, "the day the customer will pay"),
    ("invoices", "array", false, "the invoice numbers it covers"),
    (
        "grace_days",
        "integer",
        false,
        "days after which it counts as broken",
    ),
    ("note", "string", false, ""),
];

pub async fn promise(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewPromise>,
) -> ApiResult<Written<PromiseView>> {
    caller.require(Permission::Collect)?;
    let request = PromiseRequest {
        customer: body.customer_id,
        amount: body.amount,
        promised_on: body.promised_on,
        invoices: body.invoices,
        grace_days: body.grace_days,
        recorded_on: today(),
        note: body.note,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move {
        settle
            .replayable("promise", &format!("{request:?}"), async || {
                settle.promise(&request).await
            })
            .await
    })
    .await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeListQuery {
    pub status: Option<String>,
    pub customer_id: Option<String>,
}

pub async fn disputes(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<DisputeListQuery>,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    caller.require(Permission::Read)?;
    if caller.own_customers_only().is_some() && query.customer_id.is_none() {
        return Err(Problem::bad_request(
            Some("customer_id".into()),
            "name one of your customers",
        ));
    }
    if let Some(code) = &query.customer_id
        && caller.own_customers_only().is_some()
    {
        let sales_rep = state.settle().customer_sales_rep(code).await?;
        caller.require_customer(&sales_rep)?;
    }
    let query = DisputeQuery {
        status: query
            .status
            .as_deref()
            .map(|s| parse_field::<DisputeStatus>("status", s))
            .transpose()?,
        owner: None,
        customer: query.customer_id,
        overdue_as_of: None,
    };
    let disputes = state.settle().disputes(&query).await?;
    Ok(Json(disputes.iter().map(|d| d.to_json()).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDispute {
    pub invoice: String,
    pub amount: String,
    pub reason: String,
    pub line: Option<i64>,
    #[serde(default)]
    pub owner: String,
    pub due: Option<Date>,
    #[serde(default)]
    pub note: String,
    pub date: Option<Date>,
}

pub const DISPUTE_FIELDS: &[(&str, &str, bool, &str)] = &[
    ("invoice", "string", true, ""),
    (
        "amount",
        "string",
        true,
        "the amount disputed, decimal text",
    ),
    (
        "reason",
        "string",
        true,
        "pricing, quantity, damaged, not_received, duplicate_billing, tax, deduction, other",
    ),
    ("line", "integer", false, "the invoice line disputed"),
    ("owner", "string", false, "who works it"),
    ("due", "date", false, "when it should be settled"),
    ("note", "string", false, ""),
    ("date", "date", false, "default: today"),
];

pub async fn open_dispute(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewDispute>,
) -> ApiResult<Written<DisputeOpened>> {
    caller.require(Permission::Collect)?;
    let request = DisputeRequest {
        invoice: body.invoice,
        amount: body.amount,
        reason: parse_field::<DisputeReason>("reason", &body.reason)?,
        line: body.line,
        owner: body.owner,
        due: body.due,
        note: body.note,
        date: body.date.unwrap_or_else(today),
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move { settle.open_dispute(request).await }).await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveDispute {
    pub resolution: String,
    pub amount: Option<String>,
    pub replacement: Option<String>,
    #[serde(default)]
    pub direct: bool,
    pub date: Option<Date>,
    #[serde(default)]
    pub note: String,
}

pub const RESOLVE_FIELDS: &[(&str, &str, bool, &str)] = &[
    (
        "resolution",
        "string",
        true,
        "credit_memo, rebill, reinstate or write_off",
    ),
    (
        "amount",
        "string",
        false,
        "credit_memo: what to credit (default: the disputed amount)",
    ),
    (
        "replacement",
        "string",
        false,
        "rebill: the invoice that replaces the disputed one",
    ),
    (
        "direct",
        "boolean",
        false,
        "write_off: to expense instead of the allowance",
    ),
    ("date", "date", false, "default: today"),
    ("note", "string", false, ""),
];

/// 201 with what was posted, or 202 with the approval it waits for.
pub async fn resolve_dispute(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Path(dispute_id): Path<i64>,
    Body(body): Body<ResolveDispute>,
) -> ApiResult<Written<Decided<DisputeResolved>>> {
    caller.require(Permission::Collect)?;
    let resolution =
        Resolution::from_parts(&body.resolution, body.amount, body.replacement, body.direct)?;
    let date = body.date.unwrap_or_else(today);
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move {
        settle
            .resolve_dispute(dispute_id, resolution, date, &body.note)
            .await
    })
    .await??;
    Ok(Written::<DisputeResolved>::decided(outcome))
}

/// The dunning policies in force, by name: the same JSON `put_policy` takes.
pub async fn dunning_policies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<DunningPolicy>>> {
    caller.require(Permission::Approve)?;
    Ok(Json(state.settle().dunning_policies().await?))
}

/// Stores a dunning policy under its name, replacing one of the same name; the body is the
/// policy as JSON (levels, grace days, rest days, templates), checked whole before it is kept.
pub async fn put_dunning_policy(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(policy): Body<serde_json::Value>,
) -> ApiResult<Written<DunningPolicy>> {
    caller.require(Permission::Administer)?;
    let json = policy.to_string();
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move {
        settle
            .replayable("put_dunning_policy", &json, async || {
                settle.put_dunning_policy(&json).await
            })
            .await
    })
    .await??;
    Ok(Written::ok(outcome))
}

pub async fn delete_dunning_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    caller.require(Permission::Administer)?;
    let settle = caller.settle(&state);
    on_worker(move || async move { settle.delete_dunning_policy(&name).await }).await??;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
