//! Maker-checker: which money events wait for a second person, and who may be that person.
//!
//! A credit memo, a write-off or a refund whose amount exceeds the limit set for its kind and
//! currency is not posted when asked for; it waits until a user other than its maker, with a
//! role that may approve, approves it. These are the rules alone; the service stores what
//! waits and posts it.

use crate::access::{Permission, Role};
use crate::customer::text_enum;
use crate::money::Money;

text_enum!(
    /// The money events that can wait for approval.
    ApprovalOperation, "approval operation" {
        CreditMemo => "credit_memo",
        WriteOff => "write_off",
        Refund => "refund",
    }
);

text_enum!(
    /// Where a request that waited stands.
    ApprovalStatus, "approval status" {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
);

impl ApprovalOperation {
    pub fn all() -> [ApprovalOperation; 3] {
        [
            ApprovalOperation::CreditMemo,
            ApprovalOperation::WriteOff,
            ApprovalOperation::Refund,
        ]
    }

    /// The event in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ApprovalOperation::CreditMemo => "credit memo",
            ApprovalOperation::WriteOff => "write-off",
            ApprovalOperation::Refund => "refund",
        }
    }
}

/// Whether `amount` must wait for approval under `limit` (none set: never). An amount equal
/// to the limit is within it. A limit in another currency does not apply.
pub fn needs_approval(amount: Money, limit: Option<Money>) -> bool {
    limit.is_some_and(|limit| {
        limit.currency() == amount.currency() && amount.minor().abs() > limit.minor()
    })
}

/// Why a user may not approve or reject a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckerRefused {
    #[error("{checker} made this request; a different user must approve it")]
    OwnRequest { checker: String },
    #[error("approving needs the role manager or admin; {checker} is {role}")]
    Role { checker: String, role: Role },
    #[error("it was {status} already")]
    Decided { status: ApprovalStatus },
}

/// Whether `checker`, holding `role`, may decide a request of `maker` that stands at `status`.
/// Nobody decides their own request, only approving roles decide, and only once.
pub fn check_checker(
    maker: &str,
    checker: &str,
    role: Role,
    status: ApprovalStatus,
) -> Result<(), CheckerRefused> {
    if status != ApprovalStatus::Pending {
        return Err(CheckerRefused::Decided { status });
    }
    if !role.may(Permission::Approve) {
        return Err(CheckerRefused::Role {
            checker: checker.to_string(),
            role,
        });
    }
    if checker == maker {
        return Err(CheckerRefused::OwnRequest {
            checker: checker.to_string(),
        });
    }
    Ok(())
}

/// Whether a maker may withdraw (reject) their own request standing at `status`: only while
/// it is pending, since withdrawing posts nothing.
pub fn check_withdrawal(status: ApprovalStatus) -> Result<(), CheckerRefused> {
    match status {
        ApprovalStatus::Pending => Ok(()),
        status => Err(CheckerRefused::Decided { status }),
    }
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::Currency;
    use proptest::prelude::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    #[test]
    fn only_amounts_over_the_limit_wait() {
        assert!(!needs_approval(usd(500_00), None));
        assert!(!needs_approval(usd(500_00), Some(usd(500_00))));
        assert!(needs_approval(usd(500_01), Some(usd(500_00))));
        assert!(!needs_approval(
            usd(900_00),
            Some(Money::new(1_00, Currency::EUR))
        ));
        assert!(needs_approval(usd(1), Some(usd(0))));
    }

    #[test]
    fn the_maker_never_checks_and_clerks_never_approve() {
        use ApprovalStatus::*;
        assert!(check_checker("ann", "bob", Role::Manager, Pending).is_ok());
        assert!(check_checker("ann", "bob", Role::Admin, Pending).is_ok());
        assert_eq!(
            check_checker("ann", "ann", Role::Manager, Pending),
            Err(CheckerRefused::OwnRequest {
                checker: "ann".into()
            })
        );
        assert!(matches!(
            check_checker("ann", "bob", Role::Clerk, Pending),
            Err(CheckerRefused::Role { .. })
        ));
        assert_eq!(
            check_checker("ann", "bob", Role::Manager, Approved),
            Err(CheckerRefused::Decided { status: Approved })
        );
    }

    proptest! {
        #[test]
        fn nobody_approves_their_own(name in "[a-z]{1,8}", role in proptest::sample::select(Role::all().to_vec())) {
            prop_assert!(check_checker(&name, &name, role, ApprovalStatus::Pending).is_err());
        }

        #[test]
        fn a_limit_splits_amounts_at_itself(limit in 0i64..1_000_000, amount in 0i64..2_000_000) {
            prop_assert_eq!(needs_approval(usd(amount), Some(usd(limit))), amount > limit);
        }
    }
}
