//! Customers' collection settings and the contact log as collectors write it, with the
//! compliance guards checked before a contact.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::json;
use settle_core::audit_chain::Target;
use settle_core::contact::{ContactChannel, ContactDirection, NewContactEntry};
use settle_core::dunning::{AccountFacts, AccountStops, DunningChannel, guard};
use settle_store::{CollectionAccount, CollectionSettings, ContactLogRow};

use super::dunning::{next_window_opening, policies, policy_of_account, time_zone_of};
use crate::Change;
use crate::error::{invalid, not_found};
use crate::{ServiceResult, Settle};

/// A contact as a collector logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRequest {
    pub customer: String,
    pub channel: ContactChannel,
    pub direction: ContactDirection,
    pub subject: String,
    pub body: String,
    pub outcome: String,
    pub next_step_on: Option<Date>,
    /// When it happened; `None`: now.
    pub occurred_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LoggedContact {
    pub id: i64,
    pub customer: String,
    /// Guards that would have stopped this contact, had it been asked first (it is recorded:
    /// the log keeps what happened).
    pub warnings: Vec<String>,
    /// Call tasks from dunning that this call completed.
    pub call_tasks_closed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactEntryView {
    pub id: i64,
    pub occurred_at: String,
    pub channel: String,
    pub direction: String,
    pub subject: String,
    pub body: String,
    pub outcome: String,
    pub next_step_on: Option<String>,
    pub source: String,
    pub created_by: String,
}

impl From<&ContactLogRow> for ContactEntryView {
    fn from(row: &ContactLogRow) -> Self {
        ContactEntryView {
            id: row.id,
            occurred_at: row.occurred_at.clone(),
            channel: row.channel.to_string(),
            direction: row.direction.to_string(),
            subject: row.subject.clone(),
            body: row.body.clone(),
            outcome: row.outcome.clone(),
            next_step_on: row.next_step_on.clone(),
            source: row.source.clone(),
            created_by: row.created_by.clone(),
        }
    }
}

/// A customer's collection settings as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionSettingsView {
    pub customer: String,
    pub collector: String,
    pub segment: String,
    pub time_zone: String,
    pub do_not_contact: bool,
    pub cease_communication: bool,
    pub bankrupt: bool,
    pub credit_hold: String,
    pub agency: String,
}

impl From<&CollectionAccount> for CollectionSettingsView {
    fn from(a: &CollectionAccount) -> Self {
        CollectionSettingsView {
            customer: a.code.clone(),
            collector: a.collector.clone(),
            segment: a.segment.clone(),
            time_zone: a.time_zone.clone(),
            do_not_contact: a.do_not_contact,
            cease_communication: a.cease_communication,
            bankrupt: a.bankrupt,
            credit_hold: a.credit_hold.clone(),
            agency: a.agency.clone(),
        }
    }
}

fn dunning_channel(channel: ContactChannel) -> Option<DunningChannel> {
    match channel {
        ContactChannel::Phone => Some(DunningChannel::Phone),
        ContactChannel::Email => Some(DunningChannel::Email),
        ContactChannel::Letter => Some(DunningChannel::Letter),
        _ => None,
    }
}

impl Settle {
    async fn collection_account(&self, code: &str) -> ServiceResult<CollectionAccount> {
        let mut tx = self.store().begin().await?;
        let customer = tx
            .customer_by_code(self.entity().id, code)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        let account = tx
            .collection_account(self.entity().id, customer.id)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        tx.commit().await?;
        Ok(account)
    }

    /// Changes who collects a customer, its segment, time zone and stops.
    pub async fn set_collection_settings(
        &self,
        code: &str,
        settings: &CollectionSettings,
    ) -> ServiceResult<CollectionSettingsView> {
        if let Some(zone) = settings.time_zone.as_deref()
            && !zone.is_empty()
        {
            TimeZone::get(zone).map_err(|e| {
                invalid(
                    "time-zone",
                    format!("{zone:?} is not an IANA time zone (like Europe/Berlin): {e}"),
                )
            })?;
        }
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let customer = tx
            .customer_by_code(entity, code)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        let before = tx
            .collection_account(entity, customer.id)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        tx.set_collection_settings(entity, customer.id, settings)
            .await?;
        let account = tx
            .collection_account(entity, customer.id)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        let change = Change::new("set_collection_settings", Target::new("customer", code))
            .before(&CollectionSettingsView::from(&before))
            .after(&CollectionSettingsView::from(&account));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(CollectionSettingsView::from(&account))
    }

