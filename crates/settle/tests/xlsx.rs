//! CSV and XLSX exports of every report, end to end on SQLite and PostgreSQL: each workbook is
//! converted to CSV by LibreOffice and must say what the report's CSV says, with numbers and
//! dates as values rather than text, and calamine must read money as numbers and dates as
//! dates.
//!
//! LibreOffice is required: a missing `libreoffice` fails the test (`.ci/run` installs
//! Debian's `libreoffice-calc-nogui`). Each conversion uses a profile of its own, so parallel
//! tests do not share one.

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use support::Backend;

on_both_engines!(
    every_report_says_the_same_in_csv_and_in_xlsx,
    an_xlsx_export_needs_a_file,
);

/// How a column of the exports is held: anything not named here is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Percent,
    Date,
    DateTime,
}

fn kind_of(report: &str, column: &str) -> Kind {
    match column {
        // The worklist's `disputed` says yes or no; the aging's is an amount.
        "disputed" if report == "worklist" => Kind::Text,
        "current"
        | "1-30"
        | "31-60"
        | "61-90"
        | "90+"
        | "total"
        | "unapplied"
        | "net"
        | "disputed"
        | "balance"
        | "amount"
        | "debit"
        | "credit"
        | "functional_amount"
        | "past_due"
        | "open"
        | "receivables"
        | "overdue"
        | "credit_sales_30"
        | "credit_sales_90"
        | "beginning_receivables_30"
        | "beginning_receivables_90"
        | "cash_collected_30"
        | "dso_30"
        | "dso_90"
        | "countback_dso"
        | "best_possible_dso_90"
        | "add_90"
        | "days_past_due"
        | "entry_id"
        | "reverses_entry"
        | "payment_id"
        | "rank"
        | "broken_promises"
        | "call_due_level"
        | "score" => Kind::Number,
        "cei"
        | "cei_90"
        | "overdue_share"
        | "recovery_rate"
        | "broken_promise_rate"
        | "limit_use" => Kind::Percent,
        "issue_date" | "due_date" | "date" | "next_step_on" => Kind::Date,
        "occurred_at" | "last_contact" => Kind::DateTime,
        _ => Kind::Text,
    }
}

/// Money columns: calamine must read them as floats.
fn is_money(report: &str, column: &str) -> bool {
    kind_of(report, column) == Kind::Number
        && !matches!(
            column,
            "dso_30"
                | "dso_90"
                | "countback_dso"
                | "best_possible_dso_90"
                | "add_90"
                | "days_past_due"
                | "entry_id"
                | "reverses_entry"
                | "payment_id"
                | "rank"
                | "broken_promises"
                | "call_due_level"
                | "score"
        )
}

/// One CSV field as LibreOffice wrote it, and whether it was quoted (text is, numbers and
/// dates are not, with "quote all text cells" on).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    text: String,
    quoted: bool,
}

/// A small reader that keeps the quoting, which the csv crate hides.
fn read_quoted_csv(text: &str) -> Vec<Vec<Field>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = Field {
        text: String::new(),
        quoted: false,
    };
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.text.push('"');
                }
                '"' => in_quotes = false,
                _ => field.text.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                field.quoted = true;
            }
            ',' => row.push(std::mem::replace(
                &mut field,
                Field {
                    text: String::new(),
                    quoted: false,
                },
            )),
            '\r' => {}
            '\n' => {
                row.push(std::mem::replace(
                    &mut field,
                    Field {
                        text: String::new(),
                        quoted: false,
                    },
                ));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.text.push(c),
        }
    }
    if !field.text.is_empty() || field.quoted || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.expect("a CSV record").iter().map(String::from).collect())
        .collect()
}

