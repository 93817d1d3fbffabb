//! SWIFT MT940 customer statements and MT942 interim reports.
//!
//! A file holds one or more messages, each optionally wrapped in the SWIFT envelope
//! `{1:…}{2:…}{4:` … `-}`, or separated by `-` lines, blank lines, or nothing at all. A message
//! is a sequence of tags: `:20:` reference, `:25:` account, `:28C:` statement number,
//! `:60F:`/`:60M:` opening balance, then `:61:` lines each with an optional `:86:`, then
//! `:62F:`/`:62M:` closing balance, `:64:`, `:65:` and a statement-level `:86:`. MT942 has
//! `:34F:`, `:13D:`, `:90D:`/`:90C:` and no balances.
//!
//! Tolerated, as real exports need it: CRLF/LF/CR, control characters around messages (SOH,
//! ETX, SUB), a Rabobank `:940:` header line and other non-tag lines before a message, `:28:`
//! for `:28C:`, the German non-SWIFT `:NS:` tag, several `:86:` tags in a row, `:86:` lines that
//! start with `-`. Each message becomes one [`Statement`]; its opening balance plus its lines
//! must equal its closing balance (a finding: see [`crate::options`]).

mod fields;
mod info;

use std::ops::Range;

use jiff::civil::Date;
use settle_core::{Currency, Money};

use crate::error::{FormatError, Location};
use crate::options::{Findings, ParseOptions, Parsed};
use crate::statement::{
    AccountRef, Balance, BankFile, Direction, EntryKind, Format, Statement, StatementLine,
};
use crate::text::{self, Lines};
use fields::{BalanceField, DateParts, FieldError, LineField, Mark};

/// Reads MT940/MT942 strictly: a balance that does not add up, an unknown tag or a broken
/// `:86:` layout refuses the file. Use [`parse_with`] with lenient options for warnings instead.
pub fn parse(bytes: &[u8]) -> Result<BankFile, FormatError> {
    parse_with(bytes, &ParseOptions::strict()).map(|parsed| parsed.file)
}

/// Reads MT940/MT942 with the given checks.
pub fn parse_with(bytes: &[u8], options: &ParseOptions) -> Result<Parsed, FormatError> {
    let mut findings = Findings::new(options.checks);
    let mut splitter = Splitter::new(text::strip_bom(bytes));
    let mut statements = Vec::new();
    let mut interim = false;
    let mut file_id = None;
    let mut scratch = Scratch::default();
    while let Some(end_line) = splitter.next_message()? {
        let tags = splitter.tags();
        if statements.is_empty() {
            file_id = tags.first().and_then(|tag| text::non_empty(&tag.value()));
        }
        match build_statement(&tags, end_line, &mut findings, &mut scratch) {
            Ok((statement, is_interim)) => {
                interim |= is_interim;
                statements.push(statement);
            }
            Err(error) => {
                // A file whose messages cannot be split is refused for that first, wherever
                // it happens: the rest must still be split before this message's error counts.
                while splitter.next_message()?.is_some() {}
                return Err(error);
            }
        }
    }
    if statements.is_empty() {
        return Err(FormatError::new(
            Location::File,
            ":20:",
            "no MT940 message (a message starts with a :20: tag)",
        ));
    }
    Ok(Parsed {
        file: BankFile {
            format: Format::Mt940,
            version: Some(if interim { "942" } else { "940" }.to_string()),
            file_id,
            created: None,
            statements,
            warnings: Vec::new(),
        },
        warnings: findings.warnings,
    })
}

/// One tag as it stood in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub line: usize,
    /// The tag without its colons: `20`, `61`, `86`, `NS`.
    pub tag: String,
    /// The value with its lines joined by `\n`.
    pub value: String,
}

