//! Dunning: which accounts to chase today, at which level, by which channel, and why.
//!
//! A policy is an ordered list of levels, each a day offset from the due date (negative: a
//! friendly reminder before it), a channel, a template and a minimum amount. Each invoice climbs
//! the levels one at a time: the next level is reached when its offset has passed and the
//! previous level was sent at least `min_days_between_levels` ago; a reminder before the due
//! date is skipped for an invoice already past due. An account gets one action a
//! day per currency, at the highest level one of its invoices reached, covering every invoice
//! that reached a new level.
//!
//! What may be dunned of an invoice is its open balance less what is disputed, promised or under
//! a payment plan: a disputed amount is never dunned, and a promise pauses only the amount it
//! promises. Guards stop an account as a whole (bankruptcy, cease-communication, do-not-contact,
//! a placement with an agency, a recent payment, the channel's frequency cap), and a stopped
//! action names the guard that stopped it. Everything here is pure: the run's facts come in.

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use crate::customer::{RiskClass, text_enum};
use crate::ids::{CustomerId, ItemId};

text_enum!(
    /// How a dunning level reaches the customer.
    DunningChannel, "dunning channel" {
        Email => "email",
        Letter => "letter",
        Phone => "phone",
    }
);

impl Serialize for DunningChannel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DunningChannel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One step of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DunningLevel {
    /// 1, 2, 3…: the order in which invoices climb.
    pub level: u32,
    /// Days after the due date (negative: before it) from which an invoice reaches this level.
    pub days: i32,
    pub channel: DunningChannel,
    /// The message's template name (emails and letters); the task's title for calls.
    pub template: String,
    /// The least amount, in major units of the account's currency, worth this level: below it
    /// the account is left alone. "0" when any amount is.
    #[serde(default = "zero_text")]
    pub min_amount: String,
}

fn zero_text() -> String {
    "0".to_string()
}

/// Which customers a policy is for; an empty list matches everyone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyScope {
    pub risk_classes: Vec<String>,
    pub segments: Vec<String>,
    /// Balance band, in major units of the account's currency: from (inclusive) …
    pub balance_from: Option<String>,
    /// … to (exclusive).
    pub balance_to: Option<String>,
}

/// The compliance guards' settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContactRules {
    /// Contact window in the customer's local time, `HH:MM`.
    pub window_start: String,
    pub window_end: String,
    /// Most outbound contacts per channel in any 7 days.
    pub max_calls_per_7_days: u32,
    pub max_emails_per_7_days: u32,
    pub max_letters_per_7_days: u32,
}

impl Default for ContactRules {
    fn default() -> Self {
        ContactRules {
            window_start: "08:00".into(),
            window_end: "21:00".into(),
            max_calls_per_7_days: 7,
            max_emails_per_7_days: 7,
            max_letters_per_7_days: 7,
        }
    }
}

impl ContactRules {
    pub fn cap(&self, channel: DunningChannel) -> u32 {
        match channel {
            DunningChannel::Phone => self.max_calls_per_7_days,
            DunningChannel::Email => self.max_emails_per_7_days,
            DunningChannel::Letter => self.max_letters_per_7_days,
        }
    }

    /// The window as times; the texts are checked by `DunningPolicy::check`.
    pub fn window(&self) -> Result<(Time, Time), String> {
        let start = parse_clock("window_start", &self.window_start)?;
        let end = parse_clock("window_end", &self.window_end)?;
        if end <= start {
            return Err(format!(
                "window_end {} must be after window_start {}",
                self.window_end, self.window_start
            ));
        }
        Ok((start, end))
    }
}

fn parse_clock(field: &str, text: &str) -> Result<Time, String> {
    if text == "24:00" {
        return Ok(Time::MAX);
    }
    let parsed = text.split_once(':').and_then(|(h, m)| {
        let hour: i8 = h.parse().ok()?;
        let minute: i8 = m.parse().ok()?;
        Time::new(hour, minute, 0, 0).ok()
    });
    parsed.ok_or_else(|| format!("{field} {text:?} is not a time of day HH:MM"))
}

