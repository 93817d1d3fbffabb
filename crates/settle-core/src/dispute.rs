//! Disputes and deductions: a customer contests part of an invoice (or one of its lines), or
//! pays short and the difference becomes a deduction to investigate.
//!
//! A dispute holds an amount of an open item out of collection while it is *active* (`open` or
//! `in_review`): dunning leaves it alone and the aging shows it apart. It ends in one of four
//! resolutions, each a status of its own: a credit memo (the customer was right), a rebill (the
//! invoice is credited in full and replaced), reinstated (the customer was wrong: the amount is
//! collected again) or written off.
//!
//! Stored reasons from before the reason codes existed are free text; [`DisputeReason::read_stored`]
//! reads them: `DEDUCTION` (what cash application wrote) is the `deduction` code, any other
//! unknown text is `other`, with the text kept for the note.

use crate::customer::text_enum;
use crate::money::Money;
use crate::reason::ReasonCode;

text_enum!(
    /// Why the customer disputes. `deduction` is a short payment whose cause is not known yet.
    DisputeReason, "dispute reason" {
        Pricing => "pricing",
        Quantity => "quantity",
        Damaged => "damaged",
        NotReceived => "not_received",
        DuplicateBilling => "duplicate_billing",
        Tax => "tax",
        Deduction => "deduction",
        Other => "other",
    }
);

impl DisputeReason {
    /// Reads a stored reason. Codes read as themselves (in any case, so cash application's
    /// `DEDUCTION` is `deduction`); any other text is `other`, and the text is returned to be
    /// shown as a note so that nothing the row said is lost.
    pub fn read_stored(text: &str) -> (DisputeReason, Option<String>) {
        match text.parse() {
            Ok(reason) => (reason, None),
            Err(_) => (DisputeReason::Other, Some(text.to_string())),
        }
    }

    /// The reason code a credit memo or write-off that resolves the dispute is booked with.
    pub fn reason_code(self) -> ReasonCode {
        match self {
            DisputeReason::Pricing => ReasonCode::Pricing,
            DisputeReason::Quantity | DisputeReason::NotReceived => ReasonCode::ShortShipment,
            DisputeReason::Damaged => ReasonCode::Damaged,
            DisputeReason::DuplicateBilling => ReasonCode::DuplicateBilling,
            DisputeReason::Tax | DisputeReason::Deduction | DisputeReason::Other => {
                ReasonCode::Other
            }
        }
    }
}

text_enum!(
    /// Where a dispute stands. The first two are active; the others are resolutions.
    DisputeStatus, "dispute status" {
        Open => "open",
        InReview => "in_review",
        Credited => "credited",
        Rebilled => "rebilled",
        Reinstated => "reinstated",
        WrittenOff => "written_off",
    }
);

impl DisputeStatus {
    /// The statuses whose amounts are held out of collection. Dunning and the aging select
    /// disputes by these texts.
    pub const ACTIVE: [DisputeStatus; 2] = [DisputeStatus::Open, DisputeStatus::InReview];

    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeError {
    #[error("dispute {id} is {from}: it cannot be moved to {to}")]
    Transition {
        id: i64,
        from: DisputeStatus,
        to: DisputeStatus,
    },
    #[error("amount: a disputed amount must be more than zero, not {0}")]
    NotPositive(Money),
    #[error("amount: {amount} is in {}, but {number} is in {}", amount.currency(), open.currency())]
    Currency {
        number: String,
        amount: Money,
        open: Money,
    },
    #[error(
        "amount: {amount} is more than can be disputed on {number}: {open} open, {disputed} already in active disputes, so at most {room}"
    )]
    MoreThanOpen {
        number: String,
        amount: Money,
        open: Money,
        disputed: Money,
        room: Money,
    },
    #[error("line: {number} has no line {line} (it has {lines})")]
    NoSuchLine {
        number: String,
        line: i64,
        lines: i64,
    },
    #[error("amount: {amount} is more than line {line} of {number} ({line_total} with tax)")]
    MoreThanLine {
        number: String,
        line: i64,
        amount: Money,
        line_total: Money,
    },
    #[error("amount: {amount} is more than the {disputed} in dispute {id}")]
    MoreThanDisputed {
        id: i64,
        amount: Money,
        disputed: Money,
    },
    #[error(
        "dispute {id}: {number} has {open} open, less than the {amount} to {what}; the rest was paid or credited since the dispute opened"
    )]
    NoLongerOpen {
        id: i64,
        number: String,
        open: Money,
        amount: Money,
        what: &'static str,
    },
}

/// Checks that `to` may follow `from`: an active dispute may go into review (once) or be
/// resolved in any way; a resolved one is final.
pub fn check_transition(
    id: i64,
    from: DisputeStatus,
    to: DisputeStatus,
) -> Result<(), DisputeError> {
    let allowed = match from {
        DisputeStatus::Open => to != DisputeStatus::Open,
        DisputeStatus::InReview => !to.is_active(),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(DisputeError::Transition { id, from, to })
    }
}

/// What a new dispute is checked against: the item's open balance now, what active disputes
/// already hold on it, and (for a dispute on a line) the line's number and gross amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeTarget<'a> {
    pub number: &'a str,
    pub open: Money,
    pub disputed: Money,
    /// How many lines the item has, and the chosen line's net + tax, when a line is named.
    pub line: Option<(i64, i64, Option<Money>)>,
}

