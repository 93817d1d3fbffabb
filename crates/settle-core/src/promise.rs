//! Promises to pay and payment plans: what a customer agreed to pay, by when, and whether they
//! did. Both are judged from the cash applied to the invoices they cover.

use jiff::civil::Date;
use serde::Serialize;

use crate::customer::text_enum;
use crate::money::{Money, MoneyError};

text_enum!(
    /// Where a promise stands.
    PromiseStatus, "promise status" {
        Open => "open",
        Kept => "kept",
        Broken => "broken",
        Cancelled => "cancelled",
    }
);

/// A promise's verdict on `as_of`, given what was paid towards it since it was made.
///
/// Kept as soon as the promised amount has been paid, if that happened by the promised date
/// plus grace; broken once the grace is over without it; open until then.
pub fn judge_promise(
    promised: i64,
    paid: i64,
    promised_on: Date,
    grace_days: u32,
    as_of: Date,
) -> PromiseStatus {
    if paid >= promised {
        return PromiseStatus::Kept;
    }
    let deadline = promised_on
        .checked_add(jiff::Span::new().days(i64::from(grace_days)))
        .unwrap_or(promised_on);
    if as_of > deadline {
        PromiseStatus::Broken
    } else {
        PromiseStatus::Open
    }
}

/// Kept promises as a share of those judged (kept + broken), in percent; `None` before any.
pub fn kept_rate(kept: u64, broken: u64) -> Option<f64> {
    let judged = kept + broken;
    (judged > 0).then(|| kept as f64 * 100.0 / judged as f64)
}

text_enum!(
    /// Where a payment plan stands.
    PlanStatus, "plan status" {
        Active => "active",
        Completed => "completed",
        Broken => "broken",
        Cancelled => "cancelled",
    }
);

/// One instalment of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instalment {
    pub seq: u32,
    pub due_on: Date,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a plan needs at least one instalment")]
    NoInstalments,
    #[error("a plan of more than 120 instalments is not a plan")]
    TooManyInstalments,
    #[error("the instalments add up to {instalments}, not the agreed total {total}")]
    DoesNotAddUp { instalments: String, total: String },
    #[error("instalment {seq} is due on {due}, not after the one before it")]
    OutOfOrder { seq: u32, due: Date },
    #[error("instalment {seq}: the amount must be positive")]
    NotPositive { seq: u32 },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Equal monthly instalments from `first_due`, the total split exactly: the first instalments
/// carry the remainder's minor units, one each, so that they add up to the total.
pub fn equal_schedule(
    total: Money,
    count: u32,
    first_due: Date,
) -> Result<Vec<Instalment>, PlanError> {
    if count == 0 {
        return Err(PlanError::NoInstalments);
    }
    if count > 120 {
        return Err(PlanError::TooManyInstalments);
    }
    let parts = total.split_even(count as usize)?;
    let schedule: Vec<Instalment> = parts
        .into_iter()
        .enumerate()
        .map(|(index, amount)| Instalment {
            seq: index as u32 + 1,
            due_on: first_due
                .checked_add(jiff::Span::new().months(index as i64))
                .unwrap_or(first_due),
            amount,
        })
        .collect();
    check_schedule(total, &schedule)?;
    Ok(schedule)
}

/// A schedule the customer and collector agreed by hand: in date order, positive, and adding
/// up to the total.
pub fn check_schedule(total: Money, schedule: &[Instalment]) -> Result<(), PlanError> {
    if schedule.is_empty() {
        return Err(PlanError::NoInstalments);
    }
    if schedule.len() > 120 {
        return Err(PlanError::TooManyInstalments);
    }
    for (index, instalment) in schedule.iter().enumerate() {
        if instalment.amount.minor() <= 0 {
            return Err(PlanError::NotPositive {
                seq: instalment.seq,
            });
        }
        if index > 0 && instalment.due_on <= schedule[index - 1].due_on {
            return Err(PlanError::OutOfOrder {
                seq: instalment.seq,
                due: instalment.due_on,
            });
        }
    }
    let sum = Money::sum(total.currency(), schedule.iter().map(|i| i.amount))?;
    if sum != total {
        return Err(PlanError::DoesNotAddUp {
            instalments: sum.to_string(),
            total: total.to_string(),
        });
    }
    Ok(())
}

/// An instalment as of a day: how much of it the payments so far cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalmentState {
    pub seq: u32,
    pub due_on: Date,
    pub amount: i64,
    pub paid: i64,
    /// Past its due date plus grace and not fully paid.
    pub late: bool,
}

