//! Documents as PDF: an invoice (or memo) by number, and a customer's statement as of a date,
//! laid out by the server's printer with the company's current letterhead.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use settle_core::Date;
use settle_core::access::Permission;
use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_service::documents::{StatementKind, StatementRequest, file_name_part};

use super::today;
use crate::auth::Caller;
use crate::extract::Params;
use crate::problem::{ApiResult, Problem};
use crate::state::{AppState, pdf_response};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    pub as_of: Option<Date>,
    /// `open-item` (the default) or `balance-forward`.
    pub kind: Option<String>,
    /// The period's first day, for a balance-forward statement.
    pub from: Option<Date>,
}

pub async fn invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> ApiResult<Response> {
    caller.require(Permission::Read)?;
    let printer = state.printer().await?;
    let settle = state.settle();
    let data = settle.invoice_document(&printer, &number).await?;
    if caller.own_customers_only().is_some() {
        let sales_rep = settle
            .customer_sales_rep(&data.letterhead.customer.code)
            .await?;
        caller.require_customer(&sales_rep)?;
    }
    let bytes = AppState::render_pdf(printer, data).await?;
    Ok(pdf_response(
        bytes,
        &format!("{}.pdf", file_name_part(&number)),
    ))
}

pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Params(query): Params<StatementQuery>,
) -> ApiResult<Response> {
    caller.require(Permission::Read)?;
    let settle = state.settle();
    let sales_rep = settle.customer_sales_rep(&code).await?;
    caller.require_customer(&sales_rep)?;
    let kind = match query.kind.as_deref() {
        None | Some("open-item") => StatementKind::OpenItem,
        Some("balance-forward") => StatementKind::BalanceForward,
        Some(other) => {
            return Err(Problem::bad_request(
                Some("kind".into()),
                format!("{other:?} is neither open-item nor balance-forward"),
            ));
        }
    };
    let as_of = query.as_of.unwrap_or_else(today);
    let printer = state.printer().await?;
    let run = settle
        .prepare_statements(
            &printer,
            &StatementRequest {
                as_of,
                kind,
                from: query.from,
                customers: vec![code.clone()],
                policy: AgingPolicy::standard(AgingBasis::DueDate),
            },
        )
        .await?;
    let data = run
        .statements
        .into_iter()
        .next()
        .ok_or_else(|| Problem::not_found(format!("no statement of {code}")))?;
    let bytes = AppState::render_pdf(printer, data).await?;
    Ok(pdf_response(
        bytes,
        &format!("statement-{}-{as_of}.pdf", file_name_part(&code)),
    ))
}
