//! The syntax of single MT940/MT942 tags: balances, `:61:` statement lines, amounts.
//!
//! These read byte slices and return the parts, with the field name and a message when a part
//! is wrong; the message builder turns them into model values once the currency is known.

use settle_core::Currency;

use crate::text;

/// Which part of a tag was wrong, and how.
pub(crate) type FieldError = (&'static str, String);

/// A decimal amount as SWIFT writes it: digits, a comma, optional decimals (`1234,5`, `10,`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Amount<'a> {
    integer: &'a [u8],
    fraction: &'a [u8],
}

impl<'a> Amount<'a> {
    /// Reads an amount at the start of `bytes`; returns it and the rest.
    fn read(bytes: &'a [u8]) -> Option<(Amount<'a>, &'a [u8])> {
        let integer_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if integer_len == 0 || bytes.get(integer_len) != Some(&b',') {
            return None;
        }
        let after_comma = bytes.get(integer_len + 1..).unwrap_or_default();
        let fraction_len = after_comma
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        Some((
            Amount {
                integer: bytes.get(..integer_len).unwrap_or_default(),
                fraction: after_comma.get(..fraction_len).unwrap_or_default(),
            },
            after_comma.get(fraction_len..).unwrap_or_default(),
        ))
    }

    /// Whole units without a comma, followed by a letter (a `:61:` transaction type).
    fn read_whole(bytes: &'a [u8]) -> Option<(Amount<'a>, &'a [u8])> {
        let integer_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let rest = bytes.get(integer_len..).unwrap_or_default();
        (integer_len > 0 && rest.first().is_some_and(u8::is_ascii_alphabetic)).then(|| {
            (
                Amount {
                    integer: bytes.get(..integer_len).unwrap_or_default(),
                    fraction: &[],
                },
                rest,
            )
        })
    }

    /// Minor units of `currency`. Decimals beyond the currency's exponent must be zeros.
    pub(crate) fn to_minor(self, currency: Currency) -> Result<i64, String> {
        let exponent = usize::from(currency.exponent());
        let kept = self.fraction.get(..exponent).unwrap_or(self.fraction);
        let dropped = self.fraction.get(exponent..).unwrap_or_default();
        if dropped.iter().any(|&b| b != b'0') {
            return Err(format!(
                "{} has more decimals than {currency} allows",
                self.display()
            ));
        }
        let digits = self
            .integer
            .iter()
            .copied()
            .chain((0..exponent).map(|i| kept.get(i).copied().unwrap_or(b'0')));
        let mut minor: i64 = 0;
        for digit in digits {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .ok_or_else(|| format!("{} is too large", self.display()))?;
        }
        Ok(minor)
    }

    fn display(self) -> String {
        format!(
            "{},{}",
            text::decode(self.integer),
            text::decode(self.fraction)
        )
    }
}

/// A date as written, checked later so that a lenient read can repair `30 February`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateParts {
    pub(crate) year: i16,
    pub(crate) month: i8,
    pub(crate) day: i8,
}

fn read_yymmdd(bytes: &[u8]) -> Option<DateParts> {
    let (year, month, day) = text::yymmdd_parts(bytes)?;
    Some(DateParts { year, month, day })
}

/// `:60F:`, `:60M:`, `:62F:`, `:62M:`, `:64:`, `:65:`: mark, date, currency, amount.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BalanceField<'a> {
    pub(crate) debit: bool,
    pub(crate) date: DateParts,
    pub(crate) currency: &'a [u8],
    pub(crate) amount: Amount<'a>,
}

