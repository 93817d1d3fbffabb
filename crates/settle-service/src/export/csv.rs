//! A table as CSV: a header of column names, then each row with exact text — money as the
//! decimal string of its currency's precision (`1234.50`, `1200` for JPY), dates as
//! `yyyy-mm-dd`, instants as RFC 3339 in UTC, decimals and percentages rounded to the column's
//! places.

use super::TableWriteError;
use super::table::{ColumnKind, Table, Value};

pub fn write_csv(table: &Table) -> Result<Vec<u8>, TableWriteError> {
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(table.columns().iter().map(|c| c.name.as_str()))?;
    for row in table.rows() {
        out.write_record(
            row.iter()
                .zip(table.columns())
                .map(|(value, column)| cell_text(value, column.kind)),
        )?;
    }
    out.flush().map_err(::csv::Error::from)?;
    Ok(out
        .into_inner()
        .expect("flushed into a Vec, which cannot fail"))
}

/// The text of one cell, as the CSV holds it.
pub fn cell_text(value: &Value, kind: ColumnKind) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(text) => text.clone(),
        Value::Integer(number) => number.to_string(),
        Value::Money(money) => money.to_decimal_string(),
        Value::Date(date) => date.to_string(),
        Value::DateTime(at) => at.to_string(),
        Value::Number(number) => {
            let places = usize::from(places(kind));
            format!("{:.places$}", round_to(*number, places))
        }
    }
}

/// Decimals shown for a number in a column of this kind.
pub fn places(kind: ColumnKind) -> u8 {
    match kind {
        ColumnKind::Decimal { places } => places,
        _ => 2,
    }
}

/// Rounded half away from zero at `places` decimals, so that the CSV and the workbook agree.
pub fn round_to(value: f64, places: usize) -> f64 {
    let scale = 10f64.powi(places as i32);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::table::Column;
    use settle_core::{Currency, Money};

    #[test]
    fn cells_are_exact_text_in_their_columns_precision() {
        let mut table = Table::new(
            "sample",
            vec![
                Column::new("name", ColumnKind::Text),
                Column::new("amount", ColumnKind::Money),
                Column::new("on", ColumnKind::Date),
                Column::new("days", ColumnKind::Decimal { places: 2 }),
                Column::new("share", ColumnKind::Percent),
                Column::new("score", ColumnKind::Decimal { places: 1 }),
            ],
        );
        table.push(vec![
            Value::text("Acme, \"Inc.\""),
            Value::Money(Money::new(123_450, Currency::USD)),
            Value::Date(jiff::civil::date(2026, 7, 1)),
            Value::Number(52.395),
            Value::Number(55.934_9),
            Value::Number(77.65),
        ]);
        table.push(vec![
            Value::Empty,
            Value::Money(Money::new(-1200, Currency::JPY)),
            Value::Empty,
            Value::number(None),
            Value::Number(0.0),
            Value::Number(-3.0),
        ]);
        let text = String::from_utf8(write_csv(&table).unwrap()).unwrap();
        assert_eq!(
            text,
            "name,amount,on,days,share,score\n\
             \"Acme, \"\"Inc.\"\"\",1234.50,2026-07-01,52.40,55.93,77.7\n\
             ,-1200,,,0.00,-3.0\n"
        );
    }

    #[test]
    #[should_panic(expected = "cannot hold")]
    fn money_never_goes_into_a_text_column() {
        let mut table = Table::new("sample", vec![Column::new("name", ColumnKind::Text)]);
        table.push(vec![Value::Money(Money::new(1, Currency::USD))]);
    }
}
