//! NACHA ACH files: file header (1), batches (5 … 8) of entries (6) with their addenda (7), and
//! the file control (9).
//!
//! One statement per batch: a batch is one originator, one SEC code and one effective date, and
//! has its own control totals, which is what a statement stands for here. Amounts are cents of
//! USD (the ACH network settles in USD; IAT foreign amounts are kept in the addenda text).
//!
//! The file is read as received entries: the account of each entry (RDFI routing and account)
//! is ours, and the other side is the originator of the batch: for a CCD credit that is the
//! company paying us (batch header company name and id, ODFI routing), so it is the `payer`.
//! Directions follow the transaction code as seen by that account: 21-24, 31-34, 41-44, 51-53
//! credit it; 26-29, 36-39, 46-49, 55-56 debit it (a return of a debit we collected debits us).
//!
//! Each entry is a line: `bank_reference` is its trace number, `customer_reference` its
//! identification number (often the payer's customer or invoice id), `type_code` the transaction
//! and SEC codes (`22 CCD`). Prenotes (x3, x8), zero-dollar remittance entries (x4, x9) and
//! notifications of change (addenda 98) are [`EntryStatus::Information`]. Addenda 99 make a
//! return with its reason code (R01…) and the original trace. Addenda 05 are remittance text;
//! an X12 fragment in them (CCD+ `RMR*IV*…\`, or CTX's 820 spread over many addenda and put back
//! together in sequence order) is read into structured references.
//!
//! ADV batches (automated accounting advices from an ACH operator, codes 81-88) use their own
//! entry and control layouts, with 12- and 20-digit amounts; they are read the same way.
//!
//! Refused, as the ACH network refuses them: records out of order, a missing batch or file
//! control, a batch control that names another batch, an entry hash or debit/credit totals that
//! disagree with the entries, routing numbers whose check digit is wrong, non-numeric amounts,
//! records longer than 94 characters, notifications of change that move money or carry an
//! unknown change code. Warned (real files get these wrong without harm to the amounts): record
//! counts and batch counts that disagree, a garbled effective date, addenda counts and sequence
//! numbers that do not match their entry.

mod records;

use jiff::civil::Date;
use settle_core::{Currency, Money};

use self::records::{Record, routing_check_digit_valid, split};
use crate::error::{FormatError, Location};
use crate::statement::{
    AccountRef, BankFile, Direction, EntryKind, EntryStatus, Format, Party, Statement,
    StatementLine,
};
use crate::x12::{self, Separators};

/// Reads a NACHA file.
pub fn parse(bytes: &[u8]) -> Result<BankFile, FormatError> {
    let records = split(bytes)?;
    let mut reader = Reader::default();
    for record in &records {
        reader.record(record)?;
    }
    reader.finish()
}

#[derive(Default)]
struct Reader {
    header: Option<FileHeader>,
    batch: Option<Batch>,
    statements: Vec<Statement>,
    warnings: Vec<FormatError>,
    file_ended: bool,
    totals: Totals,
    batch_count: u64,
    /// Whether every batch so far is ADV (its file control then has the ADV layout).
    all_adv: bool,
}

struct FileHeader {
    id: String,
    created: Option<Date>,
}

/// What control records state, computed from the entries.
#[derive(Default, Clone, Copy)]
struct Totals {
    entries_and_addenda: u64,
    hash: u64,
    debit_cents: u64,
    credit_cents: u64,
}

struct Batch {
    line: usize,
    company_name: Option<String>,
    company_id: Option<String>,
    sec: String,
    description: Option<String>,
    effective_date: Option<Date>,
    odfi: Option<String>,
    number: Option<String>,
    entries: Vec<Entry>,
    totals: Totals,
}

struct Entry {
    line: usize,
    code: u8,
    amount_cents: u64,
    routing: String,
    account: Option<String>,
    identification: Option<String>,
    receiver_name: Option<String>,
    trace: String,
    has_addenda: bool,
    stated_addenda: Option<u64>,
    payment_info: Vec<(u64, String, usize)>,
    return_addenda: Option<ReturnAddenda>,
    change: Option<(String, Option<String>)>,
    foreign_originator: Option<String>,
    addenda_count: u64,
}

struct ReturnAddenda {
    reason: String,
    original_trace: Option<String>,
    information: Option<String>,
}