pub(crate) fn balance(value: &[u8]) -> Result<BalanceField<'_>, FieldError> {
    let value = text::trim(value);
    let (debit, rest) = match value {
        [b'C', rest @ ..] => (false, rest),
        [b'D', rest @ ..] => (true, rest),
        _ => {
            return Err((
                "debit/credit mark",
                format!("expected C or D at the start of {:?}", text::excerpt(value)),
            ));
        }
    };
    let date = rest
        .get(..6)
        .and_then(read_yymmdd)
        .ok_or_else(|| ("date", format!("{:?} is not YYMMDD", text::excerpt(rest))))?;
    let currency = rest
        .get(6..9)
        .filter(|code| code.iter().all(u8::is_ascii_uppercase))
        .ok_or_else(|| {
            (
                "currency",
                format!(
                    "expected a three-letter currency after the date in {:?}",
                    text::excerpt(value)
                ),
            )
        })?;
    let amount_text = rest.get(9..).unwrap_or_default();
    let amount = match Amount::read(amount_text) {
        Some((amount, [])) => amount,
        _ => {
            return Err((
                "amount",
                format!(
                    "{:?} is not an amount with a decimal comma",
                    text::excerpt(amount_text)
                ),
            ));
        }
    };
    Ok(BalanceField {
        debit,
        date,
        currency,
        amount,
    })
}

/// The debit/credit mark of a `:61:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Credit,
    Debit,
    /// `RC`: a credit taken back, so money leaves the account.
    ReversalOfCredit,
    /// `RD`: a debit taken back, so money comes in.
    ReversalOfDebit,
}

/// The first line of a `:61:` field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineField<'a> {
    pub(crate) value_date: DateParts,
    /// Month and day of the entry (booking) date, when given.
    pub(crate) entry_date: Option<(i8, i8)>,
    pub(crate) mark: Mark,
    pub(crate) amount: Amount<'a>,
    /// `N`, `F` or `S` and three characters (`NTRF`, `S103`).
    pub(crate) transaction_type: &'a [u8],
    pub(crate) customer_reference: &'a [u8],
    pub(crate) bank_reference: &'a [u8],
    /// What follows the references on the first line (some banks put the counterparty's name
    /// there); kept with the supplementary details.
    pub(crate) extra: &'a [u8],
    /// The amount had no decimal comma (`500NTRF`): read as whole units, and reported.
    pub(crate) amount_without_comma: bool,
}

