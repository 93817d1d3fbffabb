//! Disputes and deductions end to end, on SQLite and on PostgreSQL: each resolution posts what
//! it says (and nothing half-written when refused), wrong amounts and transitions are refused
//! with the reason, the aging shows disputed amounts apart without moving its buckets, and a
//! short payment's deduction is a dispute like the others.

#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod support;

use serde_json::Value;
use support::Backend;

on_both_engines!(
    each_resolution_posts_what_it_says,
    wrong_amounts_and_transitions_are_refused,
    the_aging_shows_disputed_amounts_apart,
    a_short_payments_deduction_is_a_dispute_too,
);

/// What is open on a document now, as decimal text ("0" when it is settled).
fn open_on(db: &Backend, customer: &str, number: &str) -> String {
    let view = db.json(&["customer", "show", customer]);
    view["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == number)
        .map_or("0".to_string(), |i| {
            i["balance"]["amount"].as_str().unwrap().to_string()
        })
}

fn open(db: &Backend, args: &[&str]) -> i64 {
    let mut all = vec!["dispute", "open"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let opened: Value = serde_json::from_str(&db.ok(&all)).unwrap();
    opened["dispute_id"].as_i64().unwrap()
}

fn dispute(db: &Backend, id: i64) -> Value {
    db.json(&["dispute", "show", &id.to_string()])
}

/// The journal balances per currency and every kept balance matches its postings.
fn ledger_is_exact(db: &Backend) {
    db.ok(&["report", "trial-balance"]);
    let verified = db.ok(&["verify"]);
    assert!(verified.contains("ledger is consistent"), "{verified}");
}

fn each_resolution_posts_what_it_says(db: &Backend) {
    db.load_fixture();

    // A credit memo for part of what was disputed: the rest is collected again.
    let priced = open(
        db,
        &[
            "A-1002",
            "--amount",
            "500.00",
            "--reason",
            "pricing",
            "--owner",
            "sales",
            "--due",
            "2026-07-15",
            "--note",
            "old price list",
            "--date",
            "2026-06-20",
        ],
    );
    db.ok(&[
        "--user",
        "dana",
        "dispute",
        "review",
        &priced.to_string(),
        "--note",
        "asked sales",
        "--date",
        "2026-06-22",
    ]);
    db.ok(&[
        "dispute",
        "note",
        &priced.to_string(),
        "sales agrees to 300",
        "--date",
        "2026-06-23",
    ]);
    let credited = db.json(&[
        "--user",
        "dana",
        "dispute",
        "resolve",
        &priced.to_string(),
        "--credit-memo",
        "--amount",
        "300.00",
        "--date",
        "2026-06-25",
    ]);
    assert_eq!(credited["status"], "credited", "{credited}");
    assert_eq!(credited["posted"]["amount"], "300.00");
    assert_eq!(credited["invoice_open"]["amount"], "2200.50");
    let memo = credited["credit_memo"].as_str().unwrap().to_string();
    assert_eq!(open_on(db, "ACME", "A-1002"), "2200.50");
    assert_eq!(
        open_on(db, "ACME", &memo),
        "0",
        "the memo is applied in full"
    );
    let shown = dispute(db, priced);
    assert_eq!(shown["status"], "credited");
    assert_eq!(shown["active"], false);
    assert_eq!(shown["resolved_by"], "dana");
    assert_eq!(shown["credit_memo"], memo.as_str());
    let history: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["opened", "in_review", "note", "credited"]);
    assert_eq!(shown["history"][2]["text"], "sales agrees to 300");
    assert!(
        shown["history"][3]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("{memo} credits 300.00 USD")),
        "{shown}"
    );
    ledger_is_exact(db);

    // A write-off of the disputed amount, from the allowance.
    let damaged = open(
        db,
        &[
            "A-1001",
            "--amount",
            "100.00",
            "--reason",
            "damaged",
            "--date",
            "2026-06-20",
        ],
    );
    let written = db.json(&[
        "dispute",
        "resolve",
        &damaged.to_string(),
        "--write-off",
        "--date",
        "2026-06-26",
    ]);
    assert_eq!(written["status"], "written_off", "{written}");
    assert_eq!(written["posted"]["amount"], "100.00");
    assert_eq!(open_on(db, "ACME", "A-1001"), "980.00");
    ledger_is_exact(db);

    // Reinstated: nothing posted, and the amount no longer counts as disputed.
    let reinstated = open(
        db,
        &[
            "A-1003",
            "--amount",
            "99.99",
            "--reason",
            "not_received",
            "--date",
            "2026-06-20",
        ],
    );
    let active = db.json(&["customer", "show", "ACME"])["disputes"].clone();
    assert_eq!(active.as_array().unwrap().len(), 1, "{active}");
    let before = db.ok(&["report", "trial-balance", "--format", "csv"]);
    let back = db.json(&[
        "dispute",
        "resolve",
        &reinstated.to_string(),
        "--reinstate",
        "--date",
        "2026-06-27",
    ]);
    assert_eq!(back["status"], "reinstated", "{back}");
    assert_eq!(back["posted"]["amount"], "0.00");
    assert_eq!(back["entry_id"], Value::Null);
    assert_eq!(
        db.ok(&["report", "trial-balance", "--format", "csv"]),
        before
    );
    assert_eq!(open_on(db, "ACME", "A-1003"), "999.99");
    assert_eq!(
        db.json(&["customer", "show", "ACME"])["disputes"],
        serde_json::json!([])
    );
    let aging = db.json(&["aging", "--as-of", "2026-06-30"]);
    assert_eq!(aging["rows"][0]["disputed"], "0.00", "{aging}");
    let open_list = db.json(&["dispute", "list", "--status", "open"]);
    assert_eq!(open_list, serde_json::json!([]));

    // Rebilled: the invoice credited in full, a corrected invoice owed instead.
    db.ok(&[
        "invoice",
        "add",
        "R-1004",
        "--customer",
        "ACME",
        "--line",
        "Corrected=120.00",
        "--date",
        "2026-06-28",
    ]);
    let rebill = open(
        db,
        &[
            "A-1004",
            "--amount",
            "30.00",
            "--reason",
            "duplicate_billing",
            "--date",
            "2026-06-27",
        ],
    );
    let missing = db.fails(&[
        "dispute",
        "resolve",
        &rebill.to_string(),
        "--rebill",
        "R-9999",
        "--date",
        "2026-06-28",
    ]);
    assert!(
        missing.contains("no invoice \"R-9999\": issue or import the replacement invoice first"),
        "{missing}"
    );
    let other_customer = db.fails(&[
        "dispute",
        "resolve",
        &rebill.to_string(),
        "--rebill",
        "B-2001",
        "--date",
        "2026-06-28",
    ]);
    assert!(
        other_customer.contains("B-2001 is not billed to ACME"),
        "{other_customer}"
    );
    let rebilled = db.json(&[
        "dispute",
        "resolve",
        &rebill.to_string(),
        "--rebill",
        "R-1004",
        "--date",
        "2026-06-28",
    ]);
    assert_eq!(rebilled["status"], "rebilled", "{rebilled}");
    assert_eq!(rebilled["posted"]["amount"], "150.00", "credited in full");
    assert_eq!(rebilled["replacement"], "R-1004");
    assert_eq!(open_on(db, "ACME", "A-1004"), "0");
    assert_eq!(open_on(db, "ACME", "R-1004"), "120.00");
    assert_eq!(dispute(db, rebill)["replacement"], "R-1004");
    ledger_is_exact(db);

    let listed = db.json(&["dispute", "list", "--customer", "ACME"]);
    let statuses: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["credited", "written_off", "reinstated", "rebilled"]
    );
    let sales = db.json(&["dispute", "list", "--owner", "sales"]);
    assert_eq!(sales.as_array().unwrap().len(), 1, "{sales}");
}

