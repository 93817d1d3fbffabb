//! A [`BankFile`] as a BAI2 file (version 2).
//!
//! What is written:
//! * `01` file header from the [`Bai2Header`] (physical record length and block size left
//!   empty: records are variable-length);
//! * one `02` group per run of consecutive statements with the same as-of date, bank
//!   (originator: the account's `bank_id`, else the header's sender) and currency, so the
//!   statements keep their order;
//! * per statement an `03` with its currency, opening (010) and closing (015) ledger balances
//!   when known, and the credit (100) and debit (400) totals with their item counts (as the
//!   statement states them, else computed from its lines);
//! * a `16` per line: a type code that fits its kind and direction (the line's own
//!   `type_code` when it is a BAI2 detail code that reads back the same, else one chosen by
//!   kind), the amount, funds type `V` with the value date (or `Z`, unknown, without one), the
//!   bank and customer references, and a text in keyed form that the reader's text decoder
//!   reads back: `ORIG CO NAME:` payer name, `ORIG ID:` payer id, `BO:` payer account, and one
//!   `OBI=` (wires), `ADDENDA:` (ACH) or `REMARK:` (others) per remittance piece;
//! * `49`, `98`, `99` trailers with control totals (every 03 and 16 amount in scope) and record
//!   counts (continuations included).
//!
//! No physical record passes 80 characters, except for a field or a text word longer than a
//! whole record:
//! records continue in `88` records at field boundaries, the text at single blanks (the reader
//! joins the pieces of a text with one blank, so the text comes back exactly).
//!
//! Refused ([`WriteError`]): `,` or `/` inside any field but the text (they are BAI2's field and
//! record delimiters; replacing them would change references that must match exactly), control
//! characters anywhere, a `/` in the text followed by blanks and a record code (the reader
//! would end the record there), a text value the decoder would read back differently (one that
//! holds a key such as `OBI=` or `PY:`), lines that are not booked (BAI2 reports only booked
//! transactions), a line whose booking date is not its statement's as-of date (a group has one
//! as-of date), amounts in another currency than their statement's, negative line amounts,
//! dates outside 1970–2069 (years are two digits), a statement with no date at all (no period,
//! balance date or booking date to report it under), an empty header id.
//!
//! What BAI2 has no place for, so the round trip does not keep it: the reversal flag, the
//! end-to-end id, the batch reference, the ultimate payer, the payer's bank, structured
//! references (only as text, if the caller puts them in the remittance), the return reason
//! and original reference, other references, and the statement id and period (read back as
//! `file id/group number/account` and the as-of date). The reader keeps the whole text as the
//! first remittance piece, before the keyed pieces. A line without a booking date comes back
//! booked on the as-of date; balances come back dated with it. BAI2 type codes have no
//! customer payment that is a debit, no disbursement that is a credit and no unclassified
//! debit: such lines are written as a deposited item returned (555), a credit adjustment (357)
//! and a miscellaneous debit (699), and read back as a return, other and a disbursement.
//! BAI2 is specified in ASCII; other characters are written in UTF-8, which Settle's reader
//! accepts and other programs may not.

use jiff::civil::{Date, DateTime};

use super::{Place, WriteError, to_i64};
use crate::bai2::{text_fields, type_codes};
use crate::statement::{
    BankFile, Direction, EntryKind, EntryStatus, Party, Statement, StatementLine,
};

/// The longest physical record written, as BAI2's usual fixed record length.
const MAX_RECORD: usize = 80;

/// What a BAI2 file says about itself, which the statement model does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bai2Header {
    /// `01` sender identification: the bank sending the file (routing number, BIC). Also the
    /// originator of groups whose account has no `bank_id`.
    pub sender_id: String,
    /// `01` receiver identification and each `02` ultimate receiver: the customer.
    pub receiver_id: String,
    /// `01` file creation date and time (minutes).
    pub created: DateTime,
    /// `01` file identification number, unique per sender and creation date.
    pub file_id: String,
}

