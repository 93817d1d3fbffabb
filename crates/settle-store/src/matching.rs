//! What cash application reads (open items, customers, payers, payments waiting for a match)
//! and what it keeps (each decision with its rule and evidence, and which applications it
//! made).

use jiff::civil::Date;
use settle_core::Money;
use settle_core::ids::{ApplicationId, CustomerId, EntityId, ItemId, PaymentId};
use settle_core::terms::PaymentTerms;
use sqlx::Row;

use crate::codec::{date_text, money, now, read_currency, read_date};
use crate::text_column;
use crate::{Store, StoreResult, Tx};

/// An open debit item as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchItemRow {
    pub id: ItemId,
    pub customer: CustomerId,
    pub number: String,
    pub po_number: String,
    pub open: Money,
    pub total: Money,
    pub issue_date: Date,
    pub due_date: Date,
    pub terms: PaymentTerms,
}

/// A payment with unapplied cash and what its bank line said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentForMatch {
    pub id: PaymentId,
    pub customer: Option<CustomerId>,
    /// What was received.
    pub amount: Money,
    pub unapplied: Money,
    pub received_on: Date,
    pub bank_reference: String,
    pub payer_name: String,
    pub payer_account: String,
    pub memo: String,
    /// From the bank line, when the payment came from one.
    pub remittance: String,
    pub customer_reference: String,
    pub end_to_end_id: String,
    pub structured: String,
}

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchDecisionRow {
    pub id: i64,
    pub payment: PaymentId,
    pub decided_at: String,
    pub decision: String,
    pub status: String,
    pub rule: String,
    pub score: i64,
    pub customer: Option<CustomerId>,
    pub allocations: String,
    pub remainder: i64,
    pub evidence: String,
    pub decided_by: String,
}

/// A decision to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMatchDecision<'a> {
    pub payment: PaymentId,
    pub decision: &'a str,
    pub status: &'a str,
    pub rule: &'a str,
    pub score: i64,
    pub customer: Option<CustomerId>,
    /// JSON.
    pub allocations: &'a str,
    pub remainder: i64,
    /// JSON.
    pub evidence: &'a str,
    pub decided_by: &'a str,
}

const DECISION_IDS: &str = "match_decisions";

/// A payment with what its bank line said (`p` the payment, `l` its line): the columns, and
/// the tables they come from; callers add the conditions.
pub(crate) const PAYMENT_COLUMNS: &str = "p.id, p.customer_id, p.currency, p.amount_minor, \
     p.unapplied_minor, p.received_on, p.bank_reference, p.payer_name, p.payer_account, p.memo, \
     COALESCE(l.remittance, '') AS remittance, COALESCE(l.customer_reference, '') AS customer_reference, \
     COALESCE(l.end_to_end_id, '') AS end_to_end_id, COALESCE(l.structured, '[]') AS structured";
pub(crate) const PAYMENT_TABLES: &str =
    "payments p LEFT JOIN bank_lines l ON l.payment_id = p.id AND l.outcome = 'payment'";

pub(crate) fn payment_for_match(row: &sqlx::any::AnyRow) -> StoreResult<PaymentForMatch> {
    let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
    Ok(PaymentForMatch {
        id: PaymentId(row.try_get("id")?),
        customer: row
            .try_get::<Option<i64>, _>("customer_id")?
            .map(CustomerId),
        amount: money(row.try_get("amount_minor")?, currency),
        unapplied: money(row.try_get("unapplied_minor")?, currency),
        received_on: text_column::<Date>(row, "payments", "received_on")?,
        bank_reference: row.try_get("bank_reference")?,
        payer_name: row.try_get("payer_name")?,
        payer_account: row.try_get("payer_account")?,
        memo: row.try_get("memo")?,
        remittance: row.try_get("remittance")?,
        customer_reference: row.try_get("customer_reference")?,
        end_to_end_id: row.try_get("end_to_end_id")?,
        structured: row.try_get("structured")?,
    })
}
/// An item row as matching reads it; `open_column` holds what it owes (its balance now, or
/// its total as issued).
pub(crate) fn match_item_row(
    row: &sqlx::any::AnyRow,
    open_column: &str,
) -> StoreResult<MatchItemRow> {
    let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
    let date = |column: &'static str| -> StoreResult<Date> {
        read_date("items", column, &row.try_get::<String, _>(column)?)
    };
    Ok(MatchItemRow {
        id: ItemId(row.try_get("id")?),
        customer: CustomerId(row.try_get("customer_id")?),
        number: row.try_get("number")?,
        po_number: row.try_get("po_number")?,
        open: money(row.try_get(open_column)?, currency),
        total: money(row.try_get("total_minor")?, currency),
        issue_date: date("issue_date")?,
        due_date: date("due_date")?,
        terms: text_column(row, "items", "terms")?,
    })
}

