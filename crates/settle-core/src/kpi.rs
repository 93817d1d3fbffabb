//! Collection KPIs by the Credit Research Foundation's definitions, computed from sums.
//!
//! The store sums receivables, credit sales, cash and promises; this module turns those sums
//! into days and percentages. It deliberately takes no ledger: every figure here is a ratio of
//! amounts already summed per currency (figures never mix currencies), so an independent
//! computation from the same sums must agree. Days and percentages are `f64` (ratios, not
//! money); `None` marks a figure whose denominator is zero (no credit sales, no receivables).
//!
//! Periods end at the as-of date and walk back in months. A month-end as-of date walks
//! calendar months (31 March → 28 February → 31 January); any other date walks back the same
//! day of the month, clamped to the month's end (15 March → 15 February; 30 March → 28
//! February). Each period runs from the day after its start boundary through its end.

use jiff::Span;

use crate::{Currency, Date, Money};

/// How far back countback DSO walks before it gives up (receivables then exceed two years of
/// credit sales, and the figure says nothing useful).
pub const COUNTBACK_MONTHS: usize = 24;

/// The days a period counts in DSO and best possible DSO: its actual days, or a 365- or 360-day
/// year spread evenly over its months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DaysBasis {
    #[default]
    Actual,
    Year365,
    Year360,
}

impl DaysBasis {
    /// The days of a period of `months` months running from the day after `start` through `end`.
    pub fn days(self, start: Date, end: Date, months: u32) -> f64 {
        match self {
            DaysBasis::Actual => days_between(start, end) as f64,
            DaysBasis::Year365 => 365.0 * f64::from(months) / 12.0,
            DaysBasis::Year360 => 30.0 * f64::from(months),
        }
    }
}

impl std::str::FromStr for DaysBasis {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "actual" => Ok(DaysBasis::Actual),
            "365" => Ok(DaysBasis::Year365),
            "360" => Ok(DaysBasis::Year360),
            other => Err(format!(
                "{other:?} is not a days basis (actual, 365 or 360)"
            )),
        }
    }
}

impl std::fmt::Display for DaysBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DaysBasis::Actual => "actual",
            DaysBasis::Year365 => "365",
            DaysBasis::Year360 => "360",
        })
    }
}

fn days_between(start: Date, end: Date) -> i64 {
    i64::from((end - start).get_days())
}

/// One month of the walk back: the days after `start` through `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Exclusive: the balance as of this day is the period's beginning balance.
    pub start: Date,
    /// Inclusive.
    pub end: Date,
}

impl Window {
    pub fn days(&self) -> i64 {
        days_between(self.start, self.end)
    }

    pub fn contains(&self, date: Date) -> bool {
        self.start < date && date <= self.end
    }
}

/// The boundary `months` months before `as_of` (see the module note for month ends).
pub fn months_back(as_of: Date, months: u32) -> Date {
    let back = as_of
        .checked_sub(Span::new().months(i64::from(months)))
        .unwrap_or(Date::MIN);
    if as_of == as_of.last_of_month() {
        back.last_of_month()
    } else {
        back
    }
}

/// The `count` months ending at `as_of`, the latest first.
pub fn month_windows(as_of: Date, count: usize) -> Vec<Window> {
    (0..count as u32)
        .map(|k| Window {
            start: months_back(as_of, k + 1),
            end: months_back(as_of, k),
        })
        .collect()
}

/// Days sales outstanding: receivables × days ÷ credit sales. Undefined without credit sales.
pub fn dso(receivables_minor: i64, credit_sales_minor: i64, days: f64) -> Option<f64> {
    (credit_sales_minor > 0).then(|| receivables_minor as f64 * days / credit_sales_minor as f64)
}

/// The collection effectiveness index in percent: (beginning receivables + credit sales ÷ N −
/// ending receivables) ÷ (beginning receivables + credit sales ÷ N − ending current
/// receivables) × 100, N the months of the period. Undefined when the denominator is zero.
pub fn cei(
    beginning_minor: i64,
    credit_sales_minor: i64,
    months: u32,
    ending_minor: i64,
    ending_current_minor: i64,
) -> Option<f64> {
    let available = beginning_minor as f64 + credit_sales_minor as f64 / f64::from(months);
    let denominator = available - ending_current_minor as f64;
    (denominator != 0.0).then(|| (available - ending_minor as f64) / denominator * 100.0)
}

