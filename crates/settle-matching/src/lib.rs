//! Cash application: which customer paid, and which of their open items the money is for.
//!
//! The engine is built once per legal entity from the open items, the customers and the payer
//! accounts learned from earlier payments ([`MatchIndex`]), with what clerks taught it
//! ([`Learning`]), and then asked about one payment at
//! a time ([`MatchIndex::match_payment`]). It never writes anything: it returns a
//! [`MatchResult`] with the allocations it proposes, a score, the rule that produced it and the
//! evidence, and the service decides (apply, propose to a clerk, or leave unapplied) and books.
//!
//! Everything here is exact: amounts are [`Money`], allocations never exceed an item's open
//! amount or the payment, and what is not allocated is the payment's remainder.

mod engine;
pub mod evaluate;
mod fast_hash;
pub mod generator;
mod index;
pub mod learning;
pub mod normalize;
mod subset;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use settle_core::Money;
use settle_core::ids::{CustomerId, ItemId, PaymentId};
use settle_core::terms::PaymentTerms;

pub use index::MatchIndex;
pub use learning::{
    AppliedPayment, HabitKind, LearnedAlias, Learning, ReferenceHabit, RejectedPairing,
};

/// An open debit item a payment may be for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub id: ItemId,
    pub customer: CustomerId,
    pub number: String,
    pub po_number: String,
    pub open: Money,
    pub total: Money,
    pub issue_date: Date,
    pub due_date: Date,
    pub terms: PaymentTerms,
}

/// A customer as matching knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerInfo {
    pub id: CustomerId,
    pub code: String,
    pub name: String,
    /// Other names the customer pays under (trading names, a parent's name), learned or
    /// entered.
    pub aliases: Vec<String>,
    /// The group company this customer belongs to: a parent that pays its subsidiaries'
    /// invoices is not a third party.
    pub parent: Option<CustomerId>,
}

/// A payer account seen paying for a customer before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPayer {
    pub account: String,
    pub customer: CustomerId,
}

/// A reference the payer gave in a structured field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenReference {
    pub reference: String,
    /// What they paid against it, when they said.
    pub paid: Option<Money>,
}

/// A payment to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentToMatch {
    pub id: PaymentId,
    /// What is left to apply.
    pub amount: Money,
    pub received_on: Date,
    /// Set when the payer is already known.
    pub customer: Option<CustomerId>,
    pub payer_name: String,
    pub payer_account: String,
    /// Free remittance text and the payer's own references.
    pub text: Vec<String>,
    pub references: Vec<GivenReference>,
}

/// When the engine applies on its own, and what it tolerates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPolicy {
    /// Score (0–1000) from which a match is applied without a person.
    pub auto_threshold: u32,
    /// Score from which a match is proposed to a clerk.
    pub suggest_threshold: u32,
    /// A short payment up to this many basis points of what it pays (and at most
    /// `fee_cap_minor`) is a bank fee that closes the invoices.
    pub fee_tolerance_bp: u32,
    pub fee_cap_minor: i64,
    /// How many open items a subset search looks at, at most.
    pub max_subset_items: usize,
}

impl Default for MatchPolicy {
    fn default() -> Self {
        MatchPolicy {
            auto_threshold: 850,
            suggest_threshold: 400,
            fee_tolerance_bp: 50,
            fee_cap_minor: 2_500,
            max_subset_items: 24,
        }
    }
}

/// What the service should do with a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Auto,
    Suggest,
    Unapplied,
}

/// Cash to one open item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub item: ItemId,
    pub number: String,
    /// Cash from the payment.
    pub cash: Money,
    /// An earned early-payment discount that closes the rest.
    pub discount: Money,
    /// A short payment within tolerance, booked to bank fees, that closes the rest.
    pub fee: Money,
    /// A short payment beyond tolerance: left open on the item, under a deduction dispute.
    pub deduction: Money,
}

/// One piece of evidence and what it weighed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub points: i32,
    pub what: String,
    /// The learned or user-written rule this evidence comes from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<i64>,
}

impl Evidence {
    pub fn new(points: i32, what: String) -> Self {
        Evidence {
            points,
            what,
            rule: None,
        }
    }

    fn from_rule(points: i32, what: String, rule: i64) -> Self {
        Evidence {
            points,
            what,
            rule: Some(rule),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchResult {
    pub payment: PaymentId,
    pub customer: Option<CustomerId>,
    pub decision: Decision,
    /// 0–1000.
    pub score: u32,
    /// The rule that produced the allocations.
    pub rule: &'static str,
    pub allocations: Vec<Allocation>,
    /// What stays unapplied (an over-payment, or everything when nothing matched).
    pub remainder: Money,
    pub evidence: Vec<Evidence>,
}
