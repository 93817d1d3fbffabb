//! How well cash application works: hit rates per payment and per invoice, the automatic
//! applications a person had to undo, and how long cash waits between receipt and application.
//!
//! Definitions (the `settle report matching` help and the README say the same):
//! - an application *stands* unless a person undid it (`unapply`); one reversed because the bank
//!   returned the payment stands: the cash was applied right, the bank took it back;
//! - a payment is applied *in full automatically* when its standing automatic applications add up
//!   to its whole amount, *automatically at all* when it has one; otherwise it counts, in this
//!   order, as applied *by an accepted suggestion*, *by hand*, or *unapplied* (no standing
//!   application): every payment is in exactly one of automatic / suggestion / hand / unapplied;
//! - the invoice hit rate looks at the invoices with a standing application of cash from a payment
//!   that came from a statement line; one is *closed automatically* when all those applications
//!   were automatic and the invoice is closed, or open again only by what returned items took back;
//! - the error rate is the share of automatic applications that a person undid;
//! - time to application is, per standing application, its date minus the payment's receipt
//!   (value) date in days; the median and the 90th percentile use the nearest-rank method.
//!
//! Pure: counts in, counts out; shares are integers over integers, shown with one decimal.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::ids::{ItemId, PaymentId};
use crate::money::Money;

/// Who made an application of cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationOrigin {
    /// The matcher, without a person.
    Automatic,
    /// A clerk accepted the matcher's suggestion.
    AcceptedSuggestion,
    /// A person applied it (`settle apply --payment`).
    ByHand,
}

/// One application of a payment's cash to an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedCash {
    pub invoice: ItemId,
    pub cash: Money,
    pub discount: Money,
    pub applied_on: Date,
    pub origin: ApplicationOrigin,
    /// Reversed by a person's `unapply`.
    pub undone_by_person: bool,
    /// Reversed because the bank returned the payment.
    pub taken_back_by_return: bool,
}

impl AppliedCash {
    fn stands(&self) -> bool {
        !self.undone_by_person
    }
}

/// A payment received, with every application ever made of its cash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPayment {
    pub payment: PaymentId,
    pub amount: Money,
    pub received_on: Date,
    /// Posted from a bank statement line (not only by hand).
    pub from_statement: bool,
    pub applications: Vec<AppliedCash>,
}

/// `count` of `of`, as a percentage with one decimal (half up); none of none has no share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Share {
    pub count: u64,
    pub of: u64,
    pub percent: Option<String>,
}

impl Share {
    pub fn new(count: u64, of: u64) -> Share {
        let percent = (of > 0).then(|| {
            // Tenths of a percent, rounded half up, in integers.
            let tenths = (u128::from(count) * 2000 + u128::from(of)) / (2 * u128::from(of));
            format!("{}.{}", tenths / 10, tenths % 10)
        });
        Share { count, of, percent }
    }
}

/// The figures of one group of payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchMetrics {
    pub payments: u64,
    pub applied_in_full_automatically: Share,
    pub applied_automatically: Share,
    pub applied_by_accepted_suggestion: Share,
    pub applied_by_hand: Share,
    pub unapplied: Share,
    /// Of the invoices paid by cash from statement lines, those closed automatically.
    pub invoices_closed_automatically: Share,
    /// Of the automatic applications, those a person undid.
    pub automatic_applications_undone: Share,
    /// Standing applications timed.
    pub applications_timed: u64,
    pub days_to_application_median: Option<i64>,
    pub days_to_application_p90: Option<i64>,
}

/// The figures of `payments`. `open_balance` is each invoice's open balance now, in minor units
/// (an invoice missing from it counts as open).
pub fn match_metrics(
    payments: &[&ReceivedPayment],
    open_balance: &BTreeMap<ItemId, i64>,
) -> MatchMetrics {
    let total = payments.len() as u64;
    let (mut full, mut auto, mut suggestion, mut hand, mut unapplied) = (0, 0, 0, 0, 0);
    let (mut automatic, mut undone) = (0, 0);
    let mut days = Vec::new();
    // Per invoice paid from statement cash: whether every such application was automatic, and
    // the cash and discount returned items took back.
    let mut invoices: BTreeMap<ItemId, (bool, i64)> = BTreeMap::new();
    for payment in payments {
        let standing: Vec<&AppliedCash> =
            payment.applications.iter().filter(|a| a.stands()).collect();
        let has = |origin| standing.iter().any(|a| a.origin == origin);
        let automatic_cash: i64 = standing
            .iter()
            .filter(|a| a.origin == ApplicationOrigin::Automatic)
            .map(|a| a.cash.minor())
            .sum();
        if automatic_cash == payment.amount.minor() {
            full += 1;
        }
        if has(ApplicationOrigin::Automatic) {
            auto += 1;
        } else if has(ApplicationOrigin::AcceptedSuggestion) {
            suggestion += 1;
        } else if has(ApplicationOrigin::ByHand) {
            hand += 1;
        } else {
            unapplied += 1;
        }
        for application in &payment.applications {
            if application.origin == ApplicationOrigin::Automatic {
                automatic += 1;
                if application.undone_by_person {
                    undone += 1;
                }
            }
        }
        for application in &standing {
            days.push(i64::from(
                (application.applied_on - payment.received_on).get_days(),
            ));
            if payment.from_statement {
                let invoice = invoices.entry(application.invoice).or_insert((true, 0));
                invoice.0 &= application.origin == ApplicationOrigin::Automatic;
                if application.taken_back_by_return {
                    invoice.1 += application.cash.minor() + application.discount.minor();
                }
            }
        }
    }
    let closed = invoices
        .iter()
        .filter(|(invoice, (all_automatic, returned))| {
            *all_automatic
                && open_balance
                    .get(invoice)
                    .is_some_and(|open| open == returned)
        })
        .count() as u64;
    days.sort_unstable();
    MatchMetrics {
        payments: total,
        applied_in_full_automatically: Share::new(full, total),
        applied_automatically: Share::new(auto, total),
        applied_by_accepted_suggestion: Share::new(suggestion, total),
        applied_by_hand: Share::new(hand, total),
        unapplied: Share::new(unapplied, total),
        invoices_closed_automatically: Share::new(closed, invoices.len() as u64),
        automatic_applications_undone: Share::new(undone, automatic),
        applications_timed: days.len() as u64,
        days_to_application_median: nearest_rank(&days, 50),
        days_to_application_p90: nearest_rank(&days, 90),
    }
}

