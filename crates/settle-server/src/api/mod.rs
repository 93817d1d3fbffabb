//! The JSON API under `/api/v1`. Every endpoint is one row of [`ENDPOINTS`]: the router is
//! built from the table and the OpenAPI document is generated from it, so the two cannot
//! disagree.

mod cash;
mod collections;
mod customers;
mod documents;
mod ledger;
mod periods;
mod plans;
mod reports;

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use serde::Serialize;

use settle_core::Date;
use settle_core::access::Permission;
use settle_service::{Outcome, Settle};

use crate::auth::Caller;
use crate::extract::IdempotencyKey;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// One endpoint: its route, what it does, who may call it, and its body and answer.
pub struct Endpoint {
    pub method: &'static str,
    /// In OpenAPI's form (`{id}`), which axum 0.8 also takes.
    pub path: &'static str,
    pub summary: &'static str,
    pub permission: Permission,
    /// Query parameters: name, meaning.
    pub query: &'static [(&'static str, &'static str)],
    /// The body's fields: name, JSON type, required, meaning.
    pub body: &'static [(&'static str, &'static str, bool, &'static str)],
    pub responds: &'static str,
    pub route: fn() -> MethodRouter<AppState>,
}

const PAGE: [(&str, &str); 2] = [
    ("limit", "rows per page, 1 to 500 (default 50)"),
    ("after", "the `next` key of the previous page"),
];

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/customers",
        summary: "Customers by code, with what each owes; searchable",
        permission: Permission::Read,
        query: &[
            ("search", "part of the code or the name"),
            ("collector", "only this collector's accounts"),
            PAGE[0],
            PAGE[1],
        ],
        body: &[],
        responds: "a page of customers",
        route: || get(customers::list).post(customers::create),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/customers",
        summary: "Create a customer",
        permission: Permission::WriteMoney,
        query: &[],
        body: customers::NEW_CUSTOMER_FIELDS,
        responds: "the customer's id and code",
        route: || get(customers::list).post(customers::create),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/customers/{customer_id}",
        summary: "A customer's account: open items, unapplied cash, disputes, activity, contacts",
        permission: Permission::Read,
        query: &[],
        body: &[],
        responds: "the account view",
        route: || get(customers::account),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/customers/{customer_id}/statement",
        summary: "A customer's statement as PDF, with the aging at its foot",
        permission: Permission::Read,
        query: &[
            ("as_of", "ISO 8601 date; default today"),
            ("kind", "open-item (default) or balance-forward"),
            ("from", "the period's first day, for balance-forward"),
        ],
        body: &[],
        responds: "application/pdf",
        route: || get(documents::statement),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/invoices/{number}/pdf",
        summary: "An invoice, debit memo or credit memo as PDF",
        permission: Permission::Read,
        query: &[],
        body: &[],
        responds: "application/pdf",
        route: || get(documents::invoice),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/invoices",
        summary: "Open items (invoices, debit and credit memos with a balance)",
        permission: Permission::Read,
        query: &[("customer_id", "only this customer's"), PAGE[0], PAGE[1]],
        body: &[],
        responds: "a page of open items",
        route: || get(customers::open_items).post(ledger::create_invoice),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/invoices",
        summary: "Issue an invoice",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[
            ("customer_id", "string", true, "the customer's code"),
            ("number", "string", true, "the invoice number, unique"),
            ("issue_date", "date", true, "ISO 8601"),
            (
                "due_date",
                "date",
                false,
                "default: by the customer's terms",
            ),
            (
                "currency",
                "string",
                false,
                "ISO 4217; default: the customer's",
            ),
            (
                "lines",
                "array",
                true,
                "{description, net, tax} with amounts as decimal text",
            ),
            ("po_number", "string", false, "the customer's order number"),
            ("description", "string", false, ""),
        ],
        responds: "the invoice issued: id, number, entry, total, due date",
        route: || get(customers::open_items).post(ledger::create_invoice),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/payments",
        summary: "Payments, or those with cash still unapplied",
        permission: Permission::Read,
        query: &[
            ("unapplied", "true: only payments with unapplied cash"),
            ("customer_id", "only this customer's"),
            PAGE[0],
            PAGE[1],
        ],
        body: &[],
        responds: "a page of payments",
        route: || get(customers::payments).post(ledger::post_payment),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/payments",
        summary: "Post a payment received",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[
            (
                "customer_id",
                "string",
                false,
                "absent for cash whose payer is unknown",
            ),
            ("amount", "string", true, "decimal text"),
            ("currency", "string", false, "default: the customer's"),
            ("received_on", "date", false, "default: today"),
            (
                "method",
                "string",
                true,
                "wire, ach, check, card, cash, sepa, other",
            ),
            ("bank_reference", "string", true, "unique per bank account"),
            ("bank_account", "string", true, "the chart's bank account"),
            ("payer_name", "string", false, ""),
            ("payer_account", "string", false, ""),
            ("memo", "string", false, "remittance text"),
        ],
        responds: "the payment posted (or the earlier one with the same bank reference)",
        route: || get(customers::payments).post(ledger::post_payment),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/applications",
        summary: "Apply a payment's cash or a credit memo to an invoice",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[
            (
                "payment_id",
                "integer",
                false,
                "the payment whose cash is applied …",
            ),
            ("credit_memo", "string", false, "… or the credit memo"),
            ("invoice", "string", true, "the invoice number"),
            ("amount", "string", false, "default: everything that fits"),
            ("date", "date", false, "default: today"),
            (
                "discount",
                "boolean",
                false,
                "take an earned discount (default true)",
            ),
        ],
        responds: "the application: amount, discount, what stays open on each side",
        route: || post(ledger::apply),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/applications/{application_id}",
        summary: "Reverse an application (the exact opposite entry)",
        permission: Permission::WriteMoney,
        query: &[("date", "the reversal's date; default today")],
        body: &[],
        responds: "the reversal",
        route: || delete(ledger::unapply),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/credit-memos",
        summary: "Issue a credit memo, optionally applied to an invoice at once",
        permission: Permission::WriteMoney,
        query: &[],
        body: ledger::MEMO_FIELDS,
        responds: "the memo issued (or the approval it waits for)",
        route: || post(ledger::credit_memo),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/debit-memos",
        summary: "Issue a debit memo",
        permission: Permission::WriteMoney,
        query: &[],
        body: ledger::MEMO_FIELDS,
        responds: "the memo issued",
        route: || post(ledger::debit_memo),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/adjustments",
        summary: "Adjust an open item's balance with a reason code",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[
            ("item", "string", true, "the item's number"),
            (
                "change",
                "string",
                true,
                "signed decimal text: negative lowers what is owed",
            ),
            ("reason", "string", true, "a reason code"),
            ("date", "date", false, "default: today"),
            ("memo", "string", false, ""),
        ],
        responds: "the adjustment and the item's new balance",
        route: || post(ledger::adjust),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/write-offs",
        summary: "Write off what is open on an invoice",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[
            ("invoice", "string", true, ""),
            ("amount", "string", false, "default: everything open"),
            ("reason", "string", true, "a reason code"),
            ("date", "date", false, "default: today"),
            ("policy", "string", false, "allowance (default) or direct"),
            ("memo", "string", false, ""),
        ],
        responds: "the write-off (or the approval it waits for)",
        route: || post(ledger::write_off),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/refunds",
        summary: "Refund a customer's credit and pay it out",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[
            ("payment_id", "integer", false, "refund unapplied cash …"),
            ("credit_memo", "string", false, "… or an unused credit memo"),
            ("amount", "string", false, "default: all of it"),
            ("reason", "string", true, "a reason code"),
            ("date", "date", false, "default: today"),
            (
                "bank_account",
                "string",
                true,
                "the account it is paid from",
            ),
            ("memo", "string", false, ""),
        ],
        responds: "the refund (or the approval it waits for)",
        route: || post(ledger::refund),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/bank-imports",
        summary: "Import a bank file (BAI2, camt.052/053/054, MT940/942, NACHA, X12 820) sent as the body",
        permission: Permission::WriteMoney,
        query: &[
            (
                "file_name",
                "the file's name, for messages and the import log",
            ),
            ("bank_account", "post every statement to this bank account"),
            ("strict", "true: refuse a file whose own totals disagree"),
        ],
        body: &[],
        responds: "the import report: statements, lines and what each became",
        route: || post(cash::import_bank),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/matching/runs",
        summary: "Match payments with unapplied cash: apply the sure ones, suggest the rest",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[],
        responds: "the run's counts and each payment's outcome",
        route: || post(cash::run_matching),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/matching/suggestions",
        summary: "Suggested matches waiting for a clerk, with their evidence",
        permission: Permission::Read,
        query: &[],
        body: &[],
        responds: "the open suggestions",
        route: || get(cash::suggestions),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/matching/suggestions/{decision_id}/accept",
        summary: "Accept a suggested match: book its applications",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[],
        responds: "what was booked and learned",
        route: || post(cash::accept),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/matching/suggestions/{decision_id}/reject",
        summary: "Reject a suggested match",
        permission: Permission::WriteMoney,
        query: &[],
        body: &[],
        responds: "what the matcher learned",
        route: || post(cash::reject),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/worklist",
        summary: "The collector's worklist: accounts ranked by a score whose parts are shown",
        permission: Permission::Read,
        query: &[
            ("collector", "only this collector's accounts"),
            ("bucket", "current, 1-30, 31-60, 61-90 or 91+"),
            ("limit", "at most this many accounts"),
        ],
        body: &[],
        responds: "the ranked accounts",
        route: || get(collections::worklist),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/contacts",
        summary: "Log a call, email, letter, meeting or note",
        permission: Permission::Collect,
        query: &[],
        body: collections::CONTACT_FIELDS,
        responds: "the entry, with any contact rule it broke",
        route: || post(collections::log_contact),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/promises",
        summary: "Record a promise to pay",
        permission: Permission::Collect,
        query: &[],
        body: collections::PROMISE_FIELDS,
        responds: "the promise",
        route: || get(plans::promises).post(collections::promise),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/promises",
        summary: "Promises to pay, by status and customer",
        permission: Permission::Read,
        query: &[
            ("status", "open, kept, broken or cancelled"),
            (
                "customer_id",
                "only this customer's (required for the sales role)",
            ),
        ],
        body: &[],
        responds: "the promises",
        route: || get(plans::promises).post(collections::promise),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/promises/{promise_id}/cancel",
        summary: "Cancel an open promise",
        permission: Permission::Collect,
        query: &[("date", "the day it is cancelled; default today")],
        body: &[],
        responds: "the promise",
        route: || post(plans::cancel_promise),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/plans",
        summary: "Payment plans with their instalments",
        permission: Permission::Read,
        query: &[
            (
                "customer_id",
                "only this customer's (required for the sales role)",
            ),
            (
                "as_of",
                "the day instalments are judged late; default today",
            ),
        ],
        body: &[],
        responds: "the plans",
        route: || get(plans::plans).post(plans::create_plan),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/plans",
        summary: "Agree a payment plan: equal monthly instalments or a schedule",
        permission: Permission::Collect,
        query: &[],
        body: plans::PLAN_FIELDS,
        responds: "the plan and its instalments",
        route: || get(plans::plans).post(plans::create_plan),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/disputes",
        summary: "Disputes by status",
        permission: Permission::Read,
        query: &[("status", "open, review, or a resolution")],
        body: &[],
        responds: "the disputes",
        route: || get(collections::disputes).post(collections::open_dispute),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/disputes",
        summary: "Open a dispute on an invoice (or one of its lines)",
        permission: Permission::Collect,
        query: &[],
        body: collections::DISPUTE_FIELDS,
        responds: "the dispute",
        route: || get(collections::disputes).post(collections::open_dispute),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/disputes/{dispute_id}/resolve",
        summary: "Resolve a dispute; a credit memo or write-off over its limit waits for approval (202)",
        permission: Permission::Collect,
        query: &[],
        body: collections::RESOLVE_FIELDS,
        responds: "what was posted (201), or the approval it awaits (202)",
        route: || post(collections::resolve_dispute),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/reports/aging",
        summary: "The aging: buckets per customer and in total",
        permission: Permission::Read,
        query: &[("as_of", "ISO 8601 date; default today")],
        body: &[],
        responds: "the aging",
        route: || get(reports::aging),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/reports/trial-balance",
        summary: "Debits and credits per account and currency",
        permission: Permission::Read,
        query: &[("as_of", "ISO 8601 date; default: everything")],
        body: &[],
        responds: "the trial balance",
        route: || get(reports::trial_balance),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/reports/kpis",
        summary: "DSO, CEI, overdue share and their trend",
        permission: Permission::Read,
        query: &[("as_of", "ISO 8601 date; default today")],
        body: &[],
        responds: "the KPI report",
        route: || get(reports::kpis),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/dunning-policies",
        summary: "The dunning policies in force, as JSON",
        permission: Permission::Approve,
        query: &[],
        body: &[],
        responds: "the policies",
        route: || get(collections::dunning_policies).put(collections::put_dunning_policy),
    },
    Endpoint {
        method: "put",
        path: "/api/v1/dunning-policies",
        summary: "Store a dunning policy under its name (the body is the policy's JSON)",
        permission: Permission::Administer,
        query: &[],
        body: &[
            (
                "name",
                "string",
                true,
                "the policy's name; a stored one of that name is replaced",
            ),
            (
                "priority",
                "integer",
                false,
                "lower first: the first policy whose scope matches an account is its policy",
            ),
            ("scope", "object", false, "which accounts it covers"),
            (
                "levels",
                "array",
                true,
                "the reminder levels: level, days, channel, template, min_amount",
            ),
            (
                "grace_days_after_payment",
                "integer",
                false,
                "no dunning this many days after a payment (5)",
            ),
            (
                "min_days_between_levels",
                "integer",
                false,
                "an invoice moves up one level at most this often (7)",
            ),
            ("contact", "object", false, "contact rules"),
            ("escalation", "object", false, "escalation rules"),
        ],
        responds: "the policy as stored",
        route: || get(collections::dunning_policies).put(collections::put_dunning_policy),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/dunning-policies/{name}",
        summary: "Remove a dunning policy",
        permission: Permission::Administer,
        query: &[],
        body: &[],
        responds: "204, nothing",
        route: || delete(collections::delete_dunning_policy),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/periods/{period}/checklist",
        summary: "A period's close checklist: what passes, what blocks, what was waived",
        permission: Permission::Read,
        query: &[],
        body: &[],
        responds: "the checklist",
        route: || get(periods::checklist),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/periods/{period}/gl",
        summary: "Import the general ledger's balances or A/R postings for a period (CSV body)",
        permission: Permission::Close,
        query: &[("file_name", "the file's name, for the record")],
        body: &[],
        responds: "what was read and stored, or the earlier import of the same file",
        route: || post(periods::import_gl).get(periods::gl_reconciliation),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/periods/{period}/gl",
        summary: "The subledger reconciled with the general ledger for a period",
        permission: Permission::Read,
        query: &[],
        body: &[],
        responds: "the reconciliation",
        route: || post(periods::import_gl).get(periods::gl_reconciliation),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/periods/{period}/close",
        summary: "Close a period: check it, freeze its aging, lock its dates",
        permission: Permission::Close,
        query: &[],
        body: periods::CLOSE_FIELDS,
        responds: "the close: lock, frozen aging checksums, checklist",
        route: || post(periods::close),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/periods/{period}/reopen",
        summary: "Reopen the latest closed period, with a reason",
        permission: Permission::Close,
        query: &[],
        body: &[(
            "reason",
            "string",
            true,
            "why it is reopened; kept on record",
        )],
        responds: "the period and the lock now",
        route: || post(periods::reopen),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/exports/{report}",
        summary: "A report as CSV: aging, aging-detail, worklist",
        permission: Permission::Read,
        query: &[("as_of", "ISO 8601 date; default today")],
        body: &[],
        responds: "text/csv",
        route: || get(reports::export),
    },
];

