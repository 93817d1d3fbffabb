//! Late-payment interest: reference rates, the entity's charging policy, which preset applies to
//! which customer, the interest run (shown always, posted as debit memos only when asked and
//! allowed), and applying a payment in the legal order (costs, interest, principal).
//!
//! Settings (per entity): `interest.charge` (`on` / `off`, off by default), `interest.customer.
//! CODE` and `interest.country.CC` (a preset or `none`), which win over the default mapping of
//! the customer's country ([`Preset::for_country`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use settle_core::audit_chain::Target;
use settle_core::document::ItemKind;
use settle_core::events::DiscountPolicy;
use settle_core::ids::{CustomerId, PaymentId};
use settle_core::interest::{
    BalanceChange, Claim, Preset, ReferenceRates, interest_between, legal_order, parse_percent,
};
use settle_core::reason::ReasonCode;
use settle_core::{Date, Money};
use settle_store::{InterestCandidate, NewInterestCharge, Tx};

use crate::Change;
use crate::error::{invalid, not_found};
use crate::ops::{ApplyRequest, ApplySource, MemoRequest, apply_in, issue_memo_in};
use crate::{Applied, Outcome, ServiceError, ServiceResult, Settle};

const CHARGE_SETTING: &str = "interest.charge";
const CUSTOMER_PREFIX: &str = "interest.customer.";
const COUNTRY_PREFIX: &str = "interest.country.";

/// Whom a preset assignment is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresetTarget {
    Customer(String),
    Country(String),
}

/// What one invoice owes for being late, over the days of this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestLine {
    pub customer: String,
    pub invoice: String,
    pub preset: String,
    pub due_date: Date,
    /// What is open on the invoice at the end of the run's last day.
    pub open: Money,
    /// The first and last day charged.
    pub from: Date,
    pub through: Date,
    pub days: i64,
    pub interest: Money,
    /// Fixed compensation, charged once per invoice (zero once charged or where the law
    /// names another currency).
    pub compensation: Money,
    /// The debit memos posted, when posted.
    pub interest_memo: Option<String>,
    pub compensation_memo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestRun {
    pub as_of: Date,
    pub charging_enabled: bool,
    pub posted: bool,
    pub lines: Vec<InterestLine>,
}

/// The applications a payment made in the legal order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalOrderApplied {
    pub payment_id: PaymentId,
    /// Each application with what it settled: `costs`, `interest` or `principal`.
    pub applications: Vec<(String, Applied)>,
    pub unapplied: Money,
}

/// Which preset applies to whom: per customer, then per country, then the country's default.
struct PresetMap {
    customers: HashMap<String, Option<Preset>>,
    countries: HashMap<String, Option<Preset>>,
}

fn preset_value(key: &str, value: &str) -> ServiceResult<Option<Preset>> {
    if value == "none" {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|e| {
        ServiceError::Refused(format!(
            "setting {key}: {e} (fix it with `settle interest assign`)"
        ))
    })
}

impl PresetMap {
    async fn load(tx: &mut Tx, settle: &Settle) -> ServiceResult<PresetMap> {
        let entity = settle.entity().id;
        let mut map = PresetMap {
            customers: HashMap::new(),
            countries: HashMap::new(),
        };
        for (code, value) in tx.settings_with_prefix(entity, CUSTOMER_PREFIX).await? {
            let preset = preset_value(&format!("{CUSTOMER_PREFIX}{code}"), &value)?;
            map.customers.insert(code, preset);
        }
        for (country, value) in tx.settings_with_prefix(entity, COUNTRY_PREFIX).await? {
            let preset = preset_value(&format!("{COUNTRY_PREFIX}{country}"), &value)?;
            map.countries.insert(country.to_ascii_uppercase(), preset);
        }
        Ok(map)
    }

    fn preset(&self, customer: &str, country: &str) -> Option<Preset> {
        if let Some(preset) = self.customers.get(customer) {
            return *preset;
        }
        match self.countries.get(&country.trim().to_ascii_uppercase()) {
            Some(preset) => *preset,
            None => Preset::for_country(country),
        }
    }
}