impl Reader {
    fn record(&mut self, record: &Record) -> Result<(), FormatError> {
        if self.file_ended {
            if record.is_padding() {
                return Ok(());
            }
            return Err(record.error("record", "record after the file control record"));
        }
        match record.kind() {
            b'1' => self.file_header(record),
            b'5' => self.batch_header(record),
            b'6' => self.entry(record),
            b'7' => self.addenda(record),
            b'8' => self.batch_control(record),
            b'9' if record.is_padding() => {
                Err(record.error("9", "block padding before the file control record"))
            }
            b'9' => self.file_control(record),
            other => Err(record.error(
                "record type",
                format!(
                    "{:?} is not a NACHA record type (1, 5, 6, 7, 8, 9)",
                    other as char
                ),
            )),
        }
    }

    fn file_header(&mut self, record: &Record) -> Result<(), FormatError> {
        if self.header.is_some() {
            return Err(record.error("1", "a second file header"));
        }
        if record.field(35, 37) != b"094" {
            return Err(record.error(
                "record size",
                "the file header must state a record size of 094",
            ));
        }
        let origin = record.text(14, 23).unwrap_or_default();
        let created = yymmdd(record, 24, 29, "file creation date")?;
        let stamp = String::from_utf8_lossy(record.field(24, 34))
            .trim()
            .to_string();
        self.header = Some(FileHeader {
            id: format!("{origin} {stamp}").trim().to_string(),
            created,
        });
        Ok(())
    }

