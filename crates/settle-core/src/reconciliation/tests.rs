//! Table tests of the reconciliation rules: each cause of a variance, and the days' sums.

use jiff::civil::date;

use super::*;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn receipt(payment: i64, reference: &str, day: i8, amount: Money) -> PostedCash {
    PostedCash {
        payment: PaymentId(payment),
        bank_reference: reference.to_string(),
        date: date(2026, 7, day),
        amount,
        movement: CashMovement::Receipt,
    }
}

fn line(
    id: i64,
    reference: &str,
    day: i8,
    amount: Money,
    treatment: LineTreatment,
    payment: Option<i64>,
) -> StatementEntry {
    StatementEntry {
        line_id: id,
        bank_reference: reference.to_string(),
        date: date(2026, 7, day),
        amount,
        kind: "customer_payment".to_string(),
        treatment,
        payment: payment.map(PaymentId),
    }
}

fn compare(posted: &[PostedCash], lines: &[StatementEntry]) -> Vec<DayComparison> {
    compare_days(
        "OPERATING",
        &[Currency::USD],
        posted,
        lines,
        date(2026, 7, 1),
        date(2026, 7, 31),
    )
    .unwrap()
}

fn causes(day: &DayComparison) -> Vec<(VarianceCause, String)> {
    day.variances
        .iter()
        .map(|v| (v.cause, v.amount.to_decimal_string()))
        .collect()
}

#[test]
fn a_receipt_and_its_line_on_the_same_day_reconcile() {
    let days = compare(
        &[receipt(1, "W1", 1, usd(10_000))],
        &[line(
            1,
            "W1",
            1,
            usd(10_000),
            LineTreatment::Receipt,
            Some(1),
        )],
    );
    assert_eq!(days.len(), 1);
    assert!(days[0].difference.is_zero());
    assert_eq!(days[0].status(), "reconciled");
}

#[test]
fn each_cause_is_found_and_the_variances_make_the_difference() {
    let posted = [
        // By hand, never on a statement.
        receipt(1, "HAND", 1, usd(5_000)),
        // Value date the 1st, booked by the bank the 2nd.
        receipt(2, "LATE", 1, usd(2_500)),
        // Posted by hand for 300.00; the bank credited 290.00 with the same reference.
        receipt(3, "SHORT", 1, usd(30_000)),
        // Posted in EUR into a USD account.
        receipt(4, "EURO", 1, eur(700)),
    ];
    let mut fee = line(13, "INT1", 1, usd(12), LineTreatment::HeldOut, None);
    fee.kind = "interest".to_string();
    let lines = [
        line(11, "LATE", 2, usd(2_500), LineTreatment::Receipt, Some(2)),
        line(
            12,
            "SHORT",
            1,
            usd(29_000),
            LineTreatment::Conflict,
            Some(3),
        ),
        fee,
        line(
            14,
            "RET9",
            2,
            usd(-4_000),
            LineTreatment::ReturnNotReversed,
            None,
        ),
        // A fee debit is not a receipt: not compared.
        line(15, "FEE", 2, usd(-100), LineTreatment::HeldOut, None),
    ];
    let days = compare(&posted, &lines);
    let first = days
        .iter()
        .find(|d| d.date == date(2026, 7, 1) && d.currency == Currency::USD)
        .unwrap();
    assert_eq!(
        causes(first),
        [
            (VarianceCause::NotOnStatement, "50.00".to_string()),
            (VarianceCause::HeldOut, "-0.12".to_string()),
            (VarianceCause::AmountDifference, "10.00".to_string()),
            (VarianceCause::Timing, "25.00".to_string()),
        ]
    );
    assert_eq!(first.posted_receipts, usd(37_500));
    assert_eq!(first.statement_credits, usd(29_012));
    assert_eq!(first.difference, usd(8_488));
    let second = days.iter().find(|d| d.date == date(2026, 7, 2)).unwrap();
    assert_eq!(
        causes(second),
        [
            (VarianceCause::ReturnedItem, "40.00".to_string()),
            (VarianceCause::Timing, "-25.00".to_string()),
        ]
    );
    assert_eq!(second.statement_returns, usd(4_000));
    assert_eq!(second.difference, usd(1_500));
    let euro = days.iter().find(|d| d.currency == Currency::EUR).unwrap();
    assert_eq!(
        causes(euro),
        [(VarianceCause::Currency, "7.00".to_string())]
    );
    for day in &days {
        let sum = Money::sum(day.currency, day.variances.iter().map(|v| v.amount)).unwrap();
        assert_eq!(sum, day.difference, "{day:?}");
    }
    let totals = totals(&days).unwrap();
    assert_eq!(totals.len(), 2, "one per currency");
    assert_eq!(totals[1].difference, usd(9_988));
}

#[test]
fn a_returned_item_reversed_in_settle_reconciles_and_a_line_seen_twice_counts_once() {
    let mut reversal = receipt(1, "ACH1", 3, usd(-2_500));
    reversal.movement = CashMovement::Return;
    let posted = [receipt(1, "ACH1", 1, usd(2_500)), reversal];
    let lines = [
        // The intraday statement, then the end-of-day one: one bank transaction.
        line(1, "ACH1", 1, usd(2_500), LineTreatment::Receipt, Some(1)),
        line(2, "ACH1", 1, usd(2_500), LineTreatment::Receipt, Some(1)),
        line(3, "RET1", 3, usd(-2_500), LineTreatment::Return, Some(1)),
    ];
    let days = compare(&posted, &lines);
    assert_eq!(days.len(), 2);
    assert!(days.iter().all(|d| d.variances.is_empty()), "{days:?}");
    assert_eq!(days[0].statement_credits, usd(2_500));
    assert_eq!(days[1].posted_returns, usd(2_500));
    assert_eq!(days[1].statement_returns, usd(2_500));
}

#[test]
fn a_pair_across_the_range_shows_only_its_day_inside() {
    let days = compare_days(
        "OPERATING",
        &[Currency::USD],
        &[receipt(1, "W1", 1, usd(100))],
        &[line(1, "W1", 2, usd(100), LineTreatment::Receipt, Some(1))],
        date(2026, 7, 2),
        date(2026, 7, 2),
    )
    .unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(
        causes(&days[0]),
        [(VarianceCause::Timing, "-1.00".to_string())]
    );
}

#[test]
fn statement_status_follows_its_difference() {
    assert_eq!(StatementStatus::of(None), StatementStatus::NoBalances);
    assert_eq!(StatementStatus::of(Some(usd(0))), StatementStatus::Balanced);
    assert_eq!(
        StatementStatus::of(Some(usd(-5))),
        StatementStatus::OutOfBalance
    );
}
