//! Backups end to end through the binary: the demo company backed up from SQLite, restored into
//! a fresh SQLite and a fresh PostgreSQL database and backed up again from each; the books read
//! the same everywhere (journal, aging, trial balance, verify, every table's checksum). A
//! backup taken while an import writes restores to books that verify; a damaged backup is
//! refused naming its table and leaves the target empty; a database with books is never
//! overwritten. PostgreSQL tests fail when it is unreachable.

#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod support;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use support::Backend;

const AS_OF: &str = "2026-10-31";

/// The demo company, small, in SQLite, with a dunning run on top.
fn demo_books() -> Backend {
    let db = Backend::sqlite();
    db.ok(&["demo", "--customers", "25", "--as-of", AS_OF]);
    db
}

/// Everything the books say, as text: the comparison of two databases.
fn readings(db: &Backend) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for args in [
        vec!["export", "journal", "--format", "csv"],
        vec!["export", "journal", "--format", "ledger"],
        vec!["aging", "--as-of", AS_OF, "--format", "json"],
        vec!["aging", "--as-of", AS_OF, "--detail", "--format", "json"],
        vec![
            "report",
            "trial-balance",
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ],
    ] {
        out.push((args.join(" "), db.ok(&args)));
    }
    let verify = db.json(&["verify"]);
    assert_eq!(verify["problems"], serde_json::json!([]), "verify is clean");
    out.push(("verify".to_string(), verify.to_string()));
    out
}

/// The per-table rows and checksums a backup reports.
fn backup(db: &Backend, file: &Path) -> serde_json::Value {
    let report = db.json(&["backup", "--out", file.to_str().unwrap()]);
    let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a backup is readable by its owner only");
    report["tables"].clone()
}

/// The tables apart from the audit trail, whose chain each restore extends by its own row, and
/// how many audit rows there are.
fn books_and_audit_rows(tables: &serde_json::Value) -> (Vec<serde_json::Value>, u64) {
    let (audit, books): (Vec<_>, Vec<_>) = tables
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .partition(|t| t["table"] == "audit_log" || t["table"] == "audit_heads");
    let rows = audit
        .iter()
        .find(|t| t["table"] == "audit_log")
        .and_then(|t| t["rows"].as_u64())
        .expect("the backup holds the audit trail");
    (books, rows)
}

fn restore(db: &Backend, file: &Path) -> serde_json::Value {
    db.json(&["restore", file.to_str().unwrap()])
}

fn assert_same_books(expected: &[(String, String)], db: &Backend, what: &str) {
    let got = readings(db);
    for ((command, want), (_, have)) in expected.iter().zip(&got) {
        assert!(want == have, "{what}: `settle {command}` differs");
    }
}

#[test]
fn demo_books_survive_sqlite_to_postgres_and_back() {
    let source = demo_books();
    let expected = readings(&source);
    let file = source.dir.join("demo.settle-backup");
    let tables = backup(&source, &file);
    assert!(
        tables
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["table"] == "postings" && t["rows"].as_u64().unwrap() > 100),
        "the backup holds the journal: {tables}"
    );

    let postgres = Backend::postgres();
    let report = restore(&postgres, &file);
    assert!(report["rows"].as_u64().unwrap() > 0);
    assert_same_books(&expected, &postgres, "restored into PostgreSQL");
    let from_postgres = postgres.dir.join("from-postgres.settle-backup");
    let (books, audit_rows) = books_and_audit_rows(&tables);
    let (books_restored, audit_rows_restored) =
        books_and_audit_rows(&backup(&postgres, &from_postgres));
    assert_eq!(
        books_restored, books,
        "PostgreSQL's backup has the same rows and checksums"
    );
    assert_eq!(
        audit_rows_restored,
        audit_rows + 1,
        "the restore is on record"
    );

    // And back: PostgreSQL's backup into a fresh SQLite file.
    let sqlite = Backend::sqlite();
    restore(&sqlite, &from_postgres);
    assert_same_books(&expected, &sqlite, "restored from PostgreSQL into SQLite");
    let again = sqlite.dir.join("again.settle-backup");
    let (books_again, audit_rows_again) = books_and_audit_rows(&backup(&sqlite, &again));
    assert_eq!(books_again, books);
    assert_eq!(
        audit_rows_again,
        audit_rows + 2,
        "both restores are on record"
    );
    let mode = std::fs::metadata(&sqlite.url).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the SQLite file restore created is private");

    // Ids come from the restored counters: new documents do not collide with old ones.
    for db in [&postgres, &sqlite] {
        db.ok(&["customer", "add", "NEWCO", "--name", "New Company"]);
        db.ok(&[
            "invoice",
            "add",
            "NEW-1",
            "--customer",
            "NEWCO",
            "--line",
            "Goods=123.45",
            "--date",
            AS_OF,
        ]);
        db.ok(&[
            "payment",
            "post",
            "--customer",
            "NEWCO",
            "--amount",
            "100.00",
            "--date",
            AS_OF,
            "--reference",
            "NEW-PAY",
        ]);
        assert_eq!(db.json(&["verify"])["problems"], serde_json::json!([]));
    }
}