/// Fills the instalments in order with what was paid towards the plan, and judges the plan:
/// completed when everything is paid, broken when an instalment is late, active otherwise.
pub fn judge_plan(
    schedule: &[(u32, Date, i64)],
    paid: i64,
    grace_days: u32,
    as_of: Date,
) -> (PlanStatus, Vec<InstalmentState>) {
    let mut left = paid.max(0);
    let mut states = Vec::with_capacity(schedule.len());
    for &(seq, due_on, amount) in schedule {
        let covered = left.min(amount);
        left -= covered;
        let deadline = due_on
            .checked_add(jiff::Span::new().days(i64::from(grace_days)))
            .unwrap_or(due_on);
        states.push(InstalmentState {
            seq,
            due_on,
            amount,
            paid: covered,
            late: covered < amount && as_of > deadline,
        });
    }
    let status = if states.iter().all(|s| s.paid == s.amount) {
        PlanStatus::Completed
    } else if states.iter().any(|s| s.late) {
        PlanStatus::Broken
    } else {
        PlanStatus::Active
    };
    (status, states)
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::currency::Currency;

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::from_code("EUR").unwrap())
    }

    #[test]
    fn promises_are_kept_by_date_plus_grace_or_broken() {
        let on = date(2026, 5, 10);
        assert_eq!(
            judge_promise(500, 499, on, 2, date(2026, 5, 12)),
            PromiseStatus::Open
        );
        assert_eq!(
            judge_promise(500, 499, on, 2, date(2026, 5, 13)),
            PromiseStatus::Broken
        );
        assert_eq!(
            judge_promise(500, 500, on, 2, date(2026, 5, 1)),
            PromiseStatus::Kept
        );
        assert_eq!(kept_rate(3, 1), Some(75.0));
        assert_eq!(kept_rate(0, 0), None);
    }

    #[test]
    fn an_equal_schedule_adds_up() {
        let plan = equal_schedule(eur(1000_01), 3, date(2026, 1, 31)).unwrap();
        let amounts: Vec<i64> = plan.iter().map(|i| i.amount.minor()).collect();
        assert_eq!(amounts.iter().sum::<i64>(), 1000_01);
        assert!(amounts.iter().max().unwrap() - amounts.iter().min().unwrap() <= 1);
        assert_eq!(plan[1].due_on, date(2026, 2, 28));
        assert_eq!(plan[2].due_on, date(2026, 3, 31));
    }

    #[test]
    fn schedules_that_do_not_add_up_are_refused() {
        let schedule = vec![
            Instalment {
                seq: 1,
                due_on: date(2026, 1, 1),
                amount: eur(100),
            },
            Instalment {
                seq: 2,
                due_on: date(2026, 2, 1),
                amount: eur(150),
            },
        ];
        assert!(matches!(
            check_schedule(eur(300), &schedule),
            Err(PlanError::DoesNotAddUp { .. })
        ));
        assert!(check_schedule(eur(250), &schedule).is_ok());
    }

    #[test]
    fn a_late_instalment_breaks_the_plan() {
        let schedule = [(1, date(2026, 1, 31), 100), (2, date(2026, 2, 28), 100)];
        let (status, states) = judge_plan(&schedule, 150, 3, date(2026, 3, 3));
        assert_eq!(status, PlanStatus::Active);
        assert_eq!((states[0].paid, states[1].paid), (100, 50));
        let (status, _) = judge_plan(&schedule, 150, 3, date(2026, 3, 4));
        assert_eq!(status, PlanStatus::Broken);
        let (status, _) = judge_plan(&schedule, 200, 3, date(2026, 9, 1));
        assert_eq!(status, PlanStatus::Completed);
    }

    proptest! {
        #[test]
        fn equal_schedules_always_add_up(total in 1i64..10_000_000_00, count in 1u32..60) {
            prop_assume!(total >= i64::from(count));
            let plan = equal_schedule(eur(total), count, date(2026, 1, 15)).unwrap();
            prop_assert_eq!(plan.iter().map(|i| i.amount.minor()).sum::<i64>(), total);
            prop_assert_eq!(plan.len(), count as usize);
        }

        #[test]
        fn instalments_never_take_more_than_paid(paid in -100i64..1_000, amounts in proptest::collection::vec(1i64..300, 1..8)) {
            let schedule: Vec<_> = amounts.iter().enumerate()
                .map(|(i, &a)| (i as u32 + 1, date(2026, 1, 1).checked_add(jiff::Span::new().months(i as i64)).unwrap(), a))
                .collect();
            let (_, states) = judge_plan(&schedule, paid, 0, date(2026, 6, 1));
            let covered: i64 = states.iter().map(|s| s.paid).sum();
            prop_assert_eq!(covered, paid.max(0).min(amounts.iter().sum()));
        }
    }
}
