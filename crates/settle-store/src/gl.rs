//! What the general ledger said about a period (imported balances or the control account's
//! postings), and the reads the subledger-to-GL reconciliation compares it with: Settle's
//! entries on A/R control and its open items as of a day.
//!
//! Every import is kept. The latest for a period is its current one; an earlier one names the
//! import that superseded it (`superseded_by`), so what was compared at a close stays on record.

use std::collections::BTreeMap;

use jiff::civil::Date;
use settle_core::gl_recon::{OpenItems, OtherEntry, SettleEntry};
use settle_core::ids::{EntityId, EntryId};
use settle_core::period::Period;
use settle_core::{Currency, Money};
use sqlx::Row;

use crate::codec::{date_text, day_number, money, now, read_currency};
use crate::{Store, StoreResult, Tx, text_column};

/// A GL import about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGlImport {
    pub period: Period,
    /// `balances` or `detail`.
    pub shape: &'static str,
    pub fingerprint: String,
    pub file_name: String,
    pub rows_read: i64,
    /// The A/R control account's code when the file was imported.
    pub control_account: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlImportRow {
    pub id: i64,
    pub period: Period,
    pub shape: String,
    pub fingerprint: String,
    pub file_name: String,
    pub rows_read: i64,
    pub control_account: String,
    pub superseded_by: Option<i64>,
    pub imported_at: String,
}

/// One row of a balances file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlBalanceRow {
    /// The line of the file.
    pub line_no: i64,
    pub account: String,
    /// Debit positive.
    pub balance: Money,
}

/// One row of a detail file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlLineRow {
    /// The line of the file.
    pub line_no: i64,
    pub date: Date,
    pub account: String,
    /// Debit positive.
    pub amount: Money,
    pub reference: String,
    pub memo: String,
    pub source: String,
    /// The account's opening balance at the start of `date`.
    pub opening: bool,
}

const IMPORT_COLUMNS: &str = "id, period, start_date, end_date, shape, fingerprint, file_name, \
                              rows_read, control_account, superseded_by, imported_at";

fn import_row(row: &sqlx::any::AnyRow) -> StoreResult<GlImportRow> {
    Ok(GlImportRow {
        id: row.try_get("id")?,
        period: Period {
            name: row.try_get("period")?,
            start: text_column(row, "gl_imports", "start_date")?,
            end: text_column(row, "gl_imports", "end_date")?,
        },
        shape: row.try_get("shape")?,
        fingerprint: row.try_get("fingerprint")?,
        file_name: row.try_get("file_name")?,
        rows_read: row.try_get("rows_read")?,
        control_account: row.try_get("control_account")?,
        superseded_by: row.try_get("superseded_by")?,
        imported_at: row.try_get("imported_at")?,
    })
}

/// Rows a multi-row insert writes (or ids a query names) at once: 9 values a row stays far
/// below both engines' parameter limits.
const CHUNK: usize = 500;

/// `($1, $2, $3, …)` groups for a multi-row insert whose first two values are shared.
fn value_groups(rows: usize, per_row: usize) -> String {
    let mut sql = String::new();
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push_str("($1, $2");
        for column in 0..per_row {
            sql.push_str(&format!(", ${}", 3 + row * per_row + column));
        }
        sql.push(')');
    }
    sql
}

