//! Promises to pay and payment plans: recorded by a collector, judged from the cash applied to
//! the invoices they cover. A broken one resumes dunning and leaves a follow-up on the account.

use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;
use settle_core::audit_chain::Target;
use settle_core::contact::{ContactChannel, ContactDirection, NewContactEntry};
use settle_core::ids::{CustomerId, ItemId};
use settle_core::money::SignPolicy;
use settle_core::promise::{self, Instalment, PlanStatus, PromiseStatus};
use settle_core::{Currency, Money};
use settle_store::{NewPlan, NewPromise, PlanRow, PromiseRow, Tx};

use super::amount_text;
use crate::Change;
use crate::error::{invalid, not_found};
use crate::ops::parse_amount;
use crate::{ServiceError, ServiceResult, Settle};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PromiseView {
    pub id: i64,
    pub customer: String,
    pub collector: String,
    pub amount: String,
    pub currency: String,
    pub promised_on: Date,
    pub grace_days: u32,
    pub invoices: Vec<String>,
    pub status: String,
    pub paid: String,
    pub created_on: Date,
    pub created_by: String,
    pub resolved_on: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InstalmentView {
    pub seq: u32,
    pub due_on: Date,
    pub amount: String,
    pub paid: String,
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PlanView {
    pub id: i64,
    pub customer: String,
    pub total: String,
    pub currency: String,
    pub invoices: Vec<String>,
    pub grace_days: u32,
    pub status: String,
    pub paid: String,
    pub created_on: Date,
    pub created_by: String,
    pub resolved_on: Option<String>,
    pub instalments: Vec<InstalmentView>,
}

/// What judging promises and plans on a day found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CommitmentsReport {
    pub promises_kept: Vec<i64>,
    pub promises_broken: Vec<i64>,
    pub plans_completed: Vec<i64>,
    pub plans_broken: Vec<i64>,
}

impl CommitmentsReport {
    pub fn ended_promises(&self) -> Vec<i64> {
        [self.promises_kept.as_slice(), &self.promises_broken].concat()
    }

    pub fn ended_plans(&self) -> Vec<i64> {
        [self.plans_completed.as_slice(), &self.plans_broken].concat()
    }
}

/// A kept-promise rate: per customer or per collector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeptRate {
    pub key: String,
    pub kept: u64,
    pub broken: u64,
    pub open: u64,
    /// Kept ÷ (kept + broken), percent; `None` before any promise was judged.
    pub kept_rate: Option<f64>,
}

async fn numbers(
    tx: &mut Tx,
    entity: settle_core::ids::EntityId,
    items: &[ItemId],
) -> ServiceResult<Vec<String>> {
    let mut numbers = Vec::with_capacity(items.len());
    for item in items {
        numbers.push(
            tx.item_number(entity, *item)
                .await?
                .unwrap_or_else(|| format!("#{}", item.0)),
        );
    }
    Ok(numbers)
}

async fn promise_view(
    tx: &mut Tx,
    settle: &Settle,
    row: &PromiseRow,
) -> ServiceResult<PromiseView> {
    Ok(PromiseView {
        id: row.id,
        customer: row.customer_code.clone(),
        collector: row.collector.clone(),
        amount: amount_text(row.amount_minor, &row.currency)?,
        currency: row.currency.clone(),
        promised_on: row.promised_on,
        grace_days: row.grace_days,
        invoices: numbers(tx, settle.entity().id, &row.items).await?,
        status: row.status.clone(),
        paid: amount_text(row.paid_minor, &row.currency)?,
        created_on: row.created_on,
        created_by: row.created_by.clone(),
        resolved_on: row.resolved_on.clone(),
        note: row.note.clone(),
    })
}

