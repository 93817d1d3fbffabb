//! The `settle` command end to end, on SQLite and on PostgreSQL: the same scenarios, both
//! engines, the real binary.

#[macro_use]
mod support;

use support::Backend;

on_both_engines!(
    imported_aging_equals_an_independent_computation,
    a_second_import_posts_nothing,
    a_file_with_a_bad_row_is_refused_and_changes_nothing,
    skip_invalid_stores_the_good_rows,
    payments_apply_exactly_once_and_unapply_restores,
    idempotency_keys_replay_and_refuse_other_requests,
    memos_adjustments_write_offs_and_refunds_keep_the_ledger_exact,
    earned_discount_closes_the_invoice,
    historical_aging_shows_balances_as_they_stood,
    journal_export_balances_per_entry,
    the_chart_of_accounts_is_configurable_until_used,
    a_clerk_creates_a_customer_and_an_invoice_with_lines,
    a_first_import_skipping_bad_rows_leaves_no_gaps,
    bank_files_post_each_credit_once_and_returns_reopen_invoices,
    matching_applies_the_sure_payments_and_proposes_the_rest,
    bank_reconciliation_explains_every_variance_and_matching_metrics_count_exactly,
    clerks_teach_the_matcher_aliases_habits_and_payers,
    a_rejected_pairing_is_not_proposed_again,
    deductions_open_disputes_and_duplicates_wait_for_a_person,
    a_parent_pays_its_subsidiaries_invoices,
);

fn aging_csv(db: &Backend, as_of: &str) -> String {
    db.ok(&["aging", "--as-of", as_of, "--format", "csv"])
}

fn imported_aging_equals_an_independent_computation(db: &Backend) {
    db.load_fixture();
    let expected = std::fs::read_to_string(Backend::data("aging-2026-06-30.csv")).unwrap();
    assert_eq!(aging_csv(db, "2026-06-30"), expected);
    db.ok(&["verify"]);
}

fn a_second_import_posts_nothing(db: &Backend) {
    db.load_fixture();
    let before = aging_csv(db, "2026-12-31");
    let invoices = Backend::data("invoices.csv");
    let again = db.ok(&["import", "invoices", invoices.to_str().unwrap()]);
    assert!(
        again.contains("already imported") && again.contains("nothing posted"),
        "{again}"
    );
    // The same invoices in another file (other bytes) are recognised one by one.
    let text = std::fs::read_to_string(&invoices)
        .unwrap()
        .replace("Widgets", "Widgets ");
    let copy = db.file("copy.csv", &text);
    let report = db.json(&["import", "invoices", &copy]);
    assert_eq!(report["stored"], 0, "{report}");
    assert_eq!(report["duplicates"], 15, "{report}");
    assert_eq!(aging_csv(db, "2026-12-31"), before);
    let journal = db.ok(&["export", "journal"]);
    assert_eq!(
        journal.lines().filter(|l| l.contains(",invoice,")).count(),
        15 * 2 + 6,
        "two postings per invoice, a third for the six with tax"
    );
}

fn a_file_with_a_bad_row_is_refused_and_changes_nothing(db: &Backend) {
    db.load_fixture();
    let before = aging_csv(db, "2026-12-31");
    let journal_before = db.ok(&["export", "journal"]);
    let bad = db.file(
        "bad.csv",
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n\
         N-1,ACME,2026-07-01,,USD,100.00,,,\n\
         N-2,ACME,2026-07-01,,USD,12.345,,,\n\
         N-3,ACME,2026-07-01,,USD,50.00,,,\n",
    );
    let error = db.fails(&["import", "invoices", &bad]);
    assert!(error.contains("bad.csv:3: amount"), "{error}");
    assert!(error.contains("3 decimals"), "{error}");
    assert!(error.contains("nothing was stored"), "{error}");
    assert_eq!(aging_csv(db, "2026-12-31"), before);
    assert_eq!(db.ok(&["export", "journal"]), journal_before);
    // Fixed, the same rows import: the refused attempt left no trace of its fingerprint.
    let fixed = db.file(
        "fixed.csv",
        &std::fs::read_to_string(&bad)
            .unwrap()
            .replace("12.345", "12.34"),
    );
    let report = db.json(&["import", "invoices", &fixed]);
    assert_eq!(report["stored"], 3);
    let missing_column = db.file(
        "short.csv",
        "invoice_number,customer_id,amount\nX,ACME,1.00\n",
    );
    let error = db.fails(&["import", "invoices", &missing_column]);
    assert!(
        error.contains("short.csv: line 1: missing column(s) issue_date"),
        "{error}"
    );
}

fn skip_invalid_stores_the_good_rows(db: &Backend) {
    db.load_fixture();
    let mixed = db.file(
        "mixed.csv",
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n\
         S-1,ACME,2026-07-01,,USD,100.00,,,\n\
         S-2,NOBODY,2026-07-01,,USD,5.00,,,\n\
         S-3,ACME,2026-02-30,,USD,5.00,,,\n",
    );
    let report = db.json(&["import", "invoices", &mixed, "--skip-invalid"]);
    assert_eq!(report["stored"], 1, "{report}");
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["line"], 3);
    assert_eq!(rejected[0]["field"], "customer_id");
    assert_eq!(rejected[1]["field"], "issue_date");
    db.ok(&["verify"]);
}

fn payments_apply_exactly_once_and_unapply_restores(db: &Backend) {
    db.load_fixture();
    let before = aging_csv(db, "2026-12-31");
    let posted = db.json(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "1500.00",
        "--date",
        "2026-07-01",
        "--reference",
        "WIRE-1",
    ]);
    assert_eq!(posted["duplicate"], false);
    let again = db.json(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "1500.00",
        "--date",
        "2026-07-01",
        "--reference",
        "WIRE-1",
    ]);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["payment_id"], posted["payment_id"]);
    let conflict = db.fails(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "9.00",
        "--date",
        "2026-07-01",
        "--reference",
        "WIRE-1",
    ]);
    assert!(
        conflict.contains("already exists with different details"),
        "{conflict}"
    );
    let payment = posted["payment_id"].to_string();
    // Over-payment: 1080.00 closes A-1001 and 420.00 stays unapplied.
    let applied = db.json(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "A-1001",
        "--date",
        "2026-07-02",
    ]);
    assert_eq!(applied["amount"]["amount"], "1080.00");
    assert_eq!(applied["invoice_open"]["amount"], "0.00");
    assert_eq!(applied["source_remaining"]["amount"], "420.00");
    let refused = db.fails(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "A-1002",
        "--amount",
        "500.00",
        "--date",
        "2026-07-02",
    ]);
    assert!(
        refused.contains("exceeds the unapplied amount"),
        "{refused}"
    );
    let closed = db.fails(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "A-1001",
        "--date",
        "2026-07-02",
    ]);
    assert!(closed.contains("has nothing open"), "{closed}");
    let other = db.fails(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "B-2001",
        "--date",
        "2026-07-02",
    ]);
    assert!(other.contains("another customer"), "{other}");
    let aging = aging_csv(db, "2026-12-31");
    let acme = aging.lines().find(|l| l.starts_with("ACME,")).unwrap();
    assert!(acme.ends_with(",4428.26,420.00,4008.26,0.00"), "{acme}");
    let application = applied["application_id"].to_string();
    db.ok(&[
        "unapply",
        "--application",
        &application,
        "--date",
        "2026-07-03",
    ]);
    let twice = db.fails(&[
        "unapply",
        "--application",
        &application,
        "--date",
        "2026-07-03",
    ]);
    assert!(twice.contains("already reversed"), "{twice}");
    let aging = aging_csv(db, "2026-12-31");
    let acme = aging.lines().find(|l| l.starts_with("ACME,")).unwrap();
    assert!(acme.ends_with(",5508.26,1500.00,4008.26,0.00"), "{acme}");
    assert_ne!(aging, before, "the payment is still there, unapplied");
    db.ok(&["verify"]);
}

