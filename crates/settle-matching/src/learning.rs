//! What clerks taught the matcher, and how a clerk's decision becomes something to learn.
//!
//! Four kinds of knowledge, each kept by the service as a rule with an id so that the evidence
//! of later decisions can name it:
//! - a *payer alias*: a name a customer pays under (the bank's payer name differed from the
//!   customer's name when a clerk applied the payment, or a user entered it);
//! - a *reference habit*: a customer writes invoice numbers without their prefix, or cites the
//!   purchase order instead of the invoice;
//! - a *rejected pairing*: a clerk refused "this payer is that customer", which weighs against
//!   proposing it again;
//! - *recently applied payments*, against which a new payment is checked for being a duplicate.
//!
//! Everything here is pure: the service reads the rules, the engine uses them, and the
//! functions at the bottom say what a decision teaches.

use jiff::civil::Date;
use settle_core::Money;
use settle_core::ids::{CustomerId, PaymentId};

use crate::PaymentToMatch;
use crate::fast_hash::FastMap;
use crate::normalize::{account_key, candidate_keys, digits_key, name_tokens, reference_key};

/// How the evidence of a suspected duplicate begins (a clerk rejecting it refuses the
/// duplicate, not the payer).
pub const POSSIBLE_DUPLICATE: &str = "possible duplicate of payment";

/// How many days apart two payments may arrive and still be suspected duplicates.
pub const DUPLICATE_WINDOW_DAYS: i64 = 45;

/// Everything learned, as the engine takes it ([`crate::MatchIndex::with_learning`]).
#[derive(Debug, Clone, Default)]
pub struct Learning {
    pub aliases: Vec<LearnedAlias>,
    pub habits: Vec<ReferenceHabit>,
    pub rejections: Vec<RejectedPairing>,
    pub recent_payments: Vec<AppliedPayment>,
}

/// A name a customer pays under. The name itself must also be among the customer's
/// [`crate::CustomerInfo::aliases`]; this says where it came from, for the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedAlias {
    pub rule: i64,
    pub customer: CustomerId,
    pub alias: String,
    /// `learned` (from a clerk's decision) or `user` (entered).
    pub source: String,
}

/// How a customer cites its invoices when not by their number as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HabitKind {
    /// The number without its leading letters, as written on the invoice (`INV-`).
    WithoutPrefix(String),
    /// The purchase-order number instead of the invoice number.
    PurchaseOrder,
}

