//! Collections end to end, on SQLite and on PostgreSQL: the dunning run's levels, rules and
//! guards, a second run adding nothing, promises and plans judged from applied cash, the
//! worklist's ranking and filters, escalations, and the contact guards.

#[macro_use]
mod support;

use serde_json::Value;
use support::Backend;

on_both_engines!(
    dunning_climbs_levels_once_and_respects_the_stops,
    frequency_caps_and_contact_windows_guard_contacts,
    promises_pause_only_their_amount_and_broken_ones_resume,
    payment_plans_track_instalments_and_break_when_late,
    the_worklist_ranks_with_its_parts_and_filters,
    escalations_open_once_with_a_summary_and_close,
);

/// Letters and calls only: the emails' path is tested with a real SMTP server elsewhere.
const POLICY: &str = r#"{
  "name": "paper",
  "levels": [
    {"level": 1, "days": 1, "channel": "letter", "template": "first-reminder"},
    {"level": 2, "days": 15, "channel": "letter", "template": "second-notice"},
    {"level": 3, "days": 30, "channel": "phone", "template": "final-call", "min_amount": "100"}
  ],
  "grace_days_after_payment": 3,
  "min_days_between_levels": 7,
  "contact": {"window_start": "08:00", "window_end": "21:00", "max_calls_per_7_days": 2,
              "max_emails_per_7_days": 7, "max_letters_per_7_days": 7},
  "escalation": {"days_past_due": 60, "min_past_due": "1000", "broken_promises": 2}
}"#;

fn setup(db: &Backend) {
    db.ok(&["init"]);
    let policy = db.file("policy.json", POLICY);
    db.ok(&["dunning", "set-policy", &policy]);
    for code in ["ACME", "BOLT", "CRUX", "DYNA", "EXPO"] {
        db.ok(&[
            "customer",
            "add",
            code,
            "--name",
            &format!("{code} Ltd"),
            "--credit-limit",
            "5000.00",
        ]);
    }
}

fn invoice(db: &Backend, number: &str, customer: &str, date: &str, net: &str) {
    db.ok(&[
        "invoice",
        "add",
        number,
        "--customer",
        customer,
        "--date",
        date,
        "--line",
        &format!("Services={net}"),
    ]);
}

/// Receives a payment and applies it to one invoice, both on `date`.
fn pay(db: &Backend, customer: &str, amount: &str, reference: &str, date: &str, invoice: &str) {
    let payment = db.json(&[
        "payment",
        "post",
        "--customer",
        customer,
        "--amount",
        amount,
        "--reference",
        reference,
        "--date",
        date,
    ]);
    let id = payment["payment_id"]
        .as_i64()
        .expect("a payment id")
        .to_string();
    db.ok(&[
        "apply",
        "--payment",
        &id,
        "--invoice",
        invoice,
        "--date",
        date,
    ]);
}

fn dun(db: &Backend, as_of: &str) -> Vec<Value> {
    db.json(&[
        "dun",
        "--as-of",
        as_of,
        "--at",
        &format!("{as_of}T10:00:00Z"),
    ])
    .as_array()
    .expect("an array of actions")
    .clone()
}