fn idempotency_keys_replay_and_refuse_other_requests(db: &Backend) {
    db.load_fixture();
    let args = [
        "payment",
        "post",
        "--customer",
        "BETA",
        "--amount",
        "100.00",
        "--date",
        "2026-07-01",
        "--reference",
        "ACH-9",
        "--idempotency-key",
        "k-1",
    ];
    let first = db.json(&args);
    let second = db.json(&args);
    assert_eq!(first["replayed"], false);
    assert_eq!(second["replayed"], true);
    assert_eq!(first["payment_id"], second["payment_id"]);
    let other = db.fails(&[
        "payment",
        "post",
        "--customer",
        "BETA",
        "--amount",
        "200.00",
        "--date",
        "2026-07-01",
        "--reference",
        "ACH-10",
        "--idempotency-key",
        "k-1",
    ]);
    assert!(
        other.contains("idempotency key \"k-1\" was already used"),
        "{other}"
    );
    let payment = first["payment_id"].to_string();
    let apply = [
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "B-2002",
        "--amount",
        "40.00",
        "--date",
        "2026-07-02",
        "--idempotency-key",
        "k-2",
    ];
    db.json(&apply);
    let replay = db.json(&apply);
    assert_eq!(replay["replayed"], true);
    let view = db.json(&["customer", "show", "BETA"]);
    let b2002 = view["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == "B-2002")
        .unwrap();
    assert_eq!(
        b2002["balance"]["amount"], "3293.33",
        "applied once: {view}"
    );
}

fn memos_adjustments_write_offs_and_refunds_keep_the_ledger_exact(db: &Backend) {
    db.load_fixture();
    let memo = db.json(&[
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
    assert_eq!(
        memo["application"]["invoice_open"]["amount"], "2392.50",
        "{memo}"
    );
    let spare = db.json(&[
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
    assert_eq!(spare["number"], "CM-SPARE");
    db.json(&[
        "debit-memo",
        "--customer",
        "ACME",
        "--amount",
        "25.00",
        "--reason",
        "LATE_INTEREST",
        "--date",
        "2026-07-01",
    ]);
    let adjusted = db.json(&[
        "adjust",
        "--invoice",
        "A-1003",
        "--amount",
        "-0.99",
        "--reason",
        "SMALL_BALANCE",
        "--date",
        "2026-07-01",
    ]);
    assert_eq!(adjusted["balance"]["amount"], "999.00");
    let too_much = db.fails(&[
        "adjust",
        "--invoice",
        "A-1003",
        "--amount",
        "-1000.00",
        "--reason",
        "PRICING",
        "--date",
        "2026-07-01",
    ]);
    assert!(too_much.contains("exceeds the open amount"), "{too_much}");
    let unknown = db.fails(&[
        "adjust",
        "--invoice",
        "A-1003",
        "--amount",
        "-1",
        "--reason",
        "WHIM",
        "--date",
        "2026-07-01",
    ]);
    assert!(unknown.contains("unknown reason code"), "{unknown}");
    let written = db.json(&["write-off", "--invoice", "A-1001", "--date", "2026-07-01"]);
    assert_eq!(written["amount"]["amount"], "1080.00");
    let refund = db.json(&[
        "refund",
        "--credit-memo",
        "CM-SPARE",
        "--date",
        "2026-07-02",
    ]);
    assert_eq!(refund["amount"]["amount"], "50.00");
    let again = db.fails(&[
        "refund",
        "--credit-memo",
        "CM-SPARE",
        "--date",
        "2026-07-02",
    ]);
    assert!(again.contains("nothing open"), "{again}");
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
    db.json(&[
        "refund",
        "--payment",
        &payment,
        "--amount",
        "100.00",
        "--date",
        "2026-07-04",
    ]);
    let view = db.json(&["customer", "show", "ACME"]);
    let unapplied = &view["unapplied_payments"][0]["unapplied"]["amount"];
    assert_eq!(unapplied, "200.00");
    let aging = aging_csv(db, "2026-12-31");
    let acme = aging.lines().find(|l| l.starts_with("ACME,")).unwrap();
    // Open: A-1002 2392.50 + A-1003 999.00 + A-1004 150.00 + A-1005 777.77 + DM 25.00; credit 200.00.
    assert!(acme.ends_with(",4344.27,200.00,4144.27,0.00"), "{acme}");
    db.ok(&["verify"]);
}

fn earned_discount_closes_the_invoice(db: &Backend) {
    db.load_fixture();
    // B-2001: 10000.00 on 2/10 NET30, issued 2026-04-01: 9800.00 by 2026-04-11 settles it.
    let paid = db.json(&[
        "payment",
        "post",
        "--customer",
        "BETA",
        "--amount",
        "9800.00",
        "--date",
        "2026-04-11",
        "--reference",
        "ACH-1",
    ]);
    let payment = paid["payment_id"].to_string();
    let applied = db.json(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "B-2001",
        "--date",
        "2026-04-12",
    ]);
    assert_eq!(applied["amount"]["amount"], "9800.00");
    assert_eq!(applied["discount"]["amount"], "200.00");
    assert_eq!(applied["invoice_open"]["amount"], "0.00");
    // A day late, no discount: the cash applies and the rest stays open.
    let late = db.json(&[
        "payment",
        "post",
        "--customer",
        "BETA",
        "--amount",
        "3266.66",
        "--date",
        "2026-06-11",
        "--reference",
        "ACH-2",
    ]);
    let late_id = late["payment_id"].to_string();
    let applied = db.json(&[
        "apply",
        "--payment",
        &late_id,
        "--invoice",
        "B-2002",
        "--date",
        "2026-06-12",
    ]);
    assert_eq!(applied["discount"]["amount"], "0.00");
    assert_eq!(applied["invoice_open"]["amount"], "66.67");
    let journal = db.ok(&["export", "journal"]);
    assert!(
        journal
            .lines()
            .any(|l| l.contains(",4200,Sales discounts,USD,200.00,")),
        "{journal}"
    );
}

fn historical_aging_shows_balances_as_they_stood(db: &Backend) {
    db.load_fixture();
    let before = aging_csv(db, "2026-06-30");
    let paid = db.json(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "1080.00",
        "--date",
        "2026-07-10",
        "--reference",
        "W-7",
    ]);
    let payment = paid["payment_id"].to_string();
    db.ok(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "A-1001",
        "--date",
        "2026-07-10",
    ]);
    assert_eq!(
        aging_csv(db, "2026-06-30"),
        before,
        "later postings do not change the past"
    );
    let after = aging_csv(db, "2026-07-10");
    let acme = after.lines().find(|l| l.starts_with("ACME,")).unwrap();
    assert_eq!(
        acme,
        "ACME,Acme Corporation,USD,150.00,999.99,0.00,2500.50,0.00,3650.49,0.00,3650.49,0.00"
    );
    let detail = db.ok(&[
        "aging",
        "--as-of",
        "2026-06-30",
        "--detail",
        "--format",
        "csv",
    ]);
    let a1001 = detail.lines().find(|l| l.contains(",A-1001,")).unwrap();
    assert!(a1001.ends_with(",141,90+,USD,1080.00"), "{a1001}");
    let by_invoice = db.ok(&[
        "aging",
        "--as-of",
        "2026-06-30",
        "--by",
        "invoice",
        "--format",
        "csv",
    ]);
    let beta = by_invoice.lines().find(|l| l.starts_with("BETA,")).unwrap();
    assert_eq!(
        beta,
        "BETA,Beta Logistics LLC,USD,0.00,3333.34,0.00,10000.00,0.00,13333.34,0.00,13333.34,0.00"
    );
}

fn journal_export_balances_per_entry(db: &Backend) {
    db.load_fixture();
    let paid = db.json(&[
        "payment",
        "post",
        "--customer",
        "MULL",
        "--amount",
        "5000.00",
        "--date",
        "2026-07-01",
        "--reference",
        "SEPA-1",
    ]);
    let payment = paid["payment_id"].to_string();
    db.ok(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "M-3001",
        "--date",
        "2026-07-01",
    ]);
    let out = db.dir.join("journal.csv");
    db.ok(&["export", "journal", "--out", out.to_str().unwrap()]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let mut sums: std::collections::BTreeMap<(String, String), i128> = Default::default();
    for row in reader.records() {
        let row = row.unwrap();
        let cents = |s: &str| -> i128 {
            if s.is_empty() {
                return 0;
            }
            s.replace('.', "").parse().unwrap()
        };
        *sums
            .entry((row[0].to_string(), row[7].to_string()))
            .or_default() += cents(&row[8]) - cents(&row[9]);
    }
    assert!(sums.len() >= 16);
    assert!(sums.values().all(|s| *s == 0), "{sums:?}");
    let ledger = db.ok(&["export", "journal", "--format", "ledger"]);
    assert!(
        ledger.contains("1200 Accounts receivable  EUR 4200.00"),
        "{ledger}"
    );
}

fn the_chart_of_accounts_is_configurable_until_used(db: &Backend) {
    db.ok(&["init"]);
    db.ok(&[
        "accounts",
        "map",
        "--role",
        "AR_CONTROL",
        "--code",
        "1100",
        "--name",
        "Trade debtors",
    ]);
    db.ok(&[
        "accounts",
        "map",
        "--role",
        "CASH",
        "--code",
        "1020",
        "--name",
        "Cash - lockbox",
        "--bank-account",
        "LOCKBOX",
    ]);
    let customers = Backend::data("customers.csv");
    let invoices = Backend::data("invoices.csv");
    db.ok(&["import", "customers", customers.to_str().unwrap()]);
    db.ok(&["import", "invoices", invoices.to_str().unwrap()]);
    db.json(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "10.00",
        "--date",
        "2026-07-01",
        "--reference",
        "LB-1",
        "--bank-account",
        "LOCKBOX",
    ]);
    let journal = db.ok(&["export", "journal"]);
    assert!(
        journal.contains(",1100,Trade debtors,USD,1080.00,"),
        "{journal}"
    );
    assert!(
        journal.contains(",1020,Cash - lockbox,USD,10.00,"),
        "{journal}"
    );
    let refused = db.fails(&[
        "accounts",
        "map",
        "--role",
        "AR_CONTROL",
        "--code",
        "1105",
        "--name",
        "Other",
    ]);
    assert!(refused.contains("already has postings"), "{refused}");
    let unknown_bank = db.fails(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "1.00",
        "--date",
        "2026-07-01",
        "--reference",
        "X-1",
        "--bank-account",
        "NOPE",
    ]);
    assert!(
        unknown_bank.contains("no cash account \"NOPE\""),
        "{unknown_bank}"
    );
    let accounts = db.json(&["accounts", "list"]);
    assert_eq!(accounts.as_array().unwrap().len(), 14);
    db.ok(&["verify"]);
}

