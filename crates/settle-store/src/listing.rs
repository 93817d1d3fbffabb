//! Lists a front end pages through: customers, open items and payments, a page at a time.
//!
//! Pages are keyed, not numbered: each page starts after the last key of the one before, so a
//! page costs the same on the thousandth page as on the first, and rows added meanwhile never
//! shift a page's rows into the next.

use sqlx::Row;

use settle_core::ids::{CustomerId, EntityId};
use settle_core::{Currency, Date, Money};

use crate::codec::{money, read_currency, read_date};
use crate::{Store, StoreResult};

/// One customer in a list, with what it owes in its own currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerListRow {
    pub id: CustomerId,
    pub code: String,
    pub name: String,
    pub currency: Currency,
    pub status: String,
    pub sales_rep: String,
    pub collector: String,
    /// Open items less unused credit, in the customer's currency.
    pub open_balance: Money,
}

/// Which customers a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerListFilter {
    /// Part of the code or the name, any case; empty for all.
    pub search: String,
    /// Only the customers of this sales rep (a sales user sees only theirs).
    pub sales_rep: Option<String>,
    /// Only the customers assigned to this collector.
    pub collector: Option<String>,
}

/// One open item in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemListRow {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub customer_code: String,
    pub customer_name: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub total: Money,
    pub balance: Money,
}

/// One payment in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentListRow {
    pub id: i64,
    pub customer_code: Option<String>,
    pub received_on: Date,
    pub amount: Money,
    pub unapplied: Money,
    pub method: String,
    pub bank_reference: String,
    pub payer_name: String,
    pub memo: String,
}

