//! The cases cash application meets, one by one: what the engine proposes, how sure it is, and
//! why.

// Amounts are written as dollars_cents (`1_080_00` is 1,080.00).
#![allow(clippy::inconsistent_digit_grouping)]

use jiff::civil::{Date, date};
use settle_core::Money;
use settle_core::currency::Currency;
use settle_core::ids::{CustomerId, ItemId, PaymentId};
use settle_core::terms::PaymentTerms;
use settle_matching::{
    CustomerInfo, Decision, GivenReference, KnownPayer, MatchIndex, MatchPolicy, MatchResult,
    OpenItem, PaymentToMatch,
};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::from_code("USD").unwrap())
}

fn item(id: i64, customer: i64, number: &str, open: i64, due: Date, terms: &str) -> OpenItem {
    OpenItem {
        id: ItemId(id),
        customer: CustomerId(customer),
        number: number.to_string(),
        po_number: format!("PO-{}", 7000 + id),
        open: usd(open),
        total: usd(open),
        issue_date: due.checked_sub(jiff::Span::new().days(30)).unwrap(),
        due_date: due,
        terms: terms.parse::<PaymentTerms>().unwrap(),
    }
}

fn index() -> MatchIndex {
    let items = vec![
        item(1, 1, "INV-100231", 1_080_00, date(2026, 2, 9), "NET30"),
        item(2, 1, "INV-100232", 2_500_50, date(2026, 4, 14), "NET30"),
        item(3, 1, "INV-100233", 999_99, date(2026, 6, 19), "NET30"),
        item(
            4,
            2,
            "INV-200510",
            10_000_00,
            date(2026, 6, 1),
            "2/10 NET30",
        ),
        item(5, 2, "INV-200511", 3_333_34, date(2026, 8, 20), "NET30"),
        item(6, 3, "BL-88120", 450_00, date(2026, 7, 1), "NET30"),
        item(7, 3, "BL-88121", 450_00, date(2026, 7, 15), "NET30"),
    ];
    let customers = vec![
        customer(1, "ACME", "Acme Corporation", &[]),
        customer(2, "BETA", "Beta Logistics LLC", &["Beta Freight"]),
        customer(3, "GLOB", "Globex Industries Inc", &[]),
    ];
    let payers = vec![KnownPayer {
        account: "DE44 5001 0517 5407 3249 31".to_string(),
        customer: CustomerId(3),
    }];
    MatchIndex::build(items, &customers, &payers)
}

