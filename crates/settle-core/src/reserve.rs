//! The allowance for doubtful accounts: a rate per aging bucket (configured, or estimated from
//! the company's own write-off history as a loss-rate matrix) applied to the period-end aging,
//! plus specific reserves on named customers, whose items then leave the general pool so that
//! nothing is reserved twice. The adjusting entry moves the allowance from what it holds to
//! what is required; write-offs draw on it and recoveries put back what they reinstate.

use serde::Serialize;
use thiserror::Error;

use crate::accounts::{AccountRole, ChartOfAccounts};
use crate::document::ItemState;
use crate::events::Rejection;
use crate::journal::{EntryKind, JournalEntry, Posting};
use crate::money::{Rounding, round_div};
use crate::{Currency, Date, Money};

/// Rates are kept in basis points (1/100 of a percent): 2.5 % is 250.
pub const FULL_RATE: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RateError {
    #[error("{0:?}: write a rate per bucket as LABEL=PERCENT, for example current=1,1-30=2.5")]
    Malformed(String),
    #[error("{label}: {text:?} is not a percentage between 0 and 100 with at most two decimals")]
    BadPercent { label: String, text: String },
    #[error("no rate for bucket {0:?} (buckets: {1})")]
    Missing(String, String),
    #[error("{0:?} is not a bucket of the aging (buckets: {1})")]
    UnknownBucket(String, String),
}

/// Parses `current=1,1-30=2.5,…` into basis points, one per label, in the labels' order.
pub fn parse_rates(text: &str, labels: &[String]) -> Result<Vec<u32>, RateError> {
    let mut rates: Vec<Option<u32>> = vec![None; labels.len()];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (label, percent) = part
            .split_once('=')
            .ok_or_else(|| RateError::Malformed(part.to_string()))?;
        let label = label.trim();
        let index = labels
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| RateError::UnknownBucket(label.to_string(), labels.join(", ")))?;
        rates[index] = Some(parse_percent(label, percent.trim())?);
    }
    rates
        .into_iter()
        .zip(labels)
        .map(|(rate, label)| {
            rate.ok_or_else(|| RateError::Missing(label.clone(), labels.join(", ")))
        })
        .collect()
}

fn parse_percent(label: &str, text: &str) -> Result<u32, RateError> {
    let bad = || RateError::BadPercent {
        label: label.to_string(),
        text: text.to_string(),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || fraction.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let fraction: u32 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let rate = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)?;
    if rate > FULL_RATE {
        return Err(bad());
    }
    Ok(rate)
}

/// A rate in basis points as a percentage text (`250` → `2.50`).
pub fn percent_text(rate: u32) -> String {
    format!("{}.{:02}", rate / 100, rate % 100)
}

/// One bucket's balance at a past month end and how much of it was written off afterwards
/// (net of recoveries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossObservation {
    pub bucket: usize,
    pub balance_minor: i64,
    pub written_off_later_minor: i64,
}

/// One bucket of the loss-rate matrix: what it held over the observed month ends, what of that
/// was later written off, and the share in basis points (`None`: it never held a balance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LossRate {
    pub balance_minor: i128,
    pub lost_minor: i128,
    pub rate: Option<u32>,
}