pub(crate) fn statement_line(value: &[u8]) -> Result<LineField<'_>, FieldError> {
    let value = text::trim(value);
    let value_date = value.get(..6).and_then(read_yymmdd).ok_or_else(|| {
        (
            "value date",
            format!("{:?} does not start with YYMMDD", text::excerpt(value)),
        )
    })?;
    let mut rest = value.get(6..).unwrap_or_default();
    let mut entry_date = None;
    if rest.first().is_some_and(u8::is_ascii_digit) {
        let month_day = rest
            .get(..4)
            .and_then(|md| {
                Some((
                    text::two_digits(md.get(..2)?)?,
                    text::two_digits(md.get(2..)?)?,
                ))
            })
            .filter(|(month, day)| (1..=12).contains(month) && (1..=31).contains(day))
            .ok_or_else(|| {
                (
                    "entry date",
                    format!("{:?} is not MMDD", text::excerpt(rest)),
                )
            })?;
        entry_date = Some(month_day);
        rest = rest.get(4..).unwrap_or_default();
    }
    let (mark, after_mark) = match rest {
        [b'R', b'C', tail @ ..] => (Mark::ReversalOfCredit, tail),
        [b'R', b'D', tail @ ..] => (Mark::ReversalOfDebit, tail),
        [b'E', b'C', tail @ ..] | [b'C', tail @ ..] => (Mark::Credit, tail),
        [b'E', b'D', tail @ ..] | [b'D', tail @ ..] => (Mark::Debit, tail),
        _ => {
            return Err((
                "debit/credit mark",
                format!("expected C, D, RC or RD, found {:?}", text::excerpt(rest)),
            ));
        }
    };
    // The optional funds code is the third letter of the currency code.
    let after_funds = match after_mark {
        [letter, tail @ ..] if letter.is_ascii_alphabetic() => tail,
        _ => after_mark,
    };
    let (amount, after_amount, amount_without_comma) = Amount::read(after_funds)
        .map(|(amount, rest)| (amount, rest, false))
        .or_else(|| Amount::read_whole(after_funds).map(|(amount, rest)| (amount, rest, true)))
        .ok_or_else(|| {
            (
                "amount",
                format!(
                    "{:?} is not an amount with a decimal comma",
                    text::excerpt(after_funds)
                ),
            )
        })?;
    // Some banks put a blank between the amount and the transaction type.
    let after_amount = text::trim(after_amount);
    let transaction_type = after_amount
        .get(..4)
        .filter(|t| matches!(t.first(), Some(b'N' | b'F' | b'S')))
        .ok_or_else(|| {
            (
                "transaction type",
                format!(
                    "expected N, F or S and three characters, found {:?}",
                    text::excerpt(after_amount)
                ),
            )
        })?;
    let references = after_amount.get(4..).unwrap_or_default();
    let (customer_reference, bank_reference, extra) = match find_doubled(references, b'/') {
        Some(split) => {
            let customer = references.get(..split).unwrap_or_default();
            let after = references.get(split + 2..).unwrap_or_default();
            // The bank reference has at most 16 characters; anything after a blank run is
            // supplementary text some banks append on the same line.
            let end = blank_run(after).unwrap_or(after.len());
            (
                customer,
                after.get(..end).unwrap_or_default(),
                after.get(end..).unwrap_or_default(),
            )
        }
        None => {
            let end = blank_run(references).unwrap_or(references.len());
            (
                references.get(..end).unwrap_or_default(),
                &[][..],
                references.get(end..).unwrap_or_default(),
            )
        }
    };
    Ok(LineField {
        value_date,
        entry_date,
        mark,
        amount,
        transaction_type,
        customer_reference: text::trim(customer_reference),
        bank_reference: text::trim(bank_reference),
        extra: text::trim(extra),
        amount_without_comma,
    })
}

/// Where two or more blanks start: the padding after a fixed-width reference.
fn blank_run(bytes: &[u8]) -> Option<usize> {
    find_doubled(bytes, b' ')
}