/// A write's answer: 201 (or 200) with the value, or 200 with `Idempotent-Replayed: true` when
/// the same request was answered before and nothing was posted this time.
pub struct Written<T> {
    status: StatusCode,
    outcome: Outcome<T>,
}

impl<T> Written<T> {
    pub fn created(outcome: Outcome<T>) -> Self {
        Written {
            status: StatusCode::CREATED,
            outcome,
        }
    }

    /// An operation that may wait for approval: 201 when it posted, 202 when it waits.
    pub fn decided(
        outcome: Outcome<settle_service::Decided<T>>,
    ) -> Written<settle_service::Decided<T>> {
        let status = if outcome.value.pending().is_some() {
            StatusCode::ACCEPTED
        } else {
            StatusCode::CREATED
        };
        Written { status, outcome }
    }

    pub fn ok(outcome: Outcome<T>) -> Self {
        Written {
            status: StatusCode::OK,
            outcome,
        }
    }
}

impl<T: Serialize> IntoResponse for Written<T> {
    fn into_response(self) -> Response {
        let status = if self.outcome.replayed {
            StatusCode::OK
        } else {
            self.status
        };
        let mut response = (status, Json(&self.outcome.value)).into_response();
        if self.outcome.replayed {
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        response
    }
}

/// The service acting as the caller, under the request's idempotency key (scoped to the
/// caller, so that two users' keys never meet).
pub fn acting(state: &AppState, caller: &Caller, key: &IdempotencyKey) -> Settle {
    let key = key.0.as_ref().map(|k| format!("api:{}:{k}", caller.user));
    caller.settle(state).with_idempotency_key(key.as_deref())
}

/// Reads a field's text as its type; the error names the field.
pub fn parse_field<T>(field: &str, text: &str) -> ApiResult<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| Problem::bad_request(Some(field.to_string()), format!("{e}")))
}

/// Today in the server's time zone.
pub fn today() -> Date {
    jiff::Zoned::now().date()
}

/// The router of every endpoint in [`ENDPOINTS`]. Two rows with one path share a
/// `MethodRouter` that serves both methods, so each path is routed once.
pub fn router() -> axum::Router<AppState> {
    let mut router = axum::Router::new();
    let mut routed: Vec<&str> = Vec::new();
    for endpoint in ENDPOINTS {
        if !routed.contains(&endpoint.path) {
            routed.push(endpoint.path);
            router = router.route(endpoint.path, (endpoint.route)());
        }
    }
    router
}
