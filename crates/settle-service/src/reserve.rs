//! The bad-debt reserve: computed from the period-end aging (rates configured, or estimated
//! from the company's write-off history), booked as one adjusting entry per currency dated the
//! period end; specific reserves per customer; recoveries of written-off amounts.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use settle_core::accounts::AccountRole;
use settle_core::aging::{self, AgingPolicy};
use settle_core::audit_chain::Target;
use settle_core::ids::{CustomerId, EntryId};
use settle_core::money::SignPolicy;
use settle_core::reason::ReasonCode;
use settle_core::reserve::{self, LossObservation, LossRate, ReserveComputation, SpecificReserve};
use settle_core::{Currency, Date, Money};

use crate::Change;
use crate::close::close_aging_policy;
use crate::error::{invalid, not_found};
use crate::ops::{Adjusted, book, record_adjustment};
use crate::{Outcome, ServiceError, ServiceResult, Settle};

/// The setting that holds the configured rates (`current=1,1-30=3,…`).
pub const RATES_SETTING: &str = "reserve.rates";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReserveMethod {
    /// The configured rate per bucket.
    Configured,
    /// Rates from the company's own history: of each bucket's balance at the month ends of the
    /// look-back, the share later written off. A bucket that never held a balance falls back to
    /// its configured rate (or 0 without one).
    History { months: u32 },
}

