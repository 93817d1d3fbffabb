//! BAI2 (and BAI3) cash management balance reporting files.
//!
//! A file is a stream of comma-separated records, each opened by a two-digit code and closed by
//! `/`: `01` file header, `02` group header (one bank, one as-of date), `03` account with its
//! summary and status amounts, `16` transaction details, `49` account trailer, `98` group
//! trailer, `99` file trailer. A record that does not fit continues in `88` records.
//!
//! What real files do and this reader accepts: several records on one physical line, records
//! without their `/`, `/` inside the free text and inside references, `88` continuations of any
//! record, CRLF or LF, a BOM, blank lines. A `/` ends a record only where a record can end:
//! before the end of the line, or (outside the free text) before the next record code. Inside a
//! `16` record's free text, which may hold commas and slashes, a `/` ends the record only before
//! the end of the line or before blanks and the next record code.
//!
//! One [`Statement`] per account in a group. Amounts are in the minor unit of the account's
//! currency (the `03` currency, else the group's, else USD). Opening and closing balances are
//! the ledger balances (status codes 010 and 015); codes 100 and 400 give the bank's totals.

pub(crate) mod text_fields;
pub(crate) mod type_codes;

use jiff::civil::Date;
use settle_core::{Currency, Money};

use crate::error::{FormatError, Location};
use crate::options::{Findings, ParseOptions, Parsed};
use crate::statement::{AccountRef, Balance, BankFile, Format, Statement, StatementLine};
use crate::text::{self, Lines};

/// Reads a BAI2 file strictly: a control total, record count or trailer that does not agree
/// refuses the file. Use [`parse_with`] with lenient options to read such files with warnings.
pub fn parse(bytes: &[u8]) -> Result<BankFile, FormatError> {
    parse_with(bytes, &ParseOptions::strict()).map(|parsed| parsed.file)
}

/// Reads a BAI2 file with the given checks.
pub fn parse_with(bytes: &[u8], options: &ParseOptions) -> Result<Parsed, FormatError> {
    let mut scanner = Scanner::new(text::strip_bom(bytes));
    let mut builder = Builder::new(options);
    while let Some(record) = scanner.next_record(&mut builder.findings)? {
        builder.record(record)?;
    }
    let last_line = scanner.line_no;
    builder.finish(last_line)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    FileHeader,
    GroupHeader,
    Account,
    Detail,
    AccountTrailer,
    Continuation,
    GroupTrailer,
    FileTrailer,
}

impl Code {
    fn from_digits(digits: &[u8]) -> Option<Code> {
        Some(match digits {
            b"01" => Code::FileHeader,
            b"02" => Code::GroupHeader,
            b"03" => Code::Account,
            b"16" => Code::Detail,
            b"49" => Code::AccountTrailer,
            b"88" => Code::Continuation,
            b"98" => Code::GroupTrailer,
            b"99" => Code::FileTrailer,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Code::FileHeader => "01",
            Code::GroupHeader => "02",
            Code::Account => "03",
            Code::Detail => "16",
            Code::AccountTrailer => "49",
            Code::Continuation => "88",
            Code::GroupTrailer => "98",
            Code::FileTrailer => "99",
        }
    }
}

/// A record with its `88` continuations: the fields in order, and for a `16` its free text in
/// the pieces it came in.
#[derive(Debug)]
struct Record<'a> {
    code: Code,
    line: usize,
    /// Physical records: this one and its continuations, as the trailers count them.
    physical: u64,
    fields: Vec<&'a [u8]>,
    text: Vec<&'a [u8]>,
}

impl Record<'_> {
    fn field(&self, index: usize) -> &[u8] {
        self.fields.get(index).map_or(&[][..], |f| text::trim(f))
    }

    fn error(&self, field: &str, message: impl Into<String>) -> FormatError {
        FormatError::new(
            Location::Line(self.line),
            format!("{} {field}", self.code.label()),
            message,
        )
    }

    /// Whether the next field of a `16` is its free text: known once the funds type (and for
    /// `D` the distribution count) has been read.
    fn in_text(&self) -> bool {
        self.code == Code::Detail
            && detail_text_index(&self.fields).is_some_and(|index| self.fields.len() >= index)
    }
}

/// The index of a `16` record's text field: type code, amount, funds type, the funds type's
/// extra fields, bank reference, customer reference, then the text.
fn detail_text_index(fields: &[&[u8]]) -> Option<usize> {
    let funds = text::trim(fields.get(2)?);
    let extra = match funds {
        b"S" => 3,
        b"V" => 2,
        b"D" => {
            let pairs = text::digits_u64(text::trim(fields.get(3)?)).unwrap_or(0);
            usize::try_from(pairs)
                .unwrap_or(usize::MAX)
                .saturating_mul(2)
                .saturating_add(1)
        }
        _ => 0,
    };
    Some(extra.saturating_add(5))
}

fn starts_record(bytes: &[u8]) -> bool {
    matches!(bytes, [a, b, b',', ..] if Code::from_digits(&[*a, *b]).is_some())
}