/// When an account goes to a manager's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationRules {
    /// An invoice this many days past due …
    pub days_past_due: i32,
    /// … with the account's past-due amount at least this (major units; "0": any).
    pub min_past_due: String,
    /// Or this many promises broken in the last 180 days (0: never by promises).
    pub broken_promises: u32,
}

impl Default for EscalationRules {
    fn default() -> Self {
        EscalationRules {
            days_past_due: 90,
            min_past_due: "10000".into(),
            broken_promises: 2,
        }
    }
}

/// A dunning policy as the A/R manager writes it (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DunningPolicy {
    pub name: String,
    /// Lower first: the first policy whose scope matches an account is its policy.
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub scope: PolicyScope,
    pub levels: Vec<DunningLevel>,
    /// No dunning for this many days after a payment was received.
    #[serde(default = "default_grace")]
    pub grace_days_after_payment: u32,
    /// An invoice moves up one level at most this often.
    #[serde(default = "default_interval")]
    pub min_days_between_levels: u32,
    #[serde(default)]
    pub contact: ContactRules,
    #[serde(default)]
    pub escalation: EscalationRules,
}

fn default_grace() -> u32 {
    5
}

fn default_interval() -> u32 {
    7
}

impl DunningPolicy {
    /// The policy an entity has before anyone writes one: a friendly reminder three days before
    /// the due date, then reminders at 7, 21 and 45 days, the last a call.
    pub fn standard() -> DunningPolicy {
        let level = |level, days, channel, template: &str| DunningLevel {
            level,
            days,
            channel,
            template: template.to_string(),
            min_amount: "0".to_string(),
        };
        DunningPolicy {
            name: "standard".into(),
            priority: 1000,
            scope: PolicyScope::default(),
            levels: vec![
                level(1, -3, DunningChannel::Email, "pre-due"),
                level(2, 7, DunningChannel::Email, "first-reminder"),
                level(3, 21, DunningChannel::Email, "second-notice"),
                level(4, 45, DunningChannel::Phone, "final-notice"),
            ],
            grace_days_after_payment: default_grace(),
            min_days_between_levels: default_interval(),
            contact: ContactRules::default(),
            escalation: EscalationRules::default(),
        }
    }

    /// Reads a policy from JSON; errors name the line and column, or the field.
    pub fn from_json(text: &str) -> Result<DunningPolicy, String> {
        let policy: DunningPolicy = serde_json::from_str(text).map_err(|e| e.to_string())?;
        policy.check()?;
        Ok(policy)
    }

