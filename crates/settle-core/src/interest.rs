//! Statutory late-payment interest: presets for the EU late-payment directive, the UK's late
//! payment act and Germany, simple interest per day on what is overdue, fixed compensation per
//! invoice, and the legal order of applying a partial payment (costs, then interest, then
//! principal). Pure: reference rates, balances and dates are arguments; the store keeps the
//! rates users enter and what was charged through which day.
//!
//! Interest for one day is the principal open at the end of that day × (reference rate in
//! force that day + the preset's margin) ÷ 365, never below zero (a negative reference rate can
//! lower the rate to the margin's level but interest is never paid back). A charge sums the
//! exact numerators of its days and rounds once, half up, to the minor unit. Rates are basis
//! points (4.50 % = 450), so no float touches money.

use std::fmt;
use std::str::FromStr;

use crate::money::{Rounding, round_div};
use crate::{Currency, Date, Money};

/// A rate in basis points of a percent: 4.50 % is 450.
pub type BasisPoints = i64;

/// Days of the year a daily rate divides by, in every preset.
pub const DAYS_IN_YEAR: i128 = 365;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterestError {
    #[error("{0:?} is not a preset (eu, uk or germany)")]
    UnknownPreset(String),
    #[error("{0:?} is not a rate in percent with at most two decimals (for example 4.50 or -0.88)")]
    BadRate(String),
    #[error(
        "no {preset} reference rate is in force on {date}: enter it with `settle interest rate set --preset {preset} --from DATE --rate PERCENT`"
    )]
    MissingRate { preset: Preset, date: Date },
}

/// A statutory regime of late-payment interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Preset {
    /// Directive 2011/7/EU: the reference rate + 8 percentage points, EUR 40 per invoice.
    Eu,
    /// Late Payment of Commercial Debts (Interest) Act 1998: Bank of England base rate + 8
    /// points; a fixed sum of GBP 40, 70 or 100 by the size of the debt.
    Uk,
    /// §288 (2) and (5) BGB between businesses: the base rate + 9 points, EUR 40 Pauschale.
    Germany,
}

/// The EU's member states by ISO 3166 code (Greece is `GR` in ISO, `EL` in EU usage).
pub const EU_MEMBER_STATES: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::Eu, Preset::Uk, Preset::Germany];

    /// What the law adds to the reference rate.
    pub fn margin(self) -> BasisPoints {
        match self {
            Preset::Eu | Preset::Uk => 800,
            Preset::Germany => 900,
        }
    }

    /// The preset a customer's country gives by default: GB the UK act, DE §288 BGB, any other
    /// EU member state the directive; others none.
    pub fn for_country(country: &str) -> Option<Preset> {
        let country = country.trim().to_ascii_uppercase();
        match country.as_str() {
            "GB" | "UK" => Some(Preset::Uk),
            "DE" => Some(Preset::Germany),
            c if EU_MEMBER_STATES.contains(&c) => Some(Preset::Eu),
            _ => None,
        }
    }

    /// The fixed compensation for one late invoice of `principal` (its amount due). The law
    /// names it in its own currency; an invoice in another currency gets none here, since
    /// converting is not ours to guess.
    pub fn compensation(self, principal: Money) -> Option<Money> {
        let currency = principal.currency();
        let units = |n: i64| Money::new(n * currency.minor_per_major(), currency);
        match self {
            Preset::Eu | Preset::Germany if currency.code() == "EUR" => Some(units(40)),
            Preset::Uk if currency.code() == "GBP" => {
                let minor = principal.minor();
                Some(if minor < units(1_000).minor() {
                    units(40)
                } else if minor < units(10_000).minor() {
                    units(70)
                } else {
                    units(100)
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Preset::Eu => "eu",
            Preset::Uk => "uk",
            Preset::Germany => "germany",
        })
    }
}

impl FromStr for Preset {
    type Err = InterestError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "eu" => Ok(Preset::Eu),
            "uk" | "gb" => Ok(Preset::Uk),
            "germany" | "de" => Ok(Preset::Germany),
            _ => Err(InterestError::UnknownPreset(text.to_string())),
        }
    }
}

/// Reads a percentage with at most two decimals ("4.50", "-0.88", "12.5%") as basis points.
pub fn parse_percent(text: &str) -> Result<BasisPoints, InterestError> {
    let bad = || InterestError::BadRate(text.to_string());
    let trimmed = text.trim().trim_end_matches('%').trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || whole.len() > 4
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let value = whole * 100 + fraction;
    Ok(if negative { -value } else { value })
}

/// Basis points as a percentage with two decimals.
pub fn percent_text(rate: BasisPoints) -> String {
    let sign = if rate < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", rate.abs() / 100, rate.abs() % 100)
}

/// Reference rates of one preset: each in force from its date until the next one's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferenceRates {
    /// By date, ascending.
    rates: Vec<(Date, BasisPoints)>,
}

