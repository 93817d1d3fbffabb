//! Late-payment interest, the legal order of applying a payment, and agency placements end to
//! end, on SQLite and on PostgreSQL, against figures computed by hand.

#[macro_use]
mod support;

use serde_json::Value;
use support::Backend;

on_both_engines!(
    late_interest_is_shown_charged_once_and_paid_in_the_legal_order,
    an_agency_placement_exports_recovers_and_earns_its_commission,
);

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

fn post_payment(db: &Backend, customer: &str, amount: &str, date: &str, reference: &str) -> String {
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
    posted["payment_id"]
        .as_i64()
        .expect("a payment id")
        .to_string()
}

fn pay(db: &Backend, customer: &str, invoice: &str, amount: &str, date: &str, reference: &str) {
    let payment = post_payment(db, customer, amount, date, reference);
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

fn rate(db: &Backend, preset: &str, from: &str, percent: &str) {
    db.ok(&[
        "interest", "rate", "set", "--preset", preset, "--from", from, "--rate", percent,
    ]);
}

fn line<'a>(run: &'a Value, invoice: &str) -> &'a Value {
    run["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["invoice"] == invoice)
        .unwrap_or_else(|| panic!("no line for {invoice}: {run}"))
}

fn late_interest_is_shown_charged_once_and_paid_in_the_legal_order(db: &Backend) {
    db.ok(&["init", "--currency", "EUR"]);
    db.ok(&[
        "customer",
        "add",
        "DE1",
        "--name",
        "Berlin GmbH",
        "--currency",
        "EUR",
        "--country",
        "DE",
    ]);
    db.ok(&[
        "customer",
        "add",
        "GB1",
        "--name",
        "London Ltd",
        "--currency",
        "GBP",
        "--country",
        "GB",
    ]);
    db.ok(&[
        "customer",
        "add",
        "US1",
        "--name",
        "Boston Inc",
        "--currency",
        "USD",
        "--country",
        "US",
    ]);
    db.ok(&[
        "customer",
        "add",
        "FR1",
        "--name",
        "Paris SA",
        "--currency",
        "EUR",
        "--country",
        "FR",
    ]);
    invoice(db, "I-FR", "FR1", "2026-01-05", "2026-02-04", "2000.00");
    // Paid late before any run: it still owes its late days.
    invoice(db, "I-FR2", "FR1", "2026-01-05", "2026-02-04", "500.00");
    let paid = post_payment(db, "FR1", "500.00", "2026-02-10", "FR-PAY-1");
    db.ok(&[
        "apply",
        "--payment",
        &paid,
        "--invoice",
        "I-FR2",
        "--date",
        "2026-02-10",
    ]);
    invoice(db, "I-DE", "DE1", "2026-01-01", "2026-01-31", "10000.00");
    invoice(db, "I-GB", "GB1", "2026-01-10", "2026-02-09", "5000.00");
    invoice(db, "I-US", "US1", "2026-01-01", "2026-01-31", "800.00");

    // Without a reference rate the run says which one is missing.
    let missing = db.fails(&["interest", "run", "--as-of", "2026-03-02"]);
    assert!(
        missing.contains("no germany reference rate") || missing.contains("no uk reference rate"),
        "{missing}"
    );
    rate(db, "germany", "2026-01-01", "1.27");
    rate(db, "germany", "2026-03-01", "1.50");
    rate(db, "eu", "2026-01-01", "2.15");
    rate(db, "uk", "2026-01-01", "4.00");
    let bad = db.fails(&[
        "interest",
        "rate",
        "set",
        "--preset",
        "mars",
        "--from",
        "2026-01-01",
        "--rate",
        "1",
    ]);
    assert!(bad.contains("preset"), "{bad}");

    // I-DE: 1 February – 2 March, 30 days: 28 at 1.27 + 9 = 10.27 %, then 2 at 1.50 + 9:
    // 1,000,000 × (1,027 × 28 + 1,050 × 2) ÷ 3,650,000 = 8,453.70 → 84.54 EUR; Pauschale 40.00.
    // I-FR: 5 February – 2 March, 26 days at 2.15 + 8 = 10.15 %:
    // 200,000 × 1,015 × 26 ÷ 3,650,000 = 1,446.03 → 14.46 EUR; compensation 40.00 EUR.
    // I-FR2: open 5–9 February, paid on the 10th: 50,000 × 1,015 × 5 ÷ 3,650,000 = 69.52 →
    // 0.70 EUR; compensation 40.00 EUR.
    // I-GB: 10 February – 2 March, 21 days at 4 + 8 = 12 %:
    // 500,000 × 1,200 × 21 ÷ 3,650,000 = 3,452.05 → 34.52 GBP; fixed sum 70.00 (1,000–9,999.99).
    // I-US: no preset for the US.
    let run = db.json(&["interest", "run", "--as-of", "2026-03-02"]);
    assert_eq!(run["lines"].as_array().unwrap().len(), 4, "{run}");
    let paid_late = line(&run, "I-FR2");
    assert_eq!(paid_late["interest"]["amount"], "0.70");
    assert_eq!(paid_late["compensation"]["amount"], "40.00");
    assert_eq!(paid_late["open"]["amount"], "0.00");
    let fr = line(&run, "I-FR");
    assert_eq!(fr["preset"], "eu");
    assert_eq!(fr["days"], 26);
    assert_eq!(fr["interest"]["amount"], "14.46");
    assert_eq!(fr["compensation"]["amount"], "40.00");
    let de = line(&run, "I-DE");
    assert_eq!(de["preset"], "germany");
    assert_eq!(de["days"], 30);
    assert_eq!(de["from"], "2026-02-01");
    assert_eq!(de["interest"]["amount"], "84.54");
    assert_eq!(de["compensation"]["amount"], "40.00");
    let gb = line(&run, "I-GB");
    assert_eq!(gb["preset"], "uk");
    assert_eq!(gb["days"], 21);
    assert_eq!(gb["interest"]["amount"], "34.52");
    assert_eq!(gb["compensation"]["amount"], "70.00");
    assert_eq!(run["posted"], false);

    // Posting needs the policy.
    let refused = db.fails(&["interest", "run", "--as-of", "2026-03-02", "--post"]);
    assert!(refused.contains("policy --charge on"), "{refused}");
    db.ok(&["interest", "policy", "--charge", "on"]);
    let posted = db.json(&["interest", "run", "--as-of", "2026-03-02", "--post"]);
    assert_eq!(posted["posted"], true);
    let de = line(&posted, "I-DE");
    assert!(de["interest_memo"].is_string() && de["compensation_memo"].is_string());

    // The same days are never charged twice; later days are, without compensation:
    // I-DE 3–12 March, 10 days: 1,000,000 × 1,050 × 10 ÷ 3,650,000 = 2,876.71 → 28.77.
    let again = db.json(&["interest", "run", "--as-of", "2026-03-02", "--post"]);
    assert_eq!(again["lines"].as_array().unwrap().len(), 0, "{again}");
    let later = db.json(&["interest", "run", "--as-of", "2026-03-12"]);
    let de = line(&later, "I-DE");
    assert_eq!(de["from"], "2026-03-03");
    assert_eq!(de["interest"]["amount"], "28.77");
    assert_eq!(de["compensation"]["amount"], "0.00");
    // A customer set to no preset is left alone.
    db.ok(&[
        "interest",
        "assign",
        "--customer",
        "GB1",
        "--preset",
        "none",
    ]);
    let later = db.json(&["interest", "run", "--as-of", "2026-03-12"]);
    assert_eq!(later["lines"].as_array().unwrap().len(), 2, "{later}");
    assert!(
        later["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["customer"] != "GB1")
    );

    // A partial payment of 200.00 settles costs (40.00), then interest (84.54), then
    // principal (75.46).
    let payment = post_payment(db, "DE1", "200.00", "2026-03-05", "DE-PAY-1");
    let applied = db.json(&["apply-legal", &payment, "--date", "2026-03-05"]);
    let applications = applied["applications"].as_array().unwrap();
    let settled: Vec<(String, String)> = applications
        .iter()
        .map(|a| {
            (
                a[0].as_str().unwrap().to_string(),
                a[1]["amount"]["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        settled,
        vec![
            ("costs".to_string(), "40.00".to_string()),
            ("interest".to_string(), "84.54".to_string()),
            ("principal".to_string(), "75.46".to_string()),
        ],
        "{applied}"
    );
    assert_eq!(applications[2][1]["invoice"], "I-DE");
    assert_eq!(applied["unapplied"]["amount"], "0.00");

    // The memos post to Interest income (EUR: 84.54 + 40.00 + 14.46 + 40.00 + 0.70 + 40.00) and
    // the ledger stays consistent.
    let trial = db.json(&["report", "trial-balance"]);
    let interest_income: Vec<&Value> = trial
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == "interest_income" || r["name"] == "Interest income")
        .collect();
    let eur = interest_income
        .iter()
        .find(|r| r["currency"] == "EUR")
        .unwrap_or_else(|| panic!("no EUR interest income: {trial}"));
    assert_eq!(eur["credit"], "219.70", "{trial}");
    db.ok(&["verify"]);
}

fn an_agency_placement_exports_recovers_and_earns_its_commission(db: &Backend) {
    db.ok(&["init"]);
    db.ok(&[
        "customer",
        "add",
        "AG1",
        "--name",
        "Slow Payer Inc",
        "--email",
        "ap@slow.example",
        "--country",
        "US",
    ]);
    db.ok(&["customer", "add", "OK1", "--name", "Nothing Owed"]);
    invoice(db, "A1", "AG1", "2026-01-01", "2026-01-31", "1000.00");
    invoice(db, "A2", "AG1", "2026-02-01", "2026-03-03", "500.00");
    pay(db, "AG1", "A1", "200.00", "2026-02-15", "P1");

    let refused = db.fails(&[
        "agency",
        "place",
        "OK1",
        "--agency",
        "Acme Collect",
        "--commission",
        "25%",
        "--out",
        "ok1.csv",
        "--date",
        "2026-03-10",
    ]);
    assert!(refused.contains("owes nothing"), "{refused}");
    assert!(!db.dir.join("ok1.csv").exists());

    let placed = db.json(&[
        "agency",
        "place",
        "AG1",
        "--agency",
        "Acme Collect",
        "--commission",
        "25%",
        "--out",
        "ag1.csv",
        "--date",
        "2026-03-10",
    ]);
    assert_eq!(placed["items"], 2, "{placed}");
    assert_eq!(placed["placed"][0]["amount"], "1300.00");
    assert_eq!(placed["placed"][0]["currency"], "USD");
    let export = std::fs::read_to_string(db.dir.join("ag1.csv")).expect("the export is written");
    let lines: Vec<&str> = export.lines().collect();
    assert!(
        lines[0].starts_with("record,customer,name,number"),
        "{export}"
    );
    assert!(
        lines[1].starts_with("customer,AG1,Slow Payer Inc,"),
        "{export}"
    );
    assert!(lines[1].contains("ap@slow.example"), "{export}");
    // A1: 800.00 open, 38 days past due on 10 March; A2 7 days.
    assert!(
        lines.contains(&"item,AG1,Slow Payer Inc,A1,invoice,2026-01-01,2026-01-31,USD,1000.00,800.00,38,,,,,,,Acme Collect,2026-03-10"),
        "{export}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(",A2,") && l.contains(",500.00,500.00,7,")),
        "{export}"
    );

    let twice = db.fails(&[
        "agency",
        "place",
        "AG1",
        "--agency",
        "Other",
        "--commission",
        "10",
        "--out",
        "again.csv",
        "--date",
        "2026-03-11",
    ]);
    assert!(twice.contains("already placed"), "{twice}");

    // Recovered while placed: 400.00 on A1 and 30.03 on A2 = 430.03; 25 % = 107.5075 → 107.51
    // (half up). Cash after the recall is not the agency's.
    pay(db, "AG1", "A1", "400.00", "2026-03-20", "P2");
    pay(db, "AG1", "A2", "30.03", "2026-03-25", "P3");
    db.ok(&["agency", "recall", "AG1", "--date", "2026-03-31"]);
    pay(db, "AG1", "A2", "100.00", "2026-04-05", "P4");
    let report = db.json(&["agency", "report"]);
    let rows = report.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0]["status"], "recalled");
    assert_eq!(rows[0]["recalled_on"], "2026-03-31");
    assert_eq!(rows[0]["placed"]["amount"], "1300.00");
    assert_eq!(rows[0]["recovered"]["amount"], "430.03");
    assert_eq!(rows[0]["commission_rate"], "25.00");
    assert_eq!(rows[0]["commission"]["amount"], "107.51");
    let not_placed = db.fails(&["agency", "recall", "AG1", "--date", "2026-04-06"]);
    assert!(not_placed.contains("not placed"), "{not_placed}");
    // Placed again after the recall: a second placement of what is still open.
    db.ok(&[
        "agency",
        "place",
        "AG1",
        "--agency",
        "Other",
        "--commission",
        "12.5",
        "--out",
        "again.csv",
        "--date",
        "2026-04-10",
    ]);
    let report = db.json(&["agency", "report"]);
    assert_eq!(report.as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report[0]["placed"]["amount"], "769.97", "{report}");
    assert_eq!(report[0]["status"], "placed");
}
