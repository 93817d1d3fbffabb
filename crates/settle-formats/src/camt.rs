//! ISO 20022 bank-to-customer cash management: camt.052 (intraday report, `Rpt`), camt.053
//! (statement, `Stmt`) and camt.054 (debit/credit notification, `Ntfctn`), any `001.NN` version
//! and files without a namespace.
//!
//! Elements are matched by local name whatever their prefix or version. The document is
//! streamed (no DOM) and never expands entities: a DTD is refused.
//!
//! Each `Stmt`/`Rpt`/`Ntfctn` becomes a [`Statement`](crate::Statement); each `TxDtls` a line
//! (an `Ntry` without `TxDtls` is one line itself). Entry status: `BOOK` lines are booked money;
//! `PDNG` (and `FUTR`) are [`EntryStatus::Pending`]: announced, not on the account yet, so never
//! posted and left out of the balance check; `INFO` is [`EntryStatus::Information`].
//!
//! References: a line's `bank_reference` is the transaction's `AcctSvcrRef` when the entry is a
//! batch (several `TxDtls`, or `Btch/NbOfTxs` > 1) and it has one, else the entry's; the entry's
//! goes to `batch_reference` for batches. `customer_reference` is `InstrId`; `TxId`, `UETR`,
//! `MndtId`, `PmtInfId` and `NtryRef` are kept in `other_references`. `EndToEndId` is dropped
//! when it is the `NOTPROVIDED` placeholder.
//!
//! The payer of a credit is `Dbtr` (with `DbtrAcct`, `DbtrAgt`), its `ultimate_payer` the
//! `UltmtDbtr`; for a debit the other side is `Cdtr`.
//!
//! Refused: anything that is not well-formed, a DTD, an unknown currency, a garbled, negative or
//! over-precise amount, an impossible date, an entry without amount or direction, a batch
//! transaction without an amount in the booked currency. Warned (see [`BankFile::strict`]):
//! balances and totals that disagree with the entries, batch sums that disagree with the entry.

pub(crate) mod codes;
mod cursor;
mod entry;
mod statement_draft;
mod values;

use jiff::civil::Date;
use settle_core::Currency;

use self::cursor::{Cursor, Step};
use self::entry::{EntryDraft, PartyDraft, TransactionDraft};
use self::statement_draft::{BalanceDraft, StatementDraft};
use crate::error::{FormatError, Location};
use crate::statement::{BankFile, EntryStatus, Format, ReferenceKind, StructuredReference};

/// Larger than any bank's daily camt; refused before reading to keep memory bounded.
pub const MAX_FILE_BYTES: usize = 1 << 30;

const NAMESPACE_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:";

/// Reads a camt.052, camt.053 or camt.054 document.
pub fn parse(bytes: &[u8]) -> Result<BankFile, FormatError> {
    let input = decode(bytes)?;
    let mut cursor = Cursor::new(input);
    let mut reader = CamtReader::default();
    loop {
        match cursor.next()? {
            Step::Open => reader.open(&cursor)?,
            Step::Close => reader.close(&cursor)?,
            Step::End => break,
        }
    }
    reader.finish()
}

/// camt is UTF-8 by the standard. A UTF-8 byte order mark is skipped; UTF-16 is refused by name
/// rather than as "garbage".
fn decode(bytes: &[u8]) -> Result<&str, FormatError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FormatError::new(
            Location::File,
            "file",
            "larger than 1 GiB",
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FormatError::new(
            Location::File,
            "encoding",
            "UTF-16 camt files are not supported; ISO 20022 messages are UTF-8",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        let line = 1 + bytes
            .get(..offset)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        FormatError::new(
            Location::Line(line),
            "encoding",
            "not valid UTF-8 (ISO 20022 messages are UTF-8)",
        )
    })
}