fn a_clerk_creates_a_customer_and_an_invoice_with_lines(db: &Backend) {
    db.ok(&["init"]);
    db.ok(&[
        "customer",
        "add",
        "K1",
        "--name",
        "Kiwi Ltd",
        "--currency",
        "NZD",
        "--terms",
        "2/10 NET30",
    ]);
    let issued = db.json(&[
        "invoice",
        "add",
        "K-100",
        "--customer",
        "K1",
        "--date",
        "2026-03-01",
        "--line",
        "Widgets=100.00+15.00",
        "--line",
        "Freight=20",
    ]);
    assert_eq!(issued["total"]["amount"], "135.00");
    assert_eq!(issued["total"]["currency"], "NZD");
    assert_eq!(issued["due_date"], "2026-03-31");
    let again = db.fails(&[
        "invoice",
        "add",
        "K-100",
        "--customer",
        "K1",
        "--line",
        "x=1",
    ]);
    assert!(again.contains("already exists"), "{again}");
    let duplicate = db.fails(&["customer", "add", "K1", "--name", "Other"]);
    assert!(duplicate.contains("already exists"), "{duplicate}");
    let aging = db.ok(&["aging", "--as-of", "2026-03-05", "--format", "csv"]);
    assert!(
        aging.contains("K1,Kiwi Ltd,NZD,135.00,0.00,0.00,0.00,0.00,135.00,0.00,135.00"),
        "{aging}"
    );
    db.ok(&["verify"]);
}

fn a_first_import_skipping_bad_rows_leaves_no_gaps(db: &Backend) {
    db.ok(&["init"]);
    let customers = Backend::data("customers.csv");
    db.ok(&["import", "customers", customers.to_str().unwrap()]);
    // Into an empty ledger the rows are prepared on a second thread with ids reserved ahead.
    let mixed = db.file(
        "first.csv",
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n\
         F-1,ACME,2026-07-01,,USD,100.00,,,\n\
         F-2,NOBODY,2026-07-01,,USD,5.00,,,\n\
         F-3,ACME,2026-07-02,,USD,50.00,,,\n",
    );
    let report = db.json(&["import", "invoices", &mixed, "--skip-invalid"]);
    assert_eq!(report["stored"], 2, "{report}");
    assert_eq!(report["rows_read"], 3, "{report}");
    let issued = db.json(&[
        "invoice",
        "add",
        "F-4",
        "--customer",
        "ACME",
        "--date",
        "2026-07-03",
        "--line",
        "x=1.00",
    ]);
    assert_eq!(issued["item_id"], 3, "ids continue without a gap: {issued}");
    assert_eq!(issued["entry_id"], 3, "{issued}");
    db.ok(&["verify"]);
}

