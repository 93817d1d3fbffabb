//! Payments received: cash that lands in a bank account and waits in Unapplied cash until it is
//! applied to invoices or refunded.

use jiff::civil::Date;

use crate::currency::Currency;
use crate::customer::text_enum;
use crate::ids::{CustomerId, PaymentId};
use crate::money::Money;

text_enum!(
    /// How the money arrived.
    PaymentMethod, "payment method" {
        Check => "check",
        Ach => "ach",
        Wire => "wire",
        Card => "card",
        Other => "other",
    }
);

/// A payment as entered or imported, before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// `None` for cash whose payer is not identified yet.
    pub customer: Option<CustomerId>,
    pub amount: Money,
    /// The value date: when the cash is ours, which decides discounts.
    pub received_on: Date,
    pub method: PaymentMethod,
    /// The bank's reference for the credit; unique per bank account, which makes posting
    /// exactly-once.
    pub bank_reference: String,
    pub bank_account: String,
    pub payer_name: String,
    pub payer_account: String,
    pub memo: String,
}

/// What the core needs to know about a stored payment to decide an operation on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub id: PaymentId,
    pub customer: Option<CustomerId>,
    pub currency: Currency,
    pub received_on: Date,
    pub amount: Money,
    /// Received and not yet applied or refunded; never negative.
    pub unapplied: Money,
}
