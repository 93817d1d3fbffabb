//! A [`BankFile`] as an ISO 20022 camt.053.001.08 bank-to-customer statement.
//!
//! What is written: `GrpHdr` (`MsgId`, `CreDtTm` from the [`CamtHeader`]); one `Stmt` per
//! statement with `Id`, `CreDtTm`, `FrToDt` (when both dates are known), `Acct` (`Id/IBAN` or
//! `Id/Othr/Id`, `Ccy`, `Nm`, `Svcr`), the `OPBD` and `CLBD` balances when known, and
//! `TxsSummry` (the statement's totals, else the booked lines'); one `Ntry` per line with one
//! `TxDtls`: amount, `CdtDbtInd`, `RvslInd` for reversals, `Sts/Cd`, booking and value dates,
//! `AcctSvcrRef`, `BkTxCd` (the line's own ISO code when it reads back as the line's kind,
//! else a code chosen by kind, with any other type code as `Prtry/Cd`), `Refs` (`AcctSvcrRef`,
//! `InstrId` = customer reference, `EndToEndId`, and the `TxId`, `UETR`, `MndtId`… kept in
//! `other_references`), `RltdPties` (for a credit the payer is `Dbtr`/`DbtrAcct`/`UltmtDbtr`,
//! for a debit `Cdtr`/`CdtrAcct`/`UltmtCdtr`), `RltdAgts` (the payer's bank), `RmtInf` (each
//! remittance piece as `Ustrd`, each structured reference as a `Strd` with `RfrdDocInf` or
//! `CdtrRefInf` and its `RfrdDocAmt`), and `RtrInf/Rsn` for returns with a reason.
//! Text is XML-escaped; amounts carry their currency's decimals (JPY none, KWD three).
//!
//! Refused ([`WriteError`]): characters XML 1.0 cannot carry (control characters other than
//! tab, line feed and carriage return), negative line or reference amounts (camt amounts are
//! unsigned; the direction is `CdtDbtInd`), a line or balance in another currency than its
//! statement's, a statement without an account number, a structured reference without a
//! number, dates outside the years 1–9999, an empty header message id.
//!
//! What the round trip does not keep, and why:
//! * every value comes back trimmed, and a remittance piece longer than 140 characters (the
//!   limit of `Ustrd`) comes back as several pieces, cut between two non-blank characters so
//!   that the pieces joined give the piece back;
//! * the batch reference (one `Ntry` per line: no batches), the statement id when there is
//!   none (one is made from the message id), a period with only one of its dates (`FrToDt`
//!   needs both), an account number beside an IBAN (the IBAN is the account's number);
//! * balances without a date are written with the statement's from/to date (or the creation
//!   date): `Dt` is mandatory;
//! * bank ids that are not BICs are written as `Othr/Id`, which the reader does not read back;
//!   the ultimate payer's account and bank have no place in `UltmtDbtr`;
//! * a creditor reference has no date; `RtrInf` is written only for returns, so the return
//!   reason of another kind of line is lost; the original reference of a return comes back as
//!   its end-to-end id (or customer reference), which is how the reader finds it;
//! * an end-to-end id `NOTPROVIDED` comes back as none (the reader drops the placeholder);
//! * kinds the reader's code rules cannot give back: no bank transaction code makes a debit a
//!   customer payment or a credit a disbursement, and the reader takes every reversed debit for
//!   a return. Such lines are written with the nearest code (a returned credit transfer,
//!   another credit) and come back with that kind.

use jiff::civil::{Date, DateTime};
use settle_core::{Currency, Money};

use super::{Place, WriteError, to_i64};
use crate::camt::codes::{BankTransactionCode, entry_kind};
use crate::statement::{
    BankFile, Direction, EntryKind, EntryStatus, Party, ReferenceKind, Statement, StatementLine,
    StructuredReference,
};

/// The camt.053 version written.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";

/// The longest `Ustrd` the schema allows, in characters.
const MAX_UNSTRUCTURED: usize = 140;

/// What a camt message says about itself, which the statement model does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamtHeader {
    /// `GrpHdr/MsgId`: unique per message from this bank.
    pub message_id: String,
    /// `GrpHdr/CreDtTm`, also each statement's `CreDtTm`.
    pub created: DateTime,
}

