//! Aging: open debit items in buckets by days past due, with open credits beside them.
//!
//! As ACCOUNTING.md fixes: an item's balance as of a date is the sum of its postings dated on or
//! before it; items issued after the as-of date are not there; debit items go into buckets by
//! days past due (as-of date minus due date, or minus invoice date when aging by invoice date);
//! open credits (unapplied cash, unused credit memos) stand beside the buckets, and the net is
//! the buckets minus the credits. Totals are per currency, never across.
//!
//! The store may sum balances per bucket itself (see [`AgingPolicy::bucket_floors`]) and hand
//! the sums to [`AgingReport::from_bucket_sums`]; both ways give the same report.

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::currency::Currency;
use crate::document::ItemKind;
use crate::ids::{CustomerId, ItemId};
use crate::money::{Money, MoneyError};

/// The most buckets a policy may have: enough for weekly buckets over a quarter.
pub const MAX_AGING_BUCKETS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgingBasis {
    DueDate,
    InvoiceDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingPolicy {
    basis: AgingBasis,
    /// Upper day bounds of the past-due buckets: `[30, 60, 90]` gives 1–30, 31–60, 61–90, 90+.
    edges: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgingPolicyError {
    #[error("bucket edges must be positive and strictly increasing, like 30,60,90")]
    NotIncreasing,
    #[error("at most {MAX_AGING_BUCKETS} buckets")]
    TooMany,
}

impl AgingPolicy {
    pub fn new(basis: AgingBasis, edges: Vec<u32>) -> Result<Self, AgingPolicyError> {
        if edges.len() + 2 > MAX_AGING_BUCKETS {
            return Err(AgingPolicyError::TooMany);
        }
        if edges.first() == Some(&0) || edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err(AgingPolicyError::NotIncreasing);
        }
        Ok(AgingPolicy { basis, edges })
    }

    /// Current / 1–30 / 31–60 / 61–90 / 90+ by due date.
    pub fn standard(basis: AgingBasis) -> Self {
        AgingPolicy::new(basis, vec![30, 60, 90]).expect("the standard edges are valid")
    }

    pub fn basis(&self) -> AgingBasis {
        self.basis
    }

    pub fn bucket_count(&self) -> usize {
        self.edges.len() + 2
    }

    /// Column names: `current`, `1-30`, `31-60`, `61-90`, `90+`.
    pub fn bucket_labels(&self) -> Vec<String> {
        let mut labels = vec!["current".to_string()];
        let mut low = 1;
        for edge in &self.edges {
            labels.push(format!("{low}-{edge}"));
            low = edge + 1;
        }
        labels.push(format!("{}+", low - 1));
        labels
    }

    /// The bucket of an item `days` past its basis date (zero or less is current).
    pub fn bucket_for_days(&self, days: i64) -> usize {
        if days <= 0 {
            return 0;
        }
        1 + self
            .edges
            .iter()
            .take_while(|edge| days > i64::from(**edge))
            .count()
    }

    pub fn basis_date(&self, issue_date: Date, due_date: Date) -> Date {
        match self.basis {
            AgingBasis::DueDate => due_date,
            AgingBasis::InvoiceDate => issue_date,
        }
    }

    /// For each bucket but the last, the earliest basis date that still falls in it as of
    /// `as_of`: an item is in the first bucket whose floor its basis date reaches. Lets a store
    /// bucket by comparing dates, with no date arithmetic of its own.
    pub fn bucket_floors(&self, as_of: Date) -> Vec<Date> {
        std::iter::once(0)
            .chain(self.edges.iter().copied())
            .map(|days| {
                as_of
                    .checked_sub(jiff::Span::new().days(i64::from(days)))
                    .unwrap_or(Date::MIN)
            })
            .collect()
    }
}

impl AgingPolicy {
    /// The basis dates bucket `bucket` holds as of `as_of`: from the first (inclusive; `None`
    /// for the oldest bucket) until the second (exclusive; `None` for the current bucket). An
    /// item is in the bucket exactly when [`AgingPolicy::bucket_for_days`] puts it there.
    pub fn bucket_range(&self, as_of: Date, bucket: usize) -> (Option<Date>, Option<Date>) {
        let floors = self.bucket_floors(as_of);
        let from = floors.get(bucket).copied();
        let until = bucket.checked_sub(1).and_then(|b| floors.get(b).copied());
        (from, until)
    }
}

/// An open item as of the aging date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingItem {
    pub customer: CustomerId,
    pub item: ItemId,
    pub number: String,
    pub kind: ItemKind,
    pub issue_date: Date,
    pub due_date: Date,
    /// Balance as of the aging date: positive owed, negative unused credit.
    pub balance: Money,
}

