//! Bank CSV exports, read through a column map the user writes once per bank.
//!
//! Every bank's CSV differs, so nothing is guessed: a [`ColumnMap`] names the columns and the
//! conventions. It is written as plain `key = value` lines: `#` starts a comment line, and ` # `
//! a comment after a value (`#N` without the blank names the N-th column).
//!
//! ```text
//! # Example: a German bank's export
//! delimiter = ;              # one character, or `tab`
//! header = yes               # the first row (after skip_rows) names the columns
//! skip_rows = 0              # rows before the header (or before the data)
//! date = Buchungstag         # a header name, or #N for the N-th column (from 1)
//! date_format = %d.%m.%Y     # strftime-style: %Y-%m-%d, %d.%m.%Y, %m/%d/%Y, %d/%m/%y …
//! value_date = Valuta
//! amount = Betrag            # one signed column …
//! # credit = Haben           # … or a credit and a debit column instead
//! # debit = Soll
//! decimal = comma            # comma or dot
//! thousands = .              # `.`, `,`, `'`, `space` or `none`
//! sign = negative_is_debit   # or negative_is_credit (card exports)
//! # direction = S/H          # a column that marks credits and debits …
//! # credit_marker = H        # … with these values
//! # debit_marker = S
//! currency = EUR             # a fixed currency, or
//! # currency_column = Währung
//! account = DE02120300000000202051
//! bank_reference = Referenz
//! customer_reference = Kundenreferenz
//! end_to_end_id = EREF
//! payer_name = Auftraggeber
//! payer_account = IBAN
//! payer_bank = BIC
//! type_code = Buchungstext
//! remittance = Verwendungszweck, Info   # several columns, joined in this order
//! ```
//!
//! Errors in the map name its line and key; errors in the file name the CSV line and column.

use jiff::civil::Date;
use settle_core::money::SignPolicy;
use settle_core::{Currency, Money};

use crate::error::{FormatError, Location};
use crate::statement::{
    AccountRef, BankFile, Direction, EntryKind, Format, Statement, StatementLine,
};
use crate::text;

/// A column: by its header name, or by its position (0-based here, `#1` in the map text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Name(String),
    Index(usize),
}

