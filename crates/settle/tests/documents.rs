//! Documents end to end, on SQLite and on PostgreSQL: statements (open-item and
//! balance-forward, one of them over several pages), invoices and credit memos, dunning
//! letters, receipts, payment-plan agreements and balance confirmations rendered by the real
//! binary, then read back with poppler's `pdftotext` — not by us — for the names (in Latin
//! with accents, Greek, Cyrillic and CJK) and the figures each must show. Every statement's
//! amount due is checked against `settle aging` for its customer. A missing `pdftotext` fails
//! these tests; it never skips them.

#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use support::{Backend, pdftotext};

on_both_engines!(
    every_statement_shows_its_customers_name_and_the_aging_net_as_amount_due,
    a_long_statement_runs_over_pages_with_its_table_header_repeated,
    balance_forward_statements_start_from_the_balance_brought_forward,
    invoices_and_credit_memos_show_their_lines_and_totals,
    letters_show_what_they_are_about,
    emailed_statements_are_queued_once_per_customer_and_date,
    a_broken_user_template_is_named_with_its_line_and_nothing_is_written,
    the_company_logo_kept_in_the_settings_is_printed_until_removed,
);

const AS_OF: &str = "2026-06-30";

/// Customers whose names need every script the documents must show.
const CUSTOMERS: &str = "customer_id,name,email,phone,payment_terms,credit_limit,currency,country,tax_id,address
ACME,Acme Corporation,ap@acme.example,,NET30,,USD,US,,\"100 Main Street, Springfield, IL\"
MULL,Müller Maschinenbau GmbH & Søn,buchhaltung@mueller.example,,NET30,,EUR,DE,DE811234567,\"Hauptstraße 5, 80331 München\"
HELL,Ελληνικά Τρόφιμα Α.Ε.,info@hellas.example,,NET30,,EUR,GR,,\"Οδός Αθηνάς 12, 10551 Αθήνα\"
RUSS,ООО «Северный Ветер»,buh@veter.example,,NET30,,EUR,AM,,\"ул. Ленина 7, Ереван\"
TOKY,東京精密工業株式会社,keiri@tokyo.example,,NET30,,JPY,JP,,東京都千代田区丸の内1-1
SEOU,주식회사 한빛상사,ap@hanbit.example,,NET30,,USD,KR,,\"서울특별시 중구 세종대로 110\"
BIGC,Bigelow & Co. #set [markup] $x$,ap@bigelow.example,,NET30,,USD,US,,\"1 Long Road, Dover, DE\"
";

/// Pages of a PDF, by `pdfinfo`.
fn pages(path: &Path) -> usize {
    let output = Command::new("pdfinfo")
        .arg(path)
        .output()
        .expect("pdfinfo runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints the page count")
}

