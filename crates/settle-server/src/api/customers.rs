//! Customers and what they owe: lists of customers, open items and payments, one account,
//! and creating a customer. A sales user sees only the customers whose sales rep they are.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use settle_core::Money;
use settle_core::access::Permission;
use settle_core::customer::{Contact, NewCustomer};
use settle_core::money::SignPolicy;
use settle_service::CustomerCreated;
use settle_service::listing::CustomerListFilter;
use settle_service::listing::{AccountView, CustomerEntry, OpenItemEntry, Page, PaymentEntry};

use super::{Written, parse_field};
use crate::auth::Caller;
use crate::extract::{Body, IdempotencyKey, Params};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::worker::on_worker;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    #[serde(default)]
    pub search: String,
    pub collector: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<CustomerQuery>,
) -> ApiResult<Json<Page<CustomerEntry>>> {
    caller.require(Permission::Read)?;
    let filter = CustomerListFilter {
        search: query.search,
        sales_rep: caller.own_customers_only().map(str::to_string),
        collector: query.collector,
    };
    let page = state
        .settle()
        .customer_page(&filter, query.after.as_deref(), query.limit)
        .await?;
    Ok(Json(page))
}

pub async fn account(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<AccountView>> {
    caller.require(Permission::Read)?;
    let view = state.settle().account(&code).await?;
    caller.require_customer(&view.sales_rep)?;
    Ok(Json(view))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    pub customer_id: Option<String>,
    #[serde(default)]
    pub unapplied: bool,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

pub async fn open_items(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<ItemQuery>,
) -> ApiResult<Json<Page<OpenItemEntry>>> {
    caller.require(Permission::Read)?;
    let page = state
        .settle()
        .open_item_page(
            query.customer_id.as_deref(),
            caller.own_customers_only(),
            query.after.as_deref(),
            query.limit,
        )
        .await?;
    Ok(Json(page))
}

pub async fn payments(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<ItemQuery>,
) -> ApiResult<Json<Page<PaymentEntry>>> {
    caller.require(Permission::Read)?;
    if caller.own_customers_only().is_some() {
        // Cash is not a sales rep's business, and unidentified cash belongs to no customer.
        return Err(Problem::forbidden(
            "payments are not shown to the sales role",
        ));
    }
    let page = state
        .settle()
        .payment_page(
            query.unapplied,
            query.customer_id.as_deref(),
            query.after.as_deref(),
            query.limit,
        )
        .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerBody {
    pub customer_id: String,
    pub name: String,
    pub currency: String,
    #[serde(default)]
    pub payment_terms: Option<String>,
    pub credit_limit: Option<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub tax_id: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub sales_rep: String,
    pub risk_class: Option<String>,
    pub parent_id: Option<String>,
    #[serde(default)]
    pub contact_name: String,
}

pub const NEW_CUSTOMER_FIELDS: &[(&str, &str, bool, &str)] = &[
    ("customer_id", "string", true, "the customer's code, unique"),
    ("name", "string", true, ""),
    ("currency", "string", true, "ISO 4217"),
    (
        "payment_terms",
        "string",
        false,
        "e.g. NET30, 2/10 NET30; default NET30",
    ),
    (
        "credit_limit",
        "string",
        false,
        "decimal text in the currency",
    ),
    (
        "email",
        "string",
        false,
        "where statements and reminders go",
    ),
    ("phone", "string", false, ""),
    ("country", "string", false, "ISO 3166 alpha-2"),
    ("tax_id", "string", false, ""),
    (
        "address",
        "string",
        false,
        "billing address, lines separated by newlines",
    ),
    (
        "sales_rep",
        "string",
        false,
        "the user name of the customer's sales rep",
    ),
    ("risk_class", "string", false, "low, medium or high"),
    ("parent_id", "string", false, "the parent company's code"),
    ("contact_name", "string", false, "the billing contact"),
];

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    Body(body): Body<NewCustomerBody>,
) -> ApiResult<Written<CustomerCreated>> {
    caller.require(Permission::WriteMoney)?;
    let currency = parse_field("currency", &body.currency)?;
    let terms = match body.payment_terms.as_deref() {
        Some(text) => parse_field("payment_terms", text)?,
        None => settle_service::import::DEFAULT_TERMS,
    };
    let mut customer = NewCustomer::new(&body.customer_id, &body.name, currency, terms);
    customer.credit_limit = body
        .credit_limit
        .as_deref()
        .map(|text| {
            Money::parse(text, currency, SignPolicy::Unsigned)
                .map_err(|e| Problem::bad_request(Some("credit_limit".into()), e.to_string()))
        })
        .transpose()?;
    if let Some(risk) = &body.risk_class {
        customer.risk_class = parse_field("risk_class", risk)?;
    }
    customer.email = body.email;
    customer.phone = body.phone;
    customer.country = body.country;
    customer.tax_id = body.tax_id;
    customer.billing_address = body.address;
    customer.sales_rep = body.sales_rep;
    customer.parent = body.parent_id;
    if !body.contact_name.is_empty() || !customer.email.is_empty() {
        customer.contacts.push(Contact {
            name: body.contact_name,
            role: "billing".into(),
            email: customer.email.clone(),
            phone: customer.phone.clone(),
        });
    }
    let settle = super::acting(&state, &caller, &key);
    let outcome =
        on_worker(move || async move { settle.create_customer(customer, None).await }).await??;
    Ok(Written::created(outcome))
}