async fn plan_view(
    tx: &mut Tx,
    settle: &Settle,
    row: &PlanRow,
    as_of: Date,
) -> ServiceResult<PlanView> {
    let paid = tx
        .cash_applied(
            settle.entity().id,
            row.customer,
            &row.items,
            row.created_on,
            as_of,
        )
        .await?;
    let (_, states) = promise::judge_plan(&row.instalments, paid, row.grace_days, as_of);
    Ok(PlanView {
        id: row.id,
        customer: row.customer_code.clone(),
        total: amount_text(row.total_minor, &row.currency)?,
        currency: row.currency.clone(),
        invoices: numbers(tx, settle.entity().id, &row.items).await?,
        grace_days: row.grace_days,
        status: row.status.clone(),
        paid: amount_text(paid.min(row.total_minor), &row.currency)?,
        created_on: row.created_on,
        created_by: row.created_by.clone(),
        resolved_on: row.resolved_on.clone(),
        instalments: states
            .iter()
            .map(|s| {
                Ok(InstalmentView {
                    seq: s.seq,
                    due_on: s.due_on,
                    amount: amount_text(s.amount, &row.currency)?,
                    paid: amount_text(s.paid, &row.currency)?,
                    late: s.late,
                })
            })
            .collect::<ServiceResult<_>>()?,
    })
}

/// The customer's open invoices named by number, all in one currency; with none named, every
/// open invoice of the customer in `default_currency` (or the customer's currency).
async fn covered_items(
    tx: &mut Tx,
    settle: &Settle,
    customer: CustomerId,
    invoices: &[String],
) -> ServiceResult<(Vec<ItemId>, Option<Currency>, i64)> {
    let mut ids = Vec::new();
    let mut currency = None;
    let mut open = 0_i64;
    for number in invoices {
        let item = tx
            .item_by_number(settle.entity().id, None, number)
            .await?
            .ok_or_else(|| not_found(format!("invoice {number:?}")))?;
        if item.customer != customer {
            return Err(invalid(
                "invoice",
                format!("{number} belongs to another customer"),
            ));
        }
        if item.balance.minor() <= 0 {
            return Err(invalid("invoice", format!("{number} is not open")));
        }
        if currency.is_some_and(|c| c != item.currency) {
            return Err(invalid(
                "invoice",
                format!(
                    "{number} is in {}, the others in another currency",
                    item.currency
                ),
            ));
        }
        currency = Some(item.currency);
        open += item.balance.minor();
        ids.push(item.id);
    }
    Ok((ids, currency, open))
}

async fn customer_id(
    tx: &mut Tx,
    settle: &Settle,
    code: &str,
) -> ServiceResult<(CustomerId, Currency)> {
    let customer = tx
        .customer_by_code(settle.entity().id, code)
        .await?
        .ok_or_else(|| not_found(format!("customer {code:?}")))?;
    Ok((customer.id, customer.details.currency))
}

/// A promise as the collector records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseRequest {
    pub customer: String,
    pub amount: String,
    pub promised_on: Date,
    pub invoices: Vec<String>,
    pub grace_days: u32,
    pub recorded_on: Date,
    pub note: String,
}

/// A payment plan as agreed: equal monthly instalments, or a schedule by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    pub customer: String,
    pub invoices: Vec<String>,
    /// The agreed total; default: what is open on the invoices.
    pub total: Option<String>,
    /// Equal monthly instalments from `first_due` …
    pub instalments: Option<u32>,
    pub first_due: Option<Date>,
    /// … or these (date, amount) by hand.
    pub schedule: Vec<(Date, String)>,
    pub grace_days: u32,
    pub agreed_on: Date,
    pub note: String,
}