fn bank_files_post_each_credit_once_and_returns_reopen_invoices(db: &Backend) {
    db.load_fixture();
    let day1 = Backend::data("bank-day1.bai2");
    let day1 = day1.to_str().unwrap();
    let reports = db.json(&["import", "bank", day1]);
    let report = &reports[0];
    let outcomes: Vec<&str> = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["payment", "payment", "not_receivable"],
        "{report}"
    );
    assert_eq!(report["statements"][0]["difference"]["amount"], "0.00");
    let ach = report["lines"][0]["payment_id"].to_string();
    assert_eq!(report["lines"][1]["bank_reference"], "WIRE0002");

    // The same file again posts nothing; the same credit in another file is a duplicate.
    let again = db.ok(&["import", "bank", day1]);
    assert!(again.contains("already imported"), "{again}");
    let intraday = Backend::data("bank-day1-intraday.bai2");
    let reports = db.json(&["import", "bank", intraday.to_str().unwrap()]);
    assert_eq!(reports[0]["lines"][0]["outcome"], "duplicate");
    assert_eq!(reports[0]["lines"][0]["payment_id"].to_string(), ach);

    // Cash from the ACH credit pays A-1001; the credit comes back unpaid: the application and
    // the receipt are reversed and A-1001 is open again.
    db.ok(&[
        "apply",
        "--payment",
        &ach,
        "--invoice",
        "A-1001",
        "--date",
        "2026-07-02",
    ]);
    let paid = aging_csv(db, "2026-07-02");
    let returned = Backend::data("bank-day3-return.bai2");
    let reports = db.json(&["import", "bank", returned.to_str().unwrap()]);
    let line = &reports[0]["lines"][0];
    assert_eq!(line["outcome"], "return", "{line}");
    assert_eq!(line["payment_id"].to_string(), ach);
    assert!(
        line["detail"].as_str().unwrap().contains("A-1001"),
        "{line}"
    );
    let after = aging_csv(db, "2026-07-03");
    assert_ne!(paid, after);
    let acme_after = after
        .lines()
        .find(|l| l.starts_with("ACME,"))
        .unwrap()
        .to_string();
    // The day before the credit arrived (applying it identified ACME as the payer, so from
    // its value date on the cash is ACME's).
    let before_payment = aging_csv(db, "2026-06-30");
    let acme_before = before_payment
        .lines()
        .find(|l| l.starts_with("ACME,"))
        .unwrap()
        .to_string();
    assert_eq!(
        acme_after, acme_before,
        "ACME owes again what it owed before the payment"
    );
    let journal = db.ok(&["export", "journal"]);
    assert!(journal.contains("returned"), "{journal}");
    db.ok(&["verify"]);

    // The return left a note on ACME's contact log: which payment, why, what reopened.
    let view = db.json(&["customer", "show", "ACME"]);
    let notes = view["contact_log"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{view}");
    let note = &notes[0];
    assert_eq!(note["channel"], "system", "{note}");
    assert_eq!(note["direction"], "internal", "{note}");
    assert_eq!(note["source"], "bank-return", "{note}");
    let subject = note["subject"].as_str().unwrap();
    assert!(
        subject.contains("ACH0001") && subject.contains("R01 (insufficient funds)"),
        "{note}"
    );
    let body = note["body"].as_str().unwrap();
    assert!(body.contains("2500.00 USD"), "{note}");
    assert!(body.contains("received 2026-07-01"), "{note}");
    assert!(body.contains("Reopened: A-1001 by 1080.00 USD"), "{note}");
    let shown = db.ok(&["customer", "show", "ACME"]);
    assert!(
        shown.contains("Contact log") && shown.contains("insufficient funds"),
        "{shown}"
    );
    // The wire from a payer never identified comes back too: no customer, no note, and the
    // line says so.
    let unidentified = db.file(
        "return-wire.bai2",
        "01,SENDER,SETTLE,260705,0800,3,80,,2/\n\
         02,SETTLE,121000248,1,260704,2359,USD,2/\n\
         03,4455667788,USD,010,1350000,,,015,950000,,,100,0,,,400,400000,,/\n\
         16,555,400000,0,RET0005,WIRE0002,RETURNED ITEM R16 ACCOUNT FROZEN/\n\
         49,3100000,3/\n\
         98,3100000,1,5/\n\
         99,3100000,1,7/\n",
    );
    let reports = db.json(&["import", "bank", &unidentified]);
    let line = &reports[0]["lines"][0];
    assert_eq!(line["outcome"], "return", "{line}");
    assert!(
        line["detail"]
            .as_str()
            .unwrap()
            .contains("no contact-log note: the payer was never identified"),
        "{line}"
    );
    let view = db.json(&["customer", "show", "ACME"]);
    assert_eq!(view["contact_log"].as_array().unwrap().len(), 1, "{view}");
    db.ok(&["verify"]);

    // A file that is not a bank file is refused with its place, and posts nothing.
    let bad = db.file(
        "bad.bai2",
        "01,SENDER,SETTLE,260702,0800,1,80,,2/\n02,SETTLE,X,1,26XX01,2359,USD,2/\n",
    );
    let error = db.fails(&["import", "bank", &bad]);
    assert!(
        error.contains("bad.bai2") && error.contains("line 2"),
        "{error}"
    );
}

