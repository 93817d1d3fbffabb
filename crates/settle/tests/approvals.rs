//! Maker-checker, on both engines: credit memos, write-offs and refunds over their limit wait
//! and post nothing; a manager or admin other than the maker approves (posting exactly once,
//! however many checkers press at once) or rejects; an approval that no longer fits the books
//! is refused and changes nothing. Dispute resolutions that post a credit memo or a write-off
//! wait under the same limits, and their approval resolves the dispute.

#[macro_use]
mod support;

use std::process::Stdio;

use support::Backend;

on_both_engines!(
    over_the_limit_waits_until_another_manager_approves,
    approval_is_refused_when_the_invoice_was_paid_meanwhile,
    credit_memos_and_refunds_wait_and_limits_are_per_currency,
    checkers_pressing_at_once_post_once,
    dispute_resolutions_over_the_limit_wait_for_approval,
);

/// The fixture's books with a clerk, two managers and an admin, and a write-off limit of
/// 500.00 USD set by a manager.
fn books(db: &Backend) {
    db.load_fixture();
    for (name, role) in [
        ("ann", "clerk"),
        ("mia", "manager"),
        ("max", "manager"),
        ("ada", "admin"),
    ] {
        db.ok(&["user", "add", name, "--role", role]);
    }
    let refused = db.fails(&[
        "--user",
        "ann",
        "approvals",
        "limit",
        "--operation",
        "write_off",
        "--amount",
        "1000000.00",
    ]);
    assert!(refused.contains("manager or admin"), "{refused}");
    db.ok(&[
        "--user",
        "mia",
        "approvals",
        "limit",
        "--operation",
        "write_off",
        "--amount",
        "500.00",
    ]);
}

