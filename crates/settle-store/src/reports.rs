//! Reads for the cash-application reports: statements and their lines, the cash A/R posted to a
//! bank account, and payments received with every application of their cash. Rows only; the
//! reconciliation and the metrics are the core's.

use jiff::civil::Date;
use settle_core::Money;
use settle_core::ids::{ApplicationId, EntityId, ItemId, PaymentId};
use sqlx::Row;

use crate::codec::{date_text, money, read_currency, read_date};
use crate::matching::parse_ids;
use crate::text_column;
use crate::{Store, StoreResult};

/// A stored statement with its balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    pub id: i64,
    pub bank_account: String,
    pub account_number: String,
    pub statement_ref: String,
    pub format: String,
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    pub opening: Option<Money>,
    pub credits: Money,
    pub debits: Money,
    pub closing: Option<Money>,
    /// Closing − opening − (credits − debits), when both balances were given.
    pub difference: Option<Money>,
}

/// A booked statement line as the reconciliation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconLineRow {
    pub id: i64,
    pub direction: String,
    pub kind: String,
    /// Positive; `direction` says which way.
    pub amount: Money,
    /// The booking date, else the value date.
    pub date: Date,
    pub bank_reference: String,
    pub outcome: String,
    pub payment: Option<PaymentId>,
}

/// A posting to a bank account's cash account by a payment's receipt (`payment`) or by the
/// reversal of that receipt (`reversal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashPostingRow {
    pub entry_kind: String,
    pub date: Date,
    /// Signed: debit positive.
    pub amount: Money,
    pub payment: PaymentId,
    pub bank_reference: String,
}

/// A payment received, for the matching metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPaymentRow {
    pub id: PaymentId,
    pub bank_account: String,
    /// The customer's code, once the payer is known.
    pub customer: Option<String>,
    pub amount: Money,
    pub received_on: Date,
    /// Posted from (or found again on) a statement line.
    pub from_statement: bool,
    /// The rule of the first match decision on it.
    pub first_rule: Option<String>,
}

/// An application of a received payment's cash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashApplicationRow {
    pub id: ApplicationId,
    pub payment: PaymentId,
    pub invoice: ItemId,
    pub invoice_open_minor: i64,
    pub cash: Money,
    pub discount: Money,
    pub applied_on: Date,
    pub reversed: bool,
    /// `auto`, `suggested`, or empty for a person's.
    pub decision: String,
}

/// The day a line counts on: when the bank booked it, else its value date.
const LINE_DAY: &str = "COALESCE(l.booking_date, l.value_date)";

fn optional_date(
    row: &sqlx::any::AnyRow,
    table: &'static str,
    column: &'static str,
) -> StoreResult<Option<Date>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| read_date(table, column, &text))
        .transpose()
}

