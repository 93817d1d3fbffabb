//! Bank statements and their lines: every line of every imported statement is kept, customer
//! credits linked to the payment they became, so that reconciliation, matching and the close
//! can go back to what the bank said.

use jiff::civil::Date;
use settle_core::Money;
use settle_core::ids::{EntityId, PaymentId};
use sqlx::Row;

use crate::codec::{date_text, money, read_currency, read_date};
use crate::tx::application_record;
use crate::{ApplicationRecord, StoreResult, Tx};

/// A statement as stored: the account, the period, the balances and the lines' totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBankStatement {
    pub format: String,
    pub account_number: String,
    /// The bank account's short name in the chart (whose cash account the lines post to).
    pub bank_account: String,
    pub statement_ref: String,
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    /// Signed balances in the statement's currency.
    pub opening: Option<Money>,
    pub closing: Option<Money>,
    pub lines_credit: Money,
    pub lines_debit: Money,
    /// Closing − opening − (credits − debits), when both balances are given.
    pub difference: Option<Money>,
    pub location: String,
}

/// One line as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBankLine {
    pub line_no: i64,
    /// `credit` or `debit`.
    pub direction: &'static str,
    pub kind: &'static str,
    pub reversal: bool,
    /// Positive; `direction` says which way.
    pub amount: Money,
    pub booking_date: Option<Date>,
    pub value_date: Option<Date>,
    pub bank_reference: String,
    pub batch_reference: String,
    pub customer_reference: String,
    pub end_to_end_id: String,
    pub type_code: String,
    pub payer_name: String,
    pub payer_account: String,
    pub payer_bank: String,
    /// Free remittance text, pieces joined by newlines.
    pub remittance: String,
    /// Structured references as JSON.
    pub structured: String,
    pub return_reason: String,
    pub original_reference: String,
    /// What the import did with the line (`payment`, `duplicate`, `return`, `not_ar`, …).
    pub outcome: &'static str,
    pub payment: Option<PaymentId>,
    /// For a returned item: the applications its return reversed.
    pub reversed_applications: Vec<settle_core::ids::ApplicationId>,
    pub location: String,
}

/// A stored line, as matching and reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLineRow {
    pub id: i64,
    pub statement_id: i64,
    pub line_no: i64,
    pub bank_account: String,
    pub direction: String,
    pub kind: String,
    pub amount: Money,
    pub value_date: Option<Date>,
    pub booking_date: Option<Date>,
    pub bank_reference: String,
    pub payer_name: String,
    pub payer_account: String,
    pub remittance: String,
    pub structured: String,
    pub outcome: String,
    pub payment: Option<PaymentId>,
}

const STATEMENT_IDS: &str = "bank_statements";
const LINE_IDS: &str = "bank_lines";