/// Reads the tags of a file and checks each one's own syntax (balances, statement lines,
/// amounts, dates) without asking for whole messages: for tag-level fixtures and for showing
/// a person what a file holds when it is not a complete statement.
pub fn read_fields(bytes: &[u8]) -> Result<Vec<Field>, FormatError> {
    let mut fields = Vec::new();
    for (number, raw) in Lines::new(text::strip_bom(bytes)) {
        let line = text::trim_controls(raw);
        if let Some((tag, value)) = split_tag(line) {
            check_tag_syntax(tag, &[value], number)?;
            fields.push(Field {
                line: number,
                tag: text::decode(tag),
                value: text::decode(value),
            });
        } else if !line.is_empty()
            && !line.starts_with(b"-")
            && !line.starts_with(b"{")
            && let Some(last) = fields.last_mut()
        {
            last.value.push('\n');
            last.value.push_str(&text::decode(line));
        }
    }
    Ok(fields)
}

fn check_tag_syntax(tag: &[u8], lines: &[&[u8]], line: usize) -> Result<(), FormatError> {
    let first = lines.first().copied().unwrap_or_default();
    let error = |(field, message): FieldError| {
        FormatError::new(
            Location::Line(line),
            format!(":{}: {field}", text::decode(tag)),
            message,
        )
    };
    match tag {
        b"60F" | b"60M" | b"62F" | b"62M" | b"64" | b"65" => {
            fields::balance(first).map(|_| ()).map_err(error)
        }
        b"61" => fields::statement_line(first).map(|_| ()).map_err(error),
        b"34F" => fields::floor_limit(first).map(|_| ()).map_err(error),
        b"90D" | b"90C" => fields::entry_sum(first).map(|_| ()).map_err(error),
        _ => Ok(()),
    }
}

/// A tag with its value's lines: a view into the [`Splitter`]'s buffers.
#[derive(Debug, Clone, Copy)]
struct Tag<'s, 'a> {
    name: &'a [u8],
    line: usize,
    lines: &'s [&'a [u8]],
}

impl Tag<'_, '_> {
    fn value(&self) -> Vec<u8> {
        self.lines.join(&b'\n')
    }

    fn first(&self) -> &[u8] {
        self.lines.first().copied().unwrap_or_default()
    }

    fn error(&self, field: &str, message: impl Into<String>) -> FormatError {
        FormatError::new(
            Location::Line(self.line),
            format!(":{}: {field}", text::decode(self.name)),
            message,
        )
    }
}

/// A tag as the splitter stores it: its value's lines are a range of [`Splitter::values`].
#[derive(Debug)]
struct SplitTag<'a> {
    name: &'a [u8],
    line: usize,
    lines: Range<usize>,
}

/// Reads a file one message at a time. The message's tags and value lines go into two buffers
/// that every message reuses: a large file has a million lines, and a `Vec` per tag (or one
/// buffer for the whole file) cost more than reading them.
struct Splitter<'a> {
    lines: Lines<'a>,
    last_content_line: usize,
    /// The message's value lines, in file order; a tag's lines are consecutive.
    values: Vec<&'a [u8]>,
    tags: Vec<SplitTag<'a>>,
}

