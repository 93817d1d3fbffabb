//! What the general ledger says about a period, imported from CSV for the subledger-to-GL
//! reconciliation. Two shapes, told apart by the header:
//!
//! - **balances** (a trial balance, or just the control account): `account,currency,balance`, or
//!   `account,currency,debit,credit`. One row per account and currency: its balance at the
//!   period end, debit positive (`balance` is signed; with `debit,credit` the balance is debit −
//!   credit). Accounts by code, as `settle accounts list` shows them; rows of other accounts
//!   than A/R control are kept and not compared.
//! - **detail** (the GL's postings to the A/R control account): `date,account,currency,debit,credit,reference,memo,source`,
//!   or `amount` (signed, debit positive) instead of `debit,credit`. `reference` is Settle's
//!   journal entry id when the posting came from `settle export journal` (its `entry_id`
//!   column); `source` is free text such as `settle`, `manual`, `ap`. The GL's balance at the
//!   period end is the sum of the lines dated up to it, so the file holds the account's whole
//!   history, or begins with an opening line per currency: reference `OPENING`, its amount the
//!   balance at the start of its date, every other line of that account dated on or after it.
//!   Lines dated after the period end may follow (they show entries the GL dated later).
//!
//! Amounts are decimal text in the currency's precision (`1234.50`, JPY `1200`), read exactly.
//! A file with any bad row stores nothing and names every bad row's line and field. The same
//! file imported again for the same period stores nothing; another file for the period
//! supersedes the earlier import, which stays on record.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use csv::StringRecord;
use serde::Serialize;

use settle_core::accounts::AccountRole;
use settle_core::gl_recon::OPENING_REFERENCE;
use settle_core::money::SignPolicy;
use settle_core::{Currency, Date, Money};
use settle_store::{GlBalanceRow, GlImportRow, GlLineRow, NewGlImport};

use super::{Columns, Limits, csv_error, csv_reader, parse_date, read_file, row_of};
use crate::Settle;
use crate::error::{RowError, ServiceError, ServiceResult};

/// Longest account code, reference, memo or source kept.
const MAX_TEXT: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GlShape {
    Balances,
    Detail,
}

impl GlShape {
    pub fn as_str(self) -> &'static str {
        match self {
            GlShape::Balances => "balances",
            GlShape::Detail => "detail",
        }
    }
}

/// The same file, imported for the period before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviousGlImport {
    pub import_id: i64,
    pub file_name: String,
    pub imported_at: String,
    /// The import that replaced it as the period's current one, if any.
    pub superseded_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlImportReport {
    pub file: String,
    pub fingerprint: String,
    pub period: String,
    /// Set when this exact file was imported for the period before: nothing was stored.
    pub already_imported: Option<PreviousGlImport>,
    pub shape: GlShape,
    pub import_id: Option<i64>,
    /// The period's earlier current import, now superseded.
    pub supersedes: Option<i64>,
    pub rows_read: u64,
    pub control_account: String,
    /// Rows for the A/R control account; the rest belong to other accounts.
    pub control_rows: u64,
    pub other_rows: u64,
    /// What the file says the A/R control account's balance is at the period end, per currency.
    pub balances: Vec<Money>,
}

/// The columns a shape knows; `debit,credit` or the single signed column.
struct Shape {
    shape: GlShape,
    known: &'static [&'static str],
    fixed: &'static [&'static str],
    signed: &'static str,
}

const BALANCES: Shape = Shape {
    shape: GlShape::Balances,
    known: &["account", "currency", "balance", "debit", "credit"],
    fixed: &["account", "currency"],
    signed: "balance",
};

const DETAIL: Shape = Shape {
    shape: GlShape::Detail,
    known: &[
        "date",
        "account",
        "currency",
        "debit",
        "credit",
        "amount",
        "reference",
        "memo",
        "source",
    ],
    fixed: &["date", "account", "currency"],
    signed: "amount",
};

fn header_names(headers: &StringRecord) -> Vec<String> {
    headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect()
}

