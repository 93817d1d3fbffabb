//! `settle report kpis` end to end, on SQLite and on PostgreSQL: a ledger built to reproduce
//! the Credit Research Foundation's published worked example (a January–March quarter with
//! credit sales 3,390 / 3,610 / 3,890, beginning receivables 6,200, ending receivables 6,340 of
//! which 3,590 current), a second currency kept apart, and figures per collector.

#[macro_use]
mod support;

use serde_json::{Value, json};
use support::Backend;

on_both_engines!(
    the_worked_example_comes_out_of_a_ledger,
    figures_per_collector_and_the_days_basis,
);

fn pay(db: &Backend, customer: &str, invoice: &str, amount: &str, date: &str, reference: &str) {
    let posted = db.json(&[
        "payment",
        "post",
        "--customer",
        customer,
        "--amount",
        amount,
        "--date",
        date,
        "--reference",
        reference,
    ]);
    let payment = posted["payment_id"]
        .as_i64()
        .expect("a payment id")
        .to_string();
    db.ok(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        invoice,
        "--amount",
        amount,
        "--date",
        date,
    ]);
}

fn invoice(db: &Backend, number: &str, customer: &str, issued: &str, due: &str, amount: &str) {
    let line = format!("Goods={amount}");
    db.ok(&[
        "invoice",
        "add",
        number,
        "--customer",
        customer,
        "--date",
        issued,
        "--due-date",
        due,
        "--line",
        &line,
    ]);
}

/// Receivables as of 2025-12-31: D1 6,200. Sales: January J1 3,390; February F1 3,610; March
/// M1 3,590 (due in April: current at 31 March) and M2 300 (overdue). D1 and J1 are paid in
/// full, F1 in part (1,160 in March), leaving 2,450 + 3,590 + 300 = 6,340 open on 31 March.
/// A EUR customer owes 500 on an invoice of June 2025 and bought nothing since.
fn load_ledger(db: &Backend) {
    db.ok(&["init"]);
    db.ok(&["customer", "add", "C1", "--name", "Acme"]);
    db.ok(&[
        "customer",
        "add",
        "C2",
        "--name",
        "Beta",
        "--currency",
        "EUR",
    ]);
    invoice(db, "D1", "C1", "2025-12-15", "2026-01-14", "6200.00");
    invoice(db, "J1", "C1", "2026-01-15", "2026-02-14", "3390.00");
    invoice(db, "F1", "C1", "2026-02-15", "2026-03-17", "3610.00");
    invoice(db, "M1", "C1", "2026-03-20", "2026-04-19", "3590.00");
    invoice(db, "M2", "C1", "2026-03-05", "2026-03-10", "300.00");
    invoice(db, "E1", "C2", "2025-06-01", "2025-07-01", "500.00");
    pay(db, "C1", "D1", "6200.00", "2026-01-20", "R1");
    pay(db, "C1", "J1", "3390.00", "2026-02-20", "R2");
    pay(db, "C1", "F1", "1160.00", "2026-03-25", "R3");
}

fn the_worked_example_comes_out_of_a_ledger(db: &Backend) {
    load_ledger(db);
    let kpis = db.json(&["report", "kpis", "--as-of", "2026-03-31"]);
    let usd = &kpis["USD"];
    assert_eq!(usd["receivables"], "6340.00", "{kpis}");
    assert_eq!(usd["current"], "3590.00");
    assert_eq!(usd["credit_sales_90"], "10890.00");
    assert_eq!(usd["beginning_receivables_90"], "6200.00");
    // The published figures: DSO 52.40, best possible 29.67, ADD 22.73, CEI 55.9 %, countback 50.00.
    assert_eq!(usd["dso_90"], json!(52.4));
    assert_eq!(usd["best_possible_dso_90"], json!(29.67));
    assert_eq!(usd["add_90"], json!(22.73));
    assert_eq!(usd["cei_90"], json!(55.93));
    assert_eq!(usd["countback_dso"], json!(50.0));
    // March alone: 6,340 × 31 ÷ 3,890; CEI (3,610 + 3,890 − 6,340) ÷ (3,610 + 3,890 − 3,590).
    assert_eq!(usd["dso_30"], json!(50.52));
    assert_eq!(usd["cei"], json!(29.67));
    assert_eq!(usd["overdue_share"], json!(43.38));
    // Cash applied in March 1,160 ÷ (3,610 + 3,890).
    assert_eq!(usd["cash_collected_30"], "1160.00");
    assert_eq!(usd["recovery_rate"], json!(15.47));
    assert_eq!(usd["broken_promise_rate"], Value::Null);

    // EUR is apart: no credit sales in the quarter, so DSO is undefined; countback walks back
    // to the June invoice: 31 May 2025 to 31 March 2026 is 304 days.
    let eur = &kpis["EUR"];
    assert_eq!(eur["receivables"], "500.00", "{kpis}");
    assert_eq!(eur["dso_30"], Value::Null);
    assert_eq!(eur["dso_90"], Value::Null);
    assert_eq!(eur["best_possible_dso_90"], Value::Null);
    assert_eq!(eur["add_90"], Value::Null);
    assert_eq!(eur["countback_dso"], json!(304.0));
    assert_eq!(eur["overdue_share"], json!(100.0));
    assert_eq!(eur["cei"], json!(0.0));
    assert_eq!(kpis.as_object().unwrap().len(), 2);

    let csv = db.ok(&["report", "kpis", "--as-of", "2026-03-31", "--format", "csv"]);
    assert!(csv.starts_with("group,currency,receivables,"), "{csv}");
    assert!(csv.contains("MAIN,USD,6340.00,3590.00,"), "{csv}");
    let table = db.ok(&["report", "kpis", "--as-of", "2026-03-31"]);
    assert!(
        table.contains("dso_90") && table.contains("52.4"),
        "{table}"
    );
}

