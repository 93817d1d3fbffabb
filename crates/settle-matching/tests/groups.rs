//! Parent companies paying their subsidiaries' invoices: not a third party, with its own
//! evidence; a payer outside the group still is one.

// Amounts are written as dollars_cents (`1_080_00` is 1,080.00).
#![allow(clippy::inconsistent_digit_grouping)]

use jiff::civil::{Date, date};
use settle_core::Money;
use settle_core::currency::Currency;
use settle_core::ids::{CustomerId, ItemId, PaymentId};
use settle_core::terms::PaymentTerms;
use settle_matching::{
    CustomerInfo, Decision, KnownPayer, MatchIndex, MatchPolicy, MatchResult, OpenItem,
    PaymentToMatch,
};

const HOLDING: CustomerId = CustomerId(1);
const NORTH: CustomerId = CustomerId(2);
const SOUTH: CustomerId = CustomerId(3);
const OTHER: CustomerId = CustomerId(4);
const HOLDING_ACCOUNT: &str = "DE02 1203 0000 0000 2020 51";
const OTHER_ACCOUNT: &str = "GB29 NWBK 6016 1331 9268 19";

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::from_code("USD").unwrap())
}

fn item(id: i64, customer: CustomerId, number: &str, open: i64, due: Date) -> OpenItem {
    OpenItem {
        id: ItemId(id),
        customer,
        number: number.to_string(),
        po_number: String::new(),
        open: usd(open),
        total: usd(open),
        issue_date: due.checked_sub(jiff::Span::new().days(30)).unwrap(),
        due_date: due,
        terms: PaymentTerms::Net { days: 30 },
    }
}

fn customer(id: CustomerId, code: &str, name: &str, parent: Option<CustomerId>) -> CustomerInfo {
    CustomerInfo {
        id,
        code: code.to_string(),
        name: name.to_string(),
        aliases: Vec::new(),
        parent,
    }
}

/// Holding Group AG owns North Trading and South Supplies; Other Industries stands alone.
fn index(with_parents: bool) -> MatchIndex {
    let parent = with_parents.then_some(HOLDING);
    let items = vec![
        item(1, HOLDING, "HG-5001", 9_000_00, date(2026, 6, 1)),
        item(2, NORTH, "NT-1001", 1_200_00, date(2026, 6, 5)),
        item(3, NORTH, "NT-1002", 640_00, date(2026, 6, 20)),
        item(4, SOUTH, "SS-2001", 2_300_00, date(2026, 6, 10)),
        item(5, OTHER, "OI-3001", 1_750_00, date(2026, 6, 12)),
    ];
    let customers = vec![
        customer(HOLDING, "HOLD", "Holding Group AG", None),
        customer(NORTH, "NORTH", "North Trading Ltd", parent),
        customer(SOUTH, "SOUTH", "South Supplies Inc", parent),
        customer(OTHER, "OTHER", "Other Industries Corp", None),
    ];
    let payers = vec![
        KnownPayer {
            account: HOLDING_ACCOUNT.to_string(),
            customer: HOLDING,
        },
        KnownPayer {
            account: OTHER_ACCOUNT.to_string(),
            customer: OTHER,
        },
    ];
    MatchIndex::build(items, &customers, &payers)
}

fn payment(amount: i64, payer: &str, account: &str, text: &str) -> PaymentToMatch {
    PaymentToMatch {
        id: PaymentId(1),
        amount: usd(amount),
        received_on: date(2026, 6, 25),
        customer: None,
        payer_name: payer.to_string(),
        payer_account: account.to_string(),
        text: vec![text.to_string()],
        references: Vec::new(),
    }
}

fn run(with_parents: bool, payment: &PaymentToMatch) -> MatchResult {
    index(with_parents).match_payment(payment, &MatchPolicy::default())
}

fn numbers(result: &MatchResult) -> Vec<&str> {
    result
        .allocations
        .iter()
        .map(|a| a.number.as_str())
        .collect()
}

fn says(result: &MatchResult, what: &str) -> bool {
    result.evidence.iter().any(|e| e.what.contains(what))
}