async fn rates_by_preset(
    tx: &mut Tx,
    settle: &Settle,
) -> ServiceResult<HashMap<Preset, ReferenceRates>> {
    let mut by_preset: HashMap<Preset, Vec<(Date, i64)>> = HashMap::new();
    for (preset, from, rate) in tx.reference_rates(settle.entity().id).await? {
        let preset: Preset = preset
            .parse()
            .map_err(|e| ServiceError::Refused(format!("interest_reference_rates.preset: {e}")))?;
        by_preset.entry(preset).or_default().push((from, rate));
    }
    Ok(by_preset
        .into_iter()
        .map(|(preset, rates)| (preset, ReferenceRates::new(rates)))
        .collect())
}

async fn charging_enabled(tx: &mut Tx, settle: &Settle) -> ServiceResult<bool> {
    let settings = tx
        .settings_with_prefix(settle.entity().id, CHARGE_SETTING)
        .await?;
    Ok(settings
        .iter()
        .any(|(rest, value)| rest.is_empty() && value == "on"))
}

/// The line one invoice gives in a run, if it owes anything.
async fn line_for(
    tx: &mut Tx,
    candidate: &InterestCandidate,
    preset: Preset,
    rates: &ReferenceRates,
    as_of: Date,
) -> ServiceResult<Option<InterestLine>> {
    let after = candidate
        .charged_through
        .map_or(candidate.due_date, |c| c.max(candidate.due_date));
    if after >= as_of {
        return Ok(None);
    }
    let history: Vec<BalanceChange> = tx
        .balance_history(candidate.item, as_of)
        .await?
        .into_iter()
        .map(|(on, balance_minor)| BalanceChange { on, balance_minor })
        .collect();
    let open_on = |day: Date| {
        history
            .iter()
            .take_while(|c| c.on <= day)
            .last()
            .map_or(0, |c| c.balance_minor)
    };
    let currency = candidate.currency;
    let first_late_day = candidate
        .due_date
        .tomorrow()
        .expect("a day follows the due date");
    let compensation = match preset.compensation(Money::new(candidate.total_minor, currency)) {
        Some(amount) if !candidate.compensated && open_on(first_late_day) > 0 => amount,
        _ => Money::zero(currency),
    };
    let charge = interest_between(preset, rates, currency, &history, after, as_of)
        .map_err(|e| ServiceError::Refused(e.to_string()))?
        .expect("there are days to charge");
    if charge.interest.is_zero() && compensation.is_zero() {
        return Ok(None);
    }
    Ok(Some(InterestLine {
        customer: candidate.customer_code.clone(),
        invoice: candidate.number.clone(),
        preset: preset.to_string(),
        due_date: candidate.due_date,
        open: Money::new(open_on(as_of), currency),
        from: charge.from,
        through: charge.through,
        days: charge.days,
        interest: charge.interest,
        compensation,
        interest_memo: None,
        compensation_memo: None,
    }))
}

/// Posts one line's debit memos (Dr A/R · Cr Interest income) and records the days charged.
async fn post_line(
    tx: &mut Tx,
    settle: &Settle,
    candidate: &InterestCandidate,
    line: &mut InterestLine,
    as_of: Date,
) -> ServiceResult<()> {
    let memo = |amount: Money, description: String| MemoRequest {
        kind: ItemKind::DebitMemo,
        customer: line.customer.clone(),
        number: None,
        amount: amount.to_decimal_string(),
        tax: None,
        currency: Some(amount.currency()),
        reason: ReasonCode::LateInterest,
        date: as_of,
        due_date: Some(as_of),
        description,
        apply_to: None,
    };
    let mut interest_item = None;
    if line.interest.is_positive() {
        let description = format!(
            "Late-payment interest on {} ({}), {} to {}, {} days",
            line.invoice, line.preset, line.from, line.through, line.days
        );
        let issued = issue_memo_in(tx, settle, &memo(line.interest, description)).await?;
        line.interest_memo = Some(issued.number);
        interest_item = Some(issued.item_id);
    }
    let mut compensation_item = None;
    if line.compensation.is_positive() {
        let description = format!(
            "Fixed compensation for the late payment of {} ({})",
            line.invoice, line.preset
        );
        let issued = issue_memo_in(tx, settle, &memo(line.compensation, description)).await?;
        line.compensation_memo = Some(issued.number);
        compensation_item = Some(issued.item_id);
    }
    tx.insert_interest_charge(
        settle.entity().id,
        &NewInterestCharge {
            item: candidate.item,
            preset: line.preset.clone(),
            charged_from: line.from,
            charged_through: line.through,
            currency: line.interest.currency(),
            interest_minor: line.interest.minor(),
            compensation_minor: line.compensation.minor(),
            interest_item,
            compensation_item,
            run_on: as_of,
        },
        settle.actor(),
    )
    .await?;
    Ok(())
}

