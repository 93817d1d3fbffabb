//! Many clients at once on one database: clerks at different desks applying the same
//! payment, crediting the same invoice, unapplying, importing the same file.
//!
//! Threads (each with its own connection pool, released together by a barrier) and separate
//! `settle` processes race over the same rows. Whatever the interleaving, what the clients
//! were told must add up to what the books hold: every application a client was told of is in
//! the books exactly once, nothing is applied beyond a payment's cash or an invoice's balance,
//! every refusal is a refusal in words (or a "try it again" after repeated conflicts), and the
//! ledger check finds nothing. A property test draws the operations and the pauses between
//! them, so each case interleaves differently. Every scenario runs on SQLite and PostgreSQL.

#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod support;

use std::collections::HashMap;
use std::process::{Output, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use jiff::civil::{Date, date};
use proptest::prelude::*;

use settle_core::Currency;
use settle_core::customer::NewCustomer;
use settle_core::document::ItemKind;
use settle_core::events::{DiscountPolicy, Rejection};
use settle_core::ids::{ApplicationId, PaymentId};
use settle_core::payment::PaymentMethod;
use settle_core::reason::ReasonCode;
use settle_core::terms::PaymentTerms;
use settle_service::import::ImportOptions;
use settle_service::{
    ApplyRequest, ApplySource, InvoiceRequest, MemoRequest, PaymentRequest, ServiceError, Settle,
};

use support::{Backend, block_on};

on_both_engines!(
    many_clerks_apply_one_payment,
    credit_memos_race_for_one_invoice,
    one_file_imported_by_many_at_once,
    processes_apply_one_payment,
    processes_credit_one_invoice,
    processes_import_one_file,
);

mod interleavings {
    #[test]
    fn sqlite() {
        super::random_interleavings(super::Backend::sqlite);
    }

    #[test]
    fn postgres() {
        super::random_interleavings(super::Backend::postgres);
    }
}

const ISSUED: Date = date(2026, 3, 2);
const PAID: Date = date(2026, 3, 20);

/// An amount in dollars as a clerk types it.
fn text(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

async fn open(db: &Backend) -> Settle {
    Settle::open(&db.url, "MAIN").await.expect("open")
}

/// Books for the races: customer C1 with invoices INV-0… of `invoice` each, and payments of
/// `payment` each. Returns the payments' ids.
async fn books(db: &Backend, invoices: usize, invoice: i64, payments: &[i64]) -> Vec<PaymentId> {
    let (settle, _) = Settle::init(&db.url, "MAIN", "Races", Currency::USD)
        .await
        .expect("init");
    settle
        .create_customer(
            NewCustomer::new(
                "C1",
                "Client One",
                Currency::USD,
                PaymentTerms::Net { days: 30 },
            ),
            None,
        )
        .await
        .expect("customer");
    for number in 0..invoices {
        settle
            .create_invoice(
                InvoiceRequest {
                    customer: "C1".into(),
                    number: format!("INV-{number}"),
                    issue_date: ISSUED,
                    due_date: None,
                    currency: None,
                    lines: vec![("work".into(), text(invoice), text(0))],
                    po_number: String::new(),
                    description: String::new(),
                },
                None,
            )
            .await
            .expect("invoice");
    }
    let mut ids = Vec::new();
    for (index, amount) in payments.iter().enumerate() {
        let posted = settle
            .post_payment(
                PaymentRequest {
                    customer: Some("C1".into()),
                    amount: text(*amount),
                    currency: None,
                    received_on: PAID,
                    method: PaymentMethod::Wire,
                    bank_reference: format!("WIRE-{index}"),
                    bank_account: "OPERATING".into(),
                    payer_name: String::new(),
                    payer_account: String::new(),
                    memo: String::new(),
                },
                None,
            )
            .await
            .expect("payment");
        ids.push(posted.value.payment_id);
    }
    settle.close().await;
    ids
}

/// Runs `client(index, settle)` on `clients` threads at once, each with its own pool, released
/// together by a barrier.
fn race<T: Send + 'static>(
    db: &Backend,
    clients: usize,
    client: impl AsyncFn(usize, &Settle) -> T + Send + Sync + Clone + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(clients));
    let handles: Vec<_> = (0..clients)
        .map(|index| {
            let barrier = barrier.clone();
            let location = db.url.clone();
            let client = client.clone();
            std::thread::spawn(move || {
                block_on(async move {
                    let settle = Settle::open(&location, "MAIN").await.expect("open");
                    barrier.wait();
                    let result = client(index, &settle).await;
                    settle.close().await;
                    result
                })
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect()
}

/// What a refused operation may say under contention: a refusal about the money, or "try it
/// again" after every attempt lost. Anything else is a failure of the test.
fn expected_refusal(error: &ServiceError) -> bool {
    matches!(
        error,
        ServiceError::Rejected(
            Rejection::ExceedsOpenAmount { .. }
                | Rejection::ExceedsUnapplied { .. }
                | Rejection::NothingOpen { .. }
        ) | ServiceError::Contended { .. }
    )
}

async fn open_on(settle: &Settle, number: &str) -> i64 {
    let mut tx = settle.store().begin().await.expect("tx");
    let item = tx
        .item_by_number(settle.entity().id, None, number)
        .await
        .expect("read")
        .expect("item");
    item.balance.minor()
}

async fn unapplied_of(settle: &Settle, payment: PaymentId) -> i64 {
    let mut tx = settle.store().begin().await.expect("tx");
    tx.payment_by_id(settle.entity().id, payment)
        .await
        .expect("read")
        .expect("payment")
        .unapplied
        .minor()
}

async fn assert_books_clean(settle: &Settle) {
    let report = settle.verify().await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

fn apply_request(payment: PaymentId, invoice: &str, minor: i64) -> ApplyRequest {
    ApplyRequest {
        source: ApplySource::Payment(payment),
        invoice: invoice.to_string(),
        amount: Some(text(minor)),
        date: PAID,
        discount: DiscountPolicy::Never,
    }
}

/// A credit memo of C1's, applied at once to `invoice`.
fn credit_memo(number: &str, minor: i64, invoice: &str) -> MemoRequest {
    MemoRequest {
        kind: ItemKind::CreditMemo,
        customer: "C1".into(),
        number: Some(number.to_string()),
        amount: text(minor),
        tax: None,
        currency: None,
        reason: ReasonCode::Pricing,
        date: PAID,
        due_date: None,
        description: String::new(),
        apply_to: Some(invoice.to_string()),
    }
}

/// Six clerks each apply 20.00 of one 250.00 payment eight times, over four invoices of 100.00:
/// 960.00 asked for, 250.00 there. Exactly twelve applications can succeed (the payment runs
/// out before any invoice fills up), and the books must show exactly those twelve.
fn many_clerks_apply_one_payment(db: &Backend) {
    let payment = block_on(books(db, 4, 100_00, &[250_00]))[0];
    let outcomes = race(db, 6, async move |clerk, settle| {
        let mut outcomes = Vec::new();
        for round in 0..8 {
            let invoice = format!("INV-{}", (clerk + round) % 4);
            let outcome = settle
                .apply(apply_request(payment, &invoice, 20_00), None)
                .await
                .map(|applied| (invoice, applied.value.amount.minor()));
            outcomes.push(outcome);
        }
        outcomes
    });
    let mut applied: HashMap<String, i64> = HashMap::new();
    let mut contended = 0;
    for outcome in outcomes.into_iter().flatten() {
        match outcome {
            Ok((invoice, minor)) => *applied.entry(invoice).or_default() += minor,
            Err(error) => {
                assert!(expected_refusal(&error), "unexpected error: {error}");
                contended += usize::from(matches!(error, ServiceError::Contended { .. }));
            }
        }
    }
    let total: i64 = applied.values().sum();
    assert!(total <= 250_00, "over-applied: {total}");
    if contended == 0 {
        assert_eq!(total, 240_00, "every application that fitted was made");
    }
    block_on(async {
        let settle = open(db).await;
        assert_eq!(unapplied_of(&settle, payment).await, 250_00 - total);
        for number in 0..4 {
            let invoice = format!("INV-{number}");
            let told = applied.get(&invoice).copied().unwrap_or(0);
            assert_eq!(open_on(&settle, &invoice).await, 100_00 - told, "{invoice}");
        }
        assert_books_clean(&settle).await;
    });
}

/// Six clerks each issue four credit memos of 15.00 against one invoice of 100.00, applied at
/// once. A memo applies what is still open: six apply 15.00, a seventh the last 10.00 and keeps
/// 5.00 of credit, and the rest are refused whole, since the invoice has nothing open (no memo
/// is left issued without its application). The invoice's balance must equal 100.00 less the
/// credit the clerks were told of.
fn credit_memos_race_for_one_invoice(db: &Backend) {
    block_on(books(db, 1, 100_00, &[]));
    let outcomes = race(db, 6, async |clerk, settle| {
        let mut outcomes = Vec::new();
        for round in 0..4 {
            let request = credit_memo(&format!("CM-{clerk}-{round}"), 15_00, "INV-0");
            outcomes.push(settle.issue_memo(request, None).await.map(|issued| {
                let issued = issued
                    .value
                    .into_posted()
                    .expect("no approval limit is set");
                let applied = issued.application.expect("applied at once");
                (issued.number, applied.amount.minor())
            }));
        }
        outcomes
    });
    let mut issued = Vec::new();
    let mut contended = 0;
    for outcome in outcomes.into_iter().flatten() {
        match outcome {
            Ok(memo) => issued.push(memo),
            Err(error) => {
                assert!(expected_refusal(&error), "unexpected error: {error}");
                contended += usize::from(matches!(error, ServiceError::Contended { .. }));
            }
        }
    }
    let credited: i64 = issued.iter().map(|(_, minor)| minor).sum();
    assert!(credited <= 100_00, "over-credited: {credited}");
    if contended == 0 {
        assert_eq!(credited, 100_00, "the invoice was credited in full");
        assert_eq!(issued.len(), 7, "six memos in full and one in part");
    }
    block_on(async {
        let settle = open(db).await;
        assert_eq!(open_on(&settle, "INV-0").await, 100_00 - credited);
        for (number, applied) in &issued {
            assert_eq!(
                open_on(&settle, number).await,
                -(15_00 - applied),
                "{number} keeps what it did not apply"
            );
        }
        assert_books_clean(&settle).await;
    });
}

/// Four clients import the same invoices.csv at once and two more import the same invoices in
/// another order: the invoices are stored once, one import stores them, the others are told
/// the file was imported already or that its rows are duplicates.
fn one_file_imported_by_many_at_once(db: &Backend) {
    block_on(books(db, 0, 0, &[]));
    let rows: Vec<String> = (0..300)
        .map(|n| format!("C1,IMP-{n},2026-03-02,2026-04-01,USD,{}.00,0.00,,", 10 + n))
        .collect();
    let header = "customer_id,invoice_number,issue_date,due_date,currency,amount,tax_amount,po_number,description";
    let forward = db.dir.join("invoices.csv");
    let backward = db.dir.join("invoices-reversed.csv");
    std::fs::write(&forward, format!("{header}\n{}\n", rows.join("\n"))).expect("file");
    let reversed: Vec<&String> = rows.iter().rev().collect();
    let reversed: Vec<&str> = reversed.iter().map(|r| r.as_str()).collect();
    std::fs::write(&backward, format!("{header}\n{}\n", reversed.join("\n"))).expect("file");
    let files = Arc::new([forward, backward]);
    let reports = race(db, 6, async move |client, settle| {
        let file = &files[usize::from(client >= 4)];
        settle
            .import_invoices(file, ImportOptions::default(), &|_, _| {})
            .await
    });
    let mut stored = 0;
    let mut duplicates = 0;
    let mut already = 0;
    for report in reports {
        let report = report.unwrap_or_else(|error| panic!("import failed: {error}"));
        stored += report.stored;
        duplicates += report.duplicates;
        already += u64::from(report.already_imported.is_some());
    }
    assert_eq!(stored, 300, "each invoice stored once");
    // Of six imports one stored the rows; each other import of the same bytes was told so, and
    // the first import of the other file found all its rows stored.
    assert_eq!(already, 4, "imports of a file already imported");
    assert_eq!(duplicates, 300, "the other file's rows, all duplicates");
    block_on(async {
        let settle = open(db).await;
        let open = settle
            .store()
            .open_item_count(settle.entity().id)
            .await
            .expect("count");
        assert_eq!(open, 300);
        assert_books_clean(&settle).await;
    });
}

/// One client's step in a random interleaving.
#[derive(Debug, Clone)]
enum Step {
    Apply {
        payment: usize,
        invoice: usize,
        cents: i64,
    },
    /// Unapplies this client's `nth` successful application still standing, if any.
    Unapply {
        nth: usize,
    },
    Memo {
        invoice: usize,
        cents: i64,
    },
    Pause {
        micros: u64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..2usize, 0..3usize, 1..60i64).prop_map(|(payment, invoice, dollars)| Step::Apply {
            payment,
            invoice,
            cents: dollars * 100,
        }),
        1 => (0..4usize).prop_map(|nth| Step::Unapply { nth }),
        2 => (0..3usize, 1..40i64).prop_map(|(invoice, dollars)| Step::Memo {
            invoice,
            cents: dollars * 100,
        }),
        2 => (0..3000u64).prop_map(|micros| Step::Pause { micros }),
    ]
}

/// What one client was told.
#[derive(Debug, Default)]
struct Told {
    /// Applications made and not unapplied: (application, payment index, invoice, amount).
    standing: Vec<(ApplicationId, usize, usize, i64)>,
    /// Credit applied to each invoice by this client's memos.
    memos: HashMap<usize, i64>,
}

/// Three clients run random steps at once against two payments of 150.00 and three invoices of
/// 100.00; after each case, every payment's unapplied cash and every invoice's balance equal
/// what the clients were told, and the ledger check is clean.
fn random_interleavings(engine: fn() -> Backend) {
    let cases = std::env::var("SETTLE_INTERLEAVING_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let clients = proptest::collection::vec(proptest::collection::vec(step(), 1..10), 3);
    proptest!(config, |(plans in clients)| {
        let db = engine();
        let payments = block_on(books(&db, 3, 100_00, &[150_00, 150_00]));
        let plans = Arc::new(plans);
        let told = race(&db, 3, {
            let payments = payments.clone();
            async move |client, settle| run_client(settle, client, &plans[client], &payments).await
        });
        block_on(async {
            let settle = open(&db).await;
            for (index, payment) in payments.iter().enumerate() {
                let applied: i64 = told
                    .iter()
                    .flat_map(|t| &t.standing)
                    .filter(|(_, p, _, _)| *p == index)
                    .map(|(_, _, _, minor)| minor)
                    .sum();
                assert_eq!(unapplied_of(&settle, *payment).await, 150_00 - applied, "payment {index}");
            }
            for invoice in 0..3 {
                let cash: i64 = told
                    .iter()
                    .flat_map(|t| &t.standing)
                    .filter(|(_, _, i, _)| *i == invoice)
                    .map(|(_, _, _, minor)| minor)
                    .sum();
                let credit: i64 = told.iter().filter_map(|t| t.memos.get(&invoice)).sum();
                let open = open_on(&settle, &format!("INV-{invoice}")).await;
                assert_eq!(open, 100_00 - cash - credit, "INV-{invoice}");
                assert!(open >= 0);
            }
            assert_books_clean(&settle).await;
        });
    });
}

async fn run_client(settle: &Settle, client: usize, plan: &[Step], payments: &[PaymentId]) -> Told {
    let mut told = Told::default();
    for (index, step) in plan.iter().enumerate() {
        match step {
            Step::Apply {
                payment,
                invoice,
                cents,
            } => {
                let request = apply_request(payments[*payment], &format!("INV-{invoice}"), *cents);
                match settle.apply(request, None).await {
                    Ok(applied) => told.standing.push((
                        applied.value.application_id,
                        *payment,
                        *invoice,
                        applied.value.amount.minor(),
                    )),
                    Err(error) => assert!(expected_refusal(&error), "{error}"),
                }
            }
            Step::Unapply { nth } => {
                if told.standing.is_empty() {
                    continue;
                }
                let at = nth % told.standing.len();
                let application = told.standing[at].0;
                match settle.unapply(application, PAID, None).await {
                    Ok(_) => {
                        told.standing.remove(at);
                    }
                    Err(error) => assert!(
                        matches!(error, ServiceError::Contended { .. }),
                        "unapplying our own application: {error}"
                    ),
                }
            }
            Step::Memo { invoice, cents } => {
                let request = credit_memo(
                    &format!("CM-{client}-{index}"),
                    *cents,
                    &format!("INV-{invoice}"),
                );
                match settle.issue_memo(request, None).await {
                    Ok(issued) => {
                        let issued = issued
                            .value
                            .into_posted()
                            .expect("no approval limit is set");
                        let applied = issued.application.expect("applied at once");
                        *told.memos.entry(*invoice).or_default() += applied.amount.minor();
                    }
                    Err(error) => assert!(expected_refusal(&error), "{error}"),
                }
            }
            Step::Pause { micros } => tokio::time::sleep(Duration::from_micros(*micros)).await,
        }
    }
    told
}

// ---- separate processes ----------------------------------------------------------------

/// Starts every command at once and waits for all of them.
fn at_once(db: &Backend, commands: &[Vec<String>]) -> Vec<Output> {
    let children: Vec<_> = commands
        .iter()
        .map(|args| {
            db.command(args)
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

fn books_by_cli(db: &Backend, invoices: usize) {
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

fn balance_shown(db: &Backend, number: &str) -> String {
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
    books_by_cli(db, 4);
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
    let open: Vec<String> = (0..4)
        .map(|n| balance_shown(db, &format!("INV-{n}")))
        .collect();
    let owed: i64 = open
        .iter()
        .map(|o| o.replace('.', "").parse::<i64>().expect("amount"))
        .sum();
    assert_eq!(owed, 400_00 - 240_00, "{open:?}");
    db.ok(&["verify"]);
}

/// Six processes each credit 30.00 against one invoice of 100.00, applied at once.
fn processes_credit_one_invoice(db: &Backend) {
    books_by_cli(db, 1);
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
    assert_eq!(balance_shown(db, "INV-0"), "0.00");
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
    books_by_cli(db, 0);
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
