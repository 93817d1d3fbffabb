//! The period close: a period's checklist, the general ledger's figures for it (imported, and
//! reconciled with the subledger), closing it (waiving what blocks, with reasons) and
//! reopening the latest closed one. Closing and reopening are a manager's or admin's act; the
//! service checks the role again and records who did it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;

use settle_core::Date;
use settle_core::access::Permission;
use settle_service::close::{Checklist, Closed, Reopened};
use settle_service::gl_recon::GlReconciliation;
use settle_service::import::gl::GlImportReport;

use super::{Written, today};
use crate::auth::Caller;
use crate::extract::{Body, IdempotencyKey};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::worker::on_worker;

/// The close reads the whole ledger: not a sales rep's to see.
fn whole_ledger(caller: &Caller) -> ApiResult<()> {
    caller.require(Permission::Read)?;
    if caller.own_customers_only().is_some() {
        return Err(Problem::forbidden(
            "the period close is not shown to the sales role",
        ));
    }
    Ok(())
}

pub async fn checklist(
    State(state): State<AppState>,
    caller: Caller,
    Path(period): Path<String>,
) -> ApiResult<Json<Checklist>> {
    whole_ledger(&caller)?;
    Ok(Json(state.settle().close_checklist(&period).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The checklist item's key.
    pub item: String,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// The day the close is done on; default today.
    pub date: Option<Date>,
}

pub const CLOSE_FIELDS: &[(&str, &str, bool, &str)] = &[
    (
        "waivers",
        "array",
        false,
        "{item, reason}: a blocking checklist item let through, with why",
    ),
    ("date", "date", false, "the day of the close; default today"),
];

pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Path(period): Path<String>,
    Body(body): Body<CloseBody>,
) -> ApiResult<Written<Closed>> {
    caller.require(Permission::Close)?;
    for (index, waiver) in body.waivers.iter().enumerate() {
        if waiver.reason.trim().is_empty() {
            return Err(Problem::bad_request(
                Some(format!("waivers[{index}].reason")),
                format!("waiving {:?} needs a reason", waiver.item),
            ));
        }
    }
    let waivers: Vec<(String, String)> = body
        .waivers
        .into_iter()
        .map(|w| (w.item, w.reason))
        .collect();
    let date = body.date.unwrap_or_else(today);
    let settle = super::acting(&state, &caller, &key);
    let fingerprint = format!("{period} {date} {waivers:?}");
    let outcome = on_worker(move || async move {
        settle
            .replayable("close_period", &fingerprint, async || {
                settle.close_period(&period, date, &waivers).await
            })
            .await
    })
    .await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    pub reason: String,
}

pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Path(period): Path<String>,
    Body(body): Body<ReopenBody>,
) -> ApiResult<Written<Reopened>> {
    caller.require(Permission::Close)?;
    if body.reason.trim().is_empty() {
        return Err(Problem::bad_request(
            Some("reason".into()),
            "reopening a period needs a reason",
        ));
    }
    let settle = super::acting(&state, &caller, &key);
    let fingerprint = format!("{period} {}", body.reason);
    let outcome = on_worker(move || async move {
        settle
            .replayable("reopen_period", &fingerprint, async || {
                settle.reopen_period(&period, &body.reason).await
            })
            .await
    })
    .await??;
    Ok(Written::ok(outcome))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlFileQuery {
    /// The file's name, for the record; the body is the file.
    pub file_name: Option<String>,
}

/// The general ledger's balances or control-account postings for the period, as the CSV the
/// CLI's `settle gl import` reads, sent as the body. The same file twice is recorded once.
pub async fn import_gl(
    State(state): State<AppState>,
    caller: Caller,
    Path(period): Path<String>,
    crate::extract::Params(query): crate::extract::Params<GlFileQuery>,
    body: Bytes,
) -> ApiResult<Json<GlImportReport>> {
    caller.require(Permission::Close)?;
    let upload = crate::upload::Upload::of_request(
        &body,
        query.file_name.as_deref(),
        "gl.csv",
        "the general ledger's CSV",
    )?;
    let settle = caller.settle(&state);
    let report = on_worker(move || async move {
        let report = settle.import_gl(upload.path(), &period).await;
        drop(upload);
        report
    })
    .await??;
    Ok(Json(report))
}

/// The subledger against the general ledger for the period; 404 when no GL figures were
/// imported for it.
pub async fn gl_reconciliation(
    State(state): State<AppState>,
    caller: Caller,
    Path(period): Path<String>,
) -> ApiResult<Json<GlReconciliation>> {
    whole_ledger(&caller)?;
    let reconciliation = state
        .settle()
        .gl_reconciliation(&period)
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!("no general ledger figures imported for {period}"))
        })?;
    Ok(Json(reconciliation))
}