/// Whether a `/` whose next byte is at `after` ends the record (see the module notes).
fn slash_ends_record(line: &[u8], after: usize, in_text: bool) -> bool {
    let rest = line.get(after..).unwrap_or_default();
    let blanks = rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    let next = rest.get(blanks..).unwrap_or_default();
    next.iter().all(|&b| b <= b' ') || ((blanks > 0 || !in_text) && starts_record(next))
}

/// Splits physical lines into records and joins continuations.
struct Scanner<'a> {
    lines: Lines<'a>,
    line: &'a [u8],
    line_no: usize,
    pos: usize,
    record: Record<'a>,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Scanner {
            lines: Lines::new(bytes),
            line: &[],
            line_no: 0,
            pos: 0,
            record: Record {
                code: Code::FileHeader,
                line: 0,
                physical: 0,
                fields: Vec::with_capacity(32),
                text: Vec::with_capacity(4),
            },
        }
    }

    /// Moves to the next byte that is not blank, across lines; false at the end of input.
    fn skip_to_content(&mut self) -> bool {
        loop {
            let rest = self.line.get(self.pos..).unwrap_or_default();
            match rest.iter().position(|&b| b > b' ') {
                Some(offset) => {
                    self.pos += offset;
                    return true;
                }
                None => match self.lines.next() {
                    Some((number, line)) => {
                        self.line_no = number;
                        self.line = line;
                        self.pos = 0;
                    }
                    None => return false,
                },
            }
        }
    }

    fn next_record(&mut self, findings: &mut Findings) -> Result<Option<&Record<'a>>, FormatError> {
        self.record.fields.clear();
        self.record.text.clear();
        self.record.physical = 0;
        let mut started = false;
        loop {
            if !self.skip_to_content() {
                return Ok(started.then_some(&self.record));
            }
            let rest = self.line.get(self.pos..).unwrap_or_default();
            let code = match rest {
                [a, b, separator @ (b',' | b':'), ..] => {
                    Code::from_digits(&[*a, *b]).map(|code| (code, *separator == b':'))
                }
                _ => None,
            };
            let Some((code, colon)) = code else {
                return Err(FormatError::new(
                    Location::Line(self.line_no),
                    "record code",
                    format!(
                        "expected a BAI2 record code (01, 02, 03, 16, 49, 88, 98, 99) and a \
                         comma, found {:?}",
                        text::excerpt(rest)
                    ),
                ));
            };
            if code != Code::Continuation && started {
                return Ok(Some(&self.record));
            }
            if colon {
                findings.flag(FormatError::new(
                    Location::Line(self.line_no),
                    format!("{} record code", code.label()),
                    "record code followed by ':' instead of ','",
                ))?;
            }
            if code == Code::Continuation {
                if !started {
                    return Err(FormatError::new(
                        Location::Line(self.line_no),
                        "88 record code",
                        "continuation record with no record before it to continue",
                    ));
                }
            } else {
                started = true;
                self.record.code = code;
                self.record.line = self.line_no;
            }
            self.record.physical += 1;
            self.pos += 3;
            self.scan_segment();
        }
    }

    /// Reads one physical record's fields (or text) up to its end.
    fn scan_segment(&mut self) {
        let line = self.line;
        loop {
            let start = self.pos;
            if self.record.in_text() {
                let end = text_end(line, start);
                self.record
                    .text
                    .push(line.get(start..end).unwrap_or_default());
                self.pos = (end + 1).min(line.len());
                return;
            }
            let mut index = start;
            loop {
                match line.get(index) {
                    None => {
                        self.record
                            .fields
                            .push(line.get(start..index).unwrap_or_default());
                        self.pos = index;
                        return;
                    }
                    Some(b',') => {
                        self.record
                            .fields
                            .push(line.get(start..index).unwrap_or_default());
                        self.pos = index + 1;
                        if self.pos >= line.len() {
                            // "…,/" and "…," at the end of a line both leave one empty field.
                            self.record.fields.push(&[]);
                            return;
                        }
                        break;
                    }
                    Some(b'/') if slash_ends_record(line, index + 1, false) => {
                        self.record
                            .fields
                            .push(line.get(start..index).unwrap_or_default());
                        self.pos = index + 1;
                        return;
                    }
                    Some(_) => index += 1,
                }
            }
        }
    }
}

/// Where a `16` text that starts at `start` ends: at the `/` that ends its record, or at the
/// end of the line.
fn text_end(line: &[u8], start: usize) -> usize {
    let mut from = start;
    while let Some(offset) = memchr::memchr(b'/', line.get(from..).unwrap_or_default()) {
        let slash = from + offset;
        if slash_ends_record(line, slash + 1, true) {
            return slash;
        }
        from = slash + 1;
    }
    line.len()
}

struct FileState {
    line: usize,
    file_id: Option<String>,
    version: String,
    created: Option<Date>,
    records: u64,
    groups: u64,
    total: i128,
}

struct GroupState {
    line: usize,
    ordinal: u64,
    originator: Option<String>,
    as_of: Date,
    currency: Option<Currency>,
    records: u64,
    accounts: u64,
    total: i128,
}

