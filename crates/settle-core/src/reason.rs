//! Reason codes: why an adjustment, credit memo, refund or write-off was made.
//!
//! A fixed list, so that reports can group by reason and a typo is an error rather than a new
//! category.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonCode {
    Pricing,
    Damaged,
    Return,
    ShortShipment,
    DuplicateBilling,
    BankFee,
    SmallBalance,
    Goodwill,
    BadDebt,
    Bankruptcy,
    Overpayment,
    CustomerRequest,
    LateInterest,
    Rounding,
    Other,
}

const ALL: &[(ReasonCode, &str, &str)] = &[
    (ReasonCode::Pricing, "PRICING", "price or billing error"),
    (ReasonCode::Damaged, "DAMAGED", "goods arrived damaged"),
    (ReasonCode::Return, "RETURN", "goods returned"),
    (
        ReasonCode::ShortShipment,
        "SHORT_SHIPMENT",
        "fewer goods delivered than billed",
    ),
    (
        ReasonCode::DuplicateBilling,
        "DUPLICATE_BILLING",
        "billed twice",
    ),
    (
        ReasonCode::BankFee,
        "BANK_FEE",
        "bank charges deducted from a payment",
    ),
    (
        ReasonCode::SmallBalance,
        "SMALL_BALANCE",
        "small residual balance",
    ),
    (ReasonCode::Goodwill, "GOODWILL", "commercial gesture"),
    (ReasonCode::BadDebt, "BAD_DEBT", "uncollectible"),
    (ReasonCode::Bankruptcy, "BANKRUPTCY", "customer insolvent"),
    (
        ReasonCode::Overpayment,
        "OVERPAYMENT",
        "customer paid too much",
    ),
    (
        ReasonCode::CustomerRequest,
        "CUSTOMER_REQUEST",
        "customer asked for it",
    ),
    (
        ReasonCode::LateInterest,
        "LATE_INTEREST",
        "late-payment interest",
    ),
    (ReasonCode::Rounding, "ROUNDING", "rounding difference"),
    (ReasonCode::Other, "OTHER", "other (say why in the memo)"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown reason code {text:?} (known: {known})")]
pub struct UnknownReason {
    pub text: String,
    pub known: String,
}

impl ReasonCode {
    pub fn code(self) -> &'static str {
        ALL.iter()
            .find(|(r, _, _)| *r == self)
            .map(|(_, c, _)| *c)
            .expect("every reason is listed")
    }

    pub fn description(self) -> &'static str {
        ALL.iter()
            .find(|(r, _, _)| *r == self)
            .map(|(_, _, d)| *d)
            .expect("every reason is listed")
    }

    pub fn all() -> impl Iterator<Item = ReasonCode> {
        ALL.iter().map(|(r, _, _)| *r)
    }
}

impl FromStr for ReasonCode {
    type Err = UnknownReason;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_uppercase().replace(['-', ' '], "_");
        ALL.iter()
            .find(|(_, code, _)| *code == wanted)
            .map(|(r, _, _)| *r)
            .ok_or_else(|| UnknownReason {
                text: text.to_string(),
                known: ALL
                    .iter()
                    .map(|(_, c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_ones_are_refused() {
        for reason in ReasonCode::all() {
            assert_eq!(reason.code().parse::<ReasonCode>().unwrap(), reason);
        }
        assert_eq!(
            "bank fee".parse::<ReasonCode>().unwrap(),
            ReasonCode::BankFee
        );
        assert!("WHATEVER".parse::<ReasonCode>().is_err());
    }
}