    /// Levels numbered 1, 2, 3… in order of their days; amounts and times readable.
    pub fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name is empty".into());
        }
        if self.levels.is_empty() {
            return Err("levels: a policy needs at least one level".into());
        }
        for (index, level) in self.levels.iter().enumerate() {
            let field = format!("levels[{index}]");
            if level.level as usize != index + 1 {
                return Err(format!(
                    "{field}.level is {}, expected {} (levels are numbered 1, 2, 3… in order)",
                    level.level,
                    index + 1
                ));
            }
            if index > 0 && level.days <= self.levels[index - 1].days {
                return Err(format!(
                    "{field}.days {} must be later than the previous level's {}",
                    level.days,
                    self.levels[index - 1].days
                ));
            }
            if level.template.trim().is_empty() {
                return Err(format!("{field}.template is empty"));
            }
            check_major_amount(&format!("{field}.min_amount"), &level.min_amount)?;
        }
        for class in &self.scope.risk_classes {
            class
                .parse::<RiskClass>()
                .map_err(|e| format!("scope.risk_classes: {e}"))?;
        }
        for (field, value) in [
            ("scope.balance_from", &self.scope.balance_from),
            ("scope.balance_to", &self.scope.balance_to),
        ] {
            if let Some(value) = value {
                check_major_amount(field, value)?;
            }
        }
        check_major_amount("escalation.min_past_due", &self.escalation.min_past_due)?;
        self.contact.window()?;
        Ok(())
    }

    pub fn level(&self, level: u32) -> Option<&DunningLevel> {
        self.levels.get((level as usize).checked_sub(1)?)
    }

    /// Whether an account of this risk class, segment and balance (minor units at `exponent`)
    /// falls in the policy's scope.
    pub fn covers(&self, risk: RiskClass, segment: &str, balance: i64, exponent: u8) -> bool {
        let risk_ok = self.scope.risk_classes.is_empty()
            || self
                .scope
                .risk_classes
                .iter()
                .any(|class| class.parse::<RiskClass>().ok() == Some(risk));
        let segment_ok = self.scope.segments.is_empty()
            || self
                .scope
                .segments
                .iter()
                .any(|s| s.eq_ignore_ascii_case(segment));
        let from_ok = self
            .scope
            .balance_from
            .as_deref()
            .is_none_or(|from| balance >= major_to_minor(from, exponent));
        let to_ok = self
            .scope
            .balance_to
            .as_deref()
            .is_none_or(|to| balance < major_to_minor(to, exponent));
        risk_ok && segment_ok && from_ok && to_ok
    }
}

/// Checks an amount in major units: digits with at most one decimal point, not negative.
fn check_major_amount(field: &str, text: &str) -> Result<(), String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || whole.len() > 15 {
        return Err(format!(
            "{field} {text:?} is not an amount (digits, optionally a decimal point)"
        ));
    }
    Ok(())
}

/// A checked major-unit amount in minor units at `exponent` decimals; extra decimals are cut
/// (a threshold of 10.005 in a two-decimal currency is 10.00: thresholds never round up).
pub fn major_to_minor(text: &str, exponent: u8) -> i64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let scale = 10_i64.pow(u32::from(exponent));
    let whole: i64 = whole.parse().unwrap_or(0);
    let mut fraction_minor = 0_i64;
    for (position, digit) in fraction.chars().take(exponent as usize).enumerate() {
        let value = i64::from(digit.to_digit(10).unwrap_or(0));
        fraction_minor += value * 10_i64.pow(u32::from(exponent) - 1 - position as u32);
    }
    whole.saturating_mul(scale).saturating_add(fraction_minor)
}

/// The policy for an account: the first (by priority, then name) whose scope covers it.
pub fn policy_for<'a>(
    policies: &'a [DunningPolicy],
    risk: RiskClass,
    segment: &str,
    balance: i64,
    exponent: u8,
) -> Option<&'a DunningPolicy> {
    policies
        .iter()
        .filter(|p| p.covers(risk, segment, balance, exponent))
        .min_by(|a, b| a.priority.cmp(&b.priority).then(a.name.cmp(&b.name)))
}

/// An open invoice as dunning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunnableItem {
    pub id: ItemId,
    pub number: String,
    pub due: Date,
    /// Open balance, minor units.
    pub open: i64,
    /// Under an active dispute.
    pub disputed: i64,
    /// Paused by an open promise to pay.
    pub promised: i64,
    /// Part of an active payment plan: paused whole.
    pub in_plan: bool,
    /// The highest level already sent for it, and on which day.
    pub last_level: u32,
    pub last_dunned_on: Option<Date>,
}

impl DunnableItem {
    /// What may be chased: the open balance less disputed and promised amounts.
    pub fn dunnable(&self) -> i64 {
        if self.in_plan {
            return 0;
        }
        (self.open - self.disputed.max(0) - self.promised.max(0)).max(0)
    }
}

/// Flags on the account that stop all contact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountStops {
    pub bankrupt: bool,
    pub cease_communication: bool,
    pub do_not_contact: bool,
    /// The agency the account is placed with, if any.
    pub agency: Option<String>,
}

