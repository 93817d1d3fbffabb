//! The journal exports and the trial balance, end to end on SQLite and PostgreSQL: the ledger
//! export must pass `hledger check --strict`, the beancount export `bean-check`, and both tools
//! must find the balances `settle report trial-balance` prints, to the cent.
//!
//! hledger and bean-check are required: a missing tool fails the test (`.ci/run` installs
//! them: `apt-get install hledger`, `pip install beancount`).

#[macro_use]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use support::Backend;

on_both_engines!(
    exports_pass_the_tools_and_agree_with_the_trial_balance,
    an_empty_journal_exports_valid_files,
    a_period_is_one_calendar_month,
);

/// An invoice number that is hard on every format: a leading parenthesis (hledger's
/// transaction code), a semicolon (its comment), quotes and a backslash (beancount's
/// escapes), two spaces, letters outside ASCII, a comma (a tag's end).
const ODD_INVOICE: &str = "(7; \"Ü\"  x\\y, z";
const ODD_REFERENCE: &str = "1st; \"ref\"  Ø\\";
const ODD_CUSTOMER: &str = "Q,1;x";

/// Runs an external tool that must succeed; a tool that is not installed fails the test.
fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program} cannot run ({e}): the export tests need hledger (apt-get install -y \
                 hledger) and bean-check (python3 -m pip install beancount); .ci/run installs both"
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

/// A decimal string in thousandths, the finest precision of the currencies used here (KWD), so
/// that `1080.00`, `1080.000` and `1080` compare as what they are.
fn thousandths(text: &str) -> i128 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(
        fraction.len() <= 3,
        "more decimals than any currency: {text}"
    );
    let value: i128 = format!("{whole}{fraction:0<3}")
        .parse()
        .unwrap_or_else(|e| panic!("not a decimal: {text:?} ({e})"));
    if negative { -value } else { value }
}

type Balances = BTreeMap<(String, String), i128>;

/// `settle report trial-balance --format csv` as (account, currency) → balance, non-zero only,
/// after checking that each row's balance is its debits less its credits.
fn trial_balance(db: &Backend, as_of: Option<&str>) -> Balances {
    let mut args = vec!["report", "trial-balance", "--format", "csv"];
    if let Some(as_of) = as_of {
        args.extend(["--as-of", as_of]);
    }
    let text = db.ok(&args);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "account", "name", "role", "currency", "debit", "credit", "balance"
        ]
    );
    let mut balances = Balances::new();
    let mut debits: BTreeMap<String, i128> = BTreeMap::new();
    let mut credits: BTreeMap<String, i128> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let (debit, credit, balance) = (
            thousandths(&row[4]),
            thousandths(&row[5]),
            thousandths(&row[6]),
        );
        assert!(debit >= 0 && credit >= 0, "{row:?}");
        assert_eq!(debit - credit, balance, "{row:?}");
        *debits.entry(row[3].to_string()).or_default() += debit;
        *credits.entry(row[3].to_string()).or_default() += credit;
        if balance != 0 {
            balances.insert((row[0].to_string(), row[3].to_string()), balance);
        }
    }
    assert_eq!(debits, credits, "debits equal credits in every currency");
    balances
}