fn matching_applies_the_sure_payments_and_proposes_the_rest(db: &Backend) {
    db.load_fixture();
    let file = Backend::data("bank-matching.bai2");
    db.ok(&["import", "bank", file.to_str().unwrap()]);
    // A dry run decides and stores nothing.
    let dry = db.json(&["match", "--dry-run"]);
    assert_eq!(dry["auto"], 1, "{dry}");
    let report = db.json(&["match"]);
    let outcome = |reference: &str| {
        report["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["bank_reference"] == reference)
            .unwrap()
            .clone()
    };
    // The exact reference and amount: applied.
    assert_eq!(outcome("M-001")["decision"], "auto", "{report}");
    assert_eq!(outcome("M-001")["customer"], "ACME");
    // An OCR-garbled reference with the exact amount: proposed.
    let garbled = outcome("M-002");
    assert_eq!(garbled["decision"], "suggest", "{report}");
    assert_eq!(garbled["allocations"][0]["number"], "A-1003");
    // The customer's name and an amount only one of its items owes: proposed.
    let by_name = outcome("M-003");
    assert_eq!(by_name["rule"], "amount-unique", "{report}");
    assert_eq!(by_name["allocations"][0]["number"], "A-1004");
    // Nothing to go on.
    assert_eq!(outcome("M-004")["decision"], "unapplied", "{report}");

    let accept = garbled["decision_id"].to_string();
    db.ok(&["apply", "--accept", &accept]);
    let refused = db.fails(&["apply", "--accept", &accept]);
    assert!(refused.contains("not open"), "{refused}");
    let reject = by_name["decision_id"].to_string();
    db.ok(&["apply", "--reject", &reject]);

    let export = db.ok(&["export", "applications", "--format", "csv"]);
    assert_eq!(
        export,
        "bank_ref,invoice_number,amount,status\n\
         M-001,A-1001,1080.00,auto\n\
         M-002,A-1003,999.99,suggested\n\
         M-003,,150.00,unapplied\n\
         M-004,,77.00,unapplied\n"
    );
    let explained = db.ok(&["match", "--explain", "M-002"]);
    assert!(
        explained.contains("OCR") && explained.contains("accepted"),
        "{explained}"
    );

    // A second run leaves decided payments alone and decides nothing new for the rest.
    let again = db.json(&["match"]);
    assert_eq!(again["auto"], 0, "{again}");
    assert_eq!(again["suggested"], 0, "{again}");
    // The line still nobody's keeps its one decision.
    let explained = db.json(&["match", "--explain", "M-004"]);
    assert_eq!(explained.as_array().unwrap().len(), 1, "{explained}");
    let customer = db.json(&["customer", "show", "ACME"]);
    let open: Vec<&str> = customer["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert!(
        !open.contains(&"A-1001") && !open.contains(&"A-1003"),
        "{customer}"
    );
    db.ok(&["verify"]);
}

/// The demo builds a SQLite file of its own, so it runs on that engine only.
#[test]
fn the_demo_imports_its_bank_day_and_applies_cash_with_evidence() {
    let db = Backend::sqlite();
    let demo = db.json(&["demo", "--customers", "60", "--seed", "7"]);
    let bank = &demo["bank_day"];
    let files: Vec<String> = bank["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 2, "{bank}");
    assert!(files[0].ends_with(".bai2") && files[1].ends_with(".camt053.xml"));
    let count = |key: &str| bank[key].as_u64().unwrap();
    assert!(count("payments_posted") >= 20, "{bank}");
    assert_eq!(count("returns_reversed"), 1, "{bank}");
    assert_eq!(
        count("held_out"),
        4,
        "fee, interest and sweep; a fee in euros: {bank}"
    );
    assert_eq!(
        count("auto") + count("suggested") + count("unapplied"),
        count("payments_posted"),
        "{bank}"
    );
    assert!(count("auto") > count("suggested"), "{bank}");
    assert_eq!(count("auto_right"), count("auto"), "{bank}");
    assert_eq!(count("unapplied"), count("unplaceable"), "{bank}");
    // The files are real: importing them again posts nothing.
    for file in &files {
        let path = db.dir.join(file);
        let again = db.ok(&["import", "bank", path.to_str().unwrap()]);
        assert!(again.contains("nothing posted"), "{again}");
    }
    let applications = db.ok(&["export", "applications"]);
    let auto_rows = applications
        .lines()
        .filter(|l| l.ends_with(",auto"))
        .count();
    assert!(auto_rows as u64 >= count("auto"), "{applications}");
    db.ok(&["verify"]);
}

/// The camt.053 fixture's two statements (2 and 3 July) after three payments posted by hand, a
/// matching run, a suggestion accepted and one rejected, and an automatic application undone
/// and made again by hand.
fn reconciliation_fixture(db: &Backend) -> serde_json::Value {
    db.load_fixture();
    for (customer, amount, reference) in [
        // The bank will credit 480.00 under this reference: an amount difference.
        ("BETA", "500.00", "WIRE-77"),
        // Never on a statement.
        ("ACME", "75.00", "HAND-1"),
        // Euros into the dollar account.
        ("MULL", "10.00", "EUR-1"),
    ] {
        db.ok(&[
            "payment",
            "post",
            "--customer",
            customer,
            "--amount",
            amount,
            "--date",
            "2026-07-02",
            "--reference",
            reference,
        ]);
    }
    let file = Backend::data("bank-recon.camt053.xml");
    db.ok(&["import", "bank", file.to_str().unwrap()]);
    let report = db.json(&["match"]);
    let decision = |reference: &str| {
        report["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["bank_reference"] == reference)
            .unwrap_or_else(|| panic!("no decision on {reference}: {report}"))
            .clone()
    };
    assert_eq!(decision("R-001")["decision"], "auto", "{report}");
    assert_eq!(decision("R-002")["decision"], "auto", "{report}");
    assert_eq!(decision("R-003")["decision"], "suggest", "{report}");
    assert_eq!(decision("R-004")["decision"], "suggest", "{report}");
    db.ok(&[
        "apply",
        "--accept",
        &decision("R-003")["decision_id"].to_string(),
    ]);
    db.ok(&[
        "apply",
        "--reject",
        &decision("R-004")["decision_id"].to_string(),
    ]);
    // R-002 (value date 1 July) is matched first, so its application is the first one: a clerk
    // finds it wrong, undoes it, and applies the cash by hand three days later.
    let undone = db.json(&["unapply", "--application", "1", "--date", "2026-07-04"]);
    assert_eq!(undone["amount"]["amount"], "2500.50", "{undone}");
    let r002 = decision("R-002")["payment_id"].to_string();
    db.ok(&[
        "apply",
        "--payment",
        &r002,
        "--invoice",
        "A-1002",
        "--date",
        "2026-07-05",
    ]);
    report
}

fn bank_reconciliation_explains_every_variance_and_matching_metrics_count_exactly(db: &Backend) {
    reconciliation_fixture(db);
    let recon = db.json(&["report", "bank-reconciliation"]);
    let statements: Vec<(String, String, String, String, String, String, String)> =
        recon["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["statement_ref"].as_str().unwrap().to_string(),
                    s["opening"]["amount"].as_str().unwrap().to_string(),
                    s["credits"]["amount"].as_str().unwrap().to_string(),
                    s["debits"]["amount"].as_str().unwrap().to_string(),
                    s["closing"]["amount"].as_str().unwrap().to_string(),
                    s["difference"]["amount"].as_str().unwrap().to_string(),
                    s["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    let row = |r: [&str; 7]| -> (String, String, String, String, String, String, String) {
        let [a, b, c, d, e, f, g] = r.map(str::to_string);
        (a, b, c, d, e, f, g)
    };
    assert_eq!(
        statements,
        [
            row([
                "STMT-0702",
                "1000.00",
                "5210.84",
                "52.00",
                "6158.84",
                "0.00",
                "balanced"
            ]),
            row([
                "STMT-0703",
                "6158.84",
                "0.16",
                "0.00",
                "6160.00",
                "1.00",
                "out_of_balance"
            ]),
        ],
        "{recon}"
    );
    let days: Vec<String> = recon["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {} posted {} -{} statement {} -{} difference {}",
                d["bank_account"].as_str().unwrap(),
                d["date"].as_str().unwrap(),
                d["currency"].as_str().unwrap(),
                d["posted_receipts"]["amount"].as_str().unwrap(),
                d["posted_returns"]["amount"].as_str().unwrap(),
                d["statement_credits"]["amount"].as_str().unwrap(),
                d["statement_returns"]["amount"].as_str().unwrap(),
                d["difference"]["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            "OPERATING 2026-07-01 USD posted 2500.50 -0.00 statement 0.00 -0.00 difference 2500.50",
            "OPERATING 2026-07-02 EUR posted 10.00 -0.00 statement 0.00 -0.00 difference 10.00",
            "OPERATING 2026-07-02 USD posted 2804.99 -0.00 statement 5210.84 -40.00 difference -2365.85",
            "OPERATING 2026-07-03 USD posted 0.00 -0.00 statement 0.16 -0.00 difference -0.16",
        ],
        "{recon}"
    );
    let variances: Vec<String> = recon["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["variances"].as_array().unwrap().iter().map(move |v| {
                format!(
                    "{} {} {} {}",
                    d["date"].as_str().unwrap(),
                    v["cause"].as_str().unwrap(),
                    v["amount"]["amount"].as_str().unwrap(),
                    v["bank_reference"].as_str().unwrap(),
                )
            })
        })
        .collect();
    assert_eq!(
        variances,
        [
            "2026-07-01 timing 2500.50 R-002",
            "2026-07-02 currency 10.00 EUR-1",
            "2026-07-02 not_on_statement 75.00 HAND-1",
            "2026-07-02 held_out -0.35 R-005",
            "2026-07-02 returned_item 40.00 R-007",
            "2026-07-02 amount_difference 20.00 WIRE-77",
            "2026-07-02 timing -2500.50 R-002",
            "2026-07-03 held_out -0.16 R-008",
        ],
        "{recon}"
    );
    let totals: Vec<String> = recon["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {} posted {} statement {} -{} difference {} variances {}",
                t["bank_account"].as_str().unwrap(),
                t["currency"].as_str().unwrap(),
                t["posted_receipts"]["amount"].as_str().unwrap(),
                t["statement_credits"]["amount"].as_str().unwrap(),
                t["statement_returns"]["amount"].as_str().unwrap(),
                t["difference"]["amount"].as_str().unwrap(),
                t["variances"],
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            "OPERATING EUR posted 10.00 statement 0.00 -0.00 difference 10.00 variances 1",
            "OPERATING USD posted 5305.49 statement 5211.00 -40.00 difference 134.49 variances 7",
        ],
        "{recon}"
    );
    // One day only: the line booked on 2 July pairs with its payment of 1 July outside the range.
    let day = db.ok(&[
        "report",
        "bank-reconciliation",
        "--bank-account",
        "OPERATING",
        "--from",
        "2026-07-03",
        "--to",
        "2026-07-03",
        "--format",
        "csv",
    ]);
    assert_eq!(
        day,
        "record,bank_account,date,currency,statement,opening,credits,debits,closing,posted_receipts,posted_returns,statement_credits,statement_returns,difference,status,cause,amount,bank_ref,payment_id,detail\n\
         statement,OPERATING,2026-07-03,USD,STMT-0703,6158.84,0.16,0.00,6160.00,,,,,1.00,out_of_balance,,,,,\n\
         day,OPERATING,2026-07-03,USD,,,,,,0.00,0.00,0.16,0.00,-0.16,variances,,,,,\n\
         variance,OPERATING,2026-07-03,USD,,,,,,,,,,,,held_out,-0.16,R-008,,\"transfer credit, not posted to A/R\"\n\
         total,OPERATING,,USD,,,,,,0.00,0.00,0.16,0.00,-0.16,,,,,,\n"
    );
    let table = db.ok(&["report", "bank-reconciliation"]);
    assert!(
        table.contains("amount_difference") && table.contains("out_of_balance"),
        "{table}"
    );
    let unknown = db.fails(&["report", "bank-reconciliation", "--bank-account", "NOPE"]);
    assert!(unknown.contains("NOPE"), "{unknown}");

    // Matching: 7 payments; R-001 applied in full automatically; R-002's automatic application
    // undone (1 of 2 automatic applications) and made by hand; R-003 by an accepted suggestion;
    // R-004 (rejected) and the three posted by hand unapplied. Invoices paid from statement
    // cash: A-1001 (automatic, closed), A-1002 (by hand), A-1003 (suggestion). Days from value
    // date to application: 0 (A-1001), 4 (A-1002), 0 (A-1003).
    let csv = db.ok(&["report", "matching", "--by", "customer", "--format", "csv"]);
    assert_eq!(
        csv,
        "group,payments,applied_in_full_auto,applied_in_full_auto_of,applied_in_full_auto_percent,applied_auto,applied_auto_of,applied_auto_percent,by_accepted_suggestion,by_accepted_suggestion_of,by_accepted_suggestion_percent,by_hand,by_hand_of,by_hand_percent,unapplied,unapplied_of,unapplied_percent,invoices_closed_auto,invoices_closed_auto_of,invoices_closed_auto_percent,auto_undone,auto_undone_of,auto_undone_percent,applications_timed,median_days,p90_days\n\
         (unidentified),1,0,1,0.0,0,1,0.0,0,1,0.0,0,1,0.0,1,1,100.0,0,0,,0,0,,0,,\n\
         ACME,4,1,4,25.0,1,4,25.0,1,4,25.0,1,4,25.0,1,4,25.0,1,3,33.3,1,2,50.0,3,0,4\n\
         BETA,1,0,1,0.0,0,1,0.0,0,1,0.0,0,1,0.0,1,1,100.0,0,0,,0,0,,0,,\n\
         MULL,1,0,1,0.0,0,1,0.0,0,1,0.0,0,1,0.0,1,1,100.0,0,0,,0,0,,0,,\n\
         ALL,7,1,7,14.3,1,7,14.3,1,7,14.3,1,7,14.3,4,7,57.1,1,3,33.3,1,2,50.0,3,0,4\n"
    );
    let by_rule = db.json(&["report", "matching", "--by", "rule"]);
    let groups: Vec<String> = by_rule["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            format!(
                "{} {} auto {} undone {}/{}",
                g["group"].as_str().unwrap(),
                g["payments"],
                g["applied_automatically"]["count"],
                g["automatic_applications_undone"]["count"],
                g["automatic_applications_undone"]["of"],
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            "amount-unique 1 auto 0 undone 0/0",
            "payer-only 3 auto 0 undone 0/0",
            "reference-exact-amount 3 auto 1 undone 1/2",
        ],
        "{by_rule}"
    );
    let total = &by_rule["total"];
    assert_eq!(total["group"], "ALL");
    assert_eq!(total["applied_in_full_automatically"]["percent"], "14.3");
    assert_eq!(total["automatic_applications_undone"]["percent"], "50.0");
    assert_eq!(total["days_to_application_median"], 0);
    assert_eq!(total["days_to_application_p90"], 4);
    // Payments received on 2 July only: R-002 (value date 1 July) is left out.
    let second = db.json(&[
        "report",
        "matching",
        "--from",
        "2026-07-02",
        "--to",
        "2026-07-02",
        "--by",
        "bank-account",
    ]);
    assert_eq!(second["groups"][0]["group"], "OPERATING", "{second}");
    let total = &second["total"];
    assert_eq!(total["payments"], 6, "{second}");
    assert_eq!(total["applied_by_hand"]["count"], 0, "{second}");
    assert_eq!(total["automatic_applications_undone"]["of"], 1, "{second}");
    assert_eq!(total["invoices_closed_automatically"]["of"], 2, "{second}");
    assert_eq!(total["days_to_application_p90"], 0, "{second}");
    db.ok(&["verify"]);
}