impl<'a> Splitter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Splitter {
            lines: Lines::new(bytes),
            last_content_line: 0,
            values: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// Views of the message's tags.
    fn tags(&self) -> Vec<Tag<'_, 'a>> {
        self.tags
            .iter()
            .map(|tag| Tag {
                name: tag.name,
                line: tag.line,
                lines: self.values.get(tag.lines.clone()).unwrap_or_default(),
            })
            .collect()
    }

    /// Reads the next message into the buffers and returns the line it ended at: its
    /// terminator, the line that starts the next message, or the last line. `None` at the end.
    fn next_message(&mut self) -> Result<Option<usize>, FormatError> {
        self.values.clear();
        self.tags.clear();
        let mut open = false;
        // A `:62F:`/`:62M:`/`:90D:`/`:90C:` has been read: a `-` line now ends the message.
        let mut has_closing = false;
        loop {
            // The line that starts the next message is left unread for the next call.
            let before = self.lines.clone();
            let Some((number, raw)) = self.lines.next() else {
                return Ok(open.then_some(self.last_content_line));
            };
            let mut line = text::trim_controls(raw);
            if line.is_empty() {
                continue;
            }
            self.last_content_line = number;
            if line.first() == Some(&b'{') {
                // Envelope blocks. A `{4:` opens a message body; what follows it on the line
                // is the body's first line.
                match memchr::memmem::find(line, b"{4:") {
                    Some(_) if open => {
                        self.lines = before;
                        return Ok(Some(number));
                    }
                    Some(start) => {
                        line = text::trim(line.get(start + 3..).unwrap_or_default());
                        if line.is_empty() {
                            continue;
                        }
                    }
                    None => continue,
                }
            }
            if line.first() == Some(&b'-') && (line.starts_with(b"-}") || !open || has_closing) {
                if open {
                    return Ok(Some(number));
                }
                continue;
            }
            match split_tag(line) {
                Some((b"940", _)) => {}
                Some((b"20", _)) if open => {
                    self.lines = before;
                    return Ok(Some(number));
                }
                Some((name, value)) => {
                    open |= name == b"20";
                    if !open {
                        return Err(FormatError::new(
                            Location::Line(number),
                            format!(":{}:", text::decode(name)),
                            "tag outside a message (a message starts with :20:)",
                        ));
                    }
                    has_closing |= matches!(name, b"62F" | b"62M" | b"90D" | b"90C");
                    self.values.push(value);
                    self.tags.push(SplitTag {
                        name,
                        line: number,
                        lines: self.values.len() - 1..self.values.len(),
                    });
                }
                // A continuation of the last tag's value; outside a message, a header line
                // some banks write before the first message.
                None if open => {
                    self.values.push(line);
                    if let Some(tag) = self.tags.last_mut() {
                        tag.lines.end = self.values.len();
                    }
                }
                None => {}
            }
        }
    }
}

/// `:TAG:value` where the tag is two digits with an optional letter, `NS` or Rabobank's `940`.
fn split_tag(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let after = line.strip_prefix(b":")?;
    let end = after.iter().take(4).position(|&b| b == b':')?;
    let tag = after.get(..end)?;
    // Only the tags of MT940 and MT942: a wrapped `:86:` line such as `:12:11` (the end of a
    // time) or `:00:00/` is text, not a tag.
    let valid = matches!(
        tag,
        b"20"
            | b"21"
            | b"25"
            | b"25P"
            | b"28"
            | b"28C"
            | b"60F"
            | b"60M"
            | b"61"
            | b"62F"
            | b"62M"
            | b"64"
            | b"65"
            | b"86"
            | b"34F"
            | b"13"
            | b"13D"
            | b"90D"
            | b"90C"
            | b"NS"
            | b"940"
    );
    valid.then(|| (tag, after.get(end + 1..).unwrap_or_default()))
}

/// A `:61:` with the `:86:` that belongs to it.
struct PendingLine<'m, 's, 'a> {
    tag: &'m Tag<'s, 'a>,
    field: LineField<'a>,
    /// The `:86:` tags that follow the `:61:`, which stand next to each other.
    information: &'m [Tag<'s, 'a>],
}