impl ReferenceRates {
    pub fn new(mut rates: Vec<(Date, BasisPoints)>) -> ReferenceRates {
        rates.sort();
        rates.dedup_by_key(|(from, _)| *from);
        ReferenceRates { rates }
    }

    /// The rate in force on a day.
    pub fn on(&self, date: Date) -> Option<BasisPoints> {
        let after = self.rates.partition_point(|(from, _)| *from <= date);
        after.checked_sub(1).map(|i| self.rates[i].1)
    }

    /// The days on which the rate changes, within `(after, through]`.
    fn changes_within(&self, after: Date, through: Date) -> impl Iterator<Item = Date> + '_ {
        self.rates
            .iter()
            .map(|(from, _)| *from)
            .filter(move |from| *from > after && *from <= through)
    }
}

/// A change of an invoice's open principal: the balance from that day on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceChange {
    pub on: Date,
    pub balance_minor: i64,
}

/// Interest owed on one invoice over a run of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestCharge {
    /// The first and last day charged.
    pub from: Date,
    pub through: Date,
    pub days: i64,
    pub interest: Money,
    /// The pieces: days at one balance and one rate (from, through, balance, annual rate).
    pub pieces: Vec<(Date, Date, i64, BasisPoints)>,
}

/// Interest on an invoice for the days after `after` through `through`: each day at the
/// principal open at its end (from `history`, changes in date order, the first on or before
/// `after + 1`) and the rate in force that day plus the margin. `None` when there are no days.
pub fn interest_between(
    preset: Preset,
    rates: &ReferenceRates,
    currency: Currency,
    history: &[BalanceChange],
    after: Date,
    through: Date,
) -> Result<Option<InterestCharge>, InterestError> {
    if through <= after {
        return Ok(None);
    }
    let first = after
        .tomorrow()
        .expect("a day follows the last day charged");
    // Boundaries where the balance or the rate changes split the days into pieces.
    let mut starts: Vec<Date> = std::iter::once(first)
        .chain(
            history
                .iter()
                .map(|c| c.on)
                .filter(|d| *d > first && *d <= through),
        )
        .chain(rates.changes_within(first, through))
        .collect();
    starts.sort();
    starts.dedup();
    let mut numerator: i128 = 0;
    let mut pieces = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let end = match starts.get(i + 1) {
            Some(next) => next.yesterday().expect("a day precedes a later one"),
            None => through,
        };
        let balance = history
            .iter()
            .take_while(|c| c.on <= *start)
            .last()
            .map_or(0, |c| c.balance_minor);
        let reference = rates.on(*start).ok_or(InterestError::MissingRate {
            preset,
            date: *start,
        })?;
        let annual = (reference + preset.margin()).max(0);
        let days = i64::from((end - *start).get_days()) + 1;
        if balance > 0 {
            numerator += i128::from(balance) * i128::from(annual) * i128::from(days);
        }
        pieces.push((*start, end, balance, annual));
    }
    let minor = round_div(numerator, 10_000 * DAYS_IN_YEAR, Rounding::HalfUp);
    Ok(Some(InterestCharge {
        from: first,
        through,
        days: i64::from((through - after).get_days()),
        interest: Money::new(
            i64::try_from(minor).expect("interest on an i64 balance fits in i64"),
            currency,
        ),
        pieces,
    }))
}

/// What an open item is to the legal order of applying a partial payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// Costs: fixed compensation for recovery.
    Costs,
    Interest,
    Principal,
}

