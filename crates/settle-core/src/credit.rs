//! Credit management: whether a customer may be sold more on credit.
//!
//! Exposure is what the customer owes on open debit items (invoices and debit memos, gross:
//! open credits are not netted, since unapplied cash may yet be refunded or applied elsewhere)
//! plus the order being judged. The limit is in the customer's currency; items in other
//! currencies are not converted (there are no rates here), so only the limit's currency counts
//! against it.
//!
//! Every reason to hold is named: the limit, an item long past due (60 days by default), a
//! manual hold, bankruptcy, a collection agency, or the customer's status. A customer or an
//! order with no reason is released.

use std::fmt;

use crate::customer::CustomerStatus;
use crate::money::{Money, Rounding, round_div};

/// Days past due from which an item holds the customer's credit, unless configured otherwise.
pub const DEFAULT_PAST_DUE_DAYS: i64 = 60;

/// The prefix of `customers.credit_hold` when a rule set the hold (`credit check --apply`):
/// such a hold is lifted again by the rules; any other text is a person's and stays until a
/// person releases it.
pub const RULE_HOLD_PREFIX: &str = "rule: ";

/// What is known about a customer when judging its credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditFacts {
    /// `None`: no limit set, so no limit is checked.
    pub limit: Option<Money>,
    /// Open debit items in the limit's (the customer's) currency, positive.
    pub open_receivables: Money,
    /// The open debit item furthest past due and its days past due, if any is past due.
    pub most_past_due: Option<(String, i64)>,
    /// `customers.credit_hold`: empty when there is none.
    pub hold: String,
    pub bankrupt: bool,
    /// The collection agency the debt is placed with; empty when none.
    pub agency: String,
    pub status: CustomerStatus,
}

/// One reason to hold credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldReason {
    OverLimit {
        exposure: Money,
        limit: Money,
    },
    PastDue {
        item: String,
        days: i64,
        threshold: i64,
    },
    /// A hold set by a person (or earlier by a rule), with its text.
    Hold(String),
    Bankrupt,
    Agency(String),
    Status(CustomerStatus),
}

impl HoldReason {
    /// The rule's name, as recorded and printed.
    pub fn rule(&self) -> &'static str {
        match self {
            HoldReason::OverLimit { .. } => "over_limit",
            HoldReason::PastDue { .. } => "past_due",
            HoldReason::Hold(_) => "credit_hold",
            HoldReason::Bankrupt => "bankrupt",
            HoldReason::Agency(_) => "agency",
            HoldReason::Status(_) => "status",
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldReason::OverLimit { exposure, limit } => {
                write!(
                    f,
                    "over_limit: exposure {exposure} exceeds the limit {limit}"
                )
            }
            HoldReason::PastDue {
                item,
                days,
                threshold,
            } => write!(
                f,
                "past_due: {item} is {days} days past due ({threshold} or more hold credit)"
            ),
            HoldReason::Hold(text) => write!(f, "credit_hold: {text}"),
            HoldReason::Bankrupt => f.write_str("bankrupt: the customer is bankrupt"),
            HoldReason::Agency(agency) => write!(f, "agency: placed with {agency}"),
            HoldReason::Status(status) => write!(f, "status: the customer is {status}"),
        }
    }
}

/// A judgement: the exposure it was made on and every reason to hold (none: released).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditDecision {
    pub exposure: Money,
    pub limit: Option<Money>,
    pub reasons: Vec<HoldReason>,
}

impl CreditDecision {
    pub fn held(&self) -> bool {
        !self.reasons.is_empty()
    }

    /// The reasons as one line, `; `-separated.
    pub fn reasons_text(&self) -> String {
        self.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("amount: the order is in {order}, but the customer's credit is kept in {customer}")]
    Currency {
        order: crate::Currency,
        customer: crate::Currency,
    },
    #[error("amount: an order must be more than zero, not {0}")]
    NotPositive(Money),
    #[error("amount: out of range")]
    Overflow,
}

