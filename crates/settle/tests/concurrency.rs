//! Several `settle` processes at once on one database: clerks at different desks applying the
//! same payment, crediting the same invoice, importing the same file. Each process either does
//! its work or is refused in words; the books hold exactly what the successful processes said
//! they did, and the ledger check finds nothing. (Threads within one process, and random
//! interleavings, are tested in `settle-service`'s `tests/concurrency.rs`.)

#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod support;

use std::process::{Command, Output, Stdio};

use support::Backend;

on_both_engines!(
    processes_apply_one_payment,
    processes_credit_one_invoice,
    processes_import_one_file,
);

/// Starts every command at once and waits for all of them.
fn at_once(db: &Backend, commands: &[Vec<String>]) -> Vec<Output> {
    let children: Vec<_> = commands
        .iter()
        .map(|args| {
            Command::new(env!("CARGO_BIN_EXE_settle"))
                .arg("--db")
                .arg(&db.url)
                .args(args)
                .current_dir(&db.dir)
                .env_remove("SETTLE_DATABASE_URL")
                .env_remove("SETTLE_ENTITY")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the settle binary starts")
        })
        .collect();
    children
        .into_iter()
        .map(|child| child.wait_with_output().expect("the settle binary runs"))
        .collect()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// What a process refused under contention may say.
fn refused_in_words(stderr: &str) -> bool {
    stderr.contains("exceeds the unapplied amount")
        || stderr.contains("exceeds the open amount")
        || stderr.contains("has nothing open")
        || stderr.contains("try it again")
}

fn books(db: &Backend, invoices: usize) {
    db.ok(&["init"]);
    db.ok(&[
        "customer",
        "add",
        "C1",
        "--name",
        "Client One",
        "--currency",
        "USD",
    ]);
    for number in 0..invoices {
        db.ok(&[
            "invoice",
            "add",
            &format!("INV-{number}"),
            "--customer",
            "C1",
            "--line",
            "Work=100.00",
            "--date",
            "2026-03-02",
        ]);
    }
}

fn open_on(db: &Backend, number: &str) -> String {
    let account = db.json(&["customer", "show", "C1"]);
    let items = account["open_items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .find(|item| item["number"] == number)
        .map_or("0.00".to_string(), |item| {
            item["balance"]["amount"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
}

/// Eight processes each apply 40.00 of one 250.00 payment, two to each of four invoices of
/// 100.00: six fit, the payment then has 10.00 left, and two are refused.
fn processes_apply_one_payment(db: &Backend) {
    books(db, 4);
    let posted = db.json(&[
        "payment",
        "post",
        "--customer",
        "C1",
        "--amount",
        "250.00",
        "--date",
        "2026-03-20",
        "--reference",
        "WIRE-1",
    ]);
    let payment = posted["payment_id"].to_string();
    let commands: Vec<_> = (0..8)
        .map(|clerk| {
            strings(&[
                "apply",
                "--payment",
                &payment,
                "--invoice",
                &format!("INV-{}", clerk % 4),
                "--amount",
                "40.00",
                "--date",
                "2026-03-20",
            ])
        })
        .collect();
    let outputs = at_once(db, &commands);
    let mut applied = 0;
    for output in &outputs {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            applied += 1;
        } else {
            assert!(refused_in_words(&stderr), "unexpected failure: {stderr}");
        }
    }
    assert_eq!(applied, 6, "six applications of 40.00 fit in 250.00");
    let account = db.json(&["customer", "show", "C1"]);
    assert_eq!(
        account["unapplied_payments"][0]["unapplied"]["amount"], "10.00",
        "what is left of the payment: {account}"
    );
    let open: Vec<String> = (0..4).map(|n| open_on(db, &format!("INV-{n}"))).collect();
    let owed: i64 = open
        .iter()
        .map(|o| o.replace('.', "").parse::<i64>().expect("amount"))
        .sum();
    assert_eq!(owed, 400_00 - 240_00, "{open:?}");
    db.ok(&["verify"]);
}

/// Six processes each credit 30.00 against one invoice of 100.00, applied at once.
fn processes_credit_one_invoice(db: &Backend) {
    books(db, 1);
    let commands: Vec<_> = (0..6)
        .map(|clerk| {
            strings(&[
                "credit-memo",
                "--customer",
                "C1",
                "--amount",
                "30.00",
                "--reason",
                "PRICING",
                "--number",
                &format!("CM-{clerk}"),
                "--date",
                "2026-03-20",
                "--apply-to",
                "INV-0",
            ])
        })
        .collect();
    let outputs = at_once(db, &commands);
    let issued = outputs.iter().filter(|o| o.status.success()).count();
    for output in outputs.iter().filter(|o| !o.status.success()) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(refused_in_words(&stderr), "unexpected failure: {stderr}");
    }
    // Three apply 30.00 and a fourth the last 10.00 (it keeps 20.00 of credit); the last two
    // find nothing open and are refused whole.
    assert_eq!(issued, 4, "three credits in full and one in part");
    assert_eq!(open_on(db, "INV-0"), "0.00");
    let account = db.json(&["customer", "show", "C1"]);
    let credits: Vec<&serde_json::Value> = account["open_items"]
        .as_array()
        .expect("open items")
        .iter()
        .filter(|item| item["balance"]["amount"] != "0.00")
        .collect();
    assert_eq!(credits.len(), 1, "one memo keeps credit: {account}");
    assert_eq!(credits[0]["balance"]["amount"], "-20.00", "{account}");
    db.ok(&["verify"]);
}

/// Four processes import the same invoices.csv at once: one stores it, three are told it was
/// imported already.
fn processes_import_one_file(db: &Backend) {
    books(db, 0);
    let mut text = String::from(
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n",
    );
    for n in 0..2000 {
        text.push_str(&format!(
            "IMP-{n},C1,2026-03-02,2026-04-01,USD,{}.00,0.00,,\n",
            10 + n
        ));
    }
    let file = db.file("invoices.csv", &text);
    let commands: Vec<_> = (0..4)
        .map(|_| strings(&["import", "invoices", &file, "--format", "json"]))
        .collect();
    let outputs = at_once(db, &commands);
    let mut stored = 0;
    let mut already = 0;
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
        stored += report["stored"].as_u64().expect("stored");
        already += u64::from(!report["already_imported"].is_null());
    }
    assert_eq!(stored, 2000, "every invoice stored once");
    assert_eq!(already, 3, "the other imports were told it was done");
    db.ok(&["verify"]);
}
