//! What a clerk's decisions teach the engine, and how the next payment shows it: aliases,
//! reference habits, rejected pairings, and payments that look like duplicates.

// Amounts are written as dollars_cents (`1_080_00` is 1,080.00).
#![allow(clippy::inconsistent_digit_grouping)]

use jiff::civil::{Date, date};
use settle_core::Money;
use settle_core::currency::Currency;
use settle_core::ids::{CustomerId, ItemId, PaymentId};
use settle_core::terms::PaymentTerms;
use settle_matching::{
    AppliedPayment, CustomerInfo, Decision, HabitKind, KnownPayer, LearnedAlias, Learning,
    MatchIndex, MatchPolicy, MatchResult, OpenItem, PaymentToMatch, ReferenceHabit,
    RejectedPairing,
};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::from_code("USD").unwrap())
}

fn item(id: i64, customer: i64, number: &str, po: &str, open: i64, due: Date) -> OpenItem {
    OpenItem {
        id: ItemId(id),
        customer: CustomerId(customer),
        number: number.to_string(),
        po_number: po.to_string(),
        open: usd(open),
        total: usd(open),
        issue_date: due.checked_sub(jiff::Span::new().days(30)).unwrap(),
        due_date: due,
        terms: "NET30".parse::<PaymentTerms>().unwrap(),
    }
}

const ACCOUNT: &str = "DE44 5001 0517 5407 3249 31";

