//! The journal: balanced double-entry entries made of postings that never change.
//!
//! Amounts are signed: a debit is positive, a credit negative, so an entry balances when its
//! postings sum to zero in each currency. A posting to A/R control names the open item it moves;
//! a posting to Unapplied cash names the payment it moves. Those two references are the
//! subledgers: an item's balance is the sum of its A/R postings, a payment's unapplied amount the
//! negated sum of its Unapplied-cash postings.

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::currency::Currency;
use crate::customer::text_enum;
use crate::ids::{CustomerId, EntryId, ItemId, PaymentId};
use crate::money::Money;

text_enum!(
    /// The money event an entry records.
    EntryKind, "entry kind" {
        Invoice => "invoice",
        DebitMemo => "debit_memo",
        CreditMemo => "credit_memo",
        Payment => "payment",
        CashApplication => "cash_application",
        CreditApplication => "credit_application",
        Adjustment => "adjustment",
        WriteOff => "write_off",
        Refund => "refund",
        RefundPayout => "refund_payout",
        Reversal => "reversal",
        PayerIdentified => "payer_identified",
        Recovery => "recovery",
        ReserveAdjustment => "reserve_adjustment",
    }
);

/// One line of an entry: an amount to one account, with its subledger reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    /// Signed, in the transaction currency: debit > 0, credit < 0.
    pub amount: Money,
    /// The same amount in the entity's functional currency, once known. Equal to `amount` when
    /// the transaction is in the functional currency; `None` for a foreign-currency posting that
    /// has no exchange rate yet (the seam for multi-currency accounting).
    pub functional_minor: Option<i64>,
    pub customer: Option<CustomerId>,
    /// Set on every A/R control posting: the open item it moves.
    pub item: Option<ItemId>,
    /// Set on every Unapplied-cash posting: the payment it moves.
    pub payment: Option<PaymentId>,
}

impl Posting {
    pub fn new(account: &str, amount: Money) -> Self {
        Posting {
            account: account.to_string(),
            amount,
            functional_minor: None,
            customer: None,
            item: None,
            payment: None,
        }
    }

    pub fn for_item(mut self, customer: CustomerId, item: ItemId) -> Self {
        self.customer = Some(customer);
        self.item = Some(item);
        self
    }

    pub fn for_payment(mut self, customer: Option<CustomerId>, payment: PaymentId) -> Self {
        self.customer = customer;
        self.payment = Some(payment);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub kind: EntryKind,
    /// The accounting date of every posting in the entry.
    pub date: Date,
    pub memo: String,
    /// For a reversal: the entry it cancels.
    pub reverses: Option<EntryId>,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("entry has no postings")]
    Empty,
    #[error("entry does not balance in {currency}: postings sum to {sum} minor units")]
    Unbalanced { currency: Currency, sum: i128 },
    #[error("entry does not balance in the functional currency: postings sum to {sum}")]
    UnbalancedFunctional { sum: i128 },
    #[error("a posting of zero to {account}")]
    ZeroPosting { account: String },
}

impl JournalEntry {
    pub fn new(kind: EntryKind, date: Date, memo: impl Into<String>) -> Self {
        JournalEntry {
            kind,
            date,
            memo: memo.into(),
            reverses: None,
            postings: Vec::new(),
        }
    }

    /// Adds a debit (`amount` > 0) or credit (`amount` < 0). Zero amounts are dropped, so that a
    /// rule can add "tax" lines unconditionally.
    pub fn post(&mut self, posting: Posting) {
        if !posting.amount.is_zero() {
            self.postings.push(posting);
        }
    }

