//! How core values are written to and read from columns: dates as ISO text, money as integer
//! minor units beside a currency code, enums by their names.

use jiff::civil::Date;
use settle_core::{Currency, Money};

use crate::{StoreResult, parse_column};

pub(crate) fn date_text(date: Date) -> String {
    date.to_string()
}

/// Days since 1970-01-01: the form of a date in the aging's indexes.
pub(crate) fn day_number(date: Date) -> i64 {
    i64::from((date - jiff::civil::date(1970, 1, 1)).get_days())
}

pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}

pub(crate) fn read_date(
    table: &'static str,
    column: &'static str,
    text: &str,
) -> StoreResult<Date> {
    parse_column(table, column, text)
}

pub(crate) fn read_currency(table: &'static str, text: &str) -> StoreResult<Currency> {
    parse_column(table, "currency", text)
}

pub(crate) fn money(minor: i64, currency: Currency) -> Money {
    Money::new(minor, currency)
}