/// A decimal in millionths: `1234.5` and `1234.50` are one number.
fn millionths(text: &str) -> i128 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(
        fraction.len() <= 6
            && !whole.is_empty()
            && whole
                .bytes()
                .chain(fraction.bytes())
                .all(|b| b.is_ascii_digit()),
        "not a plain decimal: {text:?}"
    );
    let padded = format!("{fraction:0<6}");
    let value = whole.parse::<i128>().unwrap() * 1_000_000 + padded.parse::<i128>().unwrap();
    if negative { -value } else { value }
}

/// Converts workbooks to CSV with LibreOffice, text cells quoted and values written as they
/// are (not as formatted), into `dir/converted`.
fn convert_with_libreoffice(dir: &Path, files: &[PathBuf]) -> PathBuf {
    let out = dir.join("converted");
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.join("lo-profile").display()
    );
    let output = Command::new("libreoffice")
        .arg(&profile)
        .args(["--headless", "--convert-to"])
        // Comma, double quote, UTF-8, from line 1, no column types, default language,
        // quote all text cells, (import only), save cell contents as shown: no.
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,false")
        .arg("--outdir")
        .arg(&out)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "libreoffice cannot run ({e}): the XLSX tests need it (apt-get install -y \
                 --no-install-recommends libreoffice-calc-nogui); .ci/run installs it"
            )
        });
    assert!(
        output.status.success(),
        "libreoffice failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// LibreOffice's CSV of a workbook against the report's CSV, column by column (by name: the
/// workbook may have more columns), cell by cell.
fn assert_same(report: &str, ours: &[Vec<String>], theirs: &[Vec<Field>]) {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{report}: rows differ\nours: {ours:?}\nLibreOffice: {theirs:?}"
    );
    let header: Vec<&str> = theirs[0].iter().map(|f| f.text.as_str()).collect();
    for name in &ours[0] {
        assert!(
            header.contains(&name.as_str()),
            "{report}: no column {name} in {header:?}"
        );
    }
    for (row, (mine, converted)) in ours.iter().zip(theirs).enumerate().skip(1) {
        for (index, expected) in mine.iter().enumerate() {
            let column = ours[0][index].as_str();
            let position = header.iter().position(|h| *h == column).unwrap();
            let cell = converted.get(position).cloned().unwrap_or(Field {
                text: String::new(),
                quoted: false,
            });
            let place = format!(
                "{report} row {row} column {column}: CSV {expected:?}, LibreOffice {cell:?}"
            );
            if expected.is_empty() {
                assert!(cell.text.is_empty(), "{place}");
                continue;
            }
            match kind_of(report, column) {
                Kind::Text => {
                    assert!(cell.quoted, "text is text: {place}");
                    assert_eq!(&cell.text, expected, "{place}");
                }
                Kind::Number => {
                    assert!(!cell.quoted, "a number, not text: {place}");
                    assert_eq!(millionths(&cell.text), millionths(expected), "{place}");
                }
                Kind::Percent => {
                    assert!(!cell.quoted, "a number, not text: {place}");
                    // A spreadsheet's percentage is a fraction (0.5593, shown 55.93%); as
                    // input LibreOffice writes it with its percent sign.
                    let percent = match cell.text.strip_suffix('%') {
                        Some(number) => millionths(number),
                        None => millionths(&cell.text) * 100,
                    };
                    assert_eq!(percent, millionths(expected), "{place}");
                }
                Kind::Date => {
                    assert!(!cell.quoted, "a date, not text: {place}");
                    assert_eq!(&cell.text, expected, "{place}");
                }
                Kind::DateTime => {
                    assert!(!cell.quoted, "a date-time, not text: {place}");
                    let utc = expected.trim_end_matches('Z').replacen('T', " ", 1);
                    assert_eq!(cell.text, utc, "{place}");
                }
            }
        }
    }
}

