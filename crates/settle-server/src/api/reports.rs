//! Reports as JSON tables, and the same tables as CSV or XLSX files. A report is built once,
//! as the service's export table, whichever form it is sent in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use settle_core::Date;
use settle_core::access::Permission;
use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_core::kpi::DaysBasis;
use settle_service::collections::worklist::WorklistFilter;
use settle_service::export::{Table, TableFormat, reports};
use settle_service::kpis::KpiGrouping;

use super::today;
use crate::auth::Caller;
use crate::extract::Params;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    pub as_of: Option<Date>,
    /// `csv` or `xlsx` for exports.
    pub format: Option<String>,
}

/// The reports that are about every customer are not a sales rep's to read.
fn whole_ledger(caller: &Caller) -> ApiResult<()> {
    caller.require(Permission::Read)?;
    if caller.own_customers_only().is_some() {
        return Err(Problem::forbidden(
            "reports over the whole ledger are not shown to the sales role",
        ));
    }
    Ok(())
}

async fn table(state: &AppState, report: &str, as_of: Date) -> ApiResult<Table> {
    let settle = state.settle();
    let policy = AgingPolicy::standard(AgingBasis::DueDate);
    Ok(match report {
        "aging" => reports::aging_summary(&settle.aging(&policy, as_of).await?),
        "aging-detail" => reports::aging_detail(&settle.aging_detail(&policy, as_of).await?),
        "kpis" => reports::kpis(
            &settle
                .kpis(as_of, DaysBasis::default(), KpiGrouping::Entity)
                .await?,
        ),
        "worklist" => reports::worklist(
            &settle
                .worklist(as_of, jiff::Timestamp::now(), &WorklistFilter::default())
                .await?,
        )?,
        other => {
            return Err(Problem::not_found(format!(
                "no report {other:?} (aging, aging-detail, kpis, worklist)"
            )));
        }
    })
}

/// A report over the whole ledger as its JSON table.
async fn report(
    state: &AppState,
    caller: &Caller,
    query: &AsOf,
    name: &str,
) -> ApiResult<Json<serde_json::Value>> {
    whole_ledger(caller)?;
    let as_of = query.as_of.unwrap_or_else(today);
    Ok(Json(table(state, name, as_of).await?.to_json()))
}

pub async fn aging(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<AsOf>,
) -> ApiResult<Json<serde_json::Value>> {
    report(&state, &caller, &query, "aging").await
}

pub async fn kpis(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<AsOf>,
) -> ApiResult<Json<serde_json::Value>> {
    report(&state, &caller, &query, "kpis").await
}

pub async fn trial_balance(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<AsOf>,
) -> ApiResult<Json<serde_json::Value>> {
    whole_ledger(&caller)?;
    let balance = state.settle().trial_balance(query.as_of).await?;
    let rows: Vec<serde_json::Value> = balance
        .rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "account": row.account,
                "name": row.name,
                "role": row.role.name(),
                "debit": row.debit,
                "credit": row.credit,
                "balance": row.balance,
            })
        })
        .collect();
    let totals: Vec<serde_json::Value> = balance
        .totals
        .iter()
        .map(|total| {
            serde_json::json!({
                "currency": total.currency.code(),
                "debit": total.debit,
                "credit": total.credit,
                "balance": total.balance,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "as_of": balance.as_of,
        "rows": rows,
        "totals": totals,
    })))
}

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(report): Path<String>,
    Params(query): Params<AsOf>,
) -> ApiResult<Response> {
    whole_ledger(&caller)?;
    let (name, format) = match report.rsplit_once('.') {
        Some((name, "csv")) => (name, TableFormat::Csv),
        Some((name, "xlsx")) => (name, TableFormat::Xlsx),
        _ => match query.format.as_deref() {
            None | Some("csv") => (report.as_str(), TableFormat::Csv),
            Some("xlsx") => (report.as_str(), TableFormat::Xlsx),
            Some(other) => {
                return Err(Problem::bad_request(
                    Some("format".into()),
                    format!("{other:?} is neither csv nor xlsx"),
                ));
            }
        },
    };
    let as_of = query.as_of.unwrap_or_else(today);
    let table = table(&state, name, as_of).await?;
    let bytes = table
        .to_bytes(format)
        .map_err(|e| Problem::from(settle_service::ServiceError::Refused(e.to_string())))?;
    let (content_type, extension) = match format {
        TableFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        TableFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{name}-{as_of}.{extension}\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
