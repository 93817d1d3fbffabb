//! Cash application: bank files in, matching runs, and the suggestions a clerk accepts or
//! rejects.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;

use settle_core::access::Permission;
use settle_service::Outcome;
use settle_service::import::bank::{BankImportOptions, BankImportReport};
use settle_service::listing::Suggestion;
use settle_service::matching::{Accepted, MatchOptions, MatchRunReport};

use super::Written;
use crate::auth::Caller;
use crate::extract::{IdempotencyKey, Params};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::worker::on_worker;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankImportQuery {
    pub file_name: Option<String>,
    pub bank_account: Option<String>,
    #[serde(default)]
    pub strict: bool,
}

/// The body is the file. It is written to a private temporary file under its own name, so that
/// the import's messages and log name the file the user sent; the same file sent twice is
/// recognised by its fingerprint and posts nothing the second time.
pub async fn import_bank(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<BankImportQuery>,
    body: Bytes,
) -> ApiResult<Json<BankImportReport>> {
    caller.require(Permission::WriteMoney)?;
    let upload = crate::upload::Upload::of_request(
        &body,
        query.file_name.as_deref(),
        "upload",
        "the bank file",
    )?;
    let options = BankImportOptions {
        bank_account: query.bank_account,
        column_map: None,
        strict: query.strict,
    };
    let settle = caller.settle(&state);
    let report = on_worker(move || async move {
        let report = settle.import_bank(upload.path(), &options).await;
        drop(upload);
        report
    })
    .await??;
    Ok(Json(report))
}

pub async fn run_matching(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<MatchRunReport>> {
    caller.require(Permission::WriteMoney)?;
    let settle = caller.settle(&state);
    let report =
        on_worker(move || async move { settle.run_matching(&MatchOptions::default()).await })
            .await??;
    Ok(Json(report))
}

pub async fn suggestions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Suggestion>>> {
    caller.require(Permission::Read)?;
    if caller.own_customers_only().is_some() {
        return Err(Problem::forbidden(
            "cash application is not shown to the sales role",
        ));
    }
    Ok(Json(state.settle().suggestions().await?))
}

pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Path(decision): Path<i64>,
) -> ApiResult<Written<Accepted>> {
    caller.require(Permission::WriteMoney)?;
    let settle = super::acting(&state, &caller, &key);
    let user = caller.user.clone();
    let outcome: Outcome<Accepted> = on_worker(move || async move {
        settle
            .replayable("accept_match", &decision.to_string(), async || {
                settle.accept_match(decision, &user).await
            })
            .await
    })
    .await??;
    Ok(Written::ok(outcome))
}

pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Path(decision): Path<i64>,
) -> ApiResult<Written<Vec<String>>> {
    caller.require(Permission::WriteMoney)?;
    let settle = super::acting(&state, &caller, &key);
    let user = caller.user.clone();
    let outcome = on_worker(move || async move {
        settle
            .replayable("reject_match", &decision.to_string(), async || {
                settle.reject_match(decision, &user).await
            })
            .await
    })
    .await??;
    Ok(Written::ok(outcome))
}