impl Settle {
    /// Enters the reference rate of a preset in force from a day ("4.50" percent; a later
    /// entry for the same day corrects it).
    pub async fn set_reference_rate(
        &self,
        preset: &str,
        from: Date,
        rate: &str,
    ) -> ServiceResult<()> {
        let preset: Preset = preset
            .parse()
            .map_err(|e| invalid("preset", format!("{e}")))?;
        let rate = parse_percent(rate).map_err(|e| invalid("rate", e.to_string()))?;
        let mut tx = self.store().begin().await?;
        tx.put_reference_rate(
            self.entity().id,
            &preset.to_string(),
            from,
            rate,
            self.actor(),
        )
        .await?;
        let change = Change::new("set_reference_rate", Target::new("reference_rate", preset))
            .after(&json!({ "from": from.to_string(), "basis_points": rate }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every reference rate entered: (preset, in force from, basis points).
    pub async fn reference_rates(&self) -> ServiceResult<Vec<(String, Date, i64)>> {
        let mut tx = self.store().begin().await?;
        Ok(tx.reference_rates(self.entity().id).await?)
    }

    /// Switches charging late interest on or off for the entity.
    pub async fn set_interest_charging(&self, on: bool) -> ServiceResult<()> {
        let mut tx = self.store().begin().await?;
        self.change_setting(
            &mut tx,
            "set_interest_charging",
            CHARGE_SETTING,
            Some(if on { "on" } else { "off" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Says which preset (or none) applies to a customer or a country.
    pub async fn assign_interest_preset(
        &self,
        target: PresetTarget,
        preset: Option<&str>,
    ) -> ServiceResult<()> {
        let value = match preset {
            None | Some("none") => "none".to_string(),
            Some(text) => text
                .parse::<Preset>()
                .map_err(|e| invalid("preset", e.to_string()))?
                .to_string(),
        };
        let mut tx = self.store().begin().await?;
        let key = match target {
            PresetTarget::Customer(code) => {
                if tx.customer_id(self.entity().id, &code).await?.is_none() {
                    return Err(not_found(format!("customer {code:?}")));
                }
                format!("{CUSTOMER_PREFIX}{code}")
            }
            PresetTarget::Country(country) => {
                let country = country.trim().to_ascii_uppercase();
                if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(invalid(
                        "country",
                        format!("{country:?} is not an ISO 3166 code"),
                    ));
                }
                format!("{COUNTRY_PREFIX}{country}")
            }
        };
        self.change_setting(&mut tx, "assign_interest_preset", &key, Some(&value))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What overdue invoices owe in late interest and fixed compensation as of a day, since
    /// their due date or the last day charged. With `post`, and only when the entity's policy
    /// charges, each line is posted as debit memos and its days recorded, in one transaction.
    pub async fn interest_run(&self, as_of: Date, post: bool) -> ServiceResult<InterestRun> {
        let mut tx = self.store().begin().await?;
        let charging_enabled = charging_enabled(&mut tx, self).await?;
        if post && !charging_enabled {
            return Err(ServiceError::Refused(
                "this entity does not charge late interest (`settle interest policy --charge on` \
                 enables it); nothing was posted"
                    .to_string(),
            ));
        }
        let presets = PresetMap::load(&mut tx, self).await?;
        let rates = rates_by_preset(&mut tx, self).await?;
        let none = ReferenceRates::default();
        let mut lines = Vec::new();
        for candidate in tx.interest_candidates(self.entity().id, as_of).await? {
            let Some(preset) = presets.preset(&candidate.customer_code, &candidate.country) else {
                continue;
            };
            let rates = rates.get(&preset).unwrap_or(&none);
            if let Some(mut line) = line_for(&mut tx, &candidate, preset, rates, as_of).await? {
                if post {
                    post_line(&mut tx, self, &candidate, &mut line, as_of).await?;
                }
                lines.push(line);
            }
        }
        if post {
            let change = Change::new("interest_run", Target::new("interest_run", as_of))
                .after(&json!({ "lines": lines }));
            self.record_change(&mut tx, change).await?;
            tx.commit().await?;
        }
        Ok(InterestRun {
            as_of,
            charging_enabled,
            posted: post,
            lines,
        })
    }

    /// Applies a payment's unapplied cash to its customer's open items in the legal order:
    /// fixed compensation (costs) first, then late interest, then principal, each oldest due
    /// first; one application per item, all in one transaction. A payment whose payer is not
    /// identified needs `customer`, and becomes that customer's.
    pub async fn apply_in_legal_order(
        &self,
        payment: PaymentId,
        customer: Option<&str>,
        date: Date,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<LegalOrderApplied>> {
        let text = format!("{payment:?} {customer:?} {date}");
        let target = |_: &LegalOrderApplied| Target::new("payment", payment);
        self.write(
            idempotency_key,
            "apply_legal_order",
            target,
            &text,
            async |tx| {
                let entity = self.entity().id;
                let paid = tx
                    .payment_by_id(entity, payment)
                    .await?
                    .ok_or_else(|| not_found(format!("payment {payment}")))?;
                let named: Option<CustomerId> = match customer {
                    Some(code) => Some(
                        tx.customer_id(entity, code)
                            .await?
                            .ok_or_else(|| not_found(format!("customer {code:?}")))?,
                    ),
                    None => None,
                };
                let payer = match (paid.customer, named) {
                    (Some(payer), Some(named)) if payer != named => {
                        return Err(invalid(
                            "customer",
                            "the payment belongs to another customer",
                        ));
                    }
                    (Some(payer), _) => payer,
                    (None, Some(named)) => {
                        crate::matching::identify_payer(tx, self, payment, named, date).await?;
                        named
                    }
                    (None, None) => {
                        return Err(invalid(
                            "customer",
                            "the payer is not identified: name the customer",
                        ));
                    }
                };
                let memos = tx.interest_memos(entity).await?;
                let mut items = tx
                    .open_debit_items(entity, payer, Some(paid.currency))
                    .await?;
                let claim = |id| match memos.get(&id) {
                    Some(true) => Claim::Costs,
                    Some(false) => Claim::Interest,
                    None => Claim::Principal,
                };
                legal_order(&mut items, |item| {
                    (claim(item.id), item.due_date, item.issue_date)
                });
                let mut remaining = paid.unapplied;
                let mut applications = Vec::new();
                for item in items {
                    if !remaining.is_positive() {
                        break;
                    }
                    let amount = remaining.min(item.balance)?;
                    let applied = apply_in(
                        tx,
                        self,
                        &ApplyRequest {
                            source: ApplySource::Payment(payment),
                            invoice: item.number.clone(),
                            amount: Some(amount.to_decimal_string()),
                            date,
                            discount: DiscountPolicy::Never,
                        },
                    )
                    .await?;
                    remaining = applied.source_remaining;
                    let settled = match claim(item.id) {
                        Claim::Costs => "costs",
                        Claim::Interest => "interest",
                        Claim::Principal => "principal",
                    };
                    applications.push((settled.to_string(), applied));
                }
                Ok(LegalOrderApplied {
                    payment_id: payment,
                    applications,
                    unapplied: remaining,
                })
            },
        )
        .await
    }
}