struct AccountState {
    line: usize,
    number: String,
    currency: Currency,
    records: u64,
    total: i128,
    opening: Option<Money>,
    closing: Option<Money>,
    total_credits: Option<Money>,
    total_debits: Option<Money>,
}

struct Builder<'o> {
    options: &'o ParseOptions,
    findings: Findings,
    file: Option<FileState>,
    group: Option<GroupState>,
    account: Option<AccountState>,
    file_closed: bool,
    statements: Vec<Statement>,
    /// The open account's lines, allocated with room for as many as the last account had:
    /// accounts in one file tend to be alike, and growing each `Vec` from empty copied and
    /// page-faulted every line (about 500 bytes) several times over.
    lines: Vec<StatementLine>,
}

impl<'o> Builder<'o> {
    fn new(options: &'o ParseOptions) -> Self {
        Builder {
            options,
            findings: Findings::new(options.checks),
            file: None,
            group: None,
            account: None,
            file_closed: false,
            statements: Vec::new(),
            lines: Vec::new(),
        }
    }

    fn record(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        if self.file_closed {
            return Err(record.error("record code", "record after the 99 file trailer"));
        }
        if record.code != Code::FileHeader && self.file.is_none() {
            return Err(record.error("record code", "a BAI2 file starts with an 01 file header"));
        }
        if let Some(file) = self.file.as_mut() {
            file.records = file.records.saturating_add(record.physical);
        }
        if let Some(group) = self.group.as_mut() {
            group.records = group.records.saturating_add(record.physical);
        }
        if let Some(account) = self.account.as_mut() {
            account.records = account.records.saturating_add(record.physical);
        }
        match record.code {
            Code::FileHeader => self.file_header(record),
            Code::GroupHeader => self.group_header(record),
            Code::Account => self.account_header(record),
            Code::Detail => self.detail(record),
            Code::AccountTrailer => self.account_trailer(record),
            Code::GroupTrailer => self.group_trailer(record),
            Code::FileTrailer => self.file_trailer(record),
            // The scanner folds continuations into the record they continue.
            Code::Continuation => Ok(()),
        }
    }

    fn file_header(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        if self.file.is_some() {
            return Err(record.error("record code", "a second 01 file header"));
        }
        let version = record.field(7);
        if version != b"2" && version != b"3" {
            return Err(record.error(
                "version number",
                format!(
                    "expected version 2 (or 3 for BAI3), found {:?}",
                    text::excerpt(version)
                ),
            ));
        }
        let created = date_field(record, 2, "file creation date")?;
        self.file = Some(FileState {
            line: record.line,
            file_id: text::non_empty(record.field(4)),
            version: text::decode(version),
            created: Some(created),
            records: record.physical,
            groups: 0,
            total: 0,
        });
        Ok(())
    }

    fn group_header(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        if self.group.is_some() {
            self.close_group_unfinished(record.line)?;
        }
        let as_of = date_field(record, 3, "as-of date")?;
        let currency = optional_currency(record, 5, "currency code")?;
        let ordinal = self.file.as_ref().map_or(1, |file| file.groups + 1);
        self.group = Some(GroupState {
            line: record.line,
            ordinal,
            originator: text::non_empty(record.field(1)),
            as_of,
            currency,
            records: record.physical,
            accounts: 0,
            total: 0,
        });
        Ok(())
    }

    fn account_header(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        if self.account.is_some() {
            self.close_account_unfinished(record.line)?;
        }
        let Some(group) = self.group.as_ref() else {
            return Err(record.error(
                "record code",
                "an 03 account record outside a group (no 02 before it)",
            ));
        };
        let number = text::non_empty(record.field(0))
            .ok_or_else(|| record.error("customer account number", "missing"))?;
        let currency = optional_currency(record, 1, "currency code")?
            .or(group.currency)
            .unwrap_or(Currency::USD);
        let mut account = AccountState {
            line: record.line,
            number,
            currency,
            records: record.physical,
            total: 0,
            opening: None,
            closing: None,
            total_credits: None,
            total_debits: None,
        };
        let mut index = 2;
        while index < record.fields.len() {
            let type_code = record.field(index);
            if type_code.is_empty() {
                // Banks pad with empty fields (`,,,,`, an extra `,` before `/`): skip each.
                index += 1;
                continue;
            }
            let code = type_code_value(record, type_code)?;
            let amount = signed_amount(record, record.field(index + 1), "amount")?;
            let count = record.field(index + 2);
            if !count.is_empty() && text::digits_u64(count).is_none() {
                return Err(record.error(
                    "item count",
                    format!("{:?} is not a count", text::excerpt(count)),
                ));
            }
            let funds = read_funds(record, index + 3)?;
            index = index.saturating_add(4).saturating_add(funds.extra_fields);
            let Some(amount) = amount else { continue };
            account.total = add_total(record, account.total, amount)?;
            let money = Money::new(amount, currency);
            match code {
                type_codes::OPENING_LEDGER => account.opening = Some(money),
                type_codes::CLOSING_LEDGER => account.closing = Some(money),
                type_codes::TOTAL_CREDITS => account.total_credits = Some(money),
                type_codes::TOTAL_DEBITS => account.total_debits = Some(money),
                _ => {}
            }
        }
        self.account = Some(account);
        Ok(())
    }