impl Tx {
    pub async fn insert_bank_statement(
        &mut self,
        entity: EntityId,
        import: i64,
        statement: &NewBankStatement,
    ) -> StoreResult<i64> {
        let id = self.allocate(STATEMENT_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO bank_statements (id, entity_id, import_id, format, account_number, bank_account, \
             currency, statement_ref, from_date, to_date, opening_minor, closing_minor, lines_credit_minor, \
             lines_debit_minor, difference_minor, location) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(import)
        .bind(statement.format.clone())
        .bind(statement.account_number.clone())
        .bind(statement.bank_account.clone())
        .bind(statement.lines_credit.currency().code().to_string())
        .bind(statement.statement_ref.clone())
        .bind(statement.from_date.map(date_text))
        .bind(statement.to_date.map(date_text))
        .bind(statement.opening.map(|m| m.minor()))
        .bind(statement.closing.map(|m| m.minor()))
        .bind(statement.lines_credit.minor())
        .bind(statement.lines_debit.minor())
        .bind(statement.difference.map(|m| m.minor()))
        .bind(statement.location.clone())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    pub async fn insert_bank_line(
        &mut self,
        entity: EntityId,
        statement: i64,
        line: &NewBankLine,
    ) -> StoreResult<i64> {
        let id = self.allocate(LINE_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO bank_lines (id, entity_id, statement_id, line_no, direction, kind, reversal, \
             amount_minor, currency, booking_date, value_date, bank_reference, batch_reference, \
             customer_reference, end_to_end_id, type_code, payer_name, payer_account, payer_bank, \
             remittance, structured, return_reason, original_reference, outcome, payment_id, \
             reversed_applications, location) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22, $23, $24, $25, $26, $27)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(statement)
        .bind(line.line_no)
        .bind(line.direction)
        .bind(line.kind)
        .bind(i64::from(line.reversal))
        .bind(line.amount.minor())
        .bind(line.amount.currency().code().to_string())
        .bind(line.booking_date.map(date_text))
        .bind(line.value_date.map(date_text))
        .bind(line.bank_reference.clone())
        .bind(line.batch_reference.clone())
        .bind(line.customer_reference.clone())
        .bind(line.end_to_end_id.clone())
        .bind(line.type_code.clone())
        .bind(line.payer_name.clone())
        .bind(line.payer_account.clone())
        .bind(line.payer_bank.clone())
        .bind(line.remittance.clone())
        .bind(line.structured.clone())
        .bind(line.return_reason.clone())
        .bind(line.original_reference.clone())
        .bind(line.outcome)
        .bind(line.payment.map(|p| p.0))
        .bind(ids_json(&line.reversed_applications))
        .bind(line.location.clone())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// The payment a returned item names: posted from a line with that bank, end-to-end or
    /// customer reference, or else posted by hand with that bank reference; not returned
    /// already.
    pub async fn payment_for_return(
        &mut self,
        entity: EntityId,
        reference: &str,
    ) -> StoreResult<Option<PaymentId>> {
        if reference.trim().is_empty() {
            return Ok(None);
        }
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT l.payment_id FROM bank_lines l \
             WHERE l.entity_id = $1 AND l.outcome = 'payment' AND l.payment_id IS NOT NULL \
             AND (l.bank_reference = $2 OR l.end_to_end_id = $2 OR l.customer_reference = $2) \
             AND NOT EXISTS (SELECT 1 FROM bank_lines r WHERE r.entity_id = $1 AND r.outcome = 'return' \
                             AND r.payment_id = l.payment_id) \
             ORDER BY l.id DESC LIMIT 1",
        )
        .bind(entity.0)
        .bind(reference.to_string())
        .fetch_optional(self.conn())
        .await?;
        if id.is_some() {
            return Ok(id.map(PaymentId));
        }
        // A payment posted by hand (a check keyed in from the lockbox) has its bank reference
        // but no line.
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT p.id FROM payments p WHERE p.entity_id = $1 AND p.bank_reference = $2 \
             AND NOT EXISTS (SELECT 1 FROM bank_lines r WHERE r.entity_id = $1 AND r.outcome = 'return' \
                             AND r.payment_id = p.id) \
             ORDER BY p.id DESC LIMIT 1",
        )
        .bind(entity.0)
        .bind(reference.to_string())
        .fetch_optional(self.conn())
        .await?;
        Ok(id.map(PaymentId))
    }

    /// A returned item without a usable reference: the latest payment of that amount from that
    /// payer account received on or before the return, not returned already.
    pub async fn payment_for_return_by_payer(
        &mut self,
        entity: EntityId,
        payer_account: &str,
        amount: Money,
        on_or_before: Date,
    ) -> StoreResult<Option<PaymentId>> {
        if payer_account.trim().is_empty() {
            return Ok(None);
        }
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT p.id FROM payments p WHERE p.entity_id = $1 AND p.payer_account = $2 \
             AND p.amount_minor = $3 AND p.currency = $4 AND p.received_on <= $5 \
             AND NOT EXISTS (SELECT 1 FROM bank_lines r WHERE r.entity_id = $1 AND r.outcome = 'return' \
                             AND r.payment_id = p.id) \
             ORDER BY p.received_on DESC, p.id DESC LIMIT 1",
        )
        .bind(entity.0)
        .bind(payer_account.to_string())
        .bind(amount.minor())
        .bind(amount.currency().code().to_string())
        .bind(date_text(on_or_before))
        .fetch_optional(self.conn())
        .await?;
        Ok(id.map(PaymentId))
    }

