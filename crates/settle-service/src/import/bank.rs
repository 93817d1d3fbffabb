//! `settle import bank`: statement files in, each customer credit posted as a payment exactly
//! once, every line kept.
//!
//! One transaction per file. Each statement is checked (opening + lines = closing), its lines
//! are stored, and for each line:
//! - a booked customer credit becomes a payment into Unapplied cash (payer not yet identified:
//!   matching does that), unless a payment with its bank reference is already stored
//!   (`duplicate`) or stored with another amount (`conflict`, posted nothing, for a clerk);
//! - a returned item reverses the original payment's applications and then its receipt
//!   (ACCOUNTING.md), found by the reference the return carries or else by payer account and
//!   amount; a return whose payment cannot be found or was partly refunded is left to a clerk;
//! - everything else (fees, interest, transfers, our own payments, pending and information
//!   lines) stays out of A/R and is listed.
//!
//! A line without a bank reference gets one made from what it says (account, dates, amount,
//! payer, text) and how many identical lines came before it in the file, so the same line in a
//! later, overlapping file gets the same reference and posts nothing.

use settle_core::contact::{
    ContactChannel, ContactDirection, NewContactEntry, ReturnedPayment, return_note,
    return_reason_code,
};
use std::collections::HashMap;
use std::path::Path;

use jiff::civil::Date;
use serde::Serialize;

use settle_core::Money;
use settle_core::accounts::{AccountRole, ChartOfAccounts};
use settle_core::ids::{ApplicationId, PaymentId};
use settle_core::payment::{NewPayment, PaymentMethod};
use settle_formats::{
    ColumnMap, Direction, EntryKind, Format, ParseOptions, Statement, StatementLine,
};
use settle_store::{NewBankLine, NewBankStatement, Tx};

use super::{Limits, PreviousImport, read_file};
use crate::error::{ServiceError, ServiceResult, not_found};
use crate::ops::{receive_in, unapply_in};
use crate::{Settle, sha256_hex};

/// How a bank file is read and booked.
#[derive(Debug, Clone, Default)]
pub struct BankImportOptions {
    /// The chart's bank account (short name of a cash account) every statement posts to,
    /// instead of finding it by the statement's account number.
    pub bank_account: Option<String>,
    /// For a CSV statement: the file holding the bank's column map. Other formats are
    /// detected.
    pub column_map: Option<std::path::PathBuf>,
    /// Refuse the file when its own totals, counts or balances do not agree (by default they
    /// are reported as warnings and the file is booked).
    pub strict: bool,
}

/// What a line became.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineOutcome {
    /// Posted as a new payment.
    Payment,
    /// Its bank reference was posted before, with the same amount: nothing posted.
    Duplicate,
    /// Its bank reference was posted before with another amount: nothing posted.
    Conflict,
    /// A returned item: the original payment's applications and receipt were reversed.
    Return,
    /// A returned item whose payment could not be reversed automatically.
    ReturnUnmatched,
    /// Not a customer payment: stays out of A/R.
    NotReceivable,
    /// Announced or informational, not booked by the bank yet: nothing posted.
    NotBooked,
}