    fn batch_header(&mut self, record: &Record) -> Result<(), FormatError> {
        if self.header.is_none() {
            return Err(record.error("5", "batch header before the file header"));
        }
        if self.batch.is_some() {
            return Err(record.error("5", "batch header inside a batch (batch control missing)"));
        }
        let sec = String::from_utf8_lossy(record.field(51, 53)).to_uppercase();
        if !sec.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(record.error(
                "SEC code",
                format!("{sec:?} is not a standard entry class code"),
            ));
        }
        let company_name = if sec == "IAT" {
            None
        } else {
            record.text(5, 20)
        };
        if company_name
            .as_deref()
            .is_some_and(|name| name.bytes().all(|b| b == b'0'))
        {
            return Err(record.error("company name", "all zeros is not a company name"));
        }
        let description = record.text(54, 63);
        if description
            .as_deref()
            .is_some_and(|text| text.bytes().all(|b| b == b'0'))
        {
            return Err(record.error(
                "company entry description",
                "all zeros is not an entry description",
            ));
        }
        self.all_adv = (self.all_adv || self.batch_count == 0) && sec == "ADV";
        self.batch = Some(Batch {
            line: record.line,
            company_name,
            company_id: record.text(41, 50),
            sec,
            description,
            effective_date: yymmdd(record, 70, 75, "effective entry date").unwrap_or_else(
                |error| {
                    self.warnings.push(error);
                    None
                },
            ),
            odfi: record.text(80, 87),
            number: record.text(88, 94),
            entries: Vec::new(),
            totals: Totals::default(),
        });
        Ok(())
    }

    fn entry(&mut self, record: &Record) -> Result<(), FormatError> {
        let batch = self.batch.as_mut().ok_or_else(|| {
            record.error("6", "entry detail outside a batch (batch header missing)")
        })?;
        let is_adv = batch.sec == "ADV";
        let code = u8::try_from(record.number(2, 3, "transaction code")?)
            .map_err(|_| record.error("transaction code", "out of range"))?;
        direction_of(code, is_adv).ok_or_else(|| {
            record.error(
                "transaction code",
                format!("{code:02} is not an ACH transaction code"),
            )
        })?;
        let routing = record.field(4, 12);
        if !routing_check_digit_valid(routing) {
            return Err(record.error(
                "RDFI routing number",
                format!("{} fails its check digit", String::from_utf8_lossy(routing)),
            ));
        }
        let routing_prefix = record.number(4, 11, "RDFI routing number")?;
        let amount_cents = if is_adv {
            record.number(28, 39, "amount")?
        } else {
            record.number(30, 39, "amount")?
        };
        let trace = record.number(80, 94, "trace number")?;
        let is_iat = batch.sec == "IAT";
        let is_ctx = batch.sec == "CTX";
        let (account, identification, receiver_name, stated_addenda) = if is_adv {
            (record.text(13, 27), None, record.text(55, 76), None)
        } else if is_iat {
            (
                record.text(40, 74),
                None,
                None,
                Some(record.number(13, 16, "number of addenda")?),
            )
        } else if is_ctx {
            (
                record.text(13, 29),
                record.text(40, 54),
                record.text(59, 74),
                Some(record.number(55, 58, "number of addenda")?),
            )
        } else {
            (
                record.text(13, 29),
                record.text(40, 54),
                record.text(55, 76),
                None,
            )
        };
        let has_addenda = match record.field(79, 79) {
            b"0" => false,
            b"1" => true,
            other => {
                return Err(record.error(
                    "addenda record indicator",
                    format!("{:?} is neither 0 nor 1", String::from_utf8_lossy(other)),
                ));
            }
        };
        batch.totals.entries_and_addenda += 1;
        batch.totals.hash = batch.totals.hash.wrapping_add(routing_prefix);
        match direction_of(code, is_adv) {
            Some(Direction::Credit) => batch.totals.credit_cents += amount_cents,
            _ => batch.totals.debit_cents += amount_cents,
        }
        batch.entries.push(Entry {
            line: record.line,
            code,
            amount_cents,
            routing: String::from_utf8_lossy(routing).into_owned(),
            account,
            identification,
            receiver_name,
            trace: format!("{trace:015}"),
            has_addenda,
            stated_addenda,
            payment_info: Vec::new(),
            return_addenda: None,
            change: None,
            foreign_originator: None,
            addenda_count: 0,
        });
        Ok(())
    }

    fn addenda(&mut self, record: &Record) -> Result<(), FormatError> {
        let batch = self
            .batch
            .as_mut()
            .ok_or_else(|| record.error("7", "addenda outside a batch"))?;
        let entry = batch
            .entries
            .last_mut()
            .ok_or_else(|| record.error("7", "addenda before any entry"))?;
        if !entry.has_addenda && entry.addenda_count == 0 {
            self.warnings.push(record.error(
                "addenda record indicator",
                "addenda after an entry whose addenda indicator is 0",
            ));
        }
        batch.totals.entries_and_addenda += 1;
        entry.addenda_count += 1;
        let kind = record.number(2, 3, "addenda type")?;
        match kind {
            5 => {
                let sequence = record.number(84, 87, "addenda sequence number")?;
                let entry_sequence = record.field(88, 94);
                if entry.trace.as_bytes().get(8..) != Some(entry_sequence) {
                    self.warnings.push(record.error(
                        "entry detail sequence number",
                        format!(
                            "{} does not match the trace number {} of its entry",
                            String::from_utf8_lossy(entry_sequence),
                            entry.trace
                        ),
                    ));
                }
                // Payment information keeps its spaces: CTX splits an 820 across addenda anywhere.
                let text = String::from_utf8_lossy(record.field(4, 83)).into_owned();
                entry.payment_info.push((sequence, text, record.line));
            }
            98 => {
                let change_code = record.text(4, 6).unwrap_or_default();
                if !is_change_code(&change_code) {
                    return Err(record.error(
                        "change code",
                        format!("{change_code:?} is not a change code (C01-C14, C61-C69)"),
                    ));
                }
                if entry.amount_cents != 0 {
                    return Err(record.error(
                        "change code",
                        "a notification of change moves no money, but its entry has an amount",
                    ));
                }
                entry.change = Some((change_code, record.text(36, 64)));
            }
            99 => {
                let reason = record.text(4, 6).unwrap_or_default();
                if !(reason.starts_with('R') && reason.len() == 3) {
                    return Err(record.error(
                        "return reason code",
                        format!("{reason:?} is not a return reason code (R01…)"),
                    ));
                }
                entry.return_addenda = Some(ReturnAddenda {
                    reason,
                    original_trace: record.text(7, 21),
                    information: record.text(36, 79),
                });
            }
            11 => entry.foreign_originator = record.text(4, 38),
            2 | 10 | 12..=18 => {}
            other => {
                return Err(record.error(
                    "addenda type",
                    format!("{other:02} is not an addenda type code"),
                ));
            }
        }
        Ok(())
    }

    fn batch_control(&mut self, record: &Record) -> Result<(), FormatError> {
        let batch = self
            .batch
            .take()
            .ok_or_else(|| record.error("8", "batch control without a batch header"))?;
        let is_adv = batch.sec == "ADV";
        let (debits, credits) = if is_adv {
            ((21, 40), (41, 60))
        } else {
            ((21, 32), (33, 44))
        };
        let stated = Totals {
            entries_and_addenda: record.number(5, 10, "entry/addenda count")?,
            hash: record.number(11, 20, "entry hash")?,
            debit_cents: record.number(debits.0, debits.1, "total debit amount")?,
            credit_cents: record.number(credits.0, credits.1, "total credit amount")?,
        };
        if (record.text(80, 87), record.text(88, 94)) != (batch.odfi.clone(), batch.number.clone())
        {
            return Err(record.error(
                "batch number",
                "the batch control's originating DFI and batch number differ from its batch header's",
            ));
        }
        compare(record, stated, batch.totals, &mut self.warnings)?;
        self.totals.entries_and_addenda += batch.totals.entries_and_addenda;
        self.totals.hash = self.totals.hash.wrapping_add(batch.totals.hash);
        self.totals.debit_cents += batch.totals.debit_cents;
        self.totals.credit_cents += batch.totals.credit_cents;
        self.batch_count += 1;
        let statement = batch.into_statement(stated, &mut self.warnings)?;
        self.statements.push(statement);
        Ok(())
    }

    fn file_control(&mut self, record: &Record) -> Result<(), FormatError> {
        if self.header.is_none() {
            return Err(record.error("9", "file control before the file header"));
        }
        if self.batch.is_some() {
            return Err(record.error("9", "file control inside a batch (batch control missing)"));
        }
        let batches = record.number(2, 7, "batch count")?;
        if batches != self.batch_count {
            self.warnings.push(record.error(
                "batch count",
                format!(
                    "states {batches} batches, the file has {}",
                    self.batch_count
                ),
            ));
        }
        // An ADV file's control has 20-digit totals.
        let (debits, credits) = if self.all_adv && self.batch_count > 0 {
            ((32, 51), (52, 71))
        } else {
            ((32, 43), (44, 55))
        };
        let stated = Totals {
            entries_and_addenda: record.number(14, 21, "entry/addenda count")?,
            hash: record.number(22, 31, "entry hash")?,
            debit_cents: record.number(debits.0, debits.1, "total debit amount")?,
            credit_cents: record.number(credits.0, credits.1, "total credit amount")?,
        };
        compare(record, stated, self.totals, &mut self.warnings)?;
        self.file_ended = true;
        Ok(())
    }

    fn finish(self) -> Result<BankFile, FormatError> {
        let header = self.header.ok_or_else(|| {
            FormatError::new(Location::File, "1", "no file header: not a NACHA file")
        })?;
        if !self.file_ended {
            return Err(FormatError::new(
                Location::File,
                "9",
                "no file control record (file cut short?)",
            ));
        }
        Ok(BankFile {
            format: Format::Nacha,
            version: Some("094".into()),
            file_id: Some(header.id),
            created: header.created,
            statements: self.statements,
            warnings: self.warnings,
        })
    }
}