    /// Every entry balances in its transaction currency and, where converted, in the functional
    /// currency; it has at least one posting and no zero posting.
    pub fn check_balanced(&self) -> Result<(), JournalError> {
        if self.postings.is_empty() {
            return Err(JournalError::Empty);
        }
        let mut per_currency: BTreeMap<Currency, i128> = BTreeMap::new();
        let mut functional: i128 = 0;
        for posting in &self.postings {
            if posting.amount.is_zero() {
                return Err(JournalError::ZeroPosting {
                    account: posting.account.clone(),
                });
            }
            *per_currency.entry(posting.amount.currency()).or_default() +=
                i128::from(posting.amount.minor());
            functional += i128::from(posting.functional_minor.unwrap_or(0));
        }
        if let Some((currency, sum)) = per_currency.into_iter().find(|(_, sum)| *sum != 0) {
            return Err(JournalError::Unbalanced { currency, sum });
        }
        let all_converted = self.postings.iter().all(|p| p.functional_minor.is_some());
        if all_converted && functional != 0 {
            return Err(JournalError::UnbalancedFunctional { sum: functional });
        }
        Ok(())
    }

    /// Fills in the functional amounts of postings already in the functional currency.
    pub fn in_functional(mut self, functional: Currency) -> Self {
        for posting in &mut self.postings {
            if posting.amount.currency() == functional {
                posting.functional_minor = Some(posting.amount.minor());
            }
        }
        self
    }

    /// The exact opposite entry: same accounts and references, every amount negated.
    pub fn reversal(&self, original: EntryId, date: Date, memo: impl Into<String>) -> Self {
        let postings = self
            .postings
            .iter()
            .map(|p| Posting {
                amount: Money::new(-p.amount.minor(), p.amount.currency()),
                functional_minor: p.functional_minor.map(|f| -f),
                ..p.clone()
            })
            .collect();
        JournalEntry {
            kind: EntryKind::Reversal,
            date,
            memo: memo.into(),
            reverses: Some(original),
            postings,
        }
    }

    /// How much each open item's balance moves (sum of its A/R postings in this entry).
    pub fn item_deltas(&self) -> BTreeMap<ItemId, Money> {
        let mut deltas: BTreeMap<ItemId, Money> = BTreeMap::new();
        for posting in &self.postings {
            if let Some(item) = posting.item {
                let slot = deltas
                    .entry(item)
                    .or_insert(Money::zero(posting.amount.currency()));
                *slot = slot
                    .checked_add(posting.amount)
                    .expect("one item has one currency and bounded postings");
            }
        }
        deltas
    }

    /// How much each payment's unapplied amount moves: a credit to Unapplied cash raises it.
    pub fn payment_deltas(&self) -> BTreeMap<PaymentId, Money> {
        let mut deltas: BTreeMap<PaymentId, Money> = BTreeMap::new();
        for posting in &self.postings {
            if let Some(payment) = posting.payment {
                let slot = deltas
                    .entry(payment)
                    .or_insert(Money::zero(posting.amount.currency()));
                *slot = slot
                    .checked_sub(posting.amount)
                    .expect("one payment has one currency and bounded postings");
            }
        }
        deltas
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    #[test]
    fn balance_is_checked_per_currency() {
        let mut entry = JournalEntry::new(EntryKind::Invoice, date(2026, 1, 1), "t");
        entry.post(Posting::new("1200", usd(1000)));
        entry.post(Posting::new("4000", usd(-900)));
        assert!(matches!(
            entry.check_balanced(),
            Err(JournalError::Unbalanced { sum: 100, .. })
        ));
        entry.post(Posting::new("2200", usd(-100)));
        entry.post(Posting::new("2200", usd(0)));
        assert_eq!(entry.postings.len(), 3);
        assert_eq!(entry.check_balanced(), Ok(()));
        let entry = entry.in_functional(Currency::USD);
        assert_eq!(entry.check_balanced(), Ok(()));
        let reversal = entry.reversal(EntryId(7), date(2026, 1, 2), "undo");
        assert_eq!(reversal.check_balanced(), Ok(()));
        assert_eq!(reversal.postings[0].amount, usd(-1000));
        assert_eq!(reversal.reverses, Some(EntryId(7)));
    }

    #[test]
    fn an_empty_entry_is_refused() {
        let entry = JournalEntry::new(EntryKind::Payment, date(2026, 1, 1), "t");
        assert_eq!(entry.check_balanced(), Err(JournalError::Empty));
    }
}