fn wrong_amounts_and_transitions_are_refused(db: &Backend) {
    db.load_fixture();
    let first = open(
        db,
        &[
            "A-1002",
            "--amount",
            "2000.00",
            "--reason",
            "quantity",
            "--date",
            "2026-06-20",
        ],
    );
    let too_much = db.fails(&[
        "dispute",
        "open",
        "A-1002",
        "--amount",
        "500.51",
        "--reason",
        "pricing",
        "--date",
        "2026-06-20",
    ]);
    assert!(
        too_much.contains(
            "amount: 500.51 USD is more than can be disputed on A-1002: 2500.50 USD open, 2000.00 USD already in active disputes, so at most 500.50 USD"
        ),
        "{too_much}"
    );
    let zero = db.fails(&[
        "dispute", "open", "A-1002", "--amount", "0", "--reason", "tax",
    ]);
    assert!(zero.contains("must be more than zero"), "{zero}");
    let negative = db.fails(&[
        "dispute",
        "open",
        "A-1002",
        "--amount=-5",
        "--reason",
        "tax",
    ]);
    assert!(negative.contains("must be more than zero"), "{negative}");
    let reason = db.fails(&[
        "dispute", "open", "A-1002", "--amount", "5", "--reason", "price",
    ]);
    assert!(
        reason.contains("--reason: unknown dispute reason \"price\"")
            && reason.contains("pricing, quantity"),
        "{reason}"
    );
    let no_line = db.fails(&[
        "dispute", "open", "A-1001", "--amount", "5", "--reason", "tax", "--line", "2",
    ]);
    assert!(
        no_line.contains("line: A-1001 has no line 2 (it has 1)"),
        "{no_line}"
    );
    db.ok(&[
        "invoice",
        "add",
        "L-1",
        "--customer",
        "BETA",
        "--line",
        "Freight=100.00",
        "--line",
        "Pallets=40.00+4.00",
        "--date",
        "2026-06-01",
    ]);
    let over_line = db.fails(&[
        "dispute", "open", "L-1", "--amount", "44.01", "--reason", "quantity", "--line", "2",
    ]);
    assert!(
        over_line.contains("amount: 44.01 USD is more than line 2 of L-1 (44.00 USD with tax)"),
        "{over_line}"
    );
    let on_line = open(
        db,
        &[
            "L-1",
            "--amount",
            "44.00",
            "--reason",
            "quantity",
            "--line",
            "2",
            "--date",
            "2026-06-02",
        ],
    );
    assert_eq!(dispute(db, on_line)["line"], 2);
    let credit = db.fails(&[
        "dispute", "open", "NOPE", "--amount", "5", "--reason", "tax",
    ]);
    assert!(credit.contains("invoice \"NOPE\" not found"), "{credit}");
    let early_due = db.fails(&[
        "dispute",
        "open",
        "A-1002",
        "--amount",
        "5",
        "--reason",
        "tax",
        "--date",
        "2026-06-20",
        "--due",
        "2026-06-19",
    ]);
    assert!(
        early_due.contains("due: is before the day the dispute opens"),
        "{early_due}"
    );

    let id = first.to_string();
    db.ok(&["dispute", "review", &id]);
    let twice = db.fails(&["dispute", "review", &id]);
    assert!(
        twice.contains(&format!(
            "dispute {id} is in_review: it cannot be moved to in_review"
        )),
        "{twice}"
    );
    let more = db.fails(&[
        "dispute",
        "resolve",
        &id,
        "--credit-memo",
        "--amount",
        "2000.01",
        "--date",
        "2026-06-25",
    ]);
    assert!(
        more.contains("amount: 2000.01 USD is more than the 2000.00 USD in dispute"),
        "{more}"
    );
    let itself = db.fails(&[
        "dispute",
        "resolve",
        &id,
        "--rebill",
        "A-1002",
        "--date",
        "2026-06-25",
    ]);
    assert!(
        itself.contains("A-1002 is the disputed invoice itself"),
        "{itself}"
    );
    let none = db.run(&["dispute", "resolve", &id]);
    assert_eq!(none.status.code(), Some(2), "a resolution must be named");
    assert!(String::from_utf8_lossy(&none.stderr).contains("--credit-memo"));
    // Refused resolutions posted nothing.
    assert_eq!(open_on(db, "ACME", "A-1002"), "2500.50");
    assert_eq!(dispute(db, first)["status"], "in_review");

    db.ok(&[
        "dispute",
        "resolve",
        &id,
        "--write-off",
        "--direct",
        "--date",
        "2026-06-25",
    ]);
    assert_eq!(open_on(db, "ACME", "A-1002"), "500.50");
    for again in [
        vec!["dispute", "resolve", &id, "--reinstate"],
        vec!["dispute", "resolve", &id, "--credit-memo"],
        vec!["dispute", "review", &id],
    ] {
        let refused = db.fails(&again);
        assert!(
            refused.contains(&format!(
                "dispute {id} is written_off: it cannot be moved to"
            )),
            "{refused}"
        );
    }
    // A note is still welcome on a closed dispute.
    db.ok(&["dispute", "note", &id, "customer informed"]);
    let empty = db.fails(&["dispute", "note", &id, " "]);
    assert!(empty.contains("a note needs some text"), "{empty}");
    let unknown = db.fails(&["dispute", "show", "999"]);
    assert!(unknown.contains("dispute 999 not found"), "{unknown}");

    // Paid since it was disputed: a write-off of more than is open is refused.
    let late = open(
        db,
        &[
            "A-1003",
            "--amount",
            "900.00",
            "--reason",
            "damaged",
            "--date",
            "2026-06-20",
        ],
    );
    db.ok(&[
        "credit-memo",
        "--customer",
        "ACME",
        "--amount",
        "500.00",
        "--reason",
        "GOODWILL",
        "--apply-to",
        "A-1003",
        "--date",
        "2026-06-21",
    ]);
    let gone = db.fails(&[
        "dispute",
        "resolve",
        &late.to_string(),
        "--write-off",
        "--date",
        "2026-06-22",
    ]);
    assert!(
        gone.contains("A-1003 has 499.99 USD open, less than the 900.00 USD to write off"),
        "{gone}"
    );
    assert_eq!(open_on(db, "ACME", "A-1003"), "499.99");
    ledger_is_exact(db);
}