/// The money controls must agree exactly: the ACH network rejects a file whose do not. A record
/// count that disagrees changes no amount and is a warning.
fn compare(
    record: &Record,
    stated: Totals,
    actual: Totals,
    warnings: &mut Vec<FormatError>,
) -> Result<(), FormatError> {
    if stated.entries_and_addenda != actual.entries_and_addenda {
        warnings.push(record.error(
            "entry/addenda count",
            format!(
                "states {}, the batch has {}",
                stated.entries_and_addenda, actual.entries_and_addenda
            ),
        ));
    }
    // The entry hash keeps the last ten digits of the sum of routing numbers.
    let actual_hash = actual.hash % 10_000_000_000;
    let checks = [
        ("entry hash", stated.hash, actual_hash),
        ("total debit amount", stated.debit_cents, actual.debit_cents),
        (
            "total credit amount",
            stated.credit_cents,
            actual.credit_cents,
        ),
    ];
    for (field, stated, actual) in checks {
        if stated != actual {
            return Err(record.error(field, format!("states {stated}, the entries make {actual}")));
        }
    }
    Ok(())
}

/// Which way an entry moves the account it is addressed to; `None` for unknown codes. ADV
/// codes 81-88 are advices to the DFI: odd ones credit it, even ones debit it.
fn direction_of(code: u8, adv: bool) -> Option<Direction> {
    match code {
        21..=24 | 31..=34 | 41..=44 | 51..=53 => Some(Direction::Credit),
        26..=29 | 36..=39 | 46..=49 | 55 | 56 => Some(Direction::Debit),
        81..=88 if adv && code % 2 == 1 => Some(Direction::Credit),
        81..=88 if adv => Some(Direction::Debit),
        _ => None,
    }
}

