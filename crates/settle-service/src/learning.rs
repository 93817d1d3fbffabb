//! What a clerk's decisions teach the matcher, the rules users write, trying a rule on the
//! payments already applied before switching it on. (The disputes deductions open are in
//! `disputes.rs`.)
//!
//! Every piece of knowledge is a rule (`match_rules`) with an id, a kind, a customer, a status
//! and a source:
//! - `payer-alias`: a name the customer pays under (learned when a clerk accepts or applies a
//!   payment whose payer name is not the customer's, or entered with `customer alias add`);
//! - `without-prefix` / `purchase-order`: how the customer cites invoices (learned when the
//!   cited reference was the number without its prefix, or the purchase order);
//! - `rejected-pairing`: a clerk rejected "this payer is this customer".
//!
//! A clerk's decision is itself the review, so what it teaches is `enabled` at once; a user
//! may enter a rule as `trial`, which matching ignores until `rules enable`. `rules try`
//! replays the payments already applied with and without the rule.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;

use settle_core::audit_chain::Target;
use settle_core::ids::{CustomerId, PaymentId};
pub use settle_matching::HabitKind;
use settle_matching::learning::{alias_key, alias_worth_learning, how_cited, payer_keys};
use settle_matching::{
    Decision, LearnedAlias, Learning, MatchPolicy, ReferenceHabit, RejectedPairing,
};
use settle_store::{Learned, MatchRuleRow, NewMatchRule, Tx};

use crate::Change;
use crate::Settle;
use crate::error::{ServiceError, ServiceResult, invalid, not_found};
use crate::matching::{Customers, build_index, to_match};

pub const ALIAS: &str = "payer-alias";
pub const REJECTED: &str = "rejected-pairing";
pub const ENABLED: &str = "enabled";
pub const TRIAL: &str = "trial";
pub const DISABLED: &str = "disabled";
/// Rules a user entered (the others are `learned`).
pub const USER: &str = "user";

/// A rule as users see it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub id: i64,
    pub kind: String,
    pub customer: String,
    pub pattern: String,
    pub status: String,
    pub source: String,
    pub times_seen: i64,
    pub learned_at: String,
    /// The rule in words.
    pub description: String,
}

impl RuleView {
    fn of(row: &MatchRuleRow) -> RuleView {
        RuleView {
            id: row.id,
            kind: row.kind.clone(),
            customer: row.customer_code.clone(),
            pattern: row.pattern.clone(),
            status: row.status.clone(),
            source: row.source.clone(),
            times_seen: row.times_seen,
            learned_at: row.learned_at.clone(),
            description: describe(row),
        }
    }
}

fn describe(row: &MatchRuleRow) -> String {
    let customer = &row.customer_code;
    if let Some(habit) = HabitKind::from_rule(&row.kind, &row.pattern) {
        return habit.describe(customer);
    }
    match row.kind.as_str() {
        ALIAS => format!("payer name {:?} is customer {customer}", row.pattern),
        REJECTED => format!(
            "payer {} is not customer {customer}",
            row.pattern.replacen(':', " ", 1)
        ),
        other => format!("{other} {:?} for customer {customer}", row.pattern),
    }
}

/// One payment of a trial whose proposal is not what was booked.
#[derive(Debug, Clone, Serialize)]
pub struct TrialLine {
    pub payment_id: PaymentId,
    pub bank_reference: String,
    pub booked: Vec<String>,
    pub proposed: Vec<String>,
    pub decision: Decision,
}

/// What a rule would have done to the payments already applied.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTrial {
    pub rule: RuleView,
    /// Payments with cash applied, replayed against the invoices as issued.
    pub replayed: usize,
    /// Replayed payments the engine matches (applies or proposes) with the rule.
    pub matched: usize,
    /// The same without the rule.
    pub matched_without_rule: usize,
    /// Replayed payments whose evidence names the rule.
    pub using_rule: usize,
    /// Payments whose outcome (decision or invoices) the rule changes.
    pub changed: usize,
    /// Matched payments whose proposed invoices are not those booked.
    pub differing: Vec<TrialLine>,
}

