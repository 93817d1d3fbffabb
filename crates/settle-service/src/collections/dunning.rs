//! The dunning run: judge promises and plans, decide every account's action by its policy, stop
//! what a guard forbids, record the rest with the rule that produced it, queue the emails and
//! open the escalations — one transaction, so a run is wholly there or wholly absent.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;
use serde_json::json;
use settle_core::Currency;
use settle_core::audit_chain::Target;
use settle_core::contact::{ContactChannel, ContactDirection, NewContactEntry};
use settle_core::dunning::{
    AccountFacts, AccountStops, DunnableItem, DunningChannel, DunningPolicy, Outcome,
    allocate_promise, decide, policy_for, within_window,
};
use settle_core::ids::{CustomerId, ItemId};
use settle_store::{CollectionAccount, NewDunningAction, OpenItemRow, Tx};

use super::letters::{ChasedItem, dunning_email};
use super::promises::judge_commitments;
use super::{CommitmentsReport, currency, day_of, escalation};
use crate::Change;
use crate::documents::{Printer, dunning_letter, file_name_part, render_all};
use crate::error::invalid;
use crate::outbox::{EmailRoute, email_routes, queue_emails};
use crate::templates::Templates;
use crate::{ServiceResult, Settle};

/// One action the run decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DunAction {
    pub customer_id: String,
    pub customer_name: String,
    pub currency: String,
    pub policy: String,
    pub level: u32,
    pub channel: String,
    pub template: String,
    pub rule: String,
    pub invoices: Vec<String>,
    pub amount: String,
    /// `queued` (an email in the outbox), `letter_due`, or `call_due` (a task on the worklist).
    pub status: String,
    /// For an email decided outside the customer's contact window: when it may go (UTC).
    pub send_after: Option<String>,
}

/// An action a guard stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DunBlocked {
    pub customer_id: String,
    pub currency: String,
    pub level: u32,
    pub channel: String,
    pub guard: String,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DunReport {
    pub as_of: Date,
    pub dry_run: bool,
    pub actions: Vec<DunAction>,
    pub blocked: Vec<DunBlocked>,
    pub commitments: CommitmentsReport,
    pub escalations_opened: Vec<escalation::EscalationView>,
    pub accounts_considered: usize,
}

/// The policies in force: the stored ones, or the standard one when none is stored.
pub(crate) async fn policies(settle: &Settle) -> ServiceResult<Vec<DunningPolicy>> {
    let stored = settle.store().dunning_policies(settle.entity().id).await?;
    if stored.is_empty() {
        return Ok(vec![DunningPolicy::standard()]);
    }
    stored
        .iter()
        .map(|(name, body)| {
            DunningPolicy::from_json(body)
                .map_err(|e| invalid(&format!("dunning policy {name}"), e))
        })
        .collect()
}

/// The policy that governs a customer's contacts: the one whose scope takes its account in its
/// own currency (risk class, segment, balance there), else the first in force.
pub(crate) fn policy_of_account<'p>(
    policies: &'p [DunningPolicy],
    account: &CollectionAccount,
    home_balance: i64,
) -> &'p DunningPolicy {
    let exponent = Currency::from_code(&account.currency).map_or(2, |c| c.exponent());
    policy_for(
        policies,
        account.risk,
        &account.segment,
        home_balance,
        exponent,
    )
    .unwrap_or(&policies[0])
}

/// The customer's time zone, or UTC when none (or an unknown one) is set.
pub(crate) fn time_zone_of(account: &CollectionAccount) -> TimeZone {
    if account.time_zone.is_empty() {
        return TimeZone::UTC;
    }
    TimeZone::get(&account.time_zone).unwrap_or(TimeZone::UTC)
}

/// When a message may reach a customer: `at` if it is inside their window, else the window's
/// next opening.
pub(crate) fn next_window_opening(
    policy: &DunningPolicy,
    zone: &TimeZone,
    at: Timestamp,
) -> Option<Timestamp> {
    let local = at.to_zoned(zone.clone());
    if within_window(&policy.contact, local.time()) {
        return None;
    }
    let (start, _) = policy.contact.window().ok()?;
    let today = local
        .date()
        .to_datetime(start)
        .to_zoned(zone.clone())
        .ok()?;
    let opening = if today.timestamp() > at {
        today
    } else {
        local
            .date()
            .tomorrow()
            .ok()?
            .to_datetime(start)
            .to_zoned(zone.clone())
            .ok()?
    };
    Some(opening.timestamp())
}

