//! The collection KPIs report: the store's sums per customer and currency, gathered per group
//! (the whole entity, or each collector) and handed to `settle_core::kpi`, which computes the
//! figures. Nothing is written.

use std::collections::{BTreeMap, HashMap};

use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_core::ids::CustomerId;
use settle_core::kpi::{COUNTBACK_MONTHS, DaysBasis, KpiSums, Kpis, month_windows};
use settle_core::{Currency, Date, Money};

use crate::{ServiceResult, Settle};

/// Whom the figures are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiGrouping {
    Entity,
    Collector,
}

/// The group of customers without a collector.
pub const UNASSIGNED: &str = "(none)";

/// One group's figures, one per currency.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiGroup {
    /// The collector, or the entity's code.
    pub name: String,
    pub currencies: Vec<Kpis>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KpiReport {
    pub as_of: Date,
    pub days_basis: DaysBasis,
    /// Days counted by the month's and the quarter's DSO.
    pub month_days: f64,
    pub quarter_days: f64,
    pub groups: Vec<KpiGroup>,
}

/// Sums of one group in one currency, in minor units.
#[derive(Default)]
struct Accumulator {
    receivables: i64,
    current: i64,
    receivables_month_ago: i64,
    receivables_quarter_ago: i64,
    monthly_sales: Vec<i64>,
    cash_collected_month: i64,
    promises_kept: i64,
    promises_broken: i64,
}

fn slot_of(
    sums: &mut BTreeMap<(String, Currency), Accumulator>,
    group: String,
    currency: Currency,
    months: usize,
) -> &mut Accumulator {
    let accumulator = sums.entry((group, currency)).or_default();
    accumulator.monthly_sales.resize(months, 0);
    accumulator
}

impl Settle {
    /// The KPIs as of a date, per currency, for the entity or per collector.
    pub async fn kpis(
        &self,
        as_of: Date,
        days_basis: DaysBasis,
        grouping: KpiGrouping,
    ) -> ServiceResult<KpiReport> {
        let entity = self.entity().id;
        let store = self.store();
        let windows = month_windows(as_of, COUNTBACK_MONTHS);
        let month = windows[0];
        let quarter_start = windows[2].start;
        let policy = AgingPolicy::standard(AgingBasis::DueDate);
        let collectors: HashMap<CustomerId, String> = match grouping {
            KpiGrouping::Entity => HashMap::new(),
            KpiGrouping::Collector => store
                .customer_collectors(entity)
                .await?
                .into_iter()
                .collect(),
        };
        let group_of = |customer: CustomerId| -> String {
            match grouping {
                KpiGrouping::Entity => self.entity().code.clone(),
                KpiGrouping::Collector => match collectors.get(&customer) {
                    Some(name) if !name.is_empty() => name.clone(),
                    _ => UNASSIGNED.to_string(),
                },
            }
        };
        let mut sums: BTreeMap<(String, Currency), Accumulator> = BTreeMap::new();
        let months = windows.len();
        // Receivables now and at the start of the month and of the quarter: the aging's sums.
        for sum in store.aging_bucket_sums(entity, &policy, as_of).await? {
            let a = slot_of(&mut sums, group_of(sum.customer), sum.currency, months);
            a.receivables += sum.amount.minor();
            if sum.bucket == 0 {
                a.current += sum.amount.minor();
            }
        }
        for sum in store
            .aging_bucket_sums(entity, &policy, month.start)
            .await?
        {
            slot_of(&mut sums, group_of(sum.customer), sum.currency, months)
                .receivables_month_ago += sum.amount.minor();
        }
        for sum in store
            .aging_bucket_sums(entity, &policy, quarter_start)
            .await?
        {
            slot_of(&mut sums, group_of(sum.customer), sum.currency, months)
                .receivables_quarter_ago += sum.amount.minor();
        }
        let oldest = windows[months - 1].start;
        for day in store.credit_sales_by_day(entity, oldest, as_of).await? {
            let index = windows
                .iter()
                .position(|w| w.contains(day.issued_on))
                .expect("the sales read covers exactly the windows");
            slot_of(&mut sums, group_of(day.customer), day.currency, months).monthly_sales
                [index] += day.minor;
        }
        for sum in store
            .cash_applied_between(entity, month.start, month.end)
            .await?
        {
            slot_of(&mut sums, group_of(sum.customer), sum.currency, months)
                .cash_collected_month += sum.minor;
        }
        for outcome in store
            .promises_resolved_between(entity, month.start, month.end)
            .await?
        {
            let a = slot_of(
                &mut sums,
                group_of(outcome.customer),
                outcome.currency,
                months,
            );
            a.promises_kept += outcome.kept;
            a.promises_broken += outcome.broken;
        }
        let month_days = days_basis.days(month.start, as_of, 1);
        let quarter_days = days_basis.days(quarter_start, as_of, 3);
        let month_lengths: Vec<i64> = windows.iter().map(|w| w.days()).collect();
        let mut groups: Vec<KpiGroup> = Vec::new();
        for ((name, currency), a) in sums {
            let money = |minor: i64| Money::new(minor, currency);
            let figures = Kpis::compute(
                &KpiSums {
                    currency,
                    receivables: money(a.receivables),
                    current: money(a.current),
                    receivables_month_ago: money(a.receivables_month_ago),
                    receivables_quarter_ago: money(a.receivables_quarter_ago),
                    monthly_sales: a.monthly_sales.iter().map(|m| money(*m)).collect(),
                    month_days: month_lengths.clone(),
                    cash_collected_month: money(a.cash_collected_month),
                    promises_kept: a.promises_kept,
                    promises_broken: a.promises_broken,
                },
                month_days,
                quarter_days,
            );
            match groups.last_mut() {
                Some(group) if group.name == name => group.currencies.push(figures),
                _ => groups.push(KpiGroup {
                    name,
                    currencies: vec![figures],
                }),
            }
        }
        Ok(KpiReport {
            as_of,
            days_basis,
            month_days,
            quarter_days,
            groups,
        })
    }
}
