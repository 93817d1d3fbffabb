//! Escalation: accounts that the rules say a manager should see, each with a summary of where
//! it stands and what to do next. One open escalation per customer at a time.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;
use settle_core::audit_chain::Target;
use settle_core::dunning::{DunningPolicy, major_to_minor, policy_for};
use settle_core::ids::CustomerId;
use settle_core::{Currency, Money};
use settle_store::{CollectionAccount, CustomerExposure, EscalationRow, Tx};

use super::{day_number, money_text};
use crate::Change;
use crate::error::{invalid, not_found};
use crate::{ServiceResult, Settle};

/// What a manager reads first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationSummary {
    /// Open receivables per currency, decimal.
    pub balance: Vec<(String, String)>,
    pub past_due: Vec<(String, String)>,
    pub oldest_days_past_due: i64,
    pub contacts_last_30_days: u32,
    pub last_contact: Option<String>,
    pub open_promises: u32,
    pub broken_promises_180_days: u32,
    pub open_disputes: u32,
    pub recommended_action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationView {
    pub id: i64,
    pub customer: String,
    pub rule: String,
    pub opened_on: String,
    pub status: String,
    pub summary: EscalationSummary,
    pub closed_on: Option<String>,
    pub closed_by: Option<String>,
    pub note: String,
}

fn view(row: &EscalationRow) -> ServiceResult<EscalationView> {
    let summary = serde_json::from_str(&row.summary).map_err(|e| {
        invalid(
            "escalations.summary",
            format!("escalation {} has an unreadable summary: {e}", row.id),
        )
    })?;
    Ok(EscalationView {
        id: row.id,
        customer: row.customer_code.clone(),
        rule: row.rule.clone(),
        opened_on: row.opened_on.clone(),
        status: row.status.clone(),
        summary,
        closed_on: row.closed_on.clone(),
        closed_by: row.closed_by.clone(),
        note: row.note.clone(),
    })
}

fn recommend(days: i64, broken: u32, disputes: u32, promises: u32) -> String {
    if disputes > 0 {
        "resolve the open disputes first, then collect the undisputed balance".into()
    } else if promises > 0 {
        "watch the open promise; call on the day after it falls due".into()
    } else if broken >= 2 {
        "stop accepting promises: ask for a payment plan with a first instalment now, or place with an agency".into()
    } else if days >= 120 {
        "consider placement with a collection agency and a credit hold".into()
    } else {
        "manager's call to the customer's finance lead; consider a credit hold".into()
    }
}

/// Opens escalations for the accounts the policies' rules pick out (unless `dry_run`).
pub(crate) async fn escalate(
    tx: &mut Tx,
    settle: &Settle,
    policies: &[DunningPolicy],
    accounts: &HashMap<CustomerId, CollectionAccount>,
    totals: &[CustomerExposure],
    as_of: Date,
    dry_run: bool,
) -> ServiceResult<Vec<EscalationView>> {
    let entity = settle.entity().id;
    let store = settle.store();
    let half_year = as_of
        .checked_sub(jiff::Span::new().days(180))
        .map_err(|e| invalid("as-of", e.to_string()))?;
    let broken = store.broken_promise_counts(entity, half_year).await?;
    let mut per_customer: HashMap<CustomerId, Vec<&CustomerExposure>> = HashMap::new();
    for total in totals {
        per_customer.entry(total.customer).or_default().push(total);
    }
    let already_open: std::collections::HashSet<CustomerId> = store
        .escalations(entity, true)
        .await?
        .iter()
        .map(|e| e.customer)
        .collect();
    let mut candidates: Vec<(CustomerId, String)> = Vec::new();
    for (customer, totals) in &per_customer {
        let Some(account) = accounts.get(customer) else {
            continue;
        };
        if already_open.contains(customer) {
            continue;
        }
        let mut reason = None;
        for total in totals {
            let Ok(cur) = Currency::from_code(&total.currency) else {
                continue;
            };
            let Some(policy) = policy_for(
                policies,
                account.risk,
                &account.segment,
                total.open_minor,
                cur.exponent(),
            ) else {
                continue;
            };
            let rules = &policy.escalation;
            let days = total
                .oldest_past_due_day
                .map_or(0, |day| day_number(as_of) - day);
            let minimum = major_to_minor(&rules.min_past_due, cur.exponent());
            if rules.days_past_due > 0
                && days >= i64::from(rules.days_past_due)
                && total.past_due_minor >= minimum
                && total.past_due_minor > 0
            {
                reason = Some(format!(
                    "policy {}: {} past due, oldest {days} days (rule: {}+ days and at least {})",
                    policy.name,
                    Money::new(total.past_due_minor, cur),
                    rules.days_past_due,
                    Money::new(minimum, cur)
                ));
                break;
            }
            let count = broken.get(customer).copied().unwrap_or(0);
            if rules.broken_promises > 0 && count >= rules.broken_promises {
                reason = Some(format!(
                    "policy {}: {count} promises broken in 180 days (rule: {} or more)",
                    policy.name, rules.broken_promises
                ));
                break;
            }
        }
        if let Some(reason) = reason {
            candidates.push((*customer, reason));
        }
    }
    candidates.sort_by_key(|(customer, _)| accounts.get(customer).map(|a| a.code.clone()));
    let mut opened = Vec::new();
    let mut open_promises: HashMap<CustomerId, u32> = HashMap::new();
    for promise in store.promises(entity, Some("open"), None).await? {
        *open_promises.entry(promise.customer).or_insert(0) += 1;
    }
    let disputes = store.dispute_counts(entity).await?;
    let counts = Counts {
        broken: &broken,
        open_promises: &open_promises,
        disputes: &disputes,
    };
    for (customer, rule) in candidates {
        let summary = summarise(settle, customer, &per_customer[&customer], &counts, as_of).await?;
        let text = serde_json::to_string(&summary).expect("a summary serialises");
        let id = if dry_run {
            Some(0)
        } else {
            tx.open_escalation(entity, customer, &rule, as_of, &text)
                .await?
        };
        if let Some(id) = id {
            opened.push(EscalationView {
                id,
                customer: accounts[&customer].code.clone(),
                rule,
                opened_on: as_of.to_string(),
                status: "open".into(),
                summary,
                closed_on: None,
                closed_by: None,
                note: String::new(),
            });
        }
    }
    Ok(opened)
}