/// hledger's balances, keyed by the account code (the name is `Kind:CODE Name`).
fn hledger_balances(file: &str) -> Balances {
    let text = tool(
        "hledger",
        &[
            "-f",
            file,
            "bal",
            "-N",
            "--layout",
            "bare",
            "--output-format",
            "csv",
        ],
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut balances = Balances::new();
    for row in reader.records() {
        let row = row.unwrap();
        let (_, below) = row[0].split_once(':').expect("a kind above every account");
        let code = below.split(' ').next().unwrap().to_string();
        let amount = thousandths(&row[2]);
        if amount != 0 {
            assert!(
                balances
                    .insert((code, row[1].to_string()), amount)
                    .is_none(),
                "{row:?}"
            );
        }
    }
    balances
}

/// Loads a beancount file with beancount's own loader and prints, per account code (from its
/// `open` metadata) and currency, the sum of the postings; and each transaction's entry id and
/// narration, as JSON strings so that any text survives.
const BEANCOUNT_SUMS: &str = r#"
import json, sys
from collections import defaultdict
from decimal import Decimal
from beancount import loader
from beancount.core import data
entries, errors, _ = loader.load_file(sys.argv[1])
if errors:
    sys.exit("beancount errors: %r" % (errors,))
codes = {e.account: e.meta["code"] for e in entries if isinstance(e, data.Open)}
sums = defaultdict(Decimal)
for e in entries:
    if isinstance(e, data.Transaction):
        print("N\t" + e.meta["entry"] + "\t" + json.dumps(e.narration))
        for p in e.postings:
            sums[(codes[p.account], p.units.currency)] += p.units.number
for (code, currency), number in sorted(sums.items()):
    print("B\t" + json.dumps(code) + "\t" + currency + "\t" + format(number, "f"))
"#;

/// beancount's balances by account code, and its narrations by entry id.
fn beancount_contents(file: &str) -> (Balances, BTreeMap<String, String>) {
    let text = tool("python3", &["-c", BEANCOUNT_SUMS, file]);
    let mut balances = Balances::new();
    let mut narrations = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[0] {
            "B" => {
                let code: String = serde_json::from_str(fields[1]).unwrap();
                let amount = thousandths(fields[3]);
                if amount != 0 {
                    balances.insert((code, fields[2].to_string()), amount);
                }
            }
            "N" => {
                let narration: String = serde_json::from_str(fields[2]).unwrap();
                narrations.insert(fields[1].to_string(), narration);
            }
            _ => panic!("unexpected line {line:?}"),
        }
    }
    (balances, narrations)
}

/// Writes the journal in a format to a file in the test's directory and returns its path.
fn export(db: &Backend, format: &str, extra: &[&str], name: &str) -> String {
    let path = db.dir.join(name).display().to_string();
    let mut args = vec!["export", "journal", "--format", format, "--out", &path];
    args.extend(extra);
    db.ok(&args);
    path
}

/// The CSV export: entry id → (date, memo).
fn csv_entries(db: &Backend, extra: &[&str]) -> BTreeMap<String, (String, String)> {
    let mut args = vec!["export", "journal", "--format", "csv"];
    args.extend(extra);
    let text = db.ok(&args);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    for column in [
        "entry_id",
        "date",
        "account",
        "customer_id",
        "document",
        "debit",
        "credit",
        "currency",
        "memo",
    ] {
        assert!(
            headers.iter().any(|h| h == column),
            "{column} in {headers:?}"
        );
    }
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), (row[1].to_string(), row[3].to_string()))
        })
        .collect()
}

fn json_id(value: &serde_json::Value, field: &str) -> String {
    let id = &value[field];
    assert!(id.is_i64(), "{field} in {value}");
    id.to_string()
}

fn pay(db: &Backend, customer: &str, amount: &str, date: &str, reference: &str) -> String {
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
    json_id(&paid, "payment_id")
}

fn apply(db: &Backend, payment: &str, invoice: &str, date: &str) -> serde_json::Value {
    db.json(&[
        "apply",
        "--payment",
        payment,
        "--invoice",
        invoice,
        "--date",
        date,
    ])
}