impl Column {
    fn parse(value: &str) -> Option<Column> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        match value.strip_prefix('#').map(str::parse::<usize>) {
            Some(Ok(position)) if position > 0 => Some(Column::Index(position - 1)),
            _ => Some(Column::Name(value.to_string())),
        }
    }

    fn label(&self) -> String {
        match self {
            Column::Name(name) => name.clone(),
            Column::Index(index) => format!("#{}", index + 1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignConvention {
    /// Bank statements: money out is negative.
    NegativeIsDebit,
    /// Some card and ledger exports: charges are positive, payments negative.
    NegativeIsCredit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountColumns {
    Signed(Column),
    Split { credit: Column, debit: Column },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrencySource {
    Fixed(Currency),
    Column(Column),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectionColumn {
    pub column: Column,
    pub credit_marker: String,
    pub debit_marker: String,
}

/// Which column holds what, and how the bank writes numbers and dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub delimiter: u8,
    pub header: bool,
    pub skip_rows: usize,
    pub decimal_comma: bool,
    pub thousands: Option<u8>,
    pub date_format: String,
    pub date: Column,
    pub value_date: Option<Column>,
    pub amount: AmountColumns,
    pub sign: SignConvention,
    pub direction: Option<DirectionColumn>,
    pub currency: CurrencySource,
    pub account: Option<String>,
    pub bank_reference: Option<Column>,
    pub customer_reference: Option<Column>,
    pub end_to_end_id: Option<Column>,
    pub payer_name: Option<Column>,
    pub payer_account: Option<Column>,
    pub payer_bank: Option<Column>,
    pub type_code: Option<Column>,
    pub remittance: Vec<Column>,
}

impl ColumnMap {
    /// Reads the `key = value` text described in the module documentation.
    pub fn parse(text: &str) -> Result<ColumnMap, FormatError> {
        let mut entries: Vec<(usize, String, String)> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            // `#N` names a column, so a comment is `#` at the start of a line or ` # ` after a value.
            let content = raw.split_once(" # ").map_or(raw, |(before, _)| before);
            let content = content.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let Some((key, value)) = content.split_once('=') else {
                return Err(map_error(line, "line", "expected `key = value`"));
            };
            let key = key.trim().to_ascii_lowercase();
            if entries.iter().any(|(_, known, _)| *known == key) {
                return Err(map_error(line, &key, "given twice"));
            }
            entries.push((line, key, value.trim().to_string()));
        }
        let take = |key: &str| {
            entries
                .iter()
                .find(|(_, known, _)| known == key)
                .map(|(line, _, value)| (*line, value.clone()))
        };
        let column = |key: &str| -> Result<Option<Column>, FormatError> {
            match take(key) {
                None => Ok(None),
                Some((line, value)) => Column::parse(&value)
                    .map(Some)
                    .ok_or_else(|| map_error(line, key, "names no column")),
            }
        };
        const KNOWN: &[&str] = &[
            "delimiter",
            "header",
            "skip_rows",
            "decimal",
            "thousands",
            "date_format",
            "date",
            "value_date",
            "amount",
            "credit",
            "debit",
            "sign",
            "direction",
            "credit_marker",
            "debit_marker",
            "currency",
            "currency_column",
            "account",
            "bank_reference",
            "customer_reference",
            "end_to_end_id",
            "payer_name",
            "payer_account",
            "payer_bank",
            "type_code",
            "remittance",
        ];
        if let Some((line, key, _)) = entries
            .iter()
            .find(|(_, key, _)| !KNOWN.contains(&key.as_str()))
        {
            return Err(map_error(*line, key, "not a column map key"));
        }

        let delimiter = match take("delimiter") {
            None => b',',
            Some((_, value)) if value.eq_ignore_ascii_case("tab") => b'\t',
            Some((line, value)) => match value.as_bytes() {
                [single] if single.is_ascii() => *single,
                _ => {
                    return Err(map_error(
                        line,
                        "delimiter",
                        "one ASCII character, or `tab`",
                    ));
                }
            },
        };
        let header = match take("header") {
            None => true,
            Some((line, value)) => {
                yes_no(&value).ok_or_else(|| map_error(line, "header", "expected yes or no"))?
            }
        };
        let skip_rows = match take("skip_rows") {
            None => 0,
            Some((line, value)) => value
                .parse()
                .map_err(|_| map_error(line, "skip_rows", "expected a number"))?,
        };
        let decimal_comma = match take("decimal") {
            None => false,
            Some((_, value)) if value == "comma" || value == "," => true,
            Some((_, value)) if value == "dot" || value == "." => false,
            Some((line, _)) => return Err(map_error(line, "decimal", "expected comma or dot")),
        };
        let thousands = match take("thousands") {
            None => None,
            Some((_, value)) if value == "none" => None,
            Some((_, value)) if value == "space" => Some(b' '),
            Some((line, value)) => match value.as_bytes() {
                [b'.' | b',' | b'\'' | b' '] => value.as_bytes().first().copied(),
                _ => return Err(map_error(line, "thousands", "expected . , ' space or none")),
            },
        };
        if thousands == Some(if decimal_comma { b',' } else { b'.' }) {
            return Err(map_error(
                take("thousands").map_or(0, |(line, _)| line),
                "thousands",
                "is the decimal mark too",
            ));
        }
        let date_format = take("date_format").map_or_else(|| "%Y-%m-%d".to_string(), |(_, v)| v);
        let date = column("date")?
            .ok_or_else(|| map_error(0, "date", "the map must name the date column"))?;
        let amount = match (column("amount")?, column("credit")?, column("debit")?) {
            (Some(amount), None, None) => AmountColumns::Signed(amount),
            (None, Some(credit), Some(debit)) => AmountColumns::Split { credit, debit },
            _ => {
                return Err(map_error(
                    0,
                    "amount",
                    "name either `amount`, or both `credit` and `debit`",
                ));
            }
        };
        let sign = match take("sign") {
            None => SignConvention::NegativeIsDebit,
            Some((_, value)) if value == "negative_is_debit" => SignConvention::NegativeIsDebit,
            Some((_, value)) if value == "negative_is_credit" => SignConvention::NegativeIsCredit,
            Some((line, _)) => {
                return Err(map_error(
                    line,
                    "sign",
                    "expected negative_is_debit or negative_is_credit",
                ));
            }
        };
        let direction = match column("direction")? {
            None => None,
            Some(column) => {
                let marker = |key: &str| {
                    take(key)
                        .map(|(_, value)| value)
                        .filter(|value| !value.is_empty())
                        .ok_or_else(|| map_error(0, key, "needed with `direction`"))
                };
                Some(DirectionColumn {
                    column,
                    credit_marker: marker("credit_marker")?,
                    debit_marker: marker("debit_marker")?,
                })
            }
        };
        let currency = match (take("currency"), column("currency_column")?) {
            (Some((line, code)), None) => CurrencySource::Fixed(
                Currency::from_code(&code)
                    .map_err(|error| map_error(line, "currency", error.to_string()))?,
            ),
            (None, Some(column)) => CurrencySource::Column(column),
            _ => {
                return Err(map_error(
                    0,
                    "currency",
                    "name either a fixed `currency` or a `currency_column`",
                ));
            }
        };
        let remittance = match take("remittance") {
            None => Vec::new(),
            Some((_, value)) => value.split(',').filter_map(Column::parse).collect(),
        };
        let map = ColumnMap {
            delimiter,
            header,
            skip_rows,
            decimal_comma,
            thousands,
            date_format,
            date,
            value_date: column("value_date")?,
            amount,
            sign,
            direction,
            currency,
            account: take("account")
                .map(|(_, value)| value)
                .filter(|v| !v.is_empty()),
            bank_reference: column("bank_reference")?,
            customer_reference: column("customer_reference")?,
            end_to_end_id: column("end_to_end_id")?,
            payer_name: column("payer_name")?,
            payer_account: column("payer_account")?,
            payer_bank: column("payer_bank")?,
            type_code: column("type_code")?,
            remittance,
        };
        if !map.header
            && map
                .columns()
                .any(|column| matches!(column, Column::Name(_)))
        {
            return Err(map_error(
                0,
                "header",
                "columns are named but the file has no header row: use #N",
            ));
        }
        Ok(map)
    }

    fn columns(&self) -> impl Iterator<Item = &Column> {
        let amount: Vec<&Column> = match &self.amount {
            AmountColumns::Signed(column) => vec![column],
            AmountColumns::Split { credit, debit } => vec![credit, debit],
        };
        std::iter::once(&self.date)
            .chain(self.value_date.as_ref())
            .chain(amount)
            .chain(self.direction.as_ref().map(|d| &d.column))
            .chain(match &self.currency {
                CurrencySource::Column(column) => Some(column),
                CurrencySource::Fixed(_) => None,
            })
            .chain(self.bank_reference.as_ref())
            .chain(self.customer_reference.as_ref())
            .chain(self.end_to_end_id.as_ref())
            .chain(self.payer_name.as_ref())
            .chain(self.payer_account.as_ref())
            .chain(self.payer_bank.as_ref())
            .chain(self.type_code.as_ref())
            .chain(self.remittance.iter())
    }
}

fn yes_no(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

fn map_error(line: usize, key: &str, message: impl Into<String>) -> FormatError {
    let location = if line == 0 {
        Location::File
    } else {
        Location::Line(line)
    };
    FormatError::new(location, format!("column map {key}"), message)
}

/// A column map resolved against the header: positions for every column.
struct Resolved<'m> {
    map: &'m ColumnMap,
    names: Vec<String>,
}

impl Resolved<'_> {
    fn index(&self, column: &Column, line: usize) -> Result<usize, FormatError> {
        match column {
            Column::Index(index) => Ok(*index),
            Column::Name(name) => self
                .names
                .iter()
                .position(|header| header == name)
                .ok_or_else(|| {
                    FormatError::new(
                        Location::Line(line),
                        format!("column {name}"),
                        "the header row has no such column",
                    )
                }),
        }
    }
}

/// One CSV row with its line, for errors that name both.
struct Row<'r> {
    record: &'r ::csv::ByteRecord,
    line: usize,
    resolved: &'r Resolved<'r>,
}

impl Row<'_> {
    fn raw(&self, column: &Column) -> Result<&[u8], FormatError> {
        let index = self.resolved.index(column, self.line)?;
        Ok(text::trim(self.record.get(index).unwrap_or_default()))
    }

    fn optional(&self, column: Option<&Column>) -> Result<Option<String>, FormatError> {
        column
            .map(|column| self.raw(column).map(text::non_empty))
            .transpose()
            .map(Option::flatten)
    }

    fn error(&self, column: &Column, message: impl Into<String>) -> FormatError {
        FormatError::new(
            Location::Line(self.line),
            format!("column {}", column.label()),
            message,
        )
    }
}

/// Reads a bank CSV with the bank's column map: one statement per currency, in the order the
/// currencies first appear.
pub fn parse_csv(bytes: &[u8], map: &ColumnMap) -> Result<BankFile, FormatError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(map.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text::strip_bom(bytes));
    let mut resolved = Resolved {
        map,
        names: Vec::new(),
    };
    let mut statements: Vec<Statement> = Vec::new();
    let mut record = ::csv::ByteRecord::new();
    let mut row_number = 0usize;
    loop {
        let line = usize::try_from(reader.position().line()).unwrap_or(usize::MAX);
        let more = reader.read_byte_record(&mut record).map_err(|error| {
            let line = error
                .position()
                .and_then(|p| usize::try_from(p.line()).ok())
                .unwrap_or(line);
            FormatError::new(Location::Line(line), "row", error.to_string())
        })?;
        if !more {
            break;
        }
        let line = record
            .position()
            .and_then(|p| usize::try_from(p.line()).ok())
            .unwrap_or(line);
        row_number += 1;
        if row_number <= map.skip_rows {
            continue;
        }
        if record.iter().all(|field| text::trim(field).is_empty()) {
            continue;
        }
        if map.header && resolved.names.is_empty() {
            resolved.names = record
                .iter()
                .map(|field| text::decode(text::trim(field)))
                .collect();
            for column in map.columns() {
                resolved.index(column, line)?;
            }
            continue;
        }
        let row = Row {
            record: &record,
            line,
            resolved: &resolved,
        };
        let statement_line = read_row(&row)?;
        let currency = statement_line.amount.currency();
        match statements.iter_mut().find(|s| s.currency == currency) {
            Some(statement) => statement.lines.push(statement_line),
            None => statements.push(Statement {
                account: AccountRef {
                    number: resolved.map.account.clone().unwrap_or_default(),
                    ..AccountRef::default()
                },
                currency,
                statement_id: None,
                from_date: None,
                to_date: None,
                opening_balance: None,
                closing_balance: None,
                total_credits: None,
                total_debits: None,
                lines: vec![statement_line],
                location: Location::Line(line),
            }),
        }
    }
    for statement in &mut statements {
        statement.from_date = statement.lines.iter().filter_map(|l| l.booking_date).min();
        statement.to_date = statement.lines.iter().filter_map(|l| l.booking_date).max();
    }
    if statements.is_empty() {
        return Err(FormatError::new(Location::File, "row", "no data rows"));
    }
    Ok(BankFile {
        format: Format::Csv,
        version: None,
        file_id: None,
        created: None,
        statements,
        warnings: Vec::new(),
    })
}

