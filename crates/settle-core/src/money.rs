//! Money: integer minor units with their currency.
//!
//! Never a float. Arithmetic is checked (overflow and currency mismatch are errors, not wraps or
//! panics), parsing refuses anything that is not a plain decimal in the currency's precision, and
//! splitting an amount never loses or invents a minor unit. Rates and percentages are applied with
//! a named [`Rounding`] rule.

use std::fmt;

use crate::currency::Currency;

/// An amount of one currency in its minor unit (cents for USD, yen for JPY, fils for KWD).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency mismatch: {left} and {right} cannot be combined")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("amount out of range")]
    Overflow,
    #[error("cannot allocate over no parts or over weights that sum to zero")]
    NoWeights,
}

/// Why a decimal string is not an amount. The caller adds the file, line and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseMoneyError {
    #[error("empty amount")]
    Empty,
    #[error(
        "{text:?} is not a decimal amount (expected digits with an optional dot, like 1234.50)"
    )]
    Garbage { text: String },
    #[error("{text:?} has {found} decimals but {currency} has {max}")]
    TooManyDecimals {
        text: String,
        found: usize,
        max: u8,
        currency: Currency,
    },
    #[error("{text:?} has a sign, but this amount must be written without one")]
    SignNotAllowed { text: String },
    #[error("{text:?} is too large")]
    Overflow { text: String },
}

/// Whether a parsed amount may carry a leading `-` (or `+`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignPolicy {
    Unsigned,
    Signed,
}

/// How a division that does not come out even is rounded to a minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Half away from zero: 0.5 → 1, -0.5 → -1. Commercial rounding of discounts and tax.
    HalfUp,
    /// Half to even (banker's rounding): 0.5 → 0, 1.5 → 2.
    HalfEven,
    /// Toward zero: never gives more than the exact amount.
    TowardZero,
}