/// One customer's (in one currency) aging.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgingRow {
    /// `None` on a currency's total row.
    pub customer: Option<CustomerId>,
    pub currency: Currency,
    pub buckets: Vec<Money>,
    /// The buckets' sum: open debit items.
    pub total: Money,
    /// Open credits (unapplied cash and unused credit memos), as a positive amount.
    pub unapplied: Money,
    /// `total - unapplied`.
    pub net: Money,
    /// The part of `total` held in active disputes (see [`AgingReport::with_disputed`]): shown
    /// apart, still counted in its buckets. `None` in an aging frozen before disputes were
    /// shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disputed: Option<Money>,
}

/// A debit item's place in the aging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingDetailLine {
    pub item: AgingItem,
    pub days_past_due: i64,
    pub bucket: usize,
}

/// A bucket total computed elsewhere (by the store): sum of the as-of balances of one customer's
/// open debit items in one currency and bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSum {
    pub customer: CustomerId,
    pub currency: Currency,
    pub bucket: usize,
    pub amount: Money,
}

/// An open credit as of the aging date, positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenCredit {
    pub customer: CustomerId,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgingReport {
    pub as_of: Date,
    pub labels: Vec<String>,
    /// One row per customer and currency with a non-zero total or credit, by customer id.
    pub rows: Vec<AgingRow>,
    /// One row per currency, by currency code.
    pub totals: Vec<AgingRow>,
}

/// Days past the basis date, as of `as_of` (negative: not yet due).
pub fn days_past(policy: &AgingPolicy, item: &AgingItem, as_of: Date) -> i64 {
    let basis = policy.basis_date(item.issue_date, item.due_date);
    // Date subtraction yields whole days, which always fit: the calendar spans ~7.3 M days.
    i64::from((as_of - basis).get_days())
}

/// The debit items in the aging as of `as_of`, each with its bucket.
pub fn age_detail(
    policy: &AgingPolicy,
    as_of: Date,
    items: impl IntoIterator<Item = AgingItem>,
) -> Vec<AgingDetailLine> {
    items
        .into_iter()
        .filter(|item| {
            item.kind.is_debit() && item.issue_date <= as_of && item.balance.is_positive()
        })
        .map(|item| {
            let days_past_due = days_past(policy, &item, as_of);
            AgingDetailLine {
                bucket: policy.bucket_for_days(days_past_due),
                days_past_due,
                item,
            }
        })
        .collect()
}

/// Ages items whose balances are already as of `as_of`; credit items count as open credits
/// beside `credits` (unapplied cash).
pub fn age(
    policy: &AgingPolicy,
    as_of: Date,
    items: impl IntoIterator<Item = AgingItem>,
    credits: impl IntoIterator<Item = OpenCredit>,
) -> Result<AgingReport, MoneyError> {
    let items: Vec<AgingItem> = items
        .into_iter()
        .filter(|i| i.issue_date <= as_of)
        .collect();
    let mut credits: Vec<OpenCredit> = credits.into_iter().collect();
    credits.extend(
        items
            .iter()
            .filter(|i| !i.kind.is_debit() && i.balance.is_negative())
            .map(|i| OpenCredit {
                customer: i.customer,
                amount: Money::new(-i.balance.minor(), i.balance.currency()),
            }),
    );
    let sums = age_detail(policy, as_of, items)
        .into_iter()
        .map(|line| BucketSum {
            customer: line.item.customer,
            currency: line.item.balance.currency(),
            bucket: line.bucket,
            amount: line.item.balance,
        });
    AgingReport::from_bucket_sums(policy, as_of, sums, credits)
}