fn figures_per_collector_and_the_days_basis(db: &Backend) {
    load_ledger(db);
    db.ok(&["customer", "add", "C3", "--name", "Gamma"]);
    invoice(db, "G1", "C3", "2026-03-01", "2026-03-31", "1000.00");
    db.sql("UPDATE customers SET collector = 'ann' WHERE code = 'C1'");
    // Two promises of C1 resolved in March (one kept, one broken) and one in February.
    for (id, status, resolved) in [
        (900_001, "kept", "2026-03-10"),
        (900_002, "broken", "2026-03-20"),
        (900_003, "broken", "2026-02-20"),
    ] {
        db.sql(&format!(
            "INSERT INTO promises (id, entity_id, customer_id, amount_minor, currency, promised_on, \
             grace_days, item_ids, status, paid_minor, created_on, created_by, resolved_on, note) \
             SELECT {id}, entity_id, id, 10000, 'USD', '{resolved}', 0, '', '{status}', 0, \
             '2026-02-01', 'test', '{resolved}', '' FROM customers WHERE code = 'C1'"
        ));
    }
    let kpis = db.json(&[
        "report",
        "kpis",
        "--as-of",
        "2026-03-31",
        "--by",
        "collector",
    ]);
    let ann = &kpis["ann"]["USD"];
    assert_eq!(ann["receivables"], "6340.00", "{kpis}");
    assert_eq!(ann["dso_90"], json!(52.4));
    assert_eq!(ann["broken_promise_rate"], json!(50.0));
    let none = &kpis["(none)"];
    assert_eq!(none["USD"]["receivables"], "1000.00", "{kpis}");
    // G1 is due on the as-of date: not yet past due, so current.
    assert_eq!(none["USD"]["current"], "1000.00");
    assert_eq!(none["USD"]["dso_30"], json!(31.0));
    assert_eq!(none["EUR"]["receivables"], "500.00");

    // The days basis: a 365-day year gives the quarter 91.25 days, a 360-day year 90 and a
    // month 30.
    let entity = db.json(&[
        "report",
        "kpis",
        "--as-of",
        "2026-03-31",
        "--days-basis",
        "365",
    ]);
    // 7,340 × 91.25 ÷ 11,890
    assert_eq!(entity["USD"]["dso_90"], json!(56.33), "{entity}");
    let entity = db.json(&[
        "report",
        "kpis",
        "--as-of",
        "2026-03-31",
        "--days-basis",
        "360",
    ]);
    // 7,340 × 30 ÷ 4,890
    assert_eq!(entity["USD"]["dso_30"], json!(45.03), "{entity}");
    let refused = db.fails(&[
        "report",
        "kpis",
        "--as-of",
        "2026-03-31",
        "--days-basis",
        "366",
    ]);
    assert!(refused.contains("--days-basis"), "{refused}");

    // Mid-month: the month is 16 February – 15 March (28 days), so F1 of 15 February falls in
    // the month before. Receivables on 15 March: F1 3,610, M2 300 and G1 1,000; sales in the
    // month M2 300 + G1 1,000; 4,910 × 28 ÷ 1,300.
    let mid = db.json(&["report", "kpis", "--as-of", "2026-03-15"]);
    assert_eq!(mid["USD"]["receivables"], "4910.00", "{mid}");
    assert_eq!(mid["USD"]["credit_sales_30"], "1300.00");
    assert_eq!(mid["USD"]["dso_30"], json!(105.75));
}