/// Writes the file's statements as a BAI2 file (see the module notes for what is kept).
pub fn bai2(file: &BankFile, header: &Bai2Header) -> Result<String, WriteError> {
    let sender = plain_field(&header.sender_id, Place::File, "01 sender identification")?;
    let receiver = plain_field(
        &header.receiver_id,
        Place::File,
        "01 receiver identification",
    )?;
    let file_id = plain_field(
        &header.file_id,
        Place::File,
        "01 file identification number",
    )?;
    for (value, name) in [
        (sender, "01 sender identification"),
        (receiver, "01 receiver identification"),
        (file_id, "01 file identification number"),
    ] {
        if value.is_empty() {
            return Err(WriteError::new(Place::File, name, "missing"));
        }
    }
    let created = yymmdd(header.created.date(), Place::File, "01 file creation date")?;
    let creation_time = format!("{:02}{:02}", header.created.hour(), header.created.minute());

    let accounts = file
        .statements
        .iter()
        .enumerate()
        .map(|(index, statement)| AccountPlan::new(statement, index + 1, sender))
        .collect::<Result<Vec<_>, _>>()?;

    let mut out = Records::default();
    out.record(
        "01",
        &[
            sender,
            receiver,
            &created,
            &creation_time,
            file_id,
            "",
            "",
            "2",
        ],
    );
    let mut file_total: i128 = 0;
    let mut groups: u64 = 0;
    for group in accounts.chunk_by(|a, b| a.group_key() == b.group_key()) {
        let Some(first) = group.first() else { continue };
        let group_start = out.physical;
        let as_of = yymmdd(first.as_of, first.place, "02 as-of date")?;
        out.record(
            "02",
            &[
                receiver,
                first.originator,
                "1",
                &as_of,
                "",
                first.statement.currency.code(),
                "",
            ],
        );
        let mut group_total: i128 = 0;
        for account in group {
            group_total += account.write(&mut out)?;
        }
        let total = to_i64(group_total, first.place, "98 group control total")?;
        let records = out.physical - group_start + 1;
        out.record(
            "98",
            &[
                &total.to_string(),
                &group.len().to_string(),
                &records.to_string(),
            ],
        );
        file_total += group_total;
        groups += 1;
    }
    let total = to_i64(file_total, Place::File, "99 file control total")?;
    let records = out.physical + 1;
    out.record(
        "99",
        &[
            &total.to_string(),
            &groups.to_string(),
            &records.to_string(),
        ],
    );
    Ok(out.text)
}

/// One statement as an `03` account with its `16` details, checked before anything is written.
struct AccountPlan<'s> {
    statement: &'s Statement,
    place: Place,
    number: &'s str,
    originator: &'s str,
    as_of: Date,
    /// `03` summary tuples: type code, amount, item count.
    summary: Vec<(u16, i64, Option<u64>)>,
    details: Vec<Detail<'s>>,
}

struct Detail<'s> {
    code: u16,
    amount: i64,
    value_date: Option<String>,
    bank_reference: &'s str,
    customer_reference: &'s str,
    text: String,
}

impl<'s> AccountPlan<'s> {
    fn new(statement: &'s Statement, ordinal: usize, sender: &'s str) -> Result<Self, WriteError> {
        let place = Place::Statement(ordinal);
        let number = if statement.account.number.is_empty() {
            statement.account.iban.as_deref().unwrap_or_default()
        } else {
            &statement.account.number
        };
        let number = plain_field(number, place, "03 customer account number")?;
        if number.trim().is_empty() {
            return Err(WriteError::new(
                place,
                "03 customer account number",
                "missing",
            ));
        }
        let originator = match statement.account.bank_id.as_deref() {
            Some(bank) if !bank.trim().is_empty() => plain_field(bank, place, "02 originator")?,
            _ => sender,
        };
        let as_of = statement
            .to_date
            .or(statement.from_date)
            .or(statement.closing_balance.as_ref().and_then(|b| b.date))
            .or(statement.opening_balance.as_ref().and_then(|b| b.date))
            .or_else(|| statement.lines.iter().find_map(|line| line.booking_date))
            .ok_or_else(|| {
                WriteError::new(
                    place,
                    "02 as-of date",
                    "the statement has no date to report it under (no period, balance date or \
                     booking date)",
                )
            })?;

        let currency = statement.currency;
        let mut summary = Vec::with_capacity(4);
        for (balance, code, field) in [
            (
                &statement.opening_balance,
                type_codes::OPENING_LEDGER,
                "03 opening ledger (010)",
            ),
            (
                &statement.closing_balance,
                type_codes::CLOSING_LEDGER,
                "03 closing ledger (015)",
            ),
        ] {
            if let Some(balance) = balance {
                same_currency(balance.amount.currency(), currency, place, field)?;
                summary.push((code, balance.amount.minor(), None));
            }
        }

        let mut details = Vec::with_capacity(statement.lines.len());
        let mut credits = (0_i128, 0_u64);
        let mut debits = (0_i128, 0_u64);
        for (index, line) in statement.lines.iter().enumerate() {
            let line_place = Place::Line {
                statement: ordinal,
                line: index + 1,
            };
            let detail = Detail::new(line, line_place, statement, as_of)?;
            let tally = match line.direction {
                Direction::Credit => &mut credits,
                Direction::Debit => &mut debits,
            };
            tally.0 += i128::from(detail.amount);
            tally.1 += 1;
            details.push(detail);
        }
        for (stated, computed, code, field) in [
            (
                statement.total_credits,
                credits,
                type_codes::TOTAL_CREDITS,
                "03 total credits (100)",
            ),
            (
                statement.total_debits,
                debits,
                type_codes::TOTAL_DEBITS,
                "03 total debits (400)",
            ),
        ] {
            let amount = match stated {
                Some(stated) => {
                    same_currency(stated.currency(), currency, place, field)?;
                    stated.minor()
                }
                None => to_i64(computed.0, place, field)?,
            };
            summary.push((code, amount, Some(computed.1)));
        }
        Ok(AccountPlan {
            statement,
            place,
            number,
            originator,
            as_of,
            summary,
            details,
        })
    }