impl AgingReport {
    /// Assembles rows and per-currency totals from bucket sums and open credits.
    pub fn from_bucket_sums(
        policy: &AgingPolicy,
        as_of: Date,
        sums: impl IntoIterator<Item = BucketSum>,
        credits: impl IntoIterator<Item = OpenCredit>,
    ) -> Result<AgingReport, MoneyError> {
        let width = policy.bucket_count();
        let mut rows: BTreeMap<(CustomerId, Currency), AgingRow> = BTreeMap::new();
        let blank = |customer: Option<CustomerId>, currency: Currency| AgingRow {
            customer,
            currency,
            buckets: vec![Money::zero(currency); width],
            total: Money::zero(currency),
            unapplied: Money::zero(currency),
            net: Money::zero(currency),
            disputed: None,
        };
        for sum in sums {
            let row = rows
                .entry((sum.customer, sum.currency))
                .or_insert_with(|| blank(Some(sum.customer), sum.currency));
            let bucket = sum.bucket.min(width - 1);
            row.buckets[bucket] = row.buckets[bucket].checked_add(sum.amount)?;
            row.total = row.total.checked_add(sum.amount)?;
        }
        for credit in credits {
            let currency = credit.amount.currency();
            let row = rows
                .entry((credit.customer, currency))
                .or_insert_with(|| blank(Some(credit.customer), currency));
            row.unapplied = row.unapplied.checked_add(credit.amount)?;
        }
        let mut totals: BTreeMap<Currency, AgingRow> = BTreeMap::new();
        let mut kept = Vec::with_capacity(rows.len());
        for (_, mut row) in rows {
            if row.total.is_zero() && row.unapplied.is_zero() {
                continue;
            }
            row.net = row.total.checked_sub(row.unapplied)?;
            let total = totals
                .entry(row.currency)
                .or_insert_with(|| blank(None, row.currency));
            for (sum, amount) in total.buckets.iter_mut().zip(&row.buckets) {
                *sum = sum.checked_add(*amount)?;
            }
            total.total = total.total.checked_add(row.total)?;
            total.unapplied = total.unapplied.checked_add(row.unapplied)?;
            total.net = total.net.checked_add(row.net)?;
            kept.push(row);
        }
        Ok(AgingReport {
            as_of,
            labels: policy.bucket_labels(),
            rows: kept,
            totals: totals.into_values().collect(),
        })
    }
}

/// What active disputes hold on one customer's open items in one currency, positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisputedSum {
    pub customer: CustomerId,
    pub amount: Money,
}