    fn detail(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        let Some(account) = self.account.as_mut() else {
            return Err(record.error(
                "record code",
                "a 16 transaction detail outside an account (no 03 before it)",
            ));
        };
        let type_code = record.field(0);
        let code = type_code_value(record, type_code)?;
        let custom = self
            .options
            .bai2_custom_codes
            .iter()
            .find(|custom| custom.code == code);
        let (direction, kind) = match (custom, type_codes::direction(code)) {
            (Some(custom), _) => (custom.direction, custom.kind),
            (None, Some(direction)) => (direction, type_codes::kind(code)),
            (None, None) => {
                return Err(record.error(
                    "type code",
                    format!(
                        "type code {code:03} has no direction in BAI2 (100–399 are credits, \
                         400–699 debits); list the bank's own codes in the import options"
                    ),
                ));
            }
        };
        let amount_field = record.field(1);
        if amount_field
            .first()
            .is_some_and(|b| matches!(b, b'+' | b'-'))
        {
            return Err(record.error(
                "amount",
                "a detail amount is unsigned: the type code gives the direction",
            ));
        }
        let amount = signed_amount(record, amount_field, "amount")?
            .ok_or_else(|| record.error("amount", "missing"))?;
        let funds = read_funds(record, 2)?;
        let text_index = funds.extra_fields.saturating_add(3);
        account.total = add_total(record, account.total, amount)?;

        let mut line = StatementLine::new(
            Money::new(amount, account.currency),
            direction,
            kind,
            Location::Line(record.line),
        );
        line.type_code = Some(text::decode(type_code));
        line.value_date = funds.value_date;
        line.booking_date = self.group.as_ref().map(|group| group.as_of);
        line.bank_reference = text::non_empty(record.field(text_index));
        line.customer_reference = text::non_empty(record.field(text_index.saturating_add(1)));
        if let Some((text, raw)) = detail_text(&record.text) {
            let fields = text_fields::read(&text);
            line.payer.name = fields.payer_name;
            line.payer.account = fields.payer_account;
            line.payer.id = fields.payer_id;
            // The whole text stays the first piece, so that nothing a person searches for is
            // lost; the remittance fields a layout names (OBI, PY, addenda) follow it.
            line.remittance = if fields.remittance.is_empty() {
                vec![text]
            } else {
                let mut pieces = fields.remittance;
                pieces.insert(0, text);
                pieces
            };
            line.raw_text = Some(raw);
        }
        self.lines.push(line);
        Ok(())
    }

    fn account_trailer(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        let Some(account) = self.account.take() else {
            return Err(record.error("record code", "a 49 account trailer with no account open"));
        };
        let stated_total = signed_amount(record, record.field(0), "account control total")?
            .ok_or_else(|| record.error("account control total", "missing"))?;
        let stated_records = count_field(record, 1, "number of records")?;
        if i128::from(stated_total) != account.total {
            self.findings.flag(record.error(
                "account control total",
                format!(
                    "states {stated_total} but the account's 03 and 16 amounts add up to {}",
                    account.total
                ),
            ))?;
        }
        if stated_records != account.records {
            self.findings.flag(record.error(
                "number of records",
                format!(
                    "states {stated_records} but the account has {} records (03 to 49, with \
                     continuations)",
                    account.records
                ),
            ))?;
        }
        self.close_account(account, record.line)
    }

    fn group_trailer(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        if self.account.is_some() {
            self.close_account_unfinished(record.line)?;
        }
        let Some(group) = self.group.take() else {
            return Err(record.error("record code", "a 98 group trailer with no group open"));
        };
        let stated_total = signed_amount(record, record.field(0), "group control total")?
            .ok_or_else(|| record.error("group control total", "missing"))?;
        let stated_accounts = count_field(record, 1, "number of accounts")?;
        let stated_records = count_field(record, 2, "number of records")?;
        if i128::from(stated_total) != group.total {
            self.findings.flag(record.error(
                "group control total",
                format!(
                    "states {stated_total} but the group's accounts add up to {}",
                    group.total
                ),
            ))?;
        }
        if stated_accounts != group.accounts {
            self.findings.flag(record.error(
                "number of accounts",
                format!(
                    "states {stated_accounts} but the group has {}",
                    group.accounts
                ),
            ))?;
        }
        if stated_records != group.records {
            self.findings.flag(record.error(
                "number of records",
                format!(
                    "states {stated_records} but the group has {} records (02 to 98, with \
                     continuations)",
                    group.records
                ),
            ))?;
        }
        self.close_group(group, record.line)
    }