/// Countback DSO: walk back month by month through credit sales (latest first, with each
/// month's actual length), taking whole months while the receivables exceed their sales and the
/// fraction of the month that covers the rest. Undefined when the receivables exceed all the
/// sales given (see [`COUNTBACK_MONTHS`]).
pub fn countback_dso(receivables_minor: i64, months: &[(i64, i64)]) -> Option<f64> {
    let mut remaining = receivables_minor;
    let mut days = 0.0;
    for &(sales_minor, month_days) in months {
        if remaining <= 0 {
            return Some(days);
        }
        if remaining >= sales_minor {
            remaining -= sales_minor;
            days += month_days as f64;
        } else {
            return Some(days + remaining as f64 / sales_minor as f64 * month_days as f64);
        }
    }
    (remaining <= 0).then_some(days)
}

/// A ratio in percent, undefined over zero.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole != 0).then(|| part as f64 / whole as f64 * 100.0)
}

/// Rounds a figure to 2 decimals (half away from zero) for output.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The sums one currency's KPIs are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiSums {
    pub currency: Currency,
    /// Open debit items as of the as-of date, gross (credits not netted).
    pub receivables: Money,
    /// The part of `receivables` not yet due.
    pub current: Money,
    /// Receivables as of one month and three months before the as-of date.
    pub receivables_month_ago: Money,
    pub receivables_quarter_ago: Money,
    /// Credit sales per month window, latest first ([`month_windows`]), at least three.
    pub monthly_sales: Vec<Money>,
    /// The windows' lengths in days, in the same order.
    pub month_days: Vec<i64>,
    /// Cash applied to debit items in the month ending at the as-of date.
    pub cash_collected_month: Money,
    /// Promises resolved in the month ending at the as-of date.
    pub promises_kept: i64,
    pub promises_broken: i64,
}

/// Every KPI of one currency; days and percentages unrounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpis {
    pub currency: Currency,
    pub receivables: Money,
    pub current: Money,
    pub overdue: Money,
    pub credit_sales_month: Money,
    pub credit_sales_quarter: Money,
    pub beginning_receivables_month: Money,
    pub beginning_receivables_quarter: Money,
    pub cash_collected_month: Money,
    pub dso_30: Option<f64>,
    pub dso_90: Option<f64>,
    pub best_possible_dso_90: Option<f64>,
    pub add_90: Option<f64>,
    pub countback_dso: Option<f64>,
    pub cei: Option<f64>,
    pub cei_90: Option<f64>,
    pub overdue_share: Option<f64>,
    pub recovery_rate: Option<f64>,
    pub broken_promise_rate: Option<f64>,
}