/// Writes the file's statements as one camt.053.001.08 message (see the module notes).
pub fn camt053(file: &BankFile, header: &CamtHeader) -> Result<String, WriteError> {
    if header.message_id.trim().is_empty() {
        return Err(WriteError::new(Place::File, "GrpHdr/MsgId", "missing"));
    }
    let created = date_time(header.created, Place::File, "GrpHdr/CreDtTm")?;
    let mut xml = Xml::default();
    xml.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.out
        .push_str(&format!("<Document xmlns=\"{NAMESPACE}\">\n"));
    xml.open("BkToCstmrStmt");
    xml.open("GrpHdr");
    xml.leaf("MsgId", &header.message_id)?;
    xml.leaf("CreDtTm", &created)?;
    xml.close();
    for (index, statement) in file.statements.iter().enumerate() {
        write_statement(&mut xml, statement, index + 1, header, &created)?;
    }
    xml.close();
    xml.out.push_str("</Document>\n");
    Ok(xml.out)
}

fn write_statement(
    xml: &mut Xml,
    statement: &Statement,
    ordinal: usize,
    header: &CamtHeader,
    created: &str,
) -> Result<(), WriteError> {
    xml.place = Place::Statement(ordinal);
    let currency = statement.currency;
    xml.open("Stmt");
    let id = statement
        .statement_id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .unwrap_or_else(|| format!("{}-{ordinal}", header.message_id));
    xml.leaf("Id", &id)?;
    xml.leaf("CreDtTm", created)?;
    if let (Some(from), Some(to)) = (statement.from_date, statement.to_date) {
        xml.open("FrToDt");
        xml.leaf(
            "FrDtTm",
            &format!("{}T00:00:00", iso_date(from, xml.place, "FrDtTm")?),
        )?;
        xml.leaf(
            "ToDtTm",
            &format!("{}T23:59:59", iso_date(to, xml.place, "ToDtTm")?),
        )?;
        xml.close();
    }

    let account = &statement.account;
    xml.open("Acct");
    xml.open("Id");
    match account
        .iban
        .as_deref()
        .filter(|iban| !iban.trim().is_empty())
    {
        Some(iban) => xml.leaf("IBAN", iban)?,
        None if !account.number.trim().is_empty() => {
            xml.open("Othr");
            xml.leaf("Id", &account.number)?;
            xml.close();
        }
        None => {
            return Err(WriteError::new(
                xml.place,
                "Acct/Id",
                "the account has neither an IBAN nor a number",
            ));
        }
    }
    xml.close();
    xml.leaf("Ccy", currency.code())?;
    if let Some(name) = &account.name {
        xml.leaf("Nm", name)?;
    }
    if let Some(bank) = &account.bank_id {
        xml.open("Svcr");
        financial_institution(xml, bank)?;
        xml.close();
    }
    xml.close();

    let first_day = statement.from_date.or(statement.to_date);
    let last_day = statement.to_date.or(statement.from_date);
    let fallback_day = header.created.date();
    for (balance, code, day) in [
        (&statement.opening_balance, "OPBD", first_day),
        (&statement.closing_balance, "CLBD", last_day),
    ] {
        let Some(balance) = balance else { continue };
        if balance.amount.currency() != currency {
            return Err(WriteError::new(
                xml.place,
                "Bal/Amt/@Ccy",
                format!(
                    "the {code} balance is in {} but the account is in {currency}",
                    balance.amount.currency()
                ),
            ));
        }
        let magnitude = balance
            .amount
            .minor()
            .checked_abs()
            .ok_or_else(|| WriteError::new(xml.place, "Bal/Amt", "balance out of range"))?;
        xml.open("Bal");
        xml.open("Tp");
        xml.open("CdOrPrtry");
        xml.leaf("Cd", code)?;
        xml.close();
        xml.close();
        xml.amount("Amt", Money::new(magnitude, currency));
        let direction = if balance.amount.is_negative() {
            Direction::Debit
        } else {
            Direction::Credit
        };
        xml.leaf("CdtDbtInd", credit_debit(direction))?;
        xml.open("Dt");
        let date = balance.date.or(day).unwrap_or(fallback_day);
        xml.leaf("Dt", &iso_date(date, xml.place, "Bal/Dt/Dt")?)?;
        xml.close();
        xml.close();
    }

    write_summary(xml, statement)?;

    for (index, line) in statement.lines.iter().enumerate() {
        xml.place = Place::Line {
            statement: ordinal,
            line: index + 1,
        };
        write_entry(xml, line, currency)?;
    }
    xml.place = Place::Statement(ordinal);
    xml.close();
    Ok(())
}

