//! What matching learned (rules: payer aliases, reference habits, rejected pairings, each
//! `trial`, `enabled` or `disabled`) and the payments it may replay or compare with. The
//! deduction disputes a match opens are in `disputes.rs`.

use jiff::civil::Date;
use settle_core::ids::{CustomerId, EntityId, ItemId, PaymentId};
use sqlx::Row;

use crate::codec::{date_text, now};
use crate::matching::{
    MatchItemRow, PAYMENT_COLUMNS, PAYMENT_TABLES, PaymentForMatch, payment_for_match,
};
use crate::{Store, StoreResult, Tx};

/// A rule as stored, with its customer's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchRuleRow {
    pub id: i64,
    pub kind: String,
    pub customer: CustomerId,
    pub customer_code: String,
    pub pattern: String,
    pub match_key: String,
    pub status: String,
    pub source: String,
    pub times_seen: i64,
    pub learned_at: String,
    pub updated_at: String,
    pub decision: Option<i64>,
}

/// A rule to learn or enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMatchRule<'a> {
    pub kind: &'a str,
    pub customer: CustomerId,
    pub pattern: &'a str,
    /// What the rule is unique by, per kind (a normalised alias, customer and prefix, …).
    pub match_key: &'a str,
    pub status: &'a str,
    pub source: &'a str,
    pub decision: Option<i64>,
}

/// What storing a rule did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Learned {
    /// A new rule.
    Created(i64),
    /// The rule was known: seen once more.
    SeenAgain(i64),
    /// The same key is another customer's rule already: nothing changed.
    OtherCustomers(i64),
}

/// A payment with cash applied, and the invoices it went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedPaymentRow {
    pub payment: PaymentForMatch,
    pub invoices: Vec<String>,
}

const RULE_IDS: &str = "match_rules";
const RULE_SELECT: &str = "SELECT r.id, r.kind, r.customer_id, c.code, r.pattern, r.match_key, r.status, \
     r.source, r.times_seen, r.learned_at, r.updated_at, r.decision_id \
     FROM match_rules r JOIN customers c ON c.id = r.customer_id";

fn rule_row(row: &sqlx::any::AnyRow) -> StoreResult<MatchRuleRow> {
    Ok(MatchRuleRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        customer: CustomerId(row.try_get("customer_id")?),
        customer_code: row.try_get("code")?,
        pattern: row.try_get("pattern")?,
        match_key: row.try_get("match_key")?,
        status: row.try_get("status")?,
        source: row.try_get("source")?,
        times_seen: row.try_get("times_seen")?,
        learned_at: row.try_get("learned_at")?,
        updated_at: row.try_get("updated_at")?,
        decision: row.try_get("decision_id")?,
    })
}

/// Groups (payment row, invoice number) rows, ordered by payment, into payments with their
/// invoices.
fn with_invoices(rows: &[sqlx::any::AnyRow]) -> StoreResult<Vec<AppliedPaymentRow>> {
    let mut payments: Vec<AppliedPaymentRow> = Vec::new();
    for row in rows {
        let id = PaymentId(row.try_get("id")?);
        let number: String = row.try_get("number")?;
        match payments.last_mut() {
            Some(last) if last.payment.id == id => {
                if !last.invoices.contains(&number) {
                    last.invoices.push(number);
                }
            }
            _ => payments.push(AppliedPaymentRow {
                payment: payment_for_match(row)?,
                invoices: vec![number],
            }),
        }
    }
    Ok(payments)
}

impl Store {
    /// The entity's rules (of one customer, when given), oldest first.
    pub async fn match_rules(
        &self,
        entity: EntityId,
        customer: Option<CustomerId>,
    ) -> StoreResult<Vec<MatchRuleRow>> {
        let sql = format!(
            "{RULE_SELECT} WHERE r.entity_id = $1 AND ($2 = 0 OR r.customer_id = $2) ORDER BY r.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(customer.map_or(0, |c| c.0))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(rule_row).collect()
    }

    pub async fn match_rule(&self, entity: EntityId, id: i64) -> StoreResult<Option<MatchRuleRow>> {
        let sql = format!("{RULE_SELECT} WHERE r.entity_id = $1 AND r.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| rule_row(&row)).transpose()
    }

    /// Payments received on or after `since` with cash applied (not reversed), each with the
    /// invoices it went to: what a new payment may duplicate, or what a rule is tried on.
    pub async fn applied_payments(
        &self,
        entity: EntityId,
        since: Date,
    ) -> StoreResult<Vec<AppliedPaymentRow>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS}, i.number FROM {PAYMENT_TABLES} \
             JOIN applications a ON a.payment_id = p.id AND a.reversal_entry_id IS NULL \
             JOIN items i ON i.id = a.invoice_id \
             WHERE p.entity_id = $1 AND p.received_on >= $2 ORDER BY p.id, a.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(date_text(since))
            .fetch_all(self.pool())
            .await?;
        with_invoices(&rows)
    }