    pub async fn collection_settings(&self, code: &str) -> ServiceResult<CollectionSettingsView> {
        Ok(CollectionSettingsView::from(
            &self.collection_account(code).await?,
        ))
    }

    /// Whether the customer may be contacted by `channel` at `at`; the guard that forbids it.
    pub async fn contact_guard(
        &self,
        code: &str,
        channel: ContactChannel,
        at: Timestamp,
    ) -> ServiceResult<Option<String>> {
        let Some(channel) = dunning_channel(channel) else {
            return Ok(None);
        };
        let account = self.collection_account(code).await?;
        let policies = policies(self).await?;
        let home_balance = self
            .store()
            .customer_open_totals(self.entity().id, account.id)
            .await?
            .into_iter()
            .filter(|(currency, _)| *currency == account.currency)
            .map(|(_, open)| open)
            .sum();
        let policy = policy_of_account(&policies, &account, home_balance);
        let week_ago = at
            .checked_sub(jiff::SignedDuration::from_hours(24 * 7))
            .map_err(|e| invalid("at", e.to_string()))?;
        let contacts = self
            .store()
            .outbound_contacts(self.entity().id, &week_ago.to_string(), &at.to_string())
            .await?;
        let count = |c: &str| {
            contacts
                .get(&(account.id, c.to_string()))
                .copied()
                .unwrap_or(0)
        };
        let facts = AccountFacts {
            customer: account.id,
            stops: AccountStops {
                bankrupt: account.bankrupt,
                cease_communication: account.cease_communication,
                do_not_contact: account.do_not_contact,
                agency: (!account.agency.is_empty()).then(|| account.agency.clone()),
            },
            // A payment's grace pauses dunning, not a collector's call.
            last_payment_on: None,
            contacts_last_7_days: [count("phone"), count("email"), count("letter")],
            items: Vec::new(),
        };
        let as_of = at.to_zoned(TimeZone::UTC).date();
        if let Some(stop) = guard(policy, &facts, channel, as_of) {
            return Ok(Some(stop.to_string()));
        }
        if channel != DunningChannel::Letter
            && let Some(opens) = next_window_opening(policy, &time_zone_of(&account), at)
        {
            let local = opens.to_zoned(time_zone_of(&account));
            return Ok(Some(format!(
                "contact window: outside {}–{} in the customer's time zone; opens {}",
                policy.contact.window_start,
                policy.contact.window_end,
                local.strftime("%Y-%m-%d %H:%M %Z")
            )));
        }
        Ok(None)
    }

    /// Writes a contact into the log. An outbound call closes the dunning run's call tasks.
    pub async fn log_contact(&self, request: &ContactRequest) -> ServiceResult<LoggedContact> {
        if request.subject.trim().is_empty() {
            return Err(invalid("subject", "say what the contact was about"));
        }
        let at = request.occurred_at.unwrap_or_else(Timestamp::now);
        let warnings = if request.direction == ContactDirection::Outbound {
            self.contact_guard(&request.customer, request.channel, at)
                .await?
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let customer = tx
            .customer_by_code(entity, &request.customer)
            .await?
            .ok_or_else(|| not_found(format!("customer {:?}", request.customer)))?;
        let id = tx
            .insert_contact_entry(
                entity,
                &NewContactEntry {
                    customer: customer.id,
                    occurred_at: Some(at),
                    channel: request.channel,
                    direction: request.direction,
                    subject: request.subject.clone(),
                    body: request.body.clone(),
                    source: "user".into(),
                    source_id: String::new(),
                    created_by: self.actor().to_string(),
                    outcome: request.outcome.clone(),
                    next_step_on: request.next_step_on,
                },
            )
            .await?;
        let call_tasks_closed = if request.channel == ContactChannel::Phone
            && request.direction == ContactDirection::Outbound
        {
            tx.close_call_tasks(entity, customer.id).await?
        } else {
            0
        };
        let change = Change::new("log_contact", Target::new("contact", id)).after(&json!({
            "customer": request.customer,
            "channel": request.channel.to_string(),
            "direction": request.direction.to_string(),
            "subject": request.subject,
            "outcome": request.outcome,
            "call_tasks_closed": call_tasks_closed,
        }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(LoggedContact {
            id,
            customer: request.customer.clone(),
            warnings,
            call_tasks_closed,
        })
    }

    /// A customer's contact log, newest first.
    pub async fn contacts(&self, code: &str, limit: i64) -> ServiceResult<Vec<ContactEntryView>> {
        let account = self.collection_account(code).await?;
        let rows = self
            .store()
            .contact_log(self.entity().id, account.id, limit)
            .await?;
        Ok(rows.iter().map(ContactEntryView::from).collect())
    }
}