/// Counts and sums of credits and debits among some of the lines.
#[derive(Default, Clone, Copy)]
struct Tally {
    credits: (u64, i128),
    debits: (u64, i128),
}

fn write_summary(xml: &mut Xml, statement: &Statement) -> Result<(), WriteError> {
    let mut booked = Tally::default();
    let mut all = Tally::default();
    for line in &statement.lines {
        let minor = i128::from(line.amount.minor());
        for tally in [&mut all, &mut booked] {
            let side = match line.direction {
                Direction::Credit => &mut tally.credits,
                Direction::Debit => &mut tally.debits,
            };
            side.0 += 1;
            side.1 += minor;
            if line.status != EntryStatus::Booked {
                break;
            }
        }
    }
    // The reader accepts counts and sums of either the booked or all entries; the counts
    // written are those of whichever the stated totals are.
    let states = |tally: &Tally| {
        statement
            .total_credits
            .is_none_or(|sum| i128::from(sum.minor()) == tally.credits.1)
            && statement
                .total_debits
                .is_none_or(|sum| i128::from(sum.minor()) == tally.debits.1)
    };
    let tally = [booked, all].into_iter().find(states).unwrap_or(booked);
    let currency = statement.currency;
    let credit_sum = match statement.total_credits {
        Some(sum) => sum.minor(),
        None => to_i64(tally.credits.1, xml.place, "TxsSummry/TtlCdtNtries/Sum")?,
    };
    let debit_sum = match statement.total_debits {
        Some(sum) => sum.minor(),
        None => to_i64(tally.debits.1, xml.place, "TxsSummry/TtlDbtNtries/Sum")?,
    };
    xml.open("TxsSummry");
    xml.open("TtlNtries");
    xml.leaf(
        "NbOfNtries",
        &(tally.credits.0 + tally.debits.0).to_string(),
    )?;
    xml.close();
    for (name, count, sum) in [
        ("TtlCdtNtries", tally.credits.0, credit_sum),
        ("TtlDbtNtries", tally.debits.0, debit_sum),
    ] {
        xml.open(name);
        xml.leaf("NbOfNtries", &count.to_string())?;
        xml.leaf("Sum", &Money::new(sum, currency).to_decimal_string())?;
        xml.close();
    }
    xml.close();
    Ok(())
}

/// Names in `other_references` that have an element of their own in `TxDtls/Refs` after
/// `EndToEndId`, in the schema's order.
const REFS_AFTER_END_TO_END: &[&str] = &["UETR", "TxId", "MndtId", "ChqNb", "ClrSysRef"];