    fn group_key(&self) -> (Date, &str, &str) {
        (self.as_of, self.originator, self.statement.currency.code())
    }

    /// Writes `03`, the `16`s and `49`; returns the account's control total.
    fn write(&self, out: &mut Records) -> Result<i128, WriteError> {
        let start = out.physical;
        let mut total: i128 = 0;
        let mut fields: Vec<String> = vec![
            self.number.to_string(),
            self.statement.currency.code().to_string(),
        ];
        for (code, amount, count) in &self.summary {
            total += i128::from(*amount);
            fields.push(format!("{code:03}"));
            fields.push(amount.to_string());
            fields.push(count.map(|count| count.to_string()).unwrap_or_default());
            // Funds type: none for balances and totals.
            fields.push(String::new());
        }
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        out.record("03", &fields);
        for detail in &self.details {
            total += i128::from(detail.amount);
            detail.write(out);
        }
        let control = to_i64(total, self.place, "49 account control total")?;
        let records = out.physical - start + 1;
        out.record("49", &[&control.to_string(), &records.to_string()]);
        Ok(total)
    }
}

impl<'s> Detail<'s> {
    fn new(
        line: &'s StatementLine,
        place: Place,
        statement: &Statement,
        as_of: Date,
    ) -> Result<Self, WriteError> {
        if line.status != EntryStatus::Booked {
            return Err(WriteError::new(
                place,
                "16 record",
                format!(
                    "the line is {:?}, and BAI2 reports only booked transactions",
                    line.status
                ),
            ));
        }
        same_currency(
            line.amount.currency(),
            statement.currency,
            place,
            "16 amount",
        )?;
        if line.amount.is_negative() {
            return Err(WriteError::new(
                place,
                "16 amount",
                "negative: a line's amount is unsigned and its direction says which way",
            ));
        }
        if let Some(booked) = line.booking_date
            && booked != as_of
        {
            return Err(WriteError::new(
                place,
                "02 as-of date",
                format!(
                    "the line is booked on {booked} but its statement reports {as_of}; a BAI2 \
                     group has one as-of date (write one statement per day)"
                ),
            ));
        }
        let value_date = line
            .value_date
            .map(|date| yymmdd(date, place, "16 value date"))
            .transpose()?;
        let code = detail_code(line);
        Ok(Detail {
            code,
            amount: line.amount.minor(),
            value_date,
            bank_reference: plain_field(
                line.bank_reference.as_deref().unwrap_or_default(),
                place,
                "16 bank reference",
            )?,
            customer_reference: plain_field(
                line.customer_reference.as_deref().unwrap_or_default(),
                place,
                "16 customer reference",
            )?,
            text: keyed_text(line, code, place)?,
        })
    }