/// ACME (1) with three invoices, GLOB (2) with one; ACME's account known when `known_payer`.
fn index(aliases: &[&str], known_payer: bool, learning: Learning) -> MatchIndex {
    let items = vec![
        item(1, 1, "INV-100231", "PO-7781", 1_080_00, date(2026, 5, 9)),
        item(2, 1, "INV-100232", "PO-7782", 2_500_50, date(2026, 5, 14)),
        item(3, 1, "INV-100233", "PO-7783", 999_99, date(2026, 6, 19)),
        item(4, 2, "GX-55120", "", 450_00, date(2026, 7, 1)),
    ];
    let customers = vec![
        CustomerInfo {
            id: CustomerId(1),
            code: "ACME".to_string(),
            name: "Acme Corporation".to_string(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            parent: None,
        },
        CustomerInfo {
            id: CustomerId(2),
            code: "GLOB".to_string(),
            name: "Globex Industries Inc".to_string(),
            aliases: Vec::new(),
            parent: None,
        },
    ];
    let payers = if known_payer {
        vec![KnownPayer {
            account: ACCOUNT.to_string(),
            customer: CustomerId(1),
        }]
    } else {
        Vec::new()
    };
    MatchIndex::build(items, &customers, &payers).with_learning(learning)
}

fn payment(amount: i64, payer: &str, account: &str, text: &str) -> PaymentToMatch {
    PaymentToMatch {
        id: PaymentId(9),
        amount: usd(amount),
        received_on: date(2026, 5, 20),
        customer: None,
        payer_name: payer.to_string(),
        payer_account: account.to_string(),
        text: vec![text.to_string()],
        references: Vec::new(),
    }
}

fn run(index: &MatchIndex, payment: &PaymentToMatch) -> MatchResult {
    index.match_payment(payment, &MatchPolicy::default())
}

fn learned(result: &MatchResult) -> Vec<&str> {
    result
        .evidence
        .iter()
        .filter(|e| e.what.starts_with("learned:") || e.what.contains("(learned:"))
        .map(|e| e.what.as_str())
        .collect()
}

fn prefix_habit() -> Learning {
    Learning {
        habits: vec![ReferenceHabit {
            rule: 5,
            customer: CustomerId(1),
            kind: HabitKind::WithoutPrefix("INV-".to_string()),
            times_seen: 3,
        }],
        ..Learning::default()
    }
}

#[test]
fn a_learned_prefix_habit_scores_higher_and_says_so() {
    let unknown_payer = payment(1_080_00, "", "", "PAYMENT 100231");
    let without = run(&index(&[], false, Learning::default()), &unknown_payer);
    let with = run(&index(&[], false, prefix_habit()), &unknown_payer);
    assert!(with.score > without.score, "{without:#?}\n{with:#?}");
    assert_eq!(with.allocations[0].number, "INV-100231");
    let habit = with.evidence.iter().find(|e| e.rule == Some(5)).unwrap();
    assert!(
        habit.what.contains(
            "learned: customer ACME writes invoice numbers without prefix 'INV-' (3 earlier payments)"
        ),
        "{habit:?}"
    );
    // The habit alone proposes; with the payer known too it applies.
    assert_eq!(with.decision, Decision::Suggest, "{with:#?}");
    let known = run(
        &index(&[], true, prefix_habit()),
        &payment(2_500_50, "", ACCOUNT, "100232"),
    );
    assert_eq!(known.decision, Decision::Auto, "{known:#?}");
    assert_eq!(known.allocations[0].number, "INV-100232");
    assert_eq!(learned(&known).len(), 2, "account and habit: {known:#?}");
}

#[test]
fn a_prefix_habit_is_the_customers_own() {
    // GLOB has no such habit: its invoice cited without prefix is not read through ACME's.
    let result = run(
        &index(&[], false, prefix_habit()),
        &payment(450_00, "", "", "55120"),
    );
    assert!(
        result.evidence.iter().all(|e| e.rule.is_none()),
        "{result:#?}"
    );
}

#[test]
fn a_learned_purchase_order_habit_weighs_more_than_a_purchase_order() {
    let po = payment(999_99, "", "", "ORDER PO-7783");
    let without = run(&index(&[], false, Learning::default()), &po);
    let learning = Learning {
        habits: vec![ReferenceHabit {
            rule: 6,
            customer: CustomerId(1),
            kind: HabitKind::PurchaseOrder,
            times_seen: 2,
        }],
        ..Learning::default()
    };
    let with = run(&index(&[], false, learning), &po);
    assert!(with.score > without.score, "{without:#?}\n{with:#?}");
    assert!(with.evidence.iter().any(|e| e.rule == Some(6)
        && e.what.contains("cites purchase-order numbers")
        && e.what.contains("2 earlier payments")));
}

#[test]
fn a_learned_alias_identifies_the_payer_and_is_named_in_the_evidence() {
    let learning = Learning {
        aliases: vec![LearnedAlias {
            rule: 3,
            customer: CustomerId(1),
            alias: "Acme Holdings".to_string(),
            source: "learned".to_string(),
        }],
        ..Learning::default()
    };
    let result = run(
        &index(&["Acme Holdings"], false, learning),
        &payment(999_99, "ACME HOLDINGS LTD", "", "THANK YOU"),
    );
    assert_eq!(result.customer, Some(CustomerId(1)), "{result:#?}");
    assert_eq!(result.allocations[0].number, "INV-100233");
    let alias = result.evidence.iter().find(|e| e.rule == Some(3)).unwrap();
    assert!(
        alias.what.contains("is an alias of ACME") && alias.what.contains("clerk's decision"),
        "{alias:?}"
    );
}

#[test]
fn a_rejected_pairing_is_not_proposed_again() {
    // Nothing but an amount only one item owes: a proposal, until a clerk rejects it.
    let lone = payment(450_00, "PAYROLL SERVICES", "", "THANK YOU");
    let before = run(&index(&[], false, Learning::default()), &lone);
    assert_eq!(before.decision, Decision::Suggest, "{before:#?}");
    let learning = Learning {
        rejections: vec![RejectedPairing {
            rule: 8,
            customer: CustomerId(2),
            payer: "name:PAYROLL SERVICES".to_string(),
            times_seen: 1,
        }],
        ..Learning::default()
    };
    let after = run(&index(&[], false, learning), &lone);
    assert_eq!(after.decision, Decision::Unapplied, "{after:#?}");
    assert!(after.score < before.score);
    let against = after.evidence.iter().find(|e| e.rule == Some(8)).unwrap();
    assert!(
        against
            .what
            .contains("a clerk rejected payer name PAYROLL SERVICES as customer GLOB"),
        "{against:?}"
    );
}

#[test]
fn the_same_money_twice_is_flagged_and_not_applied() {
    let earlier = AppliedPayment {
        id: PaymentId(4),
        bank_reference: "WIRE-1".to_string(),
        received_on: date(2026, 5, 2),
        amount: usd(1_000_00),
        payer_name: "Acme Corp".to_string(),
        payer_account: ACCOUNT.to_string(),
        invoices: vec!["INV-100232".to_string()],
    };
    let learning = Learning {
        recent_payments: vec![earlier.clone()],
        ..Learning::default()
    };
    // A part payment citing the invoice again: applied on its own without the history.
    let again = payment(1_000_00, "ACME CORP", ACCOUNT, "INV-100232 PART");
    let alone = run(&index(&[], true, Learning::default()), &again);
    assert_eq!(alone.decision, Decision::Auto, "{alone:#?}");
    let flagged = run(&index(&[], true, learning), &again);
    assert_eq!(flagged.decision, Decision::Suggest, "{flagged:#?}");
    assert!(flagged.evidence.iter().any(|e| {
        e.what
            .contains("possible duplicate of payment 4 (bank ref WIRE-1")
    }));

    // Outside the window, or another amount, it is a payment like any other.
    let late = Learning {
        recent_payments: vec![AppliedPayment {
            received_on: date(2026, 1, 2),
            ..earlier.clone()
        }],
        ..Learning::default()
    };
    assert_eq!(
        run(&index(&[], true, late), &again).decision,
        Decision::Auto
    );
    let other_amount = Learning {
        recent_payments: vec![AppliedPayment {
            amount: usd(999_00),
            ..earlier
        }],
        ..Learning::default()
    };
    assert_eq!(
        run(&index(&[], true, other_amount), &again).decision,
        Decision::Auto
    );
}