/// The aliases per customer and the learning for the engine, from the rules `use_rule` keeps.
pub(crate) fn knowledge(
    rules: &[MatchRuleRow],
    use_rule: impl Fn(&MatchRuleRow) -> bool,
) -> (HashMap<CustomerId, Vec<String>>, Learning) {
    let mut aliases: HashMap<CustomerId, Vec<String>> = HashMap::new();
    let mut learning = Learning::default();
    for rule in rules.iter().filter(|r| use_rule(r)) {
        if let Some(kind) = HabitKind::from_rule(&rule.kind, &rule.pattern) {
            learning.habits.push(ReferenceHabit {
                rule: rule.id,
                customer: rule.customer,
                kind,
                // A user's habit was seen in no payment: the evidence says who entered it.
                times_seen: if rule.source == USER {
                    0
                } else {
                    rule.times_seen
                },
            });
            continue;
        }
        match rule.kind.as_str() {
            ALIAS => {
                aliases
                    .entry(rule.customer)
                    .or_default()
                    .push(rule.pattern.clone());
                learning.aliases.push(LearnedAlias {
                    rule: rule.id,
                    customer: rule.customer,
                    alias: rule.pattern.clone(),
                    source: rule.source.clone(),
                });
            }
            REJECTED => learning.rejections.push(RejectedPairing {
                rule: rule.id,
                customer: rule.customer,
                payer: rule.pattern.clone(),
                times_seen: rule.times_seen,
            }),
            _ => {}
        }
    }
    (aliases, learning)
}

/// What a clerk's application of a payment to invoices of `customer` teaches: the payer's name
/// as an alias (when it is not the customer's), and how the invoices were cited (when not as
/// written). Returns what was learned, in words.
pub(crate) async fn learn_from_application(
    tx: &mut Tx,
    settle: &Settle,
    payment: PaymentId,
    customer: CustomerId,
    invoices: &[String],
    decision: Option<i64>,
) -> ServiceResult<Vec<String>> {
    let entity = settle.entity().id;
    let mut learned = Vec::new();
    let Some(stored) = tx.payment_for_match(entity, payment).await? else {
        return Ok(learned);
    };
    let paid = to_match(&stored);
    let Some((code, name)) = tx.customer_code_and_name(entity, customer).await? else {
        return Ok(learned);
    };
    let payer_name = paid.payer_name.trim();
    if alias_worth_learning(payer_name, &name) {
        let key = alias_key(payer_name);
        let rule = NewMatchRule {
            kind: ALIAS,
            customer,
            pattern: payer_name,
            match_key: &key,
            status: ENABLED,
            source: "learned",
            decision,
        };
        if let Some(text) = said(
            tx.learn_rule(entity, &rule).await?,
            &format!("payer name {payer_name:?} is an alias of {code}"),
        ) {
            learned.push(text);
        }
    }
    if paid.text.is_empty() && paid.references.is_empty() {
        return Ok(learned);
    }
    for number in invoices {
        let Some(item) = tx.item_by_number(entity, None, number).await? else {
            continue;
        };
        let po = tx.item_po_number(entity, item.id).await?;
        let Some(habit) = how_cited(&paid, number, &po) else {
            continue;
        };
        let key = format!(
            "{}:{}",
            customer.0,
            settle_matching::normalize::reference_key(habit.pattern())
        );
        let rule = NewMatchRule {
            kind: habit.kind(),
            customer,
            pattern: habit.pattern(),
            match_key: &key,
            status: ENABLED,
            source: "learned",
            decision,
        };
        if let Some(text) = said(tx.learn_rule(entity, &rule).await?, &habit.describe(&code)) {
            learned.push(text);
        }
    }
    Ok(learned)
}

/// A clerk rejected the proposal that this payment's payer is `customer`: the pairing weighs
/// against that customer for the payer's account and name from now on.
pub(crate) async fn learn_from_rejection(
    tx: &mut Tx,
    settle: &Settle,
    payment: PaymentId,
    customer: CustomerId,
    decision: i64,
) -> ServiceResult<Vec<String>> {
    let entity = settle.entity().id;
    let mut learned = Vec::new();
    let Some(stored) = tx.payment_for_match(entity, payment).await? else {
        return Ok(learned);
    };
    if stored.customer.is_some() {
        // The payer was known: the clerk refused the invoices, not the payer.
        return Ok(learned);
    }
    let code = tx
        .customer_code_and_name(entity, customer)
        .await?
        .map_or_else(|| customer.to_string(), |(code, _)| code);
    for payer in payer_keys(&stored.payer_account, &stored.payer_name) {
        let key = format!("{}:{payer}", customer.0);
        let rule = NewMatchRule {
            kind: REJECTED,
            customer,
            pattern: &payer,
            match_key: &key,
            status: ENABLED,
            source: "learned",
            decision: Some(decision),
        };
        let what = format!(
            "payer {} is not customer {code}",
            payer.replacen(':', " ", 1)
        );
        if let Some(text) = said(tx.learn_rule(entity, &rule).await?, &what) {
            learned.push(text);
        }
    }
    Ok(learned)
}

