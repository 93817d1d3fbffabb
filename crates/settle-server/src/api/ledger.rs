//! Money writes: invoices, payments, applications, memos, adjustments, write-offs, refunds.
//! Each request body is read into the service's request, amounts as decimal text in the
//! currency of what they act on, dates as ISO 8601; the service decides and posts.

use axum::extract::{Path, State};
use serde::Deserialize;

use settle_core::Date;
use settle_core::access::Permission;
use settle_core::document::ItemKind;
use settle_core::events::{DiscountPolicy, WriteOffPolicy};
use settle_core::ids::{ApplicationId, PaymentId};
use settle_core::payment::PaymentMethod;
use settle_core::reason::ReasonCode;
use settle_service::{
    AdjustRequest, ApplyRequest, ApplySource, Decided, InvoiceRequest, MemoRequest, PaymentRequest,
    RefundFrom, RefundRequest, WriteOffRequest,
};

use super::{Written, parse_field, today};
use crate::auth::Caller;
use crate::extract::{Body, IdempotencyKey, Params};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::worker::on_worker;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLine {
    pub description: String,
    pub net: String,
    #[serde(default = "zero")]
    pub tax: String,
}

fn zero() -> String {
    "0".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    pub customer_id: String,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub currency: Option<String>,
    pub lines: Vec<InvoiceLine>,
    #[serde(default)]
    pub po_number: String,
    #[serde(default)]
    pub description: String,
}

