//! Month-end close end to end, on SQLite and on PostgreSQL: periods lock, the checklist blocks
//! and is waived on record, the frozen aging prints unchanged later, reopening is a manager's
//! act, and the bad-debt reserve and recoveries keep the ledger exact.

#[macro_use]
mod support;

use support::Backend;

on_both_engines!(
    a_closed_period_refuses_postings_and_keeps_its_aging,
    the_reserve_follows_the_aging_and_recoveries_reverse_write_offs,
    the_auditor_pack_checks_out_and_confirmations_reproduce,
);

const RATES: &str = "current=1,1-30=5,31-60=10,61-90=25,90+=50";

fn load_fixture(db: &Backend) {
    db.load_fixture();
    db.ok(&[
        "user",
        "add",
        "mia",
        "--role",
        "manager",
        "--full-name",
        "Mia Controller",
    ]);
    db.ok(&["user", "add", "carl", "--role", "clerk"]);
}

fn a_closed_period_refuses_postings_and_keeps_its_aging(db: &Backend) {
    load_fixture(db);
    let check = db.json(&["close", "--period", "2026-06", "--check"]);
    let status = |key: &str| {
        check["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap_or_else(|| panic!("no item {key}: {check}"))["status"]
            .clone()
    };
    assert_eq!(status("ledger"), "ok");
    assert_eq!(status("reserve"), "failed");
    assert_eq!(status("bank_files"), "attention");

    // Without a reserve the close is refused and nothing changes.
    let refused = db.fails(&[
        "--user",
        "mia",
        "close",
        "--period",
        "2026-06",
        "--today",
        "2026-07-03",
    ]);
    assert!(
        refused.contains("cannot close") && refused.contains("reserve"),
        "{refused}"
    );
    assert!(
        db.ok(&[
            "period",
            "list",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30"
        ])
        .contains("no period closed")
    );

    // A clerk may not close; nobody may close a period that is not over.
    db.ok(&["reserve", "rates", RATES]);
    db.ok(&["--user", "mia", "reserve", "--period", "2026-06"]);
    let clerk = db.fails(&[
        "--user",
        "carl",
        "close",
        "--period",
        "2026-06",
        "--today",
        "2026-07-03",
    ]);
    assert!(
        clerk.contains("needs the role admin or manager; carl is clerk"),
        "{clerk}"
    );
    let early = db.fails(&[
        "--user",
        "mia",
        "close",
        "--period",
        "2026-06",
        "--today",
        "2026-06-30",
    ]);
    assert!(early.contains("a period closes once it is over"), "{early}");
    let aging_at_close = db.ok(&["aging", "--as-of", "2026-06-30", "--format", "csv"]);
    let closed = db.json(&[
        "--user",
        "mia",
        "close",
        "--period",
        "2026-06",
        "--today",
        "2026-07-03",
    ]);
    assert_eq!(closed["lock"]["through"], "2026-06-30");

    // Nothing dated inside can be posted, on any path.
    let payment = db.fails(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "10.00",
        "--date",
        "2026-06-15",
        "--reference",
        "LATE-1",
    ]);
    assert!(
        payment.contains("2026-06-15 lies in closed period 2026-06")
            && payment.contains("post it dated 2026-07-01 or later"),
        "{payment}"
    );
    let write_off = db.fails(&["write-off", "--invoice", "B-2003", "--date", "2026-06-30"]);
    assert!(write_off.contains("closed period 2026-06"), "{write_off}");
    let late_invoices = db.file(
        "late.csv",
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n\
         L-1,ACME,2026-07-02,,USD,10.00,,,\n\
         L-2,ACME,2026-06-29,,USD,20.00,,,\n",
    );
    let import = db.fails(&["import", "invoices", &late_invoices]);
    assert!(
        import.contains("late.csv:3: issue_date: 2026-06-29 lies in closed period 2026-06"),
        "{import}"
    );

    // Later activity leaves the frozen aging exactly as printed at the close.
    let posted = db.json(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "1080.00",
        "--date",
        "2026-07-05",
        "--reference",
        "JULY-1",
    ]);
    db.ok(&[
        "apply",
        "--payment",
        &posted["payment_id"].to_string(),
        "--invoice",
        "A-1001",
        "--date",
        "2026-07-05",
    ]);
    // A mistake inside the closed period is corrected in the open one, naming the original.
    let journal = db.ok(&["export", "journal", "--format", "csv"]);
    let invoice_entry = journal
        .lines()
        .find(|l| l.contains(",invoice,") && l.contains(",A-1004,"))
        .and_then(|l| l.split(',').next())
        .unwrap_or_else(|| panic!("no entry for A-1004 in {journal}"))
        .to_string();
    let inside = db.fails(&[
        "correct",
        "--entry",
        &invoice_entry,
        "--date",
        "2026-06-30",
        "--reason",
        "billed in error",
    ]);
    assert!(inside.contains("closed period 2026-06"), "{inside}");
    let corrected = db.json(&[
        "correct",
        "--entry",
        &invoice_entry,
        "--date",
        "2026-07-02",
        "--reason",
        "billed in error",
    ]);
    assert_eq!(corrected["reverses"].to_string(), invoice_entry);
    let twice = db.fails(&[
        "correct",
        "--entry",
        &invoice_entry,
        "--date",
        "2026-07-02",
        "--reason",
        "again",
    ]);
    assert!(twice.contains("already reversed"), "{twice}");
    let july = db.ok(&[
        "aging",
        "--as-of",
        "2026-07-31",
        "--detail",
        "--format",
        "csv",
    ]);
    assert!(!july.contains("A-1004"), "{july}");
    assert!(
        db.ok(&[
            "aging",
            "--as-of",
            "2026-06-30",
            "--detail",
            "--format",
            "csv"
        ])
        .contains("A-1004"),
        "the item stays in the aging of the closed period"
    );

    let frozen = db.ok(&["aging", "--period", "2026-06", "--format", "csv"]);
    assert_eq!(frozen, aging_at_close);
    let items = db.ok(&[
        "aging", "--period", "2026-06", "--detail", "--format", "csv",
    ]);
    // Changed behind Settle's back, the frozen items no longer match their checksum.
    db.sql("UPDATE aging_snapshot_items SET balance_minor = balance_minor + 1 WHERE line_no = 0");
    let tampered = db.fails(&["aging", "--period", "2026-06", "--detail"]);
    assert!(tampered.contains("changed after the close"), "{tampered}");
    db.sql("UPDATE aging_snapshot_items SET balance_minor = balance_minor - 1 WHERE line_no = 0");
    assert!(
        items.contains("A-1001") && items.contains("1080.00"),
        "{items}"
    );
    let recorded = db.json(&["close", "--period", "2026-06", "--check"]);
    assert_eq!(recorded["closed"], true);

    // Periods close in order; reopening is a manager's act with a reason, on record.
    let skipped = db.fails(&[
        "--user",
        "mia",
        "close",
        "--period",
        "2026-08",
        "--today",
        "2026-11-29",
    ]);
    assert!(skipped.contains("cannot close before 2026-07"), "{skipped}");
    let no_reason = db.fails(&[
        "--user", "mia", "period", "reopen", "2026-06", "--reason", " ",
    ]);
    assert!(no_reason.contains("needs a reason"), "{no_reason}");
    let clerk = db.fails(&[
        "--user", "carl", "period", "reopen", "2026-06", "--reason", "typo",
    ]);
    assert!(clerk.contains("not permitted"), "{clerk}");
    db.ok(&[
        "--user",
        "mia",
        "period",
        "reopen",
        "2026-06",
        "--reason",
        "late bank file",
    ]);
    let log = db.json(&["period", "log", "--period", "2026-06"]);
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(actions, [("close", "mia"), ("reopen", "mia")]);
    db.ok(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "10.00",
        "--date",
        "2026-06-15",
        "--reference",
        "LATE-1",
    ]);
    db.ok(&["verify"]);
}

