//! A table as an XLSX workbook of one sheet: the header in row 1, bold, frozen and with an
//! autofilter over every column; column widths from the longest text in each column.
//!
//! Cells keep their types, so a spreadsheet computes with them: money is a number (minor
//! units ÷ 10^exponent, turned into an `f64` only here, for the cell) with a number format of
//! its currency's decimals (`#,##0.00`, `#,##0` for JPY, `#,##0.000` for KWD); dates are date
//! cells formatted `yyyy-mm-dd`; instants are UTC date-times; percentages are fractions
//! formatted `0.00%`. Text is never used for a number. The bytes come back in memory: the
//! caller writes the file.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use settle_core::Money;

use super::TableWriteError;
use super::csv::{cell_text, places, round_to};
use super::table::{ColumnKind, Table, Value};

/// Rows an XLSX sheet holds, the header included.
const MAX_SHEET_ROWS: usize = 1_048_576;
/// Column widths in characters: never narrower, never wider.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

pub fn write_xlsx(table: &Table) -> Result<Vec<u8>, TableWriteError> {
    let sheet = table.name().to_string();
    let rows = table.rows().len();
    if rows >= MAX_SHEET_ROWS {
        return Err(TableWriteError::TooManyRows {
            sheet,
            rows,
            max: MAX_SHEET_ROWS - 1,
        });
    }
    let whole = |source| TableWriteError::Xlsx {
        sheet: sheet.clone(),
        source,
    };
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(table.name()).map_err(whole)?;
    let mut formats = Formats::default();
    write_header(worksheet, table).map_err(whole)?;
    for (index, row) in table.rows().iter().enumerate() {
        let row_number = sheet_row(index + 1);
        for (column_index, (value, column)) in row.iter().zip(table.columns()).enumerate() {
            write_cell(
                worksheet,
                row_number,
                sheet_column(column_index),
                value,
                column.kind,
                &mut formats,
            )
            .map_err(|source| TableWriteError::XlsxCell {
                sheet: sheet.clone(),
                row: index + 2,
                column: column.name.clone(),
                source,
            })?;
        }
    }
    let last_column = sheet_column(table.columns().len().saturating_sub(1));
    worksheet.set_freeze_panes(1, 0).map_err(whole)?;
    worksheet
        .autofilter(0, 0, sheet_row(rows), last_column)
        .map_err(whole)?;
    for (index, width) in column_widths(table).into_iter().enumerate() {
        worksheet
            .set_column_width(sheet_column(index), width as f64)
            .map_err(whole)?;
    }
    workbook.save_to_buffer().map_err(whole)
}

fn sheet_row(index: usize) -> u32 {
    u32::try_from(index).expect("rows are checked against the sheet's limit")
}

fn sheet_column(index: usize) -> u16 {
    u16::try_from(index).expect("reports have a few dozen columns")
}

fn write_header(worksheet: &mut Worksheet, table: &Table) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (index, column) in table.columns().iter().enumerate() {
        worksheet.write_string_with_format(0, sheet_column(index), &column.name, &bold)?;
    }
    Ok(())
}

fn write_cell(
    worksheet: &mut Worksheet,
    row: u32,
    column: u16,
    value: &Value,
    kind: ColumnKind,
    formats: &mut Formats,
) -> Result<(), XlsxError> {
    match value {
        Value::Empty => {}
        Value::Text(text) => {
            worksheet.write_string(row, column, text)?;
        }
        Value::Integer(number) => {
            // Integers beyond 2^53 lose digits as spreadsheet numbers; ids and counts stay far below.
            worksheet.write_number_with_format(row, column, *number as f64, &formats.integer)?;
        }
        Value::Money(money) => {
            let format = formats.money(money.currency().exponent());
            worksheet.write_number_with_format(row, column, major_units(*money), format)?;
        }
        Value::Date(date) => {
            worksheet.write_datetime_with_format(row, column, excel_date(*date)?, &formats.date)?;
        }
        Value::DateTime(at) => {
            worksheet.write_datetime_with_format(
                row,
                column,
                excel_date_time(*at)?,
                &formats.date_time,
            )?;
        }
        Value::Number(number) => {
            let places = places(kind);
            let (cell, format) = match kind {
                // Given in percent; a spreadsheet's percentage is a fraction.
                ColumnKind::Percent => (
                    round_to(*number, usize::from(places)) / 100.0,
                    formats.percent(places),
                ),
                _ => (
                    round_to(*number, usize::from(places)),
                    formats.decimal(places),
                ),
            };
            worksheet.write_number_with_format(row, column, cell, format)?;
        }
    }
    Ok(())
}