    fn write(&self, out: &mut Records) {
        let code = format!("{:03}", self.code);
        let amount = self.amount.to_string();
        let mut fields: Vec<&str> = vec![&code, &amount];
        match &self.value_date {
            // Funds type V: value date, and no time (optional).
            Some(date) => fields.extend(["V", date.as_str(), ""]),
            // Funds type Z: availability unknown.
            None => fields.push("Z"),
        }
        fields.push(self.bank_reference);
        fields.push(self.customer_reference);
        out.detail(&fields, &self.text);
    }
}

/// The line's own code when it is a BAI2 detail code that reads back with the line's
/// direction and kind, else the usual code for its kind and direction.
fn detail_code(line: &StatementLine) -> u16 {
    let own = line
        .type_code
        .as_deref()
        .filter(|code| code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|code| code.parse::<u16>().ok())
        .filter(|&code| {
            type_codes::direction(code) == Some(line.direction)
                && type_codes::kind(code) == line.kind
        });
    if let Some(code) = own {
        return code;
    }
    match (line.kind, line.direction) {
        // A wire names the originator's account; ACH credits usually do not.
        (EntryKind::CustomerPayment, Direction::Credit) if line.payer.account.is_some() => 195,
        (EntryKind::CustomerPayment, Direction::Credit) => 165,
        // No BAI2 code is a customer payment going out; taking one back is a returned item.
        (EntryKind::CustomerPayment | EntryKind::Return, Direction::Debit) => 555,
        (EntryKind::Return, Direction::Credit) => 258,
        (EntryKind::BankFee, Direction::Debit) => 698,
        (EntryKind::BankFee, Direction::Credit) => 398,
        (EntryKind::Interest, Direction::Credit) => 354,
        (EntryKind::Interest, Direction::Debit) => 654,
        (EntryKind::Transfer, Direction::Credit) => 275,
        (EntryKind::Transfer, Direction::Debit) => 575,
        (EntryKind::Disbursement, Direction::Debit) => 495,
        // Credits the reader does not take for a customer's money: a credit adjustment.
        (EntryKind::Disbursement | EntryKind::Other, Direction::Credit) => 357,
        (EntryKind::Other, Direction::Debit) => 699,
    }
}

/// Codes whose text banks print in the Fedwire layout (`OBI=`), and in the ACH layout
/// (`ADDENDA:`); the reader takes either, so this only makes the file look like a bank's.
fn remittance_key(code: u16) -> &'static str {
    match code {
        191 | 195 | 196 | 206 | 208 | 495 => "OBI=",
        142 | 143 | 165 | 166 | 169 | 257 | 258 | 451 | 455 | 557 => "ADDENDA:",
        _ => "REMARK:",
    }
}

/// The payer and remittance as keyed text, checked by reading it back with the reader's own
/// decoder: what would not come back is refused.
fn keyed_text(line: &StatementLine, code: u16, place: Place) -> Result<String, WriteError> {
    let Party {
        name, account, id, ..
    } = &line.payer;
    let (name, account, id) = (decoded(name), decoded(account), decoded(id));
    let remittance: Vec<&str> = line
        .remittance
        .iter()
        .map(|piece| piece.trim_matches(' '))
        .filter(|piece| !piece.is_empty())
        .collect();

    let mut parts: Vec<String> = Vec::with_capacity(3 + remittance.len());
    if let Some(name) = name {
        parts.push(format!("ORIG CO NAME:{name}"));
    }
    if let Some(id) = id {
        parts.push(format!("ORIG ID:{id}"));
    }
    if let Some(account) = account {
        parts.push(format!("BO:{account}"));
    }
    let key = remittance_key(code);
    parts.extend(remittance.iter().map(|piece| format!("{key}{piece}")));
    let text = parts.join(" ");

    if let Some(bad) = text.chars().find(|c| c.is_control()) {
        return Err(WriteError::new(
            place,
            "16 text",
            format!("holds the control character {bad:?}, which a BAI2 record cannot carry"),
        ));
    }
    if let Some(at) = record_end_inside(&text) {
        return Err(WriteError::new(
            place,
            "16 text",
            format!(
                "\"{}\" would end the record early: a `/` followed by blanks and a record code",
                excerpt(&text, at)
            ),
        ));
    }
    let read = text_fields::read(&text);
    let mismatch = |field: &str, wanted: &dyn std::fmt::Debug, got: &dyn std::fmt::Debug| {
        WriteError::new(
            place,
            format!("16 text ({field})"),
            format!(
                "{wanted:?} would read back as {got:?}: it holds a key of the keyed text \
                 layout (such as `OBI=`, `PY:` or `ORG=`)"
            ),
        )
    };
    if read.payer_name.as_deref() != name {
        return Err(mismatch("payer name", &name, &read.payer_name));
    }
    if read.payer_id.as_deref() != id {
        return Err(mismatch("payer id", &id, &read.payer_id));
    }
    if read.payer_account.as_deref() != account {
        return Err(mismatch("payer account", &account, &read.payer_account));
    }
    if read.remittance != remittance {
        return Err(mismatch("remittance", &remittance, &read.remittance));
    }
    Ok(text)
}

