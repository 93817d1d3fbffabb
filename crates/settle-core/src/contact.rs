//! The contact log: what was said to, by or about a customer — calls, emails, letters, notes —
//! and what the system itself noted on the account (a returned payment, for one). Collections
//! works from it; every entry names its channel, its direction and where it came from.

use jiff::civil::Date;

use crate::customer::text_enum;
use crate::ids::{CustomerId, PaymentId};
use crate::money::Money;

text_enum!(
    /// How the contact happened.
    ContactChannel, "contact channel" {
        Note => "note",
        Email => "email",
        Phone => "phone",
        Letter => "letter",
        Meeting => "meeting",
        System => "system",
    }
);

text_enum!(
    /// Who spoke to whom: a note for ourselves, to the customer, or from the customer.
    ContactDirection, "contact direction" {
        Internal => "internal",
        Outbound => "outbound",
        Inbound => "inbound",
    }
);

/// A contact-log entry before the store gives it an id and, unless given, a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContactEntry {
    pub customer: CustomerId,
    /// When it happened (UTC); `None`: when it is written.
    pub occurred_at: Option<jiff::Timestamp>,
    pub channel: ContactChannel,
    pub direction: ContactDirection,
    pub subject: String,
    pub body: String,
    /// What wrote it (`bank-return`, `user`, …) and that source's own id for it.
    pub source: String,
    pub source_id: String,
    pub created_by: String,
    /// What came of it (promised, no answer, disputed…): free text.
    pub outcome: String,
    /// When to follow up, if anyone should.
    pub next_step_on: Option<Date>,
}

/// The meaning of a common return reason code: NACHA (`R01`…) and ISO 20022
/// (`ExternalReturnReason1Code`: `AC04`, `AM04`, `MD07`…). Unknown codes have none.
pub fn return_reason_meaning(code: &str) -> Option<&'static str> {
    let meaning = match code.trim().to_ascii_uppercase().as_str() {
        "R01" => "insufficient funds",
        "R02" => "account closed",
        "R03" => "no account, or unable to locate the account",
        "R04" => "invalid account number",
        "R05" => "unauthorised debit to a consumer account",
        "R06" => "returned at the originating bank's request",
        "R07" => "authorisation revoked by the customer",
        "R08" => "payment stopped",
        "R09" => "uncollected funds",
        "R10" => "customer advises the entry was not authorised",
        "R11" => "customer advises the entry is not as authorised",
        "R12" => "account sold to another bank",
        "R13" => "invalid routing number",
        "R14" => "representative payee deceased",
        "R15" => "beneficiary or account holder deceased",
        "R16" => "account frozen",
        "R17" => "file record edit criteria",
        "R20" => "non-transaction account",
        "R23" => "credit entry refused by the receiver",
        "R24" => "duplicate entry",
        "R29" => "corporate customer advises the entry was not authorised",
        "AC01" => "incorrect account number",
        "AC04" => "closed account number",
        "AC06" => "blocked account",
        "AC13" => "invalid debtor account type",
        "AG01" => "transaction forbidden on this account",
        "AG02" => "invalid bank operation code",
        "AM04" => "insufficient funds",
        "AM05" => "duplication",
        "BE04" => "missing creditor address",
        "CUST" => "requested by the customer",
        "FOCR" => "following a cancellation request",
        "MD01" => "no mandate",
        "MD06" => "refund requested by the end customer",
        "MD07" => "end customer deceased",
        "MS02" => "reason not specified, customer generated",
        "MS03" => "reason not specified, agent generated",
        "RC01" => "bank identifier incorrect",
        "SL01" => "specific service offered by the debtor's bank",
        _ => return None,
    };
    Some(meaning)
}