fn customer(id: i64, code: &str, name: &str, aliases: &[&str]) -> CustomerInfo {
    CustomerInfo {
        id: CustomerId(id),
        code: code.to_string(),
        name: name.to_string(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        parent: None,
    }
}

fn payment(amount: i64, payer: &str, text: &str) -> PaymentToMatch {
    PaymentToMatch {
        id: PaymentId(1),
        amount: usd(amount),
        received_on: date(2026, 5, 20),
        customer: None,
        payer_name: payer.to_string(),
        payer_account: String::new(),
        text: vec![text.to_string()],
        references: Vec::new(),
    }
}

fn run(payment: &PaymentToMatch) -> MatchResult {
    index().match_payment(payment, &MatchPolicy::default())
}

fn numbers(result: &MatchResult) -> Vec<&str> {
    result
        .allocations
        .iter()
        .map(|a| a.number.as_str())
        .collect()
}

#[test]
fn exact_reference_and_amount_is_applied_automatically() {
    let result = run(&payment(
        1_080_00,
        "ACME CORP",
        "PAYMENT INV-100231 THANK YOU",
    ));
    assert_eq!(result.decision, Decision::Auto, "{result:#?}");
    assert_eq!(result.customer, Some(CustomerId(1)));
    assert_eq!(numbers(&result), ["INV-100231"]);
    assert_eq!(result.allocations[0].cash, usd(1_080_00));
    assert!(result.remainder.is_zero());
    assert_eq!(result.rule, "reference-exact-amount");
    assert!(result.evidence.iter().any(|e| e.what.contains("INV100231")));
}

#[test]
fn several_invoices_in_one_payment() {
    let result = run(&payment(3_580_50, "ACME", "INV 100231 INV 100232"));
    assert_eq!(result.decision, Decision::Auto, "{result:#?}");
    assert_eq!(numbers(&result), ["INV-100231", "INV-100232"]);
}

#[test]
fn a_cited_invoice_left_unpaid_is_left_out() {
    let result = run(&payment(
        2_079_99,
        "ACME",
        "INV-100231 INV-100232 INV-100233",
    ));
    assert_eq!(result.rule, "reference-subset", "{result:#?}");
    assert_eq!(numbers(&result), ["INV-100231", "INV-100233"]);
}

#[test]
fn typos_and_ocr_confusions_still_find_the_invoice() {
    // O for 0 and I for 1.
    let result = run(&payment(999_99, "ACME", "INV-IOO233"));
    assert_eq!(numbers(&result), ["INV-100233"], "{result:#?}");
    // Two digits swapped.
    let result = run(&payment(999_99, "ACME", "INV-100323"));
    assert_eq!(numbers(&result), ["INV-100233"], "{result:#?}");
    // Cut short by the bank: two of BETA's invoices start so, and the amount picks one.
    let result = run(&payment(10_000_00, "", "REF INV-20051"));
    assert_eq!(result.customer, Some(CustomerId(2)), "{result:#?}");
    assert_eq!(numbers(&result), ["INV-200510"], "{result:#?}");
    // The prefix dropped.
    let result = run(&payment(999_99, "ACME", "invoice 100233"));
    assert_eq!(numbers(&result), ["INV-100233"], "{result:#?}");
}

#[test]
fn a_purchase_order_number_finds_the_invoice() {
    let result = run(&payment(999_99, "", "OUR PO 7003"));
    assert_eq!(numbers(&result), ["INV-100233"], "{result:#?}");
}

#[test]
fn an_earned_discount_closes_the_invoice() {
    let mut paid = payment(9_800_00, "BETA LOGISTICS", "INV-200510");
    paid.received_on = date(2026, 5, 10);
    let result = run(&paid);
    assert_eq!(result.rule, "reference-discount", "{result:#?}");
    assert_eq!(result.allocations[0].cash, usd(9_800_00));
    assert_eq!(result.allocations[0].discount, usd(200_00));
    // Too late for the discount: the cash goes to the invoice and the discount taken anyway
    // stays open on it, a deduction to dispute.
    paid.received_on = date(2026, 5, 25);
    let result = run(&paid);
    assert_eq!(result.rule, "reference-short-pay", "{result:#?}");
    assert_eq!(result.allocations[0].cash, usd(9_800_00));
    assert_eq!(result.allocations[0].deduction, usd(200_00));
}

#[test]
fn a_small_short_payment_is_a_bank_fee() {
    // 10.00 short of 2,500.50 is within 50 basis points (12.50).
    let result = run(&payment(2_490_50, "ACME", "INV-100232"));
    assert_eq!(result.rule, "reference-fee", "{result:#?}");
    assert_eq!(result.allocations[0].cash, usd(2_490_50));
    assert_eq!(result.allocations[0].fee, usd(10_00));
    // 15.00 short is not: a deduction.
    let result = run(&payment(2_485_50, "ACME", "INV-100232"));
    assert_eq!(result.rule, "reference-short-pay", "{result:#?}");
}

#[test]
fn an_overpayment_leaves_the_rest_unapplied() {
    let result = run(&payment(1_100_00, "ACME", "INV-100231"));
    assert_eq!(result.rule, "reference-overpayment", "{result:#?}");
    assert_eq!(result.remainder, usd(20_00));
}

#[test]
fn a_known_account_identifies_the_payer_without_references() {
    let mut paid = payment(450_00, "", "SEPA CREDIT");
    paid.payer_account = "DE44500105175407324931".to_string();
    let result = run(&paid);
    assert_eq!(result.customer, Some(CustomerId(3)), "{result:#?}");
    // Two items owe 450.00: the oldest is proposed, never applied alone.
    assert_eq!(result.rule, "amount-repeated");
    assert_eq!(numbers(&result), ["BL-88120"]);
    assert_ne!(result.decision, Decision::Auto);
}

#[test]
fn a_name_alone_finds_the_customer_and_a_unique_amount_the_invoice() {
    let result = run(&payment(3_333_34, "BETA FREIGHT", "MAY PAYMENT"));
    assert_eq!(result.customer, Some(CustomerId(2)), "{result:#?}");
    assert_eq!(result.rule, "amount-unique");
    assert_eq!(numbers(&result), ["INV-200511"]);
}

#[test]
fn structured_references_with_amounts_are_trusted() {
    let mut paid = payment(1_500_00, "", "");
    paid.references = vec![
        GivenReference {
            reference: "INV-100231".to_string(),
            paid: Some(usd(1_000_00)),
        },
        GivenReference {
            reference: "INV-100233".to_string(),
            paid: Some(usd(500_00)),
        },
    ];
    let result = run(&paid);
    assert_eq!(result.rule, "reference-stated-amounts", "{result:#?}");
    assert_eq!(result.allocations[0].cash, usd(1_000_00));
    assert_eq!(result.allocations[0].deduction, usd(80_00));
    assert_eq!(result.allocations[1].cash, usd(500_00));
}

#[test]
fn nothing_recognisable_stays_unapplied() {
    let result = run(&payment(123_45, "JOHN DOE", "THANKS"));
    assert_eq!(result.decision, Decision::Unapplied);
    assert!(result.allocations.is_empty());
    assert_eq!(result.remainder, usd(123_45));
}

#[test]
fn allocations_never_exceed_the_payment_or_the_items() {
    for amount in [1, 450_00, 999_99, 1_080_00, 2_079_99, 3_580_50, 50_000_00] {
        for text in ["INV-100231 INV-100232 INV-100233", "BL-88120 BL-88121", ""] {
            let result = run(&payment(amount, "ACME", text));
            let cash: i64 = result.allocations.iter().map(|a| a.cash.minor()).sum();
            assert!(cash <= amount, "{result:#?}");
            assert_eq!(cash + result.remainder.minor(), amount, "{result:#?}");
            for allocation in &result.allocations {
                assert!(allocation.cash.minor() >= 0);
                assert!(allocation.fee.minor() >= 0 && allocation.deduction.minor() >= 0);
            }
        }
    }
}

#[test]
fn cash_of_a_known_payer_that_fits_nothing_stays_unapplied_not_proposed() {
    // Posted by hand for ACME: nothing in the text, no open item of that amount.
    let mut known = payment(75_00, "", "");
    known.customer = Some(CustomerId(1));
    let result = index().match_payment(&known, &MatchPolicy::default());
    assert_eq!(result.decision, Decision::Unapplied, "{result:?}");
    assert_eq!(result.customer, Some(CustomerId(1)));
    assert!(result.allocations.is_empty());
}