/// A value as the decoder reads it back: without the blanks around it, none when empty.
fn decoded(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(|v| v.trim_matches(' '))
        .filter(|v| !v.is_empty())
}

/// Where a `/` in a text is followed by blanks and a record code with its comma, which the
/// reader takes for the end of the record and the start of the next.
fn record_end_inside(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().find_map(|(at, &b)| {
        if b != b'/' {
            return None;
        }
        let rest = bytes.get(at + 1..)?;
        let blanks = rest.iter().take_while(|&&b| b == b' ').count();
        let next = rest.get(blanks..)?;
        let is_code = matches!(
            next,
            [b'0', b'1' | b'2' | b'3', b',', ..]
                | [b'1', b'6', b',', ..]
                | [b'4', b'9', b',', ..]
                | [b'8', b'8', b',', ..]
                | [b'9', b'8' | b'9', b',', ..]
        );
        (blanks > 0 && is_code).then_some(at)
    })
}

fn excerpt(text: &str, at: usize) -> String {
    text.get(at..)
        .unwrap_or_default()
        .chars()
        .take(12)
        .collect()
}

/// A field other than the text: no delimiters, no control characters.
fn plain_field<'v>(value: &'v str, place: Place, field: &str) -> Result<&'v str, WriteError> {
    if let Some(bad) = value
        .chars()
        .find(|&c| c == ',' || c == '/' || c.is_control())
    {
        let why = match bad {
            ',' => "`,` separates BAI2 fields".to_string(),
            '/' => "`/` ends BAI2 records".to_string(),
            other => format!("the control character {other:?} cannot be carried"),
        };
        return Err(WriteError::new(
            place,
            field,
            format!("{value:?} cannot be written: {why} (only the 16 text may hold them)"),
        ));
    }
    Ok(value)
}

fn same_currency(
    currency: settle_core::Currency,
    statement: settle_core::Currency,
    place: Place,
    field: &str,
) -> Result<(), WriteError> {
    if currency == statement {
        Ok(())
    } else {
        Err(WriteError::new(
            place,
            field,
            format!(
                "in {currency}, but the account is in {statement}: a BAI2 account has one \
                 currency"
            ),
        ))
    }
}

/// `YYMMDD`; only 1970–2069 reads back as the same year.
fn yymmdd(date: Date, place: Place, field: &str) -> Result<String, WriteError> {
    if !(1970..=2069).contains(&date.year()) {
        return Err(WriteError::new(
            place,
            field,
            format!("{date} is outside 1970–2069, which a two-digit BAI2 year can name"),
        ));
    }
    Ok(format!(
        "{:02}{:02}{:02}",
        date.year() % 100,
        date.month(),
        date.day()
    ))
}

/// Physical records as they are written, with their count for the trailers.
#[derive(Default)]
struct Records {
    text: String,
    physical: u64,
}

impl Records {
    fn line(&mut self, record: &str) {
        self.text.push_str(record);
        self.text.push('\n');
        self.physical += 1;
    }

    /// Writes a record, continuing it in `88` records before a field that would pass the
    /// record length. Each physical record ends with `/`, which ends its last field.
    fn record(&mut self, code: &str, fields: &[&str]) {
        let current = self.fields(code, fields);
        self.line(&format!("{current}/"));
    }

    /// Packs fields into physical records; returns the last one, not yet written.
    fn fields(&mut self, code: &str, fields: &[&str]) -> String {
        let mut current = String::with_capacity(MAX_RECORD);
        current.push_str(code);
        let mut on_line = 0;
        for field in fields {
            if on_line > 0 && current.len() + 1 + field.len() + 1 > MAX_RECORD {
                current.push('/');
                self.line(&current);
                current.clear();
                current.push_str("88");
                on_line = 0;
            }
            current.push(',');
            current.push_str(field);
            on_line += 1;
        }
        current
    }