/// The return reason code of a returned item: the one the format gave, else an ACH code
/// (`R` and two digits) written in the line's text, as BAI2 banks do ("RETURNED ITEM R01 …").
pub fn return_reason_code(given: Option<&str>, text: &[String]) -> Option<String> {
    if let Some(code) = given.map(str::trim).filter(|c| !c.is_empty()) {
        return Some(code.to_string());
    }
    text.iter()
        .flat_map(|t| t.split(|c: char| !c.is_ascii_alphanumeric()))
        .find(|word| {
            let bytes = word.as_bytes();
            bytes.len() == 3
                && bytes[0].eq_ignore_ascii_case(&b'R')
                && bytes[1..].iter().all(u8::is_ascii_digit)
        })
        .map(str::to_ascii_uppercase)
}

/// A payment the bank took back, as the note on the payer's log tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedPayment<'a> {
    pub payment: PaymentId,
    pub bank_reference: &'a str,
    pub amount: Money,
    pub received_on: Date,
    pub returned_on: Date,
    pub reason: Option<&'a str>,
    /// Each invoice reopened and by how much.
    pub reopened: &'a [(String, Money)],
}

/// The subject and body of the note a returned payment leaves on its payer's log.
pub fn return_note(returned: &ReturnedPayment<'_>) -> (String, String) {
    let reason = match returned.reason {
        Some(code) => match return_reason_meaning(code) {
            Some(meaning) => format!("{code} ({meaning})"),
            None => code.to_string(),
        },
        None => "no reason code given".to_string(),
    };
    let subject = format!(
        "Payment {} of {} returned: {reason}",
        returned.bank_reference, returned.amount
    );
    let mut body = format!(
        "The bank returned payment {} (bank reference {}, {}, received {}) on {}.\nReason: {reason}.\n",
        returned.payment,
        returned.bank_reference,
        returned.amount,
        returned.received_on,
        returned.returned_on
    );
    if returned.reopened.is_empty() {
        body.push_str("No invoice was reopened: the payment had not been applied.");
    } else {
        let reopened: Vec<String> = returned
            .reopened
            .iter()
            .map(|(number, amount)| format!("{number} by {amount}"))
            .collect();
        body.push_str(&format!("Reopened: {}.", reopened.join(", ")));
    }
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;

    #[test]
    fn return_codes_are_explained_and_unknown_ones_shown_as_given() {
        assert_eq!(return_reason_meaning("R01"), Some("insufficient funds"));
        assert_eq!(return_reason_meaning("am04"), Some("insufficient funds"));
        assert_eq!(return_reason_meaning("ZZ99"), None);
        let text = ["RETURNED ITEM R01 INSUFFICIENT FUNDS".to_string()];
        assert_eq!(return_reason_code(None, &text).as_deref(), Some("R01"));
        assert_eq!(
            return_reason_code(Some("AC04"), &text).as_deref(),
            Some("AC04")
        );
        assert_eq!(return_reason_code(None, &["RETURN 12".to_string()]), None);
    }

    #[test]
    fn the_note_says_which_payment_why_and_what_reopened() {
        let usd = |minor| Money::new(minor, Currency::USD);
        let reopened = [("A-1001".to_string(), usd(250_000))];
        let returned = ReturnedPayment {
            payment: PaymentId(3),
            bank_reference: "ACH0001",
            amount: usd(250_000),
            received_on: jiff::civil::date(2026, 7, 1),
            returned_on: jiff::civil::date(2026, 7, 3),
            reason: Some("R01"),
            reopened: &reopened,
        };
        let (subject, body) = return_note(&returned);
        assert_eq!(
            subject,
            "Payment ACH0001 of 2500.00 USD returned: R01 (insufficient funds)"
        );
        assert!(
            body.contains("received 2026-07-01) on 2026-07-03"),
            "{body}"
        );
        assert!(body.contains("Reopened: A-1001 by 2500.00 USD."), "{body}");
        let (subject, body) = return_note(&ReturnedPayment {
            reason: Some("X42"),
            reopened: &[],
            ..returned
        });
        assert!(subject.ends_with("returned: X42"), "{subject}");
        assert!(body.contains("had not been applied"), "{body}");
    }
}