#[test]
fn a_database_with_books_is_never_overwritten() {
    let source = Backend::sqlite();
    source.ok(&["init"]);
    source.ok(&["customer", "add", "ACME", "--name", "Acme"]);
    let file = source.dir.join("b.settle-backup");
    backup(&source, &file);
    let error = source.fails(&["restore", file.to_str().unwrap()]);
    assert!(error.contains("already holds books"), "{error}");

    let postgres = Backend::postgres();
    postgres.ok(&["init"]);
    let error = postgres.fails(&["restore", file.to_str().unwrap()]);
    assert!(error.contains("already holds books"), "{error}");
}

/// Flips one byte inside a row of `table` and returns the damaged file.
fn damage(file: &Path, table: &str) -> std::path::PathBuf {
    let text = std::fs::read(file).unwrap();
    let header = format!("\ntable {table}\n");
    let start = text
        .windows(header.len())
        .position(|w| w == header.as_bytes())
        .expect("the table is in the backup")
        + header.len();
    // A digit in the table's first row becomes another digit: still a well-formed row.
    let offset = start
        + text[start..]
            .iter()
            .position(u8::is_ascii_digit)
            .expect("a digit");
    let mut damaged = text.clone();
    damaged[offset] = if damaged[offset] == b'9' {
        b'8'
    } else {
        damaged[offset] + 1
    };
    let path = file.with_extension(format!("damaged-{table}"));
    std::fs::write(&path, damaged).unwrap();
    path
}

#[test]
fn a_damaged_backup_is_refused_naming_the_table_and_nothing_is_restored() {
    let source = Backend::sqlite();
    source.ok(&["init"]);
    source.ok(&["customer", "add", "ACME", "--name", "Acme"]);
    source.ok(&[
        "invoice",
        "add",
        "A-1",
        "--customer",
        "ACME",
        "--line",
        "Goods=100.00",
        "--date",
        "2026-01-10",
    ]);
    let file = source.dir.join("b.settle-backup");
    backup(&source, &file);
    source.ok(&["restore", "--check", file.to_str().unwrap()]);

    for table in ["items", "postings", "customers"] {
        let damaged = damage(&file, table);
        let error = source.fails(&["restore", "--check", damaged.to_str().unwrap()]);
        assert!(
            error.contains(&format!("table {table} is damaged")),
            "{error}"
        );
        for target in [Backend::sqlite(), Backend::postgres()] {
            let error = target.fails(&["restore", damaged.to_str().unwrap()]);
            assert!(
                error.contains(&format!("table {table} is damaged")),
                "{error}"
            );
            // The target is still empty: the good file restores into it.
            restore(&target, &file);
            assert_eq!(target.json(&["verify"])["problems"], serde_json::json!([]));
        }
    }

    // A byte flipped in the manifest is caught by its own checksum.
    let mut text = std::fs::read(&file).unwrap();
    let second_line = text.iter().position(|b| *b == b'\n').unwrap() + 1;
    let digit = second_line
        + text[second_line..]
            .iter()
            .position(u8::is_ascii_digit)
            .unwrap();
    text[digit] = if text[digit] == b'9' {
        b'8'
    } else {
        text[digit] + 1
    };
    let damaged = source.dir.join("manifest-damaged");
    std::fs::write(&damaged, &text).unwrap();
    let error = Backend::sqlite().fails(&["restore", damaged.to_str().unwrap()]);
    assert!(error.contains("manifest is damaged"), "{error}");
}