impl ReserveMethod {
    fn name(&self) -> String {
        match self {
            ReserveMethod::Configured => "configured".into(),
            ReserveMethod::History { months } => format!("history:{months}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReserveReport {
    pub period: String,
    pub as_of: Date,
    pub method: ReserveMethod,
    pub labels: Vec<String>,
    /// Per currency: the loss-rate matrix the history method measured.
    pub loss_rates: BTreeMap<String, Vec<LossRate>>,
    pub computations: Vec<ReserveComputation>,
    /// Per currency, the adjusting entry booked (none when nothing changed or on a dry run).
    pub entries: Vec<Option<EntryId>>,
    pub booked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecificReserveSet {
    pub id: i64,
    pub customer: String,
    pub amount: Money,
    pub effective_on: Date,
}

#[derive(Debug, Clone)]
pub struct RecoveryRequest {
    pub invoice: String,
    pub amount: String,
    pub date: Date,
    pub memo: String,
}

impl Settle {
    /// The configured rates, as text.
    pub async fn reserve_rates(&self) -> ServiceResult<Option<String>> {
        Ok(self
            .store()
            .setting(self.entity().id, RATES_SETTING)
            .await?)
    }

    /// Configures the rate per bucket (checked against the period-end aging's buckets).
    pub async fn set_reserve_rates(&self, text: &str) -> ServiceResult<Vec<u32>> {
        let labels = close_aging_policy().bucket_labels();
        let rates =
            reserve::parse_rates(text, &labels).map_err(|e| invalid("rates", e.to_string()))?;
        let canonical: Vec<String> = labels
            .iter()
            .zip(&rates)
            .map(|(l, r)| format!("{l}={}", reserve::percent_text(*r)))
            .collect();
        let mut tx = self.store().begin().await?;
        self.change_setting(
            &mut tx,
            "set_reserve_rates",
            RATES_SETTING,
            Some(&canonical.join(",")),
        )
        .await?;
        tx.commit().await?;
        Ok(rates)
    }

    /// Sets (or, with zero, ends) a customer's specific reserve from a date.
    pub async fn set_specific_reserve(
        &self,
        customer: &str,
        amount: &str,
        currency: Option<Currency>,
        reason: &str,
        effective_on: Date,
    ) -> ServiceResult<SpecificReserveSet> {
        if reason.trim().is_empty() {
            return Err(invalid("--reason", "a specific reserve needs a reason"));
        }
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let (customer_id, defaults) = tx
            .customer_by_code(entity, customer)
            .await?
            .map(|c| (c.id, c.details.currency))
            .ok_or_else(|| not_found(format!("customer {customer:?}")))?;
        let currency = currency.unwrap_or(defaults);
        let amount = Money::parse(amount, currency, SignPolicy::Unsigned)
            .map_err(|e| invalid("--amount", e.to_string()))?;
        let id = tx
            .insert_specific_reserve(
                entity,
                customer_id,
                amount,
                reason,
                effective_on,
                self.actor(),
            )
            .await?;
        let change =
            Change::new("set_specific_reserve", Target::new("customer", customer)).after(&json!({
                "specific_reserve": id,
                "amount": amount,
                "reason": reason,
                "effective_on": effective_on.to_string(),
            }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(SpecificReserveSet {
            id,
            customer: customer.to_string(),
            amount,
            effective_on,
        })
    }

    /// Computes the reserve as of the period's end and, unless `dry_run`, books the adjusting
    /// entries (dated the period end, so the period must still be open) and records the run.
    pub async fn reserve(
        &self,
        period_name: &str,
        method: ReserveMethod,
        rates_override: Option<&str>,
        dry_run: bool,
    ) -> ServiceResult<ReserveReport> {
        let entity = self.entity().id;
        let period = self.period(period_name).await?;
        let as_of = period.end;
        let policy = close_aging_policy();
        let labels = policy.bucket_labels();
        let configured = match rates_override {
            Some(text) => Some(text.to_string()),
            None => self.reserve_rates().await?,
        }
        .map(|text| {
            reserve::parse_rates(&text, &labels).map_err(|e| invalid("rates", e.to_string()))
        })
        .transpose()?;

        let items = self.store().aging_items(entity, as_of).await?;
        let lines = aging::age_detail(&policy, as_of, items);
        let specifics = self.store().specific_reserves(entity, as_of).await?;
        let specific_keys: HashSet<(CustomerId, Currency)> = specifics
            .iter()
            .map(|s| (s.customer, s.amount.currency()))
            .collect();

        // The general pool's bucket balances and the specifically reserved customers' totals.
        let mut pools: BTreeMap<Currency, Vec<i64>> = BTreeMap::new();
        let mut specific_balance: HashMap<(CustomerId, Currency), i64> = HashMap::new();
        for line in &lines {
            let currency = line.item.balance.currency();
            let key = (line.item.customer, currency);
            if specific_keys.contains(&key) {
                *specific_balance.entry(key).or_default() += line.item.balance.minor();
            } else {
                pools
                    .entry(currency)
                    .or_insert_with(|| vec![0; labels.len()])[line.bucket] +=
                    line.item.balance.minor();
            }
        }
        let chart = self.store().chart(entity).await?;
        let allowance_code = chart.code(AccountRole::Allowance).to_string();
        let allowance: HashMap<Currency, Money> = self
            .store()
            .account_balances(entity, &allowance_code, as_of)
            .await?
            .into_iter()
            .map(|m| (m.currency(), m))
            .collect();
        let mut currencies: Vec<Currency> = pools.keys().copied().collect();
        currencies.extend(specifics.iter().map(|s| s.amount.currency()));
        currencies.extend(allowance.keys().copied());
        currencies.sort_by(|a, b| a.code().cmp(b.code()));
        currencies.dedup();

        let mut loss_rates = BTreeMap::new();
        let mut computations = Vec::new();
        for currency in currencies {
            let rates: Vec<u32> = match method {
                ReserveMethod::Configured => configured.clone().ok_or_else(|| {
                    invalid(
                        "rates",
                        "no reserve rates configured: set them with `settle reserve rates current=1,1-30=3,31-60=10,61-90=25,90+=50`, pass --rates, or use --method history",
                    )
                })?,
                ReserveMethod::History { months } => {
                    let matrix = self
                        .loss_matrix(&policy, currency, as_of, months)
                        .await?;
                    let rates = matrix
                        .iter()
                        .enumerate()
                        .map(|(bucket, rate)| {
                            rate.rate.unwrap_or_else(|| {
                                configured.as_ref().map_or(0, |c| c[bucket])
                            })
                        })
                        .collect();
                    loss_rates.insert(currency.code().to_string(), matrix);
                    rates
                }
            };
            let balances: Vec<Money> = pools
                .get(&currency)
                .cloned()
                .unwrap_or_else(|| vec![0; labels.len()])
                .into_iter()
                .map(|m| Money::new(m, currency))
                .collect();
            let specific: Vec<SpecificReserve> = specifics
                .iter()
                .filter(|s| s.amount.currency() == currency)
                .map(|s| SpecificReserve {
                    customer: s.customer_code.clone(),
                    balance: Money::new(
                        specific_balance
                            .get(&(s.customer, currency))
                            .copied()
                            .unwrap_or(0),
                        currency,
                    ),
                    reserve: s.amount,
                    reason: s.reason.clone(),
                })
                .collect();
            // The allowance is a credit balance: what it holds is its negated balance.
            let previous = allowance
                .get(&currency)
                .map_or(Ok(Money::zero(currency)), |b| b.checked_neg())
                .map_err(|e| ServiceError::Refused(e.to_string()))?;
            computations.push(reserve::compute(
                currency, &labels, &balances, &rates, specific, previous,
            )?);
        }

        let mut report = ReserveReport {
            period: period.name.clone(),
            as_of,
            method,
            labels,
            loss_rates,
            entries: vec![None; computations.len()],
            computations,
            booked: false,
        };
        if dry_run {
            return Ok(report);
        }
        let mut tx = self.store().begin().await?;
        for (index, computation) in report.computations.iter().enumerate() {
            let entry = reserve::adjusting_entry(&chart, computation, as_of, &period.name)?;
            let entry_id = match entry {
                Some(entry) => Some(book(&mut tx, self, entry).await?),
                None => {
                    crate::ops::check_postable(&mut tx, self, as_of).await?;
                    None
                }
            };
            let detail = serde_json::to_string(&(
                computation,
                report.loss_rates.get(computation.currency.code()),
            ))
            .map_err(|e| ServiceError::Refused(format!("cannot record the reserve: {e}")))?;
            tx.insert_reserve_run(
                entity,
                &period.name,
                as_of,
                &report.method.name(),
                computation.required,
                computation.previous,
                computation.adjustment,
                entry_id,
                &detail,
                self.actor(),
            )
            .await?;
            report.entries[index] = entry_id;
        }
        let change = Change::new("reserve", Target::new("period", &period.name)).after(&json!({
            "as_of": as_of.to_string(),
            "method": report.method.name(),
            "computations": report.computations,
            "entries": report.entries,
        }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        report.booked = true;
        Ok(report)
    }

    /// The loss-rate matrix of one currency over the `months` month ends before `as_of`.
    async fn loss_matrix(
        &self,
        policy: &AgingPolicy,
        currency: Currency,
        as_of: Date,
        months: u32,
    ) -> ServiceResult<Vec<LossRate>> {
        let entity = self.entity().id;
        let mut observations = Vec::new();
        let mut month_end = as_of.first_of_month().yesterday().ok();
        for _ in 0..months {
            let Some(end) = month_end else { break };
            let written_off: HashMap<_, i64> = self
                .store()
                .net_write_offs_between(entity, end, as_of)
                .await?
                .into_iter()
                .collect();
            let items = self.store().aging_items(entity, end).await?;
            for line in aging::age_detail(policy, end, items) {
                if line.item.balance.currency() != currency {
                    continue;
                }
                observations.push(LossObservation {
                    bucket: line.bucket,
                    balance_minor: line.item.balance.minor(),
                    written_off_later_minor: written_off.get(&line.item.item).copied().unwrap_or(0),
                });
            }
            month_end = end.first_of_month().yesterday().ok();
        }
        Ok(reserve::loss_rates(policy.bucket_count(), &observations))
    }

    /// Reinstates a written-off amount on its invoice (Dr A/R · Cr the account the write-off
    /// was charged to), so that the customer's payment can apply as usual.
    pub async fn recover(
        &self,
        request: RecoveryRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Adjusted>> {
        let text = format!("{request:?}");
        let target = |_: &Adjusted| Target::new("invoice", &request.invoice);
        self.write(idempotency_key, "recover", target, &text, async |tx| {
            let entity = self.entity().id;
            let target = tx
                .item_by_number(
                    entity,
                    Some(settle_core::document::ItemKind::Invoice),
                    &request.invoice,
                )
                .await?
                .ok_or_else(|| not_found(format!("invoice {:?}", request.invoice)))?;
            let amount = Money::parse(&request.amount, target.currency, SignPolicy::Unsigned)
                .map_err(|e| invalid("amount", e.to_string()))?;
            let (written_off, recovered, latest) = tx.item_write_offs(entity, target.id).await?;
            let chart = tx.chart(entity).await?;
            let charged_to = match latest {
                Some(entry) => {
                    let original = tx.entry(entity, entry).await?;
                    let allowance = chart.code(AccountRole::Allowance);
                    if original.is_some_and(|e| e.postings.iter().any(|p| p.account == allowance)) {
                        AccountRole::Allowance
                    } else {
                        AccountRole::BadDebtExpense
                    }
                }
                None => AccountRole::Allowance,
            };
            let recoverable = Money::new(written_off - recovered, target.currency);
            let entry = reserve::recover(
                &chart,
                &target,
                amount,
                recoverable,
                charged_to,
                request.date,
            )?;
            let (entry_id, balance) = record_adjustment(
                tx,
                self,
                "recovery",
                &target,
                amount,
                ReasonCode::BadDebt,
                &request.memo,
                entry,
            )
            .await?;
            Ok(Adjusted {
                entry_id,
                item: target.number.clone(),
                amount,
                balance,
            })
        })
        .await
    }
}