fn write_entry(xml: &mut Xml, line: &StatementLine, currency: Currency) -> Result<(), WriteError> {
    if line.amount.currency() != currency {
        return Err(WriteError::new(
            xml.place,
            "Ntry/Amt/@Ccy",
            format!(
                "the line is in {} but its statement's account is in {currency}",
                line.amount.currency()
            ),
        ));
    }
    if line.amount.is_negative() {
        return Err(WriteError::new(
            xml.place,
            "Ntry/Amt",
            "negative: camt amounts are unsigned and CdtDbtInd gives the direction",
        ));
    }
    let other = |name: &str| {
        line.other_references()
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let code = bank_transaction_code(line);
    let proprietary = match (&line.type_code, code.type_code()) {
        (Some(own), Some(written)) if *own != written && !own.trim().is_empty() => {
            Some(own.as_str())
        }
        _ => other("BkTxCd/Prtry/Cd"),
    };

    xml.open("Ntry");
    if let Some(reference) = other("NtryRef") {
        xml.leaf("NtryRef", reference)?;
    }
    xml.amount("Amt", line.amount);
    xml.leaf("CdtDbtInd", credit_debit(line.direction))?;
    if line.reversal {
        xml.leaf("RvslInd", "true")?;
    }
    xml.open("Sts");
    xml.leaf(
        "Cd",
        match line.status {
            EntryStatus::Booked => "BOOK",
            EntryStatus::Pending => "PDNG",
            EntryStatus::Information => "INFO",
        },
    )?;
    xml.close();
    for (name, date) in [("BookgDt", line.booking_date), ("ValDt", line.value_date)] {
        if let Some(date) = date {
            xml.open(name);
            xml.leaf("Dt", &iso_date(date, xml.place, name)?)?;
            xml.close();
        }
    }
    if let Some(reference) = &line.bank_reference {
        xml.leaf("AcctSvcrRef", reference)?;
    }
    xml.open("BkTxCd");
    xml.open("Domn");
    xml.leaf("Cd", code.domain.as_deref().unwrap_or_default())?;
    xml.open("Fmly");
    xml.leaf("Cd", code.family.as_deref().unwrap_or_default())?;
    xml.leaf("SubFmlyCd", code.sub_family.as_deref().unwrap_or_default())?;
    xml.close();
    xml.close();
    if let Some(proprietary) = proprietary {
        xml.open("Prtry");
        xml.leaf("Cd", proprietary)?;
        xml.close();
    }
    xml.close();

    xml.open("NtryDtls");
    xml.open("TxDtls");
    xml.open("Refs");
    if let Some(value) = other("MsgId") {
        xml.leaf("MsgId", value)?;
    }
    if let Some(reference) = &line.bank_reference {
        xml.leaf("AcctSvcrRef", reference)?;
    }
    if let Some(value) = other("PmtInfId") {
        xml.leaf("PmtInfId", value)?;
    }
    if let Some(reference) = &line.customer_reference {
        xml.leaf("InstrId", reference)?;
    }
    if let Some(reference) = &line.end_to_end_id {
        xml.leaf("EndToEndId", reference)?;
    }
    for name in REFS_AFTER_END_TO_END {
        if let Some(value) = other(name) {
            xml.leaf(name, value)?;
        }
    }
    xml.close();
    xml.amount("Amt", line.amount);
    xml.leaf("CdtDbtInd", credit_debit(line.direction))?;
    write_parties(xml, line)?;
    write_remittance(xml, line)?;
    if line.kind == EntryKind::Return
        && let Some(reason) = line.return_reason().filter(|r| !r.trim().is_empty())
    {
        xml.open("RtrInf");
        xml.open("Rsn");
        // `Cd` is an ISO external code of up to four characters; anything else is the bank's.
        let is_code = (1..=4).contains(&reason.chars().count())
            && reason.chars().all(|c| c.is_ascii_alphanumeric());
        xml.leaf(if is_code { "Cd" } else { "Prtry" }, reason)?;
        xml.close();
        xml.close();
    }
    xml.close();
    xml.close();
    xml.close();
    Ok(())
}

/// The payer as the debtor of a credit, or the other side of a debit as its creditor: the
/// roles the reader takes the line's `payer` and `ultimate_payer` from.
fn write_parties(xml: &mut Xml, line: &StatementLine) -> Result<(), WriteError> {
    let (party, account, ultimate, agent) = match line.direction {
        Direction::Credit => ("Dbtr", "DbtrAcct", "UltmtDbtr", "DbtrAgt"),
        Direction::Debit => ("Cdtr", "CdtrAcct", "UltmtCdtr", "CdtrAgt"),
    };
    let payer = &line.payer;
    let ultimate_payer = line
        .ultimate_payer
        .as_ref()
        .filter(|p| p.name.is_some() || p.id.is_some());
    let has_party = payer.name.is_some() || payer.id.is_some();
    if has_party || payer.account.is_some() || ultimate_payer.is_some() {
        xml.open("RltdPties");
        if has_party {
            write_party(xml, party, payer)?;
        }
        if let Some(number) = &payer.account {
            xml.open(account);
            xml.open("Id");
            if looks_like_iban(number) {
                xml.leaf("IBAN", number)?;
            } else {
                xml.open("Othr");
                xml.leaf("Id", number)?;
                xml.close();
            }
            xml.close();
            xml.close();
        }
        if let Some(ultimate_payer) = ultimate_payer {
            write_party(xml, ultimate, ultimate_payer)?;
        }
        xml.close();
    }
    if let Some(bank) = &payer.bank_id {
        xml.open("RltdAgts");
        xml.open(agent);
        financial_institution(xml, bank)?;
        xml.close();
        xml.close();
    }
    Ok(())
}

/// A v8 party: `Pty` with its name and an organisation id.
fn write_party(xml: &mut Xml, role: &'static str, party: &Party) -> Result<(), WriteError> {
    xml.open(role);
    xml.open("Pty");
    if let Some(name) = &party.name {
        xml.leaf("Nm", name)?;
    }
    if let Some(id) = &party.id {
        xml.open("Id");
        xml.open("OrgId");
        xml.open("Othr");
        xml.leaf("Id", id)?;
        xml.close();
        xml.close();
        xml.close();
    }
    xml.close();
    xml.close();
    Ok(())
}

fn financial_institution(xml: &mut Xml, bank: &str) -> Result<(), WriteError> {
    xml.open("FinInstnId");
    if looks_like_bic(bank) {
        xml.leaf("BICFI", bank)?;
    } else {
        xml.open("Othr");
        xml.leaf("Id", bank)?;
        xml.close();
    }
    xml.close();
    Ok(())
}

fn write_remittance(xml: &mut Xml, line: &StatementLine) -> Result<(), WriteError> {
    if line.remittance.is_empty() && line.references.is_empty() {
        return Ok(());
    }
    xml.open("RmtInf");
    for piece in &line.remittance {
        for part in unstructured_parts(piece) {
            xml.leaf("Ustrd", part)?;
        }
    }
    for reference in &line.references {
        write_structured(xml, reference)?;
    }
    xml.close();
    Ok(())
}

fn write_structured(xml: &mut Xml, reference: &StructuredReference) -> Result<(), WriteError> {
    if reference.reference.trim().is_empty() {
        return Err(WriteError::new(
            xml.place,
            "RmtInf/Strd/RfrdDocInf/Nb",
            "a structured reference without its number",
        ));
    }
    xml.open("Strd");
    if reference.kind == ReferenceKind::CreditorReference {
        write_document_amounts(xml, reference)?;
        xml.open("CdtrRefInf");
        xml.open("Tp");
        xml.open("CdOrPrtry");
        xml.leaf("Cd", "SCOR")?;
        xml.close();
        xml.close();
        xml.leaf("Ref", &reference.reference)?;
        xml.close();
    } else {
        xml.open("RfrdDocInf");
        let code = match reference.kind {
            ReferenceKind::Invoice => Some("CINV"),
            ReferenceKind::CreditNote => Some("CREN"),
            ReferenceKind::DebitNote => Some("DEBN"),
            ReferenceKind::PurchaseOrder => Some("PUOR"),
            // No code reads back as "other".
            ReferenceKind::Other | ReferenceKind::CreditorReference => None,
        };
        if let Some(code) = code {
            xml.open("Tp");
            xml.open("CdOrPrtry");
            xml.leaf("Cd", code)?;
            xml.close();
            xml.close();
        }
        xml.leaf("Nb", &reference.reference)?;
        if let Some(date) = reference.date {
            xml.leaf("RltdDt", &iso_date(date, xml.place, "RfrdDocInf/RltdDt")?)?;
        }
        xml.close();
        write_document_amounts(xml, reference)?;
    }
    xml.close();
    Ok(())
}

fn write_document_amounts(
    xml: &mut Xml,
    reference: &StructuredReference,
) -> Result<(), WriteError> {
    let amounts = [
        ("DuePyblAmt", reference.document_amount),
        ("DscntApldAmt", reference.discount),
        ("RmtdAmt", reference.paid),
    ];
    if amounts.iter().all(|(_, amount)| amount.is_none()) {
        return Ok(());
    }
    xml.open("RfrdDocAmt");
    for (name, amount) in amounts {
        let Some(amount) = amount else { continue };
        if amount.is_negative() {
            return Err(WriteError::new(
                xml.place,
                format!("RmtInf/Strd/RfrdDocAmt/{name}"),
                format!("{amount} is negative, and camt amounts are unsigned"),
            ));
        }
        if name == "DscntApldAmt" {
            // v8 nests the discount's amount beside an optional discount type.
            xml.open(name);
            xml.amount("Amt", amount);
            xml.close();
        } else {
            xml.amount(name, amount);
        }
    }
    xml.close();
    Ok(())
}

/// The line's own ISO code when the reader gets the line's kind back from it, else the
/// usual code for the kind and direction.
fn bank_transaction_code(line: &StatementLine) -> BankTransactionCode {
    let has_return_info = line.kind == EntryKind::Return && line.return_reason().is_some();
    let own = line.type_code.as_deref().and_then(structured_code);
    if let Some(own) = own
        && entry_kind(&own, line.direction, line.reversal, has_return_info) == line.kind
    {
        return own;
    }
    let (domain, family, sub_family) = match (line.kind, line.direction) {
        (EntryKind::CustomerPayment, Direction::Credit) => ("PMNT", "RCDT", "ESCT"),
        // No code makes a debit a customer payment: money taken back is a returned transfer.
        (EntryKind::CustomerPayment | EntryKind::Return, Direction::Debit) => {
            ("PMNT", "RCDT", "RRTN")
        }
        (EntryKind::Return, Direction::Credit) => ("PMNT", "ICDT", "RRTN"),
        (EntryKind::BankFee, Direction::Debit) => ("ACMT", "MDOP", "CHRG"),
        (EntryKind::BankFee, Direction::Credit) => ("ACMT", "MCOP", "CHRG"),
        (EntryKind::Interest, Direction::Debit) => ("ACMT", "MDOP", "INTR"),
        (EntryKind::Interest, Direction::Credit) => ("ACMT", "MCOP", "INTR"),
        (EntryKind::Transfer, _) => ("CAMT", "ACCB", "SWEP"),
        (EntryKind::Disbursement, Direction::Debit) => ("PMNT", "ICDT", "ESCT"),
        // A credit under a payments code is a customer payment to the reader; these are not.
        (EntryKind::Disbursement | EntryKind::Other, Direction::Credit) => ("ACMT", "MCOP", "OTHR"),
        (EntryKind::Other, Direction::Debit) => ("ACMT", "MDOP", "OTHR"),
    };
    BankTransactionCode {
        domain: Some(domain.into()),
        family: Some(family.into()),
        sub_family: Some(sub_family.into()),
        proprietary: None,
    }
}

/// `DOMN/FMLY/SUBF` as the reader writes a structured code into `type_code`.
fn structured_code(code: &str) -> Option<BankTransactionCode> {
    let mut parts = code.split('/');
    let mut part = || {
        parts
            .next()
            .filter(|p| {
                !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .map(str::to_string)
    };
    let (domain, family, sub_family) = (part()?, part()?, part()?);
    if parts.next().is_some() {
        return None;
    }
    Some(BankTransactionCode {
        domain: Some(domain),
        family: Some(family),
        sub_family: Some(sub_family),
        proprietary: None,
    })
}

/// A remittance piece in `Ustrd`s of at most 140 characters. A cut falls between two
/// non-blank characters where there is one, since the reader trims each `Ustrd`.
fn unstructured_parts(piece: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = piece;
    while rest.chars().count() > MAX_UNSTRUCTURED {
        let boundaries: Vec<usize> = rest
            .char_indices()
            .map(|(at, _)| at)
            .take(MAX_UNSTRUCTURED + 1)
            .collect();
        let longest = boundaries
            .get(MAX_UNSTRUCTURED)
            .copied()
            .unwrap_or(rest.len());
        let keeps_blanks = |at: &&usize| {
            let before = rest.get(..**at).and_then(|s| s.chars().next_back());
            let after = rest.get(**at..).and_then(|s| s.chars().next());
            before.is_some_and(|c| !c.is_whitespace()) && after.is_some_and(|c| !c.is_whitespace())
        };
        let cut = boundaries
            .iter()
            .skip(1)
            .rev()
            .find(keeps_blanks)
            .copied()
            .unwrap_or(longest);
        let (part, after) = rest.split_at(cut);
        parts.push(part);
        rest = after;
    }
    parts.push(rest);
    parts
}

fn looks_like_iban(number: &str) -> bool {
    let bytes = number.as_bytes();
    (5..=34).contains(&bytes.len())
        && bytes.iter().take(2).all(u8::is_ascii_uppercase)
        && bytes.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && bytes.iter().skip(4).all(u8::is_ascii_alphanumeric)
}

fn looks_like_bic(bank: &str) -> bool {
    let bytes = bank.as_bytes();
    (bytes.len() == 8 || bytes.len() == 11)
        && bytes
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && bytes.iter().skip(4).take(2).all(u8::is_ascii_uppercase)
}

fn credit_debit(direction: Direction) -> &'static str {
    match direction {
        Direction::Credit => "CRDT",
        Direction::Debit => "DBIT",
    }
}

fn iso_date(date: Date, place: Place, field: &str) -> Result<String, WriteError> {
    if date.year() < 1 {
        return Err(WriteError::new(
            place,
            field,
            format!("{date} is before year 1, which an ISO 20022 date cannot name"),
        ));
    }
    Ok(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    ))
}

fn date_time(moment: DateTime, place: Place, field: &str) -> Result<String, WriteError> {
    Ok(format!(
        "{}T{:02}:{:02}:{:02}",
        iso_date(moment.date(), place, field)?,
        moment.hour(),
        moment.minute(),
        moment.second()
    ))
}

/// The document as it is written: indented elements, and where in it an error is.
#[derive(Default)]
struct Xml {
    out: String,
    open: Vec<&'static str>,
    place: Place,
}

impl Xml {
    fn indent(&mut self) {
        // The root `Document` is written by hand, one level out.
        for _ in 0..=self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn open(&mut self, name: &'static str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    /// An element with text, escaped; refused when XML cannot carry a character of it.
    fn leaf(&mut self, name: &str, text: &str) -> Result<(), WriteError> {
        if let Some(bad) = text.chars().find(|&c| !is_xml_char(c)) {
            return Err(WriteError::new(
                self.place,
                self.path(name),
                format!("holds the character {bad:?}, which XML 1.0 cannot carry"),
            ));
        }
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
        Ok(())
    }

    /// An amount with its currency, in the currency's decimals. Callers pass it unsigned.
    fn amount(&mut self, name: &str, amount: Money) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" Ccy=\"");
        self.out.push_str(amount.currency().code());
        self.out.push_str("\">");
        self.out.push_str(&amount.to_decimal_string());
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// The element's path below the message, as the reader names fields.
    fn path(&self, name: &str) -> String {
        let mut path: Vec<&str> = self.open.iter().skip(1).copied().collect();
        path.push(name);
        path.join("/")
    }
}

/// Characters of XML 1.0 (`Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A literal carriage return would be read as a line break.
            '\r' => out.push_str("&#13;"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_keeps_carriage_returns() {
        let mut out = String::new();
        escape_into(&mut out, "A&B <C> \"D\" 'E'\r");
        assert_eq!(out, "A&amp;B &lt;C&gt; &quot;D&quot; &apos;E&apos;&#13;");
        assert!(!is_xml_char('\u{1}'));
        assert!(!is_xml_char('\u{FFFE}'));
        assert!(is_xml_char('ß'));
    }

    #[test]
    fn long_remittance_is_cut_between_words() {
        let piece = format!("{} {}", "A".repeat(100), "B".repeat(100));
        let parts = unstructured_parts(&piece);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_UNSTRUCTURED));
        assert_eq!(parts.concat(), piece);
        assert!(parts.iter().all(|p| p.trim() == *p));
        let word = "Ä".repeat(300);
        let parts = unstructured_parts(&word);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), word);
    }

    #[test]
    fn structured_codes_are_three_short_parts() {
        assert!(structured_code("PMNT/RCDT/ESCT").is_some());
        assert!(structured_code("PMNT/RCDT").is_none());
        assert!(structured_code("165").is_none());
        assert!(structured_code("NTRF+166").is_none());
        assert!(structured_code("A/B/C/D").is_none());
    }

    #[test]
    fn iban_and_bic_shapes() {
        assert!(looks_like_iban("DE89370400440532013000"));
        assert!(!looks_like_iban("123456789"));
        assert!(looks_like_bic("DEUTDEFF"));
        assert!(looks_like_bic("DEUTDEFF500"));
        assert!(!looks_like_bic("021000021"));
    }
}