/// NACHA change codes: C01-C14 corrections, C61-C69 refused notifications of change.
fn is_change_code(code: &str) -> bool {
    let Some(number) = code.strip_prefix('C').and_then(|n| n.parse::<u8>().ok()) else {
        return false;
    };
    code.len() == 3 && matches!(number, 1..=14 | 61..=69)
}

fn yymmdd(
    record: &Record,
    from: usize,
    to: usize,
    name: &str,
) -> Result<Option<Date>, FormatError> {
    let raw = record.field(from, to);
    // Returns and some processors leave dates blank or zero.
    if raw.trim_ascii().is_empty() || raw.iter().all(|&b| b == b'0') {
        return Ok(None);
    }
    let value = record.number(from, to, name)?;
    let (year, month, day) = (value / 10_000, (value / 100) % 100, value % 100);
    let date = i16::try_from(2000 + year)
        .ok()
        .zip(i8::try_from(month).ok())
        .zip(i8::try_from(day).ok())
        .and_then(|((y, m), d)| Date::new(y, m, d).ok());
    date.map(Some).ok_or_else(|| {
        record.error(
            name,
            format!("{:?} is not a YYMMDD date", String::from_utf8_lossy(raw)),
        )
    })
}

impl Batch {
    fn into_statement(
        self,
        stated: Totals,
        warnings: &mut Vec<FormatError>,
    ) -> Result<Statement, FormatError> {
        let cents = |value: u64| {
            i64::try_from(value)
                .map(|minor| Money::new(minor, Currency::USD))
                .map_err(|_| FormatError::new(Location::Line(self.line), "amount", "out of range"))
        };
        let total_debits = cents(stated.debit_cents)?;
        let total_credits = cents(stated.credit_cents)?;
        let mut account = AccountRef::default();
        if let Some(first) = self.entries.first() {
            let uniform = self
                .entries
                .iter()
                .all(|entry| entry.account == first.account && entry.routing == first.routing);
            if uniform {
                account.number = first.account.clone().unwrap_or_default();
                account.bank_id = Some(first.routing.clone());
            }
        }
        let batch_reference = match (&self.company_id, &self.number) {
            (Some(company), Some(number)) => Some(format!("{company}/{number}")),
            (None, Some(number)) => Some(number.clone()),
            _ => None,
        };
        let mut lines = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            lines.push(self.line(entry, batch_reference.clone(), warnings)?);
        }
        Ok(Statement {
            account,
            currency: Currency::USD,
            statement_id: self.number.clone(),
            from_date: self.effective_date,
            to_date: self.effective_date,
            opening_balance: None,
            closing_balance: None,
            total_credits: Some(total_credits),
            total_debits: Some(total_debits),
            lines,
            location: Location::Line(self.line),
        })
    }

    fn line(
        &self,
        entry: &Entry,
        batch_reference: Option<String>,
        warnings: &mut Vec<FormatError>,
    ) -> Result<StatementLine, FormatError> {
        let location = Location::Line(entry.line);
        let direction = direction_of(entry.code, self.sec == "ADV").unwrap_or(Direction::Credit);
        let minor = i64::try_from(entry.amount_cents)
            .map_err(|_| FormatError::new(location.clone(), "amount", "out of range"))?;
        let ones = entry.code % 10;
        let is_adv = self.sec == "ADV";
        let kind = if !is_adv
            && (entry.return_addenda.is_some() || (entry.change.is_none() && matches!(ones, 1 | 6)))
        {
            EntryKind::Return
        } else if is_adv || entry.change.is_some() || matches!(ones, 3 | 8) {
            EntryKind::Other
        } else {
            match direction {
                Direction::Credit => EntryKind::CustomerPayment,
                Direction::Debit => EntryKind::Disbursement,
            }
        };
        let mut line = StatementLine::new(
            Money::new(minor, Currency::USD),
            direction,
            kind,
            location.clone(),
        );
        if entry.change.is_some() || (!is_adv && matches!(ones, 3 | 4 | 8 | 9)) {
            line.status = EntryStatus::Information;
        }
        line.booking_date = self.effective_date;
        line.value_date = self.effective_date;
        line.bank_reference = Some(entry.trace.clone());
        line.set_batch_reference(batch_reference);
        line.customer_reference = entry.identification.clone();
        line.type_code = Some(format!("{:02} {}", entry.code, self.sec));
        line.payer = Party {
            name: entry
                .foreign_originator
                .clone()
                .or_else(|| self.company_name.clone()),
            account: None,
            bank_id: self.odfi.clone(),
            id: self.company_id.clone(),
        };
        let keep = |line: &mut StatementLine, name: &str, value: &Option<String>| {
            if let Some(value) = value {
                line.push_other_reference(name, value.clone());
            }
        };
        keep(&mut line, "receiver name", &entry.receiver_name);
        keep(&mut line, "receiver account", &entry.account);
        keep(&mut line, "company entry description", &self.description);
        if let Some(returned) = &entry.return_addenda {
            line.set_return_reason(Some(returned.reason.clone()));
            line.set_original_reference(returned.original_trace.clone());
            if let Some(information) = &returned.information {
                line.remittance.push(information.clone());
            }
        }
        if let Some((code, corrected)) = &entry.change {
            line.push_other_reference("change code", code.clone());
            keep(&mut line, "corrected data", corrected);
        }
        if let Some(stated) = entry.stated_addenda
            && stated != entry.addenda_count
        {
            warnings.push(FormatError::new(
                location.clone(),
                "number of addenda",
                format!(
                    "the entry states {stated} addenda but {} follow it",
                    entry.addenda_count
                ),
            ));
        }
        self.remittance(entry, &mut line, warnings);
        Ok(line)
    }

    /// Addenda 05 text, and the X12 remittance inside it when there is one.
    fn remittance(&self, entry: &Entry, line: &mut StatementLine, warnings: &mut Vec<FormatError>) {
        if entry.payment_info.is_empty() {
            return;
        }
        let mut pieces: Vec<&(u64, String, usize)> = entry.payment_info.iter().collect();
        pieces.sort_by_key(|(sequence, _, _)| *sequence);
        let in_order = pieces
            .iter()
            .enumerate()
            .all(|(index, (sequence, _, _))| *sequence == index as u64 + 1);
        let first_line = pieces.first().map_or(entry.line, |(_, _, line)| *line);
        if !in_order {
            warnings.push(FormatError::new(
                Location::Line(first_line),
                "addenda sequence number",
                "the payment-related addenda are not numbered 1, 2, 3…",
            ));
        }
        // CTX splits one 820 across addenda at arbitrary places: concatenate as written.
        let joined: String = if self.sec == "CTX" {
            pieces.iter().map(|(_, text, _)| text.as_str()).collect()
        } else {
            pieces
                .iter()
                .map(|(_, text, _)| text.trim_end())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let joined = joined.trim_end().to_string();
        line.remittance.push(joined.clone());
        let looks_like_x12 = joined
            .trim_start()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .is_some_and(|id| {
                matches!(
                    id,
                    "ISA" | "ST" | "BPR" | "TRN" | "RMR" | "REF" | "N1" | "ENT" | "NTE"
                )
            });
        if !looks_like_x12 {
            return;
        }
        let Some(separators) = Separators::guess(joined.as_bytes()) else {
            return;
        };
        let location = Location::Line(first_line);
        match x12::parse_fragment(joined.as_bytes(), separators, Currency::USD, &location) {
            Ok(remittance) => {
                line.references.extend(remittance.references);
                line.remittance.extend(remittance.notes);
                if let Some(trace) = remittance.trace {
                    line.push_other_reference("TRN02", trace);
                }
                line.extend_other_references(remittance.other_references);
                if line.payer.name.is_none() {
                    line.payer.name = remittance.payer.name;
                }
            }
            Err(error) => warnings.push(error),
        }
    }
}

#[cfg(test)]
mod tests;
