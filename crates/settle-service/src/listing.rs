//! Pages of customers, open items and payments, and one customer's account, shaped for front
//! ends: every amount as `Money` (text amount and currency), every date as ISO 8601 text.

use std::collections::BTreeMap;

use serde::Serialize;

use settle_core::customer::Customer;
use settle_core::ids::CustomerId;
use settle_core::{Date, Money};
pub use settle_store::CustomerListFilter;
use settle_store::{CustomerSummary, DisputeRow};

use crate::error::not_found;
use crate::{ServiceResult, Settle};

/// The most rows one page holds, whatever a caller asks for.
pub const MAX_PAGE: u32 = 500;
/// The rows a page holds when the caller does not say.
pub const DEFAULT_PAGE: u32 = 50;

/// A page of a list: its rows and, when more follow, the key to ask for the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to read the next page; absent on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Cuts the one extra row read to learn whether another page follows.
    fn from_rows(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(&key) } else { None };
        Page { items: rows, next }
    }
}

/// How many rows to read for a page of `limit`: within bounds, plus one to see past its end.
fn rows_to_read(limit: Option<u32>) -> (u32, i64) {
    let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    (limit, i64::from(limit) + 1)
}

/// A numeric page key; an unreadable one names the parameter.
fn numeric_after(after: Option<&str>) -> ServiceResult<i64> {
    match after {
        None | Some("") => Ok(0),
        Some(text) => text.parse().map_err(|_| {
            crate::error::invalid("after", format!("{text:?} is not a key this list gave"))
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerEntry {
    pub customer_id: String,
    pub name: String,
    pub currency: String,
    pub status: String,
    pub sales_rep: String,
    pub collector: String,
    pub open_balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenItemEntry {
    pub number: String,
    pub kind: String,
    pub customer_id: String,
    pub customer_name: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub total: Money,
    pub balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentEntry {
    pub payment_id: i64,
    pub customer_id: Option<String>,
    pub received_on: Date,
    pub amount: Money,
    pub unapplied: Money,
    pub method: String,
    pub bank_reference: String,
    pub payer_name: String,
    pub memo: String,
}

/// One customer's account as front ends show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountView {
    pub customer_id: String,
    pub name: String,
    pub status: String,
    pub terms: String,
    pub currency: String,
    pub credit_limit: Option<Money>,
    pub sales_rep: String,
    pub email: String,
    pub phone: String,
    pub parent: Option<String>,
    pub children: Vec<CustomerRef>,
    /// Per currency: open items less unapplied cash.
    pub balance: Vec<Money>,
    pub open_items: Vec<AccountItem>,
    pub unapplied_payments: Vec<AccountPayment>,
    pub disputes: Vec<AccountDispute>,
    pub activity: Vec<AccountActivity>,
    pub contact_log: Vec<AccountContact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRef {
    pub customer_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountItem {
    pub number: String,
    pub kind: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub total: Money,
    pub balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountPayment {
    pub payment_id: i64,
    pub received_on: Date,
    pub bank_reference: String,
    pub amount: Money,
    pub unapplied: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountDispute {
    pub dispute_id: i64,
    pub item: String,
    pub amount: Money,
    pub reason: String,
    pub status: String,
    pub opened_on: String,
    pub decision_id: Option<i64>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountActivity {
    pub date: Date,
    pub entry_id: i64,
    pub kind: String,
    pub reference: String,
    pub memo: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountContact {
    pub id: i64,
    pub occurred_at: String,
    pub channel: String,
    pub direction: String,
    pub subject: String,
    pub body: String,
    pub source: String,
    pub source_id: String,
    pub created_by: String,
    pub outcome: String,
}

impl AccountView {
    pub fn new(summary: &CustomerSummary, disputes: &[DisputeRow]) -> ServiceResult<AccountView> {
        let customer = &summary.customer.details;
        let mut balances: BTreeMap<&str, Money> = BTreeMap::new();
        for item in &summary.open_items {
            let slot = balances
                .entry(item.currency.code())
                .or_insert(Money::zero(item.currency));
            *slot = slot.checked_add(item.balance)?;
        }
        for payment in &summary.unapplied_payments {
            let state = &payment.state;
            let slot = balances
                .entry(state.currency.code())
                .or_insert(Money::zero(state.currency));
            *slot = slot.checked_sub(state.unapplied)?;
        }
        Ok(AccountView {
            customer_id: customer.code.clone(),
            name: customer.name.clone(),
            status: customer.status.as_str().to_string(),
            terms: customer.terms.to_string(),
            currency: customer.currency.code().to_string(),
            credit_limit: customer.credit_limit,
            sales_rep: customer.sales_rep.clone(),
            email: customer.email.clone(),
            phone: customer.phone.clone(),
            parent: customer.parent.clone(),
            children: summary
                .children
                .iter()
                .map(|(code, name)| CustomerRef {
                    customer_id: code.clone(),
                    name: name.clone(),
                })
                .collect(),
            balance: balances.into_values().collect(),
            open_items: summary
                .open_items
                .iter()
                .map(|i| AccountItem {
                    number: i.number.clone(),
                    kind: i.kind.as_str().to_string(),
                    issue_date: i.issue_date,
                    due_date: i.due_date,
                    total: i.total,
                    balance: i.balance,
                })
                .collect(),
            unapplied_payments: summary
                .unapplied_payments
                .iter()
                .map(|p| AccountPayment {
                    payment_id: p.state.id.0,
                    received_on: p.state.received_on,
                    bank_reference: p.bank_reference.clone(),
                    amount: p.state.amount,
                    unapplied: p.state.unapplied,
                })
                .collect(),
            disputes: disputes
                .iter()
                .map(|d| AccountDispute {
                    dispute_id: d.id,
                    item: d.item_number.clone(),
                    amount: d.amount,
                    reason: d.reason.clone(),
                    status: d.status.clone(),
                    opened_on: d.opened_on.clone(),
                    decision_id: d.decision,
                    note: d.note.clone(),
                })
                .collect(),
            activity: summary
                .activity
                .iter()
                .map(|a| AccountActivity {
                    date: a.date,
                    entry_id: a.entry.0,
                    kind: a.kind.as_str().to_string(),
                    reference: a.reference.clone(),
                    memo: a.memo.clone(),
                    amount: a.amount,
                })
                .collect(),
            contact_log: summary
                .contact_log
                .iter()
                .map(|c| AccountContact {
                    id: c.id,
                    occurred_at: c.occurred_at.clone(),
                    channel: c.channel.as_str().to_string(),
                    direction: c.direction.as_str().to_string(),
                    subject: c.subject.clone(),
                    body: c.body.clone(),
                    source: c.source.clone(),
                    source_id: c.source_id.clone(),
                    created_by: c.created_by.clone(),
                    outcome: c.outcome.clone(),
                })
                .collect(),
        })
    }
}

impl Settle {
    /// One customer's account with its open disputes, read without taking a write lock.
    /// A customer by code, in a read transaction of its own.
    pub(crate) async fn customer_by_code(&self, code: &str) -> ServiceResult<Customer> {
        let mut tx = self.store().begin_read().await?;
        let customer = tx
            .customer_by_code(self.entity().id, code)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        tx.commit().await?;
        Ok(customer)
    }

    /// The sales rep of a customer (empty when it has none): whether a sales user may see it.
    pub async fn customer_sales_rep(&self, code: &str) -> ServiceResult<String> {
        Ok(self.customer_by_code(code).await?.details.sales_rep)
    }

    /// A customer by id, in a read transaction of its own.
    pub(crate) async fn customer_by_id(&self, id: CustomerId) -> ServiceResult<Customer> {
        let mut tx = self.store().begin_read().await?;
        let customer = tx
            .customer_by_id(self.entity().id, id)
            .await?
            .ok_or_else(|| not_found(format!("customer {}", id.0)))?;
        tx.commit().await?;
        Ok(customer)
    }

    pub async fn account(&self, code: &str) -> ServiceResult<AccountView> {
        let entity = self.entity().id;
        let (summary, disputes) = self
            .store()
            .account_rows(entity, code)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        AccountView::new(&summary, &disputes)
    }

    /// A page of customers by code.
    pub async fn customer_page(
        &self,
        filter: &CustomerListFilter,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<Page<CustomerEntry>> {
        let (limit, read) = rows_to_read(limit);
        let rows = self
            .store()
            .customer_list(self.entity().id, filter, after.unwrap_or_default(), read)
            .await?;
        let entries = rows
            .into_iter()
            .map(|r| CustomerEntry {
                customer_id: r.code,
                name: r.name,
                currency: r.currency.code().to_string(),
                status: r.status,
                sales_rep: r.sales_rep,
                collector: r.collector,
                open_balance: r.open_balance,
            })
            .collect();
        Ok(Page::from_rows(entries, limit, |c: &CustomerEntry| {
            c.customer_id.clone()
        }))
    }

    /// A page of open items by id, of one customer or of all.
    pub async fn open_item_page(
        &self,
        customer: Option<&str>,
        sales_rep: Option<&str>,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<Page<OpenItemEntry>> {
        let (limit, read) = rows_to_read(limit);
        let rows = self
            .store()
            .open_item_list(
                self.entity().id,
                customer,
                sales_rep,
                numeric_after(after)?,
                read,
            )
            .await?;
        let keyed: Vec<(i64, OpenItemEntry)> = rows
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    OpenItemEntry {
                        number: r.number,
                        kind: r.kind,
                        customer_id: r.customer_code,
                        customer_name: r.customer_name,
                        issue_date: r.issue_date,
                        due_date: r.due_date,
                        total: r.total,
                        balance: r.balance,
                    },
                )
            })
            .collect();
        let page = Page::from_rows(keyed, limit, |(id, _)| id.to_string());
        Ok(Page {
            items: page.items.into_iter().map(|(_, entry)| entry).collect(),
            next: page.next,
        })
    }

    /// A page of payments by id: all, or those with cash still unapplied.
    pub async fn payment_page(
        &self,
        unapplied_only: bool,
        customer: Option<&str>,
        after: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<Page<PaymentEntry>> {
        let (limit, read) = rows_to_read(limit);
        let rows = self
            .store()
            .payment_list(
                self.entity().id,
                unapplied_only,
                customer,
                numeric_after(after)?,
                read,
            )
            .await?;
        let entries = rows
            .into_iter()
            .map(|r| PaymentEntry {
                payment_id: r.id,
                customer_id: r.customer_code,
                received_on: r.received_on,
                amount: r.amount,
                unapplied: r.unapplied,
                method: r.method,
                bank_reference: r.bank_reference,
                payer_name: r.payer_name,
                memo: r.memo,
            })
            .collect();
        Ok(Page::from_rows(entries, limit, |p: &PaymentEntry| {
            p.payment_id.to_string()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reports_a_next_key_only_when_a_row_lies_beyond_it() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next.as_deref(), Some("2"));
        let last = Page::from_rows(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next, None);
    }

    #[test]
    fn page_sizes_stay_within_bounds() {
        assert_eq!(
            rows_to_read(None),
            (DEFAULT_PAGE, i64::from(DEFAULT_PAGE) + 1)
        );
        assert_eq!(rows_to_read(Some(0)), (1, 2));
        assert_eq!(
            rows_to_read(Some(100_000)),
            (MAX_PAGE, i64::from(MAX_PAGE) + 1)
        );
        assert!(numeric_after(Some("x")).is_err());
        assert_eq!(numeric_after(None).unwrap(), 0);
    }
}

/// A suggested match waiting for a clerk: the payment, the customer and invoices proposed,
/// and the evidence that weighed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub decision_id: i64,
    pub payment_id: i64,
    pub received_on: Date,
    pub amount: Money,
    pub unapplied: Money,
    pub payer_name: String,
    pub bank_reference: String,
    pub memo: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub rule: String,
    /// 0–1000.
    pub score: i64,
    /// The invoices and amounts proposed.
    pub allocations: serde_json::Value,
    /// Each piece of evidence and what it weighed.
    pub evidence: serde_json::Value,
}

impl Settle {
    /// Open suggestions, oldest payment first.
    pub async fn suggestions(&self) -> ServiceResult<Vec<Suggestion>> {
        let rows = self.store().suggestions_waiting(self.entity().id).await?;
        Ok(rows
            .into_iter()
            .map(|r| Suggestion {
                decision_id: r.decision_id,
                payment_id: r.payment_id,
                received_on: r.received_on,
                amount: r.amount,
                unapplied: r.unapplied,
                payer_name: r.payer_name,
                bank_reference: r.bank_reference,
                memo: r.memo,
                customer_id: r.customer_code,
                customer_name: r.customer_name,
                rule: r.rule,
                score: r.score,
                // Written by the matcher as JSON; anything else is shown as the text it is.
                allocations: serde_json::from_str(&r.allocations)
                    .unwrap_or(serde_json::Value::String(r.allocations)),
                evidence: serde_json::from_str(&r.evidence)
                    .unwrap_or(serde_json::Value::String(r.evidence)),
            })
            .collect())
    }
}