fn the_reserve_follows_the_aging_and_recoveries_reverse_write_offs(db: &Backend) {
    load_fixture(db);
    let no_rates = db.fails(&["reserve", "--period", "2026-06"]);
    assert!(
        no_rates.contains("no reserve rates configured"),
        "{no_rates}"
    );
    db.ok(&["reserve", "rates", RATES]);
    let dry = db.json(&["reserve", "--period", "2026-06", "--dry-run"]);
    assert_eq!(dry["booked"], false);
    let usd = dry["computations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == "USD")
        .unwrap()
        .clone();
    // The reserve is each bucket's balance at the rate, rounded half up.
    let mut general = 0i64;
    for bucket in usd["buckets"].as_array().unwrap() {
        let balance = minor(&bucket["balance"]["amount"]);
        let rate = bucket["rate"].as_i64().unwrap();
        let exact = balance as i128 * rate as i128;
        let rounded = ((exact * 2 + 10_000) / 20_000) as i64;
        assert_eq!(minor(&bucket["reserve"]["amount"]), rounded, "{bucket}");
        general += rounded;
    }
    assert_eq!(minor(&usd["required"]["amount"]), general);

    // A specific reserve takes the customer's items out of the bucket rates.
    db.ok(&[
        "reserve",
        "specific",
        "--customer",
        "BETA",
        "--amount",
        "5000.00",
        "--reason",
        "insolvency filed",
        "--from",
        "2026-06-15",
    ]);
    let booked = db.json(&["--user", "mia", "reserve", "--period", "2026-06"]);
    let usd = booked["computations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == "USD")
        .unwrap()
        .clone();
    assert_eq!(usd["specific"][0]["customer"], "BETA");
    assert_eq!(usd["specific"][0]["reserve"]["amount"], "5000.00");
    let required = minor(&usd["required"]["amount"]);
    assert!(required > 500_000, "{usd}");
    // Booked again: the allowance already holds it, so nothing more posts.
    let again = db.json(&["reserve", "--period", "2026-06"]);
    let usd_again = again["computations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == "USD")
        .unwrap()
        .clone();
    assert_eq!(usd_again["adjustment"]["amount"], "0.00");
    assert_eq!(minor(&usd_again["previous"]["amount"]), required);

    // A write-off draws on the allowance; a recovery reinstates the item against it.
    let journal_allowance = |db: &Backend| -> i64 {
        let text = db.ok(&["export", "journal", "--format", "csv"]);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (name, currency, debit, credit) = (
            column("account_name"),
            column("currency"),
            column("debit"),
            column("credit"),
        );
        let value = |t: &str| {
            if t.is_empty() {
                0
            } else {
                minor(&serde_json::Value::String(t.into()))
            }
        };
        reader
            .records()
            .map(Result::unwrap)
            .filter(|r| r[name].starts_with("Allowance") && &r[currency] == "USD")
            .map(|r| value(&r[debit]) - value(&r[credit]))
            .sum()
    };
    let before = journal_allowance(db);
    db.ok(&["write-off", "--invoice", "B-2002", "--date", "2026-07-10"]);
    let written = db.json(&[
        "recover",
        "--invoice",
        "B-2002",
        "--amount",
        "1000.00",
        "--date",
        "2026-08-01",
    ]);
    assert_eq!(written["balance"]["amount"], "1000.00");
    let over = db.fails(&[
        "recover",
        "--invoice",
        "B-2002",
        "--amount",
        "2333.34",
        "--date",
        "2026-08-01",
    ]);
    assert!(over.contains("exceeds"), "{over}");
    let never = db.fails(&[
        "recover",
        "--invoice",
        "A-1002",
        "--amount",
        "1.00",
        "--date",
        "2026-08-01",
    ]);
    assert!(never.contains("nothing open"), "{never}");
    // 3,333.33 written off, 1,000.00 recovered: the allowance moved by the difference.
    assert_eq!(journal_allowance(db) - before, 233_333);
    let history = db.json(&[
        "reserve",
        "--period",
        "2026-08",
        "--method",
        "history",
        "--months",
        "3",
        "--dry-run",
    ]);
    assert!(history["loss_rates"]["USD"].is_array(), "{history}");
    db.ok(&["verify"]);
}

fn the_auditor_pack_checks_out_and_confirmations_reproduce(db: &Backend) {
    load_fixture(db);
    db.ok(&["reserve", "rates", RATES]);
    db.ok(&["--user", "mia", "reserve", "--period", "2026-06"]);
    // A general-ledger balance that disagrees is listed on the checklist, not blocking.
    let gl = db.file("gl.csv", "account,currency,balance\n1200,USD,1.00\n");
    db.ok(&["gl", "import", &gl, "--period", "2026-06"]);
    let check = db.json(&["close", "--period", "2026-06", "--check"]);
    let gl_item = check["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "gl_reconciliation")
        .unwrap()
        .clone();
    assert_eq!(gl_item["status"], "attention", "{gl_item}");
    assert!(
        !gl_item["lines"].as_array().unwrap().is_empty(),
        "{gl_item}"
    );
    db.ok(&[
        "--user",
        "mia",
        "close",
        "--period",
        "2026-06",
        "--today",
        "2026-07-03",
    ]);
    let archive = db.dir.join("pack.tar");
    let archive = archive.to_str().unwrap();
    db.ok(&[
        "--user", "mia", "audit", "pack", "--period", "2026-06", "--out", archive,
    ]);
    let again = db.fails(&["audit", "pack", "--period", "2026-06", "--out", archive]);
    assert!(
        again.contains("File exists") || again.contains("exists"),
        "{again}"
    );
    let unpacked = db.dir.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let tar = std::process::Command::new("tar")
        .args(["-xf", archive, "-C", unpacked.to_str().unwrap()])
        .output()
        .expect("tar runs");
    assert!(tar.status.success(), "{tar:?}");
    let folder = unpacked.join("MAIN-2026-06");
    let sums = std::process::Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&folder)
        .output()
        .expect("sha256sum runs");
    assert!(sums.status.success(), "{sums:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["closed"], true);
    assert_eq!(manifest["generated_by"], "mia");
    let names: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for expected in [
        "aging-summary.csv",
        "aging-detail.csv",
        "close-checklist.json",
        "close-log.csv",
        "adjustments.csv",
        "reserve.csv",
        "journal.csv",
        "journal.ledger",
        "journal.beancount",
        "trial-balance.csv",
        "gl-reconciliation.csv",
    ] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    let frozen = db.ok(&["aging", "--period", "2026-06", "--format", "csv"]);
    assert_eq!(
        std::fs::read_to_string(folder.join("aging-summary.csv")).unwrap(),
        frozen
    );
    let trial = db.ok(&[
        "report",
        "trial-balance",
        "--as-of",
        "2026-06-30",
        "--format",
        "csv",
    ]);
    assert_eq!(
        std::fs::read_to_string(folder.join("trial-balance.csv")).unwrap(),
        trial
    );
    let reserve = std::fs::read_to_string(folder.join("reserve.csv")).unwrap();
    assert!(
        reserve.lines().count() >= 2 && reserve.contains("configured"),
        "{reserve}"
    );

    // The largest balances, or a reproducible random draw.
    let largest = db.dir.join("largest");
    db.ok(&[
        "audit",
        "confirmations",
        "--period",
        "2026-06",
        "--largest",
        "2",
        "--reply-to",
        "audit@firm.example",
        "--out",
        largest.to_str().unwrap(),
    ]);
    let register = std::fs::read_to_string(largest.join("confirmations.csv")).unwrap();
    // Two per currency: ACME and BETA in dollars, the only customer of each other currency.
    let chosen: Vec<&str> = register
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        chosen,
        ["ACME", "BETA", "KUWA", "MULL", "TOKY"],
        "{register}"
    );
    let letter = std::fs::read_to_string(largest.join("BETA-USD.txt")).unwrap();
    assert!(
        letter.contains("Balance confirmation as of 2026-06-30") && letter.contains("B-2001"),
        "{letter}"
    );
    let email = std::fs::read_to_string(largest.join("BETA-USD.eml")).unwrap();
    assert!(
        email.starts_with("From: ")
            && email.contains("To: Beta Logistics LLC <billing@beta.example>"),
        "{email}"
    );
    let draw = |name: &str| {
        let dir = db.dir.join(name);
        db.ok(&[
            "audit",
            "confirmations",
            "--period",
            "2026-06",
            "--random",
            "3",
            "--seed",
            "7",
            "--reply-to",
            "audit@firm.example",
            "--out",
            dir.to_str().unwrap(),
        ]);
        std::fs::read_to_string(dir.join("confirmations.csv")).unwrap()
    };
    assert_eq!(draw("draw1"), draw("draw2"));
    let not_empty = db.fails(&[
        "audit",
        "confirmations",
        "--period",
        "2026-06",
        "--largest",
        "1",
        "--reply-to",
        "audit@firm.example",
        "--out",
        largest.to_str().unwrap(),
    ]);
    assert!(not_empty.contains("not empty"), "{not_empty}");
}

/// "1234.56" → 123456 (two decimals in these tests).
fn minor(value: &serde_json::Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not text: {value}"));
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    let number: i64 = digits.parse().unwrap();
    if negative { -number } else { number }
}