/// Posts a payment from a payer not identified yet, as a bank would show it.
fn post_unidentified(
    db: &Backend,
    reference: &str,
    amount: &str,
    date: &str,
    payer: (&str, &str),
    memo: &str,
) {
    db.ok(&[
        "payment",
        "post",
        "--amount",
        amount,
        "--currency",
        "USD",
        "--date",
        date,
        "--reference",
        reference,
        "--payer-name",
        payer.0,
        "--payer-account",
        payer.1,
        "--memo",
        memo,
    ]);
}

/// The outcome of one bank reference in a `match --format json` report.
fn outcome_of(report: &serde_json::Value, reference: &str) -> serde_json::Value {
    report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["bank_reference"] == reference)
        .unwrap_or_else(|| panic!("no outcome for {reference}: {report}"))
        .clone()
}

fn clerks_teach_the_matcher_aliases_habits_and_payers(db: &Backend) {
    db.load_fixture();
    const ROADRUNNER: (&str, &str) = ("Roadrunner Supplies", "11112222");
    // A payer nobody knows cites an invoice without its prefix: only a proposal.
    post_unidentified(
        db,
        "P-1",
        "999.99",
        "2026-06-01",
        ROADRUNNER,
        "INVOICE 1003",
    );
    let first = outcome_of(&db.json(&["match"]), "P-1");
    assert_eq!(first["decision"], "suggest", "{first}");
    let accepted = db.ok(&["apply", "--accept", &first["decision_id"].to_string()]);
    assert!(
        accepted.contains("learned: payer name \"Roadrunner Supplies\" is an alias of ACME"),
        "{accepted}"
    );
    assert!(
        accepted.contains("learned: customer ACME writes invoice numbers without prefix 'A-'"),
        "{accepted}"
    );
    // The same payer the same way: known account, alias and habit apply it, and say so.
    post_unidentified(
        db,
        "P-2",
        "2500.50",
        "2026-06-05",
        ROADRUNNER,
        "INVOICE 1002",
    );
    let second = outcome_of(&db.json(&["match"]), "P-2");
    assert_eq!(second["decision"], "auto", "{second}");
    assert_eq!(second["allocations"][0]["number"], "A-1002");
    let explained = db.ok(&["match", "--explain", "P-2"]);
    for learned in [
        "learned: account 11112222 paid for ACME before",
        "learned: payer name \"Roadrunner Supplies\" is an alias of ACME",
        "learned: customer ACME writes invoice numbers without prefix 'A-' (1 earlier payment)",
    ] {
        assert!(explained.contains(learned), "{learned}: {explained}");
    }

    // A clerk's own application of an unidentified payment identifies the payer and teaches.
    post_unidentified(
        db,
        "P-3",
        "500.00",
        "2026-06-06",
        ("Coyote Partners", "55556666"),
        "PO-77",
    );
    let applied = db.ok(&[
        "apply",
        "--payment",
        "3",
        "--invoice",
        "A-1001",
        "--date",
        "2026-06-06",
    ]);
    assert!(
        applied.contains("learned: payer name \"Coyote Partners\" is an alias of ACME")
            && applied.contains("learned: customer ACME cites purchase-order numbers"),
        "{applied}"
    );
    post_unidentified(
        db,
        "P-4",
        "580.00",
        "2026-06-07",
        ("", "55556666"),
        "THANK YOU",
    );
    let by_account = outcome_of(&db.json(&["match"]), "P-4");
    assert_eq!(by_account["customer"], "ACME", "{by_account}");
    assert_eq!(
        by_account["allocations"][0]["number"], "A-1001",
        "{by_account}"
    );
    let explained = db.ok(&["match", "--explain", "P-4"]);
    assert!(
        explained.contains("learned: account 55556666 paid for ACME"),
        "{explained}"
    );

    let rules = db.json(&["rules", "list", "--customer", "ACME"]);
    let kinds: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "payer-alias",
            "without-prefix",
            "payer-alias",
            "purchase-order"
        ],
        "{rules}"
    );
    assert!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "enabled" && r["source"] == "learned")
    );

    // A payment a clerk applied to another invoice than it cites: a trial reports it.
    post_unidentified(db, "P-5", "100.00", "2026-07-20", ROADRUNNER, "A-1005");
    let p5 = outcome_of(&db.json(&["match", "--dry-run"]), "P-5");
    let payment = p5["payment_id"].to_string();
    db.ok(&[
        "apply",
        "--payment",
        &payment,
        "--invoice",
        "A-1004",
        "--date",
        "2026-07-20",
    ]);

    // A user's alias on trial: ignored by matching until enabled; tried on the past first.
    let alias = db.json(&[
        "customer",
        "alias",
        "add",
        "ACME",
        "Wile E Trading",
        "--trial",
    ]);
    assert_eq!(alias["status"], "trial", "{alias}");
    let id = alias["id"].to_string();
    let listed = db.json(&["customer", "alias", "list", "ACME"]);
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    let trial = db.json(&["rules", "try", &id]);
    assert_eq!(trial["replayed"], 5, "{trial}");
    assert_eq!(trial["using_rule"], 0, "{trial}");
    let differing: Vec<&str> = trial["differing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["bank_reference"].as_str().unwrap())
        .collect();
    assert_eq!(differing, ["P-5"], "{trial}");
    assert_eq!(trial["differing"][0]["booked"][0], "A-1004", "{trial}");
    assert_eq!(trial["differing"][0]["proposed"][0], "A-1005", "{trial}");
    let table = db.ok(&["rules", "try", &id]);
    assert!(
        table.contains("5 applied payment(s) replayed") && table.contains("P-5"),
        "{table}"
    );
    assert_eq!(db.json(&["rules", "enable", &id])["status"], "enabled");
    assert_eq!(db.json(&["rules", "disable", &id])["status"], "disabled");
    let refused = db.fails(&["customer", "alias", "add", "BETA", "Roadrunner Supplies"]);
    assert!(refused.contains("another customer's alias"), "{refused}");
    let missing = db.fails(&["rules", "enable", "999"]);
    assert!(missing.contains("rule 999 not found"), "{missing}");
    let elsewhere = db.fails(&["customer", "alias", "remove", "BETA", "Wile E Trading"]);
    assert!(
        elsewhere.contains("alias \"Wile E Trading\" of customer \"BETA\" not found"),
        "{elsewhere}"
    );
    db.ok(&["customer", "alias", "remove", "ACME", "Wile E Trading"]);

    // A habit a user enters on trial counts only once enabled.
    let habit = db.json(&[
        "rules",
        "add-habit",
        "BETA",
        "--without-prefix",
        "B-",
        "--trial",
    ]);
    assert_eq!(habit["status"], "trial", "{habit}");
    assert_eq!(habit["kind"], "without-prefix", "{habit}");
    let habit_id = habit["id"].to_string();
    post_unidentified(
        db,
        "P-6",
        "3333.33",
        "2026-07-01",
        ("Unknown Payer", "31313131"),
        "INVOICE 2002",
    );
    let uses_habit = |report: &serde_json::Value| {
        outcome_of(report, "P-6")["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["rule"] == habit["id"])
    };
    assert!(!uses_habit(&db.json(&["match", "--dry-run"])));
    db.ok(&["rules", "enable", &habit_id]);
    let report = db.json(&["match", "--dry-run"]);
    assert!(uses_habit(&report), "{report}");
    assert!(
        report
            .to_string()
            .contains("without prefix 'B-' (entered by a user)"),
        "{report}"
    );
    let twice = db.fails(&["rules", "add-habit", "ACME", "--without-prefix", "A-"]);
    assert!(twice.contains("has that habit already"), "{twice}");
    let bad = db.fails(&["rules", "add-habit", "BETA", "--without-prefix", "2026"]);
    assert!(
        bad.contains("without-prefix: \"2026\" is not an invoice-number prefix"),
        "{bad}"
    );
    assert_eq!(
        db.json(&["customer", "alias", "list", "ACME"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    db.ok(&["verify"]);
}

fn a_rejected_pairing_is_not_proposed_again(db: &Backend) {
    db.load_fixture();
    const PAYROLL: (&str, &str) = ("Payroll Services", "99990000");
    // Only the amount points anywhere: A-1004 is the one item owing it.
    post_unidentified(db, "R-1", "150.00", "2026-06-26", PAYROLL, "THANK YOU");
    let first = outcome_of(&db.json(&["match"]), "R-1");
    assert_eq!(first["decision"], "suggest", "{first}");
    assert_eq!(first["rule"], "amount-alone", "{first}");
    let rejected = db.ok(&["apply", "--reject", &first["decision_id"].to_string()]);
    assert!(
        rejected.contains("learned: payer account 99990000 is not customer ACME"),
        "{rejected}"
    );
    // The same payer again: the pairing is not proposed again, and the evidence says why.
    post_unidentified(db, "R-2", "150.00", "2026-06-28", PAYROLL, "THANK YOU");
    let second = outcome_of(&db.json(&["match"]), "R-2");
    assert_eq!(second["decision"], "unapplied", "{second}");
    let explained = db.ok(&["match", "--explain", "R-2"]);
    assert!(
        explained.contains("learned: a clerk rejected payer account 99990000 as customer ACME"),
        "{explained}"
    );
    // Another payer with the same amount is still proposed.
    post_unidentified(
        db,
        "R-3",
        "150.00",
        "2026-06-28",
        ("Someone Else", "12121212"),
        "THANK YOU",
    );
    assert_eq!(
        outcome_of(&db.json(&["match"]), "R-3")["decision"],
        "suggest"
    );
    // Switched off, the rejection no longer counts.
    let rules = db.json(&["rules", "list"]);
    for rule in rules.as_array().unwrap() {
        assert_eq!(rule["kind"], "rejected-pairing", "{rules}");
        db.ok(&["rules", "disable", &rule["id"].to_string()]);
    }
    let dry = db.json(&["match", "--dry-run"]);
    assert!(
        dry["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["bank_reference"] != "R-2" || o["decision"] == "suggest"),
        "{dry}"
    );
}

fn deductions_open_disputes_and_duplicates_wait_for_a_person(db: &Backend) {
    db.load_fixture();
    const BETA: (&str, &str) = ("Beta Logistics", "77778888");
    // Short of B-2002's 3,333.33 by far more than a fee: applied, the rest disputed.
    post_unidentified(db, "D-1", "3000.00", "2026-06-10", BETA, "B-2002");
    let short = outcome_of(&db.json(&["match"]), "D-1");
    assert_eq!(short["decision"], "auto", "{short}");
    assert_eq!(short["rule"], "reference-short-pay", "{short}");
    let customer = db.json(&["customer", "show", "BETA"]);
    let disputes = customer["disputes"].as_array().unwrap();
    assert_eq!(disputes.len(), 1, "{customer}");
    assert_eq!(disputes[0]["item"], "B-2002");
    assert_eq!(disputes[0]["amount"]["amount"], "333.33");
    assert_eq!(disputes[0]["reason"], "deduction");
    assert_eq!(disputes[0]["status"], "open");
    assert_eq!(disputes[0]["decision_id"], short["decision_id"]);
    let table = db.ok(&["customer", "show", "BETA"]);
    assert!(
        table.contains("Open disputes") && table.contains("deduction"),
        "{table}"
    );

    // The same money again two days later: not applied on its own, whatever its score.
    post_unidentified(db, "D-2", "3000.00", "2026-06-12", BETA, "B-2002");
    let again = outcome_of(&db.json(&["match"]), "D-2");
    assert_eq!(again["decision"], "suggest", "{again}");
    let explained = db.ok(&["match", "--explain", "D-2"]);
    assert!(
        explained.contains("possible duplicate of payment 1 (bank ref D-1, received 2026-06-10)"),
        "{explained}"
    );
    // Refusing the duplicate says nothing against the payer.
    let rejected = db.ok(&["apply", "--reject", &again["decision_id"].to_string()]);
    assert!(!rejected.contains("learned"), "{rejected}");
    assert_eq!(db.json(&["rules", "list"]), serde_json::json!([]));
    // Another amount from the same payer is a payment like any other.
    post_unidentified(db, "D-3", "0.01", "2026-06-12", BETA, "B-2003");
    assert_eq!(outcome_of(&db.json(&["match"]), "D-3")["decision"], "auto");
    db.ok(&["verify"]);
}

fn a_parent_pays_its_subsidiaries_invoices(db: &Backend) {
    db.ok(&["init"]);
    // A parent must be stored or in the file, and nobody is its own ancestor.
    let bad = db.file(
        "bad-groups.csv",
        "customer_id,name,currency,parent_id\n\
         LOOP1,Loop One,USD,LOOP2\n\
         LOOP2,Loop Two,USD,LOOP1\n\
         LOST,Lost Ltd,USD,NOBODY\n",
    );
    let error = db.fails(&["import", "customers", &bad]);
    assert!(
        error.contains("bad-groups.csv:4: parent_id") && error.contains("NOBODY"),
        "{error}"
    );
    assert!(
        error.contains("bad-groups.csv:2: parent_id") && error.contains("own ancestor"),
        "{error}"
    );
    // Subsidiaries may come before their parent in the file.
    let customers = db.file(
        "groups.csv",
        "customer_id,name,currency,parent_id\n\
         NORTH,North Trading Ltd,USD,HOLD\n\
         SOUTH,South Supplies Inc,USD,HOLD\n\
         HOLD,Holding Group AG,USD,\n",
    );
    db.ok(&["import", "customers", &customers]);
    db.ok(&[
        "customer",
        "add",
        "WEST",
        "--name",
        "West Retail",
        "--parent",
        "HOLD",
    ]);
    let error = db.fails(&[
        "customer", "add", "EAST", "--name", "East", "--parent", "NOBODY",
    ]);
    assert!(error.contains("NOBODY"), "{error}");
    let invoices = db.file(
        "group-invoices.csv",
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n\
         NT-1001,NORTH,2026-06-01,2026-07-01,USD,1200.00,0.00,,Goods\n\
         SS-2001,SOUTH,2026-06-03,2026-07-03,USD,2300.00,0.00,,Goods\n\
         HG-5001,HOLD,2026-06-05,2026-07-05,USD,9000.00,0.00,,Services\n",
    );
    db.ok(&["import", "invoices", &invoices]);

    // The parent wires one payment under its own name citing both subsidiaries' invoices.
    post_unidentified(
        db,
        "GRP-001",
        "3500.00",
        "2026-06-20",
        ("HOLDING GROUP AG", "DE02120300000000202051"),
        "NT-1001 SS-2001",
    );
    let report = db.json(&["match"]);
    let outcome = outcome_of(&report, "GRP-001");
    assert_eq!(outcome["decision"], "auto", "{outcome}");
    assert_eq!(outcome["customer"], "HOLD", "{outcome}");
    let applied: Vec<&str> = outcome["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_str().unwrap())
        .collect();
    assert_eq!(applied, ["NT-1001", "SS-2001"], "{outcome}");
    let explained = db.ok(&["match", "--explain", "GRP-001"]);
    assert!(
        explained.contains("paid by its parent HOLD (group of NORTH, SOUTH)"),
        "{explained}"
    );

    // Each subsidiary's invoice is paid; the cash was the parent's, and none is left over.
    for code in ["NORTH", "SOUTH"] {
        let view = db.json(&["customer", "show", code]);
        assert_eq!(view["open_items"].as_array().unwrap().len(), 0, "{view}");
        assert_eq!(view["parent"], "HOLD", "{view}");
    }
    let holding = db.json(&["customer", "show", "HOLD"]);
    let children: Vec<&str> = holding["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["NORTH", "SOUTH", "WEST"], "{holding}");
    assert_eq!(holding["unapplied_payments"].as_array().unwrap().len(), 0);
    assert_eq!(holding["open_items"].as_array().unwrap().len(), 1);
    let shown = db.ok(&["customer", "show", "HOLD"]);
    assert!(shown.contains("subsidiaries: NORTH"), "{shown}");
    let aging = aging_csv(db, "2026-06-30");
    assert!(!aging.contains("NORTH,"), "{aging}");
    assert!(!aging.contains("SOUTH,"), "{aging}");
    db.ok(&["verify"]);
}