/// The order in which a partial payment settles what is owed (§367 BGB and the general rule
/// elsewhere): costs, then interest, then principal; within each, the oldest due first.
pub fn legal_order<T>(items: &mut [T], key: impl Fn(&T) -> (Claim, Date, Date)) {
    items.sort_by_key(|item| key(item));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn eur() -> Currency {
        Currency::from_code("EUR").unwrap()
    }

    fn gbp() -> Currency {
        Currency::from_code("GBP").unwrap()
    }

    #[test]
    fn presets_and_countries() {
        assert_eq!(Preset::for_country("de"), Some(Preset::Germany));
        assert_eq!(Preset::for_country("GB"), Some(Preset::Uk));
        assert_eq!(Preset::for_country("FR"), Some(Preset::Eu));
        assert_eq!(Preset::for_country("US"), None);
        assert_eq!(Preset::Germany.margin(), 900);
        assert_eq!(
            Preset::Eu.compensation(Money::new(1, eur())),
            Some(Money::new(4_000, eur()))
        );
        let uk = |minor| {
            Preset::Uk
                .compensation(Money::new(minor, gbp()))
                .unwrap()
                .minor()
        };
        assert_eq!(uk(99_999), 4_000);
        assert_eq!(uk(100_000), 7_000);
        assert_eq!(uk(999_999), 7_000);
        assert_eq!(uk(1_000_000), 10_000);
        assert_eq!(Preset::Uk.compensation(Money::new(1, eur())), None);
        assert_eq!("Germany".parse::<Preset>(), Ok(Preset::Germany));
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("4.50"), Ok(450));
        assert_eq!(parse_percent("-0.88"), Ok(-88));
        assert_eq!(parse_percent("12.5%"), Ok(1_250));
        assert_eq!(parse_percent("25%"), Ok(2_500));
        assert!(parse_percent("4.505").is_err());
        assert!(parse_percent("abc").is_err());
        assert_eq!(percent_text(-88), "-0.88");
    }

    #[test]
    fn interest_by_hand() {
        // EUR 10,000.00 overdue from 1 February to 2 March 2026 (30 days) at 2.15 % + 8 points:
        // 1,000,000 × 1,015 × 30 ÷ 3,650,000 = 8,342.47 → 8,342 cents (half up).
        let rates = ReferenceRates::new(vec![(date(2026, 1, 1), 215)]);
        let history = [BalanceChange {
            on: date(2026, 1, 1),
            balance_minor: 1_000_000,
        }];
        let charge = interest_between(
            Preset::Eu,
            &rates,
            eur(),
            &history,
            date(2026, 1, 31),
            date(2026, 3, 2),
        )
        .unwrap()
        .unwrap();
        assert_eq!(charge.days, 30);
        assert_eq!(charge.from, date(2026, 2, 1));
        assert_eq!(charge.interest.minor(), 8_342);
    }

    #[test]
    fn a_payment_and_a_new_rate_split_the_days() {
        // After 31 March through 31 July (122 days): 1,000.00 at 3 % + 9 points through 30
        // June (91 days); from 1 July the rate is 2 % + 9, at 1,000.00 for 9 days, and a
        // payment leaves 400.00 from 10 July (22 days).
        let rates = ReferenceRates::new(vec![(date(2026, 1, 1), 300), (date(2026, 7, 1), 200)]);
        let history = [
            BalanceChange {
                on: date(2026, 3, 1),
                balance_minor: 100_000,
            },
            BalanceChange {
                on: date(2026, 7, 10),
                balance_minor: 40_000,
            },
        ];
        let charge = interest_between(
            Preset::Germany,
            &rates,
            eur(),
            &history,
            date(2026, 3, 31),
            date(2026, 7, 31),
        )
        .unwrap()
        .unwrap();
        // 100,000 × 1,200 × 91 + 100,000 × 1,100 × 9 + 40,000 × 1,100 × 22 = 12,878,000,000;
        // ÷ 3,650,000 = 3,528.22 → 3,528.
        assert_eq!(charge.pieces.len(), 3);
        assert_eq!(charge.days, 122);
        assert_eq!(charge.interest.minor(), 3_528);
    }

    #[test]
    fn a_missing_rate_is_named() {
        let rates = ReferenceRates::new(vec![(date(2026, 7, 1), 200)]);
        let history = [BalanceChange {
            on: date(2026, 1, 1),
            balance_minor: 100,
        }];
        let error = interest_between(
            Preset::Uk,
            &rates,
            gbp(),
            &history,
            date(2026, 5, 31),
            date(2026, 7, 31),
        )
        .unwrap_err();
        assert_eq!(
            error,
            InterestError::MissingRate {
                preset: Preset::Uk,
                date: date(2026, 6, 1)
            }
        );
    }

    #[test]
    fn the_legal_order_is_costs_interest_principal_oldest_first() {
        let mut items = vec![
            ("principal-old", Claim::Principal, date(2026, 1, 1)),
            ("interest", Claim::Interest, date(2026, 3, 1)),
            ("principal-new", Claim::Principal, date(2026, 2, 1)),
            ("costs", Claim::Costs, date(2026, 3, 1)),
        ];
        legal_order(&mut items, |(_, claim, due)| (*claim, *due, *due));
        let names: Vec<&str> = items.iter().map(|i| i.0).collect();
        assert_eq!(
            names,
            ["costs", "interest", "principal-old", "principal-new"]
        );
    }

    proptest! {
        #[test]
        fn interest_adds_up_over_split_runs_within_a_cent_a_run(
            balance in 0i64..100_000_000,
            rate in -100i64..1_500,
            first in 1i64..200,
            second in 1i64..200,
        ) {
            let rates = ReferenceRates::new(vec![(date(2020, 1, 1), rate)]);
            let history = [BalanceChange { on: date(2020, 1, 1), balance_minor: balance }];
            let start = date(2025, 1, 1);
            let middle = start.checked_add(jiff::Span::new().days(first)).unwrap();
            let end = middle.checked_add(jiff::Span::new().days(second)).unwrap();
            let run = |a, b| interest_between(Preset::Eu, &rates, eur(), &history, a, b)
                .unwrap().unwrap().interest.minor();
            let whole = run(start, end);
            let split = run(start, middle) + run(middle, end);
            prop_assert!((whole - split).abs() <= 1);
            prop_assert!(whole >= 0);
            let exact = i128::from(balance) * i128::from((rate + 800).max(0))
                * i128::from(first + second);
            prop_assert!((i128::from(whole) * 3_650_000 - exact).abs() <= 1_825_000);
        }
    }
}