impl Kpis {
    /// Computes every figure. `month_days_basis` and `quarter_days_basis` are the days the DSO
    /// of the month and of the quarter count ([`DaysBasis::days`]).
    pub fn compute(sums: &KpiSums, month_days_basis: f64, quarter_days_basis: f64) -> Kpis {
        assert!(
            sums.monthly_sales.len() >= 3 && sums.monthly_sales.len() == sums.month_days.len(),
            "KPIs need at least three months of sales with their lengths"
        );
        let currency = sums.currency;
        let minor = |m: Money| {
            debug_assert_eq!(m.currency(), currency, "KPIs never mix currencies");
            m.minor()
        };
        let receivables = minor(sums.receivables);
        let current = minor(sums.current);
        let sales_month = minor(sums.monthly_sales[0]);
        let sales_quarter: i64 = sums.monthly_sales[..3].iter().map(|m| minor(*m)).sum();
        let dso_90 = dso(receivables, sales_quarter, quarter_days_basis);
        let best_possible_dso_90 = dso(current, sales_quarter, quarter_days_basis);
        let countback: Vec<(i64, i64)> = sums
            .monthly_sales
            .iter()
            .zip(&sums.month_days)
            .map(|(sales, days)| (minor(*sales), *days))
            .collect();
        let beginning_month = minor(sums.receivables_month_ago);
        Kpis {
            currency,
            receivables: sums.receivables,
            current: sums.current,
            overdue: Money::new(receivables - current, currency),
            credit_sales_month: sums.monthly_sales[0],
            credit_sales_quarter: Money::new(sales_quarter, currency),
            beginning_receivables_month: sums.receivables_month_ago,
            beginning_receivables_quarter: sums.receivables_quarter_ago,
            cash_collected_month: sums.cash_collected_month,
            dso_30: dso(receivables, sales_month, month_days_basis),
            dso_90,
            best_possible_dso_90,
            add_90: dso_90.zip(best_possible_dso_90).map(|(d, b)| d - b),
            countback_dso: countback_dso(receivables, &countback),
            cei: cei(beginning_month, sales_month, 1, receivables, current),
            cei_90: cei(
                minor(sums.receivables_quarter_ago),
                sales_quarter,
                3,
                receivables,
                current,
            ),
            overdue_share: percent(receivables - current, receivables),
            recovery_rate: percent(
                minor(sums.cash_collected_month),
                beginning_month + sales_month,
            ),
            broken_promise_rate: percent(
                sums.promises_broken,
                sums.promises_kept + sums.promises_broken,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn usd(units: i64) -> Money {
        Money::new(units * 100, Currency::from_code("USD").unwrap())
    }

    /// The published worked example: a January–March quarter of a non-leap year.
    fn worked_example() -> Kpis {
        let as_of = date(2026, 3, 31);
        let windows = month_windows(as_of, 3);
        let sums = KpiSums {
            currency: Currency::from_code("USD").unwrap(),
            receivables: usd(6_340),
            current: usd(3_590),
            receivables_month_ago: usd(6_000),
            receivables_quarter_ago: usd(6_200),
            monthly_sales: vec![usd(3_890), usd(3_610), usd(3_390)],
            month_days: windows.iter().map(Window::days).collect(),
            cash_collected_month: usd(3_550),
            promises_kept: 3,
            promises_broken: 1,
        };
        let quarter = DaysBasis::Actual.days(windows[2].start, as_of, 3);
        let month = DaysBasis::Actual.days(windows[0].start, as_of, 1);
        Kpis::compute(&sums, month, quarter)
    }

    #[test]
    fn the_worked_example_gives_the_published_figures() {
        let k = worked_example();
        assert_eq!(k.dso_90.map(round2), Some(52.40));
        assert_eq!(k.best_possible_dso_90.map(round2), Some(29.67));
        assert_eq!(k.add_90.map(round2), Some(22.73));
        assert_eq!(k.cei_90.map(|c| (c * 10.0).round() / 10.0), Some(55.9));
        assert_eq!(k.countback_dso.map(round2), Some(50.00));
        // 6,340 × 31 ÷ 3,890
        assert_eq!(k.dso_30.map(round2), Some(50.52));
        // (6,000 + 3,890 − 6,340) ÷ (6,000 + 3,890 − 3,590)
        assert_eq!(k.cei.map(round2), Some(56.35));
        assert_eq!(k.overdue_share.map(round2), Some(43.38));
        // 3,550 ÷ (6,000 + 3,890)
        assert_eq!(k.recovery_rate.map(round2), Some(35.89));
        assert_eq!(k.broken_promise_rate, Some(25.0));
    }

    #[test]
    fn month_ends_walk_calendar_months_and_other_days_the_same_day() {
        let ends: Vec<Date> = month_windows(date(2026, 3, 31), 3)
            .iter()
            .map(|w| w.end)
            .collect();
        assert_eq!(
            ends,
            vec![date(2026, 3, 31), date(2026, 2, 28), date(2026, 1, 31)]
        );
        assert_eq!(
            month_windows(date(2026, 3, 31), 3)[2].start,
            date(2025, 12, 31)
        );
        let mid = month_windows(date(2026, 3, 15), 2);
        assert_eq!(mid[0].start, date(2026, 2, 15));
        assert_eq!(mid[1].start, date(2026, 1, 15));
        assert_eq!(mid[0].days(), 28);
        assert_eq!(months_back(date(2026, 3, 30), 1), date(2026, 2, 28));
        assert_eq!(months_back(date(2024, 2, 29), 1), date(2024, 1, 31));
        let quarter = month_windows(date(2026, 3, 31), 3);
        assert_eq!(quarter.iter().map(Window::days).sum::<i64>(), 90);
    }

    #[test]
    fn days_bases() {
        let (start, end) = (date(2025, 12, 31), date(2026, 3, 31));
        assert_eq!(DaysBasis::Actual.days(start, end, 3), 90.0);
        assert_eq!(DaysBasis::Year365.days(start, end, 3), 91.25);
        assert_eq!(DaysBasis::Year360.days(start, end, 3), 90.0);
        assert_eq!("360".parse::<DaysBasis>(), Ok(DaysBasis::Year360));
        assert!("366".parse::<DaysBasis>().is_err());
    }

    #[test]
    fn undefined_figures_are_none() {
        assert_eq!(dso(100, 0, 30.0), None);
        assert_eq!(percent(0, 0), None);
        assert_eq!(countback_dso(0, &[(0, 31)]), Some(0.0));
        assert_eq!(countback_dso(500, &[(100, 31), (100, 28)]), None);
        assert_eq!(
            countback_dso(150, &[(0, 31), (100, 28), (100, 31)]),
            Some(31.0 + 28.0 + 15.5)
        );
    }

    proptest! {
        #[test]
        fn add_is_dso_less_best_possible_and_best_possible_never_exceeds_dso(
            receivables in 0i64..1_000_000_000,
            current_share in 0u32..=100,
            sales in 1i64..1_000_000_000,
            days in 1u32..400,
        ) {
            let current = receivables / 100 * i64::from(current_share);
            let dso_value = dso(receivables, sales, f64::from(days)).unwrap();
            let best = dso(current, sales, f64::from(days)).unwrap();
            prop_assert!(best <= dso_value + 1e-9);
            prop_assert!((dso_value - best - dso(receivables - current, sales, f64::from(days)).unwrap()).abs() < 1e-6);
        }

        #[test]
        fn cei_is_at_most_100_when_ending_receivables_cover_the_current(
            beginning in 0i64..1_000_000_000,
            sales in 0i64..1_000_000_000,
            months in 1u32..13,
            ending in 0i64..1_000_000_000,
            current_share in 0u32..=100,
        ) {
            let current = ending / 100 * i64::from(current_share);
            if let Some(value) = cei(beginning, sales, months, ending, current) {
                let denominator = beginning as f64 + sales as f64 / f64::from(months) - current as f64;
                if denominator > 0.0 {
                    prop_assert!(value <= 100.0 + 1e-9);
                }
            }
        }

        #[test]
        fn countback_never_exceeds_the_days_walked_and_grows_with_receivables(
            sales in proptest::collection::vec(0i64..1_000_000, 3..24),
            receivables in 0i64..5_000_000,
            more in 0i64..1_000_000,
        ) {
            let months: Vec<(i64, i64)> = sales.iter().map(|s| (*s, 30)).collect();
            let total_days = 30.0 * months.len() as f64;
            if let Some(days) = countback_dso(receivables, &months) {
                prop_assert!((0.0..=total_days).contains(&days));
                if let Some(larger) = countback_dso(receivables + more, &months) {
                    prop_assert!(larger + 1e-9 >= days);
                }
            }
        }

        #[test]
        fn windows_are_contiguous_and_a_quarter_of_month_ends_is_its_calendar_days(
            year in 2000i16..2100, month in 1i8..=12, day in 1i8..=31,
        ) {
            let Ok(as_of) = Date::new(year, month, day) else { return Ok(()); };
            let windows = month_windows(as_of, 6);
            prop_assert_eq!(windows[0].end, as_of);
            for pair in windows.windows(2) {
                prop_assert_eq!(pair[0].start, pair[1].end);
                prop_assert!(pair[0].days() >= 28 && pair[0].days() <= 31);
            }
        }
    }
}
