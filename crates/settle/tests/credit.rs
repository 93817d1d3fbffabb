//! Credit management end to end, on SQLite and on PostgreSQL: holds by hand with who and when,
//! holds by each rule (limit, days past due, bankruptcy, agency, status) named in every
//! answer, orders released or held and recorded, and credit reviews with their reviewer.

#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod support;

use serde_json::Value;
use support::Backend;

on_both_engines!(
    holds_by_hand_are_recorded_with_who_and_when,
    each_rule_holds_credit_and_says_so,
    reviews_record_the_reviewer_and_set_the_limit,
);

fn order(db: &Backend, customer: &str, amount: &str, as_of: &str) -> Value {
    db.json(&[
        "orders",
        "check",
        "--customer",
        customer,
        "--amount",
        amount,
        "--as-of",
        as_of,
    ])
}

fn rules(answer: &Value) -> Vec<String> {
    answer["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect()
}

fn holds_by_hand_are_recorded_with_who_and_when(db: &Backend) {
    db.load_fixture();
    // ACME owes 5,508.26 on open invoices against a 50,000.00 limit; nothing 60 days late yet.
    let status = db.json(&["credit", "status", "ACME", "--as-of", "2026-03-01"]);
    assert_eq!(status["held"], false, "{status}");
    assert_eq!(status["exposure"]["amount"], "5508.26");
    assert_eq!(status["limit"]["amount"], "50000.00");
    assert_eq!(status["use_percent"], "11.0%");
    let released = db.ok(&[
        "orders",
        "check",
        "--customer",
        "ACME",
        "--amount",
        "100.00",
        "--reference",
        "SO-1",
        "--as-of",
        "2026-03-01",
    ]);
    assert!(
        released.contains("(SO-1) of ACME for 100.00 USD: RELEASED"),
        "{released}"
    );

    db.ok(&[
        "--user",
        "carl",
        "credit",
        "hold",
        "ACME",
        "--reason",
        "contract in question",
        "--date",
        "2026-03-01",
    ]);
    let status = db.json(&["credit", "status", "ACME", "--as-of", "2026-03-01"]);
    assert_eq!(status["held"], true);
    assert_eq!(status["hold"], "contract in question");
    assert_eq!(
        status["reasons"][0]["reason"],
        "credit_hold: contract in question"
    );
    let logged = &status["holds"][0];
    assert_eq!(
        (
            &logged["action"],
            &logged["source"],
            &logged["by"],
            &logged["on"]
        ),
        (
            &Value::from("hold"),
            &Value::from("manual"),
            &Value::from("carl"),
            &Value::from("2026-03-01")
        )
    );
    let held = db.ok(&[
        "orders",
        "check",
        "--customer",
        "ACME",
        "--amount",
        "100.00",
        "--reference",
        "SO-2",
        "--as-of",
        "2026-03-01",
    ]);
    assert!(
        held.contains("(SO-2) of ACME for 100.00 USD: HELD"),
        "{held}"
    );
    assert!(held.contains("credit_hold: contract in question"), "{held}");
    let text = db.ok(&["credit", "status", "ACME", "--as-of", "2026-03-01"]);
    assert!(
        text.contains("credit: HELD") && text.contains("by carl"),
        "{text}"
    );

    // The rules leave a person's hold alone.
    let check = db.json(&["credit", "check", "--as-of", "2026-03-01", "--apply"]);
    let acme = check
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["customer"] == "ACME")
        .unwrap();
    assert_eq!(
        (&acme["action"], &acme["applied"]),
        (&Value::from("manual"), &Value::from(false))
    );
    assert_eq!(
        db.json(&["credit", "status", "ACME", "--as-of", "2026-03-01"])["hold"],
        "contract in question"
    );

    db.ok(&[
        "--user",
        "mia",
        "credit",
        "release",
        "ACME",
        "--date",
        "2026-03-02",
    ]);
    let status = db.json(&["credit", "status", "ACME", "--as-of", "2026-03-02"]);
    assert_eq!(
        (&status["held"], &status["hold"]),
        (&Value::from(false), &Value::from(""))
    );
    let last = &status["holds"][1];
    assert_eq!(
        (&last["action"], &last["by"]),
        (&Value::from("release"), &Value::from("mia"))
    );
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .contains("contract in question")
    );

    let again = db.fails(&["credit", "release", "ACME"]);
    assert!(
        again.contains("customer ACME is not on credit hold"),
        "{again}"
    );
    let empty = db.fails(&["credit", "hold", "ACME", "--reason", "  "]);
    assert!(empty.contains("reason: a hold needs a reason"), "{empty}");
    let ruled = db.fails(&["credit", "hold", "ACME", "--reason", "rule: mine"]);
    assert!(ruled.contains("starts the holds rules set"), "{ruled}");
    let unknown = db.fails(&["credit", "hold", "NOPE", "--reason", "x"]);
    assert!(unknown.contains("customer \"NOPE\" not found"), "{unknown}");
    let bad = db.fails(&["orders", "check", "--customer", "ACME", "--amount", "0"]);
    assert!(bad.contains("an order must be more than zero"), "{bad}");
}