fn balance(db: &Backend, customer: &str, number: &str) -> String {
    let view = db.json(&["customer", "show", customer]);
    view["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == number)
        .map_or_else(
            || "0.00".to_string(),
            |i| i["balance"]["amount"].as_str().unwrap().to_string(),
        )
}

fn entries(db: &Backend) -> usize {
    db.ok(&["export", "journal", "--format", "csv"])
        .lines()
        .count()
}

fn write_off(db: &Backend, user: &str, invoice: &str, key: Option<&str>) -> serde_json::Value {
    let mut args = vec![
        "--user",
        user,
        "write-off",
        "--invoice",
        invoice,
        "--date",
        "2026-07-01",
    ];
    if let Some(key) = key {
        args.extend(["--idempotency-key", key]);
    }
    db.json(&args)
}

fn pending_ids(db: &Backend) -> Vec<i64> {
    db.json(&["approvals", "list", "--status", "pending"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

fn over_the_limit_waits_until_another_manager_approves(db: &Backend) {
    books(db);
    let limits = db.json(&["approvals", "limits"]);
    assert_eq!(limits[0]["operation"], "write_off");
    assert_eq!(limits[0]["limit"]["amount"], "500.00");
    assert_eq!(limits[0]["set_by"], "mia");

    // Under the limit: posted as ever.
    let small = write_off(db, "ann", "A-1004", None);
    assert_eq!(small["amount"]["amount"], "150.00", "{small}");
    assert_eq!(balance(db, "ACME", "A-1004"), "0.00");

    // Over it: stored, nothing posted; the same key again returns the same request.
    let before = entries(db);
    let waiting = write_off(db, "ann", "A-1001", Some("wo-1001"));
    let id = waiting["approval_id"].as_i64().expect("awaits approval");
    assert_eq!(waiting["amount"]["amount"], "1080.00");
    assert_eq!(waiting["maker"], "ann");
    assert_eq!(waiting["replayed"], false);
    let again = write_off(db, "ann", "A-1001", Some("wo-1001"));
    assert_eq!(again["approval_id"], id);
    assert_eq!(again["replayed"], true);
    assert_eq!(pending_ids(db), vec![id], "one request stored");
    assert_eq!(entries(db), before, "nothing posted");
    assert_eq!(balance(db, "ACME", "A-1001"), "1080.00");
    let text = db.ok(&[
        "--user",
        "ann",
        "write-off",
        "--invoice",
        "A-1003",
        "--date",
        "2026-07-01",
    ]);
    assert!(text.contains("awaits approval"), "{text}");

    // The clerk may not approve; nor may a manager their own request.
    let clerk = db.fails(&["--user", "ann", "approvals", "approve", &id.to_string()]);
    assert!(
        clerk.contains("manager or admin") && clerk.contains("clerk"),
        "{clerk}"
    );
    let own = write_off(db, "mia", "A-1002", None);
    let own_id = own["approval_id"].as_i64().expect("awaits approval");
    let refused = db.fails(&["--user", "mia", "approvals", "approve", &own_id.to_string()]);
    assert!(refused.contains("different user"), "{refused}");
    let nobody = db.fails(&["approvals", "approve", &id.to_string()]);
    assert!(nobody.contains("registered user"), "{nobody}");
    assert_eq!(entries(db), before);

    // Another manager approves: posted once, as its maker's write-off.
    let approved = db.json(&["--user", "mia", "approvals", "approve", &id.to_string()]);
    assert_eq!(approved["checker"], "mia");
    assert_eq!(approved["posted"]["operation"], "write_off");
    assert_eq!(approved["posted"]["posted"]["amount"]["amount"], "1080.00");
    assert_eq!(balance(db, "ACME", "A-1001"), "0.00");
    let posted = entries(db);
    assert!(posted > before);
    let twice = db.fails(&["--user", "max", "approvals", "approve", &id.to_string()]);
    assert!(twice.contains("approved already by mia"), "{twice}");
    assert_eq!(entries(db), posted, "approving twice posts once");

    // Rejected: nothing posted, and it cannot be approved afterwards.
    db.fails(&[
        "--user",
        "ada",
        "approvals",
        "reject",
        &own_id.to_string(),
        "--reason",
        " ",
    ]);
    let rejected = db.json(&[
        "--user",
        "ada",
        "approvals",
        "reject",
        &own_id.to_string(),
        "--reason",
        "talk to the customer first",
    ]);
    assert_eq!(rejected["checker"], "ada");
    let late = db.fails(&["--user", "max", "approvals", "approve", &own_id.to_string()]);
    assert!(late.contains("rejected already"), "{late}");
    assert_eq!(balance(db, "ACME", "A-1002"), "2500.50");
    assert_eq!(entries(db), posted);

    // The maker withdraws the third request.
    let third = pending_ids(db);
    assert_eq!(third.len(), 1);
    db.ok(&[
        "--user",
        "ann",
        "approvals",
        "reject",
        &third[0].to_string(),
        "--reason",
        "asked for by mistake",
    ]);
    let all = db.json(&["approvals", "list"]);
    let statuses: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["approved", "rejected", "rejected"]);
    let shown = db.json(&["approvals", "show", &id.to_string()]);
    assert_eq!(shown["request"]["operation"], "write_off");
    assert_eq!(shown["request"]["request"]["amount"], "1080.00");
    assert_eq!(shown["posted"]["posted"]["item"], "A-1001");
    db.ok(&["verify"]);
}

fn approval_is_refused_when_the_invoice_was_paid_meanwhile(db: &Backend) {
    books(db);
    let waiting = write_off(db, "ann", "A-1002", None);
    let id = waiting["approval_id"].as_i64().expect("awaits approval");
    let paid = db.json(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "2500.50",
        "--date",
        "2026-07-02",
        "--reference",
        "CHK-9",
        "--method",
        "check",
    ]);
    let payment = paid["payment_id"].to_string();
    db.ok(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "A-1002",
        "--date",
        "2026-07-02",
    ]);
    let before = entries(db);
    let refused = db.fails(&["--user", "mia", "approvals", "approve", &id.to_string()]);
    assert!(
        refused.contains(&format!("approval {id} was not posted and stays pending")),
        "{refused}"
    );
    assert_eq!(entries(db), before, "nothing changed");
    assert_eq!(pending_ids(db), vec![id]);
    db.ok(&[
        "--user",
        "mia",
        "approvals",
        "reject",
        &id.to_string(),
        "--reason",
        "paid meanwhile",
    ]);
    assert!(pending_ids(db).is_empty());
    db.ok(&["verify"]);
}

fn credit_memos_and_refunds_wait_and_limits_are_per_currency(db: &Backend) {
    books(db);
    for (operation, amount, currency) in [
        ("credit_memo", "100.00", "USD"),
        ("refund", "100.00", "USD"),
        ("credit_memo", "0.00", "EUR"),
    ] {
        db.ok(&[
            "--user",
            "ada",
            "approvals",
            "limit",
            "--operation",
            operation,
            "--amount",
            amount,
            "--currency",
            currency,
        ]);
    }
    assert_eq!(
        db.json(&["approvals", "limits"]).as_array().unwrap().len(),
        4
    );

    let memo = |amount: &str, apply: bool| {
        let mut args = vec![
            "--user",
            "ann",
            "credit-memo",
            "--customer",
            "ACME",
            "--amount",
            amount,
            "--reason",
            "PRICING",
            "--date",
            "2026-07-01",
        ];
        if apply {
            args.extend(["--apply-to", "A-1002"]);
        }
        db.json(&args)
    };
    let under = memo("100.00", false);
    assert!(
        under["number"].is_string(),
        "at the limit it posts: {under}"
    );
    let over = memo("108.00", true);
    let memo_id = over["approval_id"].as_i64().expect("awaits approval");
    assert_eq!(balance(db, "ACME", "A-1002"), "2500.50");
    // A debit memo never waits.
    db.json(&[
        "--user",
        "ann",
        "debit-memo",
        "--customer",
        "ACME",
        "--amount",
        "900.00",
        "--reason",
        "LATE_INTEREST",
        "--date",
        "2026-07-01",
    ]);
    // The EUR limit of zero holds every EUR credit memo; USD limits do not touch EUR.
    let eur = db.json(&[
        "--user",
        "ann",
        "credit-memo",
        "--customer",
        "MULL",
        "--amount",
        "0.01",
        "--reason",
        "PRICING",
        "--date",
        "2026-07-01",
    ]);
    assert!(eur["approval_id"].is_i64(), "{eur}");

    let paid = db.json(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "300.00",
        "--date",
        "2026-07-03",
        "--reference",
        "CHK-1",
        "--method",
        "check",
    ]);
    let payment = paid["payment_id"].to_string();
    let refund = db.json(&[
        "--user",
        "ann",
        "refund",
        "--payment",
        &payment,
        "--date",
        "2026-07-04",
    ]);
    let refund_id = refund["approval_id"].as_i64().expect("awaits approval");
    assert_eq!(
        refund["amount"]["amount"], "300.00",
        "all of it, made explicit"
    );
    let view = db.json(&["customer", "show", "ACME"]);
    assert_eq!(
        view["unapplied_payments"][0]["unapplied"]["amount"],
        "300.00"
    );

    let approved = db.json(&[
        "--user",
        "max",
        "approvals",
        "approve",
        &memo_id.to_string(),
    ]);
    assert_eq!(approved["posted"]["operation"], "credit_memo");
    assert_eq!(balance(db, "ACME", "A-1002"), "2392.50");
    db.json(&[
        "--user",
        "max",
        "approvals",
        "approve",
        &refund_id.to_string(),
    ]);
    let view = db.json(&["customer", "show", "ACME"]);
    assert!(
        view["unapplied_payments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["unapplied"]["amount"] == "0.00"),
        "{view}"
    );
    // Limits removed: everything posts again.
    db.ok(&[
        "--user",
        "ada",
        "approvals",
        "limit",
        "--operation",
        "credit_memo",
        "--remove",
    ]);
    let free = memo("108.00", false);
    assert!(free["number"].is_string(), "{free}");
    db.ok(&["verify"]);
}

fn checkers_pressing_at_once_post_once(db: &Backend) {
    books(db);
    for name in ["kim", "lou"] {
        db.ok(&["user", "add", name, "--role", "manager"]);
    }
    let waiting = write_off(db, "ann", "A-1001", None);
    let id = waiting["approval_id"]
        .as_i64()
        .expect("awaits approval")
        .to_string();
    let before = entries(db);
    let children: Vec<_> = ["mia", "max", "ada", "kim", "lou"]
        .iter()
        .map(|user| {
            db.command(&["--user", user, "approvals", "approve", &id])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("settle runs")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("settle ends"))
        .collect();
    let approved = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(approved, 1, "exactly one checker posts");
    for output in outputs.iter().filter(|o| !o.status.success()) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("approved already"), "{stderr}");
    }
    assert_eq!(balance(db, "ACME", "A-1001"), "0.00");
    // One write-off entry: the journal export has a header and two lines per entry here.
    assert_eq!(entries(db), before + 2);
    db.ok(&["verify"]);
}

