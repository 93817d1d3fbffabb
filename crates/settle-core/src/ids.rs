//! Typed ids: a customer id can never be passed where an invoice id is expected.
//!
//! Ids are assigned by the store; the core only carries them.

use std::fmt;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

typed_id!(
    /// A legal entity: the company whose receivables these are. Every row carries one.
    EntityId,
    /// A customer, inside one legal entity.
    CustomerId,
    /// An open item: an invoice, debit memo or credit memo.
    ItemId,
    /// A payment received (its unapplied part is held in Unapplied cash).
    PaymentId,
    /// A journal entry.
    EntryId,
    /// An application of cash or of a credit to an invoice.
    ApplicationId,
    /// A refund of a customer's credit.
    RefundId,
);