fn read_row(row: &Row<'_>) -> Result<StatementLine, FormatError> {
    let map = row.resolved.map;
    let currency = match &map.currency {
        CurrencySource::Fixed(currency) => *currency,
        CurrencySource::Column(column) => {
            let code = row.raw(column)?;
            std::str::from_utf8(code)
                .ok()
                .and_then(|code| Currency::from_code(code).ok())
                .ok_or_else(|| {
                    row.error(
                        column,
                        format!("{:?} is not a known currency", text::excerpt(code)),
                    )
                })?
        }
    };
    let (minor, direction) = match &map.amount {
        AmountColumns::Signed(column) => {
            let minor =
                amount(row, column, currency)?.ok_or_else(|| row.error(column, "no amount"))?;
            let negative_direction = match map.sign {
                SignConvention::NegativeIsDebit => Direction::Debit,
                SignConvention::NegativeIsCredit => Direction::Credit,
            };
            let direction = if minor < 0 {
                negative_direction
            } else {
                opposite(negative_direction)
            };
            (minor, direction)
        }
        AmountColumns::Split { credit, debit } => {
            match (
                amount(row, credit, currency)?,
                amount(row, debit, currency)?,
            ) {
                (Some(value), None) | (Some(value), Some(0)) => (value, Direction::Credit),
                (None | Some(0), Some(value)) => (value, Direction::Debit),
                (Some(_), Some(_)) => {
                    return Err(row.error(
                        credit,
                        "both the credit and the debit column hold an amount",
                    ));
                }
                (None, None) => {
                    return Err(row.error(credit, "neither credit nor debit holds an amount"));
                }
            }
        }
    };
    let minor = minor
        .checked_abs()
        .ok_or_else(|| row.error(&map.date, "amount out of range"))?;
    let direction = match &map.direction {
        None => direction,
        Some(marks) => {
            let mark = text::decode(row.raw(&marks.column)?);
            if mark.eq_ignore_ascii_case(&marks.credit_marker) {
                Direction::Credit
            } else if mark.eq_ignore_ascii_case(&marks.debit_marker) {
                Direction::Debit
            } else {
                return Err(row.error(
                    &marks.column,
                    format!(
                        "{mark:?} is neither {:?} nor {:?}",
                        marks.credit_marker, marks.debit_marker
                    ),
                ));
            }
        }
    };
    let kind = match direction {
        Direction::Credit => EntryKind::CustomerPayment,
        Direction::Debit => EntryKind::Disbursement,
    };
    let mut line = StatementLine::new(
        Money::new(minor, currency),
        direction,
        kind,
        Location::Line(row.line),
    );
    line.booking_date = Some(date(row, &map.date, &map.date_format)?);
    line.value_date = match &map.value_date {
        Some(column) if !row.raw(column)?.is_empty() => Some(date(row, column, &map.date_format)?),
        _ => line.booking_date,
    };
    line.bank_reference = row.optional(map.bank_reference.as_ref())?;
    line.customer_reference = row.optional(map.customer_reference.as_ref())?;
    line.end_to_end_id = row.optional(map.end_to_end_id.as_ref())?;
    line.type_code = row.optional(map.type_code.as_ref())?;
    line.payer.name = row.optional(map.payer_name.as_ref())?;
    line.payer.account = row.optional(map.payer_account.as_ref())?;
    line.payer.bank_id = row.optional(map.payer_bank.as_ref())?;
    for column in &map.remittance {
        if let Some(text) = row.optional(Some(column))? {
            line.remittance.push(text);
        }
    }
    Ok(line)
}