#[test]
fn a_parent_citing_two_subsidiaries_invoices_pays_both_automatically() {
    let wire = payment(
        3_500_00,
        "HOLDING GROUP AG",
        HOLDING_ACCOUNT,
        "NT-1001 SS-2001",
    );
    let result = run(true, &wire);
    assert_eq!(result.decision, Decision::Auto, "{result:#?}");
    assert_eq!(result.customer, Some(HOLDING));
    assert_eq!(numbers(&result), ["NT-1001", "SS-2001"]);
    assert!(result.remainder.is_zero());
    assert!(
        says(&result, "paid by its parent HOLD (group of NORTH, SOUTH)"),
        "{result:#?}"
    );
    assert!(!says(&result, "the payer is known as customer"));

    // Without the group, the parent's treasury account paying them is a third party.
    let treasury = payment(3_500_00, "HG TREASURY", HOLDING_ACCOUNT, "NT-1001 SS-2001");
    let stranger = run(false, &treasury);
    assert_ne!(stranger.decision, Decision::Auto, "{stranger:#?}");
    assert!(says(&stranger, "the payer is known as customer HOLD"));
    // With it, the account alone identifies the parent.
    let result = run(true, &treasury);
    assert_eq!(result.decision, Decision::Auto, "{result:#?}");
    assert_eq!(numbers(&result), ["NT-1001", "SS-2001"]);
}

#[test]
fn a_parent_known_by_name_alone_citing_its_subsidiary_is_still_applied() {
    let result = run(
        true,
        &payment(640_00, "Holding Group AG", "", "INV NT-1002"),
    );
    assert_eq!(result.decision, Decision::Auto, "{result:#?}");
    assert_eq!(result.customer, Some(HOLDING));
    assert_eq!(numbers(&result), ["NT-1002"]);
    assert!(says(&result, "paid by its parent HOLD (group of NORTH)"));
}

#[test]
fn a_parent_paying_its_own_invoice_is_an_ordinary_payment() {
    let result = run(
        true,
        &payment(9_000_00, "HOLDING GROUP AG", HOLDING_ACCOUNT, "HG-5001"),
    );
    assert_eq!(result.decision, Decision::Auto, "{result:#?}");
    assert_eq!(numbers(&result), ["HG-5001"]);
    assert!(!says(&result, "paid by its parent"));
}

#[test]
fn a_payer_outside_the_group_keeps_the_third_party_penalty() {
    let result = run(
        true,
        &payment(1_200_00, "J SMITH", OTHER_ACCOUNT, "NT-1001"),
    );
    assert_ne!(result.decision, Decision::Auto, "{result:#?}");
    assert!(
        says(&result, "the payer is known as customer OTHER"),
        "{result:#?}"
    );
    assert!(!says(&result, "paid by its parent"));
}

#[test]
fn a_parent_citing_nothing_pays_the_one_item_of_its_group_that_owes_the_amount() {
    // Known by account: the one item of the group owing 2,300.00 is applied.
    let result = run(
        true,
        &payment(
            2_300_00,
            "HOLDING GROUP AG",
            HOLDING_ACCOUNT,
            "JUNE PAYMENT",
        ),
    );
    assert_eq!(result.decision, Decision::Auto, "{result:#?}");
    assert_eq!(result.rule, "group-amount-unique");
    assert_eq!(result.customer, Some(HOLDING));
    assert_eq!(numbers(&result), ["SS-2001"]);
    assert!(says(&result, "paid by its parent HOLD (group of SOUTH)"));

    // Known by name only: the same proposal, for a person to confirm.
    let result = run(
        true,
        &payment(2_300_00, "HOLDING GROUP AG", "", "JUNE PAYMENT"),
    );
    assert_eq!(result.decision, Decision::Suggest, "{result:#?}");
    assert_eq!(numbers(&result), ["SS-2001"]);
    assert!(says(&result, "a person confirms"));

    // Without the group the parent is owed nothing of that amount by its own items.
    let result = run(
        false,
        &payment(
            2_300_00,
            "HOLDING GROUP AG",
            HOLDING_ACCOUNT,
            "JUNE PAYMENT",
        ),
    );
    assert_ne!(result.rule, "group-amount-unique", "{result:#?}");
    assert_ne!(result.decision, Decision::Auto, "{result:#?}");
}

#[test]
fn an_amount_two_items_of_the_group_owe_is_not_placed_by_amount() {
    // 1,840.00 is no single item; the subset of NORTH's two items is not the group rule.
    let result = run(
        true,
        &payment(1_840_00, "HOLDING GROUP AG", HOLDING_ACCOUNT, "JUNE"),
    );
    assert_ne!(result.rule, "group-amount-unique", "{result:#?}");
    assert_ne!(result.decision, Decision::Auto, "{result:#?}");
}