fn customers(actions: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = actions
        .iter()
        .map(|a| a["customer_id"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes
}

fn dunning_climbs_levels_once_and_respects_the_stops(db: &Backend) {
    setup(db);
    // NET30: all due on 2026-03-03.
    for (number, customer) in [
        ("A-1", "ACME"),
        ("B-1", "BOLT"),
        ("C-1", "CRUX"),
        ("D-1", "DYNA"),
        ("E-1", "EXPO"),
    ] {
        invoice(db, number, customer, "2026-02-01", "1500.00");
    }
    // A-2 is disputed in full: never dunned while the dispute is open.
    invoice(db, "A-2", "ACME", "2026-02-01", "700.00");
    db.ok(&[
        "dispute", "open", "A-2", "--amount", "700.00", "--reason", "damaged",
    ]);
    db.ok(&["customer", "collection", "BOLT", "--do-not-contact", "on"]);
    db.ok(&["customer", "collection", "CRUX", "--bankrupt", "on"]);
    db.ok(&[
        "customer",
        "collection",
        "DYNA",
        "--cease-communication",
        "on",
    ]);

    // The day of the due date: nothing yet.
    assert!(dun(db, "2026-03-03").is_empty());
    let first = dun(db, "2026-03-04");
    assert_eq!(customers(&first), ["ACME", "EXPO"], "{first:?}");
    let acme = first.iter().find(|a| a["customer_id"] == "ACME").unwrap();
    assert_eq!(acme["level"], 1);
    assert_eq!(acme["channel"], "letter");
    assert_eq!(acme["invoices"], serde_json::json!(["A-1"]));
    assert_eq!(acme["amount"], "1500.00");
    assert!(
        acme["rule"]
            .as_str()
            .unwrap()
            .contains("policy paper level 1"),
        "{acme}"
    );
    // The same day again: nothing new, on record or in the output.
    assert!(dun(db, "2026-03-04").is_empty());
    let recorded = db.json(&["dunning", "actions"]);
    assert_eq!(recorded.as_array().unwrap().len(), 2, "{recorded}");

    // Blocked accounts say which guard stopped them.
    let report = db.json(&[
        "dun",
        "--as-of",
        "2026-03-05",
        "--dry-run",
        "--show-blocked",
    ]);
    let guards: Vec<String> = report["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{} {}", b["customer_id"], b["guard"]))
        .collect();
    assert_eq!(guards.len(), 3, "{guards:?}");
    assert!(
        guards
            .iter()
            .any(|g| g.contains("BOLT") && g.contains("do-not-contact"))
    );
    assert!(
        guards
            .iter()
            .any(|g| g.contains("CRUX") && g.contains("bankruptcy"))
    );
    assert!(
        guards
            .iter()
            .any(|g| g.contains("DYNA") && g.contains("cease"))
    );

    // Level 2 at 15 days past due, and the rest between levels respected.
    assert!(dun(db, "2026-03-10").is_empty());
    let second = dun(db, "2026-03-18");
    assert_eq!(customers(&second), ["ACME", "EXPO"]);
    assert!(second.iter().all(|a| a["level"] == 2));
    // A payment pauses dunning for the grace days; a part-payment leaves the rest chased.
    pay(db, "EXPO", "1000.00", "W-1", "2026-04-01", "E-1");
    let third = dun(db, "2026-04-02");
    assert_eq!(customers(&third), ["ACME"]);
    assert_eq!(third[0]["level"], 3);
    assert_eq!(third[0]["channel"], "phone");
    assert_eq!(third[0]["status"], "call_due");
    let later = dun(db, "2026-04-05");
    assert_eq!(customers(&later), ["EXPO"]);
    assert_eq!(later[0]["amount"], "500.00");
    // The dry run records nothing.
    let before = db.json(&["dunning", "actions"]).as_array().unwrap().len();
    db.ok(&["dun", "--as-of", "2026-06-01", "--dry-run"]);
    assert_eq!(
        db.json(&["dunning", "actions"]).as_array().unwrap().len(),
        before
    );
    // Each item's kept level is its history's highest; verify notices one that is not.
    db.ok(&["verify"]);
    db.sql("UPDATE items SET dun_level = 1 WHERE number = 'A-1'");
    let tampered = db.run(&["verify"]);
    assert!(!tampered.status.success());
    let said = String::from_utf8_lossy(&tampered.stdout);
    assert!(
        said.contains("kept dunning level") && said.contains("A-1"),
        "{said}"
    );
}

fn frequency_caps_and_contact_windows_guard_contacts(db: &Backend) {
    setup(db);
    invoice(db, "A-1", "ACME", "2026-01-01", "900.00");
    db.ok(&[
        "customer",
        "collection",
        "ACME",
        "--time-zone",
        "America/Chicago",
        "--collector",
        "rosa",
    ]);
    // 10:00 UTC is 04:00 in Chicago: outside the window.
    let early = db.fails(&[
        "contact",
        "check",
        "ACME",
        "--channel",
        "phone",
        "--at",
        "2026-03-02T10:00:00Z",
    ]);
    assert!(early.contains("contact window"), "{early}");
    assert!(early.contains("08:00 CST"), "{early}");
    db.ok(&[
        "contact",
        "check",
        "ACME",
        "--channel",
        "phone",
        "--at",
        "2026-03-02T15:00:00Z",
    ]);
    // Two calls in a week reach this policy's cap.
    for at in ["2026-03-02T15:00:00Z", "2026-03-03T15:00:00Z"] {
        db.ok(&[
            "contact",
            "log",
            "ACME",
            "--channel",
            "phone",
            "--subject",
            "Reminder call",
            "--outcome",
            "no answer",
            "--at",
            at,
        ]);
    }
    let capped = db.fails(&[
        "contact",
        "check",
        "ACME",
        "--channel",
        "phone",
        "--at",
        "2026-03-04T15:00:00Z",
    ]);
    assert!(
        capped.contains("frequency cap: 2 phone contacts"),
        "{capped}"
    );
    // A week after the first call the cap frees up.
    db.ok(&[
        "contact",
        "check",
        "ACME",
        "--channel",
        "phone",
        "--at",
        "2026-03-09T15:00:01Z",
    ]);
    // The log keeps what happened, a call made against a guard with a warning.
    let logged = db.run(&[
        "contact",
        "log",
        "ACME",
        "--channel",
        "phone",
        "--subject",
        "Third call",
        "--at",
        "2026-03-04T16:00:00Z",
    ]);
    assert!(logged.status.success());
    assert!(String::from_utf8_lossy(&logged.stderr).contains("frequency cap"));
    let log = db.json(&["contact", "list", "ACME"]);
    assert_eq!(log.as_array().unwrap().len(), 3, "{log}");
    assert_eq!(log[2]["outcome"], "no answer");
    // A meeting is a channel of its own; a bad one is named.
    db.ok(&[
        "contact",
        "log",
        "ACME",
        "--channel",
        "meeting",
        "--subject",
        "Site visit",
    ]);
    let bad = db.fails(&[
        "contact",
        "log",
        "ACME",
        "--channel",
        "fax",
        "--subject",
        "x",
    ]);
    assert!(
        bad.contains("--channel") && bad.contains("meeting"),
        "{bad}"
    );
    let zone = db.fails(&[
        "customer",
        "collection",
        "ACME",
        "--time-zone",
        "Mars/Olympus",
    ]);
    assert!(zone.contains("IANA"), "{zone}");

    // A collector's call is judged by the account's own policy: BOLT's segment has one whose
    // window is the early morning, so 15:00 UTC is outside it while ACME (its calls a week old) may be called.
    let early_birds = db.file(
        "early.json",
        &POLICY
            .replace(
                r#""name": "paper""#,
                r#""name": "early", "priority": -1, "scope": {"segments": ["early"]}"#,
            )
            .replace(
                r#""window_start": "08:00", "window_end": "21:00""#,
                r#""window_start": "06:00", "window_end": "09:00""#,
            ),
    );
    db.ok(&["dunning", "set-policy", &early_birds]);
    invoice(db, "B-1", "BOLT", "2026-01-01", "400.00");
    db.ok(&["customer", "collection", "BOLT", "--segment", "early"]);
    let outside = db.fails(&[
        "contact",
        "check",
        "BOLT",
        "--channel",
        "phone",
        "--at",
        "2026-03-10T15:00:00Z",
    ]);
    assert!(
        outside.contains("contact window") && outside.contains("06:00"),
        "{outside}"
    );
    db.ok(&[
        "contact",
        "check",
        "BOLT",
        "--channel",
        "phone",
        "--at",
        "2026-03-10T07:00:00Z",
    ]);
    db.ok(&[
        "contact",
        "check",
        "ACME",
        "--channel",
        "phone",
        "--at",
        "2026-03-12T15:00:00Z",
    ]);
}

fn promises_pause_only_their_amount_and_broken_ones_resume(db: &Backend) {
    setup(db);
    invoice(db, "A-1", "ACME", "2026-01-01", "1000.00");
    invoice(db, "A-2", "ACME", "2026-01-05", "400.00");
    invoice(db, "B-1", "BOLT", "2026-01-01", "800.00");
    // ACME promises 1,000 on A-1; BOLT promises everything it owes.
    let promise = db.json(&[
        "promise",
        "add",
        "ACME",
        "--amount",
        "1000.00",
        "--date",
        "2026-02-20",
        "--invoice",
        "A-1",
        "--on",
        "2026-02-01",
    ]);
    assert_eq!(promise["status"], "open");
    db.ok(&[
        "promise",
        "add",
        "BOLT",
        "--amount",
        "800.00",
        "--date",
        "2026-02-20",
        "--on",
        "2026-02-01",
        "--grace-days",
        "2",
    ]);
    let actions = dun(db, "2026-02-10");
    // Only A-2 is chased: A-1 and BOLT are promised.
    assert_eq!(customers(&actions), ["ACME"], "{actions:?}");
    assert_eq!(actions[0]["invoices"], serde_json::json!(["A-2"]));
    // ACME pays A-1 on time: kept. BOLT pays nothing: broken after the grace days.
    pay(db, "ACME", "1000.00", "W-9", "2026-02-19", "A-1");
    let check = db.json(&["promise", "check", "--as-of", "2026-02-22"]);
    assert_eq!(
        check["promises_kept"].as_array().unwrap().len(),
        1,
        "{check}"
    );
    assert!(check["promises_broken"].as_array().unwrap().is_empty());
    let check = db.json(&["promise", "check", "--as-of", "2026-02-23"]);
    assert_eq!(
        check["promises_broken"].as_array().unwrap().len(),
        1,
        "{check}"
    );
    let bolt = db.json(&["promise", "list", "--customer", "BOLT"]);
    assert_eq!(bolt[0]["status"], "broken");
    // The broken promise leaves a follow-up and dunning resumes.
    let log = db.json(&["contact", "list", "BOLT"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["outcome"] == "broken promise" && e["next_step_on"] == "2026-02-24"),
        "{log}"
    );
    let resumed = dun(db, "2026-02-24");
    assert!(
        customers(&resumed).contains(&"BOLT".to_string()),
        "{resumed:?}"
    );
    let rates = db.json(&["promise", "rates"]);
    let rate = |code: &str| {
        rates
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == code)
            .unwrap()["kept_rate"]
            .clone()
    };
    assert_eq!(rate("ACME"), 100.0);
    assert_eq!(rate("BOLT"), 0.0);
    // Refusals name the problem.
    let past = db.fails(&[
        "promise",
        "add",
        "ACME",
        "--amount",
        "5",
        "--date",
        "2026-01-01",
        "--on",
        "2026-02-01",
    ]);
    assert!(past.contains("before the day it is recorded"), "{past}");
    let other = db.fails(&[
        "promise",
        "add",
        "ACME",
        "--amount",
        "5",
        "--date",
        "2026-03-01",
        "--invoice",
        "B-1",
    ]);
    assert!(other.contains("another customer"), "{other}");
}

