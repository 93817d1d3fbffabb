//! Oversized inputs through the binary, each within a stated bound of memory, measured as the
//! child's peak resident set: a 2 GiB file (sparse, so the test costs nothing) is refused
//! before it is read; a line of 10 MiB is refused naming its line; a million invoices import,
//! and a bank file of many lines is booked. Nothing is stored by a refused file.
//!
//! `SETTLE_LONG_TESTS=1` makes the bank file a million lines (about five minutes); by default
//! it has 50,000.

#![allow(clippy::inconsistent_digit_grouping)]

#[allow(unused_macros)]
mod support;

use std::fmt::Write as _;
use std::path::PathBuf;

use support::Backend;
use support::child::Measured;

const GIB: u64 = 1 << 30;
const MIB: usize = 1 << 20;

/// What a refused file may cost: the program itself, its runtime and an open database.
const REFUSAL_BOUND_MIB: f64 = 64.0;

fn long_mode() -> bool {
    std::env::var("SETTLE_LONG_TESTS").is_ok_and(|v| v == "1")
}

fn setup(db: &Backend) {
    db.ok(&["init"]);
    let customers = Backend::data("customers.csv");
    db.ok(&["import", "customers", customers.to_str().unwrap()]);
}

/// A file of `size` bytes that takes no disk: a hole, read back as zeros.
fn sparse(db: &Backend, name: &str, size: u64) -> PathBuf {
    let path = db.dir.join(name);
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(size).expect("set_len");
    path
}

fn refused(db: &Backend, args: &[&str]) -> Measured {
    let measured = db.run_limited(args, &[]);
    assert_eq!(
        measured.status.code(),
        Some(1),
        "settle {args:?} should have been refused:\n{}",
        measured.stderr
    );
    assert!(
        measured.peak_rss_mib() < REFUSAL_BOUND_MIB,
        "settle {args:?} used {:.1} MiB to refuse a file (bound {REFUSAL_BOUND_MIB} MiB)",
        measured.peak_rss_mib()
    );
    println!(
        "settle {}: refused, peak RSS {:.1} MiB",
        args[..2].join(" "),
        measured.peak_rss_mib()
    );
    measured
}

/// The row counts a refused import must leave as they were.
fn counts(db: &Backend) -> serde_json::Value {
    serde_json::json!([
        db.ok(&["aging", "--as-of", "2099-12-31", "--format", "csv"]),
        db.ok(&[
            "report",
            "trial-balance",
            "--as-of",
            "2099-12-31",
            "--format",
            "csv"
        ]),
    ])
}

#[test]
fn a_2_gib_file_is_refused_before_it_is_read() {
    let db = Backend::sqlite();
    setup(&db);
    let before = counts(&db);
    let huge = sparse(&db, "huge.csv", 2 * GIB);
    let huge = huge.to_str().unwrap();
    for args in [
        vec!["import", "invoices", huge],
        vec!["import", "customers", huge],
        vec!["import", "bank", huge],
        vec!["gl", "import", huge, "--period", "2026-06"],
        vec!["period", "calendar", "--file", huge],
    ] {
        let measured = refused(&db, &args);
        assert!(
            measured.stderr.contains(huge)
                && measured.stderr.contains("larger than the")
                && measured.stderr.contains("(2 GiB)")
                && measured.stderr.contains("split it"),
            "{args:?}: {}",
            measured.stderr
        );
    }
    assert_eq!(counts(&db), before, "a refused file stores nothing");
}

/// A device that never ends is refused at the limit, not read until memory runs out.
#[test]
fn an_endless_file_is_refused_at_the_limit() {
    let db = Backend::sqlite();
    setup(&db);
    let measured = db.run_limited(&["import", "invoices", "/dev/zero"], &[]);
    assert_eq!(measured.status.code(), Some(1), "{}", measured.stderr);
    assert!(
        measured.stderr.contains("/dev/zero")
            && measured.stderr.contains("larger than the 256 MiB"),
        "{}",
        measured.stderr
    );
    // It read up to the limit (256 MiB) and no further.
    assert!(
        measured.peak_rss_mib() < 256.0 + REFUSAL_BOUND_MIB + 64.0,
        "peak {:.1} MiB",
        measured.peak_rss_mib()
    );
    println!(
        "import invoices /dev/zero: refused, peak RSS {:.1} MiB",
        measured.peak_rss_mib()
    );
}

