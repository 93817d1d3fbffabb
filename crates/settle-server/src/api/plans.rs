//! Promises to pay and payment plans: listing them, cancelling a promise, agreeing a plan.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use settle_core::Date;
use settle_core::access::Permission;
use settle_service::collections::promises::{PlanRequest, PlanView, PromiseView};

use super::{Written, today};
use crate::auth::Caller;
use crate::extract::{Body, IdempotencyKey, Params};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::worker::on_worker;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentQuery {
    pub status: Option<String>,
    pub customer_id: Option<String>,
}

/// A sales rep names one of their own customers; everyone else may list the whole book.
async fn check_customer(
    state: &AppState,
    caller: &Caller,
    customer: Option<&str>,
) -> ApiResult<()> {
    caller.require(Permission::Read)?;
    if caller.own_customers_only().is_none() {
        return Ok(());
    }
    let Some(code) = customer else {
        return Err(Problem::bad_request(
            Some("customer_id".into()),
            "name one of your customers",
        ));
    };
    let sales_rep = state.settle().customer_sales_rep(code).await?;
    caller.require_customer(&sales_rep)
}

pub async fn promises(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<CommitmentQuery>,
) -> ApiResult<Json<Vec<PromiseView>>> {
    check_customer(&state, &caller, query.customer_id.as_deref()).await?;
    let promises = state
        .settle()
        .promises(query.status.as_deref(), query.customer_id.as_deref())
        .await?;
    Ok(Json(promises))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    pub date: Option<Date>,
}

pub async fn cancel_promise(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Path(promise): Path<i64>,
    Params(cancellation): Params<Cancellation>,
) -> ApiResult<Written<PromiseView>> {
    caller.require(Permission::Collect)?;
    let on = cancellation.date.unwrap_or_else(today);
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move {
        settle
            .replayable("cancel_promise", &format!("{promise} {on}"), async || {
                settle.cancel_promise(promise, on).await
            })
            .await
    })
    .await??;
    Ok(Written::ok(outcome))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub customer_id: Option<String>,
    pub as_of: Option<Date>,
}

pub async fn plans(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<PlanQuery>,
) -> ApiResult<Json<Vec<PlanView>>> {
    check_customer(&state, &caller, query.customer_id.as_deref()).await?;
    let plans = state
        .settle()
        .plans(
            query.as_of.unwrap_or_else(today),
            query.customer_id.as_deref(),
        )
        .await?;
    Ok(Json(plans))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub customer_id: String,
    pub invoices: Vec<String>,
    pub total: Option<String>,
    pub instalments: Option<u32>,
    pub first_due: Option<Date>,
    #[serde(default)]
    pub schedule: Vec<NewInstalment>,
    #[serde(default)]
    pub grace_days: u32,
    pub agreed_on: Option<Date>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInstalment {
    pub due_on: Date,
    pub amount: String,
}

pub const PLAN_FIELDS: &[(&str, &str, bool, &str)] = &[
    ("customer_id", "string", true, ""),
    (
        "invoices",
        "array",
        true,
        "the invoice numbers the plan covers",
    ),
    (
        "total",
        "string",
        false,
        "the agreed total; default what is open on the invoices",
    ),
    (
        "instalments",
        "integer",
        false,
        "equal monthly instalments from first_due …",
    ),
    ("first_due", "date", false, ""),
    (
        "schedule",
        "array",
        false,
        "… or instalments by hand: [{due_on, amount}]",
    ),
    (
        "grace_days",
        "integer",
        false,
        "days an instalment may be late before the plan is broken",
    ),
    ("agreed_on", "date", false, "default today"),
    ("note", "string", false, ""),
];

pub async fn create_plan(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewPlan>,
) -> ApiResult<Written<PlanView>> {
    caller.require(Permission::Collect)?;
    let request = PlanRequest {
        customer: body.customer_id,
        invoices: body.invoices,
        total: body.total,
        instalments: body.instalments,
        first_due: body.first_due,
        schedule: body
            .schedule
            .into_iter()
            .map(|i| (i.due_on, i.amount))
            .collect(),
        grace_days: body.grace_days,
        agreed_on: body.agreed_on.unwrap_or_else(today),
        note: body.note,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move {
        settle
            .replayable("create_plan", &format!("{request:?}"), async || {
                settle.create_plan(&request).await
            })
            .await
    })
    .await??;
    Ok(Written::created(outcome))
}