/// Recognises the shape by the header and maps its columns.
fn shape_of(file: &str, headers: &StringRecord) -> ServiceResult<(GlShape, Columns)> {
    let names = header_names(headers);
    let has = |name: &str| names.iter().any(|n| n == name);
    let shape = if has("date") {
        &DETAIL
    } else if has("balance") || has("debit") || has("credit") {
        &BALANCES
    } else {
        return Err(ServiceError::BadFile {
            file: file.to_string(),
            message: "line 1: the header is neither a balances file (account,currency,balance or \
                      account,currency,debit,credit) nor a detail file \
                      (date,account,currency,debit,credit,reference,memo,source)"
                .to_string(),
        });
    };
    let split = has("debit") || has("credit");
    if split && has(shape.signed) {
        return Err(ServiceError::BadFile {
            file: file.to_string(),
            message: format!(
                "line 1: give either {} or debit and credit, not both",
                shape.signed
            ),
        });
    }
    let mut required: Vec<&'static str> = shape.fixed.to_vec();
    if split {
        required.extend(["debit", "credit"]);
    } else {
        required.push(shape.signed);
    }
    let columns = Columns::map(file, headers, shape.known, &required)?;
    Ok((shape.shape, columns))
}

/// The row's amount, debit positive: the signed column, or debit − credit.
fn amount(
    columns: &Columns,
    line: u64,
    row: &StringRecord,
    signed: &str,
    currency: Currency,
    errors: &mut Vec<RowError>,
) -> Option<Money> {
    let read = |field: &str, text: &str, errors: &mut Vec<RowError>| {
        Money::parse(text, currency, SignPolicy::Signed)
            .map_err(|e| errors.push(columns.error(line, field, e.to_string())))
            .ok()
    };
    if columns.has(signed) {
        let text = columns.get(row, signed);
        if text.is_empty() {
            errors.push(columns.error(line, signed, "is empty"));
            return None;
        }
        return read(signed, text, errors);
    }
    let (debit, credit) = (columns.get(row, "debit"), columns.get(row, "credit"));
    if debit.is_empty() && credit.is_empty() {
        errors.push(columns.error(
            line,
            "debit",
            "debit and credit are both empty (write 0.00 for a zero amount)",
        ));
        return None;
    }
    let zero = Money::zero(currency);
    let debit = if debit.is_empty() {
        Some(zero)
    } else {
        read("debit", debit, errors)
    };
    let credit = if credit.is_empty() {
        Some(zero)
    } else {
        read("credit", credit, errors)
    };
    let (debit, credit) = (debit?, credit?);
    debit
        .checked_sub(credit)
        .map_err(|e| errors.push(columns.error(line, "credit", e.to_string())))
        .ok()
}

fn text(
    columns: &Columns,
    line: u64,
    row: &StringRecord,
    field: &str,
    errors: &mut Vec<RowError>,
) -> String {
    let value = columns.get(row, field);
    if value.chars().count() > MAX_TEXT {
        errors.push(columns.error(line, field, format!("is longer than {MAX_TEXT} characters")));
    }
    value.to_string()
}

fn account_and_currency(
    columns: &Columns,
    line: u64,
    row: &StringRecord,
    errors: &mut Vec<RowError>,
) -> (String, Option<Currency>) {
    let account = text(columns, line, row, "account", errors);
    if account.is_empty() {
        errors.push(columns.error(line, "account", "is empty"));
    }
    let currency = Currency::from_code(columns.get(row, "currency"))
        .map_err(|e| errors.push(columns.error(line, "currency", e.to_string())))
        .ok();
    (account, currency)
}

/// Balances rows; an account and currency given twice is a bad row.
fn parse_balances(
    file: &str,
    columns: &Columns,
    reader: &mut csv::Reader<&[u8]>,
    errors: &mut Vec<RowError>,
) -> (u64, Vec<GlBalanceRow>) {
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, Currency), u64> = HashMap::new();
    let mut read = 0;
    for record in reader.records() {
        read += 1;
        let (line, row) = match row_of(file, columns, record) {
            Ok(row) => row,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let (account, currency) = account_and_currency(columns, line, &row, errors);
        let Some(currency) = currency else { continue };
        let Some(balance) = amount(columns, line, &row, "balance", currency, errors) else {
            continue;
        };
        if let Some(first) = seen.insert((account.clone(), currency), line) {
            errors.push(columns.error(
                line,
                "account",
                format!("{account} in {currency} repeats line {first}"),
            ));
            continue;
        }
        rows.push(GlBalanceRow {
            line_no: line as i64,
            account,
            balance,
        });
    }
    (read, rows)
}

