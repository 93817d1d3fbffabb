//! The subledger-to-general-ledger reconciliation end to end, on SQLite and on PostgreSQL: the
//! journal exported, turned into the GL's postings to A/R control as an ERP would hold them,
//! differences planted, and each found with its cause and entry.

#[macro_use]
mod support;

use serde_json::Value;
use settle_core::money::SignPolicy;
use settle_core::{Currency, Money};
use support::Backend;

on_both_engines!(
    gl_detail_explains_every_planted_difference_down_to_the_entry,
    a_gl_from_settles_export_agrees_and_balances_only_leave_the_difference_unexplained,
    bad_gl_files_store_nothing_and_name_line_and_field,
);

const HEADER: &str = "date,account,currency,debit,credit,reference,memo,source";
const PERIOD: &str = "2026-06";

/// One posting of `settle export journal --format csv`.
#[derive(Debug, Clone)]
struct Posting {
    entry: i64,
    date: String,
    kind: String,
    memo: String,
    account: String,
    currency: String,
    debit: String,
    credit: String,
    document: String,
    payment: String,
}

impl Posting {
    /// The posting as a line of the GL's detail of A/R control, as an ERP that imported the
    /// journal export keeps it.
    fn gl_line(&self) -> String {
        gl_line(
            &self.date,
            &self.currency,
            &self.debit,
            &self.credit,
            &self.entry.to_string(),
            &self.memo,
            "settle",
        )
    }

    /// Debit positive.
    fn amount(&self) -> Money {
        let currency = Currency::from_code(&self.currency).unwrap();
        let read = |text: &str| {
            if text.is_empty() {
                Money::zero(currency)
            } else {
                Money::parse(text, currency, SignPolicy::Unsigned).unwrap()
            }
        };
        read(&self.debit).checked_sub(read(&self.credit)).unwrap()
    }
}

fn gl_line(
    date: &str,
    currency: &str,
    debit: &str,
    credit: &str,
    reference: &str,
    memo: &str,
    source: &str,
) -> String {
    let memo = memo.replace([',', '"'], " ");
    format!("{date},1200,{currency},{debit},{credit},{reference},{memo},{source}")
}