/// One account (a customer in one currency) on the day of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFacts {
    pub customer: CustomerId,
    pub stops: AccountStops,
    pub last_payment_on: Option<Date>,
    /// Outbound contacts in the 7 days up to the run, per channel: phone, email, letter.
    pub contacts_last_7_days: [u32; 3],
    pub items: Vec<DunnableItem>,
}

/// Why an action was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "guard", rename_all = "snake_case")]
pub enum Guard {
    Bankruptcy,
    CeaseCommunication,
    DoNotContact,
    PlacedWithAgency {
        agency: String,
    },
    GraceAfterPayment {
        paid_on: Date,
        until: Date,
    },
    FrequencyCap {
        channel: DunningChannel,
        count: u32,
        cap: u32,
    },
}

impl std::fmt::Display for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Guard::Bankruptcy => f.write_str("bankruptcy: all collection activity is stopped"),
            Guard::CeaseCommunication => {
                f.write_str("the customer asked us to cease communication")
            }
            Guard::DoNotContact => f.write_str("do-not-contact is set on the account"),
            Guard::PlacedWithAgency { agency } => {
                write!(f, "placed with the agency {agency}: in-house dunning stops")
            }
            Guard::GraceAfterPayment { paid_on, until } => {
                write!(
                    f,
                    "a payment arrived on {paid_on}: no dunning until {until}"
                )
            }
            Guard::FrequencyCap {
                channel,
                count,
                cap,
            } => write!(
                f,
                "frequency cap: {count} {channel} contacts in the last 7 days (at most {cap})"
            ),
        }
    }
}

/// An invoice's part in an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    pub id: ItemId,
    pub number: String,
    pub level: u32,
    pub days_past_due: i32,
    /// What is chased of it.
    pub amount: i64,
}

/// What the run decided for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningDecision {
    pub level: u32,
    pub channel: DunningChannel,
    pub template: String,
    /// The rule that produced it, in words.
    pub rule: String,
    pub items: Vec<ActionItem>,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing reached a new level (or what did is below the level's minimum).
    Nothing,
    Act(DunningDecision),
    /// An action was due, and a guard stopped it.
    Blocked(DunningDecision, Guard),
}

/// The level an invoice reaches on `as_of`: the next one above its last, if that level's offset
/// has passed and the last level was sent long enough ago. A reminder meant for before the due
/// date (negative days) is skipped once the invoice is past due: it would say the wrong thing.
fn next_level<'p>(
    policy: &'p DunningPolicy,
    item: &DunnableItem,
    as_of: Date,
) -> Option<&'p DunningLevel> {
    let past_due = as_of > item.due;
    let next = policy
        .levels
        .iter()
        .skip(item.last_level as usize)
        .find(|level| !(past_due && level.days < 0))?;
    let reached = item
        .due
        .checked_add(jiff::Span::new().days(next.days))
        .ok()?
        <= as_of;
    let rested = item.last_dunned_on.is_none_or(|last| {
        last.checked_add(jiff::Span::new().days(i64::from(policy.min_days_between_levels)))
            .is_ok_and(|ready| ready <= as_of)
    });
    (reached && rested).then_some(next)
}