/// Detail rows; then every line must lie on or after its account's opening (in its currency,
/// else the account's earliest), and no opening after the period.
fn parse_detail(
    file: &str,
    columns: &Columns,
    reader: &mut csv::Reader<&[u8]>,
    period_end: Date,
    errors: &mut Vec<RowError>,
) -> (u64, Vec<GlLineRow>) {
    let mut rows = Vec::new();
    let mut openings: HashMap<(String, Currency), (Date, u64)> = HashMap::new();
    let mut read = 0;
    for record in reader.records() {
        read += 1;
        let (line, row) = match row_of(file, columns, record) {
            Ok(row) => row,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let date = parse_date(columns, line, "date", columns.get(&row, "date"))
            .map_err(|e| errors.push(e))
            .ok();
        let (account, currency) = account_and_currency(columns, line, &row, errors);
        let reference = text(columns, line, &row, "reference", errors);
        let memo = text(columns, line, &row, "memo", errors);
        let source = text(columns, line, &row, "source", errors);
        let Some(currency) = currency else { continue };
        let amount = amount(columns, line, &row, "amount", currency, errors);
        let (Some(date), Some(amount)) = (date, amount) else {
            continue;
        };
        let opening = reference.eq_ignore_ascii_case(OPENING_REFERENCE);
        if opening {
            if date > period_end {
                errors.push(columns.error(
                    line,
                    "date",
                    format!(
                        "the opening balance is dated {date}, after the period's end {period_end}"
                    ),
                ));
                continue;
            }
            if let Some((_, first)) = openings.insert((account.clone(), currency), (date, line)) {
                errors.push(columns.error(
                    line,
                    "reference",
                    format!(
                        "a second {OPENING_REFERENCE} line for {account} in {currency} (the first is line {first})"
                    ),
                ));
                continue;
            }
        }
        rows.push(GlLineRow {
            line_no: line as i64,
            date,
            account,
            amount,
            reference: if opening {
                OPENING_REFERENCE.to_string()
            } else {
                reference
            },
            memo,
            source,
            opening,
        });
    }
    let mut earliest: HashMap<&str, (Date, u64)> = HashMap::new();
    for ((account, _), &(date, line)) in &openings {
        let slot = earliest.entry(account.as_str()).or_insert((date, line));
        if date < slot.0 {
            *slot = (date, line);
        }
    }
    for row in rows.iter().filter(|r| !r.opening) {
        let opening = openings
            .get(&(row.account.clone(), row.amount.currency()))
            .or_else(|| earliest.get(row.account.as_str()));
        if let Some(&(from, line)) = opening
            && row.date < from
        {
            errors.push(columns.error(
                row.line_no as u64,
                "date",
                format!(
                    "{} is before the opening balance of {} on {from} (line {line}), which stands for everything before it",
                    row.date, row.account
                ),
            ));
        }
    }
    (read, rows)
}

/// A general ledger's file, read without the database.
#[derive(Debug)]
pub(crate) struct GlRows {
    pub shape: GlShape,
    pub rows_read: u64,
    pub balances: Vec<GlBalanceRow>,
    pub lines: Vec<GlLineRow>,
}

/// Parses a general ledger's file for a period ending `period_end`: the shape from the header,
/// then every row; any bad row refuses the file, naming each.
pub(crate) fn read_gl(file: &str, bytes: &[u8], period_end: Date) -> ServiceResult<GlRows> {
    let mut reader = csv_reader(bytes);
    let headers = reader.headers().map_err(|e| ServiceError::BadFile {
        file: file.to_string(),
        message: csv_error(file, &e).message,
    })?;
    let (shape, columns) = shape_of(file, headers)?;
    let mut errors = Vec::new();
    let (rows_read, balances, lines) = match shape {
        GlShape::Balances => {
            let (read, rows) = parse_balances(file, &columns, &mut reader, &mut errors);
            (read, rows, Vec::new())
        }
        GlShape::Detail => {
            let (read, rows) = parse_detail(file, &columns, &mut reader, period_end, &mut errors);
            (read, Vec::new(), rows)
        }
    };
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ServiceError::GlFileRejected {
            file: file.to_string(),
            errors,
        });
    }
    Ok(GlRows {
        shape,
        rows_read,
        balances,
        lines,
    })
}

