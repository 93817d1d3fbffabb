//! Reads for the documents a customer receives: statements (open items and unapplied cash as
//! of a date, a period's activity and the balance before it), an invoice with its lines, and
//! a payment with what it was applied to.
//!
//! A customer's position is the sum of the postings that carry its items (A/R control) and
//! its payments (unapplied cash): the same postings the aging reads, so a statement's amount
//! due and the aging's net agree. Each read covers every customer at once, grouped by the
//! caller, so a statement run costs a handful of queries whatever its size.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Row};

use settle_core::customer::Customer;
use settle_core::document::ItemKind;
use settle_core::ids::{CustomerId, EntityId, EntryId, ItemId, PaymentId};
use settle_core::journal::EntryKind;
use settle_core::{Currency, Date, Money};

use crate::bulk::Query;
use crate::codec::{date_text, money, read_currency};
use crate::tx::customer_row;
use crate::{Store, StoreResult, text_column};

/// A payment's cash not applied as of a date, positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnappliedAsOf {
    pub customer: CustomerId,
    pub payment: PaymentId,
    pub received_on: Date,
    pub reference: String,
    pub amount: Money,
}

/// How one entry moved what one customer owes in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMovement {
    pub customer: CustomerId,
    pub entry: EntryId,
    pub date: Date,
    pub kind: EntryKind,
    pub memo: String,
    /// The item number or the payment's reference.
    pub reference: String,
    /// Signed: positive raises what the customer owes.
    pub amount: Money,
}

/// An item with what an invoice shows beyond its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDocument {
    pub id: ItemId,
    pub customer: CustomerId,
    pub kind: ItemKind,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub terms: String,
    pub po_number: String,
    pub description: String,
    pub reason: String,
    pub net: Money,
    pub tax: Money,
    pub total: Money,
    pub balance: Money,
    /// (description, net, tax), in line order.
    pub lines: Vec<(String, Money, Money)>,
}

/// A payment with its live applications, for a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDocument {
    pub id: PaymentId,
    pub customer: Option<CustomerId>,
    pub received_on: Date,
    pub method: String,
    pub reference: String,
    pub amount: Money,
    pub unapplied: Money,
    /// (invoice number, applied on, amount), oldest first.
    pub applications: Vec<(String, Date, Money)>,
}

const CUSTOMERS: &str = "SELECT c.*, p.code AS parent_code FROM customers c \
     LEFT JOIN customers p ON p.id = c.parent_id WHERE c.entity_id = $1 ORDER BY c.code";

impl Store {
    /// Every customer of the entity, by code.
    pub async fn all_customers(&self, entity: EntityId) -> StoreResult<Vec<Customer>> {
        sqlx::query(CUSTOMERS)
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(customer_row)
            .collect()
    }