fn said(learned: Learned, what: &str) -> Option<String> {
    match learned {
        Learned::Created(id) => Some(format!("learned: {what} (rule {id})")),
        Learned::SeenAgain(id) => Some(format!("learned again: {what} (rule {id})")),
        // Another customer's rule says otherwise; a person sorts that out with `rules`.
        Learned::OtherCustomers(_) => None,
    }
}

impl Settle {
    /// The entity's rules, or one customer's.
    pub async fn match_rules(&self, customer: Option<&str>) -> ServiceResult<Vec<RuleView>> {
        let entity = self.entity().id;
        let customer = match customer {
            Some(code) => Some(self.customer_id(code).await?),
            None => None,
        };
        let rules = self.store().match_rules(entity, customer).await?;
        Ok(rules.iter().map(RuleView::of).collect())
    }

    pub(crate) async fn customer_id(&self, code: &str) -> ServiceResult<CustomerId> {
        Ok(self.customer_by_code(code).await?.id)
    }

    /// Switches a rule on (`enabled`) or off (`disabled`).
    pub async fn set_rule_enabled(&self, id: i64, enabled: bool) -> ServiceResult<RuleView> {
        let entity = self.entity().id;
        let status = if enabled { ENABLED } else { DISABLED };
        let before = self.rule(id).await?;
        let mut tx = self.store().begin().await?;
        if !tx.set_rule_status(entity, id, status).await? {
            return Err(not_found(format!("rule {id}")));
        }
        let change = Change::new("set_rule_status", Target::new("rule", id))
            .before(&before)
            .after(&json!({ "status": status }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        self.rule(id).await
    }

    async fn rule(&self, id: i64) -> ServiceResult<RuleView> {
        let row = self
            .store()
            .match_rule(self.entity().id, id)
            .await?
            .ok_or_else(|| not_found(format!("rule {id}")))?;
        Ok(RuleView::of(&row))
    }

    /// A name the customer pays under, entered by a user: enabled, or on trial.
    pub async fn add_alias(
        &self,
        customer: &str,
        alias: &str,
        trial: bool,
    ) -> ServiceResult<RuleView> {
        let entity = self.entity().id;
        let key = alias_key(alias);
        if key.is_empty() {
            return Err(invalid(
                "alias",
                format!("{alias:?} has no letters or digits beyond a legal form"),
            ));
        }
        let mut tx = self.store().begin().await?;
        let owner = tx
            .customer_by_code(entity, customer)
            .await?
            .ok_or_else(|| not_found(format!("customer {customer:?}")))?;
        let rule = NewMatchRule {
            kind: ALIAS,
            customer: owner.id,
            pattern: alias.trim(),
            match_key: &key,
            status: if trial { TRIAL } else { ENABLED },
            source: USER,
            decision: None,
        };
        let id = match tx.learn_rule(entity, &rule).await? {
            Learned::Created(id) => id,
            Learned::SeenAgain(id) => {
                return Err(ServiceError::Refused(format!(
                    "{alias:?} is an alias of {customer} already (rule {id})"
                )));
            }
            Learned::OtherCustomers(id) => {
                return Err(ServiceError::Refused(format!(
                    "{alias:?} is another customer's alias (rule {id}); remove it there first"
                )));
            }
        };
        let change = Change::new("add_alias", Target::new("rule", id)).after(&json!({
            "customer": customer, "alias": alias.trim(), "status": rule.status,
        }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        self.rule(id).await
    }

    /// How a customer cites invoices, entered by a user: enabled, or on trial.
    pub async fn add_habit(
        &self,
        customer: &str,
        habit: HabitKind,
        trial: bool,
    ) -> ServiceResult<RuleView> {
        let entity = self.entity().id;
        let pattern_key = settle_matching::normalize::reference_key(habit.pattern());
        if let HabitKind::WithoutPrefix(prefix) = &habit
            && (pattern_key.is_empty() || pattern_key.chars().any(|c| c.is_ascii_digit()))
        {
            return Err(invalid(
                "without-prefix",
                format!("{prefix:?} is not an invoice-number prefix (letters, then a separator)"),
            ));
        }
        let mut tx = self.store().begin().await?;
        let owner = tx
            .customer_by_code(entity, customer)
            .await?
            .ok_or_else(|| not_found(format!("customer {customer:?}")))?;
        let key = format!("{}:{pattern_key}", owner.id.0);
        let rule = NewMatchRule {
            kind: habit.kind(),
            customer: owner.id,
            pattern: habit.pattern(),
            match_key: &key,
            status: if trial { TRIAL } else { ENABLED },
            source: USER,
            decision: None,
        };
        let id = match tx.learn_rule(entity, &rule).await? {
            Learned::Created(id) => id,
            Learned::SeenAgain(id) | Learned::OtherCustomers(id) => {
                return Err(ServiceError::Refused(format!(
                    "{customer} has that habit already (rule {id})"
                )));
            }
        };
        let change = Change::new("add_habit", Target::new("rule", id)).after(&json!({
            "customer": customer, "kind": rule.kind, "pattern": rule.pattern, "status": rule.status,
        }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        self.rule(id).await
    }

    /// Removes one of a customer's aliases, learned or entered.
    pub async fn remove_alias(&self, customer: &str, alias: &str) -> ServiceResult<RuleView> {
        let entity = self.entity().id;
        let missing = || not_found(format!("alias {alias:?} of customer {customer:?}"));
        let mut tx = self.store().begin().await?;
        let owner = tx
            .customer_by_code(entity, customer)
            .await?
            .ok_or_else(|| not_found(format!("customer {customer:?}")))?;
        let (id, of) = tx
            .rule_by_key(entity, ALIAS, &alias_key(alias))
            .await?
            .ok_or_else(missing)?;
        if of != owner.id {
            return Err(missing());
        }
        let removed = self.rule(id).await?;
        tx.delete_rule(entity, id).await?;
        let change = Change::new("remove_alias", Target::new("rule", id)).before(&removed);
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// Replays every payment with cash applied against the invoices as issued, with the rule
    /// and without it (whatever its status; the other rules as they are), and compares what
    /// the engine proposes with what was booked. Nothing is stored.
    pub async fn try_rule(&self, id: i64, policy: &MatchPolicy) -> ServiceResult<RuleTrial> {
        let entity = self.entity().id;
        let store = self.store();
        let rule = store
            .match_rule(entity, id)
            .await?
            .ok_or_else(|| not_found(format!("rule {id}")))?;
        let rules = store.match_rules(entity, None).await?;
        let names = store.customer_names(entity).await?;
        let parents = store.customer_parents(entity).await?;
        let payers = store.known_payer_accounts(entity).await?;
        let past = store.applied_payments(entity, Date::MIN).await?;
        let items = store.items_as_issued(entity).await?;
        let (aliases, learning) = knowledge(&rules, |r| r.id == id || r.status == ENABLED);
        let customers = Customers {
            names: &names,
            aliases: &aliases,
            parents: &parents,
        };
        let with = build_index(items.clone(), &customers, &payers, learning);
        let (aliases, learning) = knowledge(&rules, |r| r.id != id && r.status == ENABLED);
        let customers = Customers {
            aliases: &aliases,
            ..customers
        };
        let without = build_index(items, &customers, &payers, learning);
        let mut trial = RuleTrial {
            rule: RuleView::of(&rule),
            replayed: past.len(),
            matched: 0,
            matched_without_rule: 0,
            using_rule: 0,
            changed: 0,
            differing: Vec::new(),
        };
        for applied in &past {
            // As the bank delivered it: the whole amount, the payer not identified yet.
            let mut payment = to_match(&applied.payment);
            payment.amount = applied.payment.amount;
            payment.customer = None;
            let result = with.match_payment(&payment, policy);
            let baseline = without.match_payment(&payment, policy);
            let proposed: Vec<String> = result
                .allocations
                .iter()
                .map(|a| a.number.clone())
                .collect();
            let before: Vec<String> = baseline
                .allocations
                .iter()
                .map(|a| a.number.clone())
                .collect();
            // A payer recognised with nothing to apply to is not a match.
            let matched = result.decision != Decision::Unapplied && !proposed.is_empty();
            trial.matched += usize::from(matched);
            trial.matched_without_rule +=
                usize::from(baseline.decision != Decision::Unapplied && !before.is_empty());
            trial.using_rule += usize::from(result.evidence.iter().any(|e| e.rule == Some(id)));
            trial.changed +=
                usize::from(result.decision != baseline.decision || proposed != before);
            let mut booked = applied.invoices.clone();
            booked.sort();
            let mut sorted = proposed.clone();
            sorted.sort();
            if matched && sorted != booked {
                trial.differing.push(TrialLine {
                    payment_id: applied.payment.id,
                    bank_reference: applied.payment.bank_reference.clone(),
                    booked: applied.invoices.clone(),
                    proposed,
                    decision: result.decision,
                });
            }
        }
        Ok(trial)
    }
}