#[test]
fn a_line_of_10_mib_is_refused_naming_it() {
    let db = Backend::sqlite();
    setup(&db);
    let before = counts(&db);
    let long_value = "x".repeat(10 * MIB);
    let invoices = db.file(
        "long-line-invoices.csv",
        &format!(
            "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n\
             A-1,ACME,2026-01-10,2026-02-09,USD,10.00,0.00,,fine\n\
             A-2,ACME,2026-01-10,2026-02-09,USD,10.00,0.00,,{long_value}\n"
        ),
    );
    let customers = db.file(
        "long-line-customers.csv",
        &format!("customer_id,name,currency\nLONG,{long_value},USD\n"),
    );
    for (args, line) in [
        (vec!["import", "invoices", invoices.as_str()], 3),
        (vec!["import", "customers", customers.as_str()], 2),
    ] {
        let measured = refused(&db, &args);
        assert!(
            measured.stderr.contains(&format!(
                "line {line}: is 10.0 MiB long, longer than the 1 MiB"
            )),
            "{args:?}: {}",
            measured.stderr
        );
    }
    assert_eq!(counts(&db), before);

    // A bank file is not read by lines (camt may sit on one line): a BAI2 record with a text
    // of 10 MiB is read and booked, text and all, within the bound.
    let bai2 = db.file(
        "long-line.bai2",
        &format!(
            "01,SENDER,SETTLE,260702,0800,1,80,,2/\n02,SETTLE,121000248,1,260701,2359,USD,2/\n\
             03,4455667788,USD,010,1000000,,,015,1250000,,/\n\
             16,165,250000,0,ACH0001,,{long_value}/\n49,3500000,3/\n98,3500000,1,5/\n99,3500000,1,7/\n"
        ),
    );
    let measured = db.run_limited(&["import", "bank", &bai2], &[]);
    assert!(measured.status.success(), "{}", measured.stderr);
    println!(
        "import bank (a 10 MiB record): exit {:?}, peak RSS {:.1} MiB\n{}",
        measured.status.code(),
        measured.peak_rss_mib(),
        measured.stderr
    );
    assert!(
        measured.peak_rss_mib() < BANK_LINE_BOUND_MIB,
        "peak {:.1} MiB",
        measured.peak_rss_mib()
    );
}

/// A bank file with one record of 10 MiB: the file, its parsed statement, the line stored and
/// reported. Measured: 143 MiB.
const BANK_LINE_BOUND_MIB: f64 = 192.0;

/// invoices.csv of `rows` invoices over `customers` customers, `B000000`….
fn invoice_file(db: &Backend, rows: usize, customers: usize) -> String {
    let mut text = String::with_capacity(rows * 80 + 128);
    text.push_str(
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n",
    );
    for n in 0..rows {
        let cents = 10_000 + (n * 7_919) % 4_990_000;
        let _ = writeln!(
            text,
            "M-{n:08},B{:06},2026-{:02}-{:02},,USD,{}.{:02},0.00,PO{},Goods",
            n % customers,
            1 + n % 12,
            1 + n % 28,
            cents / 100,
            cents % 100,
            n % 10_000
        );
    }
    db.file(&format!("invoices-{rows}.csv"), &text)
}

fn customer_file(db: &Backend, rows: usize) -> String {
    let mut text = String::from("customer_id,name,email,payment_terms,currency,country\n");
    for c in 0..rows {
        let _ = writeln!(text, "B{c:06},Customer {c},ap{c}@example.com,NET30,USD,US");
    }
    db.file(&format!("customers-{rows}.csv"), &text)
}

/// What an invoice import may hold at once: the program and its caches, then per row the file's
/// bytes, the invoice number seen (to refuse a repeat), its share of the batches on their way to
/// the database and of the index build after a bulk load. Measured: 203 MiB for 250,000 rows,
/// 657 MiB for 1,000,000.
fn invoice_import_bound_mib(rows: usize) -> f64 {
    64.0 + 0.65 * rows as f64 / 1024.0
}