impl Settle {
    /// Imports what the general ledger says for a period: balances or the control account's
    /// postings (see the module note for the shapes). Stores nothing on any bad row.
    pub async fn import_gl(&self, path: &Path, period: &str) -> ServiceResult<GlImportReport> {
        let file = read_file(path, Limits::CSV)?;
        let entity = self.entity().id;
        let period = self.store().calendar(entity).await?.named(period)?;
        let mut tx = self.store().begin().await?;
        let control_account = tx
            .chart(entity)
            .await?
            .code(AccountRole::ArControl)
            .to_string();
        let report = |shape: GlShape, rows_read: u64| GlImportReport {
            file: file.name.clone(),
            fingerprint: file.fingerprint.clone(),
            period: period.name.clone(),
            already_imported: None,
            shape,
            import_id: None,
            supersedes: None,
            rows_read,
            control_account: control_account.clone(),
            control_rows: 0,
            other_rows: 0,
            balances: Vec::new(),
        };
        if let Some(previous) = tx
            .gl_import_by_fingerprint(entity, &period.name, &file.fingerprint)
            .await?
        {
            let mut report = report(shape_named(&previous), previous.rows_read as u64);
            report.already_imported = Some(PreviousGlImport {
                import_id: previous.id,
                file_name: previous.file_name,
                imported_at: previous.imported_at,
                superseded_by: previous.superseded_by,
            });
            return Ok(report);
        }
        let GlRows {
            shape,
            rows_read: read,
            balances: balance_rows,
            lines: line_rows,
        } = read_gl(&file.name, &file.bytes, period.end)?;
        let mut report = report(shape, read);
        let mut balances: BTreeMap<Currency, Money> = BTreeMap::new();
        let mut accounts: Vec<String> = Vec::new();
        let mut add = |account: &str, amount: Money| -> ServiceResult<bool> {
            if account != control_account {
                if !accounts.iter().any(|a| a == account) {
                    accounts.push(account.to_string());
                }
                return Ok(false);
            }
            let sum = balances
                .entry(amount.currency())
                .or_insert(Money::zero(amount.currency()));
            *sum = sum.checked_add(amount)?;
            Ok(true)
        };
        for row in &balance_rows {
            if add(&row.account, row.balance)? {
                report.control_rows += 1;
            } else {
                report.other_rows += 1;
            }
        }
        for row in &line_rows {
            let counts = if row.date <= period.end {
                add(&row.account, row.amount)?
            } else {
                row.account == control_account
            };
            if counts {
                report.control_rows += 1;
            } else {
                report.other_rows += 1;
            }
        }
        if report.control_rows == 0 {
            let named = if accounts.is_empty() {
                "it has no rows".to_string()
            } else {
                format!("it names {}", accounts.join(", "))
            };
            return Err(ServiceError::BadFile {
                file: file.name,
                message: format!(
                    "no row for the A/R control account {control_account} ({named}); if the \
                     general ledger uses another code, map it with `settle accounts map --role \
                     AR_CONTROL`; nothing was stored"
                ),
            });
        }
        report.balances = balances.into_values().collect();
        let (id, supersedes) = tx
            .insert_gl_import(
                entity,
                &NewGlImport {
                    period: period.clone(),
                    shape: shape.as_str(),
                    fingerprint: file.fingerprint.clone(),
                    file_name: file.name.clone(),
                    rows_read: read as i64,
                    control_account,
                },
            )
            .await?;
        tx.insert_gl_balances(entity, id, &balance_rows).await?;
        tx.insert_gl_lines(entity, id, &line_rows).await?;
        let counts = serde_json::json!({
            "period": period.name,
            "rows_read": read,
            "control_rows": report.control_rows,
            "other_rows": report.other_rows,
        });
        super::record_import(
            self,
            &mut tx,
            "gl",
            id,
            &file.name,
            &file.fingerprint,
            counts,
        )
        .await?;
        tx.commit().await?;
        report.import_id = Some(id);
        report.supersedes = supersedes;
        Ok(report)
    }
}

fn shape_named(import: &GlImportRow) -> GlShape {
    if import.shape == GlShape::Detail.as_str() {
        GlShape::Detail
    } else {
        GlShape::Balances
    }
}