/// Judges an order of `order` (zero: the customer as it stands) against the facts. Every
/// reason that applies is listed, in a fixed order.
pub fn judge(
    facts: &CreditFacts,
    order: Money,
    past_due_days: i64,
) -> Result<CreditDecision, CreditError> {
    if order.currency() != facts.open_receivables.currency() {
        return Err(CreditError::Currency {
            order: order.currency(),
            customer: facts.open_receivables.currency(),
        });
    }
    let exposure = facts
        .open_receivables
        .checked_add(order)
        .map_err(|_| CreditError::Overflow)?;
    let mut reasons = Vec::new();
    if !facts.hold.is_empty() {
        reasons.push(HoldReason::Hold(facts.hold.clone()));
    }
    if let Some(limit) = facts.limit
        && limit.currency() == exposure.currency()
        && exposure > limit
    {
        reasons.push(HoldReason::OverLimit { exposure, limit });
    }
    if let Some((item, days)) = &facts.most_past_due
        && *days >= past_due_days
    {
        reasons.push(HoldReason::PastDue {
            item: item.clone(),
            days: *days,
            threshold: past_due_days,
        });
    }
    if facts.bankrupt {
        reasons.push(HoldReason::Bankrupt);
    }
    if !facts.agency.is_empty() {
        reasons.push(HoldReason::Agency(facts.agency.clone()));
    }
    if facts.status != CustomerStatus::Active {
        reasons.push(HoldReason::Status(facts.status));
    }
    Ok(CreditDecision {
        exposure,
        limit: facts.limit,
        reasons,
    })
}

/// Judges an order: its amount must be positive.
pub fn judge_order(
    facts: &CreditFacts,
    order: Money,
    past_due_days: i64,
) -> Result<CreditDecision, CreditError> {
    if !order.is_positive() {
        return Err(CreditError::NotPositive(order));
    }
    judge(facts, order, past_due_days)
}

/// What the rules (not a person) say about a customer's standing hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleVerdict {
    /// No hold, and no rule calls for one.
    Clear,
    /// Rules call for a hold that is not set (or set by other rules): the text to set, which
    /// names the rules.
    Hold(String),
    /// A rule's hold whose rules no longer apply.
    Release,
    /// A rule's hold that still applies as it is.
    KeepRuleHold,
    /// A person's hold: rules neither set nor lift it.
    KeepManualHold,
}

/// What `credit check` does with a customer: the rules are judged without the standing hold
/// (a hold cannot justify itself), then compared with it.
pub fn rule_verdict(facts: &CreditFacts, past_due_days: i64) -> Result<RuleVerdict, CreditError> {
    let without_hold = CreditFacts {
        hold: String::new(),
        ..facts.clone()
    };
    let decision = judge(
        &without_hold,
        Money::zero(facts.open_receivables.currency()),
        past_due_days,
    )?;
    let manual = !facts.hold.is_empty() && !facts.hold.starts_with(RULE_HOLD_PREFIX);
    Ok(if manual {
        RuleVerdict::KeepManualHold
    } else if decision.held() {
        // The rules' names only: the details (days, amounts) change daily, the hold does not.
        let rules: Vec<&str> = decision.reasons.iter().map(HoldReason::rule).collect();
        let text = format!("{RULE_HOLD_PREFIX}{}", rules.join(", "));
        if text == facts.hold {
            RuleVerdict::KeepRuleHold
        } else {
            RuleVerdict::Hold(text)
        }
    } else if facts.hold.is_empty() {
        RuleVerdict::Clear
    } else {
        RuleVerdict::Release
    })
}

