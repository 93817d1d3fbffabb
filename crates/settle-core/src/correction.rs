//! Correcting a posted entry: nothing is edited; the exact opposite entry is posted, dated in
//! an open period, naming the original. That is how a mistake inside a closed period is put
//! right without touching the period.

use thiserror::Error;

use crate::Date;
use crate::document::ItemState;
use crate::ids::EntryId;
use crate::journal::{EntryKind, JournalEntry};
use crate::payment::PaymentState;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CorrectionRefused {
    #[error("entry {entry} ({kind}) is not corrected by reversal: {instead}")]
    UseInstead {
        entry: EntryId,
        kind: EntryKind,
        instead: &'static str,
    },
    #[error("entry {entry} was already reversed by entry {by}")]
    AlreadyReversed { entry: EntryId, by: EntryId },
    #[error("the correction's date {date} is before the entry's date {original}")]
    TooEarly { date: Date, original: Date },
    #[error(
        "reversing entry {entry} would leave {number} with {balance} the wrong way round: {hint}"
    )]
    ItemWouldFlip {
        entry: EntryId,
        number: String,
        balance: String,
        hint: &'static str,
    },
    #[error(
        "reversing entry {entry} would take more from payment {payment} than is unapplied on it ({unapplied}): unapply its applications first"
    )]
    PaymentApplied {
        entry: EntryId,
        payment: crate::ids::PaymentId,
        unapplied: String,
    },
    #[error("a correction needs a reason")]
    NoReason,
}

/// The reversal of `original`, checked: the kind is corrected this way, it is not reversed
/// yet, and no item or payment it touches would end on the wrong side of zero.
pub fn correction(
    id: EntryId,
    original: &JournalEntry,
    reversed_by: Option<EntryId>,
    items: &[ItemState],
    payments: &[PaymentState],
    date: Date,
    reason: &str,
) -> Result<JournalEntry, CorrectionRefused> {
    if reason.trim().is_empty() {
        return Err(CorrectionRefused::NoReason);
    }
    let instead = match original.kind {
        EntryKind::CashApplication | EntryKind::CreditApplication => {
            Some("use `settle unapply` with its application")
        }
        EntryKind::Reversal => Some("a reversal stands; post the original again if it was right"),
        EntryKind::WriteOff => Some("use `settle recover` to reinstate what was written off"),
        EntryKind::Recovery => Some("write the amount off again"),
        EntryKind::Refund | EntryKind::RefundPayout => {
            Some("a refund paid out is corrected with the bank, then a new payment")
        }
        EntryKind::PayerIdentified => Some("apply the cash or move it with a new identification"),
        EntryKind::Invoice
        | EntryKind::DebitMemo
        | EntryKind::CreditMemo
        | EntryKind::Payment
        | EntryKind::Adjustment
        | EntryKind::ReserveAdjustment => None,
    };
    if let Some(instead) = instead {
        return Err(CorrectionRefused::UseInstead {
            entry: id,
            kind: original.kind,
            instead,
        });
    }
    if let Some(by) = reversed_by {
        return Err(CorrectionRefused::AlreadyReversed { entry: id, by });
    }
    if date < original.date {
        return Err(CorrectionRefused::TooEarly {
            date,
            original: original.date,
        });
    }
    let reversal = original.reversal(id, date, format!("correction of entry {id}: {reason}"));
    for (item_id, delta) in reversal.item_deltas() {
        let Some(item) = items.iter().find(|i| i.id == item_id) else {
            continue;
        };
        let after = item.balance.minor() + delta.minor();
        let wrong = if item.kind.is_debit() {
            after < 0
        } else {
            after > 0
        };
        if wrong {
            return Err(CorrectionRefused::ItemWouldFlip {
                entry: id,
                number: item.number.clone(),
                balance: crate::Money::new(after, item.currency).to_decimal_string(),
                hint: "cash or credit was applied to it since; unapply that first",
            });
        }
    }
    for (payment_id, delta) in reversal.payment_deltas() {
        let Some(payment) = payments.iter().find(|p| p.id == payment_id) else {
            continue;
        };
        // The delta is the change in the payment's unapplied cash.
        if payment.unapplied.minor() + delta.minor() < 0 {
            return Err(CorrectionRefused::PaymentApplied {
                entry: id,
                payment: payment_id,
                unapplied: payment.unapplied.to_decimal_string(),
            });
        }
    }
    Ok(reversal)
}