/// An amount as the documents print it: thousands grouped with commas.
fn grouped(decimal: &str) -> String {
    let (sign, digits) = decimal
        .strip_prefix('-')
        .map_or(("", decimal), |d| ("-", d));
    let (whole, fraction) = digits
        .split_once('.')
        .map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// `settle aging` as (customer, currency) → record by header.
fn aging(db: &Backend, as_of: &str) -> HashMap<(String, String), HashMap<String, String>> {
    let out = db.ok(&["aging", "--as-of", as_of, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let mut rows = HashMap::new();
    for record in reader.records() {
        let record = record.expect("record");
        let row: HashMap<String, String> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect();
        rows.insert((row["customer_id"].clone(), row["currency"].clone()), row);
    }
    rows
}

fn invoice(db: &Backend, number: &str, customer: &str, date: &str, lines: &[&str]) {
    let mut args = vec![
        "invoice",
        "add",
        number,
        "--customer",
        customer,
        "--date",
        date,
    ];
    for line in lines {
        args.push("--line");
        args.push(line);
    }
    db.ok(&args);
}

fn setup(db: &Backend) {
    db.ok(&["init"]);
    let customers = db.file("customers.csv", CUSTOMERS);
    db.ok(&["import", "customers", &customers]);
    db.ok(&["company", "set", "name", "Northwind Supply Co."]);
    db.ok(&[
        "company",
        "set",
        "address",
        "12 Harbour Road | Bristol BS1 5TY | United Kingdom",
    ]);
    db.ok(&[
        "company",
        "set",
        "remittance",
        "IBAN GB29 NWBK 6016 1331 9268 19 | Quote the invoice numbers",
    ]);
    db.ok(&["company", "set", "tax_id", "GB123456789"]);
    invoice(
        db,
        "A-1",
        "ACME",
        "2026-03-01",
        &["Widgets=1000.00+80.00", "Freight=20.00"],
    );
    invoice(db, "A-2", "ACME", "2026-06-10", &["Gadgets=250.00"]);
    invoice(
        db,
        "M-1",
        "MULL",
        "2026-04-15",
        &["Präzisionsteile=4321.09+821.01"],
    );
    invoice(db, "H-1", "HELL", "2026-05-05", &["Ελαιόλαδο=1999.99"]);
    invoice(db, "R-1", "RUSS", "2026-02-01", &["Подшипники=777.77"]);
    invoice(db, "T-1", "TOKY", "2026-06-01", &["精密部品=123456"]);
    invoice(
        db,
        "T-2",
        "TOKY",
        "2026-01-20",
        &["検査サービス=50000+5000"],
    );
    invoice(db, "K-1", "SEOU", "2026-06-05", &["부품=640.00"]);
    db.ok(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "300.00",
        "--date",
        "2026-06-20",
        "--reference",
        "WIRE-77",
    ]);
    db.ok(&[
        "credit-memo",
        "--customer",
        "MULL",
        "--amount",
        "100.00",
        "--reason",
        "PRICING",
        "--number",
        "CM-9",
        "--date",
        "2026-06-01",
    ]);
}

/// Seventy invoices for one customer: a statement of three pages.
fn many_invoices(db: &Backend) {
    let mut csv = String::from(
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n",
    );
    for i in 0..70 {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 5;
        let _ = writeln!(
            csv,
            "B-{i:03},BIGC,2026-{month:02}-{day:02},2026-{:02}-{day:02},USD,{}.{:02},0.00,,Parts",
            month + 1,
            100 + i * 37,
            i % 100
        );
    }
    let file = db.file("invoices.csv", &csv);
    db.ok(&["import", "invoices", &file]);
}

fn statements(db: &Backend, extra: &[&str]) -> std::path::PathBuf {
    let out = db.dir.join(format!("statements{}", extra.len()));
    let out_text = out.display().to_string();
    let mut args = vec!["statements", "--as-of", AS_OF, "--out", &out_text];
    args.extend_from_slice(extra);
    db.ok(&args);
    out
}

fn every_statement_shows_its_customers_name_and_the_aging_net_as_amount_due(db: &Backend) {
    setup(db);
    let out = statements(db, &[]);
    let aging = aging(db, AS_OF);
    let names: HashMap<&str, &str> = CUSTOMERS
        .lines()
        .skip(1)
        .map(|l| {
            let mut fields = l.split(',');
            (fields.next().unwrap(), fields.next().unwrap())
        })
        .collect();
    let mut seen = 0;
    for ((code, currency), row) in &aging {
        if code == "TOTAL" {
            continue;
        }
        let path = out.join(format!("statement-{code}-{AS_OF}.pdf"));
        let text = pdftotext(&path);
        assert!(
            text.contains(names[code.as_str()]),
            "{code}'s name on its statement:\n{text}"
        );
        let country = match code.as_str() {
            "MULL" => Some("GERMANY"),
            "RUSS" => Some("ARMENIA"),
            "TOKY" => Some("JAPAN"),
            "SEOU" => Some("KOREA, REPUBLIC OF"),
            _ => None,
        };
        if let Some(country) = country {
            assert!(
                text.contains(country),
                "{code}'s country written out:\n{text}"
            );
        }
        let net = grouped(&row["net"]);
        let due = format!("Amount due {currency}");
        assert!(
            text.lines()
                .any(|l| l.contains(&due) && l.trim_end().ends_with(&net)),
            "{code}: amount due {net} {currency} (the aging's net) on its statement:\n{text}"
        );
        // The aging at the foot: every bucket as `settle aging` has it.
        for label in ["current", "1-30", "31-60", "61-90", "90+"] {
            assert!(
                text.contains(&grouped(&row[label])),
                "{code}: bucket {label} {}:\n{text}",
                row[label]
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 6, "a statement per customer with a balance");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        6,
        "and none for the others"
    );
    // A run for named customers reads only theirs, and says the same.
    let mut codes: Vec<&str> = aging
        .keys()
        .map(|(code, _)| code.as_str())
        .filter(|code| *code != "TOTAL")
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let named = statements(db, &["--customers", &codes.join(",")]);
    for code in &codes {
        let file = format!("statement-{code}-{AS_OF}.pdf");
        assert_eq!(
            pdftotext(&named.join(&file)),
            pdftotext(&out.join(&file)),
            "{code}'s statement on its own"
        );
    }
    let acme = pdftotext(&out.join(format!("statement-ACME-{AS_OF}.pdf")));
    assert!(
        acme.contains("WIRE-77") && acme.contains("-300.00"),
        "unapplied cash is a line:\n{acme}"
    );
    assert!(
        acme.contains("Northwind Supply Co.") && acme.contains("IBAN GB29"),
        "letterhead and remittance:\n{acme}"
    );
    let mull = pdftotext(&out.join(format!("statement-MULL-{AS_OF}.pdf")));
    assert!(mull.contains("CM-9") && mull.contains("München"), "{mull}");
    let toky = pdftotext(&out.join(format!("statement-TOKY-{AS_OF}.pdf")));
    assert!(
        toky.contains("178,456") && toky.contains("丸の内"),
        "yen without decimals:\n{toky}"
    );
}

fn a_long_statement_runs_over_pages_with_its_table_header_repeated(db: &Backend) {
    setup(db);
    many_invoices(db);
    let out = statements(db, &["--customers", "BIGC,ACME", "--paper", "letter"]);
    let path = out.join(format!("statement-BIGC-{AS_OF}.pdf"));
    let count = pages(&path);
    assert!(count >= 2, "70 items take more than a page: {count}");
    let text = pdftotext(&path);
    let pages_text: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(pages_text.len(), count);
    for (i, page) in pages_text.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} of {count}", i + 1)),
            "page number on page {}:\n{page}",
            i + 1
        );
        if page.contains("B-0") {
            assert!(
                page.contains("Reference") && page.contains("Days late"),
                "table header on page {}:\n{page}",
                i + 1
            );
        }
    }
    assert!(pages_text[1].contains("B-0"), "the table runs onto page 2");
    assert!(
        pages_text[1].contains("Bigelow & Co. #set [markup] $x$"),
        "the footer names the customer on every page, markup as text"
    );
    for i in [0, 35, 69] {
        assert!(text.contains(&format!("B-{i:03}")), "B-{i:03} listed");
    }
    let aging = aging(db, AS_OF);
    let net = grouped(&aging[&("BIGC".to_string(), "USD".to_string())]["net"]);
    assert!(
        text.contains("Amount due USD") && text.contains(&net),
        "net {net}:\n{text}"
    );
    // Only the customers asked for.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
}