/// The nearest-rank percentile of sorted values: the value at rank ⌈p/100 × n⌉.
pub fn nearest_rank(sorted: &[i64], percentile: u64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let rank = (percentile * n).div_ceil(100).max(1);
    Some(sorted[(rank - 1) as usize])
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::currency::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn applied(invoice: i64, cash: i64, day: i8, origin: ApplicationOrigin) -> AppliedCash {
        AppliedCash {
            invoice: ItemId(invoice),
            cash: usd(cash),
            discount: usd(0),
            applied_on: date(2026, 7, day),
            origin,
            undone_by_person: false,
            taken_back_by_return: false,
        }
    }

    fn payment(id: i64, amount: i64, applications: Vec<AppliedCash>) -> ReceivedPayment {
        ReceivedPayment {
            payment: PaymentId(id),
            amount: usd(amount),
            received_on: date(2026, 7, 1),
            from_statement: true,
            applications,
        }
    }

    #[test]
    fn shares_are_rounded_half_up_to_a_tenth_of_a_percent() {
        assert_eq!(Share::new(1, 3).percent.as_deref(), Some("33.3"));
        assert_eq!(Share::new(2, 3).percent.as_deref(), Some("66.7"));
        assert_eq!(Share::new(1, 8).percent.as_deref(), Some("12.5"));
        assert_eq!(Share::new(0, 0).percent, None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[4], 90), Some(4));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 90), Some(4));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
    }

    #[test]
    fn each_payment_counts_once_and_undone_automatic_applications_are_errors() {
        use ApplicationOrigin::*;
        let mut wrong = applied(3, 500, 1, Automatic);
        wrong.undone_by_person = true;
        let payments = [
            payment(1, 1000, vec![applied(1, 1000, 1, Automatic)]),
            payment(2, 800, vec![applied(2, 500, 3, Automatic)]),
            payment(3, 500, vec![wrong, applied(3, 500, 6, ByHand)]),
            payment(4, 200, vec![applied(4, 200, 2, AcceptedSuggestion)]),
            payment(5, 70, vec![]),
        ];
        let refs: Vec<&ReceivedPayment> = payments.iter().collect();
        // Invoice 2 is still half open; the rest are closed.
        let open = BTreeMap::from([
            (ItemId(1), 0),
            (ItemId(2), 100),
            (ItemId(3), 0),
            (ItemId(4), 0),
        ]);
        let metrics = match_metrics(&refs, &open);
        assert_eq!(metrics.payments, 5);
        assert_eq!(metrics.applied_in_full_automatically, Share::new(1, 5));
        assert_eq!(metrics.applied_automatically, Share::new(2, 5));
        assert_eq!(metrics.applied_by_accepted_suggestion, Share::new(1, 5));
        assert_eq!(metrics.applied_by_hand, Share::new(1, 5));
        assert_eq!(metrics.unapplied, Share::new(1, 5));
        assert_eq!(metrics.invoices_closed_automatically, Share::new(1, 4));
        assert_eq!(metrics.automatic_applications_undone, Share::new(1, 3));
        // Standing applications waited 0, 2, 5 and 1 days.
        assert_eq!(metrics.applications_timed, 4);
        assert_eq!(metrics.days_to_application_median, Some(1));
        assert_eq!(metrics.days_to_application_p90, Some(5));
    }

    #[test]
    fn an_invoice_reopened_only_by_a_returned_item_stays_closed_automatically() {
        let mut returned = applied(1, 1000, 1, ApplicationOrigin::Automatic);
        returned.taken_back_by_return = true;
        let payments = [payment(1, 1000, vec![returned])];
        let refs: Vec<&ReceivedPayment> = payments.iter().collect();
        let metrics = match_metrics(&refs, &BTreeMap::from([(ItemId(1), 1000)]));
        assert_eq!(metrics.invoices_closed_automatically, Share::new(1, 1));
        assert_eq!(metrics.applied_in_full_automatically, Share::new(1, 1));
    }
}