#[derive(Default)]
struct CamtReader {
    format: Option<Format>,
    version: Option<String>,
    file_id: Option<String>,
    created: Option<Date>,
    statements: Vec<crate::statement::Statement>,
    warnings: Vec<FormatError>,
    statement: Option<StatementDraft>,
    balance: Option<BalanceDraft>,
    entry: Option<EntryDraft>,
    transaction: Option<TransactionDraft>,
    structured: Option<StructuredDraft>,
}

/// One `RmtInf/Strd`: referred documents, their amounts, a creditor reference.
#[derive(Default)]
struct StructuredDraft {
    documents: Vec<DocumentDraft>,
    due: Option<settle_core::Money>,
    discount: Option<settle_core::Money>,
    remitted: Option<settle_core::Money>,
    credit_note: Option<settle_core::Money>,
    creditor_reference: Option<String>,
    additional: Vec<String>,
}

#[derive(Default)]
struct DocumentDraft {
    code: Option<String>,
    number: Option<String>,
    date: Option<Date>,
}

fn is_statement(name: &str) -> bool {
    matches!(name, "Stmt" | "Rpt" | "Ntfctn")
}

impl CamtReader {
    fn open(&mut self, cursor: &Cursor<'_>) -> Result<(), FormatError> {
        match cursor.names() {
            ["Document"] => {}
            [root] => {
                return Err(cursor.error_here(
                    root,
                    "not a camt document: the root element must be Document",
                ));
            }
            ["Document", message] => self.open_message(cursor, message)?,
            [_, _, name] if is_statement(name) => {
                self.statement = Some(StatementDraft::new(cursor.location()));
            }
            [_, _, s, "Bal"] if is_statement(s) => self.balance = Some(BalanceDraft::default()),
            [_, _, s, "Ntry"] if is_statement(s) => {
                self.entry = Some(EntryDraft::new(cursor.location()));
            }
            [_, _, s, "Ntry", "NtryDtls", "TxDtls"] if is_statement(s) => {
                self.transaction = Some(TransactionDraft::new(cursor.location()));
            }
            [_, _, s, "Ntry", "NtryDtls", "TxDtls", "RmtInf", "Strd"] if is_statement(s) => {
                self.structured = Some(StructuredDraft::default());
            }
            [
                _,
                _,
                s,
                "Ntry",
                "NtryDtls",
                "TxDtls",
                "RmtInf",
                "Strd",
                "RfrdDocInf",
            ] if is_statement(s) => {
                if let Some(structured) = &mut self.structured {
                    structured.documents.push(DocumentDraft::default());
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn open_message(&mut self, cursor: &Cursor<'_>, message: &str) -> Result<(), FormatError> {
        if self.format.is_some() {
            return Err(cursor.error_here(message, "a camt document holds one message"));
        }
        let (format, number) = match message {
            "BkToCstmrAcctRpt" => (Format::Camt052, "052"),
            "BkToCstmrStmt" => (Format::Camt053, "053"),
            "BkToCstmrDbtCdtNtfctn" => (Format::Camt054, "054"),
            other => {
                return Err(cursor.error_here(
                    other,
                    "not a bank-to-customer message (expected BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn)",
                ));
            }
        };
        if let Some(namespace) = cursor.root_namespace() {
            let version = namespace
                .strip_prefix(NAMESPACE_PREFIX)
                .unwrap_or(namespace);
            let expected = format!("camt.{number}.");
            if !version.starts_with(&expected) {
                return Err(cursor.error_here(
                    "Document/@xmlns",
                    format!("the namespace says {version} but the message is a camt.{number}"),
                ));
            }
            self.version = Some(version.to_string());
        }
        self.format = Some(format);
        Ok(())
    }

    fn close(&mut self, cursor: &Cursor<'_>) -> Result<(), FormatError> {
        let names = cursor.names();
        let text = cursor.text();
        match names {
            ["Document", _, "GrpHdr", "MsgId"] => self.file_id = values::text(text),
            ["Document", _, "GrpHdr", "CreDtTm"] => {
                self.created =
                    Some(values::date(text).map_err(|m| cursor.error_here("CreDtTm", m))?);
            }
            [_, _, s] if is_statement(s) => self.close_statement()?,
            [_, _, s, rest @ ..] if is_statement(s) => self.statement_field(cursor, rest, text)?,
            _ => {}
        }
        Ok(())
    }

    fn close_statement(&mut self) -> Result<(), FormatError> {
        if let Some(draft) = self.statement.take() {
            let statement = draft.finish(&mut self.warnings)?;
            self.statements.push(statement);
        }
        Ok(())
    }

    fn statement_field(
        &mut self,
        cursor: &Cursor<'_>,
        path: &[&str],
        text: &str,
    ) -> Result<(), FormatError> {
        let Some(statement) = &mut self.statement else {
            return Ok(());
        };
        let field_error = |message: String| cursor.error_here(&path.join("/"), message);
        match path {
            ["Id"] => statement.id = values::text(text),
            ["FrToDt", "FrDtTm" | "FrDt"] => {
                statement.from_date = Some(values::date(text).map_err(field_error)?);
            }
            ["FrToDt", "ToDtTm" | "ToDt"] => {
                statement.to_date = Some(values::date(text).map_err(field_error)?);
            }
            ["Acct", "Id", "IBAN"] => {
                statement.account.iban = values::text(text);
                statement.account.number = statement.account.iban.clone().unwrap_or_default();
            }
            ["Acct", "Id", "Othr", "Id"] => {
                statement.account.number = values::text(text).unwrap_or_default();
            }
            ["Acct", "Ccy"] => {
                let currency = Currency::from_code(text.trim())
                    .map_err(|error| field_error(error.to_string()))?;
                statement.account_currency = Some(currency);
            }
            ["Acct", "Nm"] => statement.account.name = values::text(text),
            ["Acct", "Ownr", "Nm"] | ["Acct", "Ownr", "Pty", "Nm"] => {
                statement.owner_name = values::text(text);
            }
            ["Acct", "Svcr", "FinInstnId", "BIC" | "BICFI"] => {
                statement.account.bank_id = values::text(text);
            }
            ["Bal"] => {
                if let Some(balance) = self.balance.take() {
                    statement.add_balance(balance, cursor.location());
                }
            }
            ["Bal", rest @ ..] => {
                if let Some(balance) = &mut self.balance {
                    balance_field(balance, cursor, rest, text).map_err(field_error)?;
                }
            }
            ["TxsSummry", rest @ ..] => {
                let summary = &mut statement.summary;
                let count = || {
                    text.trim()
                        .parse::<u64>()
                        .map_err(|_| field_error(format!("{:?} is not a count", text.trim())))
                };
                match rest {
                    ["TtlCdtNtries", "NbOfNtries"] => summary.credit_count = Some(count()?),
                    ["TtlCdtNtries", "Sum"] => summary.credit_sum = values::text(text),
                    ["TtlDbtNtries", "NbOfNtries"] => summary.debit_count = Some(count()?),
                    ["TtlDbtNtries", "Sum"] => summary.debit_sum = values::text(text),
                    ["TtlNtries", "NbOfNtries"] => summary.entry_count = Some(count()?),
                    _ => {}
                }
            }
            ["Ntry"] => {
                if let Some(entry) = self.entry.take() {
                    let location = entry.location.clone();
                    let finished = entry.finish(&mut self.warnings)?;
                    statement.add_entry(finished, location);
                }
            }
            ["Ntry", rest @ ..] => {
                if let Some(entry) = &mut self.entry {
                    let done = entry_field(entry, cursor, rest, text).map_err(field_error)?;
                    if !done {
                        self.transaction_path(cursor, rest, text)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Paths under `Ntry/NtryDtls/TxDtls`.
    fn transaction_path(
        &mut self,
        cursor: &Cursor<'_>,
        path: &[&str],
        text: &str,
    ) -> Result<(), FormatError> {
        let ["NtryDtls", "TxDtls", rest @ ..] = path else {
            return Ok(());
        };
        let field_error = |message: String| cursor.error_here(&rest.join("/"), message);
        if rest.is_empty() {
            if let (Some(entry), Some(transaction)) = (&mut self.entry, self.transaction.take()) {
                entry.transactions.push(transaction);
            }
            return Ok(());
        }
        let Some(transaction) = &mut self.transaction else {
            return Ok(());
        };
        match rest {
            ["RmtInf", "Strd"] => {
                if let Some(structured) = self.structured.take() {
                    structured.into_references(transaction);
                }
            }
            ["RmtInf", "Strd", strd @ ..] => {
                if let Some(structured) = &mut self.structured {
                    structured_field(structured, cursor, strd, text).map_err(field_error)?;
                }
            }
            _ => transaction_field(transaction, cursor, rest, text).map_err(field_error)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<BankFile, FormatError> {
        let format = self.format.ok_or_else(|| {
            FormatError::new(
                Location::File,
                "Document",
                "no camt message in the document",
            )
        })?;
        Ok(BankFile {
            format,
            version: self.version,
            file_id: self.file_id,
            created: self.created,
            statements: self.statements,
            warnings: self.warnings,
        })
    }
}

fn amount_here(cursor: &Cursor<'_>, text: &str) -> Result<settle_core::Money, String> {
    let currency = cursor
        .currency()
        .ok_or_else(|| "an amount needs its Ccy attribute".to_string())?;
    values::amount(text, currency)
}

fn balance_field(
    balance: &mut BalanceDraft,
    cursor: &Cursor<'_>,
    path: &[&str],
    text: &str,
) -> Result<(), String> {
    match path {
        ["Tp", "CdOrPrtry", "Cd"] => balance.code = values::text(text),
        // A proprietary type is kept only when there is no ISO code: it is never OPBD/CLBD.
        ["Tp", "CdOrPrtry", "Prtry"] if balance.code.is_none() => {
            balance.code = values::text(text).map(|code| format!("Prtry:{code}"));
        }
        ["Amt"] => balance.amount = Some(amount_here(cursor, text)?),
        ["CdtDbtInd"] => balance.direction = Some(values::direction(text)?),
        ["Dt", "Dt" | "DtTm"] => balance.date = Some(values::date(text)?),
        _ => {}
    }
    Ok(())
}

/// Fields of the entry itself; false when the path is not one (it may be a transaction's).
fn entry_field(
    entry: &mut EntryDraft,
    cursor: &Cursor<'_>,
    path: &[&str],
    text: &str,
) -> Result<bool, String> {
    match path {
        ["Amt"] => entry.amount = Some(amount_here(cursor, text)?),
        ["CdtDbtInd"] => entry.direction = Some(values::direction(text)?),
        ["RvslInd"] => entry.reversal = values::boolean(text)?,
        // v2 to v7 write the code as the text of `Sts`; v8 on nest it in `Sts/Cd`.
        ["Sts"] if text.trim().is_empty() => {}
        ["Sts"] | ["Sts", "Cd"] => entry.status = Some(status(text)?),
        ["BookgDt", "Dt" | "DtTm"] => entry.booking_date = Some(values::date(text)?),
        ["ValDt", "Dt" | "DtTm"] => entry.value_date = Some(values::date(text)?),
        ["AcctSvcrRef"] => entry.account_servicer_reference = values::text(text),
        ["NtryRef"] => entry.entry_reference = values::text(text),
        ["AddtlNtryInf"] => entry.additional_info = values::text(text),
        ["BkTxCd", code @ ..] => bank_code_field(&mut entry.code, code, text),
        ["NtryDtls", "Btch", "NbOfTxs"] => {
            let size = text
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{:?} is not a count", text.trim()))?;
            entry.batch_size = Some(size);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn status(text: &str) -> Result<EntryStatus, String> {
    match text.trim() {
        "BOOK" => Ok(EntryStatus::Booked),
        "PDNG" | "FUTR" => Ok(EntryStatus::Pending),
        "INFO" => Ok(EntryStatus::Information),
        other => Err(format!(
            "{other:?} is not an entry status (BOOK, PDNG, INFO)"
        )),
    }
}

fn bank_code_field(code: &mut codes::BankTransactionCode, path: &[&str], text: &str) {
    match path {
        ["Domn", "Cd"] => code.domain = values::text(text),
        ["Domn", "Fmly", "Cd"] => code.family = values::text(text),
        ["Domn", "Fmly", "SubFmlyCd"] => code.sub_family = values::text(text),
        ["Prtry", "Cd"] => code.proprietary = values::text(text),
        _ => {}
    }
}

fn transaction_field(
    transaction: &mut TransactionDraft,
    cursor: &Cursor<'_>,
    path: &[&str],
    text: &str,
) -> Result<(), String> {
    let mut keep = |name: &str| {
        if let Some(value) = values::text(text) {
            transaction.other_references.push((name.to_string(), value));
        }
    };
    match path {
        ["Refs", "AcctSvcrRef"] => transaction.account_servicer_reference = values::text(text),
        ["Refs", "InstrId"] => transaction.instruction_id = values::text(text),
        ["Refs", "EndToEndId"] => {
            transaction.end_to_end_id =
                values::text(text).filter(|id| !id.eq_ignore_ascii_case("NOTPROVIDED"));
        }
        [
            "Refs",
            name @ ("TxId" | "UETR" | "MndtId" | "PmtInfId" | "MsgId" | "ChqNb" | "ClrSysRef"),
        ] => {
            keep(name);
        }
        ["Amt"] => transaction.amount = Some(amount_here(cursor, text)?),
        ["AmtDtls", "TxAmt", "Amt"] => {
            transaction.transaction_amount = Some(amount_here(cursor, text)?);
        }
        ["CdtDbtInd"] => transaction.direction = Some(values::direction(text)?),
        ["BkTxCd", code @ ..] => bank_code_field(&mut transaction.code, code, text),
        ["RltdPties", role, rest @ ..] => {
            let party = match *role {
                "Dbtr" | "DbtrAcct" => &mut transaction.debtor,
                "UltmtDbtr" => &mut transaction.ultimate_debtor,
                "Cdtr" | "CdtrAcct" => &mut transaction.creditor,
                "UltmtCdtr" => &mut transaction.ultimate_creditor,
                _ => return Ok(()),
            };
            if role.ends_with("Acct") {
                account_field(party, rest, text);
            } else {
                party_field(party, rest, text);
            }
        }
        [
            "RltdAgts",
            "DbtrAgt" | "CdtrAgt",
            "FinInstnId",
            "BIC" | "BICFI",
        ] => {
            let party = if path.get(1) == Some(&"DbtrAgt") {
                &mut transaction.debtor
            } else {
                &mut transaction.creditor
            };
            party.bank_id = values::text(text);
        }
        ["RmtInf", "Ustrd"] | ["AddtlTxInf"] => {
            if let Some(value) = values::text(text) {
                transaction.remittance.push(value);
            }
        }
        ["RtrInf", "Rsn", "Cd" | "Prtry"] => {
            transaction.has_return_info = true;
            transaction.return_reason = values::text(text);
        }
        ["RtrInf", ..] => transaction.has_return_info = true,
        _ => {}
    }
    Ok(())
}

/// `Nm` and identifiers of a party, with or without v8's `Pty` level.
fn party_field(party: &mut PartyDraft, path: &[&str], text: &str) {
    let path = match path {
        ["Pty", rest @ ..] => rest,
        other => other,
    };
    match path {
        ["Nm"] => party.name = values::text(text),
        ["Id", "OrgId", "AnyBIC" | "BICOrBEI" | "LEI"]
        | ["Id", "OrgId", "Othr", "Id"]
        | ["Id", "PrvtId", "Othr", "Id"]
            if party.id.is_none() =>
        {
            party.id = values::text(text);
        }
        _ => {}
    }
}

fn account_field(party: &mut PartyDraft, path: &[&str], text: &str) {
    if let ["Id", "IBAN"] | ["Id", "Othr", "Id"] = path {
        party.account = values::text(text);
    }
}

fn structured_field(
    structured: &mut StructuredDraft,
    cursor: &Cursor<'_>,
    path: &[&str],
    text: &str,
) -> Result<(), String> {
    match path {
        ["RfrdDocInf", rest @ ..] => {
            let Some(document) = structured.documents.last_mut() else {
                return Ok(());
            };
            match rest {
                ["Tp", "CdOrPrtry", "Cd" | "Prtry"] => document.code = values::text(text),
                ["Nb"] => document.number = values::text(text),
                ["RltdDt"] | ["RltdDt", "Dt"] => document.date = Some(values::date(text)?),
                _ => {}
            }
        }
        ["RfrdDocAmt", "DuePyblAmt"] => structured.due = Some(amount_here(cursor, text)?),
        // Up to v7 the discount is an amount itself; from v8 it nests its `Amt` beside an
        // optional type, and the wrapper's own (blank) text is no amount.
        ["RfrdDocAmt", "DscntApldAmt"] if text.trim().is_empty() => {}
        ["RfrdDocAmt", "DscntApldAmt"] | ["RfrdDocAmt", "DscntApldAmt", "Amt"] => {
            structured.discount = Some(amount_here(cursor, text)?);
        }
        ["RfrdDocAmt", "RmtdAmt"] => structured.remitted = Some(amount_here(cursor, text)?),
        ["RfrdDocAmt", "CdtNoteAmt"] => structured.credit_note = Some(amount_here(cursor, text)?),
        ["CdtrRefInf", "Ref"] => structured.creditor_reference = values::text(text),
        ["AddtlRmtInf"] => {
            if let Some(value) = values::text(text) {
                structured.additional.push(value);
            }
        }
        _ => {}
    }
    Ok(())
}

impl StructuredDraft {
    /// One reference per referred document, then the creditor reference. The `RfrdDocAmt`
    /// amounts describe the whole `Strd`, so they go with its only document (or, without one,
    /// with its creditor reference) and are not guessed apart between several documents.
    fn into_references(self, transaction: &mut TransactionDraft) {
        let single = self.documents.len() == 1;
        let paid = self.remitted.or(self.credit_note);
        let mut amounts_used = false;
        for document in self.documents {
            let Some(number) = document.number else {
                continue;
            };
            let kind = match document.code.as_deref() {
                Some("CINV") | Some("CMCN") | Some("HIRI") | Some("SBIN") => ReferenceKind::Invoice,
                Some("CREN") => ReferenceKind::CreditNote,
                Some("DEBN") => ReferenceKind::DebitNote,
                Some("PUOR") => ReferenceKind::PurchaseOrder,
                _ => ReferenceKind::Other,
            };
            let with_amounts = single;
            amounts_used |= with_amounts;
            transaction.references.push(StructuredReference {
                kind,
                reference: number,
                paid: paid.filter(|_| with_amounts),
                document_amount: self.due.filter(|_| with_amounts),
                discount: self.discount.filter(|_| with_amounts),
                date: document.date,
            });
        }
        if let Some(reference) = self.creditor_reference {
            let with_amounts = !amounts_used;
            transaction.references.push(StructuredReference {
                kind: ReferenceKind::CreditorReference,
                reference,
                paid: paid.filter(|_| with_amounts),
                document_amount: self.due.filter(|_| with_amounts),
                discount: self.discount.filter(|_| with_amounts),
                date: None,
            });
        }
        transaction.remittance.extend(self.additional);
    }
}

#[cfg(test)]
mod tests;
