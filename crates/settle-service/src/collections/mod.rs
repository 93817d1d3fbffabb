//! Collections: the dunning run and its policies, the contact log and its guards, promises to
//! pay and payment plans, the worklist, and escalation to a manager.

pub mod contacts;
pub mod dunning;
pub mod escalation;
pub(crate) mod letters;
pub mod promises;
pub mod worklist;

pub use contacts::{CollectionSettingsView, ContactEntryView, ContactRequest, LoggedContact};
pub use dunning::{DunAction, DunBlocked, DunReport};
pub use escalation::{EscalationSummary, EscalationView};
pub use promises::{
    CommitmentsReport, InstalmentView, KeptRate, PlanRequest, PlanView, PromiseRequest, PromiseView,
};
pub use settle_store::CollectionSettings;
pub use worklist::{BUCKETS, WorklistEntry, WorklistFilter};

/// A recorded dunning action.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DunningActionView {
    pub id: i64,
    pub run_on: String,
    pub customer: String,
    pub currency: String,
    pub policy: String,
    pub level: i64,
    pub channel: String,
    pub template: String,
    pub rule: String,
    pub amount: String,
    pub status: String,
    pub outbox_id: Option<i64>,
    pub invoices: Vec<String>,
}

use jiff::civil::Date;
use settle_core::audit_chain::Target;
use settle_core::dunning::DunningPolicy;
use settle_core::{Currency, Money};

use crate::Change;
use crate::error::invalid;
use crate::{ServiceResult, Settle};

impl Settle {
    /// The dunning policies in force (the standard one when none is stored), as JSON texts.
    pub async fn dunning_policies(&self) -> ServiceResult<Vec<DunningPolicy>> {
        dunning::policies(self).await
    }

    /// Stores a policy read from JSON (replacing the one of the same name); errors name the
    /// field or the line and column.
    pub async fn put_dunning_policy(&self, json: &str) -> ServiceResult<DunningPolicy> {
        let policy = DunningPolicy::from_json(json).map_err(|e| invalid("dunning policy", e))?;
        let body = serde_json::to_string_pretty(&policy).expect("a policy serialises");
        let before = self.policy_in_force(&policy.name).await?;
        let mut tx = self.store().begin().await?;
        tx.put_dunning_policy(self.entity().id, &policy.name, &body, self.actor())
            .await?;
        let mut change = Change::new(
            "put_dunning_policy",
            Target::new("dunning_policy", &policy.name),
        )
        .after(&policy);
        if let Some(before) = &before {
            change = change.before(before);
        }
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Recorded dunning actions, newest first; one customer's or all.
    pub async fn dunning_actions(
        &self,
        customer: Option<&str>,
        limit: i64,
    ) -> ServiceResult<Vec<DunningActionView>> {
        let entity = self.entity().id;
        let customer = match customer {
            Some(code) => Some(self.customer_id(code).await?),
            None => None,
        };
        let rows = self
            .store()
            .dunning_actions(entity, customer, limit)
            .await?;
        rows.into_iter()
            .map(|row| {
                let currency = settle_core::Currency::from_code(&row.currency)
                    .map_err(|e| invalid("dunning_actions.currency", e.to_string()))?;
                Ok(DunningActionView {
                    id: row.id,
                    run_on: row.run_on,
                    customer: row.customer_code,
                    amount: settle_core::Money::new(row.amount_minor, currency).to_decimal_string(),
                    currency: row.currency,
                    policy: row.policy,
                    level: row.level,
                    channel: row.channel,
                    template: row.template,
                    rule: row.rule,
                    status: row.status,
                    outbox_id: row.outbox_id,
                    invoices: row.invoices,
                })
            })
            .collect()
    }

    /// Removes a stored policy; with none left, the standard policy applies again.
    pub async fn delete_dunning_policy(&self, name: &str) -> ServiceResult<()> {
        let before = self.policy_in_force(name).await?;
        let mut tx = self.store().begin().await?;
        if !tx.delete_dunning_policy(self.entity().id, name).await? {
            return Err(crate::error::not_found(format!("dunning policy {name:?}")));
        }
        let mut change = Change::new("delete_dunning_policy", Target::new("dunning_policy", name));
        if let Some(before) = &before {
            change = change.before(before);
        }
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The policy of that name as it stands, for the audit trail's `before`.
    async fn policy_in_force(&self, name: &str) -> ServiceResult<Option<DunningPolicy>> {
        Ok(self
            .dunning_policies()
            .await?
            .into_iter()
            .find(|policy| policy.name == name))
    }
}

/// A stored currency code, or an error naming it.
pub(crate) fn currency(code: &str) -> ServiceResult<Currency> {
    Currency::from_code(code).map_err(|e| invalid("currency", e.to_string()))
}

/// Minor units of a stored currency as a decimal.
pub(crate) fn amount_text(minor: i64, code: &str) -> ServiceResult<String> {
    Ok(Money::new(minor, currency(code)?).to_decimal_string())
}

/// The same for a summary line: an unreadable code shows the minor units rather than failing it.
pub(crate) fn money_text(minor: i64, code: &str) -> String {
    amount_text(minor, code).unwrap_or_else(|_| minor.to_string())
}

/// A date as the open-items index holds it: days since 1970-01-01.
pub(crate) fn day_number(date: Date) -> i64 {
    i64::from((date - jiff::civil::date(1970, 1, 1)).get_days())
}

/// The date of an index day number.
pub(crate) fn day_of(day: i64) -> Date {
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(day))
        .unwrap_or(jiff::civil::date(1970, 1, 1))
}
