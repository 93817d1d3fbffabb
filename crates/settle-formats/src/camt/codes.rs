//! ISO 20022 bank transaction codes (`BkTxCd`) and what they mean for A/R.
//!
//! The structured code is domain / family / sub-family (`PMNT/RCDT/ESCT`: payments, received
//! credit transfers, SEPA credit transfer). Only a few sub-families matter here: returns,
//! charges and interest. Everything else follows the domain and, failing that, the direction.
//! A bank-proprietary code (`Prtry/Cd`) is kept as the type code but never interpreted: its
//! meaning differs per bank.

use crate::statement::{Direction, EntryKind};

/// A bank transaction code as the file gives it; each part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BankTransactionCode {
    pub domain: Option<String>,
    pub family: Option<String>,
    pub sub_family: Option<String>,
    pub proprietary: Option<String>,
}

impl BankTransactionCode {
    pub fn is_empty(&self) -> bool {
        self.domain.is_none()
            && self.family.is_none()
            && self.sub_family.is_none()
            && self.proprietary.is_none()
    }

    /// `PMNT/RCDT/ESCT` when the structured code is there, else the proprietary code.
    pub fn type_code(&self) -> Option<String> {
        match &self.domain {
            Some(domain) => {
                let mut code = domain.clone();
                for part in [&self.family, &self.sub_family].into_iter().flatten() {
                    code.push('/');
                    code.push_str(part);
                }
                Some(code)
            }
            None => self.proprietary.clone(),
        }
    }
}

/// Sub-families that put money back where it came from (ISO external code list).
const RETURN_SUB_FAMILIES: &[&str] = &[
    "RRTN", // reversal due to payment return
    "PRDD", // reversal due to payment reversal
    "UPDD", // reversal due to return/unpaid direct debit
    "RPCR", // reversal due to payment cancellation request
    "ARET", // ACH return
    "AREV", // ACH reversal
    "UPCQ", // unpaid cheque
    "CQRV", // cheque reversal
];

const FEE_SUB_FAMILIES: &[&str] = &["CHRG", "FEES", "COMM", "COME", "COMI", "COMT", "SUBS"];

/// Families of the payments domain whose credits are money paid to us by somebody else.
const PAYMENT_FAMILIES: &[&str] = &[
    "RCDT", "RRCT", "RCHQ", "LBOX", "IDDT", "MCRD", "RDRF", "CNTR", "ICDT", "IRCT", "ICHQ", "RDDT",
    "CCRD", "DRFT",
];

/// What an entry is. `has_return_info` is true when the transaction carries `RtrInf`.
pub(crate) fn entry_kind(
    code: &BankTransactionCode,
    direction: Direction,
    reversal: bool,
    has_return_info: bool,
) -> EntryKind {
    let sub_family = code.sub_family.as_deref().unwrap_or("");
    if has_return_info || RETURN_SUB_FAMILIES.contains(&sub_family) {
        return EntryKind::Return;
    }
    // A reversed credit takes a payment back off the account.
    if reversal && direction == Direction::Debit {
        return EntryKind::Return;
    }
    if FEE_SUB_FAMILIES.contains(&sub_family) {
        return EntryKind::BankFee;
    }
    if sub_family == "INTR" {
        return EntryKind::Interest;
    }
    match code.domain.as_deref() {
        Some("PMNT") => {
            let family = code.family.as_deref().unwrap_or("");
            if PAYMENT_FAMILIES.contains(&family) || family.is_empty() || family == "OTHR" {
                by_direction(direction)
            } else {
                EntryKind::Other
            }
        }
        Some("CAMT") => EntryKind::Transfer,
        Some("ACMT") | Some("LDAS") | Some("SECU") | Some("FORX") | Some("DERV") | Some("TRAD")
        | Some("CMDT") | Some("PMET") => EntryKind::Other,
        // No structured code (or "not available", "extended"): the direction is all we know.
        // On an A/R account a credit is most likely a customer paying.
        _ => by_direction(direction),
    }
}

fn by_direction(direction: Direction) -> EntryKind {
    match direction {
        Direction::Credit => EntryKind::CustomerPayment,
        Direction::Debit => EntryKind::Disbursement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(domain: &str, family: &str, sub: &str) -> BankTransactionCode {
        BankTransactionCode {
            domain: Some(domain.into()),
            family: Some(family.into()),
            sub_family: Some(sub.into()),
            proprietary: None,
        }
    }

    #[test]
    fn received_credit_transfer_is_a_customer_payment() {
        let kind = entry_kind(
            &code("PMNT", "RCDT", "ESCT"),
            Direction::Credit,
            false,
            false,
        );
        assert_eq!(kind, EntryKind::CustomerPayment);
        assert_eq!(
            code("PMNT", "RCDT", "ESCT").type_code().as_deref(),
            Some("PMNT/RCDT/ESCT")
        );
    }

    #[test]
    fn returns_charges_and_interest_follow_the_sub_family() {
        let d = Direction::Debit;
        assert_eq!(
            entry_kind(&code("PMNT", "RCDT", "RRTN"), d, false, false),
            EntryKind::Return
        );
        assert_eq!(
            entry_kind(&code("PMNT", "CCRD", "CHRG"), d, false, false),
            EntryKind::BankFee
        );
        assert_eq!(
            entry_kind(
                &code("ACMT", "MCOP", "INTR"),
                Direction::Credit,
                false,
                false
            ),
            EntryKind::Interest
        );
        assert_eq!(
            entry_kind(&code("CAMT", "ACCB", "SWEP"), d, false, false),
            EntryKind::Transfer
        );
    }

    #[test]
    fn a_reversed_credit_and_return_info_make_a_return() {
        let none = BankTransactionCode::default();
        assert_eq!(
            entry_kind(&none, Direction::Debit, true, false),
            EntryKind::Return
        );
        assert_eq!(
            entry_kind(&none, Direction::Credit, false, true),
            EntryKind::Return
        );
        assert_eq!(
            entry_kind(&none, Direction::Credit, false, false),
            EntryKind::CustomerPayment
        );
    }
}