fn opposite(direction: Direction) -> Direction {
    match direction {
        Direction::Credit => Direction::Debit,
        Direction::Debit => Direction::Credit,
    }
}

fn date(row: &Row<'_>, column: &Column, format: &str) -> Result<Date, FormatError> {
    let raw = row.raw(column)?;
    let value = std::str::from_utf8(raw).unwrap_or_default();
    Date::strptime(format, value).map_err(|_| {
        row.error(
            column,
            format!(
                "{:?} is not a date in the form {format}",
                text::excerpt(raw)
            ),
        )
    })
}

/// An amount as the map says the bank writes it, in minor units; `None` when the cell is empty.
/// Accepts a leading or trailing sign and parentheses for negatives.
fn amount(row: &Row<'_>, column: &Column, currency: Currency) -> Result<Option<i64>, FormatError> {
    let map = row.resolved.map;
    let raw = row.raw(column)?;
    if raw.is_empty() {
        return Ok(None);
    }
    let mut negative = false;
    let mut body = raw;
    if let Some(inner) = body.strip_prefix(b"(").and_then(|b| b.strip_suffix(b")")) {
        negative = true;
        body = inner;
    }
    if let Some(rest) = body.strip_suffix(b"-") {
        negative = !negative;
        body = rest;
    }
    let mut normalized = String::with_capacity(body.len() + 1);
    for &byte in text::trim(body) {
        match byte {
            b if Some(b) == map.thousands => {}
            b',' if map.decimal_comma => normalized.push('.'),
            b'.' if map.decimal_comma => {
                return Err(row.error(
                    column,
                    format!(
                        "{:?} has a dot but the map says decimal comma",
                        text::excerpt(raw)
                    ),
                ));
            }
            b if b.is_ascii() => normalized.push(char::from(b)),
            _ => {
                return Err(row.error(column, format!("{:?} is not an amount", text::excerpt(raw))));
            }
        }
    }
    let money = Money::parse(&normalized, currency, SignPolicy::Signed)
        .map_err(|error| row.error(column, error.to_string()))?;
    let minor = money.minor();
    Ok(Some(if negative {
        minor
            .checked_neg()
            .ok_or_else(|| row.error(column, "out of range"))?
    } else {
        minor
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GERMAN_MAP: &str = "\
        delimiter = ;\n\
        date = Buchungstag\n\
        date_format = %d.%m.%Y\n\
        amount = Betrag\n\
        decimal = comma\n\
        thousands = .\n\
        currency = EUR\n\
        payer_name = Auftraggeber\n\
        remittance = Verwendungszweck, Info\n";

    #[test]
    fn german_export_with_decimal_comma() {
        let map = ColumnMap::parse(GERMAN_MAP).unwrap();
        let csv = "Buchungstag;Auftraggeber;Verwendungszweck;Info;Betrag\n\
                   02.01.2024;ACME GmbH;RE 1001;;1.234,50\n\
                   03.01.2024;Bank;Gebühr;Jan;-2,00\n";
        let file = parse_csv(csv.as_bytes(), &map).unwrap();
        let lines = &file.statements[0].lines;
        assert_eq!(lines[0].amount, Money::new(123450, Currency::EUR));
        assert_eq!(lines[0].direction, Direction::Credit);
        assert_eq!(lines[0].payer.name.as_deref(), Some("ACME GmbH"));
        assert_eq!(lines[0].remittance, vec!["RE 1001"]);
        assert_eq!(lines[1].direction, Direction::Debit);
        assert_eq!(lines[1].amount.minor(), 200);
        assert_eq!(lines[1].remittance, vec!["Gebühr", "Jan"]);
        assert_eq!(lines[1].booking_date, Some(jiff::civil::date(2024, 1, 3)));
    }

    #[test]
    fn split_columns_without_header_and_us_dates() {
        let map = ColumnMap::parse(
            "header = no\ndate = #1\ndate_format = %m/%d/%Y\ncredit = #2\ndebit = #3\ncurrency = USD\nbank_reference = #4\n",
        )
        .unwrap();
        let file = parse_csv(b"01/31/2024,10.00,,REF1\n02/01/2024,,3.5,REF2\n", &map).unwrap();
        let lines = &file.statements[0].lines;
        assert_eq!(lines[0].direction, Direction::Credit);
        assert_eq!(lines[1].direction, Direction::Debit);
        assert_eq!(lines[1].amount.minor(), 350);
        assert_eq!(lines[1].bank_reference.as_deref(), Some("REF2"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let map = ColumnMap::parse(GERMAN_MAP).unwrap();
        let csv = "Buchungstag;Auftraggeber;Verwendungszweck;Info;Betrag\n02.01.2024;A;B;C;1,2,3\n";
        let error = parse_csv(csv.as_bytes(), &map).unwrap_err();
        assert_eq!(error.location, Location::Line(2));
        assert_eq!(error.field, "column Betrag");
        let csv = "Buchungstag;Auftraggeber;Verwendungszweck;Info;Betrag\n31.02.2024;A;B;C;1,00\n";
        let error = parse_csv(csv.as_bytes(), &map).unwrap_err();
        assert_eq!(
            (error.location, error.field.as_str()),
            (Location::Line(2), "column Buchungstag")
        );
        let csv = "Datum;Betrag\n";
        let error = parse_csv(csv.as_bytes(), &map).unwrap_err();
        assert_eq!(error.location, Location::Line(1));
    }

    #[test]
    fn map_errors_name_their_line() {
        let error = ColumnMap::parse("date = D\namount = A\ncurrency = EUR\nsign = sideways\n")
            .unwrap_err();
        assert_eq!(error.location, Location::Line(4));
        assert_eq!(error.field, "column map sign");
        let error = ColumnMap::parse("date = D\namount = A\ncurrency = XXX\n").unwrap_err();
        assert_eq!(error.location, Location::Line(3));
        let error =
            ColumnMap::parse("header = no\ndate = D\namount = #2\ncurrency = EUR\n").unwrap_err();
        assert_eq!(error.field, "column map header");
        assert!(ColumnMap::parse("bogus = 1").is_err());
    }
}