impl AgingReport {
    /// Sets each row's and each currency total's `disputed` figure. The buckets do not change:
    /// a disputed amount is still owed and still ages, it is only not chased. A customer with
    /// no row (nothing open as of the date) gets none.
    pub fn with_disputed(
        mut self,
        disputed: impl IntoIterator<Item = DisputedSum>,
    ) -> Result<AgingReport, MoneyError> {
        let mut sums: BTreeMap<(CustomerId, Currency), Money> = BTreeMap::new();
        for sum in disputed {
            let key = (sum.customer, sum.amount.currency());
            let total = sums.entry(key).or_insert(Money::zero(key.1));
            *total = total.checked_add(sum.amount)?;
        }
        for total in &mut self.totals {
            total.disputed = Some(Money::zero(total.currency));
        }
        for row in &mut self.rows {
            let Some(customer) = row.customer else {
                continue;
            };
            let amount = sums
                .get(&(customer, row.currency))
                .copied()
                .unwrap_or(Money::zero(row.currency));
            row.disputed = Some(amount);
            if let Some(total) = self.totals.iter_mut().find(|t| t.currency == row.currency) {
                let sum = total.disputed.unwrap_or(Money::zero(row.currency));
                total.disputed = Some(sum.checked_add(amount)?);
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    proptest! {
        /// A basis date falls in a bucket's range exactly when its days past put it in that
        /// bucket: the drill-down's ranges and the aging's buckets never disagree.
        #[test]
        fn bucket_ranges_hold_what_bucket_for_days_puts_there(
            edges in proptest::collection::btree_set(1u32..400, 0..5),
            days in -500i64..1000,
        ) {
            let policy = AgingPolicy::new(AgingBasis::DueDate, edges.into_iter().collect()).unwrap();
            let as_of = date(2026, 6, 30);
            let basis = as_of.checked_sub(jiff::Span::new().days(days)).unwrap();
            for bucket in 0..policy.bucket_count() {
                let (from, until) = policy.bucket_range(as_of, bucket);
                let inside = from.is_none_or(|f| basis >= f) && until.is_none_or(|u| basis < u);
                prop_assert_eq!(inside, policy.bucket_for_days(days) == bucket, "bucket {}", bucket);
            }
        }
    }

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn item(customer: i64, due: Date, balance: Money) -> AgingItem {
        AgingItem {
            customer: CustomerId(customer),
            item: ItemId(0),
            number: "X".into(),
            kind: ItemKind::Invoice,
            issue_date: date(2026, 1, 1),
            due_date: due,
            balance,
        }
    }

    #[test]
    fn bucket_edges_are_inclusive_upper_bounds() {
        let policy = AgingPolicy::standard(AgingBasis::DueDate);
        let expected = [
            (-5, 0),
            (0, 0),
            (1, 1),
            (30, 1),
            (31, 2),
            (60, 2),
            (61, 3),
            (90, 3),
            (91, 4),
            (900, 4),
        ];
        for (days, bucket) in expected {
            assert_eq!(policy.bucket_for_days(days), bucket, "{days} days");
        }
        assert_eq!(
            policy.bucket_labels(),
            ["current", "1-30", "31-60", "61-90", "90+"]
        );
    }

    #[test]
    fn floors_agree_with_day_counting() {
        let policy = AgingPolicy::new(AgingBasis::DueDate, vec![15, 45]).unwrap();
        let as_of = date(2026, 3, 31);
        let floors = policy.bucket_floors(as_of);
        let mut due = date(2025, 12, 1);
        while due <= date(2026, 5, 1) {
            let by_days = policy.bucket_for_days(days_past(&policy, &item(1, due, usd(1)), as_of));
            let by_floors = floors
                .iter()
                .position(|floor| due >= *floor)
                .unwrap_or(floors.len());
            assert_eq!(by_days, by_floors, "due {due}");
            due = due.tomorrow().unwrap();
        }
    }

    #[test]
    fn report_keeps_currencies_apart_and_nets_credits() {
        let policy = AgingPolicy::standard(AgingBasis::DueDate);
        let as_of = date(2026, 3, 31);
        let eur = |m| Money::new(m, Currency::EUR);
        let items = vec![
            item(1, date(2026, 4, 10), usd(10_000)),
            item(1, date(2026, 3, 1), usd(5_000)),
            item(1, date(2025, 11, 1), usd(2_500)),
            item(2, date(2026, 3, 30), eur(7_000)),
            item(3, date(2026, 3, 30), usd(0)),
        ];
        let credits = vec![OpenCredit {
            customer: CustomerId(1),
            amount: usd(1_000),
        }];
        let report = age(&policy, as_of, items, credits).unwrap();
        assert_eq!(report.rows.len(), 2);
        let first = &report.rows[0];
        assert_eq!(
            first.buckets,
            vec![usd(10_000), usd(5_000), usd(0), usd(0), usd(2_500)]
        );
        assert_eq!(
            (first.total, first.unapplied, first.net),
            (usd(17_500), usd(1_000), usd(16_500))
        );
        assert_eq!(report.totals.len(), 2);
        assert_eq!(report.totals[0].currency, Currency::EUR);
        assert_eq!(report.totals[0].total, eur(7_000));
    }

    #[test]
    fn future_items_and_credit_memos() {
        let policy = AgingPolicy::standard(AgingBasis::DueDate);
        let mut future = item(1, date(2026, 5, 1), usd(100));
        future.issue_date = date(2026, 4, 1);
        let mut credit = item(1, date(2026, 3, 1), usd(-300));
        credit.kind = ItemKind::CreditMemo;
        let report = age(&policy, date(2026, 3, 31), vec![future, credit], vec![]).unwrap();
        assert_eq!(report.rows[0].total, usd(0));
        assert_eq!(report.rows[0].unapplied, usd(300));
        assert_eq!(report.rows[0].net, usd(-300));
    }

    #[test]
    fn disputed_amounts_stand_apart_from_the_buckets() {
        let policy = AgingPolicy::standard(AgingBasis::DueDate);
        let items = vec![
            item(1, date(2026, 3, 1), usd(5_000)),
            item(2, date(2026, 3, 1), usd(7_000)),
        ];
        let plain = age(&policy, date(2026, 3, 31), items, vec![]).unwrap();
        let disputed = plain
            .clone()
            .with_disputed([
                DisputedSum {
                    customer: CustomerId(1),
                    amount: usd(1_500),
                },
                DisputedSum {
                    customer: CustomerId(1),
                    amount: usd(500),
                },
                DisputedSum {
                    customer: CustomerId(9),
                    amount: usd(100),
                },
            ])
            .unwrap();
        assert_eq!(disputed.rows[0].disputed, Some(usd(2_000)));
        assert_eq!(disputed.rows[1].disputed, Some(usd(0)));
        assert_eq!(disputed.totals[0].disputed, Some(usd(2_000)));
        for (with, without) in disputed.rows.iter().zip(&plain.rows) {
            assert_eq!(with.buckets, without.buckets);
            assert_eq!((with.total, with.net), (without.total, without.net));
        }
    }
}