    /// Every invoice and debit memo as it was issued (owing its total), for replaying past
    /// payments.
    pub async fn items_as_issued(&self, entity: EntityId) -> StoreResult<Vec<MatchItemRow>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, number, po_number, currency, total_minor, issue_date, due_date, terms \
             FROM items WHERE entity_id = $1 AND kind IN ('invoice', 'debit_memo') AND total_minor > 0",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| crate::matching::match_item_row(row, "total_minor"))
            .collect()
    }
}

impl Tx {
    /// Stores a rule, or counts one more sighting of the same rule (same kind and key, same
    /// customer). A key that is another customer's rule is left as it is.
    pub async fn learn_rule(
        &mut self,
        entity: EntityId,
        rule: &NewMatchRule<'_>,
    ) -> StoreResult<Learned> {
        let existing = sqlx::query(
            "SELECT id, customer_id FROM match_rules WHERE entity_id = $1 AND kind = $2 AND match_key = $3",
        )
        .bind(entity.0)
        .bind(rule.kind.to_string())
        .bind(rule.match_key.to_string())
        .fetch_optional(self.conn())
        .await?;
        if let Some(row) = existing {
            let id: i64 = row.try_get("id")?;
            if row.try_get::<i64, _>("customer_id")? != rule.customer.0 {
                return Ok(Learned::OtherCustomers(id));
            }
            sqlx::query(
                "UPDATE match_rules SET times_seen = times_seen + 1, updated_at = $1 WHERE id = $2",
            )
            .bind(now())
            .bind(id)
            .execute(self.conn())
            .await?;
            return Ok(Learned::SeenAgain(id));
        }
        let id = self.allocate(RULE_IDS, 1).await?;
        let at = now();
        sqlx::query(
            "INSERT INTO match_rules (id, entity_id, kind, customer_id, pattern, match_key, status, source, \
             times_seen, learned_at, updated_at, decision_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(rule.kind.to_string())
        .bind(rule.customer.0)
        .bind(rule.pattern.to_string())
        .bind(rule.match_key.to_string())
        .bind(rule.status.to_string())
        .bind(rule.source.to_string())
        .bind(at)
        .bind(rule.decision)
        .execute(self.conn())
        .await?;
        Ok(Learned::Created(id))
    }

    /// Sets a rule's status; false when the entity has no such rule.
    pub async fn set_rule_status(
        &mut self,
        entity: EntityId,
        id: i64,
        status: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE match_rules SET status = $1, updated_at = $2 WHERE entity_id = $3 AND id = $4",
        )
        .bind(status.to_string())
        .bind(now())
        .bind(entity.0)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The rule of a kind with a key: its id and customer.
    pub async fn rule_by_key(
        &mut self,
        entity: EntityId,
        kind: &str,
        match_key: &str,
    ) -> StoreResult<Option<(i64, CustomerId)>> {
        let row = sqlx::query(
            "SELECT id, customer_id FROM match_rules WHERE entity_id = $1 AND kind = $2 AND match_key = $3",
        )
        .bind(entity.0)
        .bind(kind.to_string())
        .bind(match_key.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|row| Ok((row.try_get("id")?, CustomerId(row.try_get("customer_id")?))))
            .transpose()
    }

    /// Removes a rule; false when the entity has no such rule.
    pub async fn delete_rule(&mut self, entity: EntityId, id: i64) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM match_rules WHERE entity_id = $1 AND id = $2")
            .bind(entity.0)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A payment with what its bank line said, read in the transaction.
    pub async fn payment_for_match(
        &mut self,
        entity: EntityId,
        payment: PaymentId,
    ) -> StoreResult<Option<PaymentForMatch>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM {PAYMENT_TABLES} WHERE p.entity_id = $1 AND p.id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(payment.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| payment_for_match(&row)).transpose()
    }

    /// A customer's code and name.
    pub async fn customer_code_and_name(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Option<(String, String)>> {
        let row = sqlx::query("SELECT code, name FROM customers WHERE entity_id = $1 AND id = $2")
            .bind(entity.0)
            .bind(customer.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| Ok((row.try_get("code")?, row.try_get("name")?)))
            .transpose()
    }

    /// An item's purchase-order number (empty when it has none).
    pub async fn item_po_number(&mut self, entity: EntityId, item: ItemId) -> StoreResult<String> {
        let row = sqlx::query("SELECT po_number FROM items WHERE entity_id = $1 AND id = $2")
            .bind(entity.0)
            .bind(item.0)
            .fetch_optional(self.conn())
            .await?;
        Ok(row
            .map(|row| row.try_get::<String, _>("po_number"))
            .transpose()?
            .unwrap_or_default())
    }
}