    /// Each identified payment's unapplied cash as of `as_of`, where positive: the payments
    /// the aging counts as open credits.
    pub async fn unapplied_as_of(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<UnappliedAsOf>> {
        self.unapplied_as_of_for(entity, None, as_of).await
    }

    /// One customer's payments with unapplied cash as of `as_of`, read through the customer
    /// index.
    pub async fn customer_unapplied_as_of(
        &self,
        entity: EntityId,
        customer: CustomerId,
        as_of: Date,
    ) -> StoreResult<Vec<UnappliedAsOf>> {
        self.unapplied_as_of_for(entity, Some(customer), as_of)
            .await
    }

    async fn unapplied_as_of_for(
        &self,
        entity: EntityId,
        customer: Option<CustomerId>,
        as_of: Date,
    ) -> StoreResult<Vec<UnappliedAsOf>> {
        // Two statements rather than "any customer or this one", which no index serves.
        let of_customer = if customer.is_some() {
            "m.customer_id = $3"
        } else {
            "m.customer_id IS NOT NULL"
        };
        let sql = format!(
            "SELECT * FROM (SELECT m.id, m.customer_id, m.currency, m.received_on, m.bank_reference, \
               -(SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) FROM postings p \
                 WHERE p.payment_id = m.id AND p.posting_date <= $2) AS unapplied \
             FROM payments m WHERE m.entity_id = $1 AND {of_customer} \
               AND m.received_on <= $2 AND (m.unapplied_minor <> 0 OR m.last_activity > $2)) as_of \
             WHERE unapplied > 0 ORDER BY customer_id, received_on, id"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(date_text(as_of));
        if let Some(customer) = customer {
            query = query.bind(customer.0);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
                let id: i64 = row.try_get("id")?;
                let reference: String = row.try_get("bank_reference")?;
                Ok(UnappliedAsOf {
                    customer: CustomerId(row.try_get("customer_id")?),
                    payment: PaymentId(id),
                    received_on: text_column(row, "payments", "received_on")?,
                    reference: if reference.is_empty() {
                        format!("payment {id}")
                    } else {
                        reference
                    },
                    amount: money(row.try_get("unapplied")?, currency),
                })
            })
            .collect()
    }

    /// What each customer owed per currency at the end of `day`: its items' A/R postings plus
    /// its payments' unapplied-cash postings up to that day. With `only`, that customer's
    /// alone, read through the customer index rather than over the whole book's postings.
    pub async fn customer_positions(
        &self,
        entity: EntityId,
        day: Date,
        only: Option<CustomerId>,
    ) -> StoreResult<HashMap<(CustomerId, Currency), Money>> {
        let (items_of, payments_of) = scope(only, "i", "m", 3);
        let sql = format!(
            "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) AS amount FROM ( \
               SELECT i.customer_id, p.currency, p.amount_minor AS amount FROM postings p \
                 JOIN items i ON i.id = p.item_id \
                 WHERE p.entity_id = $1 AND p.posting_date <= $2{items_of} \
               UNION ALL \
               SELECT m.customer_id, p.currency, p.amount_minor AS amount FROM postings p \
                 JOIN payments m ON m.id = p.payment_id \
                 WHERE p.entity_id = $1 AND p.posting_date <= $2 AND m.customer_id IS NOT NULL{payments_of} \
             ) moves GROUP BY customer_id, currency"
        );
        let rows = bind_scope(
            sqlx::query(AssertSqlSafe(sql))
                .bind(entity.0)
                .bind(date_text(day)),
            only,
        )
        .fetch_all(self.pool())
        .await?;
        let mut positions = HashMap::new();
        for row in &rows {
            let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
            let customer = CustomerId(row.try_get("customer_id")?);
            positions.insert(
                (customer, currency),
                money(row.try_get("amount")?, currency),
            );
        }
        Ok(positions)
    }

    /// Every entry between two dates (inclusive) that moved what a customer owes, netted per
    /// entry, customer and currency; entries that net to nothing (cash applied to an invoice)
    /// are left out. By customer, date and entry. With `only`, that customer's alone.
    pub async fn customer_movements(
        &self,
        entity: EntityId,
        from: Date,
        to: Date,
        only: Option<CustomerId>,
    ) -> StoreResult<Vec<CustomerMovement>> {
        let (items_of, payments_of) = scope(only, "i", "y", 4);
        let sql = format!(
            "SELECT m.customer_id, e.id, e.entry_date, e.kind, e.memo, m.currency, \
               CAST(SUM(m.amount) AS BIGINT) AS amount, MIN(m.reference) AS reference FROM ( \
               SELECT i.customer_id, p.entry_id, p.currency, p.amount_minor AS amount, i.number AS reference \
                 FROM postings p JOIN items i ON i.id = p.item_id \
                 WHERE p.entity_id = $1 AND p.posting_date >= $2 AND p.posting_date <= $3{items_of} \
               UNION ALL \
               SELECT y.customer_id, p.entry_id, p.currency, p.amount_minor AS amount, \
                 CASE WHEN y.bank_reference <> '' THEN y.bank_reference ELSE 'payment ' || CAST(y.id AS TEXT) END AS reference \
                 FROM postings p JOIN payments y ON y.id = p.payment_id \
                 WHERE p.entity_id = $1 AND p.posting_date >= $2 AND p.posting_date <= $3 \
                   AND y.customer_id IS NOT NULL{payments_of} \
             ) m JOIN journal_entries e ON e.id = m.entry_id \
             GROUP BY m.customer_id, e.id, e.entry_date, e.kind, e.memo, m.currency \
             HAVING CAST(SUM(m.amount) AS BIGINT) <> 0 \
             ORDER BY m.customer_id, e.entry_date, e.id"
        );
        let rows = bind_scope(
            sqlx::query(AssertSqlSafe(sql))
                .bind(entity.0)
                .bind(date_text(from))
                .bind(date_text(to)),
            only,
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
                Ok(CustomerMovement {
                    customer: CustomerId(row.try_get("customer_id")?),
                    entry: EntryId(row.try_get("id")?),
                    date: text_column(row, "journal_entries", "entry_date")?,
                    kind: text_column(row, "journal_entries", "kind")?,
                    memo: row.try_get("memo")?,
                    reference: row.try_get("reference")?,
                    amount: money(row.try_get("amount")?, currency),
                })
            })
            .collect()
    }