fn each_rule_holds_credit_and_says_so(db: &Backend) {
    db.load_fixture();
    db.ok(&[
        "--user",
        "mia",
        "credit",
        "review",
        "ACME",
        "--limit",
        "6000.00",
        "--reason",
        "seasonal cut",
        "--on",
        "2026-02-20",
    ]);
    // Over the limit: 5,508.26 open plus the order.
    let fits = order(db, "ACME", "491.74", "2026-03-01");
    assert_eq!(fits["decision"], "released", "{fits}");
    assert_eq!(fits["exposure"]["amount"], "6000.00");
    let over = order(db, "ACME", "491.75", "2026-03-01");
    assert_eq!(over["decision"], "held", "{over}");
    assert_eq!(rules(&over), ["over_limit"]);
    assert_eq!(
        over["reasons"][0]["reason"],
        "over_limit: exposure 6000.01 USD exceeds the limit 6000.00 USD"
    );
    let text = db.ok(&[
        "orders",
        "check",
        "--customer",
        "ACME",
        "--amount",
        "491.75",
        "--as-of",
        "2026-03-01",
    ]);
    assert!(
        text.contains(": HELD") && text.contains("over_limit"),
        "{text}"
    );
    // Each check is recorded, the printed one too: the ids count them.
    assert_eq!(fits["check_id"], 1);
    assert_eq!(over["check_id"], 2);
    assert_eq!(order(db, "ACME", "1.00", "2026-03-01")["check_id"], 4);

    // 60 days past due (A-1001 fell due on 2026-02-09), or whatever threshold is asked.
    let late = order(db, "ACME", "1.00", "2026-04-10");
    assert_eq!(rules(&late), ["past_due"]);
    assert_eq!(
        late["reasons"][0]["reason"],
        "past_due: A-1001 is 60 days past due (60 or more hold credit)"
    );
    let lenient = db.json(&[
        "orders",
        "check",
        "--customer",
        "ACME",
        "--amount",
        "1.00",
        "--as-of",
        "2026-04-10",
        "--past-due-days",
        "61",
    ]);
    assert_eq!(lenient["decision"], "released", "{lenient}");

    // Bankrupt, placed with an agency, not active: each named.
    assert_eq!(
        order(db, "IDLE", "10.00", "2026-03-01")["decision"],
        "released"
    );
    db.sql("UPDATE customers SET bankrupt = 1 WHERE code = 'IDLE'");
    let bankrupt = order(db, "IDLE", "10.00", "2026-03-01");
    assert_eq!(rules(&bankrupt), ["bankrupt"]);
    db.sql("UPDATE customers SET bankrupt = 0, agency = 'Recovery Partners' WHERE code = 'IDLE'");
    let placed = order(db, "IDLE", "10.00", "2026-03-01");
    assert_eq!(
        placed["reasons"][0]["reason"],
        "agency: placed with Recovery Partners"
    );
    db.sql("UPDATE customers SET agency = '', status = 'on_hold' WHERE code = 'IDLE'");
    let on_hold = order(db, "IDLE", "10.00", "2026-03-01");
    assert_eq!(
        on_hold["reasons"][0]["reason"],
        "status: the customer is on_hold"
    );
    db.sql("UPDATE customers SET status = 'inactive', bankrupt = 1 WHERE code = 'IDLE'");
    let both = order(db, "IDLE", "10.00", "2026-03-01");
    assert_eq!(rules(&both), ["bankrupt", "status"]);

    // The check lists what the rules would do; --apply does it, naming the rules.
    let would = db.json(&["credit", "check", "--as-of", "2026-03-01"]);
    let lines = would.as_array().unwrap();
    assert_eq!(lines.len(), 1, "{would}");
    assert_eq!(
        (
            &lines[0]["customer"],
            &lines[0]["action"],
            &lines[0]["applied"]
        ),
        (
            &Value::from("IDLE"),
            &Value::from("hold"),
            &Value::from(false)
        )
    );
    assert_eq!(
        db.json(&["credit", "status", "IDLE", "--as-of", "2026-03-01"])["hold"],
        ""
    );
    db.ok(&["credit", "check", "--as-of", "2026-03-01", "--apply"]);
    let status = db.json(&["credit", "status", "IDLE", "--as-of", "2026-03-01"]);
    assert_eq!(status["hold"], "rule: bankrupt, status", "{status}");
    assert_eq!(status["holds"][0]["source"], "rule");
    assert!(
        status["holds"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("bankrupt: the customer is bankrupt; status: the customer is inactive"),
        "{status}"
    );
    // Applied twice, nothing changes; once the rules no longer apply, the rule's hold lifts.
    let still = db.json(&["credit", "check", "--as-of", "2026-03-01", "--apply"]);
    assert_eq!(still[0]["action"], "held", "{still}");
    assert_eq!(still[0]["applied"], false);
    db.sql("UPDATE customers SET status = 'active', bankrupt = 0 WHERE code = 'IDLE'");
    let lifted = db.json(&["credit", "check", "--as-of", "2026-03-01", "--apply"]);
    assert_eq!(
        (
            &lifted[0]["customer"],
            &lifted[0]["action"],
            &lifted[0]["applied"]
        ),
        (
            &Value::from("IDLE"),
            &Value::from("release"),
            &Value::from(true)
        )
    );
    let status = db.json(&["credit", "status", "IDLE", "--as-of", "2026-03-01"]);
    assert_eq!(
        (&status["hold"], &status["held"]),
        (&Value::from(""), &Value::from(false))
    );
    assert_eq!(status["holds"].as_array().unwrap().len(), 2);

    // Past due by rule, later in the year: every customer with an old item is held.
    let july = db.json(&["credit", "check", "--as-of", "2026-07-01", "--apply"]);
    let held: Vec<&str> = july
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["applied"] == true)
        .map(|l| l["customer"].as_str().unwrap())
        .collect();
    assert_eq!(held, ["ACME", "BETA", "KUWA", "MULL", "TOKY"], "{july}");
    assert_eq!(
        db.json(&["credit", "status", "ACME", "--as-of", "2026-07-01"])["hold"],
        "rule: past_due"
    );
    let bad = db.fails(&["credit", "check", "--past-due-days", "0"]);
    assert!(bad.contains("must be one day or more"), "{bad}");
}

