//! ISO 4217 currencies with their minor-unit exponent.
//!
//! A fixed table of the currencies A/R teams meet, not the whole standard: adding one is a line
//! in `KNOWN`. Unknown codes are refused rather than guessed, because the exponent decides how
//! every amount in that currency is read and written.

use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency: its three-letter code and how many decimals its minor unit has.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// (code, exponent) per ISO 4217.
const KNOWN: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    // Deutsche Mark: gone since 2002, but archived MT940 statements still carry it.
    ("DEM", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MKD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown currency code {0:?} (expected an ISO 4217 code such as USD, EUR, JPY)")]
pub struct UnknownCurrency(pub String);

impl Currency {
    pub const USD: Currency = Currency::known(*b"USD", 2);
    pub const EUR: Currency = Currency::known(*b"EUR", 2);
    pub const GBP: Currency = Currency::known(*b"GBP", 2);
    pub const CHF: Currency = Currency::known(*b"CHF", 2);
    pub const CAD: Currency = Currency::known(*b"CAD", 2);
    pub const AUD: Currency = Currency::known(*b"AUD", 2);
    pub const JPY: Currency = Currency::known(*b"JPY", 0);
    pub const KWD: Currency = Currency::known(*b"KWD", 3);

    const fn known(code: [u8; 3], exponent: u8) -> Currency {
        Currency { code, exponent }
    }

    /// Looks a code up in the table; the code must be three upper-case letters.
    pub fn from_code(code: &str) -> Result<Currency, UnknownCurrency> {
        KNOWN
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(known, exponent)| {
                let bytes = known.as_bytes();
                Currency::known([bytes[0], bytes[1], bytes[2]], *exponent)
            })
            .ok_or_else(|| UnknownCurrency(code.to_string()))
    }

    pub fn code(&self) -> &str {
        // The table holds ASCII codes only.
        std::str::from_utf8(&self.code).expect("currency codes are ASCII")
    }

    /// Decimals of the minor unit: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Minor units in one major unit (100 for USD).
    pub fn minor_per_major(&self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }

    pub fn all() -> impl Iterator<Item = Currency> {
        KNOWN
            .iter()
            .map(|(code, _)| Currency::from_code(code).expect("table entries are valid"))
    }
}

impl FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s.trim())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::from_code("USD").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::from_code("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::KWD.minor_per_major(), 1000);
        for code in ["EUR", "GBP", "CHF", "CAD", "AUD"] {
            assert_eq!(Currency::from_code(code).unwrap().exponent(), 2, "{code}");
        }
    }

    #[test]
    fn unknown_and_lower_case_codes_are_refused() {
        assert!(Currency::from_code("usd").is_err());
        assert!(Currency::from_code("XYZ").is_err());
        assert!(Currency::from_code("").is_err());
        assert_eq!(" EUR ".parse::<Currency>().unwrap(), Currency::EUR);
    }

    #[test]
    fn table_is_sorted_and_unique() {
        let codes: Vec<_> = KNOWN.iter().map(|(c, _)| *c).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }
}