impl Settle {
    /// Records a promise to pay; dunning pauses for the promised amount until it is judged.
    pub async fn promise(&self, request: &PromiseRequest) -> ServiceResult<PromiseView> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let (customer, customer_currency) = customer_id(&mut tx, self, &request.customer).await?;
        let (items, items_currency, _) =
            covered_items(&mut tx, self, customer, &request.invoices).await?;
        let cur = items_currency.unwrap_or(customer_currency);
        let amount = parse_amount("amount", &request.amount, cur, SignPolicy::Unsigned)?;
        if amount.minor() <= 0 {
            return Err(invalid("amount", "a promise is for a positive amount"));
        }
        if request.promised_on < request.recorded_on {
            return Err(invalid(
                "date",
                format!(
                    "the promised date {} is before the day it is recorded ({})",
                    request.promised_on, request.recorded_on
                ),
            ));
        }
        let id = tx
            .insert_promise(
                entity,
                &NewPromise {
                    customer,
                    amount_minor: amount.minor(),
                    currency: cur.to_string(),
                    promised_on: request.promised_on,
                    grace_days: request.grace_days,
                    items,
                    created_on: request.recorded_on,
                    created_by: self.actor().to_string(),
                    note: request.note.clone(),
                },
            )
            .await?;
        tx.insert_contact_entry(
            entity,
            &NewContactEntry {
                customer,
                occurred_at: None,
                channel: ContactChannel::Note,
                direction: ContactDirection::Internal,
                subject: format!("Promise to pay {amount} by {}", request.promised_on),
                body: request.note.clone(),
                source: "promise".into(),
                source_id: id.to_string(),
                created_by: self.actor().to_string(),
                outcome: "promised".into(),
                next_step_on: request
                    .promised_on
                    .checked_add(jiff::Span::new().days(i64::from(request.grace_days) + 1))
                    .ok(),
            },
        )
        .await?;
        let row = tx
            .promise(entity, id)
            .await?
            .ok_or_else(|| not_found(format!("promise {id}")))?;
        let view = promise_view(&mut tx, self, &row).await?;
        let change = Change::new("promise", Target::new("promise", id)).after(&view);
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Cancels an open promise (the customer withdrew it, or it was recorded in error).
    pub async fn cancel_promise(&self, id: i64, on: Date) -> ServiceResult<PromiseView> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let row = tx
            .promise(entity, id)
            .await?
            .ok_or_else(|| not_found(format!("promise {id}")))?;
        if row.status != PromiseStatus::Open.as_str() {
            return Err(ServiceError::Refused(format!(
                "promise {id} is {}: only an open promise can be cancelled",
                row.status
            )));
        }
        tx.set_promise_status(entity, id, "cancelled", row.paid_minor, Some(on))
            .await?;
        let before = json!({ "status": row.status, "paid_minor": row.paid_minor });
        let row = tx.promise(entity, id).await?.expect("just updated");
        let view = promise_view(&mut tx, self, &row).await?;
        let change = Change::new("cancel_promise", Target::new("promise", id))
            .before(&before)
            .after(&view);
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn promises(
        &self,
        status: Option<&str>,
        customer: Option<&str>,
    ) -> ServiceResult<Vec<PromiseView>> {
        if let Some(status) = status {
            status
                .parse::<PromiseStatus>()
                .map_err(|e| invalid("status", e.to_string()))?;
        }
        // One pooled connection at a time (a page reads this beside other reads), and no
        // write lock: this only reads.
        let customer = match customer {
            Some(code) => Some(self.customer_id(code).await?),
            None => None,
        };
        let rows = self
            .store()
            .promises(self.entity().id, status, customer)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.store().begin_read().await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            views.push(promise_view(&mut tx, self, row).await?);
        }
        tx.commit().await?;
        Ok(views)
    }

    /// Kept-promise rates per customer (`by_collector` false) or per collector.
    pub async fn promise_rates(&self, by_collector: bool) -> ServiceResult<Vec<KeptRate>> {
        let rows = self.store().promises(self.entity().id, None, None).await?;
        let mut rates: std::collections::BTreeMap<String, (u64, u64, u64)> = Default::default();
        for row in &rows {
            let key = if by_collector {
                if row.collector.is_empty() {
                    "(unassigned)".to_string()
                } else {
                    row.collector.clone()
                }
            } else {
                row.customer_code.clone()
            };
            let entry = rates.entry(key).or_default();
            match row.status.as_str() {
                "kept" => entry.0 += 1,
                "broken" => entry.1 += 1,
                "open" => entry.2 += 1,
                _ => {}
            }
        }
        Ok(rates
            .into_iter()
            .map(|(key, (kept, broken, open))| KeptRate {
                key,
                kept,
                broken,
                open,
                kept_rate: promise::kept_rate(kept, broken),
            })
            .collect())
    }

    /// Agrees a payment plan over open invoices; dunning pauses on them while it is active.
    pub async fn create_plan(&self, request: &PlanRequest) -> ServiceResult<PlanView> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let (customer, _) = customer_id(&mut tx, self, &request.customer).await?;
        if request.invoices.is_empty() {
            return Err(invalid(
                "invoices",
                "a plan covers at least one open invoice",
            ));
        }
        let (items, items_currency, open) =
            covered_items(&mut tx, self, customer, &request.invoices).await?;
        let cur = items_currency.expect("at least one invoice");
        let total = match &request.total {
            Some(text) => parse_amount("total", text, cur, SignPolicy::Unsigned)?,
            None => Money::new(open, cur),
        };
        if total.minor() <= 0 {
            return Err(invalid("total", "a plan is for a positive total"));
        }
        let schedule: Vec<Instalment> = match (request.instalments, &request.schedule[..]) {
            (Some(count), []) => {
                let first = request.first_due.ok_or_else(|| {
                    invalid("first-due", "equal instalments need the first due date")
                })?;
                promise::equal_schedule(total, count, first)
                    .map_err(|e| invalid("instalments", e.to_string()))?
            }
            (None, by_hand) if !by_hand.is_empty() => by_hand
                .iter()
                .enumerate()
                .map(|(index, (due_on, amount))| {
                    Ok(Instalment {
                        seq: index as u32 + 1,
                        due_on: *due_on,
                        amount: parse_amount(
                            &format!("instalment {}", index + 1),
                            amount,
                            cur,
                            SignPolicy::Unsigned,
                        )?,
                    })
                })
                .collect::<ServiceResult<_>>()?,
            _ => {
                return Err(invalid(
                    "instalments",
                    "give either a number of equal instalments or a schedule by hand, not both",
                ));
            }
        };
        promise::check_schedule(total, &schedule)
            .map_err(|e| invalid("instalments", e.to_string()))?;
        for number in &request.invoices {
            let item = tx
                .item_by_number(entity, None, number)
                .await?
                .expect("checked");
            if self
                .store()
                .plans(entity, Some("active"), Some(customer))
                .await?
                .iter()
                .any(|p| p.items.contains(&item.id))
            {
                return Err(ServiceError::Refused(format!(
                    "invoice {number} is already in an active payment plan"
                )));
            }
        }
        let id = tx
            .insert_plan(
                entity,
                &NewPlan {
                    customer,
                    total_minor: total.minor(),
                    currency: cur.to_string(),
                    items,
                    grace_days: request.grace_days,
                    created_on: request.agreed_on,
                    created_by: self.actor().to_string(),
                    note: request.note.clone(),
                    instalments: schedule
                        .iter()
                        .map(|i| (i.seq, i.due_on, i.amount.minor()))
                        .collect(),
                },
            )
            .await?;
        tx.insert_contact_entry(
            entity,
            &NewContactEntry {
                customer,
                occurred_at: None,
                channel: ContactChannel::Note,
                direction: ContactDirection::Internal,
                subject: format!(
                    "Payment plan {id}: {total} in {} instalments",
                    schedule.len()
                ),
                body: request.note.clone(),
                source: "plan".into(),
                source_id: id.to_string(),
                created_by: self.actor().to_string(),
                outcome: "plan agreed".into(),
                next_step_on: schedule.first().map(|i| i.due_on),
            },
        )
        .await?;
        let change = Change::new("create_plan", Target::new("plan", id)).after(&json!({
            "customer": request.customer,
            "total": total,
            "agreed_on": request.agreed_on.to_string(),
            "instalments": schedule
                .iter()
                .map(|i| json!({ "seq": i.seq, "due_on": i.due_on.to_string(), "amount": i.amount }))
                .collect::<Vec<_>>(),
        }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        let plan = self
            .store()
            .plans(entity, None, Some(customer))
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| not_found(format!("plan {id}")))?;
        let mut tx = self.store().begin().await?;
        let view = plan_view(&mut tx, self, &plan, request.agreed_on).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn plans(&self, as_of: Date, customer: Option<&str>) -> ServiceResult<Vec<PlanView>> {
        let customer = match customer {
            Some(code) => Some(self.customer_id(code).await?),
            None => None,
        };
        let rows = self.store().plans(self.entity().id, None, customer).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.store().begin_read().await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in &rows {
            views.push(plan_view(&mut tx, self, row, as_of).await?);
        }
        tx.commit().await?;
        Ok(views)
    }

    /// Judges open promises and active plans as of `as_of` and records the verdicts.
    pub async fn judge_commitments(&self, as_of: Date) -> ServiceResult<CommitmentsReport> {
        let mut tx = self.store().begin().await?;
        let report = judge_commitments(&mut tx, self, as_of, false).await?;
        let change =
            Change::new("judge_commitments", Target::new("commitments", as_of)).after(&report);
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// Judges every open promise and active plan; unless `dry_run`, records the verdicts and, for
/// each broken one, a follow-up note on the account for the next day.
pub(crate) async fn judge_commitments(
    tx: &mut Tx,
    settle: &Settle,
    as_of: Date,
    dry_run: bool,
) -> ServiceResult<CommitmentsReport> {
    let entity = settle.entity().id;
    let mut report = CommitmentsReport::default();
    let follow_up = as_of.tomorrow().ok();
    for promise in settle.store().promises(entity, Some("open"), None).await? {
        let until = promise
            .promised_on
            .checked_add(jiff::Span::new().days(i64::from(promise.grace_days)))
            .unwrap_or(promise.promised_on)
            .min(as_of);
        let paid = tx
            .cash_applied(
                entity,
                promise.customer,
                &promise.items,
                promise.created_on,
                until,
            )
            .await?;
        let verdict = promise::judge_promise(
            promise.amount_minor,
            paid,
            promise.promised_on,
            promise.grace_days,
            as_of,
        );
        match verdict {
            PromiseStatus::Kept => report.promises_kept.push(promise.id),
            PromiseStatus::Broken => report.promises_broken.push(promise.id),
            _ => {}
        }
        if dry_run {
            continue;
        }
        let resolved = (verdict != PromiseStatus::Open).then_some(as_of);
        tx.set_promise_status(entity, promise.id, verdict.as_str(), paid, resolved)
            .await?;
        if verdict == PromiseStatus::Broken {
            tx.insert_contact_entry(
                entity,
                &NewContactEntry {
                    customer: promise.customer,
                    occurred_at: None,
                    channel: ContactChannel::Note,
                    direction: ContactDirection::Internal,
                    subject: format!(
                        "Promise {} broken: {} of {} paid by {}",
                        promise.id,
                        amount_text(paid, &promise.currency)?,
                        amount_text(promise.amount_minor, &promise.currency)?,
                        until
                    ),
                    body: "Dunning resumes for the promised amount; follow up with the customer."
                        .into(),
                    source: "promise".into(),
                    source_id: promise.id.to_string(),
                    created_by: settle.actor().to_string(),
                    outcome: "broken promise".into(),
                    next_step_on: follow_up,
                },
            )
            .await?;
        }
    }
    for plan in settle.store().plans(entity, Some("active"), None).await? {
        let paid = tx
            .cash_applied(entity, plan.customer, &plan.items, plan.created_on, as_of)
            .await?;
        let (verdict, states) =
            promise::judge_plan(&plan.instalments, paid, plan.grace_days, as_of);
        match verdict {
            PlanStatus::Completed => report.plans_completed.push(plan.id),
            PlanStatus::Broken => report.plans_broken.push(plan.id),
            _ => continue,
        }
        if dry_run {
            continue;
        }
        tx.set_plan_status(entity, plan.id, verdict.as_str(), Some(as_of))
            .await?;
        if verdict == PlanStatus::Broken {
            let late: Vec<String> = states
                .iter()
                .filter(|s| s.late)
                .map(|s| format!("{} due {}", s.seq, s.due_on))
                .collect();
            tx.insert_contact_entry(
                entity,
                &NewContactEntry {
                    customer: plan.customer,
                    occurred_at: None,
                    channel: ContactChannel::Note,
                    direction: ContactDirection::Internal,
                    subject: format!("Payment plan {} broken", plan.id),
                    body: format!(
                        "Late instalments: {}. Dunning resumes on the plan's invoices.",
                        late.join(", ")
                    ),
                    source: "plan".into(),
                    source_id: plan.id.to_string(),
                    created_by: settle.actor().to_string(),
                    outcome: "broken plan".into(),
                    next_step_on: follow_up,
                },
            )
            .await?;
        }
    }
    Ok(report)
}