fn reviews_record_the_reviewer_and_set_the_limit(db: &Backend) {
    db.load_fixture();
    let nobody = db.fails(&[
        "credit", "review", "ACME", "--limit", "40000", "--reason", "cut",
    ]);
    assert!(
        nobody.contains("a credit review names its reviewer: pass --user"),
        "{nobody}"
    );
    let no_reason = db.fails(&[
        "--user", "mia", "credit", "review", "ACME", "--limit", "40000", "--reason", "",
    ]);
    assert!(
        no_reason.contains("reason: a credit review says why"),
        "{no_reason}"
    );
    let bad_limit = db.fails(&[
        "--user", "mia", "credit", "review", "ACME", "--limit", "lots", "--reason", "x",
    ]);
    assert!(bad_limit.contains("limit:"), "{bad_limit}");
    assert_eq!(
        db.json(&["credit", "reviews", "ACME"]),
        serde_json::json!([])
    );

    let out = db.ok(&[
        "--user",
        "mia",
        "credit",
        "review",
        "ACME",
        "--limit",
        "40000.00",
        "--reason",
        "late payments",
        "--on",
        "2026-05-02",
    ]);
    assert!(
        out.contains("by mia: limit 50000.00 USD → 40000.00 USD (late payments)"),
        "{out}"
    );
    db.ok(&[
        "--user",
        "olu",
        "credit",
        "review",
        "ACME",
        "--limit",
        "45000.00",
        "--reason",
        "paid up",
        "--on",
        "2026-06-02",
    ]);
    let reviews = db.json(&["credit", "reviews", "ACME"]);
    let reviews = reviews.as_array().unwrap();
    assert_eq!(reviews.len(), 2);
    assert_eq!(reviews[0]["reviewer"], "mia");
    assert_eq!(reviews[0]["old_limit"]["amount"], "50000.00");
    assert_eq!(reviews[0]["new_limit"]["amount"], "40000.00");
    assert_eq!(reviews[0]["reviewed_on"], "2026-05-02");
    assert_eq!(reviews[1]["reviewer"], "olu");
    assert_eq!(reviews[1]["old_limit"]["amount"], "40000.00");

    let status = db.json(&["credit", "status", "ACME", "--as-of", "2026-03-01"]);
    assert_eq!(status["limit"]["amount"], "45000.00");
    assert_eq!(status["last_review"]["reviewer"], "olu");
    assert_eq!(status["last_review"]["reason"], "paid up");
    // 5,508.26 of 45,000.00 is 12.2406 %: a tenth of a percent, rounded half up.
    assert_eq!(status["use_percent"], "12.2%");

    // A customer without a limit gets its first one.
    db.ok(&[
        "--user",
        "mia",
        "credit",
        "review",
        "BETA",
        "--limit",
        "20000",
        "--reason",
        "new account",
    ]);
    let beta = db.json(&["credit", "reviews", "BETA"]);
    assert_eq!(beta[0]["old_limit"], Value::Null);
    assert_eq!(beta[0]["new_limit"]["amount"], "20000.00");
    let text = db.ok(&["credit", "status", "BETA", "--as-of", "2026-03-01"]);
    assert!(
        text.contains("limit: 20000.00 USD") && text.contains("last review:"),
        "{text}"
    );
}