impl Tx {
    pub async fn gl_import_by_fingerprint(
        &mut self,
        entity: EntityId,
        period: &str,
        fingerprint: &str,
    ) -> StoreResult<Option<GlImportRow>> {
        let sql = format!(
            "SELECT {IMPORT_COLUMNS} FROM gl_imports WHERE entity_id = $1 AND period = $2 AND fingerprint = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(period.to_string())
            .bind(fingerprint.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| import_row(&row)).transpose()
    }

    /// Stores the import record and makes it the period's current one; returns its id and the
    /// import it superseded, if any.
    pub async fn insert_gl_import(
        &mut self,
        entity: EntityId,
        import: &NewGlImport,
    ) -> StoreResult<(i64, Option<i64>)> {
        // Allocating first takes the counter's row until commit (PostgreSQL), so a concurrent
        // import for the period waits and then finds this one as the current import.
        let id = self.allocate("gl_imports", 1).await?;
        let previous: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM gl_imports WHERE entity_id = $1 AND period = $2 AND superseded_by IS NULL",
        )
        .bind(entity.0)
        .bind(import.period.name.clone())
        .fetch_optional(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO gl_imports (id, entity_id, period, start_date, end_date, shape, fingerprint, file_name, \
             rows_read, control_account, superseded_by, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(import.period.name.clone())
        .bind(date_text(import.period.start))
        .bind(date_text(import.period.end))
        .bind(import.shape.to_string())
        .bind(import.fingerprint.clone())
        .bind(import.file_name.clone())
        .bind(import.rows_read)
        .bind(import.control_account.clone())
        .bind(now())
        .execute(self.conn())
        .await?;
        if let Some(previous) = previous {
            sqlx::query("UPDATE gl_imports SET superseded_by = $1 WHERE id = $2")
                .bind(id)
                .bind(previous)
                .execute(self.conn())
                .await?;
        }
        Ok((id, previous))
    }

    pub async fn insert_gl_balances(
        &mut self,
        entity: EntityId,
        import: i64,
        rows: &[GlBalanceRow],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO gl_balances (import_id, entity_id, line_no, account, currency, balance_minor) VALUES {}",
                value_groups(chunk.len(), 4)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(import)
                .bind(entity.0);
            for row in chunk {
                query = query
                    .bind(row.line_no)
                    .bind(row.account.clone())
                    .bind(row.balance.currency().code().to_string())
                    .bind(row.balance.minor());
            }
            query.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn insert_gl_lines(
        &mut self,
        entity: EntityId,
        import: i64,
        rows: &[GlLineRow],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO gl_lines (import_id, entity_id, line_no, posted_on, account, currency, amount_minor, \
                 reference, memo, source, is_opening) VALUES {}",
                value_groups(chunk.len(), 9)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(import)
                .bind(entity.0);
            for row in chunk {
                query = query
                    .bind(row.line_no)
                    .bind(date_text(row.date))
                    .bind(row.account.clone())
                    .bind(row.amount.currency().code().to_string())
                    .bind(row.amount.minor())
                    .bind(row.reference.clone())
                    .bind(row.memo.clone())
                    .bind(row.source.clone())
                    .bind(i64::from(row.opening));
            }
            query.execute(self.conn()).await?;
        }
        Ok(())
    }
}

impl Store {
    /// The period's GL imports, oldest first (the last is current).
    pub async fn gl_imports(
        &self,
        entity: EntityId,
        period: &str,
    ) -> StoreResult<Vec<GlImportRow>> {
        let sql = format!(
            "SELECT {IMPORT_COLUMNS} FROM gl_imports WHERE entity_id = $1 AND period = $2 ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(period.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(import_row).collect()
    }

    /// The import the period's reconciliation compares with.
    pub async fn current_gl_import(
        &self,
        entity: EntityId,
        period: &str,
    ) -> StoreResult<Option<GlImportRow>> {
        let sql = format!(
            "SELECT {IMPORT_COLUMNS} FROM gl_imports WHERE entity_id = $1 AND period = $2 AND superseded_by IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(period.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| import_row(&row)).transpose()
    }

    /// A balances import's rows for one account, in file order.
    pub async fn gl_balances(&self, import: i64, account: &str) -> StoreResult<Vec<GlBalanceRow>> {
        let rows = sqlx::query(
            "SELECT line_no, account, currency, balance_minor FROM gl_balances \
             WHERE import_id = $1 AND account = $2 ORDER BY line_no",
        )
        .bind(import)
        .bind(account.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency =
                    read_currency("gl_balances", &row.try_get::<String, _>("currency")?)?;
                Ok(GlBalanceRow {
                    line_no: row.try_get("line_no")?,
                    account: row.try_get("account")?,
                    balance: money(row.try_get("balance_minor")?, currency),
                })
            })
            .collect()
    }

    /// A detail import's lines for one account, in file order.
    pub async fn gl_lines(&self, import: i64, account: &str) -> StoreResult<Vec<GlLineRow>> {
        let rows = sqlx::query(
            "SELECT line_no, posted_on, account, currency, amount_minor, reference, memo, source, is_opening \
             FROM gl_lines WHERE import_id = $1 AND account = $2 ORDER BY line_no",
        )
        .bind(import)
        .bind(account.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("gl_lines", &row.try_get::<String, _>("currency")?)?;
                Ok(GlLineRow {
                    line_no: row.try_get("line_no")?,
                    date: text_column(row, "gl_lines", "posted_on")?,
                    account: row.try_get("account")?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    reference: row.try_get("reference")?,
                    memo: row.try_get("memo")?,
                    source: row.try_get("source")?,
                    opening: row.try_get::<i64, _>("is_opening")? != 0,
                })
            })
            .collect()
    }

    /// Each entry's postings to `account` dated from `from` (the beginning when `None`) to
    /// `to`, summed per entry and currency.
    pub async fn account_entries(
        &self,
        entity: EntityId,
        account: &str,
        from: Option<Date>,
        to: Date,
    ) -> StoreResult<Vec<SettleEntry>> {
        let rows = sqlx::query(
            "SELECT p.entry_id, p.posting_date, e.kind, e.memo, p.currency, \
             CAST(SUM(p.amount_minor) AS BIGINT) AS amount \
             FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
             WHERE p.entity_id = $1 AND p.account = $2 AND p.posting_date >= $3 AND p.posting_date <= $4 \
             GROUP BY p.entry_id, p.posting_date, e.kind, e.memo, p.currency \
             ORDER BY p.posting_date, p.entry_id, p.currency",
        )
        .bind(entity.0)
        .bind(account.to_string())
        // The empty text sorts before every ISO date.
        .bind(from.map(date_text).unwrap_or_default())
        .bind(date_text(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
                Ok(SettleEntry {
                    entry: EntryId(row.try_get("entry_id")?),
                    date: text_column(row, "postings", "posting_date")?,
                    kind: text_column(row, "journal_entries", "kind")?,
                    memo: row.try_get("memo")?,
                    amount: money(row.try_get("amount")?, currency),
                })
            })
            .collect()
    }

    /// The entries of the entity among `ids`, whatever their date: those posting to `account`
    /// (summed per currency), and the others.
    pub async fn entries_by_id(
        &self,
        entity: EntityId,
        account: &str,
        ids: &[EntryId],
    ) -> StoreResult<(Vec<SettleEntry>, Vec<OtherEntry>)> {
        let mut posting = Vec::new();
        let mut other = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT e.id, e.entry_date, e.kind, e.memo, p.currency, CAST(SUM(p.amount_minor) AS BIGINT) AS amount \
                 FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id AND p.account = $2 \
                 WHERE e.entity_id = $1 AND e.id IN ({}) \
                 GROUP BY e.id, e.entry_date, e.kind, e.memo, p.currency ORDER BY e.id",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(entity.0)
                .bind(account.to_string());
            for id in chunk {
                query = query.bind(id.0);
            }
            for row in query.fetch_all(self.pool()).await? {
                let entry = EntryId(row.try_get("id")?);
                let date: Date = text_column(&row, "journal_entries", "entry_date")?;
                let kind = text_column(&row, "journal_entries", "kind")?;
                match row.try_get::<Option<String>, _>("currency")? {
                    Some(currency) => posting.push(SettleEntry {
                        entry,
                        date,
                        kind,
                        memo: row.try_get("memo")?,
                        amount: money(
                            row.try_get("amount")?,
                            read_currency("postings", &currency)?,
                        ),
                    }),
                    None => other.push(OtherEntry { entry, date, kind }),
                }
            }
        }
        Ok((posting, other))
    }

    /// The open items as they stood at the end of `as_of`, per currency: open debit items and
    /// open credit items. Items untouched since then count with their kept balance; only those
    /// moved later have their postings summed again (as the aging does).
    pub async fn open_items_as_of(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<OpenItems>> {
        let rows = sqlx::query(
            "SELECT currency, CAST(SUM(CASE WHEN balance > 0 THEN balance ELSE 0 END) AS BIGINT) AS debits, \
               CAST(SUM(CASE WHEN balance < 0 THEN -balance ELSE 0 END) AS BIGINT) AS credits \
             FROM (SELECT i.currency, i.balance_minor AS balance FROM items i \
                   WHERE i.entity_id = $1 AND i.balance_minor <> 0 AND i.activity_day <= $3 AND i.issue_date <= $2 \
                   UNION ALL \
                   SELECT i.currency, (SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) FROM postings p \
                      WHERE p.item_id = i.id AND p.posting_date <= $2) AS balance FROM items i \
                   WHERE i.entity_id = $1 AND i.activity_day > i.issue_day AND i.activity_day > $3 \
                     AND i.issue_date <= $2) as_of \
             GROUP BY currency ORDER BY currency",
        )
        .bind(entity.0)
        .bind(date_text(as_of))
        .bind(day_number(as_of))
        .fetch_all(self.pool())
        .await?;
        let mut sums: BTreeMap<Currency, OpenItems> = BTreeMap::new();
        for row in &rows {
            let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
            sums.insert(
                currency,
                OpenItems {
                    debit_items: money(row.try_get("debits")?, currency),
                    credit_items: money(row.try_get("credits")?, currency),
                },
            );
        }
        Ok(sums.into_values().collect())
    }
}