fn the_aging_shows_disputed_amounts_apart(db: &Backend) {
    db.load_fixture();
    let before = db.json(&["aging", "--as-of", "2026-06-30"]);
    open(
        db,
        &[
            "A-1002",
            "--amount",
            "500.00",
            "--reason",
            "pricing",
            "--date",
            "2026-06-20",
        ],
    );
    open(
        db,
        &[
            "A-1001",
            "--amount",
            "80.00",
            "--reason",
            "tax",
            "--date",
            "2026-06-25",
        ],
    );
    let reinstated = open(
        db,
        &[
            "M-3001",
            "--amount",
            "70.00",
            "--reason",
            "other",
            "--date",
            "2026-06-10",
        ],
    );
    db.ok(&[
        "dispute",
        "resolve",
        &reinstated.to_string(),
        "--reinstate",
        "--date",
        "2026-06-15",
    ]);
    let after = db.json(&["aging", "--as-of", "2026-06-30"]);
    let row = |aging: &Value, code: &str| -> Value {
        aging["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["customer_id"] == code)
            .unwrap()
            .clone()
    };
    for code in ["ACME", "BETA", "MULL"] {
        let (was, is) = (row(&before, code), row(&after, code));
        for field in ["buckets", "total", "unapplied", "net"] {
            assert_eq!(was[field], is[field], "{code} {field}");
        }
    }
    assert_eq!(row(&after, "ACME")["disputed"], "580.00");
    assert_eq!(row(&after, "MULL")["disputed"], "0.00");
    let usd = after["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["currency"] == "USD")
        .unwrap();
    assert_eq!(usd["disputed"], "580.00");
    // As of a day when only the first was open, and one when the reinstated one still was.
    let early = db.json(&["aging", "--as-of", "2026-06-21"]);
    assert_eq!(row(&early, "ACME")["disputed"], "500.00");
    let earlier = db.json(&["aging", "--as-of", "2026-06-12"]);
    assert_eq!(row(&earlier, "MULL")["disputed"], "70.00");
    assert_eq!(row(&earlier, "ACME")["disputed"], "0.00");

    let csv = db.ok(&["aging", "--as-of", "2026-06-30", "--format", "csv"]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",total,unapplied,net,disputed")
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("ACME,") && l.ends_with(",4730.49,0.00,4730.49,580.00")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("TOTAL,,USD,") && l.ends_with(",580.00")),
        "{csv}"
    );
    let table = db.ok(&["aging", "--as-of", "2026-06-30"]);
    assert!(
        table.lines().next().is_some() && table.contains("disputed"),
        "{table}"
    );
}