impl Store {
    /// Statements of the bank accounts (all when `bank_account` is empty) whose period ends (or,
    /// without an end, starts) between the dates; undated statements always.
    pub async fn statements_between(
        &self,
        entity: EntityId,
        bank_account: &str,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<StatementRow>> {
        let rows = sqlx::query(
            "SELECT id, bank_account, account_number, statement_ref, format, currency, from_date, to_date, \
             opening_minor, closing_minor, lines_credit_minor, lines_debit_minor, difference_minor \
             FROM bank_statements WHERE entity_id = $1 AND ($2 = '' OR bank_account = $2) \
             AND (COALESCE(to_date, from_date) IS NULL OR COALESCE(to_date, from_date) BETWEEN $3 AND $4) \
             ORDER BY bank_account, COALESCE(to_date, from_date), id",
        )
        .bind(entity.0)
        .bind(bank_account.to_string())
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency =
                    read_currency("bank_statements", &row.try_get::<String, _>("currency")?)?;
                let optional_money = |column: &'static str| -> StoreResult<Option<Money>> {
                    Ok(row
                        .try_get::<Option<i64>, _>(column)?
                        .map(|minor| money(minor, currency)))
                };
                Ok(StatementRow {
                    id: row.try_get("id")?,
                    bank_account: row.try_get("bank_account")?,
                    account_number: row.try_get("account_number")?,
                    statement_ref: row.try_get("statement_ref")?,
                    format: row.try_get("format")?,
                    from_date: optional_date(row, "bank_statements", "from_date")?,
                    to_date: optional_date(row, "bank_statements", "to_date")?,
                    opening: optional_money("opening_minor")?,
                    credits: money(row.try_get("lines_credit_minor")?, currency),
                    debits: money(row.try_get("lines_debit_minor")?, currency),
                    closing: optional_money("closing_minor")?,
                    difference: optional_money("difference_minor")?,
                })
            })
            .collect()
    }

    /// The currencies of a bank account's statements.
    pub async fn statement_currencies(
        &self,
        entity: EntityId,
        bank_account: &str,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT currency FROM bank_statements WHERE entity_id = $1 AND bank_account = $2 \
             ORDER BY currency",
        )
        .bind(entity.0)
        .bind(bank_account.to_string())
        .fetch_all(self.pool())
        .await?)
    }

    /// A bank account's booked, dated statement lines counting on a day between the dates, and
    /// the lines of payments received between them (a line may come a day after its payment).
    pub async fn reconciliation_lines(
        &self,
        entity: EntityId,
        bank_account: &str,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<ReconLineRow>> {
        let sql = format!(
            "SELECT l.id, l.direction, l.kind, l.amount_minor, l.currency, {LINE_DAY} AS line_day, \
             l.bank_reference, l.outcome, l.payment_id \
             FROM bank_lines l JOIN bank_statements s ON s.id = l.statement_id \
             WHERE l.entity_id = $1 AND s.entity_id = $1 AND s.bank_account = $2 \
             AND l.outcome <> 'not_booked' AND {LINE_DAY} IS NOT NULL \
             AND ({LINE_DAY} BETWEEN $3 AND $4 OR l.payment_id IN \
                  (SELECT id FROM payments WHERE entity_id = $1 AND bank_account = $2 \
                   AND received_on BETWEEN $3 AND $4)) \
             ORDER BY l.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(bank_account.to_string())
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("bank_lines", &row.try_get::<String, _>("currency")?)?;
                Ok(ReconLineRow {
                    id: row.try_get("id")?,
                    direction: row.try_get("direction")?,
                    kind: row.try_get("kind")?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    date: read_date(
                        "bank_lines",
                        "booking_date",
                        &row.try_get::<String, _>("line_day")?,
                    )?,
                    bank_reference: row.try_get("bank_reference")?,
                    outcome: row.try_get("outcome")?,
                    payment: row.try_get::<Option<i64>, _>("payment_id")?.map(PaymentId),
                })
            })
            .collect()
    }

    /// The postings to `cash_account` of the receipts of payments into `bank_account` and of
    /// those receipts' reversals (returned items): those dated between the dates, and those of
    /// payments with a statement line counting between them.
    pub async fn receipt_cash_postings(
        &self,
        entity: EntityId,
        bank_account: &str,
        cash_account: &str,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<CashPostingRow>> {
        let sql = format!(
            "SELECT e.kind, e.entry_date, c.currency, c.amount_minor, p.id AS payment_id, p.bank_reference \
             FROM payments p \
             JOIN postings u ON u.payment_id = p.id \
             JOIN journal_entries e ON e.id = u.entry_id \
             LEFT JOIN journal_entries o ON o.id = e.reverses_id \
             JOIN postings c ON c.entry_id = e.id AND c.account = $3 \
             WHERE p.entity_id = $1 AND p.bank_account = $2 AND u.entity_id = $1 AND e.entity_id = $1 \
             AND (e.kind = 'payment' OR (e.kind = 'reversal' AND o.kind = 'payment')) \
             AND (e.entry_date BETWEEN $4 AND $5 OR p.id IN \
                  (SELECT l.payment_id FROM bank_lines l WHERE l.entity_id = $1 AND l.payment_id IS NOT NULL \
                   AND {LINE_DAY} BETWEEN $4 AND $5)) \
             ORDER BY e.entry_date, e.id, c.line_no"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(bank_account.to_string())
            .bind(cash_account.to_string())
            .bind(date_text(from))
            .bind(date_text(to))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
                Ok(CashPostingRow {
                    entry_kind: row.try_get("kind")?,
                    date: text_column::<Date>(row, "journal_entries", "entry_date")?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    payment: PaymentId(row.try_get("payment_id")?),
                    bank_reference: row.try_get("bank_reference")?,
                })
            })
            .collect()
    }

    /// Payments received between the dates, with where they came from and the first rule the
    /// matcher decided them by.
    pub async fn payments_received(
        &self,
        entity: EntityId,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<ReceivedPaymentRow>> {
        let rows = sqlx::query(
            "SELECT p.id, p.bank_account, c.code, p.currency, p.amount_minor, p.received_on, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM bank_lines l WHERE l.entity_id = $1 AND l.payment_id = p.id \
                               AND l.outcome IN ('payment', 'duplicate')) THEN 1 ELSE 0 END AS BIGINT) AS from_statement, \
             (SELECT d.rule FROM match_decisions d WHERE d.entity_id = $1 AND d.payment_id = p.id \
              ORDER BY d.id LIMIT 1) AS first_rule \
             FROM payments p LEFT JOIN customers c ON c.id = p.customer_id \
             WHERE p.entity_id = $1 AND p.received_on BETWEEN $2 AND $3 ORDER BY p.id",
        )
        .bind(entity.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
                Ok(ReceivedPaymentRow {
                    id: PaymentId(row.try_get("id")?),
                    bank_account: row.try_get("bank_account")?,
                    customer: row.try_get("code")?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    received_on: text_column::<Date>(row, "payments", "received_on")?,
                    from_statement: row.try_get::<i64, _>("from_statement")? != 0,
                    first_rule: row.try_get("first_rule")?,
                })
            })
            .collect()
    }

    /// Every application of the cash of payments received between the dates, reversed or not,
    /// with the decision that made it and the invoice's open balance now.
    pub async fn cash_applications_of_payments_received(
        &self,
        entity: EntityId,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<CashApplicationRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.payment_id, a.invoice_id, i.balance_minor, a.currency, a.amount_minor, \
             a.discount_minor, a.applied_on, a.reversal_entry_id, COALESCE(d.decision, '') AS decision \
             FROM payments p JOIN applications a ON a.payment_id = p.id \
             JOIN items i ON i.id = a.invoice_id \
             LEFT JOIN match_decisions d ON d.id = a.decision_id \
             WHERE p.entity_id = $1 AND a.entity_id = $1 AND p.received_on BETWEEN $2 AND $3 \
             ORDER BY a.id",
        )
        .bind(entity.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency =
                    read_currency("applications", &row.try_get::<String, _>("currency")?)?;
                Ok(CashApplicationRow {
                    id: ApplicationId(row.try_get("id")?),
                    payment: PaymentId(row.try_get("payment_id")?),
                    invoice: ItemId(row.try_get("invoice_id")?),
                    invoice_open_minor: row.try_get("balance_minor")?,
                    cash: money(row.try_get("amount_minor")?, currency),
                    discount: money(row.try_get("discount_minor")?, currency),
                    applied_on: text_column::<Date>(row, "applications", "applied_on")?,
                    reversed: row
                        .try_get::<Option<i64>, _>("reversal_entry_id")?
                        .is_some(),
                    decision: row.try_get("decision")?,
                })
            })
            .collect()
    }

    /// The applications that returned items reversed (the rest of the reversed ones a person
    /// undid).
    pub async fn applications_reversed_by_returns(
        &self,
        entity: EntityId,
    ) -> StoreResult<Vec<ApplicationId>> {
        let lists: Vec<String> = sqlx::query_scalar(
            "SELECT reversed_applications FROM bank_lines WHERE entity_id = $1 AND outcome = 'return'",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        Ok(lists.iter().flat_map(|list| parse_ids(list)).collect())
    }
}