/// Escapes LIKE's wildcards so that a search for `50%` finds the text `50%`.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Customers ordered by code, after `after` (a code), at most `limit`.
    pub async fn customer_list(
        &self,
        entity: EntityId,
        filter: &CustomerListFilter,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<CustomerListRow>> {
        let search = filter.search.trim();
        let rows = sqlx::query(
            "SELECT c.id, c.code, c.name, c.currency, c.status, c.sales_rep, c.collector, \
                 CAST(COALESCE((SELECT SUM(i.balance_minor) FROM items i \
                     WHERE i.entity_id = c.entity_id AND i.customer_id = c.id \
                     AND i.currency = c.currency AND i.balance_minor <> 0), 0) AS BIGINT) AS open_minor \
             FROM customers c \
             WHERE c.entity_id = $1 AND c.code > $2 \
               AND ($3 = '' OR LOWER(c.code) LIKE $4 ESCAPE '\\' OR LOWER(c.name) LIKE $4 ESCAPE '\\') \
               AND ($5 = '' OR c.sales_rep = $5) \
               AND ($6 = '' OR c.collector = $6) \
             ORDER BY c.code LIMIT $7",
        )
        .bind(entity.0)
        .bind(after.to_string())
        .bind(search.to_string())
        .bind(like_pattern(search))
        .bind(filter.sales_rep.clone().unwrap_or_default())
        .bind(filter.collector.clone().unwrap_or_default())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("customers", &row.try_get::<String, _>("currency")?)?;
                Ok(CustomerListRow {
                    id: CustomerId(row.try_get("id")?),
                    code: row.try_get("code")?,
                    name: row.try_get("name")?,
                    currency,
                    status: row.try_get("status")?,
                    sales_rep: row.try_get("sales_rep")?,
                    collector: row.try_get("collector")?,
                    open_balance: money(row.try_get("open_minor")?, currency),
                })
            })
            .collect()
    }

    /// Open items (balance not zero) by id, after `after`, at most `limit`; of one customer
    /// when `customer` is given, of one sales rep's customers when `sales_rep` is.
    pub async fn open_item_list(
        &self,
        entity: EntityId,
        customer: Option<&str>,
        sales_rep: Option<&str>,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ItemListRow>> {
        // One customer's items are read through the customer's index; "any customer or this
        // one" in one statement would walk every open item of the book in id order.
        let rows = match customer {
            Some(code) => {
                sqlx::query(
                    "SELECT i.id, i.number, i.kind, c.code, c.name, i.issue_date, i.due_date, \
                         i.currency, i.total_minor, i.balance_minor \
                     FROM customers c JOIN items i ON i.entity_id = c.entity_id AND i.customer_id = c.id \
                     WHERE c.entity_id = $1 AND c.code = $2 AND ($3 = '' OR c.sales_rep = $3) \
                       AND i.id > $4 AND i.balance_minor <> 0 \
                     ORDER BY i.id LIMIT $5",
                )
                .bind(entity.0)
                .bind(code.to_string())
                .bind(sales_rep.unwrap_or_default().to_string())
                .bind(after)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT i.id, i.number, i.kind, c.code, c.name, i.issue_date, i.due_date, \
                         i.currency, i.total_minor, i.balance_minor \
                     FROM items i JOIN customers c ON c.id = i.customer_id \
                     WHERE i.entity_id = $1 AND i.id > $2 AND i.balance_minor <> 0 \
                       AND ($3 = '' OR c.sales_rep = $3) \
                     ORDER BY i.id LIMIT $4",
                )
                .bind(entity.0)
                .bind(after)
                .bind(sales_rep.unwrap_or_default().to_string())
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
                Ok(ItemListRow {
                    id: row.try_get("id")?,
                    number: row.try_get("number")?,
                    kind: row.try_get("kind")?,
                    customer_code: row.try_get("code")?,
                    customer_name: row.try_get("name")?,
                    issue_date: read_date(
                        "items",
                        "issue_date",
                        &row.try_get::<String, _>("issue_date")?,
                    )?,
                    due_date: read_date(
                        "items",
                        "due_date",
                        &row.try_get::<String, _>("due_date")?,
                    )?,
                    total: money(row.try_get("total_minor")?, currency),
                    balance: money(row.try_get("balance_minor")?, currency),
                })
            })
            .collect()
    }

    /// Payments by id, after `after`, at most `limit`; only those with unapplied cash when
    /// `unapplied_only`.
    pub async fn payment_list(
        &self,
        entity: EntityId,
        unapplied_only: bool,
        customer: Option<&str>,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<PaymentListRow>> {
        let rows = sqlx::query(
            "SELECT p.id, c.code, p.received_on, p.currency, p.amount_minor, p.unapplied_minor, \
                 p.method, p.bank_reference, p.payer_name, p.memo \
             FROM payments p LEFT JOIN customers c ON c.id = p.customer_id \
             WHERE p.entity_id = $1 AND p.id > $2 AND ($3 = 0 OR p.unapplied_minor <> 0) \
               AND ($4 = '' OR c.code = $4) \
             ORDER BY p.id LIMIT $5",
        )
        .bind(entity.0)
        .bind(after)
        .bind(i64::from(unapplied_only))
        .bind(customer.unwrap_or_default().to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
                Ok(PaymentListRow {
                    id: row.try_get("id")?,
                    customer_code: row.try_get("code")?,
                    received_on: read_date(
                        "payments",
                        "received_on",
                        &row.try_get::<String, _>("received_on")?,
                    )?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    unapplied: money(row.try_get("unapplied_minor")?, currency),
                    method: row.try_get("method")?,
                    bank_reference: row.try_get("bank_reference")?,
                    payer_name: row.try_get("payer_name")?,
                    memo: row.try_get("memo")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(like_pattern("Acme"), "%acme%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}

/// A suggested match waiting for a clerk, with the payment it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionRow {
    pub decision_id: i64,
    pub payment_id: i64,
    pub received_on: Date,
    pub amount: Money,
    pub unapplied: Money,
    pub payer_name: String,
    pub bank_reference: String,
    pub memo: String,
    pub customer_code: Option<String>,
    pub customer_name: Option<String>,
    pub rule: String,
    pub score: i64,
    /// JSON, as the matcher wrote them.
    pub allocations: String,
    pub evidence: String,
}

impl Store {
    /// Open suggestions, oldest payment first.
    pub async fn suggestions_waiting(&self, entity: EntityId) -> StoreResult<Vec<SuggestionRow>> {
        let rows = sqlx::query(
            "SELECT d.id AS decision_id, p.id AS payment_id, p.received_on, p.currency, \
                 p.amount_minor, p.unapplied_minor, p.payer_name, p.bank_reference, p.memo, \
                 c.code, c.name, d.rule, d.score, d.allocations, d.evidence \
             FROM match_decisions d JOIN payments p ON p.id = d.payment_id \
             LEFT JOIN customers c ON c.id = d.customer_id \
             WHERE d.entity_id = $1 AND d.status = 'open' \
             ORDER BY p.received_on, p.id",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
                Ok(SuggestionRow {
                    decision_id: row.try_get("decision_id")?,
                    payment_id: row.try_get("payment_id")?,
                    received_on: read_date(
                        "payments",
                        "received_on",
                        &row.try_get::<String, _>("received_on")?,
                    )?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    unapplied: money(row.try_get("unapplied_minor")?, currency),
                    payer_name: row.try_get("payer_name")?,
                    bank_reference: row.try_get("bank_reference")?,
                    memo: row.try_get("memo")?,
                    customer_code: row.try_get("code")?,
                    customer_name: row.try_get("name")?,
                    rule: row.try_get("rule")?,
                    score: row.try_get("score")?,
                    allocations: row.try_get("allocations")?,
                    evidence: row.try_get("evidence")?,
                })
            })
            .collect()
    }
}