fn a_short_payments_deduction_is_a_dispute_too(db: &Backend) {
    db.load_fixture();
    // Short of B-2002's 3,333.33 by far more than a fee: applied, the rest disputed.
    db.ok(&[
        "payment",
        "post",
        "--amount",
        "3000.00",
        "--currency",
        "USD",
        "--date",
        "2026-06-10",
        "--reference",
        "D-1",
        "--payer-name",
        "Beta Logistics",
        "--payer-account",
        "77778888",
        "--memo",
        "B-2002",
    ]);
    db.ok(&["match"]);
    let listed = db.json(&["dispute", "list", "--status", "open", "--customer", "BETA"]);
    let deductions = listed.as_array().unwrap();
    assert_eq!(deductions.len(), 1, "{listed}");
    let deduction = &deductions[0];
    assert_eq!(deduction["invoice"], "B-2002");
    assert_eq!(deduction["reason"], "deduction");
    assert_eq!(deduction["amount"]["amount"], "333.33");
    assert!(deduction["decision_id"].is_i64(), "{deduction}");
    let id = deduction["dispute_id"].as_i64().unwrap();
    let history = &dispute(db, id)["history"];
    assert_eq!(history[0]["event"], "opened", "{history}");

    // Rows written before the reason codes keep reading: the old upper-case deduction is the
    // code, any other text is `other` with the text kept.
    db.sql(&format!(
        "UPDATE disputes SET reason = 'DEDUCTION' WHERE id = {id}"
    ));
    assert_eq!(dispute(db, id)["reason"], "deduction");
    db.sql(&format!(
        "UPDATE disputes SET reason = 'late truck' WHERE id = {id}"
    ));
    let old = dispute(db, id);
    assert_eq!(old["reason"], "other");
    assert_eq!(old["reason_text"], "late truck");
    assert!(
        db.ok(&["dispute", "show", &id.to_string()])
            .contains("reason as first recorded: late truck")
    );

    // The deduction is held out of the aging's chase and resolved like any dispute.
    let aging = db.json(&["aging", "--as-of", "2026-06-30"]);
    let beta = aging["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["customer_id"] == "BETA")
        .unwrap()
        .clone();
    assert_eq!(beta["disputed"], "333.33", "{beta}");
    db.ok(&[
        "dispute",
        "resolve",
        &id.to_string(),
        "--credit-memo",
        "--date",
        "2026-06-30",
    ]);
    assert_eq!(open_on(db, "BETA", "B-2002"), "0");
    assert!(
        db.json(&["dispute", "list", "--status", "open"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    ledger_is_exact(db);
}