/// Divides `numerator / denominator` (denominator > 0) and rounds by `rule`.
pub fn round_div(numerator: i128, denominator: i128, rule: Rounding) -> i128 {
    assert!(
        denominator > 0,
        "rounding divides by a positive denominator"
    );
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder == 0 {
        return quotient;
    }
    let away = if numerator < 0 { -1 } else { 1 };
    let twice = remainder.abs() * 2;
    match rule {
        Rounding::TowardZero => quotient,
        Rounding::HalfUp if twice >= denominator => quotient + away,
        Rounding::HalfUp => quotient,
        Rounding::HalfEven if twice > denominator => quotient + away,
        Rounding::HalfEven if twice == denominator && quotient % 2 != 0 => quotient + away,
        Rounding::HalfEven => quotient,
    }
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    pub const fn minor(&self) -> i64 {
        self.minor
    }

    pub const fn currency(&self) -> Currency {
        self.currency
    }

    pub const fn is_zero(&self) -> bool {
        self.minor == 0
    }

    pub const fn is_positive(&self) -> bool {
        self.minor > 0
    }

    pub const fn is_negative(&self) -> bool {
        self.minor < 0
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_abs(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_abs().ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn min(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if other.minor < self.minor {
            other
        } else {
            self
        })
    }

    /// Sums amounts of one currency; an empty list sums to zero of `currency`.
    pub fn sum<I: IntoIterator<Item = Money>>(
        currency: Currency,
        amounts: I,
    ) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }

    /// `self × basis_points / 10 000`, rounded by `rule` (200 basis points = 2 %).
    pub fn percent_bp(self, basis_points: u32, rule: Rounding) -> Result<Money, MoneyError> {
        let exact = i128::from(self.minor) * i128::from(basis_points);
        let rounded = round_div(exact, 10_000, rule);
        let minor = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Splits the amount over parts in proportion to `weights`, by the largest-remainder method:
    /// every part gets its exact share rounded toward zero, then the minor units left over go one
    /// each to the parts with the largest remainders (the earlier part on a tie). The parts always
    /// sum to the amount exactly.
    pub fn allocate(self, weights: &[u64]) -> Result<Vec<Money>, MoneyError> {
        let weight_total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
        if weight_total == 0 {
            return Err(MoneyError::NoWeights);
        }
        let magnitude = u128::from(self.minor.unsigned_abs());
        let mut parts: Vec<u128> = Vec::with_capacity(weights.len());
        let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
        for (index, weight) in weights.iter().enumerate() {
            let exact = magnitude * u128::from(*weight);
            parts.push(exact / weight_total);
            remainders.push((exact % weight_total, index));
        }
        let given: u128 = parts.iter().sum();
        let left_over = magnitude - given;
        // Largest remainder first; on equal remainders the earlier part wins.
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, index) in remainders.iter().take(left_over as usize) {
            parts[*index] += 1;
        }
        let sign: i64 = if self.minor < 0 { -1 } else { 1 };
        let allocated = parts
            .into_iter()
            .map(|part| {
                // Each part is at most |self|, so it fits back into i64 with its sign.
                let part = i64::try_from(part).map_err(|_| MoneyError::Overflow)?;
                Ok(Money::new(sign * part, self.currency))
            })
            .collect::<Result<Vec<_>, MoneyError>>()?;
        debug_assert_eq!(
            allocated.iter().map(|m| i128::from(m.minor)).sum::<i128>(),
            i128::from(self.minor)
        );
        Ok(allocated)
    }

    /// Splits the amount into `parts` near-equal amounts (the earlier parts take the extra units).
    pub fn split_even(self, parts: usize) -> Result<Vec<Money>, MoneyError> {
        self.allocate(&vec![1; parts])
    }

    /// Reads a decimal string such as `1234.50` in the currency's precision. Surrounding spaces
    /// are ignored; thousands separators, exponents and more decimals than the currency has are
    /// refused rather than guessed.
    pub fn parse(
        text: &str,
        currency: Currency,
        sign: SignPolicy,
    ) -> Result<Money, ParseMoneyError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ParseMoneyError::Empty);
        }
        let garbage = || ParseMoneyError::Garbage {
            text: trimmed.to_string(),
        };
        let (negative, unsigned) = match trimmed.as_bytes()[0] {
            b'-' | b'+' if sign == SignPolicy::Unsigned => {
                return Err(ParseMoneyError::SignNotAllowed {
                    text: trimmed.to_string(),
                });
            }
            b'-' => (true, &trimmed[1..]),
            b'+' => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (unsigned, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty())
            || !all_digits(whole)
            || !all_digits(fraction)
            || (unsigned.contains('.') && fraction.is_empty())
            || (whole.is_empty() && !unsigned.starts_with('.'))
        {
            return Err(garbage());
        }
        let max = currency.exponent();
        if fraction.len() > usize::from(max) {
            // "10.50" in JPY is refused, but "10.00" would silently mean 10 yen: refuse both, the
            // file was written for another precision.
            return Err(ParseMoneyError::TooManyDecimals {
                text: trimmed.to_string(),
                found: fraction.len(),
                max,
                currency,
            });
        }
        let overflow = || ParseMoneyError::Overflow {
            text: trimmed.to_string(),
        };
        let mut magnitude: i128 = 0;
        let padded = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(usize::from(max));
        for digit in whole.bytes().chain(padded) {
            magnitude = magnitude * 10 + i128::from(digit - b'0');
            if magnitude > i128::from(i64::MAX) + 1 {
                return Err(overflow());
            }
        }
        let signed = if negative { -magnitude } else { magnitude };
        let minor = i64::try_from(signed).map_err(|_| overflow())?;
        Ok(Money::new(minor, currency))
    }

    /// The amount as a plain decimal string in the currency's precision: `-1234.50`, `1200` (JPY),
    /// `1.250` (KWD). [`Money::parse`] reads it back exactly.
    pub fn to_decimal_string(&self) -> String {
        let exponent = u32::from(self.currency.exponent());
        let magnitude = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10_u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = exponent as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// Money travels in JSON as `{"amount": "1234.50", "currency": "USD"}`: a decimal string, so
/// that no reader turns it into a float.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Money", 2)?;
        s.serialize_field("amount", &self.to_decimal_string())?;
        s.serialize_field("currency", self.currency.code())?;
        s.end()
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Wire {
            amount: String,
            currency: String,
        }
        let wire = Wire::deserialize(deserializer)?;
        let currency = Currency::from_code(&wire.currency).map_err(serde::de::Error::custom)?;
        Money::parse(&wire.amount, currency, SignPolicy::Signed).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    #[test]
    fn parses_plain_decimals_in_each_precision() {
        let p = |s, c| Money::parse(s, c, SignPolicy::Unsigned).map(|m| m.minor());
        assert_eq!(p("1234.50", Currency::USD), Ok(123_450));
        assert_eq!(p("1234.5", Currency::USD), Ok(123_450));
        assert_eq!(p("0.07", Currency::USD), Ok(7));
        assert_eq!(p(".5", Currency::USD), Ok(50));
        assert_eq!(p(" 12 ", Currency::USD), Ok(1200));
        assert_eq!(p("1200", Currency::JPY), Ok(1200));
        assert_eq!(p("1.250", Currency::KWD), Ok(1250));
    }

    #[test]
    fn refuses_what_it_cannot_read_exactly() {
        let p = |s, c, sign| Money::parse(s, c, sign);
        assert_eq!(
            p("", Currency::USD, SignPolicy::Unsigned),
            Err(ParseMoneyError::Empty)
        );
        assert!(matches!(
            p("1.234", Currency::USD, SignPolicy::Unsigned),
            Err(ParseMoneyError::TooManyDecimals {
                found: 3,
                max: 2,
                ..
            })
        ));
        assert!(matches!(
            p("10.5", Currency::JPY, SignPolicy::Unsigned),
            Err(ParseMoneyError::TooManyDecimals { max: 0, .. })
        ));
        assert!(matches!(
            p("-5.00", Currency::USD, SignPolicy::Unsigned),
            Err(ParseMoneyError::SignNotAllowed { .. })
        ));
        for garbage in [
            "1,234.50", "12a", "1e5", "1.", ".", "--1", "$5", "1.2.3", "NaN", "- 5",
        ] {
            assert!(
                matches!(
                    p(garbage, Currency::USD, SignPolicy::Signed),
                    Err(ParseMoneyError::Garbage { .. })
                ),
                "{garbage}"
            );
        }
        assert!(matches!(
            p("99999999999999999999", Currency::USD, SignPolicy::Unsigned),
            Err(ParseMoneyError::Overflow { .. })
        ));
        assert_eq!(p("-5.25", Currency::USD, SignPolicy::Signed), Ok(usd(-525)));
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(usd(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
        assert!(matches!(
            usd(1).checked_add(Money::new(1, Currency::EUR)),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
        assert_eq!(usd(250).checked_sub(usd(300)), Ok(usd(-50)));
    }

    #[test]
    fn formats_in_the_currency_precision() {
        assert_eq!(usd(123_450).to_decimal_string(), "1234.50");
        assert_eq!(usd(-5).to_decimal_string(), "-0.05");
        assert_eq!(Money::new(1200, Currency::JPY).to_decimal_string(), "1200");
        assert_eq!(Money::new(1250, Currency::KWD).to_decimal_string(), "1.250");
        assert_eq!(usd(i64::MIN).to_decimal_string(), "-92233720368547758.08");
    }

    #[test]
    fn rounding_rules() {
        assert_eq!(round_div(5, 10, Rounding::HalfUp), 1);
        assert_eq!(round_div(-5, 10, Rounding::HalfUp), -1);
        assert_eq!(round_div(5, 10, Rounding::HalfEven), 0);
        assert_eq!(round_div(15, 10, Rounding::HalfEven), 2);
        assert_eq!(round_div(-15, 10, Rounding::HalfEven), -2);
        assert_eq!(round_div(19, 10, Rounding::TowardZero), 1);
        assert_eq!(usd(10_050).percent_bp(200, Rounding::HalfUp), Ok(usd(201)));
    }

    #[test]
    fn allocation_hands_out_the_odd_cents() {
        let parts = usd(100).split_even(3).unwrap();
        assert_eq!(parts, vec![usd(34), usd(33), usd(33)]);
        let parts = usd(-100).split_even(3).unwrap();
        assert_eq!(parts, vec![usd(-34), usd(-33), usd(-33)]);
        assert_eq!(usd(5).allocate(&[0, 0]), Err(MoneyError::NoWeights));
        assert_eq!(
            usd(10).allocate(&[1, 0, 1]).unwrap(),
            vec![usd(5), usd(0), usd(5)]
        );
    }

    proptest! {
        #[test]
        fn allocation_never_loses_or_invents(
            minor in any::<i64>(),
            weights in proptest::collection::vec(0u64..1_000_000, 1..20),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let parts = usd(minor).allocate(&weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            let total: i128 = parts.iter().map(|p| i128::from(p.minor())).sum();
            prop_assert_eq!(total, i128::from(minor));
            for (part, weight) in parts.iter().zip(&weights) {
                if *weight == 0 { prop_assert_eq!(part.minor(), 0); }
                prop_assert!(part.minor().signum() * minor.signum() >= 0);
            }
        }

        #[test]
        fn decimal_strings_round_trip(minor in any::<i64>(), which in 0usize..4) {
            let currency = [Currency::USD, Currency::JPY, Currency::KWD, Currency::EUR][which];
            let money = Money::new(minor, currency);
            let text = money.to_decimal_string();
            prop_assert_eq!(Money::parse(&text, currency, SignPolicy::Signed), Ok(money));
        }

        #[test]
        fn parse_never_panics(text in ".{0,40}") {
            let _ = Money::parse(&text, Currency::USD, SignPolicy::Signed);
        }
    }
}