fn balance_forward_statements_start_from_the_balance_brought_forward(db: &Backend) {
    setup(db);
    let out = statements(db, &["--kind", "balance-forward", "--from", "2026-06-01"]);
    let aging = aging(db, AS_OF);
    let acme = pdftotext(&out.join(format!("statement-ACME-{AS_OF}.pdf")));
    // Brought forward: A-1 (1,100.00) issued before June; in June A-2 and the payment.
    assert!(
        acme.contains("Balance brought forward") && acme.contains("1,100.00"),
        "{acme}"
    );
    assert!(
        acme.contains("Payment received") && acme.contains("300.00"),
        "{acme}"
    );
    let net = grouped(&aging[&("ACME".to_string(), "USD".to_string())]["net"]);
    assert_eq!(net, "1,050.00");
    assert!(
        acme.lines()
            .any(|l| l.contains("Amount due USD") && l.trim_end().ends_with(&net)),
        "amount due is the aging's net:\n{acme}"
    );
    // Named customers' statements read only their own positions and movements, and say the
    // same as the whole run.
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let codes: Vec<&str> = files
        .iter()
        .map(|f| {
            f.strip_prefix("statement-")
                .and_then(|f| f.strip_suffix(&format!("-{AS_OF}.pdf")))
                .unwrap()
        })
        .collect();
    assert!(codes.len() >= 3, "{codes:?}");
    let named = statements(
        db,
        &[
            "--kind",
            "balance-forward",
            "--from",
            "2026-06-01",
            "--customers",
            &codes.join(","),
        ],
    );
    for file in &files {
        assert_eq!(
            pdftotext(&named.join(file)),
            pdftotext(&out.join(file)),
            "{file} on its own"
        );
    }
    let bad = db.fails(&["statements", "--kind", "balance-forward", "--out", "x"]);
    assert!(bad.contains("--from"), "{bad}");
}