/// How much of the limit the exposure uses, in tenths of a percent (rounded half up), or
/// `None` without a limit in the exposure's currency. A zero limit used at all is `None` too:
/// no percentage says that.
pub fn use_permille(exposure: Money, limit: Option<Money>) -> Option<i64> {
    let limit = limit?;
    if limit.currency() != exposure.currency() || !limit.is_positive() {
        return None;
    }
    let permille = round_div(
        i128::from(exposure.minor()) * 1000,
        i128::from(limit.minor()),
        Rounding::HalfUp,
    );
    i64::try_from(permille).ok()
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn facts() -> CreditFacts {
        CreditFacts {
            limit: Some(usd(1_000_00)),
            open_receivables: usd(600_00),
            most_past_due: Some(("INV-1".into(), 10)),
            hold: String::new(),
            bankrupt: false,
            agency: String::new(),
            status: CustomerStatus::Active,
        }
    }

    #[test]
    fn an_order_within_the_limit_is_released() {
        let decision = judge_order(&facts(), usd(400_00), DEFAULT_PAST_DUE_DAYS).unwrap();
        assert!(!decision.held());
        assert_eq!(decision.exposure, usd(1_000_00));
    }

    #[test]
    fn every_reason_is_named() {
        let mut facts = facts();
        facts.hold = "customer asked".into();
        facts.most_past_due = Some(("INV-9".into(), 60));
        facts.bankrupt = true;
        facts.agency = "Recovery Ltd".into();
        facts.status = CustomerStatus::OnHold;
        let decision = judge_order(&facts, usd(400_01), DEFAULT_PAST_DUE_DAYS).unwrap();
        let rules: Vec<_> = decision.reasons.iter().map(HoldReason::rule).collect();
        assert_eq!(
            rules,
            [
                "credit_hold",
                "over_limit",
                "past_due",
                "bankrupt",
                "agency",
                "status"
            ]
        );
        let text = decision.reasons_text();
        assert!(
            text.contains("over_limit: exposure 1000.01 USD exceeds the limit 1000.00 USD"),
            "{text}"
        );
        assert!(text.contains("INV-9 is 60 days past due"), "{text}");
    }

    #[test]
    fn the_past_due_threshold_is_configurable() {
        let mut facts = facts();
        facts.most_past_due = Some(("INV-2".into(), 45));
        assert!(!judge(&facts, usd(0), 60).unwrap().held());
        assert!(judge(&facts, usd(0), 45).unwrap().held());
    }

    #[test]
    fn orders_must_be_positive_and_in_the_customers_currency() {
        assert!(matches!(
            judge_order(&facts(), usd(0), 60),
            Err(CreditError::NotPositive(_))
        ));
        assert!(matches!(
            judge_order(&facts(), Money::new(1, Currency::EUR), 60),
            Err(CreditError::Currency { .. })
        ));
    }

    #[test]
    fn rules_set_and_lift_their_own_holds_only() {
        let mut facts = facts();
        assert_eq!(rule_verdict(&facts, 60), Ok(RuleVerdict::Clear));
        facts.bankrupt = true;
        let RuleVerdict::Hold(text) = rule_verdict(&facts, 60).unwrap() else {
            panic!("bankruptcy holds");
        };
        assert_eq!(text, "rule: bankrupt");
        facts.hold = text;
        assert_eq!(rule_verdict(&facts, 60), Ok(RuleVerdict::KeepRuleHold));
        facts.agency = "Recovery Ltd".into();
        assert_eq!(
            rule_verdict(&facts, 60),
            Ok(RuleVerdict::Hold("rule: bankrupt, agency".into()))
        );
        facts.bankrupt = false;
        facts.agency.clear();
        assert_eq!(rule_verdict(&facts, 60), Ok(RuleVerdict::Release));
        facts.hold = "asked by sales".into();
        facts.bankrupt = true;
        assert_eq!(rule_verdict(&facts, 60), Ok(RuleVerdict::KeepManualHold));
    }

    #[test]
    fn use_of_the_limit_rounds_half_up_in_tenths_of_a_percent() {
        assert_eq!(use_permille(usd(600_00), Some(usd(1_000_00))), Some(600));
        assert_eq!(use_permille(usd(1), Some(usd(2_000))), Some(1));
        assert_eq!(use_permille(usd(1), Some(usd(3_000))), Some(0));
        assert_eq!(use_permille(usd(1), None), None);
        assert_eq!(use_permille(usd(1), Some(usd(0))), None);
    }
}
