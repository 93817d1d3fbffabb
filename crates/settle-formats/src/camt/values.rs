//! The leaf values of camt: amounts, dates, credit/debit indicators.

use jiff::civil::Date;
use settle_core::money::SignPolicy;
use settle_core::{Currency, Money};

use crate::statement::Direction;

/// Reads an ISO 20022 amount (`ActiveOrHistoricCurrencyAndAmount`: unsigned, dot decimal).
///
/// Trailing zeros past the currency's precision are dropped (`105.750` EUR is exactly 105.75),
/// since that changes nothing; any other extra decimal is refused rather than rounded.
pub(super) fn amount(text: &str, currency: Currency) -> Result<Money, String> {
    let trimmed = text.trim();
    let exact = drop_redundant_zeros(trimmed, currency.exponent());
    Money::parse(exact, currency, SignPolicy::Unsigned).map_err(|error| error.to_string())
}

/// A signed decimal number without currency (`TxsSummry/Sum`, `TtlNetNtry` pieces).
pub(super) fn decimal(text: &str, currency: Currency) -> Result<Money, String> {
    let trimmed = text.trim();
    let exact = drop_redundant_zeros(trimmed, currency.exponent());
    Money::parse(exact, currency, SignPolicy::Signed).map_err(|error| error.to_string())
}

fn drop_redundant_zeros(text: &str, exponent: u8) -> &str {
    let Some((_, fraction)) = text.split_once('.') else {
        return text;
    };
    let mut keep = fraction.len();
    while keep > usize::from(exponent) && fraction.as_bytes().get(keep - 1) == Some(&b'0') {
        keep -= 1;
    }
    let cut = text.len() - (fraction.len() - keep);
    let shortened = text.get(..cut).unwrap_or(text);
    // "100." is not a decimal; "100" is.
    shortened.strip_suffix('.').unwrap_or(shortened)
}

/// An ISO date, or the date part of an ISO date-time (`2014-12-31T13:15:00+01:00`): banks put
/// either where the other is expected, and a booking date is a civil date as the bank wrote it.
pub(super) fn date(text: &str) -> Result<Date, String> {
    let trimmed = text.trim();
    let bad = || format!("{trimmed:?} is not a date (expected YYYY-MM-DD)");
    let head = trimmed.get(..10).ok_or_else(bad)?;
    let rest = trimmed.get(10..).ok_or_else(bad)?;
    if !(rest.is_empty() || rest.starts_with(['T', 'Z', '+', '-'])) {
        return Err(bad());
    }
    let bytes = head.as_bytes();
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> Result<i16, String> {
        let part = head.get(range).ok_or_else(bad)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i16>().map_err(|_| bad())
    };
    let year = number(0..4)?;
    let month = i8::try_from(number(5..7)?).map_err(|_| bad())?;
    let day = i8::try_from(number(8..10)?).map_err(|_| bad())?;
    Date::new(year, month, day).map_err(|_| format!("{trimmed:?} is not a calendar date"))
}

pub(super) fn direction(text: &str) -> Result<Direction, String> {
    match text.trim() {
        "CRDT" => Ok(Direction::Credit),
        "DBIT" => Ok(Direction::Debit),
        other => Err(format!("{other:?} is neither CRDT nor DBIT")),
    }
}

/// `RvslInd`: an XML boolean.
pub(super) fn boolean(text: &str) -> Result<bool, String> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(format!("{other:?} is not true or false")),
    }
}

/// Text as a field value: trimmed, `None` when blank.
pub(super) fn text(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_and_garbage_is_refused() {
        assert_eq!(amount("105.750", Currency::EUR).unwrap().minor(), 10575);
        assert_eq!(amount(" 2700 ", Currency::JPY).unwrap().minor(), 2700);
        assert_eq!(amount("100.000", Currency::EUR).unwrap().minor(), 10000);
        assert_eq!(amount("4.1", Currency::USD).unwrap().minor(), 410);
        for bad in ["12..34", "1,5", "-3.00", "10.001", "", "1e5", "."] {
            assert!(amount(bad, Currency::EUR).is_err(), "{bad}");
        }
        assert_eq!(decimal("-12.50", Currency::EUR).unwrap().minor(), -1250);
    }

    #[test]
    fn dates_accept_date_times_and_refuse_impossible_days() {
        assert_eq!(
            date("2014-12-31T13:15:00+01:00").unwrap(),
            Date::constant(2014, 12, 31)
        );
        assert_eq!(date("2024-03-26").unwrap(), Date::constant(2024, 3, 26));
        assert!(date("2024-02-30").is_err());
        assert!(date("2024-2-3").is_err());
        assert!(date("2024-02-03x").is_err());
    }
}