/// A year of activity in four currencies (USD, EUR, JPY with no decimals, KWD with three):
/// invoices, payments and applications, an earned discount, credit memos (applied, refunded,
/// left open), write-offs against the allowance and straight to expense, refunds of cash and
/// of a credit memo, an application undone, unidentified cash in a second bank account, a
/// debit memo; account names, a customer code, an invoice number and a bank reference with
/// text that each format must escape.
fn build_ledger(db: &Backend) {
    db.ok(&["init"]);
    db.ok(&[
        "accounts",
        "map",
        "--role",
        "REVENUE",
        "--code",
        "4000",
        "--name",
        "1st revenue; goods:  services \"ü\"",
    ]);
    db.ok(&[
        "accounts",
        "map",
        "--role",
        "CASH",
        "--code",
        "1020",
        "--name",
        "Caixa – São Paulo: lockbox",
        "--bank-account",
        "LOCKBOX",
    ]);
    let customers = Backend::data("customers.csv");
    let invoices = Backend::data("invoices.csv");
    db.ok(&["import", "customers", customers.to_str().unwrap()]);
    db.ok(&["import", "invoices", invoices.to_str().unwrap()]);
    db.ok(&[
        "customer",
        "add",
        ODD_CUSTOMER,
        "--name",
        "Ünïcode; \"Quote\" Co.",
        "--currency",
        "KWD",
    ]);
    db.ok(&[
        "invoice",
        "add",
        ODD_INVOICE,
        "--customer",
        ODD_CUSTOMER,
        "--date",
        "2026-07-05",
        "--line",
        "Goods=2.500+0.125",
    ]);

    // Cash: an over-payment, an earned discount, yen, a partial payment in dinars, euros.
    let acme = pay(db, "ACME", "1500.00", "2026-07-01", "WIRE-1");
    apply(db, &acme, "A-1001", "2026-07-02");
    let beta = pay(db, "BETA", "9800.00", "2026-04-11", "ACH-1");
    let discounted = apply(db, &beta, "B-2001", "2026-04-12");
    assert_eq!(discounted["discount"]["amount"], "200.00", "{discounted}");
    let toky = pay(db, "TOKY", "1500000", "2026-06-15", ODD_REFERENCE);
    apply(db, &toky, "T-4001", "2026-06-16");
    let kuwa = pay(db, "KUWA", "1000.000", "2026-07-10", "KW-1");
    apply(db, &kuwa, "K-5001", "2026-07-10");
    let mull = pay(db, "MULL", "1000.00", "2026-06-20", "SEPA-1");
    let undone = apply(db, &mull, "M-3002", "2026-06-20");
    db.ok(&[
        "unapply",
        "--application",
        &json_id(&undone, "application_id"),
        "--date",
        "2026-06-21",
    ]);
    apply(db, &mull, "M-3001", "2026-06-22");
    db.json(&[
        "payment",
        "post",
        "--amount",
        "75.00",
        "--currency",
        "USD",
        "--date",
        "2026-07-20",
        "--reference",
        "UNKNOWN-1",
        "--bank-account",
        "LOCKBOX",
    ]);

    // Credit memos: one applied at once, one refunded, one left open.
    db.json(&[
        "credit-memo",
        "--customer",
        "ACME",
        "--amount",
        "108.00",
        "--tax",
        "8.00",
        "--reason",
        "PRICING",
        "--date",
        "2026-07-01",
        "--apply-to",
        "A-1002",
    ]);
    db.json(&[
        "credit-memo",
        "--customer",
        "ACME",
        "--amount",
        "50.00",
        "--reason",
        "DAMAGED",
        "--number",
        "CM-SPARE",
        "--date",
        "2026-07-01",
    ]);
    db.json(&[
        "refund",
        "--credit-memo",
        "CM-SPARE",
        "--date",
        "2026-07-02",
    ]);
    db.json(&[
        "credit-memo",
        "--customer",
        "ACME",
        "--amount",
        "40.00",
        "--reason",
        "DAMAGED",
        "--number",
        "CM-OPEN",
        "--date",
        "2026-07-03",
    ]);

    // Write-offs (allowance, and straight to expense), a cash refund, late interest.
    db.json(&["write-off", "--invoice", "A-1003", "--date", "2026-07-15"]);
    db.json(&[
        "write-off",
        "--invoice",
        "M-3003",
        "--direct",
        "--date",
        "2026-08-01",
    ]);
    db.json(&[
        "refund",
        "--payment",
        &acme,
        "--amount",
        "100.00",
        "--date",
        "2026-07-04",
    ]);
    db.json(&[
        "debit-memo",
        "--customer",
        "ACME",
        "--amount",
        "25.00",
        "--reason",
        "LATE_INTEREST",
        "--date",
        "2026-07-31",
    ]);
    db.ok(&["verify"]);
}

/// Per currency: A/R control plus Unapplied cash (a credit, so negative) equals the aging's
/// open debit items less its open credits (credit memos and identified customers' cash) less
/// the cash whose payer is not known yet.
fn assert_control_accounts_match_the_aging(db: &Backend, balances: &Balances, as_of: &str) {
    let aging = db.json(&["aging", "--as-of", as_of]);
    let mut unidentified: BTreeMap<String, i128> = BTreeMap::new();
    for cash in aging["unidentified_cash"].as_array().unwrap() {
        *unidentified
            .entry(cash["currency"].as_str().unwrap().to_string())
            .or_default() += thousandths(cash["amount"].as_str().unwrap());
    }
    let currencies: BTreeSet<&str> = balances.keys().map(|(_, c)| c.as_str()).collect();
    let totals = aging["totals"].as_array().unwrap();
    for currency in currencies {
        let balance = |account: &str| {
            balances
                .get(&(account.to_string(), currency.to_string()))
                .copied()
                .unwrap_or(0)
        };
        let (open, credits) =
            totals
                .iter()
                .find(|t| t["currency"] == currency)
                .map_or((0, 0), |t| {
                    (
                        thousandths(t["total"].as_str().unwrap()),
                        thousandths(t["unapplied"].as_str().unwrap()),
                    )
                });
        let unidentified = unidentified.get(currency).copied().unwrap_or(0);
        assert_eq!(
            balance("1200") + balance("2150"),
            open - credits - unidentified,
            "{currency} as of {as_of}: {aging}"
        );
    }
}