fn payment_plans_track_instalments_and_break_when_late(db: &Backend) {
    setup(db);
    invoice(db, "A-1", "ACME", "2026-01-01", "1000.00");
    invoice(db, "A-2", "ACME", "2026-01-01", "200.01");
    let plan = db.json(&[
        "plan",
        "create",
        "ACME",
        "--invoice",
        "A-1",
        "--invoice",
        "A-2",
        "--instalments",
        "3",
        "--first-due",
        "2026-03-15",
        "--grace-days",
        "5",
        "--on",
        "2026-02-15",
    ]);
    let amounts: Vec<&str> = plan["instalments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["400.01", "400.00", "400.00"]);
    assert_eq!(plan["instalments"][2]["due_on"], "2026-05-15");
    // While the plan runs, its invoices are not dunned.
    assert!(dun(db, "2026-03-01").is_empty());
    pay(db, "ACME", "400.01", "P-1", "2026-03-14", "A-1");
    let plans = db.json(&["plan", "list", "--as-of", "2026-04-20"]);
    assert_eq!(plans[0]["instalments"][0]["paid"], "400.01");
    assert_eq!(plans[0]["instalments"][1]["late"], false);
    // The second instalment is late after its grace: the plan breaks, dunning resumes.
    let check = db.json(&["promise", "check", "--as-of", "2026-04-21"]);
    assert_eq!(
        check["plans_broken"].as_array().unwrap().len(),
        1,
        "{check}"
    );
    let actions = dun(db, "2026-04-22");
    assert_eq!(customers(&actions), ["ACME"]);
    // A schedule by hand must add up; an invoice sits in one active plan at a time.
    let bad = db.fails(&[
        "plan",
        "create",
        "ACME",
        "--invoice",
        "A-2",
        "--total",
        "200.01",
        "--instalment",
        "2026-05-01=100",
        "--instalment",
        "2026-06-01=100",
    ]);
    assert!(bad.contains("add up"), "{bad}");
    db.ok(&[
        "plan",
        "create",
        "ACME",
        "--invoice",
        "A-2",
        "--total",
        "200.01",
        "--instalment",
        "2026-05-01=100",
        "--instalment",
        "2026-06-01=100.01",
    ]);
    let twice = db.fails(&[
        "plan",
        "create",
        "ACME",
        "--invoice",
        "A-2",
        "--instalments",
        "2",
        "--first-due",
        "2026-07-01",
    ]);
    assert!(
        twice.contains("already in an active payment plan"),
        "{twice}"
    );
}

fn the_worklist_ranks_with_its_parts_and_filters(db: &Backend) {
    setup(db);
    invoice(db, "A-1", "ACME", "2026-01-01", "5000.00");
    invoice(db, "B-1", "BOLT", "2026-02-01", "300.00");
    invoice(db, "C-1", "CRUX", "2026-05-01", "900.00");
    db.ok(&["customer", "collection", "ACME", "--collector", "rosa"]);
    db.ok(&["customer", "collection", "BOLT", "--collector", "rosa"]);
    db.ok(&["customer", "collection", "CRUX", "--collector", "sam"]);
    let list = db.json(&["worklist", "--as-of", "2026-04-30"]);
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["customer"].as_str().unwrap())
        .collect();
    // CRUX owes nothing past due yet; ACME owes more, for longer.
    assert_eq!(codes, ["ACME", "BOLT"]);
    let acme = &list[0];
    assert_eq!(acme["rank"], 1);
    assert_eq!(acme["days_past_due"], 89);
    assert_eq!(acme["bucket"], "61-90");
    let parts = &acme["score"];
    let sum: f64 = [
        "amount",
        "age",
        "risk",
        "broken_promises",
        "limit_use",
        "no_contact",
    ]
    .iter()
    .map(|k| parts[k].as_f64().unwrap())
    .sum();
    assert!(
        (sum - parts["total"].as_f64().unwrap()).abs() < 0.02,
        "{parts}"
    );
    assert_eq!(parts["limit_use"], 10.0);
    assert_eq!(parts["no_contact"], 10.0);
    let sam = db.json(&["worklist", "--as-of", "2026-07-01", "--collector", "sam"]);
    assert_eq!(sam.as_array().unwrap().len(), 1);
    assert_eq!(sam[0]["customer"], "CRUX");
    let bucket = db.json(&["worklist", "--as-of", "2026-04-30", "--bucket", "31-60"]);
    assert_eq!(bucket[0]["customer"], "BOLT");
    let bad = db.fails(&["worklist", "--bucket", "old"]);
    assert!(bad.contains("31-60"), "{bad}");
}