impl HabitKind {
    /// The rule kind this habit is stored as.
    pub fn kind(&self) -> &'static str {
        match self {
            HabitKind::WithoutPrefix(_) => "without-prefix",
            HabitKind::PurchaseOrder => "purchase-order",
        }
    }

    /// What the rule stores as its pattern: the prefix, or nothing.
    pub fn pattern(&self) -> &str {
        match self {
            HabitKind::WithoutPrefix(prefix) => prefix,
            HabitKind::PurchaseOrder => "",
        }
    }

    /// The habit a stored rule describes, if its kind is a habit's.
    pub fn from_rule(kind: &str, pattern: &str) -> Option<HabitKind> {
        match kind {
            "without-prefix" if !reference_key(pattern).is_empty() => {
                Some(HabitKind::WithoutPrefix(pattern.to_string()))
            }
            "purchase-order" => Some(HabitKind::PurchaseOrder),
            _ => None,
        }
    }

    /// The habit in words, for a customer's code.
    pub fn describe(&self, customer: &str) -> String {
        match self {
            HabitKind::WithoutPrefix(prefix) => {
                format!("customer {customer} writes invoice numbers without prefix '{prefix}'")
            }
            HabitKind::PurchaseOrder => {
                format!(
                    "customer {customer} cites purchase-order numbers instead of invoice numbers"
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceHabit {
    pub rule: i64,
    pub customer: CustomerId,
    pub kind: HabitKind,
    /// How many applied payments showed it; 0 for a habit a user entered.
    pub times_seen: i64,
}

/// A clerk said a payer is not this customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedPairing {
    pub rule: i64,
    pub customer: CustomerId,
    /// The payer as [`payer_keys`] names it.
    pub payer: String,
    pub times_seen: i64,
}

/// A payment applied already, that a new one may duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedPayment {
    pub id: PaymentId,
    pub bank_reference: String,
    pub received_on: Date,
    pub amount: Money,
    pub payer_name: String,
    pub payer_account: String,
    /// The invoices it was applied to.
    pub invoices: Vec<String>,
}

/// The learning as the engine looks it up.
#[derive(Default)]
pub(crate) struct LearningIndex {
    /// An alias's name key → (customer, rule, source).
    pub(crate) aliases: FastMap<String, Vec<(CustomerId, i64, String)>>,
    /// (prefix key, prefix as written, customer, rule, times seen).
    pub(crate) prefixes: Vec<(String, String, CustomerId, i64, i64)>,
    /// Customers who cite purchase orders → (rule, times seen).
    pub(crate) purchase_orders: FastMap<CustomerId, (i64, i64)>,
    /// Payer key → (customer, rule, times rejected).
    pub(crate) rejections: FastMap<String, Vec<(CustomerId, i64, i64)>>,
    /// Amount in minor units → payments applied with it.
    pub(crate) recent: FastMap<i64, Vec<AppliedPayment>>,
}

impl LearningIndex {
    pub(crate) fn build(learning: Learning) -> Self {
        let mut index = LearningIndex::default();
        for alias in learning.aliases {
            let key = name_tokens(&alias.alias).join(" ");
            if !key.is_empty() {
                index.aliases.entry(key).or_default().push((
                    alias.customer,
                    alias.rule,
                    alias.source,
                ));
            }
        }
        for habit in learning.habits {
            match habit.kind {
                HabitKind::WithoutPrefix(prefix) => {
                    let key = reference_key(&prefix);
                    if !key.is_empty() {
                        index.prefixes.push((
                            key,
                            prefix,
                            habit.customer,
                            habit.rule,
                            habit.times_seen,
                        ));
                    }
                }
                HabitKind::PurchaseOrder => {
                    index
                        .purchase_orders
                        .insert(habit.customer, (habit.rule, habit.times_seen));
                }
            }
        }
        for rejection in learning.rejections {
            index.rejections.entry(rejection.payer).or_default().push((
                rejection.customer,
                rejection.rule,
                rejection.times_seen,
            ));
        }
        for payment in learning.recent_payments {
            index
                .recent
                .entry(payment.amount.minor())
                .or_default()
                .push(payment);
        }
        index
    }
}

/// The keys a payer is known by: its account (`account:…`) and its name (`name:…`), each when
/// the bank gave one.
pub fn payer_keys(payer_account: &str, payer_name: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let account = account_key(payer_account);
    if account.len() >= 4 {
        keys.push(format!("account:{account}"));
    }
    let name = name_tokens(payer_name).join(" ");
    if !name.is_empty() {
        keys.push(format!("name:{name}"));
    }
    keys
}

/// The reference keys a payment cites: its remittance text's candidates and its structured
/// references.
pub fn cited_keys(payment: &PaymentToMatch) -> Vec<String> {
    let mut keys: Vec<String> = payment
        .text
        .iter()
        .flat_map(|t| candidate_keys(t))
        .collect();
    keys.extend(
        payment
            .references
            .iter()
            .map(|r| reference_key(&r.reference))
            .filter(|k| !k.is_empty()),
    );
    keys
}

/// How a payment cited an invoice it was applied to, when not by its number as written: the
/// habit to learn. `None` when it cited the number itself, or nothing recognisable.
pub fn how_cited(payment: &PaymentToMatch, number: &str, po_number: &str) -> Option<HabitKind> {
    let keys = cited_keys(payment);
    let number_key = reference_key(number);
    if number_key.is_empty() || keys.contains(&number_key) {
        return None;
    }
    // The prefix is what comes before the first digit, as the invoice writes it.
    let prefix: String = number.chars().take_while(|c| !c.is_ascii_digit()).collect();
    let prefix_key = reference_key(&prefix);
    if !prefix_key.is_empty() {
        let rest = &number_key[prefix_key.len()..];
        if rest.len() >= 3 && keys.iter().any(|k| k == rest) {
            return Some(HabitKind::WithoutPrefix(prefix));
        }
    }
    let po_key = reference_key(po_number);
    if po_key.len() >= 3 && keys.contains(&po_key) {
        return Some(HabitKind::PurchaseOrder);
    }
    None
}

/// Whether a payer name is worth keeping as an alias of a customer: the bank gave a name, and
/// it is neither the customer's name nor that name cut short (which the engine finds anyway).
pub fn alias_worth_learning(payer_name: &str, customer_name: &str) -> bool {
    let payer = name_tokens(payer_name).join(" ");
    let customer = name_tokens(customer_name).join(" ");
    !payer.is_empty() && !customer.starts_with(&payer)
}

/// The key aliases are unique by.
pub fn alias_key(alias: &str) -> String {
    name_tokens(alias).join(" ")
}

/// Whether two payments cite the same invoice: a cited key is the invoice's number, or its
/// digits.
pub(crate) fn cites_any(keys: &[String], invoices: &[String]) -> Option<String> {
    invoices
        .iter()
        .find(|number| {
            let key = reference_key(number);
            let digits = digits_key(&key);
            keys.iter()
                .any(|k| *k == key || (digits.is_some() && digits_key(k) == digits))
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GivenReference;
    use jiff::civil::date;
    use settle_core::currency::Currency;

    fn payment(text: &str, reference: &str) -> PaymentToMatch {
        PaymentToMatch {
            id: PaymentId(1),
            amount: Money::new(100, Currency::from_code("USD").unwrap()),
            received_on: date(2026, 5, 1),
            customer: None,
            payer_name: String::new(),
            payer_account: String::new(),
            text: vec![text.to_string()],
            references: if reference.is_empty() {
                Vec::new()
            } else {
                vec![GivenReference {
                    reference: reference.to_string(),
                    paid: None,
                }]
            },
        }
    }

    #[test]
    fn a_number_cited_without_its_prefix_is_a_habit() {
        assert_eq!(
            how_cited(&payment("PAYMENT 100231 THANKS", ""), "INV-100231", ""),
            Some(HabitKind::WithoutPrefix("INV-".to_string()))
        );
        assert_eq!(
            how_cited(&payment("", "100231"), "INV-100231", ""),
            Some(HabitKind::WithoutPrefix("INV-".to_string()))
        );
    }

    #[test]
    fn a_number_cited_as_it_is_teaches_nothing() {
        assert_eq!(
            how_cited(&payment("INV 100231", ""), "INV-100231", "PO-1"),
            None
        );
        assert_eq!(how_cited(&payment("THANK YOU", ""), "INV-100231", ""), None);
    }

    #[test]
    fn a_purchase_order_cited_instead_is_a_habit() {
        assert_eq!(
            how_cited(&payment("OUR ORDER PO-7781", ""), "INV-100231", "PO-7781"),
            Some(HabitKind::PurchaseOrder)
        );
    }

    #[test]
    fn an_alias_is_a_name_other_than_the_customers() {
        assert!(alias_worth_learning("Acme Holdings", "Acme Corporation"));
        assert!(!alias_worth_learning("ACME CORP", "Acme Corporation"));
        assert!(!alias_worth_learning("ACME", "Acme Corporation"));
        assert!(!alias_worth_learning("", "Acme Corporation"));
    }

    #[test]
    fn payers_are_known_by_account_and_name() {
        assert_eq!(
            payer_keys("de44 5001 0517", "Acme Holdings Inc"),
            ["account:DE4450010517", "name:ACME HOLDINGS"]
        );
        assert!(payer_keys("12", "").is_empty());
    }

    #[test]
    fn habits_round_trip_through_their_rules() {
        let habit = HabitKind::WithoutPrefix("INV-".to_string());
        assert_eq!(
            HabitKind::from_rule(habit.kind(), habit.pattern()),
            Some(habit)
        );
        assert_eq!(
            HabitKind::from_rule("purchase-order", ""),
            Some(HabitKind::PurchaseOrder)
        );
        assert_eq!(HabitKind::from_rule("payer-alias", "X"), None);
    }
}