fn exports_pass_the_tools_and_agree_with_the_trial_balance(db: &Backend) {
    build_ledger(db);

    let ledger = export(db, "ledger", &[], "journal.ledger");
    tool("hledger", &["-f", &ledger, "check", "--strict"]);
    let beancount = export(db, "beancount", &[], "journal.beancount");
    tool("bean-check", &[&beancount]);

    // Both tools find the trial balance's balances, account by account, to the last unit.
    let balances = trial_balance(db, None);
    assert_eq!(hledger_balances(&ledger), balances);
    let (bean_balances, narrations) = beancount_contents(&beancount);
    assert_eq!(bean_balances, balances);
    for (account, currency) in [
        ("1200", "USD"),
        ("1200", "EUR"),
        ("1200", "JPY"),
        ("1200", "KWD"),
        ("4000", "KWD"),
        ("4200", "USD"),
        ("1290", "USD"),
        ("6200", "EUR"),
        ("1020", "USD"),
    ] {
        assert!(
            balances.contains_key(&(account.to_string(), currency.to_string())),
            "{account} {currency} in {balances:?}"
        );
    }
    let balance = |account: &str, currency: &str| {
        balances
            .get(&(account.to_string(), currency.to_string()))
            .copied()
            .unwrap_or(0)
    };
    // Both refunds were paid out: nothing waits in refunds clearing.
    assert_eq!(balance("2160", "USD"), 0);
    // Figures a person can check. USD: A-1002 less the applied memo, A-1004, A-1005, the debit
    // memo, B-2002, B-2003, less CM-OPEN. EUR: M-3001 less 1000.00, M-3002 (its application
    // undone). KWD: K-5001 less 1000.000, K-5002, the odd invoice.
    let open_usd = ["2392.50", "150.00", "777.77", "25.00", "3333.33", "0.01"];
    assert_eq!(
        balance("1200", "USD"),
        open_usd.iter().map(|a| thousandths(a)).sum::<i128>() - thousandths("40.00")
    );
    assert_eq!(balance("1200", "EUR"), thousandths("4450.00"));
    assert_eq!(balance("1200", "JPY"), thousandths("250000"));
    assert_eq!(balance("1200", "KWD"), thousandths("253.250"));
    // Unapplied: ACME's 1500.00 less 1080.00 applied and 100.00 refunded, and the unidentified
    // 75.00 in the lockbox.
    assert_eq!(balance("2150", "USD"), -thousandths("395.00"));
    assert_eq!(balance("1020", "USD"), thousandths("75.00"));

    // beancount reads back every memo exactly, the odd ones included.
    let entries = csv_entries(db, &[]);
    let memos: BTreeMap<String, String> = entries
        .iter()
        .map(|(id, (_, memo))| (id.clone(), memo.clone()))
        .collect();
    assert_eq!(narrations, memos);
    assert!(memos.values().any(|m| m.contains(ODD_INVOICE)), "{memos:?}");
    assert!(
        memos.values().any(|m| m.contains(ODD_REFERENCE)),
        "{memos:?}"
    );
    // hledger reads each entry's id as its code and its memo, semicolons made commas (and,
    // as hledger does, without surrounding spaces).
    let printed = tool("hledger", &["-f", &ledger, "print", "-O", "csv"]);
    let mut reader = csv::Reader::from_reader(printed.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (code, description) = (column("code"), column("description"));
    let mut seen = BTreeSet::new();
    for row in reader.records() {
        let row = row.unwrap();
        assert_eq!(
            &row[description],
            memos[&row[code]].replace(';', ",").trim(),
            "{row:?}"
        );
        seen.insert(row[code].to_string());
    }
    assert_eq!(seen, memos.keys().cloned().collect::<BTreeSet<_>>());
    // The account types declared make hledger's balance sheet and income statement work.
    let sheet = tool("hledger", &["-f", &ledger, "bs", "-N"]);
    assert!(sheet.contains("Assets:1200 Accounts receivable"), "{sheet}");
    assert!(sheet.contains("Liabilities:2150 Unapplied cash"), "{sheet}");
    let income = tool("hledger", &["-f", &ledger, "is", "-N"]);
    assert!(
        income.contains("Expenses:6200 Bad debt expense"),
        "{income}"
    );

    // The control accounts agree with the aging, now and as they stood before July.
    assert_control_accounts_match_the_aging(db, &balances, "2026-12-31");
    let aging = db.json(&["aging", "--as-of", "2026-12-31"]);
    let usd = aging["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["currency"] == "USD")
        .unwrap();
    // The one open credit item in USD is CM-OPEN.
    assert_eq!(
        balance("1200", "USD"),
        thousandths(usd["total"].as_str().unwrap()) - thousandths("40.00"),
        "A/R control is the open debit items less the open credit memos: {aging}"
    );
    let june = trial_balance(db, Some("2026-06-30"));
    assert_control_accounts_match_the_aging(db, &june, "2026-06-30");
    assert!(!june.contains_key(&("1020".to_string(), "USD".to_string())));
    assert_ne!(june, balances);

    // The table ends with a total per currency; JSON is an array of objects.
    let table = db.ok(&["report", "trial-balance"]);
    for currency in ["EUR", "JPY", "KWD", "USD"] {
        assert!(
            table
                .lines()
                .any(|l| l.trim_start().starts_with("TOTAL") && l.contains(currency)),
            "{table}"
        );
    }
    let json = db.json(&["report", "trial-balance", "--as-of", "2026-06-30"]);
    let rows = json.as_array().unwrap();
    assert!(!rows.is_empty());
    let ar = rows
        .iter()
        .find(|r| r["account"] == "1200" && r["currency"] == "JPY")
        .unwrap();
    assert_eq!(ar["role"], "AR_CONTROL", "{ar}");
    assert_eq!(ar["name"], "Accounts receivable", "{ar}");
    assert_eq!(ar["debit"], "1750000", "{ar}");
    assert_eq!(ar["credit"], "1500000", "{ar}");
    assert_eq!(ar["balance"], "250000", "{ar}");
    let error = db.fails(&["report", "trial-balance", "--as-of", "2026-02-30"]);
    assert!(error.contains("--as-of"), "{error}");
}

fn an_empty_journal_exports_valid_files(db: &Backend) {
    db.ok(&["init"]);
    let ledger = export(db, "ledger", &[], "empty.ledger");
    tool("hledger", &["-f", &ledger, "check", "--strict"]);
    let beancount = export(db, "beancount", &[], "empty.beancount");
    tool("bean-check", &[&beancount]);
    assert!(hledger_balances(&ledger).is_empty());
    assert!(beancount_contents(&beancount).0.is_empty());
    assert!(trial_balance(db, None).is_empty());
    assert_eq!(db.json(&["report", "trial-balance"]), serde_json::json!([]));
    assert_eq!(
        db.ok(&["export", "journal"]).lines().count(),
        1,
        "a header only"
    );
}

fn a_period_is_one_calendar_month(db: &Backend) {
    build_ledger(db);
    let all = csv_entries(db, &[]);
    let july = csv_entries(db, &["--period", "2026-07"]);
    let expected: BTreeMap<_, _> = all
        .iter()
        .filter(|(_, (date, _))| date.starts_with("2026-07-"))
        .map(|(id, entry)| (id.clone(), entry.clone()))
        .collect();
    assert!(expected.len() >= 10, "{expected:?}");
    assert_eq!(july, expected);
    assert_eq!(
        csv_entries(db, &["--from", "2026-07-01", "--to", "2026-07-31"]),
        expected
    );
    assert!(csv_entries(db, &["--period", "2026-09"]).is_empty());
    // A month's files are valid on their own: accounts open on the month's first entry.
    let ledger = export(db, "ledger", &["--period", "2026-07"], "july.ledger");
    tool("hledger", &["-f", &ledger, "check", "--strict"]);
    let beancount = export(db, "beancount", &["--period", "2026-07"], "july.beancount");
    tool("bean-check", &[&beancount]);
    let (_, narrations) = beancount_contents(&beancount);
    assert_eq!(
        narrations.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );

    for bad in ["2026-13", "2026-7", "July"] {
        let error = db.fails(&["export", "journal", "--period", bad]);
        assert!(
            error.contains("--period") && error.contains("is not a month"),
            "{bad}: {error}"
        );
    }
    let both = db.run(&[
        "export",
        "journal",
        "--period",
        "2026-07",
        "--from",
        "2026-07-01",
    ]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "--period with --from is bad usage"
    );
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}