/// Checks a new dispute's amount (and line): more than zero, in the item's currency, no more
/// than what is open and not already disputed, and no more than the line when one is named.
pub fn check_new(amount: Money, target: &DisputeTarget<'_>) -> Result<(), DisputeError> {
    if !amount.is_positive() {
        return Err(DisputeError::NotPositive(amount));
    }
    if amount.currency() != target.open.currency() {
        return Err(DisputeError::Currency {
            number: target.number.to_string(),
            amount,
            open: target.open,
        });
    }
    if let Some((line, lines, line_total)) = target.line {
        match line_total {
            Some(line_total) if line >= 1 && line <= lines => {
                if amount > line_total {
                    return Err(DisputeError::MoreThanLine {
                        number: target.number.to_string(),
                        line,
                        amount,
                        line_total,
                    });
                }
            }
            _ => {
                return Err(DisputeError::NoSuchLine {
                    number: target.number.to_string(),
                    line,
                    lines,
                });
            }
        }
    }
    let room = Money::new(
        (target.open.minor() - target.disputed.minor()).max(0),
        target.open.currency(),
    );
    if amount > room {
        return Err(DisputeError::MoreThanOpen {
            number: target.number.to_string(),
            amount,
            open: target.open,
            disputed: target.disputed,
            room,
        });
    }
    Ok(())
}

/// The amount a credit-memo resolution credits: the disputed amount unless a smaller one is
/// given (the rest then returns to collection), never more than is open on the invoice.
pub fn credit_amount(
    id: i64,
    number: &str,
    disputed: Money,
    requested: Option<Money>,
    open: Money,
) -> Result<Money, DisputeError> {
    let amount = requested.unwrap_or(disputed);
    if !amount.is_positive() {
        return Err(DisputeError::NotPositive(amount));
    }
    if amount.currency() != disputed.currency() {
        return Err(DisputeError::Currency {
            number: number.to_string(),
            amount,
            open,
        });
    }
    if amount > disputed {
        return Err(DisputeError::MoreThanDisputed {
            id,
            amount,
            disputed,
        });
    }
    check_still_open(id, number, amount, open, "credit")?;
    Ok(amount)
}

/// Refuses to post `amount` against an invoice that has less than that open now.
pub fn check_still_open(
    id: i64,
    number: &str,
    amount: Money,
    open: Money,
    what: &'static str,
) -> Result<(), DisputeError> {
    if amount > open {
        return Err(DisputeError::NoLongerOpen {
            id,
            number: number.to_string(),
            open,
            amount,
            what,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    #[test]
    fn reasons_read_codes_and_keep_unknown_text() {
        assert_eq!(
            DisputeReason::read_stored("DEDUCTION"),
            (DisputeReason::Deduction, None)
        );
        assert_eq!(
            DisputeReason::read_stored("not received"),
            (DisputeReason::NotReceived, None)
        );
        assert_eq!(
            DisputeReason::read_stored("late truck"),
            (DisputeReason::Other, Some("late truck".to_string()))
        );
        let err = "price".parse::<DisputeReason>().unwrap_err().to_string();
        assert!(err.contains("pricing, quantity"), "{err}");
    }

    #[test]
    fn transitions() {
        use DisputeStatus::*;
        assert!(check_transition(1, Open, InReview).is_ok());
        assert!(check_transition(1, Open, Credited).is_ok());
        assert!(check_transition(1, InReview, Reinstated).is_ok());
        assert!(check_transition(1, InReview, InReview).is_err());
        assert!(check_transition(1, InReview, Open).is_err());
        for done in [Credited, Rebilled, Reinstated, WrittenOff] {
            assert!(!done.is_active());
            for to in [Open, InReview, Credited, Rebilled, Reinstated, WrittenOff] {
                let err = check_transition(7, done, to).unwrap_err().to_string();
                assert!(err.starts_with(&format!("dispute 7 is {done}")), "{err}");
            }
        }
    }

    #[test]
    fn amounts_fit_what_is_open_and_not_yet_disputed() {
        let target = DisputeTarget {
            number: "INV-1",
            open: usd(100_00),
            disputed: usd(30_00),
            line: None,
        };
        assert!(check_new(usd(70_00), &target).is_ok());
        let err = check_new(usd(70_01), &target).unwrap_err().to_string();
        assert!(err.contains("at most 70.00"), "{err}");
        assert!(matches!(
            check_new(usd(0), &target),
            Err(DisputeError::NotPositive(_))
        ));
        assert!(matches!(
            check_new(Money::new(1, Currency::EUR), &target),
            Err(DisputeError::Currency { .. })
        ));
    }

    #[test]
    fn lines_must_exist_and_hold_the_amount() {
        let on_line = |line, total| DisputeTarget {
            number: "INV-1",
            open: usd(100_00),
            disputed: usd(0),
            line: Some((line, 2, total)),
        };
        assert!(check_new(usd(10_00), &on_line(2, Some(usd(10_00)))).is_ok());
        let err = check_new(usd(10_01), &on_line(2, Some(usd(10_00))))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2 of INV-1"), "{err}");
        let err = check_new(usd(1), &on_line(3, None))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "line: INV-1 has no line 3 (it has 2)");
    }

    #[test]
    fn a_credit_is_at_most_the_disputed_and_the_open_amount() {
        assert_eq!(
            credit_amount(1, "INV-1", usd(50_00), None, usd(80_00)),
            Ok(usd(50_00))
        );
        assert_eq!(
            credit_amount(1, "INV-1", usd(50_00), Some(usd(20_00)), usd(80_00)),
            Ok(usd(20_00))
        );
        assert!(matches!(
            credit_amount(1, "INV-1", usd(50_00), Some(usd(50_01)), usd(80_00)),
            Err(DisputeError::MoreThanDisputed { .. })
        ));
        assert!(matches!(
            credit_amount(1, "INV-1", usd(50_00), None, usd(40_00)),
            Err(DisputeError::NoLongerOpen { .. })
        ));
    }
}