    fn file_trailer(&mut self, record: &Record<'_>) -> Result<(), FormatError> {
        if self.group.is_some() {
            self.close_group_unfinished(record.line)?;
        }
        let stated_total = signed_amount(record, record.field(0), "file control total")?
            .ok_or_else(|| record.error("file control total", "missing"))?;
        let stated_groups = count_field(record, 1, "number of groups")?;
        let stated_records = count_field(record, 2, "number of records")?;
        self.file_closed = true;
        let Some(file) = self.file.as_ref() else {
            return Ok(());
        };
        let (total, groups, records) = (file.total, file.groups, file.records);
        if i128::from(stated_total) != total {
            self.findings.flag(record.error(
                "file control total",
                format!("states {stated_total} but the file's groups add up to {total}"),
            ))?;
        }
        if stated_groups != groups {
            self.findings.flag(record.error(
                "number of groups",
                format!("states {stated_groups} but the file has {groups}"),
            ))?;
        }
        if stated_records != records {
            self.findings.flag(record.error(
                "number of records",
                format!("states {stated_records} but the file has {records} records"),
            ))?;
        }
        Ok(())
    }

    fn close_account_unfinished(&mut self, line: usize) -> Result<(), FormatError> {
        if let Some(account) = self.account.take() {
            self.findings.flag(FormatError::new(
                Location::Line(account.line),
                "49 account trailer",
                format!("the account opened here has no 49 trailer before line {line}"),
            ))?;
            self.close_account(account, line)?;
        }
        Ok(())
    }

    fn close_group_unfinished(&mut self, line: usize) -> Result<(), FormatError> {
        self.close_account_unfinished(line)?;
        if let Some(group) = self.group.take() {
            self.findings.flag(FormatError::new(
                Location::Line(group.line),
                "98 group trailer",
                format!("the group opened here has no 98 trailer before line {line}"),
            ))?;
            self.close_group(group, line)?;
        }
        Ok(())
    }

    fn close_account(&mut self, account: AccountState, line: usize) -> Result<(), FormatError> {
        let Some(group) = self.group.as_mut() else {
            return Err(FormatError::new(
                Location::Line(line),
                "record code",
                "an account outside a group",
            ));
        };
        group.accounts += 1;
        group.total = group.total.checked_add(account.total).ok_or_else(|| {
            FormatError::new(Location::Line(line), "amount", "control total overflows")
        })?;
        let file_id = self
            .file
            .as_ref()
            .and_then(|file| file.file_id.clone())
            .unwrap_or_default();
        let as_of = Some(group.as_of);
        let balance = |amount: Money| Balance {
            amount,
            date: as_of,
        };
        self.statements.push(Statement {
            account: AccountRef {
                number: account.number.clone(),
                iban: None,
                bank_id: group.originator.clone(),
                name: None,
            },
            currency: account.currency,
            statement_id: Some(format!("{file_id}/{}/{}", group.ordinal, account.number)),
            from_date: as_of,
            to_date: as_of,
            opening_balance: account.opening.map(balance),
            closing_balance: account.closing.map(balance),
            total_credits: account.total_credits,
            total_debits: account.total_debits,
            lines: take_lines(&mut self.lines),
            location: Location::Line(account.line),
        });
        Ok(())
    }

    fn close_group(&mut self, group: GroupState, line: usize) -> Result<(), FormatError> {
        if let Some(file) = self.file.as_mut() {
            file.groups += 1;
            file.total = file.total.checked_add(group.total).ok_or_else(|| {
                FormatError::new(Location::Line(line), "amount", "control total overflows")
            })?;
        }
        Ok(())
    }

    fn finish(mut self, last_line: usize) -> Result<Parsed, FormatError> {
        let Some(file) = self.file.as_ref() else {
            return Err(FormatError::new(
                Location::File,
                "01 file header",
                "no BAI2 records in the file",
            ));
        };
        let header_line = file.line;
        if !self.file_closed {
            self.close_group_unfinished(last_line)?;
            self.findings.flag(FormatError::new(
                Location::Line(last_line),
                "99 file trailer",
                format!("the file that starts at line {header_line} ends without a 99 trailer"),
            ))?;
        }
        let Some(file) = self.file else {
            return Err(FormatError::new(
                Location::File,
                "01 file header",
                "missing",
            ));
        };
        Ok(Parsed {
            file: BankFile {
                format: Format::Bai2,
                version: Some(file.version),
                file_id: file.file_id,
                created: file.created,
                statements: self.statements,
                warnings: Vec::new(),
            },
            warnings: self.findings.warnings,
        })
    }
}

/// A `16` record's free text from the pieces it came in (the record and its `88`
/// continuations): the remittance, with the pieces' words joined by a space, and the raw text,
/// one piece a line. `None` when no piece holds anything but blanks.
///
/// Both strings are built in one pass each piece, with no `String` per piece: a large file has
/// hundreds of thousands of these.
fn detail_text(pieces: &[&[u8]]) -> Option<(String, String)> {
    if pieces
        .iter()
        .all(|piece| text::trim(trim_end(piece)).is_empty())
    {
        return None;
    }
    let length: usize = pieces.iter().map(|piece| piece.len() + 1).sum();
    let mut remittance = String::with_capacity(length);
    let mut raw = String::with_capacity(length);
    for (index, piece) in pieces.iter().enumerate() {
        let piece = trim_end(piece);
        if index > 0 {
            raw.push('\n');
        }
        // A UTF-8 piece is checked once and its words sliced from it (blanks are single
        // bytes); anything else is decoded as Windows-1252, a rare path that may allocate.
        match std::str::from_utf8(piece) {
            Ok(valid) => {
                raw.push_str(valid);
                push_words(&mut remittance, valid.trim_matches([' ', '\t']));
            }
            Err(_) => {
                text::decode_into(&mut raw, piece);
                push_words(&mut remittance, &text::decode(text::trim(piece)));
            }
        }
    }
    Some((remittance, raw))
}