    /// Writes a `16`: its fields, then the text, wrapped at single blanks into `88`s. Each
    /// text piece ends with `/`, so that a `/` the text itself ends with stays text.
    fn detail(&mut self, fields: &[&str], text: &str) {
        let mut current = self.fields("16", fields);
        if text.is_empty() {
            current.push_str(",/");
            self.line(&current);
            return;
        }
        let mut rest = text;
        // The first piece shares the line with the fields when some of it fits there.
        let room = MAX_RECORD.saturating_sub(current.len() + 2);
        match fitting_piece(rest, room) {
            Some((piece, after)) => {
                current.push(',');
                current.push_str(piece);
                current.push('/');
                self.line(&current);
                rest = after;
            }
            None => {
                current.push('/');
                self.line(&current);
            }
        }
        while !rest.is_empty() {
            let room = MAX_RECORD - "88,/".len();
            let (piece, after) = fitting_piece(rest, room).unwrap_or_else(|| overlong_piece(rest));
            self.line(&format!("88,{piece}/"));
            rest = after;
        }
    }
}

/// Whether `at` is a blank that may end a text piece: one blank between two other
/// characters, which the reader puts back when it joins the pieces.
fn is_break(text: &[u8], at: usize) -> bool {
    text.get(at) == Some(&b' ')
        && at > 0
        && text.get(at - 1).is_some_and(|&b| b != b' ')
        && text.get(at + 1).is_some_and(|&b| b != b' ')
}

/// The longest start of `text` that fits in `room` bytes and ends at a break (or is all of
/// it), with what follows the break.
fn fitting_piece(text: &str, room: usize) -> Option<(&str, &str)> {
    if text.len() <= room {
        return Some((text, ""));
    }
    let bytes = text.as_bytes();
    let at = (1..=room.min(bytes.len().saturating_sub(1)))
        .rev()
        .find(|&at| is_break(bytes, at))?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// A piece for a word longer than a record: up to the next break, or all of the text.
fn overlong_piece(text: &str) -> (&str, &str) {
    let bytes = text.as_bytes();
    match (1..bytes.len()).find(|&at| is_break(bytes, at)) {
        Some(at) => (
            text.get(..at).unwrap_or(text),
            text.get(at + 1..).unwrap_or_default(),
        ),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_breaks_only_at_single_blanks() {
        assert_eq!(fitting_piece("AB CD EF", 5), Some(("AB CD", "EF")));
        assert_eq!(fitting_piece("AB  CD", 4), None);
        assert_eq!(fitting_piece("ABCDEF", 3), None);
        assert_eq!(overlong_piece("ABCDEF GH"), ("ABCDEF", "GH"));
        assert_eq!(overlong_piece("ABCDEF"), ("ABCDEF", ""));
        // Breaks fall on blanks, so a multi-byte character is never cut.
        assert_eq!(fitting_piece("ÄÖ ÜÄ", 5), Some(("ÄÖ", "ÜÄ")));
    }

    #[test]
    fn a_slash_before_a_record_code_is_found() {
        assert_eq!(record_end_inside("A/ 16,B"), Some(1));
        assert_eq!(record_end_inside("A/16,B"), None);
        assert_eq!(record_end_inside("A/ 17,B"), None);
        assert_eq!(record_end_inside("PAID 12/03/2024 / X"), None);
    }

    #[test]
    fn delimiters_in_fields_are_refused() {
        let error = plain_field("A,B", Place::File, "01 file identification number").unwrap_err();
        assert_eq!(error.field, "01 file identification number");
        assert!(plain_field("A/B", Place::File, "x").is_err());
        assert!(plain_field("A\nB", Place::File, "x").is_err());
        assert_eq!(plain_field("AB-1", Place::File, "x"), Ok("AB-1"));
    }

    #[test]
    fn two_digit_years_only_within_their_century() {
        assert_eq!(
            yymmdd(jiff::civil::date(2024, 1, 5), Place::File, "d").as_deref(),
            Ok("240105")
        );
        assert!(yymmdd(jiff::civil::date(2070, 1, 5), Place::File, "d").is_err());
        assert!(yymmdd(jiff::civil::date(1969, 12, 31), Place::File, "d").is_err());
    }
}