/// Where `byte` first stands twice in a row. References are short: a scan for the byte beats
/// building a substring searcher for each line.
fn find_doubled(bytes: &[u8], byte: u8) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = memchr::memchr(byte, bytes.get(from..).unwrap_or_default()) {
        let at = from + offset;
        if bytes.get(at + 1) == Some(&byte) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `:34F:` floor limit: currency, optional D/C, amount. Only the currency is kept.
pub(crate) fn floor_limit(value: &[u8]) -> Result<&[u8], FieldError> {
    let value = text::trim(value);
    let currency = value
        .get(..3)
        .filter(|code| code.iter().all(u8::is_ascii_uppercase))
        .ok_or_else(|| ("currency", format!("{:?}", text::excerpt(value))))?;
    let rest = value.get(3..).unwrap_or_default();
    let rest = rest
        .strip_prefix(b"D")
        .or(rest.strip_prefix(b"C"))
        .unwrap_or(rest);
    let valid = rest.iter().all(u8::is_ascii_digit) && !rest.is_empty()
        || matches!(Amount::read(rest), Some((_, [])));
    if !valid {
        return Err((
            "amount",
            format!("{:?} is not an amount", text::excerpt(rest)),
        ));
    }
    Ok(currency)
}

/// `:90D:`/`:90C:` number and sum of entries: count, currency, amount.
pub(crate) fn entry_sum(value: &[u8]) -> Result<(u64, &[u8], Amount<'_>), FieldError> {
    let value = text::trim(value);
    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
    let count = text::digits_u64(value.get(..digits).unwrap_or_default())
        .ok_or_else(|| ("number of entries", format!("{:?}", text::excerpt(value))))?;
    let rest = value.get(digits..).unwrap_or_default();
    let currency = rest
        .get(..3)
        .filter(|code| code.iter().all(u8::is_ascii_uppercase))
        .ok_or_else(|| ("currency", format!("{:?}", text::excerpt(rest))))?;
    match Amount::read(rest.get(3..).unwrap_or_default()) {
        Some((amount, [])) => Ok((count, currency, amount)),
        _ => Err(("amount", format!("{:?}", text::excerpt(rest)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_minor_units() {
        let minor = |text: &[u8], currency| Amount::read(text).unwrap().0.to_minor(currency);
        assert_eq!(minor(b"380115,12", Currency::EUR), Ok(38011512));
        assert_eq!(minor(b"380115,1", Currency::EUR), Ok(38011510));
        assert_eq!(minor(b"380115,", Currency::EUR), Ok(38011500));
        assert_eq!(minor(b"001,12", Currency::EUR), Ok(112));
        assert_eq!(minor(b"5,000", Currency::EUR), Ok(500));
        assert!(minor(b"5,001", Currency::EUR).is_err());
        assert_eq!(minor(b"1200,", Currency::JPY), Ok(1200));
        assert!(minor(b"99999999999999999999,", Currency::EUR).is_err());
        assert!(Amount::read(b",5").is_none());
    }

    #[test]
    fn statement_line_variants() {
        let line =
            statement_line(b"1409010902DR000000000001,62NTRF0000549855700010//025498557/000001")
                .unwrap();
        assert_eq!(line.mark, Mark::Debit);
        assert_eq!(line.entry_date, Some((9, 2)));
        assert_eq!(line.customer_reference, b"0000549855700010");
        assert_eq!(line.bank_reference, b"025498557/000001");

        let line = statement_line(b"0709040904RCR204,88NRTINONREF").unwrap();
        assert_eq!(line.mark, Mark::ReversalOfCredit);
        assert_eq!(line.transaction_type, b"NRTI");

        let line =
            statement_line(b"110527D000000001213,28N0440121470966      W.P. Jansen   ").unwrap();
        assert_eq!(line.customer_reference, b"0121470966");
        assert_eq!(line.extra, b"W.P. Jansen");

        let line = statement_line(b"130701D10,00NDV NONREF").unwrap();
        assert_eq!(line.transaction_type, b"NDV ");
        assert_eq!(line.customer_reference, b"NONREF");

        let line = statement_line(b"110701CN50,00NZ10NONREF").unwrap();
        assert_eq!(line.mark, Mark::Credit);
        assert_eq!(line.entry_date, None);

        assert_eq!(
            statement_line(b"1107X1C5,00NTRF").unwrap_err().0,
            "value date"
        );
        assert_eq!(
            statement_line(b"110701X5,00NTRF").unwrap_err().0,
            "debit/credit mark"
        );
        assert_eq!(statement_line(b"110701C5.00NTRF").unwrap_err().0, "amount");
        let line = statement_line(b"1407290729C500NTRF29-07-2014 10:05//B4G").unwrap();
        assert!(line.amount_without_comma);
        let line = statement_line(b"2006080608D12,35 NRTIKREF+//2016021783252833").unwrap();
        assert_eq!(line.transaction_type, b"NRTI");
        assert_eq!(
            statement_line(b"110701C5,00").unwrap_err().0,
            "transaction type"
        );
        assert_eq!(
            statement_line(b"1107011399C5,00NTRF").unwrap_err().0,
            "entry date"
        );
    }

    #[test]
    fn balances() {
        let balance = balance(b"D140901EUR000000000003,66").unwrap();
        assert!(balance.debit);
        assert_eq!(balance.currency, b"EUR");
        assert_eq!(balance.amount.to_minor(Currency::EUR), Ok(366));
        assert_eq!(super::balance(b"Dnullnull7414,3").unwrap_err().0, "date");
        assert_eq!(super::balance(b"C200904EUR0.5").unwrap_err().0, "amount");
    }
}