fn escalations_open_once_with_a_summary_and_close(db: &Backend) {
    setup(db);
    db.ok(&["user", "add", "mia", "--role", "manager"]);
    invoice(db, "A-1", "ACME", "2026-01-01", "1200.00");
    invoice(db, "B-1", "BOLT", "2026-01-01", "999.00");
    dun(db, "2026-04-15");
    let open = db.json(&["escalation", "list"]);
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    let acme = &open[0];
    assert_eq!(acme["customer"], "ACME");
    assert!(
        acme["rule"].as_str().unwrap().contains("60+ days"),
        "{acme}"
    );
    assert_eq!(acme["summary"]["oldest_days_past_due"], 74);
    assert_eq!(acme["summary"]["past_due"][0][1], "1200.00");
    assert!(
        !acme["summary"]["recommended_action"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    // One open escalation per customer.
    dun(db, "2026-04-16");
    assert_eq!(
        db.json(&["escalation", "list"]).as_array().unwrap().len(),
        1
    );
    let id = acme["id"].as_i64().unwrap().to_string();
    db.ok(&[
        "--user",
        "mia",
        "escalation",
        "close",
        &id,
        "--note",
        "Agreed a plan with the CFO",
    ]);
    assert!(
        db.json(&["escalation", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = db.json(&["escalation", "list", "--all"]);
    assert_eq!(all[0]["closed_by"], "mia");
}