/// The closed account's lines, leaving an empty buffer sized like them for the next account.
fn take_lines(lines: &mut Vec<StatementLine>) -> Vec<StatementLine> {
    let hint = lines.len();
    let mut taken = std::mem::replace(lines, Vec::with_capacity(hint));
    // Room sized for a larger account before this one is given back rather than kept.
    if taken.capacity() > taken.len() + taken.len() / 4 {
        taken.shrink_to_fit();
    }
    taken
}

/// Appends words to a text, after a blank unless they are the first.
fn push_words(text: &mut String, words: &str) {
    if words.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(words);
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b > b' ').map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default()
}

fn date_field(record: &Record<'_>, index: usize, name: &str) -> Result<Date, FormatError> {
    let field = record.field(index);
    text::yymmdd(field).ok_or_else(|| {
        record.error(
            name,
            format!("{:?} is not a date (expected YYMMDD)", text::excerpt(field)),
        )
    })
}

fn optional_currency(
    record: &Record<'_>,
    index: usize,
    name: &str,
) -> Result<Option<Currency>, FormatError> {
    let field = record.field(index);
    if field.is_empty() {
        return Ok(None);
    }
    std::str::from_utf8(field)
        .ok()
        .and_then(|code| Currency::from_code(code).ok())
        .map(Some)
        .ok_or_else(|| {
            record.error(
                name,
                format!(
                    "{:?} is not a known ISO 4217 currency",
                    text::excerpt(field)
                ),
            )
        })
}

fn type_code_value(record: &Record<'_>, field: &[u8]) -> Result<u16, FormatError> {
    text::digits_u64(field)
        .filter(|_| field.len() == 3)
        .and_then(|code| u16::try_from(code).ok())
        .ok_or_else(|| {
            record.error(
                "type code",
                format!("{:?} is not a three-digit type code", text::excerpt(field)),
            )
        })
}

/// An amount in minor units with an optional sign; `None` when the field is empty.
fn signed_amount(
    record: &Record<'_>,
    field: &[u8],
    name: &str,
) -> Result<Option<i64>, FormatError> {
    if field.is_empty() {
        return Ok(None);
    }
    let (negative, digits) = match field {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, field),
    };
    let magnitude = text::digits_u64(digits)
        .and_then(|value| i64::try_from(value).ok())
        .ok_or_else(|| {
            record.error(
                name,
                format!(
                    "{:?} is not an amount in minor units (digits with an optional sign)",
                    text::excerpt(field)
                ),
            )
        })?;
    Ok(Some(if negative { -magnitude } else { magnitude }))
}

fn count_field(record: &Record<'_>, index: usize, name: &str) -> Result<u64, FormatError> {
    let field = record.field(index);
    let digits = field.strip_prefix(b"+").unwrap_or(field);
    text::digits_u64(digits)
        .ok_or_else(|| record.error(name, format!("{:?} is not a count", text::excerpt(field))))
}

fn add_total(record: &Record<'_>, total: i128, amount: i64) -> Result<i128, FormatError> {
    total
        .checked_add(i128::from(amount))
        .ok_or_else(|| record.error("amount", "control total overflows"))
}

/// A funds type with what it says about availability that the model keeps.
struct Funds {
    extra_fields: usize,
    value_date: Option<Date>,
}