pub async fn create_invoice(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewInvoice>,
) -> ApiResult<Written<settle_service::DocumentIssued>> {
    caller.require(Permission::WriteMoney)?;
    if body.lines.is_empty() {
        return Err(Problem::bad_request(
            Some("lines".into()),
            "an invoice needs at least one line",
        ));
    }
    let request = InvoiceRequest {
        customer: body.customer_id,
        number: body.number,
        issue_date: body.issue_date,
        due_date: body.due_date,
        currency: body
            .currency
            .as_deref()
            .map(|c| parse_field("currency", c))
            .transpose()?,
        lines: body
            .lines
            .into_iter()
            .map(|l| (l.description, l.net, l.tax))
            .collect(),
        po_number: body.po_number,
        description: body.description,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome =
        on_worker(move || async move { settle.create_invoice(request, None).await }).await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    /// `None` for cash whose payer is not known yet.
    pub customer_id: Option<String>,
    pub amount: String,
    pub currency: Option<String>,
    pub received_on: Option<Date>,
    pub method: String,
    pub bank_reference: String,
    pub bank_account: String,
    #[serde(default)]
    pub payer_name: String,
    #[serde(default)]
    pub payer_account: String,
    #[serde(default)]
    pub memo: String,
}

pub async fn post_payment(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewPayment>,
) -> ApiResult<Written<settle_service::PaymentPosted>> {
    caller.require(Permission::WriteMoney)?;
    let request = PaymentRequest {
        customer: body.customer_id,
        amount: body.amount,
        currency: body
            .currency
            .as_deref()
            .map(|c| parse_field("currency", c))
            .transpose()?,
        received_on: body.received_on.unwrap_or_else(today),
        method: parse_field::<PaymentMethod>("method", &body.method)?,
        bank_reference: body.bank_reference,
        bank_account: body.bank_account,
        payer_name: body.payer_name,
        payer_account: body.payer_account,
        memo: body.memo,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome =
        on_worker(move || async move { settle.post_payment(request, None).await }).await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// Apply a payment's unapplied cash …
    pub payment_id: Option<i64>,
    /// … or a credit memo's unused credit.
    pub credit_memo: Option<String>,
    pub invoice: String,
    /// Everything that fits when absent.
    pub amount: Option<String>,
    pub date: Option<Date>,
    /// Take an earned early-payment discount (default true).
    #[serde(default = "yes")]
    pub discount: bool,
}

fn yes() -> bool {
    true
}

pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewApplication>,
) -> ApiResult<Written<settle_service::Applied>> {
    caller.require(Permission::WriteMoney)?;
    let source = match (body.payment_id, body.credit_memo) {
        (Some(id), None) => ApplySource::Payment(PaymentId(id)),
        (None, Some(memo)) => ApplySource::CreditMemo(memo),
        _ => {
            return Err(Problem::bad_request(
                Some("payment_id".into()),
                "name either payment_id or credit_memo",
            ));
        }
    };
    let request = ApplyRequest {
        source,
        invoice: body.invoice,
        amount: body.amount,
        date: body.date.unwrap_or_else(today),
        discount: if body.discount {
            DiscountPolicy::WhenEarned
        } else {
            DiscountPolicy::Never
        },
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move { settle.apply(request, None).await }).await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reversal {
    pub date: Option<Date>,
}

pub async fn unapply(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Path(application): Path<i64>,
    Params(reversal): Params<Reversal>,
) -> ApiResult<Written<settle_service::Unapplied>> {
    caller.require(Permission::WriteMoney)?;
    let date = reversal.date.unwrap_or_else(today);
    let settle = super::acting(&state, &caller, &key);
    let outcome =
        on_worker(
            move || async move { settle.unapply(ApplicationId(application), date, None).await },
        )
        .await??;
    Ok(Written::ok(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMemo {
    pub customer_id: String,
    pub number: Option<String>,
    /// Total including tax.
    pub amount: String,
    pub tax: Option<String>,
    pub currency: Option<String>,
    pub reason: String,
    pub date: Option<Date>,
    pub due_date: Option<Date>,
    #[serde(default)]
    pub description: String,
    /// A credit memo can be applied to an invoice at once.
    pub apply_to: Option<String>,
}

async fn memo(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    kind: ItemKind,
    body: NewMemo,
) -> ApiResult<Written<Decided<settle_service::DocumentIssued>>> {
    caller.require(Permission::WriteMoney)?;
    let request = MemoRequest {
        kind,
        customer: body.customer_id,
        number: body.number,
        amount: body.amount,
        tax: body.tax,
        currency: body
            .currency
            .as_deref()
            .map(|c| parse_field("currency", c))
            .transpose()?,
        reason: parse_field::<ReasonCode>("reason", &body.reason)?,
        date: body.date.unwrap_or_else(today),
        due_date: body.due_date,
        description: body.description,
        apply_to: body.apply_to,
    };
    let settle = super::acting(state, caller, key);
    let outcome =
        on_worker(move || async move { settle.issue_memo(request, None).await }).await??;
    Ok(Written::decided(outcome))
}

pub async fn credit_memo(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewMemo>,
) -> ApiResult<Written<Decided<settle_service::DocumentIssued>>> {
    memo(&state, &caller, &key, ItemKind::CreditMemo, body).await
}

pub async fn debit_memo(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewMemo>,
) -> ApiResult<Written<Decided<settle_service::DocumentIssued>>> {
    if body.apply_to.is_some() {
        return Err(Problem::bad_request(
            Some("apply_to".into()),
            "only a credit memo is applied to an invoice",
        ));
    }
    memo(&state, &caller, &key, ItemKind::DebitMemo, body).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAdjustment {
    pub item: String,
    /// Signed: negative lowers what is owed.
    pub change: String,
    pub reason: String,
    pub date: Option<Date>,
    #[serde(default)]
    pub memo: String,
}

pub async fn adjust(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewAdjustment>,
) -> ApiResult<Written<settle_service::Adjusted>> {
    caller.require(Permission::WriteMoney)?;
    let request = AdjustRequest {
        item: body.item,
        change: body.change,
        reason: parse_field::<ReasonCode>("reason", &body.reason)?,
        date: body.date.unwrap_or_else(today),
        memo: body.memo,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move { settle.adjust(request, None).await }).await??;
    Ok(Written::created(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWriteOff {
    pub invoice: String,
    /// Everything open when absent.
    pub amount: Option<String>,
    pub reason: String,
    pub date: Option<Date>,
    /// `allowance` (default) or `direct`.
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub memo: String,
}

pub async fn write_off(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewWriteOff>,
) -> ApiResult<Written<Decided<settle_service::Adjusted>>> {
    caller.require(Permission::WriteMoney)?;
    let policy = match body.policy.as_deref() {
        None | Some("allowance") => WriteOffPolicy::Allowance,
        Some("direct") => WriteOffPolicy::DirectExpense,
        Some(other) => {
            return Err(Problem::bad_request(
                Some("policy".into()),
                format!("{other:?} is neither allowance nor direct"),
            ));
        }
    };
    let request = WriteOffRequest {
        invoice: body.invoice,
        amount: body.amount,
        reason: parse_field::<ReasonCode>("reason", &body.reason)?,
        date: body.date.unwrap_or_else(today),
        policy,
        memo: body.memo,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move { settle.write_off(request, None).await }).await??;
    Ok(Written::decided(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    pub payment_id: Option<i64>,
    pub credit_memo: Option<String>,
    pub amount: Option<String>,
    pub reason: String,
    pub date: Option<Date>,
    pub bank_account: String,
    #[serde(default)]
    pub memo: String,
}

pub async fn refund(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewRefund>,
) -> ApiResult<Written<Decided<settle_service::Refunded>>> {
    caller.require(Permission::WriteMoney)?;
    let source = match (body.payment_id, body.credit_memo) {
        (Some(id), None) => RefundFrom::Payment(PaymentId(id)),
        (None, Some(memo)) => RefundFrom::CreditMemo(memo),
        _ => {
            return Err(Problem::bad_request(
                Some("payment_id".into()),
                "name either payment_id or credit_memo",
            ));
        }
    };
    let request = RefundRequest {
        source,
        amount: body.amount,
        reason: parse_field::<ReasonCode>("reason", &body.reason)?,
        date: body.date.unwrap_or_else(today),
        bank_account: body.bank_account,
        memo: body.memo,
    };
    let settle = super::acting(&state, &caller, &key);
    let outcome = on_worker(move || async move { settle.refund(request, None).await }).await??;
    Ok(Written::decided(outcome))
}

pub const MEMO_FIELDS: &[(&str, &str, bool, &str)] = &[
    ("customer_id", "string", true, "the customer's code"),
    ("number", "string", false, "default: the next memo number"),
    (
        "amount",
        "string",
        true,
        "total including tax, decimal text",
    ),
    ("tax", "string", false, "the tax included in amount"),
    ("currency", "string", false, "default: the customer's"),
    ("reason", "string", true, "a reason code"),
    ("date", "date", false, "default: today"),
    ("due_date", "date", false, "debit memos: default by terms"),
    ("description", "string", false, ""),
    (
        "apply_to",
        "string",
        false,
        "credit memos: apply at once to this invoice",
    ),
];