const DECISION_COLUMNS: &str = "id, payment_id, decided_at, decision, status, rule, score, customer_id, \
                                allocations, remainder_minor, evidence, decided_by";

fn decision_row(row: &sqlx::any::AnyRow) -> StoreResult<MatchDecisionRow> {
    Ok(MatchDecisionRow {
        id: row.try_get("id")?,
        payment: PaymentId(row.try_get("payment_id")?),
        decided_at: row.try_get("decided_at")?,
        decision: row.try_get("decision")?,
        status: row.try_get("status")?,
        rule: row.try_get("rule")?,
        score: row.try_get("score")?,
        customer: row
            .try_get::<Option<i64>, _>("customer_id")?
            .map(CustomerId),
        allocations: row.try_get("allocations")?,
        remainder: row.try_get("remainder_minor")?,
        evidence: row.try_get("evidence")?,
        decided_by: row.try_get("decided_by")?,
    })
}

impl Store {
    pub async fn open_items_for_matching(
        &self,
        entity: EntityId,
    ) -> StoreResult<Vec<MatchItemRow>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, number, po_number, currency, total_minor, balance_minor, issue_date, \
             due_date, terms FROM items WHERE entity_id = $1 AND balance_minor > 0 \
             AND kind IN ('invoice', 'debit_memo')",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| match_item_row(row, "balance_minor"))
            .collect()
    }

    /// Payer accounts and the customers their payments were found to be for.
    pub async fn known_payer_accounts(
        &self,
        entity: EntityId,
    ) -> StoreResult<Vec<(String, CustomerId)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT payer_account, customer_id FROM payments \
             WHERE entity_id = $1 AND customer_id IS NOT NULL AND payer_account <> ''",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("payer_account")?,
                    CustomerId(row.try_get("customer_id")?),
                ))
            })
            .collect()
    }

    /// Payments with unapplied cash that no person has a decision open on or has set aside.
    pub async fn payments_to_match(&self, entity: EntityId) -> StoreResult<Vec<PaymentForMatch>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM {PAYMENT_TABLES} WHERE p.entity_id = $1 AND p.unapplied_minor > 0 \
             AND NOT EXISTS (SELECT 1 FROM match_decisions d WHERE d.entity_id = $1 AND d.payment_id = p.id \
                             AND d.status IN ('open', 'rejected')) \
             ORDER BY p.received_on, p.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(payment_for_match).collect()
    }

    /// The latest decision on each payment, or on the payments whose bank reference is given.
    pub async fn match_decisions(
        &self,
        entity: EntityId,
        bank_reference: Option<&str>,
    ) -> StoreResult<Vec<MatchDecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM match_decisions d WHERE d.entity_id = $1 \
             AND ($2 = '' OR d.payment_id IN (SELECT id FROM payments WHERE entity_id = $1 AND bank_reference = $2)) \
             ORDER BY d.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(bank_reference.unwrap_or("").to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(decision_row).collect()
    }

    /// For the applications export: every statement line that posted or returned a payment,
    /// with its applications (id, invoice number, cash, the decision that made it and its kind)
    /// in order.
    pub async fn application_export_rows(&self, entity: EntityId) -> StoreResult<Vec<ExportRow>> {
        let rows = sqlx::query(
            "SELECT l.id AS line_id, l.bank_reference, l.outcome, l.payment_id, l.reversed_applications, \
             p.currency, p.unapplied_minor, p.amount_minor \
             FROM bank_lines l JOIN payments p ON p.id = l.payment_id \
             WHERE l.entity_id = $1 AND l.outcome IN ('payment', 'return') ORDER BY l.id",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in &rows {
            let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
            lines.push(ExportRow {
                bank_reference: row.try_get("bank_reference")?,
                outcome: row.try_get("outcome")?,
                payment: PaymentId(row.try_get("payment_id")?),
                reversed: parse_ids(&row.try_get::<String, _>("reversed_applications")?),
                unapplied: money(row.try_get("unapplied_minor")?, currency),
                amount: money(row.try_get("amount_minor")?, currency),
            });
        }
        Ok(lines)
    }

    /// A payment's applications of cash: id, invoice number, cash, whether reversed, and the
    /// kind of decision that made it (`auto`, `suggested`, or empty for a person's).
    pub async fn payment_applications(
        &self,
        entity: EntityId,
        payment: PaymentId,
    ) -> StoreResult<Vec<PaymentApplication>> {
        let rows = sqlx::query(
            "SELECT a.id, i.number, a.currency, a.amount_minor, a.reversal_entry_id, COALESCE(d.decision, '') AS decision \
             FROM applications a JOIN items i ON i.id = a.invoice_id \
             LEFT JOIN match_decisions d ON d.id = a.decision_id \
             WHERE a.entity_id = $1 AND a.payment_id = $2 ORDER BY a.id",
        )
        .bind(entity.0)
        .bind(payment.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency =
                    read_currency("applications", &row.try_get::<String, _>("currency")?)?;
                Ok(PaymentApplication {
                    id: ApplicationId(row.try_get("id")?),
                    invoice: row.try_get("number")?,
                    cash: money(row.try_get("amount_minor")?, currency),
                    reversed: row
                        .try_get::<Option<i64>, _>("reversal_entry_id")?
                        .is_some(),
                    decision: row.try_get("decision")?,
                })
            })
            .collect()
    }
}