/// Minor units ÷ 10^exponent: exact integers divided once, so the cell holds the double
/// nearest to the decimal amount.
fn major_units(money: Money) -> f64 {
    money.minor() as f64 / money.currency().minor_per_major() as f64
}

fn excel_date(date: Date) -> Result<ExcelDateTime, XlsxError> {
    let year =
        u16::try_from(date.year()).map_err(|_| XlsxError::DateTimeRangeError(date.to_string()))?;
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8)
}

fn excel_date_time(at: Timestamp) -> Result<ExcelDateTime, XlsxError> {
    let utc = at.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let date = excel_date(utc.date())?;
    date.and_hms(
        utc.hour() as u16,
        utc.minute() as u8,
        f64::from(utc.second()),
    )
}

/// Width of each column in characters: its longest cell as shown, within bounds.
fn column_widths(table: &Table) -> Vec<usize> {
    table
        .columns()
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let longest = table
                .rows()
                .iter()
                .map(|row| shown_length(&row[index], column.kind))
                .max()
                .unwrap_or(0);
            longest
                .max(column.name.chars().count() + 2)
                .clamp(MIN_WIDTH, MAX_WIDTH)
                + 1
        })
        .collect()
}

fn shown_length(value: &Value, kind: ColumnKind) -> usize {
    match value {
        Value::Date(_) => 10,
        Value::DateTime(_) => 19,
        Value::Money(money) => {
            let text = money.to_decimal_string();
            // Thousands separators: one per three digits of the whole part.
            let whole = text
                .split('.')
                .next()
                .unwrap_or("")
                .trim_start_matches('-')
                .len();
            text.chars().count() + whole.saturating_sub(1) / 3
        }
        Value::Number(_) if kind == ColumnKind::Percent => cell_text(value, kind).len() + 1,
        _ => cell_text(value, kind).chars().count(),
    }
}

/// Number formats, made once per workbook and shared by the cells.
struct Formats {
    integer: Format,
    date: Format,
    date_time: Format,
    money: HashMap<u8, Format>,
    decimal: HashMap<u8, Format>,
    percent: HashMap<u8, Format>,
}

impl Default for Formats {
    fn default() -> Formats {
        Formats {
            integer: Format::new().set_num_format("0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            date_time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            money: HashMap::new(),
            decimal: HashMap::new(),
            percent: HashMap::new(),
        }
    }
}

impl Formats {
    /// `#,##0.00` for a currency of two decimals, `#,##0` for none.
    fn money(&mut self, exponent: u8) -> &Format {
        self.money
            .entry(exponent)
            .or_insert_with(|| Format::new().set_num_format(format!("#,##0{}", decimals(exponent))))
    }

    fn decimal(&mut self, places: u8) -> &Format {
        self.decimal
            .entry(places)
            .or_insert_with(|| Format::new().set_num_format(format!("0{}", decimals(places))))
    }

    fn percent(&mut self, places: u8) -> &Format {
        self.percent
            .entry(places)
            .or_insert_with(|| Format::new().set_num_format(format!("0{}%", decimals(places))))
    }
}

/// `.00` for two places, nothing for none.
fn decimals(places: u8) -> String {
    if places == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(usize::from(places)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_core::Currency;

    #[test]
    fn money_becomes_the_nearest_double_of_its_decimal() {
        assert_eq!(major_units(Money::new(123_456, Currency::USD)), 1234.56);
        assert_eq!(major_units(Money::new(-5, Currency::USD)), -0.05);
        assert_eq!(major_units(Money::new(1200, Currency::JPY)), 1200.0);
        assert_eq!(major_units(Money::new(1250, Currency::KWD)), 1.25);
    }

    #[test]
    fn number_formats_have_the_currency_decimals() {
        assert_eq!(decimals(2), ".00");
        assert_eq!(decimals(0), "");
        assert_eq!(decimals(3), ".000");
    }
}