fn journal(db: &Backend) -> Vec<Posting> {
    let text = db.ok(&["export", "journal", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (entry, date, kind, memo, account, currency, debit, credit, document, payment) = (
        column("entry_id"),
        column("date"),
        column("kind"),
        column("memo"),
        column("account"),
        column("currency"),
        column("debit"),
        column("credit"),
        column("document"),
        column("payment_id"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Posting {
                entry: r[entry].parse().unwrap(),
                date: r[date].to_string(),
                kind: r[kind].to_string(),
                memo: r[memo].to_string(),
                account: r[account].to_string(),
                currency: r[currency].to_string(),
                debit: r[debit].to_string(),
                credit: r[credit].to_string(),
                document: r[document].to_string(),
                payment: r[payment].to_string(),
            }
        })
        .collect()
}

fn control_postings(journal: &[Posting]) -> Vec<Posting> {
    journal
        .iter()
        .filter(|p| p.account == "1200")
        .cloned()
        .collect()
}

/// The entry of `kind` on A/R control for `document`.
fn entry_of(journal: &[Posting], kind: &str, document: &str) -> i64 {
    journal
        .iter()
        .find(|p| p.account == "1200" && p.kind == kind && p.document == document)
        .unwrap_or_else(|| panic!("no {kind} entry for {document}"))
        .entry
}

/// Customers and invoices of the fixture, and some cash in June and July.
fn load(db: &Backend) {
    db.load_fixture();
    for (customer, amount, date, reference, invoice) in [
        ("ACME", "1080.00", "2026-06-10", "WIRE-1", "A-1001"),
        ("BETA", "3333.33", "2026-06-30", "ACH-2", "B-2002"),
        ("MULL", "300.00", "2026-07-02", "SEPA-3", "M-3003"),
    ] {
        let paid = db.json(&[
            "payment",
            "post",
            "--customer",
            customer,
            "--amount",
            amount,
            "--date",
            date,
            "--reference",
            reference,
        ]);
        let payment = paid["payment_id"].to_string();
        db.ok(&[
            "apply",
            "--payment",
            &payment,
            "--invoice",
            invoice,
            "--date",
            date,
        ]);
    }
}

fn reconcile(db: &Backend) -> Value {
    db.json(&["gl", "reconcile", "--period", PERIOD])
}

fn currency<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

fn amount(value: &Value) -> String {
    value["amount"].as_str().unwrap().to_string()
}

/// The differences of a currency add up to its difference, to the minor unit.
fn assert_adds_up(currency: &Value) {
    let code = Currency::from_code(currency["currency"].as_str().unwrap()).unwrap();
    let read = |v: &Value| Money::parse(v["amount"].as_str().unwrap(), code, SignPolicy::Signed);
    let sum = currency["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| read(&d["amount"]).unwrap())
        .try_fold(Money::zero(code), Money::checked_add)
        .unwrap();
    assert_eq!(sum, read(&currency["difference"]).unwrap(), "{currency:#}");
    let settle = read(&currency["settle_control"]).unwrap();
    let gl = read(&currency["gl_control"]).unwrap();
    assert_eq!(
        settle.checked_sub(gl).unwrap(),
        read(&currency["difference"]).unwrap()
    );
}

fn find<'a>(currency: &'a Value, cause: &str) -> Vec<&'a Value> {
    currency["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["cause"] == cause)
        .collect()
}

fn gl_detail_explains_every_planted_difference_down_to_the_entry(db: &Backend) {
    load(db);
    let journal = journal(db);
    let invoice = entry_of(&journal, "invoice", "A-1004");
    let short = entry_of(&journal, "cash_application", "A-1001");
    let late = entry_of(&journal, "cash_application", "B-2002");
    let early = entry_of(&journal, "cash_application", "M-3003");
    let receipt = journal
        .iter()
        .find(|p| p.kind == "payment" && p.currency == "USD" && !p.payment.is_empty())
        .unwrap()
        .entry;
    let mut lines = vec![HEADER.to_string()];
    for posting in control_postings(&journal) {
        let mut posting = posting;
        if posting.entry == invoice {
            continue; // never posted in the GL
        }
        if posting.entry == short {
            posting.credit = "1008.00".into(); // keyed with another amount
        }
        if posting.entry == late {
            posting.date = "2026-07-01".into(); // the GL took it in July
        }
        if posting.entry == early {
            posting.date = "2026-06-30".into(); // the GL took it in June
        }
        lines.push(posting.gl_line());
    }
    let manual_line = lines.len() + 1;
    lines.push(gl_line(
        "2026-06-30",
        "USD",
        "250.00",
        "",
        "",
        "accrual by hand",
        "manual",
    ));
    let ap_line = lines.len() + 1;
    lines.push(gl_line(
        "2026-06-15",
        "EUR",
        "",
        "45.00",
        "AP-991",
        "vendor offset",
        "ap",
    ));
    let misposted_line = lines.len() + 1;
    lines.push(gl_line(
        "2026-06-10",
        "USD",
        "5.00",
        "",
        &receipt.to_string(),
        "receipt posted to A/R",
        "settle",
    ));
    let file = db.file("gl-june.csv", &(lines.join("\n") + "\n"));
    let imported = db.json(&["gl", "import", &file, "--period", PERIOD]);
    assert_eq!(imported["shape"], "detail", "{imported:#}");
    assert_eq!(imported["control_rows"], (lines.len() - 1) as u64);
    assert!(imported["already_imported"].is_null());

    let report = reconcile(db);
    assert_eq!(report["status"], "differences", "{report:#}");
    assert_eq!(report["settle_agrees"], true);
    assert_eq!(report["control_account"], "1200");

    let usd = currency(&report, "USD");
    assert_adds_up(usd);
    // 150.00 missing − 250.00 manual − 3333.33 late − 72.00 short − 5.00 misposted.
    assert_eq!(amount(&usd["difference"]), "-3510.33", "{usd:#}");
    assert_eq!(amount(&usd["unexplained"]), "0.00");
    assert_eq!(usd["subledger"], usd["settle_control"]);
    assert_eq!(usd["differences"].as_array().unwrap().len(), 5, "{usd:#}");
    let missing = find(usd, "missing_in_gl");
    assert_eq!(missing.len(), 1, "{usd:#}");
    assert_eq!(missing[0]["entry_id"], invoice);
    assert_eq!(amount(&missing[0]["amount"]), "150.00");
    assert_eq!(missing[0]["entry_kind"], "invoice");
    assert_eq!(missing[0]["settle_date"], "2026-06-25");
    let manual = find(usd, "manual_entry");
    assert_eq!(manual.len(), 1, "{usd:#}");
    assert_eq!(manual[0]["gl_lines"], serde_json::json!([manual_line]));
    assert_eq!(amount(&manual[0]["amount"]), "-250.00");
    assert!(manual[0]["entry_id"].is_null());
    let timing = find(usd, "timing");
    assert_eq!(timing.len(), 1, "{usd:#}");
    assert_eq!(timing[0]["entry_id"], late);
    assert_eq!(amount(&timing[0]["amount"]), "-3333.33");
    assert_eq!(timing[0]["settle_date"], "2026-06-30");
    assert_eq!(timing[0]["gl_date"], "2026-07-01");
    let mismatches = find(usd, "amount_mismatch");
    assert_eq!(mismatches.len(), 2, "{usd:#}");
    let keyed = mismatches.iter().find(|d| d["entry_id"] == short).unwrap();
    assert_eq!(amount(&keyed["amount"]), "-72.00");
    assert_eq!(amount(&keyed["settle_amount"]), "-1080.00");
    assert_eq!(amount(&keyed["gl_amount"]), "-1008.00");
    let misposted = mismatches
        .iter()
        .find(|d| d["entry_id"] == receipt)
        .unwrap();
    assert_eq!(amount(&misposted["amount"]), "-5.00");
    assert_eq!(misposted["gl_lines"], serde_json::json!([misposted_line]));
    assert!(
        misposted["detail"]
            .as_str()
            .unwrap()
            .contains("posts nothing to A/R control"),
        "{misposted:#}"
    );

    let eur = currency(&report, "EUR");
    assert_adds_up(eur);
    assert_eq!(amount(&eur["difference"]), "345.00", "{eur:#}");
    let outside = find(eur, "missing_in_settle");
    assert_eq!(outside.len(), 1, "{eur:#}");
    assert_eq!(outside[0]["reference"], "AP-991");
    assert_eq!(outside[0]["gl_lines"], serde_json::json!([ap_line]));
    assert_eq!(amount(&outside[0]["amount"]), "45.00");
    let early_timing = find(eur, "timing");
    assert_eq!(early_timing.len(), 1, "{eur:#}");
    assert_eq!(early_timing[0]["entry_id"], early);
    assert_eq!(amount(&early_timing[0]["amount"]), "300.00");
    assert_eq!(early_timing[0]["settle_date"], "2026-07-02");

    for (code, zero) in [("JPY", "0"), ("KWD", "0.000")] {
        let agrees = currency(&report, code);
        assert_eq!(amount(&agrees["difference"]), zero, "{agrees:#}");
        assert!(agrees["differences"].as_array().unwrap().is_empty());
    }
    assert_eq!(amount(&currency(&report, "KWD")["gl_control"]), "1250.625");

    let table = db.ok(&["gl", "reconcile", "--period", PERIOD]);
    for expected in [
        "missing_in_gl",
        "manual_entry",
        "missing_in_settle",
        "timing",
        "amount_mismatch",
        "-3510.33",
        "Settle's A/R control equals its open items",
    ] {
        assert!(table.contains(expected), "{expected} not in:\n{table}");
    }
    let csv = db.ok(&["gl", "reconcile", "--period", PERIOD, "--format", "csv"]);
    let invoice_row = format!("difference,{PERIOD},USD,,,,,,,,,,missing_in_gl,150.00,{invoice},");
    assert!(csv.contains(&invoice_row), "{invoice_row} not in:\n{csv}");
}

fn a_gl_from_settles_export_agrees_and_balances_only_leave_the_difference_unexplained(
    db: &Backend,
) {
    load(db);
    let journal = journal(db);
    // The GL's detail from June on: an opening line per currency, then the postings.
    let mut openings: std::collections::BTreeMap<String, Money> = Default::default();
    let mut lines = vec![HEADER.to_string()];
    let control = control_postings(&journal);
    for posting in control.iter().filter(|p| p.date.as_str() < "2026-06-01") {
        let amount = posting.amount();
        let sum = openings
            .entry(posting.currency.clone())
            .or_insert(Money::zero(amount.currency()));
        *sum = sum.checked_add(amount).unwrap();
    }
    for (code, balance) in &openings {
        // A negative debit is a credit balance; the GL import reads signed amounts.
        lines.push(format!(
            "2026-06-01,1200,{code},{},,OPENING,balance brought forward,gl",
            balance.to_decimal_string()
        ));
    }
    for posting in control.iter().filter(|p| p.date.as_str() >= "2026-06-01") {
        lines.push(posting.gl_line());
    }
    let detail = db.file("gl-detail.csv", &(lines.join("\n") + "\n"));
    let first = db.json(&["gl", "import", &detail, "--period", PERIOD]);
    let report = reconcile(db);
    assert_eq!(report["status"], "agrees", "{report:#}");
    assert_eq!(report["import"]["import_id"], first["import_id"]);
    let usd = currency(&report, "USD");
    let settle_usd = amount(&usd["settle_control"]);
    assert_eq!(amount(&usd["gl_control"]), settle_usd);
    let table = db.ok(&["gl", "reconcile", "--period", PERIOD]);
    assert!(table.contains("agrees with Settle to the cent"), "{table}");

    // A trial balance that is 10.00 short on A/R control in dollars.
    let control_usd = Money::parse(&settle_usd, Currency::USD, SignPolicy::Signed).unwrap();
    let short = control_usd
        .checked_sub(Money::new(1_000, Currency::USD))
        .unwrap();
    let mut trial_balance = String::from("account,currency,balance\n");
    for c in report["currencies"].as_array().unwrap() {
        let code = c["currency"].as_str().unwrap();
        let balance = if code == "USD" {
            short.to_decimal_string()
        } else {
            amount(&c["settle_control"])
        };
        trial_balance.push_str(&format!("1200,{code},{balance}\n"));
    }
    trial_balance.push_str("4000,USD,-99999.99\n");
    let balances = db.file("tb-june.csv", &trial_balance);
    let second = db.json(&["gl", "import", &balances, "--period", PERIOD]);
    assert_eq!(second["shape"], "balances");
    assert_eq!(second["supersedes"], first["import_id"]);
    assert_eq!(second["other_rows"], 1);
    let report = reconcile(db);
    assert_eq!(report["status"], "differences", "{report:#}");
    assert_eq!(report["import"]["shape"], "balances");
    assert_eq!(
        report["import"]["superseded"],
        serde_json::json!([first["import_id"]])
    );
    let usd = currency(&report, "USD");
    assert_adds_up(usd);
    let unexplained = find(usd, "unexplained");
    assert_eq!(unexplained.len(), 1, "{usd:#}");
    assert_eq!(amount(&unexplained[0]["amount"]), "10.00");
    assert!(
        unexplained[0]["detail"]
            .as_str()
            .unwrap()
            .contains("down to the entry"),
        "{usd:#}"
    );
    assert!(
        currency(&report, "EUR")["differences"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let table = db.ok(&["gl", "reconcile", "--period", PERIOD]);
    assert!(table.contains("Only balances were imported"), "{table}");

    // The same file again stores nothing; the earlier file again is also on record already.
    let again = db.ok(&["gl", "import", &balances, "--period", PERIOD]);
    assert!(
        again.contains("already imported") && again.contains("nothing stored"),
        "{again}"
    );
    let older = db.json(&["gl", "import", &detail, "--period", PERIOD]);
    assert_eq!(
        older["already_imported"]["superseded_by"],
        second["import_id"]
    );
    assert_eq!(
        reconcile(db)["import"]["import_id"],
        second["import_id"],
        "the current import stays current"
    );
    // The same detail for July is another import (the period differs).
    let july = db.json(&["gl", "import", &detail, "--period", "2026-07"]);
    assert!(july["already_imported"].is_null(), "{july:#}");
}

fn bad_gl_files_store_nothing_and_name_line_and_field(db: &Backend) {
    load(db);
    let bad_amount = db.file(
        "gl-bad.csv",
        &format!(
            "{HEADER}\n2026-06-01,1200,USD,100.00,,1,,settle\n2026-06-02,1200,USD,12.345,,2,,settle\n\
             2026-06-31,1200,USD,1.00,,3,,settle\n"
        ),
    );
    let error = db.fails(&["gl", "import", &bad_amount, "--period", PERIOD]);
    assert!(error.contains("gl-bad.csv:3: debit"), "{error}");
    assert!(error.contains("3 decimals"), "{error}");
    assert!(error.contains("gl-bad.csv:4: date"), "{error}");
    assert!(error.contains("nothing was stored"), "{error}");
    let none = db.fails(&["gl", "reconcile", "--period", PERIOD]);
    assert!(none.contains("no general ledger imported"), "{none}");

    let shapeless = db.file("gl-what.csv", "account,name\n1200,Receivables\n");
    let error = db.fails(&["gl", "import", &shapeless, "--period", PERIOD]);
    assert!(error.contains("gl-what.csv: line 1"), "{error}");

    let both = db.file(
        "gl-both.csv",
        "date,account,currency,amount,debit,credit\n2026-06-01,1200,USD,1.00,,\n",
    );
    let error = db.fails(&["gl", "import", &both, "--period", PERIOD]);
    assert!(error.contains("not both"), "{error}");

    let other_account = db.file(
        "gl-tb.csv",
        "account,currency,debit,credit\n1010,USD,500.00,\n1010,USD,1.00,\n",
    );
    let error = db.fails(&["gl", "import", &other_account, "--period", PERIOD]);
    assert!(error.contains("gl-tb.csv:3: account"), "{error}");
    assert!(error.contains("repeats line 2"), "{error}");
    let other_account = db.file(
        "gl-tb2.csv",
        "account,currency,debit,credit\n1010,USD,500.00,\n",
    );
    let error = db.fails(&["gl", "import", &other_account, "--period", PERIOD]);
    assert!(
        error.contains("no row for the A/R control account 1200"),
        "{error}"
    );

    let before_opening = db.file(
        "gl-open.csv",
        "date,account,currency,amount,reference,memo,source\n\
         2026-06-01,1200,USD,100.00,OPENING,,gl\n\
         2026-05-31,1200,USD,5.00,7,,settle\n",
    );
    let error = db.fails(&["gl", "import", &before_opening, "--period", PERIOD]);
    assert!(error.contains("gl-open.csv:3: date"), "{error}");
    assert!(error.contains("before the opening balance"), "{error}");

    let error = db.fails(&["gl", "import", &bad_amount, "--period", "2026-13"]);
    assert!(error.contains("is not a period"), "{error}");
    let none = db.fails(&["gl", "reconcile", "--period", PERIOD]);
    assert!(none.contains("no general ledger imported"), "{none}");
}