/// calamine reads money and other numbers as floats, dates as date-times, text as strings.
fn assert_cell_types(report: &str, path: &Path) {
    let mut workbook: Xlsx<_> = calamine::open_workbook(path).expect("calamine opens the workbook");
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).expect("the sheet");
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let mut money_cells = 0;
    for row in rows {
        for (cell, column) in row.iter().zip(&header) {
            if matches!(cell, Data::Empty) {
                continue;
            }
            let place = format!("{report} column {column}: {cell:?}");
            match kind_of(report, column) {
                Kind::Text => assert!(matches!(cell, Data::String(_)), "{place}"),
                Kind::Number | Kind::Percent => {
                    assert!(matches!(cell, Data::Float(_)), "{place}");
                    if is_money(report, column) {
                        money_cells += 1;
                    }
                }
                Kind::Date | Kind::DateTime => {
                    assert!(matches!(cell, Data::DateTime(_)), "{place}")
                }
            }
        }
    }
    let has_money = header.iter().any(|h| is_money(report, h));
    assert!(
        !has_money || money_cells > 0,
        "{report}: no money cell read"
    );
}

fn zipped_text(path: &Path, name: &str) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = zip::ZipArchive::new(file).expect("an XLSX is a zip archive");
    let mut entry = archive.by_name(name).expect("the part exists");
    let mut text = String::new();
    entry.read_to_string(&mut text).unwrap();
    text
}

/// The header row is frozen, has an autofilter, and the columns have widths.
fn assert_sheet_layout(report: &str, path: &Path) {
    let sheet = zipped_text(path, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#),
        "{report}: header row not frozen"
    );
    assert!(
        sheet.contains("<autoFilter ref=\"A1:"),
        "{report}: no autofilter"
    );
    assert!(sheet.contains("<col "), "{report}: no column widths");
}

fn export(db: &Backend, args: &[&str], name: &str) -> (String, PathBuf) {
    let csv = db.ok(args);
    let path = db.dir.join(format!("{name}.xlsx"));
    let mut xlsx_args = args.to_vec();
    let out = path.to_str().unwrap();
    xlsx_args.extend(["--format", "xlsx", "--out", out]);
    db.ok(&xlsx_args);
    (csv, path)
}

fn load_ledger(db: &Backend) {
    db.load_fixture();
    let bank = Backend::data("bank-matching.bai2");
    db.ok(&["import", "bank", bank.to_str().unwrap()]);
    db.ok(&["match"]);
    db.ok(&[
        "contact",
        "log",
        "ACME",
        "--channel",
        "phone",
        "--subject",
        "Asked about A-1002, \"urgent\"",
        "--outcome",
        "reached",
        "--next-step",
        "2026-07-15",
        "--at",
        "2026-07-01T09:30:00Z",
    ]);
    db.ok(&[
        "contact",
        "log",
        "TOKY",
        "--channel",
        "email",
        "--subject",
        "Statement sent",
        "--at",
        "2026-06-15T23:59:59Z",
    ]);
}

/// A report's name, its export's arguments, and the report command whose CSV it must equal.
type Export<'a> = (&'a str, Vec<&'a str>, Option<Vec<&'a str>>);