/// The loss-rate matrix: per bucket, the share of balances later written off, in basis points
/// (rounded half up).
pub fn loss_rates(buckets: usize, observations: &[LossObservation]) -> Vec<LossRate> {
    let mut balance = vec![0i128; buckets];
    let mut lost = vec![0i128; buckets];
    for o in observations.iter().filter(|o| o.bucket < buckets) {
        balance[o.bucket] += i128::from(o.balance_minor.max(0));
        lost[o.bucket] += i128::from(o.written_off_later_minor.clamp(0, o.balance_minor.max(0)));
    }
    balance
        .iter()
        .zip(&lost)
        .map(|(&balance, &lost)| LossRate {
            balance_minor: balance,
            lost_minor: lost,
            rate: (balance > 0)
                .then(|| round_div(lost * i128::from(FULL_RATE), balance, Rounding::HalfUp) as u32),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketReserve {
    pub label: String,
    pub balance: Money,
    /// Basis points.
    pub rate: u32,
    pub reserve: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecificReserve {
    pub customer: String,
    /// The customer's open debit items at the period end (left out of the buckets).
    pub balance: Money,
    pub reserve: Money,
    pub reason: String,
}

/// The allowance required in one currency, and the entry that gets the books there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReserveComputation {
    pub currency: Currency,
    pub buckets: Vec<BucketReserve>,
    pub general: Money,
    pub specific: Vec<SpecificReserve>,
    /// General plus specific.
    pub required: Money,
    /// What the allowance holds before the adjustment (a credit balance, shown positive).
    pub previous: Money,
    /// Required − previous: an increase is charged to bad debt expense, a decrease released.
    pub adjustment: Money,
}

/// Computes one currency's reserve: `bucket_balances` are the general pool's balances (the
/// specifically reserved customers already left out), in the labels' order.
pub fn compute(
    currency: Currency,
    labels: &[String],
    bucket_balances: &[Money],
    rates: &[u32],
    specific: Vec<SpecificReserve>,
    previous: Money,
) -> Result<ReserveComputation, Rejection> {
    let zero = Money::zero(currency);
    let mut buckets = Vec::with_capacity(labels.len());
    let mut general = zero;
    for ((label, &balance), &rate) in labels.iter().zip(bucket_balances).zip(rates) {
        let reserve = Money::new(
            round_div(
                i128::from(balance.minor()) * i128::from(rate),
                i128::from(FULL_RATE),
                Rounding::HalfUp,
            ) as i64,
            currency,
        );
        general = general.checked_add(reserve)?;
        buckets.push(BucketReserve {
            label: label.clone(),
            balance,
            rate,
            reserve,
        });
    }
    let mut required = general;
    for s in &specific {
        required = required.checked_add(s.reserve)?;
    }
    let adjustment = required.checked_sub(previous)?;
    Ok(ReserveComputation {
        currency,
        buckets,
        general,
        specific,
        required,
        previous,
        adjustment,
    })
}

/// The adjusting entry (none when nothing changes): an increase is Dr Bad debt expense ·
/// Cr Allowance, a decrease the opposite. No A/R item moves.
pub fn adjusting_entry(
    chart: &ChartOfAccounts,
    computation: &ReserveComputation,
    date: Date,
    period: &str,
) -> Result<Option<JournalEntry>, Rejection> {
    let change = computation.adjustment;
    if change.is_zero() {
        return Ok(None);
    }
    let memo = format!(
        "bad-debt reserve {period}: allowance {} → {} {}",
        computation.previous.to_decimal_string(),
        computation.required.to_decimal_string(),
        computation.currency
    );
    let mut entry = JournalEntry::new(EntryKind::ReserveAdjustment, date, memo);
    entry.post(Posting::new(
        chart.code(AccountRole::BadDebtExpense),
        change,
    ));
    entry.post(Posting::new(
        chart.code(AccountRole::Allowance),
        change.checked_neg()?,
    ));
    Ok(Some(entry))
}

/// Recovery of a written-off amount: the item is reinstated (Dr A/R) against the account the
/// write-off was charged to (Cr Allowance, or Bad debt expense under the direct method); the
/// payment then applies as usual. At most what was written off and not yet recovered.
pub fn recover(
    chart: &ChartOfAccounts,
    item: &ItemState,
    amount: Money,
    recoverable: Money,
    charged_to: AccountRole,
    date: Date,
) -> Result<JournalEntry, Rejection> {
    if !amount.is_positive() {
        return Err(Rejection::NotPositive);
    }
    if amount.currency() != item.currency {
        return Err(Rejection::CurrencyMismatch {
            expected: item.currency,
            found: amount.currency(),
        });
    }
    if date < item.issue_date {
        return Err(Rejection::DateTooEarly {
            date,
            what: format!("the issue date of {}", item.number),
            earliest: item.issue_date,
        });
    }
    let what = format!("what was written off on {}", item.number);
    if !recoverable.is_positive() {
        return Err(Rejection::NothingOpen { what });
    }
    if amount > recoverable {
        return Err(Rejection::ExceedsOpenAmount {
            what,
            open: recoverable,
            requested: amount,
        });
    }
    let memo = format!("recovery of {} written off on {}", amount, item.number);
    let mut entry = JournalEntry::new(EntryKind::Recovery, date, memo);
    entry.post(
        Posting::new(chart.code(AccountRole::ArControl), amount).for_item(item.customer, item.id),
    );
    entry.post(Posting::new(chart.code(charged_to), amount.checked_neg()?));
    Ok(entry)
}

#[cfg(test)]
// Amounts in cents are grouped as dollars_cents (5_000_00 is 5,000.00).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels() -> Vec<String> {
        ["current", "1-30", "31-60", "61-90", "90+"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn rates_parse_per_bucket_in_basis_points() {
        let rates = parse_rates(
            "current=1, 1-30=2.5,31-60=10,61-90=25.25,90+=100",
            &labels(),
        );
        assert_eq!(rates, Ok(vec![100, 250, 1000, 2525, 10_000]));
        assert!(matches!(
            parse_rates("current=1", &labels()),
            Err(RateError::Missing(..))
        ));
        assert!(matches!(
            parse_rates("current=1,1-30=2,31-60=3,61-90=4,90+=101", &labels()),
            Err(RateError::BadPercent { .. })
        ));
        assert!(matches!(
            parse_rates("current=1.234,1-30=2,31-60=3,61-90=4,90+=5", &labels()),
            Err(RateError::BadPercent { .. })
        ));
        assert!(matches!(
            parse_rates("later=1", &labels()),
            Err(RateError::UnknownBucket(..))
        ));
        assert_eq!(percent_text(250), "2.50");
    }

    #[test]
    fn the_reserve_is_the_rates_on_the_buckets_plus_specific_reserves() {
        let usd = |minor| Money::new(minor, Currency::USD);
        let balances = [
            usd(100_000_00),
            usd(40_000_00),
            usd(10_000_00),
            usd(5_000_00),
            usd(2_000_01),
        ];
        let specific = vec![SpecificReserve {
            customer: "C9".into(),
            balance: usd(3_000_00),
            reserve: usd(1_500_00),
            reason: "insolvency filed".into(),
        }];
        let computed = compute(
            Currency::USD,
            &labels(),
            &balances,
            &[100, 300, 1000, 2500, 5000],
            specific,
            usd(2_000_00),
        )
        .unwrap();
        // 1,000 + 1,200 + 1,000 + 1,250 + 1,000.005 → 1,000.01 (half up).
        assert_eq!(computed.general, usd(5_450_01));
        assert_eq!(computed.required, usd(6_950_01));
        assert_eq!(computed.adjustment, usd(4_950_01));
        let chart = ChartOfAccounts::default();
        let entry = adjusting_entry(
            &chart,
            &computed,
            crate::Date::constant(2026, 10, 31),
            "2026-10",
        )
        .unwrap()
        .unwrap();
        assert_eq!(entry.check_balanced(), Ok(()));
        assert!(entry.postings.iter().all(|p| p.item.is_none()));
    }

    #[test]
    fn loss_rates_are_the_share_later_written_off() {
        let observations = [
            LossObservation {
                bucket: 0,
                balance_minor: 1_000_000,
                written_off_later_minor: 5_000,
            },
            LossObservation {
                bucket: 4,
                balance_minor: 30_000,
                written_off_later_minor: 10_000,
            },
            LossObservation {
                bucket: 4,
                balance_minor: 10_000,
                written_off_later_minor: 20_000,
            },
        ];
        // A write-off larger than the balance observed counts only up to that balance.
        let rates: Vec<Option<u32>> = loss_rates(5, &observations)
            .iter()
            .map(|r| r.rate)
            .collect();
        assert_eq!(rates, vec![Some(50), None, None, None, Some(5000)]);
        assert_eq!(loss_rates(5, &observations)[4].lost_minor, 20_000);
    }

    proptest! {
        #[test]
        fn the_adjustment_brings_the_allowance_to_what_is_required(
            balances in proptest::collection::vec(0i64..10_000_000_00, 5),
            rates in proptest::collection::vec(0u32..=FULL_RATE, 5),
            previous in -1_000_000_00i64..10_000_000_00,
        ) {
            let money: Vec<Money> = balances.iter().map(|m| Money::new(*m, Currency::EUR)).collect();
            let computed = compute(Currency::EUR, &labels(), &money, &rates, vec![], Money::new(previous, Currency::EUR)).unwrap();
            prop_assert_eq!(computed.previous.checked_add(computed.adjustment).unwrap(), computed.required);
            for bucket in &computed.buckets {
                // Never more than the balance, never negative, within half a cent of exact.
                prop_assert!(bucket.reserve <= bucket.balance);
                prop_assert!(!bucket.reserve.is_negative());
                let exact = i128::from(bucket.balance.minor()) * i128::from(bucket.rate);
                let diff = (i128::from(bucket.reserve.minor()) * i128::from(FULL_RATE) - exact).abs();
                prop_assert!(diff * 2 <= i128::from(FULL_RATE));
            }
            let chart = ChartOfAccounts::default();
            if let Some(entry) = adjusting_entry(&chart, &computed, crate::Date::constant(2026, 1, 31), "2026-01").unwrap() {
                prop_assert_eq!(entry.check_balanced(), Ok(()));
            } else {
                prop_assert!(computed.adjustment.is_zero());
            }
        }
    }
}
