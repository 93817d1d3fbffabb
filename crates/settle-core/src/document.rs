//! Open items: invoices, debit memos and credit memos, with their lines and tax.
//!
//! An open item is a receivable document whose balance is the sum of its postings to A/R
//! control. Invoices and debit memos are debit items (their balance is zero or positive); credit
//! memos are credit items (zero or negative).

use jiff::civil::Date;

use crate::currency::Currency;
use crate::customer::text_enum;
use crate::ids::{CustomerId, ItemId};
use crate::money::{Money, MoneyError};
use crate::reason::ReasonCode;
use crate::terms::PaymentTerms;

pub use crate::customer::UnknownValue;

text_enum!(
    /// What kind of receivable document an open item is.
    ItemKind, "item kind" {
        Invoice => "invoice",
        DebitMemo => "debit_memo",
        CreditMemo => "credit_memo",
    }
);

impl ItemKind {
    /// Debit items raise what the customer owes; credit items lower it.
    pub fn is_debit(self) -> bool {
        !matches!(self, ItemKind::CreditMemo)
    }
}

/// One billed line: its amount net of tax and the tax on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    pub description: String,
    pub net: Money,
    pub tax: Money,
}

/// A document as issued or imported, before the store gives it an id. Amounts are positive; the
/// kind says which side of A/R they go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub kind: ItemKind,
    pub number: String,
    pub customer: CustomerId,
    pub issue_date: Date,
    pub due_date: Date,
    pub currency: Currency,
    pub terms: PaymentTerms,
    pub lines: Vec<DocumentLine>,
    pub po_number: String,
    pub description: String,
    /// Why a memo was issued; invoices have none.
    pub reason: Option<ReasonCode>,
}

impl NewDocument {
    pub fn net(&self) -> Result<Money, MoneyError> {
        Money::sum(self.currency, self.lines.iter().map(|l| l.net))
    }

    pub fn tax(&self) -> Result<Money, MoneyError> {
        Money::sum(self.currency, self.lines.iter().map(|l| l.tax))
    }

    /// What the customer owes for (or is credited by) this document: net plus tax.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.net()?.checked_add(self.tax()?)
    }

    /// The same document with the same amounts: what a re-import must match to count as a
    /// duplicate rather than a conflicting document with a reused number.
    pub fn same_as(&self, other: &ItemState) -> bool {
        other.kind == self.kind
            && other.customer == self.customer
            && other.issue_date == self.issue_date
            && other.due_date == self.due_date
            && Ok(other.total) == self.total()
    }
}

/// What the core needs to know about a stored open item to decide an operation on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    pub id: ItemId,
    pub number: String,
    pub kind: ItemKind,
    pub customer: CustomerId,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub terms: PaymentTerms,
    /// The document total, positive.
    pub total: Money,
    /// Sum of its A/R postings: positive for a debit item still owed, negative for unused credit.
    pub balance: Money,
}

impl ItemState {
    /// What is still open, as a positive amount (owed on a debit item, unused on a credit item).
    pub fn open_amount(&self) -> Money {
        Money::new(self.balance.minor().abs(), self.currency)
    }
}