impl Settle {
    /// Runs dunning as of `as_of`, the run happening at `at` (for contact windows). With
    /// `dry_run` nothing is written: the report says what a run would do.
    ///
    /// Runs again from the start when it loses to a concurrent writer ([`crate::retry`]): a
    /// second run at the same time then finds the first's actions and adds nothing.
    pub async fn dun(
        &self,
        as_of: Date,
        at: Timestamp,
        dry_run: bool,
        templates: &Templates,
        attach_letters: Option<&Printer>,
    ) -> ServiceResult<DunReport> {
        crate::retry::retrying("dun", || {
            self.dun_once(as_of, at, dry_run, templates, attach_letters)
        })
        .await
    }

    /// One attempt of [`Settle::dun`].
    async fn dun_once(
        &self,
        as_of: Date,
        at: Timestamp,
        dry_run: bool,
        templates: &Templates,
        attach_letters: Option<&Printer>,
    ) -> ServiceResult<DunReport> {
        let entity = self.entity().id;
        let policies = policies(self).await?;
        check_templates(&policies, templates)?;
        let earliest_offset = policies
            .iter()
            .flat_map(|p| p.levels.iter().map(|l| l.days))
            .min()
            .unwrap_or(0);
        let due_by = as_of
            .checked_sub(jiff::Span::new().days(earliest_offset))
            .map_err(|e| invalid("as-of", e.to_string()))?;
        let max_grace = policies
            .iter()
            .map(|p| p.grace_days_after_payment)
            .max()
            .unwrap_or(0);

        let mut tx = self.store().begin().await?;
        let commitments = judge_commitments(&mut tx, self, as_of, dry_run).await?;

        let store = self.store();
        let max_level = policies.iter().map(|p| p.levels.len()).max().unwrap_or(0) as i64;
        let min_rest = policies
            .iter()
            .map(|p| p.min_days_between_levels)
            .min()
            .unwrap_or(0);
        let rested_by = as_of
            .checked_sub(jiff::Span::new().days(i64::from(min_rest)))
            .map_err(|e| invalid("as-of", e.to_string()))?;
        let since = as_of
            .checked_sub(jiff::Span::new().days(i64::from(max_grace)))
            .map_err(|e| invalid("as-of", e.to_string()))?;
        let week_ago = at
            .checked_sub(jiff::SignedDuration::from_hours(24 * 7))
            .map_err(|e| invalid("at", e.to_string()))?;
        let (week_ago, now) = (week_ago.to_string(), at.to_string());
        // Independent reads of the whole book.
        let (accounts, totals, items, disputed, payments, mut contacts) = independent_reads!(
            self;
            store.collection_accounts(entity),
            store.account_totals(entity, as_of),
            store.dunning_candidates(entity, due_by, max_level, rested_by),
            store.disputed_by_item(entity),
            store.recent_payments(entity, since, as_of),
            store.outbound_contacts(entity, &week_ago, &now),
        )?;
        let accounts: HashMap<CustomerId, CollectionAccount> =
            accounts.into_iter().map(|a| (a.id, a)).collect();
        let promised = promised_by_item(self, &items, &report_ended(&commitments)).await?;
        let planned: std::collections::HashSet<ItemId> = store
            .plans(entity, Some("active"), None)
            .await?
            .into_iter()
            .filter(|p| !commitments.ended_plans().contains(&p.id))
            .flat_map(|p| p.items)
            .collect();

        // Accounts: a customer in one currency.
        let mut grouped: HashMap<(CustomerId, String), Vec<&OpenItemRow>> = HashMap::new();
        for item in &items {
            grouped
                .entry((item.customer, item.currency.clone()))
                .or_default()
                .push(item);
        }
        let balances: HashMap<(CustomerId, String), i64> = totals
            .iter()
            .map(|t| ((t.customer, t.currency.clone()), t.open_minor))
            .collect();
        let mut keys: Vec<_> = grouped.keys().cloned().collect();
        keys.sort_by(|a, b| {
            let code = |k: &(CustomerId, String)| accounts.get(&k.0).map(|a| a.code.as_str());
            code(a).cmp(&code(b)).then(a.1.cmp(&b.1))
        });

        let mut report = DunReport {
            as_of,
            dry_run,
            actions: Vec::new(),
            blocked: Vec::new(),
            commitments,
            escalations_opened: Vec::new(),
            accounts_considered: keys.len(),
        };
        // First every account's decision, then the email routes of those that write (a few
        // queries for all of them), then the actions in account order.
        let mut decided = Vec::new();
        for key in keys {
            let Some(account) = accounts.get(&key.0) else {
                continue;
            };
            let cur = currency(&key.1)?;
            let balance = balances.get(&key).copied().unwrap_or(0);
            let Some(policy) = policy_for(
                &policies,
                account.risk,
                &account.segment,
                balance,
                cur.exponent(),
            ) else {
                continue;
            };
            let count = |channel: &str| {
                contacts
                    .get(&(account.id, channel.to_string()))
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
                last_payment_on: payments.get(&account.id).copied(),
                contacts_last_7_days: [count("phone"), count("email"), count("letter")],
                items: grouped[&key]
                    .iter()
                    .map(|item| DunnableItem {
                        id: item.id,
                        number: item.number.clone(),
                        due: day_of(item.due_day),
                        open: item.balance_minor,
                        disputed: disputed.get(&item.id).copied().unwrap_or(0),
                        promised: promised.get(&item.id).copied().unwrap_or(0),
                        in_plan: planned.contains(&item.id),
                        last_level: item.last_level.unwrap_or(0).max(0) as u32,
                        last_dunned_on: item
                            .last_dunned_on
                            .as_deref()
                            .and_then(|on| on.parse::<Date>().ok()),
                    })
                    .collect(),
            };
            let format = |minor: i64| settle_core::Money::new(minor, cur).to_string();
            let outcome = decide(policy, &facts, as_of, cur.exponent(), format);
            if let Outcome::Act(decision) = &outcome {
                // Counted at once: a second account of the customer (another currency) in
                // this run meets the cap too.
                *contacts
                    .entry((account.id, decision.channel.to_string()))
                    .or_insert(0) += u32::from(decision.channel != DunningChannel::Phone);
            }
            decided.push((key, account, cur, policy, outcome));
        }
        let mut writing: Vec<CustomerId> = decided
            .iter()
            .filter_map(|(_, account, _, _, outcome)| match outcome {
                Outcome::Act(d) if d.channel == DunningChannel::Email => Some(account.id),
                _ => None,
            })
            .collect();
        writing.dedup();
        let routes = email_routes(&mut tx, self.entity(), &writing).await?;

        let mut to_record = Vec::new();
        for (key, account, cur, policy, outcome) in decided {
            let blocked =
                |decision: &settle_core::dunning::DunningDecision, guard: String| DunBlocked {
                    customer_id: account.code.clone(),
                    currency: key.1.clone(),
                    level: decision.level,
                    channel: decision.channel.to_string(),
                    guard,
                    rule: decision.rule.clone(),
                };
            let decision = match outcome {
                Outcome::Nothing => continue,
                Outcome::Blocked(decision, guard) => {
                    report.blocked.push(blocked(&decision, guard.to_string()));
                    continue;
                }
                Outcome::Act(decision) => decision,
            };
            let route = match decision.channel {
                DunningChannel::Email => match routes.get(&account.id) {
                    Some(Ok(route)) => Some(route.clone()),
                    Some(Err(why)) => {
                        report.blocked.push(blocked(&decision, why.clone()));
                        continue;
                    }
                    None => {
                        let why = format!("customer {} was not found for its email", account.code);
                        report.blocked.push(blocked(&decision, why));
                        continue;
                    }
                },
                _ => None,
            };
            let chased: Vec<ChasedItem> = decision
                .items
                .iter()
                .map(|part| {
                    let source = grouped[&key]
                        .iter()
                        .find(|item| item.id == part.id)
                        .expect("a decided item is one of the account's");
                    ChasedItem {
                        number: part.number.clone(),
                        issue_date: day_of(source.issue_day),
                        due_date: day_of(source.due_day),
                        amount: part.amount,
                        balance: source.balance_minor,
                    }
                })
                .collect();
            let send_after = match decision.channel {
                DunningChannel::Email => next_window_opening(policy, &time_zone_of(account), at),
                _ => None,
            };
            report.actions.push(DunAction {
                customer_id: account.code.clone(),
                customer_name: account.name.clone(),
                currency: key.1.clone(),
                policy: policy.name.clone(),
                level: decision.level,
                channel: decision.channel.to_string(),
                template: decision.template.clone(),
                rule: decision.rule.clone(),
                invoices: decision.items.iter().map(|i| i.number.clone()).collect(),
                amount: settle_core::Money::new(decision.amount, cur).to_decimal_string(),
                status: action_status(decision.channel).to_string(),
                send_after: send_after.map(|t| t.to_string()),
            });
            to_record.push(Decided {
                account: account.clone(),
                currency: cur,
                policy: policy.name.clone(),
                decision,
                send_after,
                route,
                chased,
            });
        }

        report.escalations_opened =
            escalation::escalate(&mut tx, self, &policies, &accounts, &totals, as_of, dry_run)
                .await?;
        if dry_run {
            return Ok(report);
        }
        record(
            &mut tx,
            self,
            templates,
            attach_letters,
            as_of,
            at,
            to_record,
        )
        .await?;
        // One row per run, like an import: the actions themselves are in dunning_actions.
        let change = Change::new("dun", Target::new("dunning_run", as_of)).after(&json!({
            "accounts_considered": report.accounts_considered,
            "actions": report.actions.len(),
            "blocked": report.blocked.len(),
            "escalations_opened": report.escalations_opened.len(),
            "promises_kept": report.commitments.promises_kept.len(),
            "promises_broken": report.commitments.promises_broken.len(),
        }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// What an action waits for: an email in the outbox, a letter to print, a call to make.
fn action_status(channel: DunningChannel) -> &'static str {
    match channel {
        DunningChannel::Email => "queued",
        DunningChannel::Letter => "letter_due",
        DunningChannel::Phone => "call_due",
    }
}

/// An action decided, with what recording it needs.
struct Decided {
    account: CollectionAccount,
    currency: Currency,
    policy: String,
    decision: settle_core::dunning::DunningDecision,
    send_after: Option<Timestamp>,
    route: Option<EmailRoute>,
    chased: Vec<ChasedItem>,
}

/// Days a dunning letter's reader is given to pay.
const LETTER_PAY_WITHIN_DAYS: i64 = 10;

/// Renders the dunning letter of each emailed action at level 1 or above as PDF (on every
/// core) and attaches it to the action's email; a reminder before the due date goes without.
async fn attach_dunning_letters(
    settle: &Settle,
    printer: &Printer,
    emailed: &[&Decided],
    emails: &mut [settle_core::email::OutgoingEmail],
    as_of: Date,
) -> ServiceResult<()> {
    let customers: HashMap<CustomerId, settle_core::customer::Customer> = settle
        .store()
        .all_customers(settle.entity().id)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let pay_by = as_of
        .checked_add(jiff::Span::new().days(LETTER_PAY_WITHIN_DAYS))
        .map_err(|e| invalid("as-of", e.to_string()))?;
    let mut letters = Vec::new();
    let mut for_email = Vec::new();
    for (index, decided) in emailed.iter().enumerate() {
        if decided.decision.level == 0 {
            continue;
        }
        let customer = customers.get(&decided.account.id).ok_or_else(|| {
            invalid(
                "customer",
                format!("{} is not in the ledger", decided.account.code),
            )
        })?;
        letters.push(dunning_letter(
            printer,
            customer,
            decided.decision.level,
            decided.currency,
            &decided.chased,
            as_of,
            pay_by,
        )?);
        for_email.push(index);
    }
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let rendered = render_all(printer, &letters, threads)?;
    for (&index, rendered) in for_email.iter().zip(rendered) {
        let decided = emailed[index];
        emails[index]
            .attachments
            .push(settle_core::email::Attachment {
                filename: format!(
                    "dunning-{}-{as_of}-level-{}.pdf",
                    file_name_part(&decided.account.code),
                    decided.decision.level
                ),
                content_type: "application/pdf".to_string(),
                bytes: rendered.pdf,
            });
    }
    Ok(())
}

/// Every email level's template must exist before the run decides anything.
fn check_templates(policies: &[DunningPolicy], templates: &Templates) -> ServiceResult<()> {
    for policy in policies {
        for level in &policy.levels {
            if level.channel == DunningChannel::Email && !templates.has_letter(&level.template) {
                return Err(invalid(
                    &format!("dunning policy {} level {}", policy.name, level.level),
                    format!(
                        "no email template {:?} (neither built in nor in the templates directory)",
                        level.template
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Writes the actions, their contact-log entries and their emails.
async fn record(
    tx: &mut Tx,
    settle: &Settle,
    templates: &Templates,
    attach_letters: Option<&Printer>,
    as_of: Date,
    at: Timestamp,
    decided: Vec<Decided>,
) -> ServiceResult<()> {
    let entity = settle.entity().id;
    let renderer = templates.renderer()?;
    let mut emails = Vec::new();
    for decided in &decided {
        if let Some(route) = &decided.route {
            emails.push(dunning_email(
                settle,
                &renderer,
                route,
                &decided.account.code,
                decided.currency,
                &decided.decision,
                &decided.chased,
                as_of,
                decided.send_after,
            )?);
        }
    }
    if let Some(printer) = attach_letters {
        let emailed: Vec<&Decided> = decided.iter().filter(|d| d.route.is_some()).collect();
        attach_dunning_letters(settle, printer, &emailed, &mut emails, as_of).await?;
    }
    let mut outbox_ids = queue_emails(tx, settle.entity(), &emails)
        .await?
        .into_iter();
    let mut actions = Vec::with_capacity(decided.len());
    let mut contacts = Vec::with_capacity(decided.len());
    for Decided {
        account,
        currency: cur,
        policy,
        decision,
        route,
        ..
    } in &decided
    {
        let outbox_id = route.as_ref().and_then(|_| outbox_ids.next());
        if decision.channel != DunningChannel::Phone {
            contacts.push(NewContactEntry {
                customer: account.id,
                occurred_at: Some(at),
                channel: match decision.channel {
                    DunningChannel::Email => ContactChannel::Email,
                    _ => ContactChannel::Letter,
                },
                direction: ContactDirection::Outbound,
                subject: format!("Dunning level {} ({})", decision.level, decision.template),
                body: decision.rule.clone(),
                source: "dunning".to_string(),
                source_id: format!("{as_of}/{}/{}", cur, decision.level),
                created_by: settle.actor().to_string(),
                outcome: String::new(),
                next_step_on: None,
            });
        }
        actions.push(NewDunningAction {
            customer: account.id,
            run_on: as_of,
            currency: cur.to_string(),
            policy: policy.clone(),
            level: decision.level,
            channel: decision.channel.to_string(),
            template: decision.template.clone(),
            rule: decision.rule.clone(),
            amount_minor: decision.amount,
            outbox_id,
            status: action_status(decision.channel).to_string(),
            created_by: settle.actor().to_string(),
            items: decision
                .items
                .iter()
                .map(|i| (i.id, i.level, i.amount))
                .collect(),
        });
    }
    tx.insert_contact_entries(entity, &contacts).await?;
    tx.insert_dunning_actions(entity, &actions).await?;
    Ok(())
}

/// Per item: the part of it that open promises pause (each promise over its invoices, or the
/// customer's invoices in its currency when it names none).
async fn promised_by_item(
    settle: &Settle,
    items: &[OpenItemRow],
    ended: &[i64],
) -> ServiceResult<HashMap<ItemId, i64>> {
    let mut promises = settle
        .store()
        .promises(settle.entity().id, Some("open"), None)
        .await?;
    // Judged kept or broken in this run (the judgement is not committed yet).
    promises.retain(|p| !ended.contains(&p.id));
    let mut paused: HashMap<ItemId, i64> = HashMap::new();
    if promises.is_empty() {
        return Ok(paused);
    }
    let mut by_customer: HashMap<CustomerId, Vec<&OpenItemRow>> = HashMap::new();
    for item in items {
        by_customer.entry(item.customer).or_default().push(item);
    }
    for promise in promises {
        let candidates: Vec<(ItemId, Date, i64)> = by_customer
            .get(&promise.customer)
            .into_iter()
            .flatten()
            .filter(|item| item.currency == promise.currency)
            .filter(|item| promise.items.is_empty() || promise.items.contains(&item.id))
            .map(|item| {
                let already = paused.get(&item.id).copied().unwrap_or(0);
                (item.id, day_of(item.due_day), item.balance_minor - already)
            })
            .collect();
        let left = (promise.amount_minor - promise.paid_minor).max(0);
        for (item, part) in allocate_promise(left, &candidates) {
            *paused.entry(item).or_insert(0) += part;
        }
    }
    Ok(paused)
}

fn report_ended(commitments: &CommitmentsReport) -> Vec<i64> {
    commitments.ended_promises()
}