impl LineOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LineOutcome::Payment => "payment",
            LineOutcome::Duplicate => "duplicate",
            LineOutcome::Conflict => "conflict",
            LineOutcome::Return => "return",
            LineOutcome::ReturnUnmatched => "return_unmatched",
            LineOutcome::NotReceivable => "not_receivable",
            LineOutcome::NotBooked => "not_booked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementReport {
    pub account_number: String,
    pub bank_account: String,
    pub currency: String,
    pub statement_ref: String,
    pub lines: usize,
    pub credits: Money,
    pub debits: Money,
    pub opening: Option<Money>,
    pub closing: Option<Money>,
    /// Closing − opening − (credits − debits); zero when the statement reconciles.
    pub difference: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineReport {
    /// Where the line is in the file.
    pub location: String,
    pub direction: Direction,
    pub kind: EntryKind,
    pub amount: Money,
    pub value_date: Option<Date>,
    pub bank_reference: String,
    pub payer_name: String,
    pub outcome: LineOutcome,
    /// Why, for lines a clerk should look at; what was reversed, for returns.
    pub detail: String,
    pub payment_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankImportReport {
    pub file: String,
    pub fingerprint: String,
    pub format: Option<Format>,
    /// Set when this exact file was imported before: nothing was posted this time.
    pub already_imported: Option<PreviousImport>,
    pub statements: Vec<StatementReport>,
    pub lines: Vec<LineReport>,
    /// Findings the file's own checks raised that did not stop the import.
    pub warnings: Vec<String>,
}

impl BankImportReport {
    pub fn count(&self, outcome: LineOutcome) -> usize {
        self.lines.iter().filter(|l| l.outcome == outcome).count()
    }
}

impl Settle {
    /// Imports one bank statement or remittance file.
    ///
    /// Runs again from the start when it loses to a concurrent writer ([`crate::retry`]).
    pub async fn import_bank(
        &self,
        path: &Path,
        options: &BankImportOptions,
    ) -> ServiceResult<BankImportReport> {
        crate::retry::retrying("import_bank", || self.import_bank_once(path, options)).await
    }

    /// One attempt of [`Settle::import_bank`].
    async fn import_bank_once(
        &self,
        path: &Path,
        options: &BankImportOptions,
    ) -> ServiceResult<BankImportReport> {
        let file = read_file(path, Limits::BANK)?;
        let rejected = |error: settle_formats::FormatError| ServiceError::BankFileRejected {
            file: file.name.clone(),
            location: error.location.to_string(),
            field: error.field,
            message: error.message,
        };
        let (parsed, warnings) = match &options.column_map {
            Some(map_path) => {
                let map = read_column_map(map_path)?;
                (
                    settle_formats::parse_csv(&file.bytes, &map).map_err(rejected)?,
                    Vec::new(),
                )
            }
            None => {
                let parse_options = if options.strict {
                    ParseOptions::strict()
                } else {
                    ParseOptions::lenient()
                };
                let parsed =
                    settle_formats::parse_with(&file.bytes, &parse_options).map_err(rejected)?;
                (parsed.file, parsed.warnings)
            }
        };
        let mut report = BankImportReport {
            file: file.name.clone(),
            fingerprint: file.fingerprint.clone(),
            format: Some(parsed.format),
            already_imported: None,
            statements: Vec::new(),
            lines: Vec::new(),
            warnings: warnings.iter().map(ToString::to_string).collect(),
        };
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        if let Some(previous) = tx
            .import_by_fingerprint(entity, "bank", &file.fingerprint)
            .await?
        {
            report.already_imported = Some(PreviousImport {
                import_id: previous.id,
                file_name: previous.file_name,
                imported_at: previous.imported_at,
                rows_stored: previous.rows_stored,
            });
            return Ok(report);
        }
        let import = tx
            .start_import(entity, "bank", &file.fingerprint, &file.name)
            .await?;
        let chart = tx.chart(entity).await?;
        let mut seen = HashMap::new();
        for statement in &parsed.statements {
            let bank_account = bank_account_for(&chart, statement, options)?;
            let summary = summarize(statement, &bank_account)?;
            let stored = NewBankStatement {
                format: parsed.format.as_str().to_string(),
                account_number: summary.account_number.clone(),
                bank_account: bank_account.clone(),
                statement_ref: summary.statement_ref.clone(),
                from_date: statement.from_date,
                to_date: statement.to_date,
                opening: summary.opening,
                closing: summary.closing,
                lines_credit: summary.credits,
                lines_debit: summary.debits,
                difference: summary.difference,
                location: statement.location.to_string(),
            };
            let statement_id = tx.insert_bank_statement(entity, import, &stored).await?;
            for (index, line) in statement.lines.iter().enumerate() {
                let reference = bank_reference(parsed.format, statement, line, &mut seen);
                let booked = book_line(
                    &mut tx,
                    self,
                    parsed.format,
                    &bank_account,
                    line,
                    &reference,
                )
                .await?;
                let stored = stored_line(index, line, &reference, &booked);
                tx.insert_bank_line(entity, statement_id, &stored).await?;
                report.lines.push(LineReport {
                    location: line.location.to_string(),
                    direction: line.direction,
                    kind: line.kind,
                    amount: line.amount,
                    value_date: line.value_date.or(line.booking_date),
                    bank_reference: reference,
                    payer_name: line.payer.name.clone().unwrap_or_default(),
                    outcome: booked.outcome,
                    detail: booked.detail,
                    payment_id: booked.payment.map(|p| p.0),
                });
            }
            report.statements.push(summary);
        }
        let read = report.lines.len() as i64;
        let posted = report.count(LineOutcome::Payment) as i64;
        let duplicates = report.count(LineOutcome::Duplicate) as i64;
        let rejected = report.count(LineOutcome::Conflict) as i64;
        tx.finish_import(import, read, posted, duplicates, rejected)
            .await?;
        let counts = serde_json::json!({
            "format": parsed.format.as_str(),
            "statements": report.statements.len(),
            "lines": read,
            "payments": posted,
            "duplicates": duplicates,
            "conflicts": rejected,
        });
        super::record_import(
            self,
            &mut tx,
            "bank",
            import,
            &file.name,
            &file.fingerprint,
            counts,
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// A column map is a few lines a person wrote; 64 KiB is far more than any needs.
const COLUMN_MAP_LIMITS: Limits = Limits {
    bytes: 64 << 10,
    line: Some(4 << 10),
};

fn read_column_map(path: &Path) -> ServiceResult<ColumnMap> {
    let file = read_file(path, COLUMN_MAP_LIMITS)?;
    let text = std::str::from_utf8(&file.bytes).map_err(|e| ServiceError::BadFile {
        file: file.name.clone(),
        message: format!("is not UTF-8 text (byte {})", e.valid_up_to() + 1),
    })?;
    ColumnMap::parse(text).map_err(|error| ServiceError::BankFileRejected {
        file: path.display().to_string(),
        location: error.location.to_string(),
        field: error.field,
        message: error.message,
    })
}

/// The chart's bank account a statement posts to.
fn bank_account_for(
    chart: &ChartOfAccounts,
    statement: &Statement,
    options: &BankImportOptions,
) -> ServiceResult<String> {
    if let Some(name) = &options.bank_account {
        chart.cash(name)?;
        return Ok(name.clone());
    }
    let banks: Vec<&str> = chart
        .accounts()
        .iter()
        .filter(|a| a.role == AccountRole::Cash)
        .filter_map(|a| a.bank_account.as_deref())
        .collect();
    let compact = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect()
    };
    let numbers: Vec<String> = [
        Some(&statement.account.number),
        statement.account.iban.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|n| compact(n))
    .filter(|n| !n.is_empty())
    .collect();
    if let Some(found) = banks.iter().find(|bank| numbers.contains(&compact(bank))) {
        return Ok((*found).to_string());
    }
    match banks.as_slice() {
        [only] => Ok((*only).to_string()),
        _ => Err(ServiceError::Refused(format!(
            "{}: statement for account {:?}: no cash account is mapped to it (bank accounts: {}); \
             map one with `settle accounts map --role cash --code CODE --bank-account {}` or name \
             it with --bank-account",
            statement.location,
            statement.account.number,
            banks.join(", "),
            statement.account.number
        ))),
    }
}

/// The statement's totals and whether its balances agree with its lines.
fn summarize(statement: &Statement, bank_account: &str) -> ServiceResult<StatementReport> {
    let currency = statement.currency;
    let mut credits = Money::zero(currency);
    let mut debits = Money::zero(currency);
    for line in &statement.lines {
        if !is_booked(line) {
            continue;
        }
        match line.direction {
            Direction::Credit => credits = credits.checked_add(line.amount)?,
            Direction::Debit => debits = debits.checked_add(line.amount)?,
        }
    }
    let opening = statement.opening_balance.as_ref().map(|b| b.amount);
    let closing = statement.closing_balance.as_ref().map(|b| b.amount);
    let difference = match (opening, closing) {
        (Some(opening), Some(closing)) => Some(
            closing
                .checked_sub(opening)?
                .checked_sub(credits.checked_sub(debits)?)?,
        ),
        _ => None,
    };
    Ok(StatementReport {
        account_number: statement.account.number.clone(),
        bank_account: bank_account.to_string(),
        currency: currency.code().to_string(),
        statement_ref: statement.statement_id.clone().unwrap_or_default(),
        lines: statement.lines.len(),
        credits,
        debits,
        opening,
        closing,
        difference,
    })
}

/// Whether the bank booked the line (announced and informational lines move no money).
fn is_booked(line: &StatementLine) -> bool {
    line.status == settle_formats::EntryStatus::Booked
}

/// The line's bank reference, or one made from its content (see the module's documentation).
fn bank_reference(
    format: Format,
    statement: &Statement,
    line: &StatementLine,
    seen: &mut HashMap<String, u32>,
) -> String {
    if let Some(reference) = line
        .bank_reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        return reference.to_string();
    }
    let content = format!(
        "{}|{}|{:?}|{:?}|{:?}|{}|{}|{}|{}",
        statement.account.number,
        statement.account.iban.as_deref().unwrap_or(""),
        line.booking_date,
        line.value_date,
        line.direction,
        line.amount,
        line.payer.name.as_deref().unwrap_or(""),
        line.payer.account.as_deref().unwrap_or(""),
        line.remittance.join("\n"),
    );
    let occurrence = seen.entry(content.clone()).or_insert(0);
    *occurrence += 1;
    let digest = sha256_hex(format!("{content}|{occurrence}").as_bytes());
    format!("{}-{}", format.as_str().to_ascii_uppercase(), &digest[..16])
}

/// What booking a line did.
struct Booked {
    outcome: LineOutcome,
    detail: String,
    payment: Option<PaymentId>,
    /// For a return: the applications it reversed.
    reversed: Vec<ApplicationId>,
}

impl Booked {
    fn just(outcome: LineOutcome, detail: impl Into<String>) -> Self {
        Booked::on(outcome, detail, None)
    }

    fn on(outcome: LineOutcome, detail: impl Into<String>, payment: Option<PaymentId>) -> Self {
        Booked {
            outcome,
            detail: detail.into(),
            payment,
            reversed: Vec::new(),
        }
    }
}

async fn book_line(
    tx: &mut Tx,
    settle: &Settle,
    format: Format,
    bank_account: &str,
    line: &StatementLine,
    reference: &str,
) -> ServiceResult<Booked> {
    if !is_booked(line) {
        return Ok(Booked::just(
            LineOutcome::NotBooked,
            "not booked by the bank",
        ));
    }
    let returned = line.direction == Direction::Debit
        && (line.kind == EntryKind::Return
            || (line.reversal && line.kind == EntryKind::CustomerPayment));
    if returned {
        return return_item(tx, settle, line).await;
    }
    if line.direction != Direction::Credit
        || line.kind != EntryKind::CustomerPayment
        || line.reversal
    {
        return Ok(Booked::just(LineOutcome::NotReceivable, ""));
    }
    let entity = settle.entity().id;
    if let Some(existing) = tx
        .payment_by_reference(entity, bank_account, reference)
        .await?
    {
        return Ok(if existing.amount == line.amount {
            Booked::on(
                LineOutcome::Duplicate,
                format!("posted before as payment {}", existing.id),
                Some(existing.id),
            )
        } else {
            Booked::on(
                LineOutcome::Conflict,
                format!(
                    "bank reference {reference:?} was posted before as payment {} for {}",
                    existing.id, existing.amount
                ),
                Some(existing.id),
            )
        });
    }
    let received_on = line.value_date.or(line.booking_date).ok_or_else(|| {
        ServiceError::Refused(format!(
            "{}: a customer credit without a value or booking date cannot be posted",
            line.location
        ))
    })?;
    let payment = NewPayment {
        customer: None,
        amount: line.amount,
        received_on,
        method: payment_method(format, line),
        bank_reference: reference.to_string(),
        bank_account: bank_account.to_string(),
        payer_name: line.payer.name.clone().unwrap_or_default(),
        payer_account: line.payer.account.clone().unwrap_or_default(),
        memo: line.remittance.join(" / "),
    };
    let posted = receive_in(tx, settle, &payment).await?;
    Ok(Booked::on(
        LineOutcome::Payment,
        String::new(),
        Some(posted.payment_id),
    ))
}

/// A returned item: unapply what the original payment paid, then reverse its receipt
/// (Dr Unapplied cash · Cr Cash).
async fn return_item(tx: &mut Tx, settle: &Settle, line: &StatementLine) -> ServiceResult<Booked> {
    let entity = settle.entity().id;
    let date = line.booking_date.or(line.value_date).ok_or_else(|| {
        ServiceError::Refused(format!(
            "{}: a returned item without a booking or value date cannot be booked",
            line.location
        ))
    })?;
    let mut original = None;
    for reference in [
        line.original_reference(),
        line.end_to_end_id.as_deref(),
        line.customer_reference.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        original = tx.payment_for_return(entity, reference).await?;
        if original.is_some() {
            break;
        }
    }
    if original.is_none()
        && let Some(account) = &line.payer.account
    {
        original = tx
            .payment_for_return_by_payer(entity, account, line.amount, date)
            .await?;
    }
    let Some(payment_id) = original else {
        return Ok(Booked::just(
            LineOutcome::ReturnUnmatched,
            "no posted payment matches this return: a clerk must find it",
        ));
    };
    let payment = tx
        .payment_by_id(entity, payment_id)
        .await?
        .ok_or_else(|| not_found(format!("payment {payment_id}")))?;
    if payment.amount != line.amount {
        return Ok(Booked::on(
            LineOutcome::ReturnUnmatched,
            format!(
                "returns {} but payment {payment_id} was {}: a clerk must decide",
                line.amount, payment.amount
            ),
            Some(payment_id),
        ));
    }
    let applications = tx
        .standing_applications_of_payment(entity, payment_id)
        .await?;
    let applied = Money::sum(payment.currency, applications.iter().map(|a| a.amount))?;
    if payment.unapplied.checked_add(applied)? != payment.amount {
        return Ok(Booked::on(
            LineOutcome::ReturnUnmatched,
            format!(
                "payment {payment_id} was partly refunded or used otherwise: a clerk must decide"
            ),
            Some(payment_id),
        ));
    }
    let mut reopened = Vec::new();
    let mut reopened_by = Vec::new();
    let mut reversed = Vec::new();
    for application in &applications {
        let date = date.max(application_date(tx, settle, application.entry).await?);
        unapply_in(tx, settle, application.id, date).await?;
        reversed.push(application.id);
        let number = tx
            .item_number(entity, application.invoice)
            .await?
            .unwrap_or_else(|| application.invoice.to_string());
        reopened_by.push((
            number.clone(),
            application.amount.checked_add(application.discount)?,
        ));
        reopened.push(number);
    }
    let receipt = tx
        .payment_receipt_entry(entity, payment_id)
        .await?
        .ok_or_else(|| not_found(format!("the receipt of payment {payment_id}")))?;
    let entry = tx
        .entry(entity, receipt)
        .await?
        .ok_or_else(|| not_found(format!("entry {receipt}")))?;
    let code = return_reason_code(line.return_reason(), &line.remittance);
    let reason = line.return_reason().unwrap_or("returned");
    let reversal = entry.reversal(
        receipt,
        date.max(entry.date),
        format!("payment {payment_id} returned ({reason})"),
    );
    crate::ops::book(tx, settle, reversal).await?;
    let mut detail = if reopened.is_empty() {
        format!("payment {payment_id} reversed ({reason})")
    } else {
        format!(
            "payment {payment_id} reversed ({reason}); reopened {}",
            reopened.join(", ")
        )
    };
    // The payer's contact log says what happened, for whoever calls them next.
    match payment.customer {
        Some(customer) => {
            let bank_reference = tx
                .payment_bank_reference(entity, payment_id)
                .await?
                .unwrap_or_default();
            let (subject, body) = return_note(&ReturnedPayment {
                payment: payment_id,
                bank_reference: &bank_reference,
                amount: payment.amount,
                received_on: payment.received_on,
                returned_on: date,
                reason: code.as_deref(),
                reopened: &reopened_by,
            });
            let source_id = line
                .bank_reference
                .clone()
                .unwrap_or_else(|| line.location.to_string());
            tx.insert_contact_entry(
                entity,
                &NewContactEntry {
                    customer,
                    occurred_at: None,
                    channel: ContactChannel::System,
                    direction: ContactDirection::Internal,
                    subject,
                    body,
                    source: "bank-return".to_string(),
                    source_id,
                    created_by: "settle import bank".to_string(),
                    outcome: String::new(),
                    next_step_on: None,
                },
            )
            .await?;
        }
        None => detail.push_str("; no contact-log note: the payer was never identified"),
    }
    Ok(Booked {
        reversed,
        ..Booked::on(LineOutcome::Return, detail, Some(payment_id))
    })
}

async fn application_date(
    tx: &mut Tx,
    settle: &Settle,
    entry: settle_core::ids::EntryId,
) -> ServiceResult<Date> {
    let entry = tx
        .entry(settle.entity().id, entry)
        .await?
        .ok_or_else(|| not_found(format!("entry {entry}")))?;
    Ok(entry.date)
}

/// How the money came, as far as the format's type code tells.
fn payment_method(format: Format, line: &StatementLine) -> PaymentMethod {
    let code = line.type_code.as_deref().unwrap_or("").to_ascii_uppercase();
    match format {
        Format::Nacha => PaymentMethod::Ach,
        Format::Bai2 => match code.trim().parse::<u16>().unwrap_or(0) {
            // Lockbox and check deposits.
            100..=115 | 171..=175 | 301 => PaymentMethod::Check,
            // ACH credits.
            140..=169 => PaymentMethod::Ach,
            // Wires and book transfers.
            191..=199 | 201..=208 => PaymentMethod::Wire,
            _ => PaymentMethod::Other,
        },
        _ if code.contains("CHK") || code.contains("RCHQ") || code.contains("CHEQUE") => {
            PaymentMethod::Check
        }
        _ if code.contains("CCRD") || code.contains("CARD") => PaymentMethod::Card,
        _ if code.contains("RDDT") || code.contains("ACH") || code.contains("DDT") => {
            PaymentMethod::Ach
        }
        _ if code.contains("RCDT") || code.contains("TRF") || code.contains("FWT") => {
            PaymentMethod::Wire
        }
        _ => PaymentMethod::Other,
    }
}

fn stored_line(
    index: usize,
    line: &StatementLine,
    reference: &str,
    booked: &Booked,
) -> NewBankLine {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    NewBankLine {
        line_no: index as i64 + 1,
        direction: match line.direction {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        },
        kind: kind_name(line.kind),
        reversal: line.reversal,
        amount: line.amount,
        booking_date: line.booking_date,
        value_date: line.value_date,
        bank_reference: reference.to_string(),
        batch_reference: line.batch_reference().unwrap_or_default().to_string(),
        customer_reference: text(&line.customer_reference),
        end_to_end_id: text(&line.end_to_end_id),
        type_code: text(&line.type_code),
        payer_name: text(&line.payer.name),
        payer_account: text(&line.payer.account),
        payer_bank: text(&line.payer.bank_id),
        remittance: line.remittance.join("\n"),
        structured: structured_json(line),
        return_reason: line.return_reason().unwrap_or_default().to_string(),
        original_reference: line.original_reference().unwrap_or_default().to_string(),
        outcome: booked.outcome.as_str(),
        payment: booked.payment,
        reversed_applications: booked.reversed.clone(),
        location: line.location.to_string(),
    }
}

fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::CustomerPayment => "customer_payment",
        EntryKind::Return => "return",
        EntryKind::BankFee => "bank_fee",
        EntryKind::Interest => "interest",
        EntryKind::Transfer => "transfer",
        EntryKind::Disbursement => "disbursement",
        EntryKind::Other => "other",
    }
}

/// The payer's structured references, kept as JSON for matching: kind, reference, and the
/// amounts in minor units of the line's currency.
fn structured_json(line: &StatementLine) -> String {
    let minor = |money: &Option<Money>| money.map(|m| m.minor());
    let references: Vec<serde_json::Value> = line
        .references
        .iter()
        .map(|r| {
            serde_json::json!({
                "kind": r.kind,
                "reference": r.reference,
                "paid": minor(&r.paid),
                "document_amount": minor(&r.document_amount),
                "discount": minor(&r.discount),
                "date": r.date.map(|d| d.to_string()),
            })
        })
        .collect();
    serde_json::Value::Array(references).to_string()
}
