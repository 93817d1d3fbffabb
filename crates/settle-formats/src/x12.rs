//! ANSI X12 820 (payment order / remittance advice) in its ISA/GS/ST envelope, and bare 820
//! fragments such as the ones NACHA CTX and CCD+ addenda carry.
//!
//! Each ST…SE transaction becomes one line: its BPR total, TRN trace (`bank_reference`, the key
//! that joins the advice to the bank's credit; TRN04 is the `customer_reference`), N1*PR payer,
//! and one structured reference per RMR (IV invoice, PO, CR credit memo…), with DTM*003 as the
//! item's date. NTE and ADX go to the remittance text. One statement per functional group (GS),
//! in the currency of CUR (USD without it).
//!
//! An 820 is advice, not a booking: the money arrives through the bank, whose file books it.
//! So the lines are [`EntryStatus::Information`]: matched against, never posted on their own.
//! They are credits (an 820 tells its payee what is being paid).
//!
//! Refused: a missing or shifted ISA (the header is fixed width, and multi-byte separators
//! break it), segments outside their envelope, a transaction set other than 820, control
//! numbers or counts (SE01, GE01, IEA01) that disagree, garbled amounts and dates.
//! Warned: RMR paid amounts (with ADX adjustments) that do not add up to the BPR total.

mod remittance;
mod segments;

pub use remittance::Remittance;
pub use segments::Separators;

use settle_core::{Currency, Money};

use self::remittance::RemittanceBuilder;
use self::segments::{Segment, read_isa, split};
use crate::error::{FormatError, Location};
use crate::statement::{
    AccountRef, BankFile, Direction, EntryKind, EntryStatus, Format, Statement, StatementLine,
};

/// Reads an X12 interchange of 820 transactions.
pub fn parse(bytes: &[u8]) -> Result<BankFile, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let leading = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let first_line = 1 + bytes
        .get(..leading)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let body = bytes.get(leading..).unwrap_or_default();
    let separators = read_isa(body)
        .map_err(|message| FormatError::new(Location::Line(first_line), "ISA", message))?;
    let segments = split(body, separators, first_line);
    let mut reader = Interchange::default();
    for segment in &segments {
        reader.segment(segment)?;
    }
    reader.finish(segments.last())
}

/// Reads a bare 820 fragment (no envelope needed: BPR, TRN, N1, RMR… in any subset) with the
/// given separators. An ISA/GS/ST envelope inside the fragment is skipped over, not checked.
/// Every error is placed at `location` (the caller's record), the segment named in the message.
pub fn parse_fragment(
    fragment: &[u8],
    separators: Separators,
    default_currency: Currency,
    location: &Location,
) -> Result<Remittance, FormatError> {
    let segments = split(fragment, separators, 1);
    let mut builder = RemittanceBuilder::new(default_currency);
    let relocate = |mut error: FormatError| {
        error.location = location.clone();
        error
    };
    for segment in &segments {
        if matches!(segment.id, b"ISA" | b"GS" | b"ST" | b"SE" | b"GE" | b"IEA") {
            continue;
        }
        builder.segment(segment).map_err(relocate)?;
    }
    builder.finish().map_err(relocate)
}

#[derive(Default)]
struct Interchange<'a> {
    control_number: Option<String>,
    groups: usize,
    group: Option<Group<'a>>,
    transaction: Option<Transaction<'a>>,
    ended: bool,
    statements: Vec<Statement>,
    warnings: Vec<FormatError>,
    created: Option<jiff::civil::Date>,
}

struct Group<'a> {
    header: &'a Segment<'a>,
    transactions: usize,
    statement: Option<Statement>,
}

struct Transaction<'a> {
    header: &'a Segment<'a>,
    segments: usize,
    builder: RemittanceBuilder<'a>,
}

impl<'a> Interchange<'a> {
    fn segment(&mut self, segment: &'a Segment<'a>) -> Result<(), FormatError> {
        if self.ended {
            return Err(segment.error(0, "segment after the interchange trailer IEA"));
        }
        if let Some(transaction) = &mut self.transaction {
            transaction.segments += 1;
            if !segment.is("SE") {
                if matches!(segment.id, b"ISA" | b"GS" | b"ST" | b"GE" | b"IEA") {
                    return Err(
                        segment.error(0, "envelope segment inside a transaction (SE missing)")
                    );
                }
                return transaction.builder.segment(segment);
            }
        }
        match segment.id {
            b"ISA" => {
                if self.control_number.is_some() {
                    return Err(segment.error(0, "a second ISA: one interchange per file"));
                }
                self.control_number = segment.text(13);
                self.created = remittance::yymmdd(segment.element(9));
            }
            b"GS" => {
                if self.group.is_some() {
                    return Err(segment.error(0, "GS inside a group (GE missing)"));
                }
                self.groups += 1;
                self.group = Some(Group {
                    header: segment,
                    transactions: 0,
                    statement: None,
                });
            }
            b"ST" => {
                let group = self.group.as_mut().ok_or_else(|| {
                    segment.error(0, "ST outside a functional group (GS missing)")
                })?;
                if segment.element(1) != b"820" {
                    return Err(segment.error(
                        1,
                        format!(
                            "transaction set {} is not an 820 remittance advice",
                            String::from_utf8_lossy(segment.element(1))
                        ),
                    ));
                }
                group.transactions += 1;
                self.transaction = Some(Transaction {
                    header: segment,
                    segments: 1,
                    builder: RemittanceBuilder::new(Currency::USD),
                });
            }
            b"SE" => self.end_transaction(segment)?,
            b"GE" => self.end_group(segment)?,
            b"IEA" => {
                if self.group.is_some() {
                    return Err(segment.error(0, "IEA inside a group (GE missing)"));
                }
                check_count(segment, 1, self.groups, "functional groups")?;
                check_control(segment, 2, self.control_number.as_deref(), "ISA13")?;
                self.ended = true;
            }
            _ => {
                return Err(segment.error(0, "segment outside a transaction (ST missing)"));
            }
        }
        Ok(())
    }