#[cfg(test)]
// Amounts in cents are grouped as dollars_cents (108_00 is 108.00).
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use crate::accounts::ChartOfAccounts;
    use crate::document::{DocumentLine, ItemKind, NewDocument};
    use crate::events;
    use crate::ids::{CustomerId, ItemId};
    use crate::terms::PaymentTerms;
    use crate::{Currency, Money};
    use jiff::civil::date;

    fn invoice() -> (JournalEntry, ItemState) {
        let chart = ChartOfAccounts::default();
        let document = NewDocument {
            kind: ItemKind::Invoice,
            customer: CustomerId(1),
            number: "INV-1".into(),
            issue_date: date(2026, 10, 5),
            due_date: date(2026, 11, 4),
            currency: Currency::USD,
            terms: PaymentTerms::Net { days: 30 },
            lines: vec![DocumentLine {
                description: "work".into(),
                net: Money::new(100_00, Currency::USD),
                tax: Money::new(8_00, Currency::USD),
            }],
            po_number: String::new(),
            description: String::new(),
            reason: None,
        };
        let entry = events::issue_document(&chart, ItemId(1), &document).unwrap();
        let state = ItemState {
            id: ItemId(1),
            number: "INV-1".into(),
            kind: ItemKind::Invoice,
            customer: CustomerId(1),
            currency: Currency::USD,
            issue_date: document.issue_date,
            due_date: document.due_date,
            terms: PaymentTerms::Net { days: 30 },
            total: Money::new(108_00, Currency::USD),
            balance: Money::new(108_00, Currency::USD),
        };
        (entry, state)
    }

    #[test]
    fn an_untouched_invoice_is_voided_by_its_exact_opposite() {
        let (entry, item) = invoice();
        let reversal = correction(
            EntryId(7),
            &entry,
            None,
            &[item],
            &[],
            date(2026, 11, 2),
            "wrong customer",
        )
        .unwrap();
        assert_eq!(reversal.reverses, Some(EntryId(7)));
        assert_eq!(reversal.date, date(2026, 11, 2));
        assert_eq!(reversal.check_balanced(), Ok(()));
        assert_eq!(
            reversal.item_deltas().get(&ItemId(1)),
            Some(&Money::new(-108_00, Currency::USD))
        );
    }

    #[test]
    fn a_paid_invoice_twice_reversed_or_too_early_is_refused() {
        let (entry, mut item) = invoice();
        let when = date(2026, 11, 2);
        assert!(matches!(
            correction(
                EntryId(7),
                &entry,
                Some(EntryId(9)),
                std::slice::from_ref(&item),
                &[],
                when,
                "x"
            ),
            Err(CorrectionRefused::AlreadyReversed { .. })
        ));
        assert!(matches!(
            correction(
                EntryId(7),
                &entry,
                None,
                std::slice::from_ref(&item),
                &[],
                date(2026, 10, 1),
                "x"
            ),
            Err(CorrectionRefused::TooEarly { .. })
        ));
        assert_eq!(
            correction(
                EntryId(7),
                &entry,
                None,
                std::slice::from_ref(&item),
                &[],
                when,
                " "
            ),
            Err(CorrectionRefused::NoReason)
        );
        item.balance = Money::new(8_00, Currency::USD);
        assert!(matches!(
            correction(EntryId(7), &entry, None, &[item], &[], when, "x"),
            Err(CorrectionRefused::ItemWouldFlip { .. })
        ));
        let mut application = entry.clone();
        application.kind = EntryKind::CashApplication;
        assert!(matches!(
            correction(EntryId(7), &application, None, &[], &[], when, "x"),
            Err(CorrectionRefused::UseInstead { .. })
        ));
    }
}