/// A dispute resolved by a credit memo or a write-off over its limit posts nothing and stays
/// open; the approval resolves it and posts, as the maker's act; a rejection leaves it open.
fn dispute_resolutions_over_the_limit_wait_for_approval(db: &Backend) {
    books(db);
    db.ok(&[
        "--user",
        "mia",
        "approvals",
        "limit",
        "--operation",
        "credit_memo",
        "--amount",
        "200.00",
    ]);
    let open_dispute = |invoice: &str, amount: &str| -> String {
        let opened = db.json(&[
            "dispute",
            "open",
            invoice,
            "--amount",
            amount,
            "--reason",
            "pricing",
            "--date",
            "2026-06-20",
        ]);
        opened["dispute_id"].as_i64().unwrap().to_string()
    };
    let status = |id: &str| db.json(&["dispute", "show", id])["status"].clone();

    // A credit memo of 300.00 is over the 200.00 limit: it waits, and nothing moves.
    let priced = open_dispute("A-1002", "300.00");
    let journal = entries(db);
    let waiting = db.json(&[
        "--user",
        "ann",
        "dispute",
        "resolve",
        &priced,
        "--credit-memo",
        "--date",
        "2026-06-25",
    ]);
    assert_eq!(waiting["operation"], "credit_memo", "{waiting}");
    assert_eq!(
        waiting["amount"]["amount"], "300.00",
        "the figure is explicit"
    );
    assert_eq!(waiting["maker"], "ann");
    let approval = waiting["approval_id"].as_i64().unwrap().to_string();
    assert_eq!(balance(db, "ACME", "A-1002"), "2500.50");
    assert_eq!(entries(db), journal, "nothing was posted");
    assert_eq!(status(&priced), "open");
    // While it waits, the dispute takes no second resolution: one decision at a time.
    let twice = db.fails(&[
        "--user",
        "ann",
        "dispute",
        "resolve",
        &priced,
        "--write-off",
        "--date",
        "2026-06-25",
    ]);
    assert!(
        twice.contains(&format!("already awaits approval {approval}")),
        "{twice}"
    );
    assert_eq!(pending_ids(db), vec![approval.parse::<i64>().unwrap()]);
    let shown = db.json(&["approvals", "show", &approval]);
    assert!(
        shown["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("dispute {priced} on A-1002")),
        "{shown}"
    );

    // Another manager approves: the dispute is credited and the memo posted, as ann's act.
    let approved = db.ok(&["--user", "mia", "approvals", "approve", &approval]);
    assert!(approved.contains("credited"), "{approved}");
    assert_eq!(balance(db, "ACME", "A-1002"), "2200.50");
    let resolved = db.json(&["dispute", "show", &priced]);
    assert_eq!(resolved["status"], "credited", "{resolved}");
    assert_eq!(resolved["resolved_by"], "ann");
    assert!(resolved["credit_memo"].is_string(), "{resolved}");
    let again = db.fails(&["--user", "max", "approvals", "approve", &approval]);
    assert!(again.contains("approved already"), "{again}");

    // A write-off of 600.00 is over the 500.00 limit; rejected, the dispute stays open.
    let damaged = open_dispute("B-2002", "600.00");
    let said = db.ok(&[
        "--user",
        "ann",
        "dispute",
        "resolve",
        &damaged,
        "--write-off",
        "--date",
        "2026-06-25",
    ]);
    assert!(said.contains("awaits approval"), "{said}");
    let pending = pending_ids(db);
    assert_eq!(pending.len(), 1, "{pending:?}");
    let shown = db.json(&["approvals", "show", &pending[0].to_string()]);
    assert_eq!(shown["operation"], "write_off", "{shown}");
    db.ok(&[
        "--user",
        "max",
        "approvals",
        "reject",
        &pending[0].to_string(),
        "--reason",
        "collect it",
    ]);
    assert_eq!(status(&damaged), "open");
    assert_eq!(balance(db, "BETA", "B-2002"), "3333.33");

    // Within the limit it posts at once, as before.
    let small = open_dispute("A-1003", "150.00");
    let posted = db.json(&[
        "--user",
        "ann",
        "dispute",
        "resolve",
        &small,
        "--credit-memo",
        "--date",
        "2026-06-25",
    ]);
    assert_eq!(posted["status"], "credited", "{posted}");
    db.ok(&["verify"]);
}