fn invoices_and_credit_memos_show_their_lines_and_totals(db: &Backend) {
    setup(db);
    let out = db.dir.join("A-1.pdf");
    db.ok(&["invoice", "pdf", "A-1", "--out", &out.display().to_string()]);
    let text = pdftotext(&out);
    for needle in [
        "Invoice",
        "A-1",
        "Widgets",
        "Freight",
        "1,020.00",
        "80.00",
        "1,100.00",
        "Acme Corporation",
        "Springfield",
    ] {
        assert!(text.contains(needle), "{needle} on the invoice:\n{text}");
    }
    let memo = db.dir.join("CM-9.pdf");
    db.ok(&[
        "invoice",
        "pdf",
        "CM-9",
        "--out",
        &memo.display().to_string(),
    ]);
    let text = pdftotext(&memo);
    assert!(
        text.contains("Credit memo") && text.contains("100.00") && text.contains("Müller"),
        "{text}"
    );
    let greek = db.dir.join("H-1.pdf");
    db.ok(&[
        "invoice",
        "pdf",
        "H-1",
        "--out",
        &greek.display().to_string(),
        "--paper",
        "letter",
    ]);
    let text = pdftotext(&greek);
    assert!(
        text.contains("Ελληνικά Τρόφιμα")
            && text.contains("Ελαιόλαδο")
            && text.contains("1,999.99"),
        "{text}"
    );
    let missing = db.fails(&["invoice", "pdf", "NOPE"]);
    assert!(missing.contains("NOPE"), "{missing}");
}

