//! The worklist: each collector's accounts ranked by a score whose parts are shown.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use settle_core::Currency;
use settle_core::ids::CustomerId;
use settle_core::worklist::{ScoreFacts, ScoreParts, score};

use super::dunning::{next_window_opening, policies, policy_of_account, time_zone_of};
use super::{day_number, money_text};
use crate::error::invalid;
use crate::{ServiceResult, Settle};

/// Which accounts to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorklistFilter {
    pub collector: Option<String>,
    pub segment: Option<String>,
    /// `current`, `1-30`, `31-60`, `61-90` or `91+`: the bucket of the oldest past-due item.
    pub bucket: Option<String>,
    /// Only accounts with (true) or without (false) an active dispute.
    pub disputed: Option<bool>,
    pub limit: Option<usize>,
}

impl WorklistFilter {
    fn passes(&self, collector: &str, segment: &str, disputed: bool, bucket: &str) -> bool {
        self.collector
            .as_ref()
            .is_none_or(|c| c.eq_ignore_ascii_case(collector))
            && self
                .segment
                .as_ref()
                .is_none_or(|s| s.eq_ignore_ascii_case(segment))
            && self.disputed.is_none_or(|d| d == disputed)
            && self.bucket.as_deref().is_none_or(|b| b == bucket)
    }
}

pub const BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "91+"];