    /// An invoice, debit memo or credit memo by number, with its lines.
    pub async fn item_document(
        &self,
        entity: EntityId,
        number: &str,
    ) -> StoreResult<Option<ItemDocument>> {
        let Some(row) = sqlx::query(
            "SELECT id, customer_id, kind, number, issue_date, due_date, terms, po_number, description, \
               COALESCE(reason, '') AS reason, currency, net_minor, tax_minor, total_minor, balance_minor \
             FROM items WHERE entity_id = $1 AND number = $2 ORDER BY kind LIMIT 1",
        )
        .bind(entity.0)
        .bind(number.to_string())
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
        let id = ItemId(row.try_get("id")?);
        let lines = sqlx::query(
            "SELECT description, net_minor, tax_minor FROM item_lines \
             WHERE entity_id = $1 AND item_id = $2 ORDER BY line_no",
        )
        .bind(entity.0)
        .bind(id.0)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|line| {
            Ok((
                line.try_get("description")?,
                money(line.try_get("net_minor")?, currency),
                money(line.try_get("tax_minor")?, currency),
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(ItemDocument {
            id,
            customer: CustomerId(row.try_get("customer_id")?),
            kind: text_column(&row, "items", "kind")?,
            number: row.try_get("number")?,
            issue_date: text_column(&row, "items", "issue_date")?,
            due_date: text_column(&row, "items", "due_date")?,
            terms: row.try_get("terms")?,
            po_number: row.try_get("po_number")?,
            description: row.try_get("description")?,
            reason: row.try_get("reason")?,
            net: money(row.try_get("net_minor")?, currency),
            tax: money(row.try_get("tax_minor")?, currency),
            total: money(row.try_get("total_minor")?, currency),
            balance: money(row.try_get("balance_minor")?, currency),
            lines,
        }))
    }

    /// A payment by id or bank reference, with the applications still standing.
    pub async fn payment_document(
        &self,
        entity: EntityId,
        key: &str,
    ) -> StoreResult<Option<PaymentDocument>> {
        let id: i64 = key.parse().unwrap_or(-1);
        let Some(row) = sqlx::query(
            "SELECT id, customer_id, currency, received_on, amount_minor, unapplied_minor, bank_reference, method \
             FROM payments WHERE entity_id = $1 AND (id = $2 OR bank_reference = $3) ORDER BY id LIMIT 1",
        )
        .bind(entity.0)
        .bind(id)
        .bind(key.to_string())
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
        let id = PaymentId(row.try_get("id")?);
        let applications = sqlx::query(
            "SELECT i.number, a.applied_on, a.amount_minor FROM applications a \
             JOIN items i ON i.id = a.invoice_id \
             WHERE a.entity_id = $1 AND a.payment_id = $2 AND a.reversal_entry_id IS NULL \
             ORDER BY a.applied_on, a.id",
        )
        .bind(entity.0)
        .bind(id.0)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|a| {
            Ok((
                a.try_get("number")?,
                text_column(a, "applications", "applied_on")?,
                money(a.try_get("amount_minor")?, currency),
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(PaymentDocument {
            id,
            customer: row
                .try_get::<Option<i64>, _>("customer_id")?
                .map(CustomerId),
            received_on: text_column(&row, "payments", "received_on")?,
            method: row.try_get("method")?,
            reference: row.try_get("bank_reference")?,
            amount: money(row.try_get("amount_minor")?, currency),
            unapplied: money(row.try_get("unapplied_minor")?, currency),
            applications,
        }))
    }
}

impl crate::Tx {
    /// Whether the outbox already holds a message from `source` with this id (in any state).
    pub async fn outbox_has_source(
        &mut self,
        entity: EntityId,
        source: &str,
        source_id: &str,
    ) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE entity_id = $1 AND source = $2 AND source_id = $3 LIMIT 1",
        )
        .bind(entity.0)
        .bind(source.to_string())
        .bind(source_id.to_string())
        .fetch_optional(self.conn())
        .await?;
        Ok(found.is_some())
    }
}

/// The conditions that keep a read to one customer's items and payments (by their aliases),
/// the customer bound as `$parameter`; empty for the whole book. The entity is named with the
/// customer so that SQLite seeks the customer's rows (`items_customer`, `payments_customer`)
/// and their postings; the whole book is read from the postings, which named here too would
/// make it drive from the items and take six times as long.
fn scope(
    only: Option<CustomerId>,
    items: &str,
    payments: &str,
    parameter: usize,
) -> (String, String) {
    match only {
        Some(_) => (
            format!(" AND {items}.entity_id = $1 AND {items}.customer_id = ${parameter}"),
            format!(" AND {payments}.entity_id = $1 AND {payments}.customer_id = ${parameter}"),
        ),
        None => (String::new(), String::new()),
    }
}

/// Binds the customer [`scope`] named, if any.
fn bind_scope(query: Query, only: Option<CustomerId>) -> Query {
    match only {
        Some(customer) => query.bind(customer.0),
        None => query,
    }
}