fn letters_show_what_they_are_about(db: &Backend) {
    setup(db);
    let dunning = db.dir.join("dunning.pdf");
    db.ok(&[
        "letter",
        "dunning",
        "RUSS",
        "--level",
        "3",
        "--as-of",
        AS_OF,
        "--out",
        &dunning.display().to_string(),
    ]);
    let text = pdftotext(&dunning);
    for needle in [
        "Final notice",
        "ООО «Северный Ветер»",
        "R-1",
        "777.77",
        "2026-07-10",
    ] {
        assert!(
            text.contains(needle),
            "{needle} on the dunning letter:\n{text}"
        );
    }
    let receipt = db.dir.join("receipt.pdf");
    db.ok(&[
        "letter",
        "receipt",
        "WIRE-77",
        "--out",
        &receipt.display().to_string(),
    ]);
    let text = pdftotext(&receipt);
    assert!(
        text.contains("Payment receipt") && text.contains("300.00 USD") && text.contains("WIRE-77"),
        "{text}"
    );
    let plan = db.json(&[
        "plan",
        "create",
        "TOKY",
        "--invoice",
        "T-1",
        "--invoice",
        "T-2",
        "--instalments",
        "3",
        "--first-due",
        "2026-07-15",
        "--on",
        AS_OF,
    ]);
    let id = plan["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a plan id: {plan}"))
        .to_string();
    let agreement = db.dir.join("plan.pdf");
    db.ok(&[
        "letter",
        "plan",
        &id,
        "--out",
        &agreement.display().to_string(),
    ]);
    let text = pdftotext(&agreement);
    assert!(
        text.contains("東京精密工業株式会社")
            && text.contains("178,456 JPY")
            && text.contains("2026-09-15"),
        "{text}"
    );
    let confirmation = db.dir.join("confirmation.pdf");
    db.ok(&[
        "letter",
        "confirmation",
        "MULL",
        "--as-of",
        AS_OF,
        "--reply-to",
        "Hart & Partner LLP, Auditors",
        "--reply-to",
        "1 Audit Lane, London",
        "--out",
        &confirmation.display().to_string(),
    ]);
    let text = pdftotext(&confirmation);
    let net = grouped(&aging(db, AS_OF)[&("MULL".to_string(), "EUR".to_string())]["net"]);
    assert!(
        text.contains("Balance confirmation")
            && text.contains(&net)
            && text.contains("Hart & Partner LLP"),
        "{net}:\n{text}"
    );
}

fn emailed_statements_are_queued_once_per_customer_and_date(db: &Backend) {
    setup(db);
    let out = db.dir.join("mail");
    let out = out.display().to_string();
    let first = db.ok(&["statements", "--as-of", AS_OF, "--out", &out, "--email"]);
    assert!(first.contains("queued 6 email(s)"), "{first}");
    let again = db.ok(&["statements", "--as-of", AS_OF, "--out", &out, "--email"]);
    assert!(
        again.contains("queued 0 email(s); 6 already queued"),
        "{again}"
    );
    let outbox = db.json(&["outbox", "list"]);
    let rows = outbox
        .as_array()
        .or_else(|| outbox["messages"].as_array())
        .unwrap_or_else(|| panic!("{outbox}"));
    assert_eq!(rows.len(), 6, "{outbox}");
    assert!(
        rows.iter().all(|row| row["subject"]
            .as_str()
            .is_some_and(|s| s.starts_with(&format!("Statement of account as of {AS_OF} from ")))),
        "{outbox}"
    );
    // The message comes from the `statement` email template, which a user's folder overrides;
    // a broken one stops the run before anything is rendered or queued.
    let templates = db.dir.join("mail-templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("statement.text.txt"),
        "Hello\n{% if totals %}\n{{ customer_code }\n",
    )
    .unwrap();
    let other = db.dir.join("mail-2").display().to_string();
    let dir = templates.display().to_string();
    let broken = db.fails(&[
        "statements",
        "--as-of",
        "2026-12-31",
        "--out",
        &other,
        "--email",
        "--email-templates",
        &dir,
    ]);
    assert!(
        broken.contains("statement.text.txt") && broken.contains("line 3"),
        "{broken}"
    );
    assert!(!std::path::Path::new(&other).exists(), "nothing rendered");
    std::fs::write(
        templates.join("statement.subject.txt"),
        "Your statement, {{ customer_name }}\n",
    )
    .unwrap();
    std::fs::remove_file(templates.join("statement.text.txt")).unwrap();
    db.ok(&[
        "statements",
        "--as-of",
        "2026-12-31",
        "--out",
        &other,
        "--email",
        "--email-templates",
        &dir,
        "--customers",
        "BIGC",
    ]);
    let outbox = db.json(&["outbox", "list"]);
    let rows = outbox.as_array().unwrap();
    assert_eq!(rows.len(), 7, "{outbox}");
    assert!(
        rows.iter()
            .any(|row| row["subject"] == "Your statement, Bigelow & Co. #set [markup] $x$"),
        "{outbox}"
    );
}