fn bucket_of(days: i64) -> &'static str {
    match days {
        d if d <= 0 => "current",
        1..=30 => "1-30",
        31..=60 => "31-60",
        61..=90 => "61-90",
        _ => "91+",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorklistEntry {
    pub rank: usize,
    pub customer: String,
    pub name: String,
    pub collector: String,
    pub segment: String,
    pub risk_class: String,
    /// Past due per currency, decimal.
    pub past_due: Vec<(String, String)>,
    pub open: Vec<(String, String)>,
    pub days_past_due: i64,
    pub bucket: String,
    pub broken_promises: u32,
    pub limit_use_percent: Option<f64>,
    pub last_contact: Option<String>,
    pub disputed: bool,
    /// A call the dunning run asked for, at this level.
    pub call_due: Option<i64>,
    /// Whether the customer may be called now (their local contact window and the stops).
    pub callable_now: bool,
    /// Why not, when not.
    pub not_callable: Option<String>,
    pub score: ScoreParts,
}

impl Settle {
    /// The ranked worklist as of `as_of`, at `at` (for the contact windows).
    pub async fn worklist(
        &self,
        as_of: Date,
        at: Timestamp,
        filter: &WorklistFilter,
    ) -> ServiceResult<Vec<WorklistEntry>> {
        check_filter(filter)?;
        let mut entries = self.ranked(as_of, at, filter).await?;
        if let Some(limit) = filter.limit {
            entries.truncate(limit);
        }
        Ok(entries)
    }

    /// Every account with something past due or a call to make, ranked by score (highest
    /// first, then by customer code), unfiltered: what a server keeps and [`select`]s from per
    /// request.
    pub async fn rank_worklist(
        &self,
        as_of: Date,
        at: Timestamp,
    ) -> ServiceResult<Vec<WorklistEntry>> {
        self.ranked(as_of, at, &WorklistFilter::default()).await
    }

    /// The accounts that pass the filter, ranked; the filter is applied as each account is read
    /// so that a collector's worklist scores only their accounts.
    async fn ranked(
        &self,
        as_of: Date,
        at: Timestamp,
        filter: &WorklistFilter,
    ) -> ServiceResult<Vec<WorklistEntry>> {
        let entity = self.entity().id;
        let store = self.store();
        let policies = policies(self).await?;
        let half_year = as_of
            .checked_sub(jiff::Span::new().days(180))
            .map_err(|e| invalid("as-of", e.to_string()))?;
        // Independent reads of the whole book.
        let (accounts, totals, last_contacts, broken, disputed, calls) = independent_reads!(
            self;
            store.collection_accounts(entity),
            store.account_totals(entity, as_of),
            store.last_contacts(entity),
            store.broken_promise_counts(entity, half_year),
            store.disputed_customers(entity),
            store.open_call_tasks(entity),
        )?;
        let today = day_number(as_of);

        let mut per_customer: HashMap<CustomerId, Vec<&settle_store::CustomerExposure>> =
            HashMap::new();
        for total in &totals {
            per_customer.entry(total.customer).or_default().push(total);
        }
        let mut entries = Vec::new();
        for account in &accounts {
            let totals = per_customer.get(&account.id).cloned().unwrap_or_default();
            let past_due_any = totals.iter().any(|t| t.past_due_minor > 0);
            let call = calls.get(&account.id).map(|(_, level)| *level);
            if !past_due_any && call.is_none() {
                continue;
            }
            let days = totals
                .iter()
                .filter_map(|t| t.oldest_past_due_day)
                .min()
                .map_or(0, |day| today - day);
            let bucket = bucket_of(days);
            if !filter.passes(
                &account.collector,
                &account.segment,
                disputed.contains(&account.id),
                bucket,
            ) {
                continue;
            }
            let money = money_text;
            let major = |minor: i64, code: &str| {
                let exponent = Currency::from_code(code).map_or(2, |c| c.exponent());
                minor as f64 / 10f64.powi(i32::from(exponent))
            };
            let past_due_major: f64 = totals
                .iter()
                .map(|t| major(t.past_due_minor, &t.currency))
                .sum();
            let limit_use = account.credit_limit_minor.filter(|l| *l > 0).map(|limit| {
                let open: i64 = totals
                    .iter()
                    .filter(|t| t.currency == account.currency)
                    .map(|t| t.open_minor)
                    .sum();
                open as f64 / limit as f64
            });
            let last_contact = last_contacts.get(&account.id).cloned();
            let days_since_contact = last_contact.as_ref().and_then(|text| {
                let stamp: Timestamp = text.parse().ok()?;
                Some((at.as_second() - stamp.as_second()).max(0) / 86_400)
            });
            let broken_count = broken.get(&account.id).copied().unwrap_or(0);
            let parts = score(&ScoreFacts {
                past_due_major,
                days_past_due: days,
                risk: Some(account.risk),
                broken_promises: broken_count,
                limit_use,
                days_since_contact,
            });
            let not_callable = if account.bankrupt {
                Some("bankruptcy: all collection activity is stopped".to_string())
            } else if account.cease_communication {
                Some("the customer asked us to cease communication".to_string())
            } else if account.do_not_contact {
                Some("do-not-contact is set on the account".to_string())
            } else if !account.agency.is_empty() {
                Some(format!("placed with the agency {}", account.agency))
            } else {
                let balance: i64 = totals
                    .iter()
                    .filter(|t| t.currency == account.currency)
                    .map(|t| t.open_minor)
                    .sum();
                let policy = policy_of_account(&policies, account, balance);
                next_window_opening(policy, &time_zone_of(account), at)
                    .map(|opens| format!("outside the contact window: opens at {opens}"))
            };
            entries.push(WorklistEntry {
                rank: 0,
                customer: account.code.clone(),
                name: account.name.clone(),
                collector: account.collector.clone(),
                segment: account.segment.clone(),
                risk_class: account.risk.to_string(),
                past_due: totals
                    .iter()
                    .filter(|t| t.past_due_minor > 0)
                    .map(|t| (t.currency.clone(), money(t.past_due_minor, &t.currency)))
                    .collect(),
                open: totals
                    .iter()
                    .map(|t| (t.currency.clone(), money(t.open_minor, &t.currency)))
                    .collect(),
                days_past_due: days,
                bucket: bucket.to_string(),
                broken_promises: broken_count,
                limit_use_percent: limit_use.map(|u| (u * 10_000.0).round() / 100.0),
                last_contact,
                disputed: disputed.contains(&account.id),
                call_due: call,
                callable_now: not_callable.is_none(),
                not_callable,
                score: parts,
            });
        }
        entries.sort_by(|a, b| {
            b.score
                .total
                .total_cmp(&a.score.total)
                .then_with(|| a.customer.cmp(&b.customer))
        });
        for (index, entry) in entries.iter_mut().enumerate() {
            entry.rank = index + 1;
        }
        Ok(entries)
    }
}

fn check_filter(filter: &WorklistFilter) -> ServiceResult<()> {
    if let Some(bucket) = &filter.bucket
        && !BUCKETS.contains(&bucket.as_str())
    {
        return Err(invalid(
            "bucket",
            format!("{bucket:?} is not one of {}", BUCKETS.join(", ")),
        ));
    }
    Ok(())
}

/// The entries of a ranked worklist that pass the filter, in rank order, ranked again from 1
/// among themselves (a collector's first call is their rank 1).
pub fn select(
    ranked: &[WorklistEntry],
    filter: &WorklistFilter,
) -> ServiceResult<Vec<WorklistEntry>> {
    check_filter(filter)?;
    let mut selected: Vec<WorklistEntry> = ranked
        .iter()
        .filter(|e| filter.passes(&e.collector, &e.segment, e.disputed, &e.bucket))
        .take(filter.limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    for (index, entry) in selected.iter_mut().enumerate() {
        entry.rank = index + 1;
    }
    Ok(selected)
}