/// Per customer, read once for the whole run: broken and open promises, active disputes.
struct Counts<'a> {
    broken: &'a HashMap<CustomerId, u32>,
    open_promises: &'a HashMap<CustomerId, u32>,
    disputes: &'a HashMap<CustomerId, u32>,
}

async fn summarise(
    settle: &Settle,
    customer: CustomerId,
    totals: &[&CustomerExposure],
    counts: &Counts<'_>,
    as_of: Date,
) -> ServiceResult<EscalationSummary> {
    let entity = settle.entity().id;
    let store = settle.store();
    let money = money_text;
    let log = store.contact_log(entity, customer, 200).await?;
    let month_ago = as_of
        .checked_sub(jiff::Span::new().days(30))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let contacts_last_30_days = log
        .iter()
        .filter(|c| {
            c.direction.as_str() != "internal" && c.occurred_at.as_str() >= month_ago.as_str()
        })
        .count() as u32;
    let last_contact = log
        .iter()
        .find(|c| c.direction.as_str() != "internal")
        .map(|c| c.occurred_at.clone());
    let open_promises = counts.open_promises.get(&customer).copied().unwrap_or(0);
    let disputes = counts.disputes.get(&customer).copied().unwrap_or(0);
    let oldest = totals
        .iter()
        .filter_map(|t| t.oldest_past_due_day)
        .min()
        .map_or(0, |day| day_number(as_of) - day);
    let broken_count = counts.broken.get(&customer).copied().unwrap_or(0);
    Ok(EscalationSummary {
        balance: totals
            .iter()
            .map(|t| (t.currency.clone(), money(t.open_minor, &t.currency)))
            .collect(),
        past_due: totals
            .iter()
            .map(|t| (t.currency.clone(), money(t.past_due_minor, &t.currency)))
            .collect(),
        oldest_days_past_due: oldest,
        contacts_last_30_days,
        last_contact,
        open_promises,
        broken_promises_180_days: broken_count,
        open_disputes: disputes,
        recommended_action: recommend(oldest, broken_count, disputes, open_promises),
    })
}

impl Settle {
    pub async fn escalations(&self, open_only: bool) -> ServiceResult<Vec<EscalationView>> {
        self.store()
            .escalations(self.entity().id, open_only)
            .await?
            .iter()
            .map(view)
            .collect()
    }

    /// A manager closes an escalation with what was decided.
    pub async fn close_escalation(
        &self,
        id: i64,
        on: Date,
        note: &str,
    ) -> ServiceResult<EscalationView> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        if !tx
            .close_escalation(entity, id, on, self.actor(), note)
            .await?
        {
            return Err(not_found(format!("open escalation {id}")));
        }
        let change = Change::new("close_escalation", Target::new("escalation", id))
            .before(&json!({ "status": "open" }))
            .after(&json!({ "status": "closed", "closed_on": on.to_string(), "note": note }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        self.escalations(false)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found(format!("escalation {id}")))
    }
}