/// A statement line that posted (or returned) a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub bank_reference: String,
    pub outcome: String,
    pub payment: PaymentId,
    pub reversed: Vec<ApplicationId>,
    pub unapplied: Money,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentApplication {
    pub id: ApplicationId,
    pub invoice: String,
    pub cash: Money,
    pub reversed: bool,
    pub decision: String,
}

pub(crate) fn parse_ids(text: &str) -> Vec<ApplicationId> {
    text.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .map(ApplicationId)
        .collect()
}

impl Tx {
    pub async fn insert_match_decision(
        &mut self,
        entity: EntityId,
        decision: &NewMatchDecision<'_>,
    ) -> StoreResult<i64> {
        let id = self.allocate(DECISION_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO match_decisions (id, entity_id, payment_id, decided_at, decision, status, rule, score, \
             customer_id, allocations, remainder_minor, evidence, decided_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(decision.payment.0)
        .bind(now())
        .bind(decision.decision.to_string())
        .bind(decision.status.to_string())
        .bind(decision.rule.to_string())
        .bind(decision.score)
        .bind(decision.customer.map(|c| c.0))
        .bind(decision.allocations.to_string())
        .bind(decision.remainder)
        .bind(decision.evidence.to_string())
        .bind(decision.decided_by.to_string())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// A decision, locked for the rest of the transaction.
    pub async fn match_decision(
        &mut self,
        entity: EntityId,
        id: i64,
    ) -> StoreResult<Option<MatchDecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM match_decisions WHERE entity_id = $1 AND id = $2{}",
            self.engine.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| decision_row(&row)).transpose()
    }

    /// The latest decision on a payment.
    pub async fn latest_decision(
        &mut self,
        entity: EntityId,
        payment: PaymentId,
    ) -> StoreResult<Option<MatchDecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM match_decisions WHERE entity_id = $1 AND payment_id = $2 \
             ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(payment.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| decision_row(&row)).transpose()
    }

    pub async fn set_decision_status(
        &mut self,
        id: i64,
        status: &str,
        by: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE match_decisions SET status = $1, decided_by = $2 WHERE id = $3")
            .bind(status.to_string())
            .bind(by.to_string())
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Marks an application as made by a decision.
    pub async fn link_application(
        &mut self,
        application: ApplicationId,
        decision: i64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE applications SET decision_id = $1 WHERE id = $2")
            .bind(decision)
            .bind(application.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Records who a payment turned out to be from (beside the entry that moves its cash).
    pub async fn set_payment_customer(
        &mut self,
        entity: EntityId,
        payment: PaymentId,
        customer: CustomerId,
        date: Date,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE payments SET customer_id = $1, \
             last_activity = CASE WHEN last_activity < $2 THEN $2 ELSE last_activity END \
             WHERE entity_id = $3 AND id = $4",
        )
        .bind(customer.0)
        .bind(date_text(date))
        .bind(entity.0)
        .bind(payment.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
