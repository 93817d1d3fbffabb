//! The collector's worklist: which account to work next, by a score whose parts are shown so
//! that a collector can see why an account is where it is. Each part has a ceiling, so no single
//! fact drowns the others.

use serde::Serialize;

use crate::customer::RiskClass;

/// What the score is computed from, per account (a customer, all currencies).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreFacts {
    /// Past-due amount in major units of its currency (accounts in several currencies add
    /// their major units: the score ranks, it does not count money).
    pub past_due_major: f64,
    pub days_past_due: i64,
    pub risk: Option<RiskClass>,
    /// Promises broken in the last 180 days.
    pub broken_promises: u32,
    /// Open receivables ÷ credit limit, when there is a limit.
    pub limit_use: Option<f64>,
    /// Days since the last outbound contact or inbound reply; `None`: never.
    pub days_since_contact: Option<i64>,
}

/// The score and its parts, each in points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreParts {
    /// 10 points per factor of ten past due: 1,000 → 30, 100,000 → 50; at most 60.
    pub amount: f64,
    /// 1 point per 6 days past due, at most 30 (180 days).
    pub age: f64,
    /// low 0, medium 5, high 10, critical 20.
    pub risk: f64,
    /// 10 per broken promise, at most 30.
    pub broken_promises: f64,
    /// 10 points at the limit, up to 20 at twice the limit.
    pub limit_use: f64,
    /// 1 point per 3 days without contact, at most 10; never contacted: 10.
    pub no_contact: f64,
    pub total: f64,
}

pub fn score(facts: &ScoreFacts) -> ScoreParts {
    let amount = (10.0 * (facts.past_due_major.max(0.0) + 1.0).log10()).min(60.0);
    let age = (facts.days_past_due.max(0) as f64 / 6.0).min(30.0);
    let risk = match facts.risk {
        Some(RiskClass::Low) | None => 0.0,
        Some(RiskClass::Medium) => 5.0,
        Some(RiskClass::High) => 10.0,
        Some(RiskClass::Critical) => 20.0,
    };
    let broken_promises = (10.0 * f64::from(facts.broken_promises)).min(30.0);
    let limit_use = facts
        .limit_use
        .map_or(0.0, |used| (10.0 * used.max(0.0)).min(20.0));
    let no_contact = facts
        .days_since_contact
        .map_or(10.0, |days| (days.max(0) as f64 / 3.0).min(10.0));
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let (amount, age, broken_promises, limit_use, no_contact) = (
        round(amount),
        round(age),
        round(broken_promises),
        round(limit_use),
        round(no_contact),
    );
    ScoreParts {
        amount,
        age,
        risk,
        broken_promises,
        limit_use,
        no_contact,
        total: round(amount + age + risk + broken_promises + limit_use + no_contact),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parts_follow_their_rules() {
        let parts = score(&ScoreFacts {
            past_due_major: 999.0,
            days_past_due: 60,
            risk: Some(RiskClass::High),
            broken_promises: 1,
            limit_use: Some(1.5),
            days_since_contact: Some(9),
        });
        assert_eq!(parts.amount, 30.0);
        assert_eq!(parts.age, 10.0);
        assert_eq!(parts.risk, 10.0);
        assert_eq!(parts.broken_promises, 10.0);
        assert_eq!(parts.limit_use, 15.0);
        assert_eq!(parts.no_contact, 3.0);
        assert_eq!(parts.total, 78.0);
    }

    proptest! {
        #[test]
        fn more_past_due_never_ranks_lower(a in 0.0f64..1e9, b in 0.0f64..1e9, days in 0i64..400) {
            let facts = |amount| ScoreFacts { past_due_major: amount, days_past_due: days, ..ScoreFacts::default() };
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(score(&facts(low)).total <= score(&facts(high)).total);
            let parts = score(&facts(a));
            prop_assert!(parts.total <= 170.0);
        }
    }
}