/// Reads the funds type at `index` and checks its extra fields: `S` three amounts (immediate,
/// one-day, two-or-more-day), `V` value date and time, `D` a count and that many pairs of
/// days and amount. `0`, `1`, `2`, `Z` and empty have none.
fn read_funds(record: &Record<'_>, index: usize) -> Result<Funds, FormatError> {
    let funds = record.field(index);
    let amount = |offset: usize, name: &str| -> Result<(), FormatError> {
        signed_amount(record, record.field(index + offset), name).map(|_| ())
    };
    match funds {
        b"" | b"0" | b"1" | b"2" | b"Z" => Ok(Funds {
            extra_fields: 0,
            value_date: None,
        }),
        b"S" => {
            amount(1, "immediate availability amount")?;
            amount(2, "one-day availability amount")?;
            amount(3, "two-or-more-day availability amount")?;
            Ok(Funds {
                extra_fields: 3,
                value_date: None,
            })
        }
        b"V" => {
            let date = record.field(index + 1);
            let value_date = text::yymmdd(date).ok_or_else(|| {
                record.error(
                    "value date",
                    format!("{:?} is not a date (expected YYMMDD)", text::excerpt(date)),
                )
            })?;
            let time = record.field(index + 2);
            if !time.is_empty() && (time.len() != 4 || text::digits_u64(time).is_none()) {
                return Err(record.error(
                    "value time",
                    format!("{:?} is not a time (expected HHMM)", text::excerpt(time)),
                ));
            }
            Ok(Funds {
                extra_fields: 2,
                value_date: Some(value_date),
            })
        }
        b"D" => {
            let count_field = record.field(index + 1);
            let pairs = text::digits_u64(count_field)
                .and_then(|pairs| usize::try_from(pairs).ok())
                .ok_or_else(|| {
                    record.error(
                        "distribution count",
                        format!("{:?} is not a count", text::excerpt(count_field)),
                    )
                })?;
            let available = record.fields.len().saturating_sub(index + 2);
            if pairs > available / 2 {
                return Err(record.error(
                    "distribution count",
                    format!("states {pairs} availability pairs but fewer follow"),
                ));
            }
            for pair in 0..pairs {
                let days = record.field(index + 2 + pair * 2);
                if text::digits_u64(days).is_none() {
                    return Err(record.error(
                        "distribution days",
                        format!("{:?} is not a number of days", text::excerpt(days)),
                    ));
                }
                amount(3 + pair * 2, "distribution amount")?;
            }
            Ok(Funds {
                extra_fields: 1 + pairs * 2,
                value_date: None,
            })
        }
        other => Err(record.error(
            "funds type",
            format!(
                "{:?} is not a funds type (0, 1, 2, S, V, D or Z)",
                text::excerpt(other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Checks;
    use crate::statement::{Direction, EntryKind};

    fn lenient(input: &str) -> Parsed {
        parse_with(input.as_bytes(), &ParseOptions::lenient()).expect("parses")
    }

    const HEADER: &str =
        "01,SENDER,RECEIVER,240115,0800,FILE1,,,2/\n02,RECEIVER,BANK,1,240115,,USD,2/\n";

    #[test]
    fn continuations_join_the_detail_text() {
        let input = format!(
            "{HEADER}03,123,,010,1000,,/\n16,165,2500,Z,BREF,CREF,ACH CREDIT INV 1001\n88,AND INV 1002\n88,END/\n49,3500,5/\n98,3500,1,7/\n99,3500,1,9/\n"
        );
        let parsed = parse(input.as_bytes()).expect("parses strictly");
        let line = &parsed.statements[0].lines[0];
        assert_eq!(
            line.remittance,
            vec!["ACH CREDIT INV 1001 AND INV 1002 END"]
        );
        assert_eq!(
            line.raw_text.as_deref(),
            Some("ACH CREDIT INV 1001\nAND INV 1002\nEND")
        );
        assert_eq!(line.bank_reference.as_deref(), Some("BREF"));
        assert_eq!(line.customer_reference.as_deref(), Some("CREF"));
        assert_eq!(line.kind, EntryKind::CustomerPayment);
        assert_eq!(line.direction, Direction::Credit);
    }

    #[test]
    fn keyed_text_names_the_payer() {
        let input = format!(
            "{HEADER}03,123,,010,0,,/\n\
             16,165,2500,Z,B1,C1,ORIG CO NAME:ACME CORP ORIG ID:1234567890 SEC:CCD\n\
             88,IND NAME:SETTLE INC ADDENDA:RMR*IV*INV-1001*PI*2500\\\n\
             16,195,100,Z,B2,C2,ORG=/987654321 GLOBEX LTD OBI=INVOICE 77 BNF=SETTLE INC/\n\
             49,2600,5/\n98,2600,1,7/\n99,2600,1,9/\n"
        );
        let parsed = parse(input.as_bytes()).expect("parses strictly");
        let lines = &parsed.statements[0].lines;
        assert_eq!(lines[0].payer.name.as_deref(), Some("ACME CORP"));
        assert_eq!(lines[0].payer.id.as_deref(), Some("1234567890"));
        assert_eq!(
            lines[0].remittance,
            vec![
                "ORIG CO NAME:ACME CORP ORIG ID:1234567890 SEC:CCD IND NAME:SETTLE INC \
                 ADDENDA:RMR*IV*INV-1001*PI*2500\\",
                "RMR*IV*INV-1001*PI*2500\\",
            ]
        );
        assert_eq!(
            lines[0].raw_text.as_deref(),
            Some(
                "ORIG CO NAME:ACME CORP ORIG ID:1234567890 SEC:CCD\n\
                 IND NAME:SETTLE INC ADDENDA:RMR*IV*INV-1001*PI*2500\\"
            )
        );
        assert_eq!(lines[1].payer.name.as_deref(), Some("GLOBEX LTD"));
        assert_eq!(lines[1].payer.account.as_deref(), Some("987654321"));
        assert_eq!(lines[1].remittance[1], "INVOICE 77");
    }

    #[test]
    fn several_records_on_one_line_and_slashes_in_text() {
        let input = "01,S,R,240115,0800,F,,,2/ 02,R,B,1,240115,,USD,2/\n03,1,,010,0,,/ 16,142,100,Z,,,PAYPAL B/O ACME 12/03/2024 PPD/ 16,451,50,Z,,,VISA/   49,150,4/\n98,150,1,6/ 99,150,1,8/";
        let parsed = parse(input.as_bytes()).expect("parses");
        let lines = &parsed.statements[0].lines;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].remittance, vec!["PAYPAL B/O ACME 12/03/2024 PPD"]);
        assert_eq!(lines[1].remittance, vec!["VISA"]);
        assert_eq!(lines[1].direction, Direction::Debit);
    }

    #[test]
    fn funds_types_place_the_references() {
        let input = format!(
            "{HEADER}03,9,,010,0,,/\n\
             16,115,100,S,10,20,70,B1,C1,TEXT S\n\
             16,115,100,V,240116,1200,B2,C2,TEXT V\n\
             16,115,100,D,2,0,60,1,40,B3,C3,TEXT D\n\
             16,115,100,1,B4,C4,TEXT 1\n\
             16,115,100,,B5,C5,TEXT EMPTY\n\
             49,500,7/\n98,500,1,9/\n99,500,1,11/"
        );
        let parsed = parse(input.as_bytes()).expect("parses");
        let lines = &parsed.statements[0].lines;
        let refs: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.bank_reference.clone().unwrap(),
                    l.customer_reference.clone().unwrap(),
                    l.remittance[0].clone(),
                )
            })
            .collect();
        assert_eq!(refs[0], ("B1".into(), "C1".into(), "TEXT S".into()));
        assert_eq!(refs[1], ("B2".into(), "C2".into(), "TEXT V".into()));
        assert_eq!(refs[2], ("B3".into(), "C3".into(), "TEXT D".into()));
        assert_eq!(refs[3], ("B4".into(), "C4".into(), "TEXT 1".into()));
        assert_eq!(refs[4], ("B5".into(), "C5".into(), "TEXT EMPTY".into()));
        assert_eq!(lines[1].value_date, Some(jiff::civil::date(2024, 1, 16)));
    }

    #[test]
    fn distribution_count_larger_than_the_record_is_refused() {
        let input = format!("{HEADER}03,9,,010,0,,/\n16,115,100,D,99999999999,0,60/\n");
        let error = parse(input.as_bytes()).unwrap_err();
        assert_eq!(error.location, Location::Line(4));
        assert_eq!(error.field, "16 distribution count");
    }

    #[test]
    fn account_currency_sets_the_minor_unit() {
        let input = "01,S,R,240115,0800,F,,,2/\n02,R,B,1,240115,,EUR,2/\n03,1,JPY,010,500,,/\n16,195,1200,Z,,,/\n49,1700,3/\n03,2,,015,-75,,/\n49,-75,2/\n98,1625,2,7/\n99,1625,1,9/";
        let parsed = parse(input.as_bytes()).expect("parses");
        let first = &parsed.statements[0];
        assert_eq!(first.currency, Currency::JPY);
        assert_eq!(first.lines[0].amount, Money::new(1200, Currency::JPY));
        let second = &parsed.statements[1];
        assert_eq!(second.currency, Currency::EUR);
        assert_eq!(
            second.closing_balance.as_ref().map(|b| b.amount),
            Some(Money::new(-75, Currency::EUR))
        );
    }

    #[test]
    fn wrong_control_total_is_a_warning_or_an_error() {
        let input = format!("{HEADER}03,1,,010,100,,/\n49,101,2/\n98,100,1,4/\n99,100,1,6/");
        let error = parse(input.as_bytes()).unwrap_err();
        assert_eq!(error.location, Location::Line(4));
        assert_eq!(error.field, "49 account control total");
        let parsed = lenient(&input);
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(
            parse_with(
                input.as_bytes(),
                &ParseOptions {
                    checks: Checks::Strict,
                    ..ParseOptions::default()
                }
            )
            .unwrap_err()
            .location,
            Location::Line(4)
        );
    }

    #[test]
    fn malformed_records_name_line_and_field() {
        let cases = [
            ("00,1/", 1, "record code"),
            ("01,S,R,241315,0800,F,,,2/", 1, "01 file creation date"),
            ("01,S,R,240115,0800,F,,,/", 1, "01 version number"),
            (
                "01,S,R,240115,0800,F,,,2/\n16,115,1,Z/",
                2,
                "16 record code",
            ),
        ];
        for (input, line, field) in cases {
            let error = parse(input.as_bytes()).unwrap_err();
            assert_eq!(
                (error.location.clone(), error.field.as_str()),
                (Location::Line(line), field),
                "{input}: {error}"
            );
        }
        let detail = format!("{HEADER}03,1,,010,0,,/\n16,1X5,1,Z/");
        assert_eq!(parse(detail.as_bytes()).unwrap_err().field, "16 type code");
        let detail = format!("{HEADER}03,1,,010,0,,/\n16,115,-1,Z/");
        assert_eq!(parse(detail.as_bytes()).unwrap_err().field, "16 amount");
        let detail = format!("{HEADER}03,1,,010,0,,/\n16,905,1,Z/");
        assert_eq!(parse(detail.as_bytes()).unwrap_err().field, "16 type code");
    }

    #[test]
    fn empty_and_garbage_inputs_are_refused() {
        assert_eq!(parse(b"").unwrap_err().location, Location::File);
        assert_eq!(
            parse(b"\xEF\xBB\xBF  \r\n").unwrap_err().location,
            Location::File
        );
        assert!(parse(b"88,x").is_err());
        assert!(parse(b"01").is_err());
    }
}
