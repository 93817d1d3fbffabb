//! Many clients at once on one database, each a thread with its own connection pool.
//!
//! Clerks apply the same payment, issue credit memos against the same invoice, unapply, and
//! import the same file, all at the same moment. Whatever the interleaving, what the clients
//! were told must add up to what the books hold: every application a client was told of is in
//! the books exactly once, nothing is applied beyond a payment's cash or an invoice's balance,
//! every refusal is a refusal in words (or a "try again" after repeated conflicts), and the
//! ledger check finds nothing. A property test draws the operations and the pauses between
//! them, so each case interleaves differently. Every scenario runs on SQLite and PostgreSQL.

#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
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

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const ISSUED: Date = date(2026, 3, 2);
const PAID: Date = date(2026, 3, 20);

static NEXT: AtomicU64 = AtomicU64::new(0);

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A fresh database of its own, dropped at the end: a SQLite file or a PostgreSQL database.
struct Db {
    location: String,
    dir: PathBuf,
    postgres: Option<String>,
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn admin_url() -> String {
    std::env::var("SETTLE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

async fn admin(statement: String) {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let url = admin_url();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} is unreachable (the PostgreSQL tests need it): {e}")
        });
    conn.execute(sqlx::AssertSqlSafe(statement))
        .await
        .expect("admin statement");
}

impl Db {
    fn sqlite() -> Db {
        let dir = std::env::temp_dir().join(unique("settle_concurrency"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Db {
            location: dir.join("settle.db").display().to_string(),
            dir,
            postgres: None,
        }
    }

    fn postgres() -> Db {
        let name = unique("settle_concurrency");
        block_on(admin(format!("CREATE DATABASE {name}")));
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Db {
            location: format!("{base}/{name}"),
            dir,
            postgres: Some(name),
        }
    }

    async fn open(&self) -> Settle {
        Settle::open(&self.location, "MAIN").await.expect("open")
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres {
            block_on(admin(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $scenario() { super::$scenario(super::Db::sqlite); } )*
        }
        mod postgres {
            $( #[test] fn $scenario() { super::$scenario(super::Db::postgres); } )*
        }
    };
}

on_both_engines!(
    many_clerks_apply_one_payment,
    credit_memos_race_for_one_invoice,
    one_file_imported_by_many_at_once,
    random_interleavings,
);

/// An amount in dollars as a clerk types it.
fn text(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Books for the races: customer C1 with invoices INV-0… of `invoice` each, and payments of
/// `payment` each. Returns the payments' ids.
async fn books(db: &Db, invoices: usize, invoice: i64, payments: &[i64]) -> Vec<PaymentId> {
    let (settle, _) = Settle::init(&db.location, "MAIN", "Races", Currency::USD)
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
    db: &Db,
    clients: usize,
    client: impl AsyncFn(usize, &Settle) -> T + Send + Sync + Clone + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(clients));
    let handles: Vec<_> = (0..clients)
        .map(|index| {
            let barrier = barrier.clone();
            let location = db.location.clone();
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

/// Six clerks each apply 20.00 of one 250.00 payment eight times, over four invoices of 100.00:
/// 960.00 asked for, 250.00 there. Exactly twelve applications can succeed (the payment runs
/// out before any invoice fills up), and the books must show exactly those twelve.
fn many_clerks_apply_one_payment(engine: fn() -> Db) {
    let db = engine();
    let payment = block_on(books(&db, 4, 100_00, &[250_00]))[0];
    let outcomes = race(&db, 6, async move |clerk, settle| {
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
        let settle = db.open().await;
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
fn credit_memos_race_for_one_invoice(engine: fn() -> Db) {
    let db = engine();
    block_on(books(&db, 1, 100_00, &[]));
    let outcomes = race(&db, 6, async |clerk, settle| {
        let mut outcomes = Vec::new();
        for round in 0..4 {
            let request = MemoRequest {
                kind: ItemKind::CreditMemo,
                customer: "C1".into(),
                number: Some(format!("CM-{clerk}-{round}")),
                amount: text(15_00),
                tax: None,
                currency: None,
                reason: ReasonCode::Pricing,
                date: PAID,
                due_date: None,
                description: String::new(),
                apply_to: Some("INV-0".into()),
            };
            outcomes.push(settle.issue_memo(request, None).await.map(|issued| {
                let applied = issued.value.application.expect("applied at once");
                (issued.value.number, applied.amount.minor())
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
        let settle = db.open().await;
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
fn one_file_imported_by_many_at_once(engine: fn() -> Db) {
    let db = engine();
    block_on(books(&db, 0, 0, &[]));
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
    let reports = race(&db, 6, async move |client, settle| {
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
        let settle = db.open().await;
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
fn random_interleavings(engine: fn() -> Db) {
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
            let settle = db.open().await;
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
                let request = MemoRequest {
                    kind: ItemKind::CreditMemo,
                    customer: "C1".into(),
                    number: Some(format!("CM-{client}-{index}")),
                    amount: text(*cents),
                    tax: None,
                    currency: None,
                    reason: ReasonCode::Pricing,
                    date: PAID,
                    due_date: None,
                    description: String::new(),
                    apply_to: Some(format!("INV-{invoice}")),
                };
                match settle.issue_memo(request, None).await {
                    Ok(issued) => {
                        let applied = issued.value.application.expect("applied at once");
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