/// Decides one account's action on `as_of`. `exponent` is the currency's decimals (for the
/// level's minimum amount); `format_minor` writes amounts for the rule's words.
pub fn decide(
    policy: &DunningPolicy,
    account: &AccountFacts,
    as_of: Date,
    exponent: u8,
    format_minor: impl Fn(i64) -> String,
) -> Outcome {
    let mut items = Vec::new();
    let mut top: Option<&DunningLevel> = None;
    for item in &account.items {
        let amount = item.dunnable();
        if amount <= 0 {
            continue;
        }
        let Some(level) = next_level(policy, item, as_of) else {
            continue;
        };
        if top.is_none_or(|t| level.level > t.level) {
            top = Some(level);
        }
        items.push(ActionItem {
            id: item.id,
            number: item.number.clone(),
            level: level.level,
            days_past_due: (as_of - item.due).get_days(),
            amount,
        });
    }
    let Some(top) = top else {
        return Outcome::Nothing;
    };
    let amount: i64 = items.iter().map(|i| i.amount).sum();
    let minimum = major_to_minor(&top.min_amount, exponent);
    if amount < minimum {
        return Outcome::Nothing;
    }
    let oldest = items
        .iter()
        .max_by_key(|i| (i.days_past_due, std::cmp::Reverse(i.id.0)))
        .expect("at least one item reached a level");
    let timing = match oldest.days_past_due {
        d if d < 0 => format!("due in {} days", -d),
        0 => "due today".to_string(),
        d => format!("{d} days past due"),
    };
    let rule = format!(
        "policy {} level {} ({} at {:+} days from due): {} invoice(s), oldest {} {}; {} chased{}",
        policy.name,
        top.level,
        top.channel,
        top.days,
        items.len(),
        oldest.number,
        timing,
        format_minor(amount),
        if minimum > 0 {
            format!(" (minimum {})", format_minor(minimum))
        } else {
            String::new()
        },
    );
    let decision = DunningDecision {
        level: top.level,
        channel: top.channel,
        template: top.template.clone(),
        rule,
        items,
        amount,
    };
    match guard(policy, account, top.channel, as_of) {
        Some(guard) => Outcome::Blocked(decision, guard),
        None => Outcome::Act(decision),
    }
}

/// The first guard that stops contacting the account by `channel` on `as_of`.
pub fn guard(
    policy: &DunningPolicy,
    account: &AccountFacts,
    channel: DunningChannel,
    as_of: Date,
) -> Option<Guard> {
    let stops = &account.stops;
    if stops.bankrupt {
        return Some(Guard::Bankruptcy);
    }
    if stops.cease_communication {
        return Some(Guard::CeaseCommunication);
    }
    if stops.do_not_contact {
        return Some(Guard::DoNotContact);
    }
    if let Some(agency) = &stops.agency {
        return Some(Guard::PlacedWithAgency {
            agency: agency.clone(),
        });
    }
    if let Some(paid_on) = account.last_payment_on
        && let Ok(until) =
            paid_on.checked_add(jiff::Span::new().days(i64::from(policy.grace_days_after_payment)))
        && paid_on <= as_of
        && as_of < until
    {
        return Some(Guard::GraceAfterPayment { paid_on, until });
    }
    let count = account.contacts_last_7_days[channel_index(channel)];
    let cap = policy.contact.cap(channel);
    if count >= cap {
        return Some(Guard::FrequencyCap {
            channel,
            count,
            cap,
        });
    }
    None
}

/// The position of a channel in `AccountFacts::contacts_last_7_days`.
pub fn channel_index(channel: DunningChannel) -> usize {
    match channel {
        DunningChannel::Phone => 0,
        DunningChannel::Email => 1,
        DunningChannel::Letter => 2,
    }
}

/// Whether `local` (the customer's wall-clock time) is inside the contact window.
pub fn within_window(rules: &ContactRules, local: Time) -> bool {
    match rules.window() {
        Ok((start, end)) => start <= local && local < end,
        Err(_) => false,
    }
}

/// Allocates a promised amount over the promise's invoices, oldest due first: the part of each
/// invoice that the promise pauses.
pub fn allocate_promise(promised: i64, items: &[(ItemId, Date, i64)]) -> Vec<(ItemId, i64)> {
    let mut order: Vec<_> = items.iter().collect();
    order.sort_by_key(|(id, due, _)| (*due, id.0));
    let mut left = promised.max(0);
    let mut parts = Vec::new();
    for (id, _, open) in order {
        if left == 0 {
            break;
        }
        let part = left.min((*open).max(0));
        if part > 0 {
            parts.push((*id, part));
            left -= part;
        }
    }
    parts
}

#[cfg(test)]
mod tests;