    fn end_transaction(&mut self, trailer: &'a Segment<'a>) -> Result<(), FormatError> {
        let transaction = self
            .transaction
            .take()
            .ok_or_else(|| trailer.error(0, "SE without ST"))?;
        check_count(trailer, 1, transaction.segments, "segments from ST to SE")?;
        let header_control = transaction.header.text(2);
        check_control(trailer, 2, header_control.as_deref(), "ST02")?;
        let remittance = transaction.builder.finish()?;
        let header = transaction.header;
        let total = remittance
            .total
            .ok_or_else(|| header.error(0, "the 820 has no BPR total"))?;
        if let Some(items) = remittance.items_paid_minor()
            && !remittance.references.is_empty()
            && items != i128::from(total.minor())
            && items + remittance.adjustments_minor != i128::from(total.minor())
        {
            self.warnings.push(header.error(
                0,
                format!("the RMR amounts paid do not add up to the BPR total {total}"),
            ));
        }
        let account = AccountRef {
            number: remittance.payee.account.clone().unwrap_or_default(),
            iban: None,
            bank_id: remittance.payee.bank_id.clone(),
            name: remittance.payee.name.clone(),
        };
        let line = line_of(remittance, total, Location::Line(header.line));
        let Some(group) = &mut self.group else {
            return Err(trailer.error(0, "SE outside a group"));
        };
        let same_currency = group
            .statement
            .as_ref()
            .is_some_and(|statement| statement.currency == line.amount.currency());
        if !same_currency {
            if let Some(done) = group.statement.take() {
                self.statements.push(done);
            }
            group.statement = Some(new_statement(group.header, &line, account));
        }
        if let Some(statement) = &mut group.statement {
            statement.lines.push(line);
        }
        Ok(())
    }

    fn end_group(&mut self, trailer: &'a Segment<'a>) -> Result<(), FormatError> {
        let group = self
            .group
            .take()
            .ok_or_else(|| trailer.error(0, "GE without GS"))?;
        check_count(trailer, 1, group.transactions, "transaction sets")?;
        let header_control = group.header.text(6);
        check_control(trailer, 2, header_control.as_deref(), "GS06")?;
        if let Some(statement) = group.statement {
            self.statements.push(statement);
        }
        Ok(())
    }

    fn finish(self, last: Option<&Segment<'_>>) -> Result<BankFile, FormatError> {
        if !self.ended {
            let line = last.map_or(1, |segment| segment.line);
            return Err(FormatError::new(
                Location::Line(line),
                "IEA",
                "the interchange has no IEA trailer (file cut short?)",
            ));
        }
        Ok(BankFile {
            format: Format::X12_820,
            version: None,
            file_id: self.control_number,
            created: self.created,
            statements: self.statements,
            warnings: self.warnings,
        })
    }
}

fn check_count(
    trailer: &Segment<'_>,
    element: usize,
    actual: usize,
    what: &str,
) -> Result<(), FormatError> {
    let stated = std::str::from_utf8(trailer.element(element))
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
        .ok_or_else(|| trailer.error(element, "the count must be a number"))?;
    if stated != actual {
        return Err(trailer.error(
            element,
            format!("states {stated} {what}, but there are {actual}"),
        ));
    }
    Ok(())
}

fn check_control(
    trailer: &Segment<'_>,
    element: usize,
    header: Option<&str>,
    header_name: &str,
) -> Result<(), FormatError> {
    let stated = trailer.text(element);
    if stated.as_deref().map(str::trim_start_matches_zero)
        != header.map(str::trim_start_matches_zero)
    {
        return Err(trailer.error(
            element,
            format!(
                "control number {} does not match {header_name} {}",
                stated.unwrap_or_default(),
                header.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// Control numbers are numeric: `0001` in GE and `1` in GS are the same group.
trait TrimZero {
    fn trim_start_matches_zero(&self) -> &str;
}

impl TrimZero for str {
    fn trim_start_matches_zero(&self) -> &str {
        let trimmed = self.trim().trim_start_matches('0');
        if trimmed.is_empty() { "0" } else { trimmed }
    }
}

fn line_of(remittance: Remittance, total: Money, location: Location) -> StatementLine {
    let mut line = StatementLine::new(
        total,
        Direction::Credit,
        EntryKind::CustomerPayment,
        location,
    );
    line.status = EntryStatus::Information;
    line.booking_date = remittance.effective_date;
    line.value_date = remittance.effective_date;
    line.bank_reference = remittance.trace;
    line.customer_reference = remittance.trace_reference;
    line.type_code = Some(
        [
            Some("820".to_string()),
            remittance.handling,
            remittance.method,
            remittance.payment_format,
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/"),
    );
    line.payer = remittance.payer;
    line.remittance = remittance.notes;
    line.references = remittance.references;
    line.extend_other_references(remittance.other_references);
    if let Some(name) = remittance.payee.name {
        line.push_other_reference("N1*PE", name);
    }
    line
}

fn new_statement(header: &Segment<'_>, first: &StatementLine, account: AccountRef) -> Statement {
    Statement {
        account,
        currency: first.amount.currency(),
        statement_id: header.text(6),
        from_date: None,
        to_date: None,
        opening_balance: None,
        closing_balance: None,
        total_credits: None,
        total_debits: None,
        lines: Vec::new(),
        location: Location::Line(header.line),
    }
}

#[cfg(test)]
mod tests;