/// Builds a statement from a message; the flag is true for an MT942 interim report.
fn build_statement(
    tags: &[Tag<'_, '_>],
    end_line: usize,
    findings: &mut Findings,
    scratch: &mut Scratch,
) -> Result<(Statement, bool), FormatError> {
    let mut reference = None;
    let mut account: Option<&Tag<'_, '_>> = None;
    let mut sequence = None;
    let mut opening: Option<(&Tag<'_, '_>, BalanceField<'_>)> = None;
    let mut closing: Option<(&Tag<'_, '_>, BalanceField<'_>)> = None;
    let mut floor_currency: Option<(&Tag<'_, '_>, &[u8])> = None;
    let mut sums: Vec<(&Tag<'_, '_>, bool, u64, &[u8], fields::Amount<'_>)> = Vec::new();
    let mut pending: Vec<PendingLine<'_, '_, '_>> = Vec::new();
    let mut last_was_line = false;
    let start_line = tags.first().map_or(end_line, |tag| tag.line);

    for (index, tag) in tags.iter().enumerate() {
        let first = tag.first();
        let field_error = |(field, message): FieldError| tag.error(field, message);
        let mut is_line_or_info = false;
        match tag.name {
            b"20" => reference = text::non_empty(first),
            b"21" | b"13" | b"13D" | b"NS" | b"64" | b"65" => {
                check_tag_syntax(tag.name, tag.lines, tag.line)?;
            }
            b"25" | b"25P" => account = Some(tag),
            b"28C" | b"28" => sequence = text::non_empty(first),
            b"60F" | b"60M" => {
                if opening.is_some() {
                    return Err(tag.error("opening balance", "a second opening balance"));
                }
                opening = Some((tag, fields::balance(first).map_err(field_error)?));
            }
            b"62F" | b"62M" => {
                if closing.is_some() {
                    return Err(tag.error("closing balance", "a second closing balance"));
                }
                closing = Some((tag, fields::balance(first).map_err(field_error)?));
            }
            b"61" => {
                let field = fields::statement_line(first).map_err(field_error)?;
                pending.push(PendingLine {
                    tag,
                    field,
                    information: &[],
                });
                is_line_or_info = true;
            }
            // A :86: after a line (or after that line's :86:) belongs to it; one after the
            // closing balance is about the statement, and is not kept.
            b"86" if last_was_line => {
                if let Some(line) = pending.last_mut() {
                    // This :86: and the ones before it since the :61: are consecutive tags.
                    let first_info = index.saturating_sub(line.information.len());
                    line.information = tags.get(first_info..=index).unwrap_or_default();
                }
                is_line_or_info = true;
            }
            b"86" => {}
            b"34F" => {
                let currency = fields::floor_limit(first).map_err(field_error)?;
                floor_currency.get_or_insert((tag, currency));
            }
            b"90D" | b"90C" => {
                let (count, currency, amount) = fields::entry_sum(first).map_err(field_error)?;
                sums.push((tag, tag.name == b"90C", count, currency, amount));
            }
            _ => {}
        }
        last_was_line = is_line_or_info;
    }

    let missing = |field: &str, text: &str| FormatError::new(Location::Line(end_line), field, text);
    let account =
        account.ok_or_else(|| missing(":25:", "the message has no :25: account identification"))?;
    let interim =
        opening.is_none() && closing.is_none() && (floor_currency.is_some() || !sums.is_empty());
    if !interim {
        if opening.is_none() {
            return Err(missing(":60F:", "the message has no :60F: opening balance"));
        }
        if closing.is_none() {
            return Err(missing(":62F:", "the message has no :62F: closing balance"));
        }
    }

    let currency_code = opening
        .as_ref()
        .map(|(tag, balance)| (*tag, balance.currency))
        .or(floor_currency)
        .or_else(|| {
            sums.first()
                .map(|(tag, _, _, currency, _)| (*tag, *currency))
        });
    let Some((currency_tag, currency_code)) = currency_code else {
        return Err(missing("currency", "the message states no currency"));
    };
    let currency = currency_of(currency_tag, currency_code)?;

    let balance_of = |(tag, field): &(&Tag<'_, '_>, BalanceField<'_>),
                      findings: &mut Findings|
     -> Result<Balance, FormatError> {
        if field.currency != currency_code {
            return Err(tag.error(
                "currency",
                format!(
                    "{} differs from the statement's currency {currency}",
                    text::decode(field.currency)
                ),
            ));
        }
        let minor = field
            .amount
            .to_minor(currency)
            .map_err(|message| tag.error("amount", message))?;
        let signed = if field.debit { -minor } else { minor };
        Ok(Balance {
            amount: Money::new(signed, currency),
            date: Some(date_of(tag, "date", field.date, findings)?),
        })
    };
    let opening_balance = opening
        .as_ref()
        .map(|opening| balance_of(opening, findings))
        .transpose()?;
    let closing_balance = closing
        .as_ref()
        .map(|closing| balance_of(closing, findings))
        .transpose()?;

    let mut lines = Vec::with_capacity(pending.len());
    let mut movement: i64 = 0;
    for line in &pending {
        let built = build_line(line, currency, findings, scratch)?;
        movement = movement
            .checked_add(built.signed_minor())
            .ok_or_else(|| line.tag.error("amount", "the lines' sum overflows"))?;
        lines.push(built);
    }

    if let (Some(opening), Some(closing), Some((closing_tag, _))) =
        (&opening_balance, &closing_balance, &closing)
    {
        let expected = opening.amount.minor().checked_add(movement);
        if expected != Some(closing.amount.minor()) {
            findings.flag(closing_tag.error(
                "closing balance",
                format!(
                    "{} but the opening balance {} and the {} lines' movement {} give {}",
                    closing.amount,
                    opening.amount,
                    lines.len(),
                    Money::new(movement, currency),
                    expected.map_or_else(
                        || "an overflow".to_string(),
                        |e| { Money::new(e, currency).to_string() }
                    ),
                ),
            ))?;
        }
    }

    let mut total_credits = None;
    let mut total_debits = None;
    for (tag, credit, count, code, amount) in &sums {
        if *code != currency_code {
            return Err(tag.error("currency", "differs from the statement's currency"));
        }
        let minor = amount
            .to_minor(currency)
            .map_err(|message| tag.error("amount", message))?;
        let direction = if *credit {
            Direction::Credit
        } else {
            Direction::Debit
        };
        let (lines_count, lines_sum) = lines
            .iter()
            .filter(|line| line.direction == direction)
            .fold((0u64, 0i64), |(count, sum), line| {
                (count + 1, sum.saturating_add(line.amount.minor()))
            });
        if lines_count != *count || lines_sum != minor {
            findings.flag(tag.error(
                "sum of entries",
                format!(
                    "states {count} entries of {} but the message has {lines_count} of {}",
                    Money::new(minor, currency),
                    Money::new(lines_sum, currency)
                ),
            ))?;
        }
        let money = Some(Money::new(minor, currency));
        if *credit {
            total_credits = money;
        } else {
            total_debits = money;
        }
    }

    let statement_id = match (&reference, &sequence) {
        (Some(reference), Some(sequence)) => Some(format!("{reference}/{sequence}")),
        (Some(reference), None) => Some(reference.clone()),
        (None, sequence) => sequence.clone(),
    };
    let statement = Statement {
        account: account_ref(&account.value()),
        currency,
        statement_id,
        from_date: opening_balance.as_ref().and_then(|b| b.date),
        to_date: closing_balance.as_ref().and_then(|b| b.date),
        opening_balance,
        closing_balance,
        total_credits,
        total_debits,
        lines,
        location: Location::Line(start_line),
    };
    Ok((statement, interim))
}

fn currency_of(tag: &Tag<'_, '_>, code: &[u8]) -> Result<Currency, FormatError> {
    std::str::from_utf8(code)
        .ok()
        .and_then(|code| Currency::from_code(code).ok())
        .ok_or_else(|| {
            tag.error(
                "currency",
                format!("{:?} is not a known ISO 4217 currency", text::excerpt(code)),
            )
        })
}

/// A date that exists, or for a lenient read the month's last day in place of `30 February`.
fn date_of(
    tag: &Tag<'_, '_>,
    field: &str,
    parts: DateParts,
    findings: &mut Findings,
) -> Result<Date, FormatError> {
    if let Ok(date) = Date::new(parts.year, parts.month, parts.day) {
        return Ok(date);
    }
    let repaired = text::clamp_day(parts.year, parts.month, parts.day).ok_or_else(|| {
        tag.error(
            field,
            format!(
                "{:04}-{:02}-{:02} is not a date",
                parts.year, parts.month, parts.day
            ),
        )
    })?;
    findings.flag(tag.error(
        field,
        format!(
            "{:04}-{:02}-{:02} does not exist; read as {repaired}",
            parts.year, parts.month, parts.day
        ),
    ))?;
    Ok(repaired)
}

/// The entry date's year: the one that puts it closest to the value date, so that a line
/// valued on 31 December and booked on 2 January lands in the new year.
fn entry_date(value: Date, month: i8, day: i8) -> Option<Date> {
    let year = value.year();
    [year - 1, year, year + 1]
        .into_iter()
        .filter_map(|year| text::clamp_day(year, month, day))
        .min_by_key(|candidate| {
            candidate
                .since(value)
                .map_or(i32::MAX, |span| span.get_days().abs())
        })
}

/// Buffers reused from one statement line to the next, so that reading a line allocates only
/// the strings it keeps.
#[derive(Debug, Default)]
struct Scratch {
    info: info::Scratch,
}

fn build_line(
    line: &PendingLine<'_, '_, '_>,
    currency: Currency,
    findings: &mut Findings,
    scratch: &mut Scratch,
) -> Result<StatementLine, FormatError> {
    let field = &line.field;
    let tag = line.tag;
    let minor = field
        .amount
        .to_minor(currency)
        .map_err(|message| tag.error("amount", message))?;
    let (direction, reversal) = match field.mark {
        Mark::Credit => (Direction::Credit, false),
        Mark::Debit => (Direction::Debit, false),
        Mark::ReversalOfCredit => (Direction::Debit, true),
        Mark::ReversalOfDebit => (Direction::Credit, true),
    };
    let value_date = date_of(tag, "value date", field.value_date, findings)?;
    let booking_date = match field.entry_date {
        Some((month, day)) => entry_date(value_date, month, day),
        None => Some(value_date),
    };

    let information = line
        .information
        .iter()
        .flat_map(|info| info.lines.iter().copied());
    let decoded = if line.information.is_empty() {
        info::Info::default()
    } else {
        let (decoded, problem) = info::decode(information, &mut scratch.info);
        if let Some(problem) = problem {
            let first = line.information.first().unwrap_or(tag);
            findings.flag(first.error("information", problem))?;
        }
        decoded
    };
    if field.amount_without_comma {
        findings.flag(tag.error("amount", "written without its decimal comma"))?;
    }

    let (type_code, transaction_type_len) =
        type_code(field.transaction_type, decoded.gvc.as_deref());
    let kind = entry_kind(
        direction,
        reversal,
        type_code.get(..transaction_type_len).unwrap_or_default(),
        decoded.gvc.as_deref(),
    );
    let mut built = StatementLine::new(
        Money::new(minor, currency),
        direction,
        kind,
        Location::Line(tag.line),
    );
    built.reversal = reversal;
    built.value_date = Some(value_date);
    built.booking_date = booking_date;
    built.bank_reference = text::non_empty(field.bank_reference);
    built.customer_reference = customer_reference(field.customer_reference)
        .map(text::decode)
        .or(decoded.customer_reference);
    built.end_to_end_id = decoded.end_to_end_id;
    built.type_code = Some(type_code);
    built.payer = decoded.payer;
    built.ultimate_payer = decoded.ultimate_payer.map(Box::new);
    built.remittance = decoded.remittance;
    built.references = decoded.references;
    built.set_return_reason(decoded.return_reason);

    // Supplementary details: the rest of the first line and the lines under it.
    let supplementary = Some(field.extra)
        .filter(|extra| !extra.is_empty())
        .into_iter()
        .chain(tag.lines.iter().skip(1).copied());
    if built.payer.account.is_none() {
        built.payer.account = supplementary
            .clone()
            .map(text::trim)
            .find(|details| looks_like_iban(details))
            .map(text::decode);
    }
    built.raw_text = raw_text(supplementary, line.information);
    Ok(built)
}

/// The `:61:` customer reference, unless it is empty or the `NONREF` placeholder.
fn customer_reference(reference: &[u8]) -> Option<&[u8]> {
    let reference = text::trim(reference);
    (!reference.is_empty() && reference != b"NONREF").then_some(reference)
}

/// The line's type code: the `:61:` transaction type, with the `:86:` business code after a
/// `/` when there is one; and the length of the transaction type's part.
fn type_code(transaction_type: &[u8], gvc: Option<&str>) -> (String, usize) {
    let transaction_type = text::trim(transaction_type);
    let gvc_len = gvc.map_or(0, |gvc| gvc.len() + 1);
    let mut code = String::with_capacity(transaction_type.len() + gvc_len);
    text::decode_into(&mut code, transaction_type);
    let transaction_type_len = code.len();
    if let Some(gvc) = gvc {
        code.push('/');
        code.push_str(gvc);
    }
    (code, transaction_type_len)
}

/// The line's text as the file gave it: the supplementary details, then each `:86:` with its
/// tag, one line each; `None` when there is none.
fn raw_text<'a>(
    supplementary: impl Iterator<Item = &'a [u8]> + Clone,
    information: &[Tag<'_, 'a>],
) -> Option<String> {
    // Sized up front: growing the string line by line reallocated it several times a line.
    let lines = supplementary.clone().chain(
        information
            .iter()
            .flat_map(|info| info.lines.iter().copied()),
    );
    let length: usize = lines.map(|line| line.len() + 1).sum::<usize>() + 4 * information.len();
    let mut raw = String::with_capacity(length);
    let mut pieces = 0usize;
    let mut push = |raw: &mut String, prefix: &str, piece: &[u8]| {
        if pieces > 0 {
            raw.push('\n');
        }
        pieces += 1;
        raw.push_str(prefix);
        text::decode_into(raw, piece);
    };
    for details in supplementary {
        push(&mut raw, "", details);
    }
    for info in information {
        for (index, info_line) in info.lines.iter().enumerate() {
            push(&mut raw, if index == 0 { ":86:" } else { "" }, info_line);
        }
    }
    (pieces > 0).then_some(raw)
}

fn looks_like_iban(text: &[u8]) -> bool {
    (15..=34).contains(&text.len())
        && text
            .get(..2)
            .is_some_and(|c| c.iter().all(u8::is_ascii_uppercase))
        && text
            .get(2..4)
            .is_some_and(|c| c.iter().all(u8::is_ascii_digit))
        && text.iter().all(u8::is_ascii_alphanumeric)
}

fn entry_kind(
    direction: Direction,
    reversal: bool,
    transaction_type: &str,
    gvc: Option<&str>,
) -> EntryKind {
    if reversal {
        return EntryKind::Return;
    }
    let code = transaction_type.get(1..).unwrap_or_default();
    match (code, gvc) {
        ("CHG" | "COM", _) | (_, Some("805" | "808" | "809")) => EntryKind::BankFee,
        ("INT", _) | (_, Some("804" | "814")) => EntryKind::Interest,
        ("RTI", _) | (_, Some("109" | "159")) => EntryKind::Return,
        _ => match direction {
            Direction::Credit => EntryKind::CustomerPayment,
            Direction::Debit => EntryKind::Disbursement,
        },
    }
}

/// `:25:` as banks write it: an IBAN, `BLZ/account`, or an account with its currency appended.
fn account_ref(value: &[u8]) -> AccountRef {
    let value = text::trim(value);
    let without_currency = match value
        .len()
        .checked_sub(3)
        .and_then(|at| value.split_at_checked(at))
    {
        Some((number, code))
            if code.iter().all(u8::is_ascii_uppercase)
                && number
                    .last()
                    .is_some_and(|b| b.is_ascii_digit() || *b == b' ')
                && std::str::from_utf8(code)
                    .is_ok_and(|code| Currency::from_code(code).is_ok()) =>
        {
            text::trim(number)
        }
        _ => value,
    };
    let (bank_id, number) = match memchr::memchr(b'/', without_currency) {
        Some(slash) => (
            text::non_empty(without_currency.get(..slash).unwrap_or_default()),
            without_currency.get(slash + 1..).unwrap_or_default(),
        ),
        None => (None, without_currency),
    };
    let number = text::decode(text::trim(number));
    let iban = looks_like_iban(number.as_bytes()).then(|| number.clone());
    AccountRef {
        number,
        iban,
        bank_id,
        name: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn entry_date_rolls_over_the_year() {
        assert_eq!(entry_date(date(2019, 12, 31), 1, 2), Some(date(2020, 1, 2)));
        assert_eq!(
            entry_date(date(2020, 1, 2), 12, 31),
            Some(date(2019, 12, 31))
        );
        assert_eq!(entry_date(date(2020, 6, 1), 6, 2), Some(date(2020, 6, 2)));
    }

    #[test]
    fn reversals_flip_the_direction() {
        let input = ":20:X\n:25:NL91ABNA0417164300\n:28C:1\n:60F:C240101EUR100,00\n\
                     :61:2401020102RC10,00NRTINONREF//B1\n:86:/RTRN/AC04/\n\
                     :61:240102RD5,00NTRFNONREF\n:62F:C240102EUR95,00\n-";
        let file = parse(input.as_bytes()).expect("parses");
        let lines = &file.statements[0].lines;
        assert_eq!(lines[0].direction, Direction::Debit);
        assert!(lines[0].reversal);
        assert_eq!(lines[0].kind, EntryKind::Return);
        assert_eq!(lines[0].return_reason(), Some("AC04"));
        assert_eq!(lines[1].direction, Direction::Credit);
        assert!(lines[1].reversal);
        assert_eq!(
            file.statements[0].account.iban.as_deref(),
            Some("NL91ABNA0417164300")
        );
    }

    #[test]
    fn balance_mismatch_names_the_closing_line() {
        let input = ":20:X\n:25:1\n:60F:C240101EUR100,00\n:61:240102C1,00NTRFNONREF\n:62F:C240102EUR100,00\n";
        let error = parse(input.as_bytes()).unwrap_err();
        assert_eq!(error.location, Location::Line(5));
        assert_eq!(error.field, ":62F: closing balance");
        let parsed = parse_with(input.as_bytes(), &ParseOptions::lenient()).unwrap();
        assert_eq!(parsed.warnings.len(), 1);
    }

    #[test]
    fn year_end_entry_and_german_details() {
        let input = ":20:STARTUMSE\r\n:25:87052000/123456789\r\n:28C:00001/001\r\n\
                     :60F:C191231EUR10,00\r\n:61:1912310102CR20,00N166NONREF\r\n\
                     :86:166?00GUTSCHRIFT?20EREF+INV-77?21SVWZ+Rechnung 2019-\r\n\
                     77?32ACME GmbH?31DE02120300000000202051\r\n:62F:C200102EUR30,00\r\n-\r\n";
        let file = parse(input.as_bytes()).expect("parses");
        let statement = &file.statements[0];
        assert_eq!(statement.account.bank_id.as_deref(), Some("87052000"));
        assert_eq!(statement.account.number, "123456789");
        let line = &statement.lines[0];
        assert_eq!(line.booking_date, Some(date(2020, 1, 2)));
        assert_eq!(line.value_date, Some(date(2019, 12, 31)));
        assert_eq!(line.end_to_end_id.as_deref(), Some("INV-77"));
        assert_eq!(line.remittance, vec!["Rechnung 2019-77"]);
        assert_eq!(line.payer.name.as_deref(), Some("ACME GmbH"));
        assert_eq!(line.type_code.as_deref(), Some("N166/166"));
        assert_eq!(line.kind, EntryKind::CustomerPayment);
    }

    #[test]
    fn accounts_as_banks_write_them() {
        let account = account_ref(b"1291.99.348EUR");
        assert_eq!(account.number, "1291.99.348");
        let account = account_ref(b"NL84RABO01212121212 EUR");
        assert_eq!(account.number, "NL84RABO01212121212");
        let account = account_ref(b"NL52RABO0326203011");
        assert_eq!(account.iban.as_deref(), Some("NL52RABO0326203011"));
    }
}