fn every_report_says_the_same_in_csv_and_in_xlsx(db: &Backend) {
    load_ledger(db);
    let as_of = "2026-07-31";
    let reports: Vec<Export> = vec![
        (
            "aging",
            vec!["export", "aging", "--as-of", as_of],
            Some(vec!["aging", "--as-of", as_of, "--format", "csv"]),
        ),
        (
            "aging-detail",
            vec!["export", "aging", "--detail", "--as-of", as_of],
            Some(vec![
                "aging", "--detail", "--as-of", as_of, "--format", "csv",
            ]),
        ),
        (
            "kpis",
            vec!["export", "kpis", "--as-of", as_of],
            Some(vec!["report", "kpis", "--as-of", as_of, "--format", "csv"]),
        ),
        ("journal", vec!["export", "journal"], None),
        ("applications", vec!["export", "applications"], None),
        (
            "worklist",
            vec![
                "export",
                "worklist",
                "--as-of",
                as_of,
                "--at",
                "2026-07-31T15:00:00Z",
            ],
            None,
        ),
        ("contacts", vec!["export", "contacts"], None),
    ];
    let mut exported: BTreeMap<&str, (String, PathBuf)> = BTreeMap::new();
    for (name, args, report_csv) in &reports {
        let (csv, path) = export(db, args, name);
        if let Some(report_args) = report_csv {
            // The export and the report's own CSV are one text.
            assert_eq!(csv, db.ok(report_args), "{name}");
        }
        assert!(read_csv(&csv).len() > 1, "{name} has no rows:\n{csv}");
        exported.insert(name, (csv, path));
    }
    let files: Vec<PathBuf> = exported.values().map(|(_, path)| path.clone()).collect();
    let converted = convert_with_libreoffice(&db.dir, &files);
    for (name, (csv, path)) in &exported {
        let theirs = std::fs::read_to_string(converted.join(format!("{name}.csv")))
            .unwrap_or_else(|e| panic!("LibreOffice wrote no CSV for {name}: {e}"));
        assert_same(name, &read_csv(csv), &read_quoted_csv(&theirs));
        assert_cell_types(name, path);
        assert_sheet_layout(name, path);
    }

    // Each currency's amounts have its own decimals: JPY none, KWD three, USD and EUR two.
    let styles = zipped_text(&exported["aging-detail"].1, "xl/styles.xml");
    for format in ["#,##0.00", "#,##0.000", "#,##0\"", "yyyy-mm-dd"] {
        assert!(
            styles.contains(format),
            "no number format {format}: {styles}"
        );
    }
    let detail = read_csv(&exported["aging-detail"].0);
    assert!(detail.iter().any(|r| r[8] == "JPY") && detail.iter().any(|r| r[8] == "KWD"));

    // The detail's items add up to the summary's buckets, customer by customer.
    let mut per_bucket: BTreeMap<(String, String, String), i128> = BTreeMap::new();
    for line in &detail[1..] {
        *per_bucket
            .entry((line[0].clone(), line[8].clone(), line[7].clone()))
            .or_default() += millionths(&line[9]);
    }
    let summary = read_csv(&exported["aging"].0);
    let labels = &summary[0][3..summary[0].len() - 4];
    let mut compared = 0;
    for row in summary[1..].iter().filter(|r| r[0] != "TOTAL") {
        for (index, label) in labels.iter().enumerate() {
            let key = (row[0].clone(), row[2].clone(), label.clone());
            let items = per_bucket.remove(&key).unwrap_or(0);
            assert_eq!(items, millionths(&row[3 + index]), "{key:?}");
            compared += 1;
        }
    }
    assert!(compared > 0 && per_bucket.is_empty(), "{per_bucket:?}");

    // The contact log is every customer's, oldest first, or one customer's.
    let contacts = read_csv(&exported["contacts"].0);
    let customers: Vec<&str> = contacts[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(customers, ["TOKY", "ACME"], "{contacts:?}");
    let one = read_csv(&db.ok(&["export", "contacts", "--customer", "ACME"]));
    assert_eq!(one.len(), 2, "{one:?}");
    assert_eq!(one[1][5], "Asked about A-1002, \"urgent\"");
    let unknown = db.fails(&["export", "contacts", "--customer", "NOPE"]);
    assert!(unknown.contains("NOPE"), "{unknown}");
}

fn an_xlsx_export_needs_a_file(db: &Backend) {
    db.ok(&["init"]);
    for args in [
        vec!["export", "aging", "--format", "xlsx"],
        vec!["export", "journal", "--format", "xlsx"],
        vec!["export", "applications", "--format", "xlsx"],
    ] {
        let output = db.run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?} is bad usage");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--out"), "{stderr}");
    }
    // An empty ledger still makes a workbook: the header alone.
    let path = db.dir.join("empty.xlsx");
    db.ok(&[
        "export",
        "contacts",
        "--format",
        "xlsx",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_sheet_layout("empty contacts", &path);
}