    /// The applications of a payment's cash that stand (not reversed).
    pub async fn standing_applications_of_payment(
        &mut self,
        entity: EntityId,
        payment: PaymentId,
    ) -> StoreResult<Vec<ApplicationRecord>> {
        let rows = sqlx::query(
            "SELECT id, kind, invoice_id, payment_id, credit_item_id, currency, amount_minor, discount_minor, \
             entry_id, reversal_entry_id FROM applications \
             WHERE entity_id = $1 AND payment_id = $2 AND reversal_entry_id IS NULL ORDER BY id",
        )
        .bind(entity.0)
        .bind(payment.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(application_record).collect()
    }

    /// A document's number by its id.
    pub async fn item_number(
        &mut self,
        entity: EntityId,
        item: settle_core::ids::ItemId,
    ) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT number FROM items WHERE entity_id = $1 AND id = $2")
                .bind(entity.0)
                .bind(item.0)
                .fetch_optional(self.conn())
                .await?,
        )
    }

    /// The receipt entry of a payment (its first entry of kind `payment`).
    pub async fn payment_receipt_entry(
        &mut self,
        entity: EntityId,
        payment: PaymentId,
    ) -> StoreResult<Option<settle_core::ids::EntryId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT e.id FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
             WHERE e.entity_id = $1 AND e.kind = 'payment' AND p.payment_id = $2 \
             ORDER BY e.id LIMIT 1",
        )
        .bind(entity.0)
        .bind(payment.0)
        .fetch_optional(self.conn())
        .await?;
        Ok(id.map(settle_core::ids::EntryId))
    }
}

pub(crate) fn bank_line_row(row: &sqlx::any::AnyRow) -> StoreResult<BankLineRow> {
    let currency = read_currency("bank_lines", &row.try_get::<String, _>("currency")?)?;
    let optional_date = |column: &'static str| -> StoreResult<Option<Date>> {
        row.try_get::<Option<String>, _>(column)?
            .map(|text| read_date("bank_lines", column, &text))
            .transpose()
    };
    Ok(BankLineRow {
        id: row.try_get("id")?,
        statement_id: row.try_get("statement_id")?,
        line_no: row.try_get("line_no")?,
        bank_account: row.try_get("bank_account")?,
        direction: row.try_get("direction")?,
        kind: row.try_get("kind")?,
        amount: money(row.try_get("amount_minor")?, currency),
        value_date: optional_date("value_date")?,
        booking_date: optional_date("booking_date")?,
        bank_reference: row.try_get("bank_reference")?,
        payer_name: row.try_get("payer_name")?,
        payer_account: row.try_get("payer_account")?,
        remittance: row.try_get("remittance")?,
        structured: row.try_get("structured")?,
        outcome: row.try_get("outcome")?,
        payment: row.try_get::<Option<i64>, _>("payment_id")?.map(PaymentId),
    })
}

impl crate::Store {
    /// The lines of one import's statements, in file order.
    pub async fn bank_lines_of_import(
        &self,
        entity: EntityId,
        import: i64,
    ) -> StoreResult<Vec<BankLineRow>> {
        let rows = sqlx::query(
            "SELECT l.id, l.statement_id, l.line_no, s.bank_account, l.direction, l.kind, l.amount_minor, \
             l.currency, l.value_date, l.booking_date, l.bank_reference, l.payer_name, l.payer_account, \
             l.remittance, l.structured, l.outcome, l.payment_id \
             FROM bank_lines l JOIN bank_statements s ON s.id = l.statement_id \
             WHERE l.entity_id = $1 AND s.import_id = $2 ORDER BY l.statement_id, l.line_no",
        )
        .bind(entity.0)
        .bind(import)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(bank_line_row).collect()
    }
}

/// Ids as a JSON array of numbers (`[3,7]`).
pub(crate) fn ids_json(ids: &[settle_core::ids::ApplicationId]) -> String {
    let inner: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
    format!("[{}]", inner.join(","))
}