fn a_broken_user_template_is_named_with_its_line_and_nothing_is_written(db: &Backend) {
    setup(db);
    let templates = db.dir.join("my-templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("statement.typ"),
        "#import \"common.typ\": *\n// line 2\n#let due = data.body.amount_due_typo\n",
    )
    .unwrap();
    let out = db.dir.join("broken");
    let error = db.fails(&[
        "statements",
        "--as-of",
        AS_OF,
        "--out",
        &out.display().to_string(),
        "--templates",
        &templates.display().to_string(),
    ]);
    let file = templates.join("statement.typ").display().to_string();
    assert!(
        error.contains(&format!("{file}:3:")),
        "the file and line 3 named:\n{error}"
    );
    assert!(error.contains("amount_due_typo"), "{error}");
    let written = std::fs::read_dir(&out).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        })
        .count()
    });
    assert_eq!(written, 0, "no statement written");
    // The same folder with a good override: the user's wording is used.
    std::fs::write(
        templates.join("statement.typ"),
        "#import \"common.typ\": *\n#show: settle-page.with(\"Kontoauszug\", data.body.as_of)\nKontoauszug für #data.customer.name\n",
    )
    .unwrap();
    db.ok(&[
        "statements",
        "--as-of",
        AS_OF,
        "--customers",
        "MULL",
        "--out",
        &out.display().to_string(),
        "--templates",
        &templates.display().to_string(),
    ]);
    let text = pdftotext(&out.join(format!("statement-MULL-{AS_OF}.pdf")));
    assert!(
        text.contains("Kontoauszug für Müller Maschinenbau GmbH & Søn"),
        "{text}"
    );
}

/// Writes an 8x8 PNG to the path it is given.
const MAKE_PNG: &str = r#"
import struct, sys, zlib
def chunk(kind, data):
    body = kind + data
    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))
rows = b''.join(b'\x00' + b'\x1d\x4e\x89' * 8 for _ in range(8))
header = struct.pack('>IIBBBBB', 8, 8, 8, 2, 0, 0, 0)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')
open(sys.argv[1], 'wb').write(png)
"#;

/// How many images `pdfimages -list` finds in a PDF.
fn images_in(path: &Path) -> usize {
    let output = Command::new("pdfimages")
        .arg("-list")
        .arg(path)
        .output()
        .expect("pdfimages runs (poppler-utils)");
    assert!(output.status.success(), "{output:?}");
    // Two header lines, then one line per image.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .count()
}

fn the_company_logo_kept_in_the_settings_is_printed_until_removed(db: &Backend) {
    setup(db);
    // A real 8x8 PNG, written by Python's zlib rather than by us.
    let logo = db.dir.join("brand.png");
    let made = Command::new("python3")
        .arg("-c")
        .arg(MAKE_PNG)
        .arg(&logo)
        .status()
        .expect("python3 runs");
    assert!(made.success());
    let pdf = db.dir.join("with-logo.pdf");
    let render = |path: &Path| {
        db.ok(&[
            "invoice",
            "pdf",
            "A-1",
            "--out",
            &path.display().to_string(),
        ]);
    };
    render(&pdf);
    assert_eq!(
        images_in(&pdf),
        0,
        "the initials, no image, before a logo is set"
    );

    db.ok(&["company", "set", "logo", &logo.display().to_string()]);
    let shown = db.ok(&["company", "show"]);
    assert!(shown.contains("PNG image"), "{shown}");
    render(&pdf);
    assert_eq!(images_in(&pdf), 1, "the logo printed");

    let not_an_image = db.file("notes.png", "not an image at all\n");
    let refused = db.fails(&["company", "set", "logo", &not_an_image]);
    assert!(
        refused.contains("notes.png") && refused.contains("not a PNG, JPEG or SVG image"),
        "{refused}"
    );
    assert!(
        db.ok(&["company", "show"]).contains("PNG image"),
        "the old logo kept"
    );

    db.ok(&["company", "set", "logo", "none"]);
    assert!(db.ok(&["company", "show"]).contains("(none"));
    render(&pdf);
    assert_eq!(images_in(&pdf), 0, "removed again");
}
