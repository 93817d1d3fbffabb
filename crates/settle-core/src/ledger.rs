//! An in-memory ledger: the reference model of what the store keeps.
//!
//! It runs the same posting rules as the service and checks the ledger's invariants after each
//! entry, so property tests can throw random sequences of operations at it. The store is checked
//! against the same invariants (see `settle-store`'s `verify`).

use std::collections::BTreeMap;

use crate::accounts::{AccountRole, ChartOfAccounts};
use crate::currency::Currency;
use crate::document::{ItemState, NewDocument};
use crate::ids::{EntryId, ItemId, PaymentId};
use crate::journal::{JournalEntry, JournalError};
use crate::money::Money;
use crate::payment::{NewPayment, PaymentState};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvariantViolation {
    #[error("entry {0}: {1}")]
    Unbalanced(usize, JournalError),
    #[error("A/R control holds {control} but open items sum to {items} in {currency}")]
    SubledgerMismatch {
        currency: Currency,
        control: i128,
        items: i128,
    },
    #[error("Unapplied cash holds {control} but payments' unapplied amounts sum to {payments}")]
    UnappliedMismatch { control: i128, payments: i128 },
    #[error("item {0} has a balance on the wrong side of zero")]
    ItemPastZero(ItemId),
    #[error("payment {0} has negative unapplied cash")]
    PaymentPastZero(PaymentId),
    #[error("an A/R or Unapplied-cash posting without its subledger reference")]
    MissingReference,
    #[error("the ledger does not sum to zero in {0}")]
    MoneyCreated(Currency),
}

#[derive(Debug, Clone)]
pub struct Ledger {
    pub chart: ChartOfAccounts,
    pub items: BTreeMap<ItemId, ItemState>,
    pub payments: BTreeMap<PaymentId, PaymentState>,
    pub entries: Vec<JournalEntry>,
}

impl Ledger {
    pub fn new(chart: ChartOfAccounts) -> Self {
        Ledger {
            chart,
            items: BTreeMap::new(),
            payments: BTreeMap::new(),
            entries: Vec::new(),
        }
    }

    /// Registers a new document's open item with a zero balance; its entry then moves it.
    pub fn open_item(&mut self, document: &NewDocument) -> ItemId {
        let id = ItemId(self.items.len() as i64 + 1);
        let total = document
            .total()
            .expect("documents in the model are in range");
        self.items.insert(
            id,
            ItemState {
                id,
                number: document.number.clone(),
                kind: document.kind,
                customer: document.customer,
                currency: document.currency,
                issue_date: document.issue_date,
                due_date: document.due_date,
                terms: document.terms,
                total,
                balance: Money::zero(document.currency),
            },
        );
        id
    }

    pub fn open_payment(&mut self, payment: &NewPayment) -> PaymentId {
        let id = PaymentId(self.payments.len() as i64 + 1);
        self.payments.insert(
            id,
            PaymentState {
                id,
                customer: payment.customer,
                currency: payment.amount.currency(),
                received_on: payment.received_on,
                amount: payment.amount,
                unapplied: Money::zero(payment.amount.currency()),
            },
        );
        id
    }

    /// Books an entry: moves the subledgers and keeps it. The entry must balance.
    pub fn book(&mut self, entry: JournalEntry) -> Result<EntryId, JournalError> {
        entry.check_balanced()?;
        for (item, delta) in entry.item_deltas() {
            let state = self.items.get_mut(&item).expect("entries name known items");
            state.balance = state
                .balance
                .checked_add(delta)
                .expect("bounded in the model");
        }
        for (payment, delta) in entry.payment_deltas() {
            let state = self
                .payments
                .get_mut(&payment)
                .expect("entries name known payments");
            state.unapplied = state
                .unapplied
                .checked_add(delta)
                .expect("bounded in the model");
        }
        self.entries.push(entry);
        Ok(EntryId(self.entries.len() as i64))
    }

    pub fn entry(&self, id: EntryId) -> &JournalEntry {
        &self.entries[(id.0 - 1) as usize]
    }

    /// Checks every ledger invariant; the first broken one is returned.
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let ar = self.chart.code(AccountRole::ArControl);
        let unapplied = self.chart.code(AccountRole::UnappliedCash);
        let mut per_currency: BTreeMap<Currency, i128> = BTreeMap::new();
        let mut control: BTreeMap<Currency, i128> = BTreeMap::new();
        let mut unapplied_control: i128 = 0;
        for (index, entry) in self.entries.iter().enumerate() {
            entry
                .check_balanced()
                .map_err(|e| InvariantViolation::Unbalanced(index, e))?;
            for posting in &entry.postings {
                let minor = i128::from(posting.amount.minor());
                *per_currency.entry(posting.amount.currency()).or_default() += minor;
                if posting.account == ar {
                    if posting.item.is_none() {
                        return Err(InvariantViolation::MissingReference);
                    }
                    *control.entry(posting.amount.currency()).or_default() += minor;
                }
                if posting.account == unapplied {
                    if posting.payment.is_none() {
                        return Err(InvariantViolation::MissingReference);
                    }
                    unapplied_control += minor;
                }
            }
        }
        if let Some((currency, _)) = per_currency.iter().find(|(_, sum)| **sum != 0) {
            return Err(InvariantViolation::MoneyCreated(*currency));
        }
        let mut items: BTreeMap<Currency, i128> = BTreeMap::new();
        for item in self.items.values() {
            let wrong_side = if item.kind.is_debit() {
                item.balance.is_negative()
            } else {
                item.balance.is_positive()
            };
            if wrong_side {
                return Err(InvariantViolation::ItemPastZero(item.id));
            }
            *items.entry(item.currency).or_default() += i128::from(item.balance.minor());
        }
        for currency in control.keys().chain(items.keys()) {
            let (c, i) = (
                control.get(currency).copied().unwrap_or(0),
                items.get(currency).copied().unwrap_or(0),
            );
            if c != i {
                return Err(InvariantViolation::SubledgerMismatch {
                    currency: *currency,
                    control: c,
                    items: i,
                });
            }
        }
        let mut payments: i128 = 0;
        for payment in self.payments.values() {
            if payment.unapplied.is_negative() {
                return Err(InvariantViolation::PaymentPastZero(payment.id));
            }
            payments += i128::from(payment.unapplied.minor());
        }
        if -unapplied_control != payments {
            return Err(InvariantViolation::UnappliedMismatch {
                control: unapplied_control,
                payments,
            });
        }
        Ok(())
    }
}