/// A backup from a newer schema than the binary's is refused; one from an older schema is
/// restored and migrated (tests/upgrade.rs builds those).
#[test]
fn a_backup_from_a_newer_schema_is_refused() {
    let source = Backend::sqlite();
    source.ok(&["init"]);
    let file = source.dir.join("b.settle-backup");
    backup(&source, &file);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let manifest: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    let mut newer = manifest.clone();
    newer["schema_version"] = serde_json::json!(999);
    let newer_line = format!("{newer}\n");
    let checksum = sha256_hex(newer_line.trim_end().as_bytes());
    let first = format!("settle-backup 1 {checksum}\n");
    lines[0] = &first;
    lines[1] = &newer_line;
    let path = source.dir.join("newer.settle-backup");
    std::fs::write(&path, lines.concat()).unwrap();
    for target in [Backend::sqlite(), Backend::postgres()] {
        let error = target.fails(&["restore", path.to_str().unwrap()]);
        assert!(
            error.contains("schema is version 999, newer than this program's"),
            "{error}"
        );
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let output = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(bytes)?;
            child.wait_with_output()
        })
        .expect("sha256sum runs");
    String::from_utf8_lossy(&output.stdout)
        .split(' ')
        .next()
        .unwrap()
        .to_string()
}

/// Writes customers and `count` invoices as CSV files; returns their paths.
fn big_import(db: &Backend, count: usize) -> (String, String) {
    let mut customers = String::from(
        "customer_id,name,email,phone,payment_terms,credit_limit,currency,country,tax_id,address\n",
    );
    for c in 0..50 {
        customers.push_str(&format!("C{c},Customer {c},,,NET30,,USD,US,,\n"));
    }
    let mut invoices = String::from(
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n",
    );
    for i in 0..count {
        invoices.push_str(&format!(
            "INV-{i},C{},2026-03-{:02},2026-04-{:02},USD,{}.{:02},0.00,,\n",
            i % 50,
            1 + i % 28,
            1 + i % 28,
            100 + i % 900,
            i % 100
        ));
    }
    (
        db.file("customers.csv", &customers),
        db.file("invoices.csv", &invoices),
    )
}

/// A backup taken while another process writes is a consistent state of the books.
fn backup_while_writing(db: &Backend) {
    db.ok(&["init"]);
    let (customers, invoices) = big_import(db, 30_000);
    db.ok(&["import", "customers", &customers]);
    let mut writer = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["--db", &db.url, "import", "invoices", &invoices])
        .current_dir(&db.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the importing settle starts");
    let mut backups = Vec::new();
    let mut taken_while_writing = 0;
    for n in 0..3 {
        let file = db.dir.join(format!("during-{n}.settle-backup"));
        backup(db, &file);
        if writer.try_wait().unwrap().is_none() {
            taken_while_writing += 1;
        }
        backups.push(file);
    }
    assert!(
        taken_while_writing > 0,
        "the import was still writing when a backup ended"
    );
    let status = writer.wait().unwrap();
    assert!(status.success(), "the import beside the backups succeeded");
    let after = db.dir.join("after.settle-backup");
    backup(db, &after);
    backups.push(after);
    for file in &backups {
        let target = Backend::sqlite();
        restore(&target, file);
        assert_eq!(
            target.json(&["verify"])["problems"],
            serde_json::json!([]),
            "{} restores to books that verify",
            file.display()
        );
    }
    let target = Backend::postgres();
    restore(&target, backups.last().unwrap());
    let verify = target.json(&["verify"]);
    assert_eq!(verify["problems"], serde_json::json!([]));
    assert_eq!(verify["items"], db.json(&["verify"])["items"]);
}

on_both_engines!(backup_while_writing);