#[test]
fn a_million_invoices_import_within_the_memory_bound() {
    let db = Backend::sqlite();
    db.ok(&["init"]);
    let customers = customer_file(&db, 1_000);
    db.ok(&["import", "customers", &customers]);
    let invoices = invoice_file(&db, 1_000_000, 1_000);
    let size = std::fs::metadata(&invoices).unwrap().len();
    let started = std::time::Instant::now();
    let measured = db.run_limited(&["import", "invoices", &invoices, "--format", "json"], &[]);
    let elapsed = started.elapsed();
    assert!(measured.status.success(), "{}", measured.stderr);
    let report: serde_json::Value = serde_json::from_str(&measured.stdout).expect("JSON report");
    assert_eq!(report["stored"], 1_000_000, "{report}");
    println!(
        "import invoices: 1,000,000 rows ({:.1} MiB) in {:.1} s, peak RSS {:.1} MiB",
        size as f64 / MIB as f64,
        elapsed.as_secs_f64(),
        measured.peak_rss_mib()
    );
    let bound = invoice_import_bound_mib(1_000_000);
    assert!(
        measured.peak_rss_mib() < bound,
        "peak {:.1} MiB, bound {bound:.0} MiB",
        measured.peak_rss_mib()
    );
    let verify = db.json(&["verify"]);
    assert_eq!(verify["problems"], serde_json::json!([]));
}

/// A bank import holds the parsed file and reports every line: per line its statement line,
/// its report and its share of the output. Measured: 62 MiB for 20,000 lines, 160 MiB for
/// 100,000.
fn bank_import_bound_mib(lines: usize) -> f64 {
    48.0 + 1.4 * lines as f64 / 1024.0
}

/// A BAI2 file of `lines` customer credits on the fixture's account.
fn bai2_file(db: &Backend, lines: usize) -> String {
    let mut records = String::with_capacity(lines * 48);
    let mut credits: u64 = 0;
    for n in 0..lines {
        let cents = 10_000 + n as u64;
        credits += cents;
        let _ = writeln!(records, "16,165,{cents},0,REF{n:08},,PAYMENT {n}/");
    }
    let opening: u64 = 1_000_000;
    let text = format!(
        "01,SENDER,SETTLE,260702,0800,1,80,,2/\n02,SETTLE,121000248,1,260701,2359,USD,2/\n\
         03,4455667788,USD,010,{opening},,,015,{},,/\n{records}49,{},{}/\n98,{},1,{}/\n99,{},1,{}/\n",
        opening + credits,
        2 * opening + 2 * credits,
        lines + 2,
        2 * opening + 2 * credits,
        lines + 4,
        2 * opening + 2 * credits,
        lines + 6,
    );
    db.file(&format!("bank-{lines}.bai2"), &text)
}

#[test]
fn a_bank_file_of_many_lines_is_booked_within_the_memory_bound() {
    let lines = if long_mode() { 1_000_000 } else { 50_000 };
    let db = Backend::sqlite();
    db.ok(&["init"]);
    let file = bai2_file(&db, lines);
    let started = std::time::Instant::now();
    let measured = db.run_limited(&["import", "bank", &file], &[]);
    let elapsed = started.elapsed();
    assert!(measured.status.success(), "{}", measured.stderr);
    println!(
        "import bank: {lines} lines ({:.1} MiB) in {:.1} s, peak RSS {:.1} MiB",
        std::fs::metadata(&file).unwrap().len() as f64 / MIB as f64,
        elapsed.as_secs_f64(),
        measured.peak_rss_mib()
    );
    let bound = bank_import_bound_mib(lines);
    assert!(
        measured.peak_rss_mib() < bound,
        "peak {:.1} MiB, bound {bound:.0} MiB",
        measured.peak_rss_mib()
    );
    let verify = db.json(&["verify"]);
    assert_eq!(verify["problems"], serde_json::json!([]));
}
