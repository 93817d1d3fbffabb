//! Customers: who owes the money, on what terms, and how far we trust them.

use crate::currency::Currency;
use crate::ids::CustomerId;
use crate::money::Money;
use crate::terms::PaymentTerms;

/// Longest customer code we accept: codes come from ERPs and are keys, not prose.
pub const MAX_CUSTOMER_CODE_LEN: usize = 64;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::customer::UnknownValue;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let wanted = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                match wanted.as_str() {
                    $($text => Ok($name::$variant),)*
                    _ => Err($crate::customer::UnknownValue {
                        what: $what,
                        text: text.to_string(),
                        known: [$($text),*].join(", "),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?} (expected one of: {known})")]
pub struct UnknownValue {
    pub what: &'static str,
    pub text: String,
    pub known: String,
}

text_enum!(
    /// Whether we still sell to and chase this customer.
    CustomerStatus, "customer status" {
        Active => "active",
        OnHold => "on_hold",
        Inactive => "inactive",
    }
);

text_enum!(
    /// Credit risk, set by credit review; drives dunning policy and worklist priority.
    RiskClass, "risk class" {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: String,
    pub role: String,
    pub email: String,
    pub phone: String,
}

/// A customer as entered or imported, before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomer {
    pub code: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub terms: PaymentTerms,
    pub credit_limit: Option<Money>,
    pub currency: Currency,
    pub country: String,
    pub tax_id: String,
    pub billing_address: String,
    pub risk_class: RiskClass,
    pub sales_rep: String,
    pub status: CustomerStatus,
    pub contacts: Vec<Contact>,
    /// The code of the group company this customer belongs to, if any: a parent often pays
    /// its subsidiaries' invoices under its own name.
    pub parent: Option<String>,
}

impl NewCustomer {
    /// A customer with the usual defaults: active, medium risk, no limit.
    pub fn new(code: &str, name: &str, currency: Currency, terms: PaymentTerms) -> Self {
        NewCustomer {
            code: code.to_string(),
            name: name.to_string(),
            email: String::new(),
            phone: String::new(),
            terms,
            credit_limit: None,
            currency,
            country: String::new(),
            tax_id: String::new(),
            billing_address: String::new(),
            risk_class: RiskClass::Medium,
            sales_rep: String::new(),
            status: CustomerStatus::Active,
            contacts: Vec::new(),
            parent: None,
        }
    }
}

/// A stored customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub details: NewCustomer,
}

/// Checks a customer code: non-empty, no surrounding spaces, no control characters.
pub fn check_customer_code(code: &str) -> Result<(), &'static str> {
    if code.is_empty() {
        return Err("is empty");
    }
    if code.len() > MAX_CUSTOMER_CODE_LEN {
        return Err("is longer than 64 characters");
    }
    if code.trim() != code || code.chars().any(char::is_control) {
        return Err("has surrounding spaces or control characters");
    }
    Ok(())
}

/// Whether `code` would be its own ancestor, given each customer's parent: the chain from
/// `code` up through its parents (`code` first and last) when it comes back to `code`. A chain
/// that runs into a loop elsewhere, or ends, is not this customer's cycle.
pub fn ancestry_cycle<'a>(
    code: &'a str,
    parent_of: impl Fn(&str) -> Option<&'a str>,
) -> Option<Vec<&'a str>> {
    let mut chain = vec![code];
    let mut current = code;
    while let Some(parent) = parent_of(current) {
        chain.push(parent);
        if parent == code {
            return Some(chain);
        }
        if chain[..chain.len() - 1].contains(&parent) {
            return None;
        }
        current = parent;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_risk_classes_parse() {
        assert_eq!(
            "On Hold".parse::<CustomerStatus>().unwrap(),
            CustomerStatus::OnHold
        );
        assert_eq!("HIGH".parse::<RiskClass>().unwrap(), RiskClass::High);
        let err = "sometimes".parse::<CustomerStatus>().unwrap_err();
        assert!(err.to_string().contains("active, on_hold, inactive"));
    }

    #[test]
    fn customer_codes() {
        assert!(check_customer_code("C-001").is_ok());
        assert!(check_customer_code("").is_err());
        assert!(check_customer_code(" C1").is_err());
        assert!(check_customer_code(&"x".repeat(65)).is_err());
    }

    #[test]
    fn a_customer_cannot_be_its_own_ancestor() {
        let parents = [
            ("A", "B"),
            ("B", "C"),
            ("C", "A"),
            ("D", "D"),
            ("E", "A"),
            ("F", "G"),
        ];
        let parent_of = |code: &str| {
            parents
                .iter()
                .find(|(child, _)| *child == code)
                .map(|(_, parent)| *parent)
        };
        assert_eq!(
            ancestry_cycle("A", parent_of),
            Some(vec!["A", "B", "C", "A"])
        );
        assert_eq!(ancestry_cycle("D", parent_of), Some(vec!["D", "D"]));
        // E hangs below the loop without being in it; F's chain ends.
        assert_eq!(ancestry_cycle("E", parent_of), None);
        assert_eq!(ancestry_cycle("F", parent_of), None);
    }
}
