//! The real store against an independent model, under random operations.
//!
//! Random sequences of invoices, payments, applications, reversals, memos, adjustments,
//! write-offs and refunds go through the service onto a SQLite file. Then, for several as-of
//! dates, the aging Settle reports (summed inside the engine from kept balances) must equal the
//! aging the core computes from the raw journal (every posting re-summed by this test), and the
//! obvious one-query aging; and the ledger check (`verify`) must find nothing, after every
//! operation.

use std::collections::HashMap;

use jiff::civil::{Date, date};
use proptest::prelude::*;

use settle_core::aging::{self, AgingBasis, AgingItem, AgingPolicy, OpenCredit};
use settle_core::customer::NewCustomer;
use settle_core::document::ItemKind;
use settle_core::events::{DiscountPolicy, WriteOffPolicy};
use settle_core::ids::{ApplicationId, CustomerId, PaymentId};
use settle_core::payment::PaymentMethod;
use settle_core::reason::ReasonCode;
use settle_core::terms::PaymentTerms;
use settle_core::{Currency, Money};
use settle_service::aging_items::BucketQuery;
use settle_service::{
    AdjustRequest, ApplyRequest, ApplySource, InvoiceRequest, MemoRequest, PaymentRequest,
    RefundFrom, RefundRequest, ServiceError, Settle, WriteOffRequest,
};

#[derive(Debug, Clone)]
enum Op {
    Invoice {
        customer: usize,
        cents: u32,
        day: u16,
        terms: u8,
    },
    Payment {
        customer: usize,
        cents: u32,
        day: u16,
    },
    Apply {
        payment: usize,
        invoice: usize,
        cents: Option<u32>,
        late: u16,
    },
    Unapply {
        application: usize,
        late: u16,
    },
    CreditMemo {
        customer: usize,
        cents: u32,
        day: u16,
        apply_to: Option<usize>,
    },
    Adjust {
        invoice: usize,
        cents: i32,
        late: u16,
    },
    WriteOff {
        invoice: usize,
        late: u16,
    },
    Refund {
        payment: usize,
        late: u16,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, 1u32..500_000, 0u16..120, 0u8..3).prop_map(|(customer, cents, day, terms)| Op::Invoice { customer, cents, day, terms }),
        3 => (0usize..3, 1u32..600_000, 0u16..150).prop_map(|(customer, cents, day)| Op::Payment { customer, cents, day }),
        5 => (any::<usize>(), any::<usize>(), proptest::option::of(1u32..300_000), 0u16..40)
            .prop_map(|(payment, invoice, cents, late)| Op::Apply { payment, invoice, cents, late }),
        1 => (any::<usize>(), 0u16..40).prop_map(|(application, late)| Op::Unapply { application, late }),
        1 => (0usize..3, 1u32..100_000, 0u16..120, proptest::option::of(any::<usize>()))
            .prop_map(|(customer, cents, day, apply_to)| Op::CreditMemo { customer, cents, day, apply_to }),
        1 => (any::<usize>(), -50_000i32..50_000, 0u16..40).prop_map(|(invoice, cents, late)| Op::Adjust { invoice, cents, late }),
        1 => (any::<usize>(), 0u16..60).prop_map(|(invoice, late)| Op::WriteOff { invoice, late }),
        1 => (any::<usize>(), 0u16..30).prop_map(|(payment, late)| Op::Refund { payment, late }),
    ]
}

const CUSTOMERS: [(&str, Currency); 3] = [
    ("C1", Currency::USD),
    ("C2", Currency::USD),
    ("C3", Currency::EUR),
];

fn day(offset: u16) -> Date {
    date(2026, 1, 1)
        .checked_add(jiff::Span::new().days(i64::from(offset)))
        .unwrap()
}

fn later(base: Date, late: u16) -> Date {
    base.checked_add(jiff::Span::new().days(i64::from(late)))
        .unwrap()
}

fn cents(currency: Currency, cents: i64) -> String {
    Money::new(cents, currency).to_decimal_string()
}

/// What the test remembers of each document and payment, independently of the store.
#[derive(Clone)]
struct Doc {
    number: String,
    customer: usize,
    kind: ItemKind,
    issue_date: Date,
    due_date: Date,
}

#[derive(Default)]
struct Model {
    docs: Vec<Doc>,
    invoices: Vec<usize>,
    payments: Vec<(PaymentId, usize, Date)>,
    applications: Vec<(ApplicationId, Date)>,
}

fn accept<T>(result: Result<T, ServiceError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(ServiceError::Rejected(_)) => None,
        Err(other) => panic!("unexpected failure: {other}"),
    }
}

async fn run(settle: &Settle, model: &mut Model, op: Op) {
    match op {
        Op::Invoice {
            customer,
            cents: amount,
            day: d,
            terms,
        } => {
            let number = format!("I{}", model.docs.len() + 1);
            let currency = CUSTOMERS[customer].1;
            let due = [30, 0, 45][usize::from(terms)];
            let request = InvoiceRequest {
                customer: CUSTOMERS[customer].0.to_string(),
                number: number.clone(),
                issue_date: day(d),
                due_date: Some(later(day(d), due)),
                currency: None,
                lines: vec![(
                    "goods".into(),
                    cents(currency, i64::from(amount)),
                    cents(currency, i64::from(amount / 10)),
                )],
                po_number: String::new(),
                description: String::new(),
            };
            settle.create_invoice(request, None).await.expect("invoice");
            model.invoices.push(model.docs.len());
            model.docs.push(Doc {
                number,
                customer,
                kind: ItemKind::Invoice,
                issue_date: day(d),
                due_date: later(day(d), due),
            });
        }
        Op::Payment {
            customer,
            cents: amount,
            day: d,
        } => {
            let request = PaymentRequest {
                customer: Some(CUSTOMERS[customer].0.to_string()),
                amount: cents(CUSTOMERS[customer].1, i64::from(amount)),
                currency: None,
                received_on: day(d),
                method: PaymentMethod::Wire,
                bank_reference: format!("R{}", model.payments.len()),
                bank_account: "OPERATING".into(),
                payer_name: String::new(),
                payer_account: String::new(),
                memo: String::new(),
            };
            let posted = settle
                .post_payment(request, None)
                .await
                .expect("payment")
                .value;
            model.payments.push((posted.payment_id, customer, day(d)));
        }
        Op::Apply {
            payment,
            invoice,
            cents: amount,
            late,
        } => {
            if model.payments.is_empty() || model.invoices.is_empty() {
                return;
            }
            let (payment_id, customer, received) = model.payments[payment % model.payments.len()];
            let doc = model.docs[model.invoices[invoice % model.invoices.len()]].clone();
            let when = later(received.max(doc.issue_date), late);
            let request = ApplyRequest {
                source: ApplySource::Payment(payment_id),
                invoice: doc.number.clone(),
                amount: amount.map(|a| cents(CUSTOMERS[customer].1, i64::from(a))),
                date: when,
                discount: DiscountPolicy::WhenEarned,
            };
            if let Some(applied) = accept(settle.apply(request, None).await) {
                model
                    .applications
                    .push((applied.value.application_id, when));
            }
        }
        Op::Unapply { application, late } => {
            if model.applications.is_empty() {
                return;
            }
            let (id, applied_on) = model.applications[application % model.applications.len()];
            match settle.unapply(id, later(applied_on, late), None).await {
                Ok(_) | Err(ServiceError::Refused(_)) => {}
                Err(other) => panic!("unapply failed: {other}"),
            }
        }
        Op::CreditMemo {
            customer,
            cents: amount,
            day: d,
            apply_to,
        } => {
            let number = format!("M{}", model.docs.len() + 1);
            let target = apply_to
                .filter(|_| !model.invoices.is_empty())
                .map(|i| model.docs[model.invoices[i % model.invoices.len()]].clone())
                .filter(|doc| doc.customer == customer);
            let issued = target
                .as_ref()
                .map_or(day(d), |doc| later(doc.issue_date, d % 20));
            let request = MemoRequest {
                kind: ItemKind::CreditMemo,
                customer: CUSTOMERS[customer].0.to_string(),
                number: Some(number.clone()),
                amount: cents(CUSTOMERS[customer].1, i64::from(amount)),
                tax: None,
                currency: None,
                reason: ReasonCode::Pricing,
                date: issued,
                due_date: None,
                description: String::new(),
                apply_to: target.map(|doc| doc.number),
            };
            if accept(settle.issue_memo(request, None).await).is_some() {
                model.docs.push(Doc {
                    number,
                    customer,
                    kind: ItemKind::CreditMemo,
                    issue_date: issued,
                    due_date: issued,
                });
            }
        }
        Op::Adjust {
            invoice,
            cents: change,
            late,
        } => {
            if model.invoices.is_empty() {
                return;
            }
            let doc = model.docs[model.invoices[invoice % model.invoices.len()]].clone();
            let request = AdjustRequest {
                item: doc.number.clone(),
                change: cents(CUSTOMERS[doc.customer].1, i64::from(change)),
                reason: ReasonCode::SmallBalance,
                date: later(doc.issue_date, late),
                memo: String::new(),
            };
            accept(settle.adjust(request, None).await);
        }
        Op::WriteOff { invoice, late } => {
            if model.invoices.is_empty() {
                return;
            }
            let doc = model.docs[model.invoices[invoice % model.invoices.len()]].clone();
            let request = WriteOffRequest {
                invoice: doc.number.clone(),
                amount: None,
                reason: ReasonCode::BadDebt,
                date: later(doc.issue_date, late),
                policy: WriteOffPolicy::Allowance,
                memo: String::new(),
            };
            accept(settle.write_off(request, None).await);
        }
        Op::Refund { payment, late } => {
            if model.payments.is_empty() {
                return;
            }
            let (payment_id, _, received) = model.payments[payment % model.payments.len()];
            let request = RefundRequest {
                source: RefundFrom::Payment(payment_id),
                amount: None,
                reason: ReasonCode::Overpayment,
                date: later(received, late),
                bank_account: "OPERATING".into(),
                memo: String::new(),
            };
            accept(settle.refund(request, None).await);
        }
    }
}

/// The aging recomputed from the journal alone: every posting up to `as_of`, summed by this test.
async fn aging_from_journal(
    settle: &Settle,
    model: &Model,
    policy: &AgingPolicy,
    as_of: Date,
) -> aging::AgingReport {
    let lines = settle
        .journal(date(2000, 1, 1), as_of)
        .await
        .expect("journal");
    let mut item_balance: HashMap<String, i64> = HashMap::new();
    let mut payment_balance: HashMap<PaymentId, i64> = HashMap::new();
    for line in &lines {
        if let Some(number) = &line.item_number {
            *item_balance.entry(number.clone()).or_default() += line.amount.minor();
        }
        if let Some(payment) = line.payment {
            *payment_balance.entry(payment).or_default() -= line.amount.minor();
        }
    }
    let customer_id = |index: usize| CustomerId(index as i64 + 1);
    let items = model
        .docs
        .iter()
        .filter(|doc| doc.issue_date <= as_of)
        .map(|doc| AgingItem {
            customer: customer_id(doc.customer),
            item: settle_core::ids::ItemId(0),
            number: doc.number.clone(),
            kind: doc.kind,
            issue_date: doc.issue_date,
            due_date: doc.due_date,
            balance: Money::new(
                item_balance.get(&doc.number).copied().unwrap_or(0),
                CUSTOMERS[doc.customer].1,
            ),
        });
    let credits: Vec<OpenCredit> = model
        .payments
        .iter()
        .filter(|(_, _, received)| *received <= as_of)
        .filter_map(|(id, customer, _)| {
            let unapplied = payment_balance.get(id).copied().unwrap_or(0);
            (unapplied > 0).then(|| OpenCredit {
                customer: customer_id(*customer),
                amount: Money::new(unapplied, CUSTOMERS[*customer].1),
            })
        })
        .collect();
    aging::age(policy, as_of, items, credits).expect("in range")
}

/// Where a model run keeps its ledger.
enum Engine {
    Sqlite,
    Postgres,
}

/// The server the PostgreSQL runs create their databases on (they fail when it is unreachable).
fn postgres_admin_url() -> String {
    std::env::var("SETTLE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".to_string())
}

async fn postgres_admin(sql: String) {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let url = postgres_admin_url();
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is unreachable (this test needs it): {e}"));
    conn.execute(sqlx::AssertSqlSafe(sql))
        .await
        .expect("admin statement");
}

fn check(ops: Vec<Op>) {
    check_on(Engine::Sqlite, ops);
}

fn check_on(engine: Engine, ops: Vec<Op>) {
    let dir = std::env::temp_dir().join(format!(
        "settle-model-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("settle_model_{}_{}", std::process::id(), rand_suffix());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let location = match engine {
        Engine::Sqlite => dir.join("model.db").display().to_string(),
        Engine::Postgres => {
            runtime.block_on(postgres_admin(format!("CREATE DATABASE {database}")));
            let admin = postgres_admin_url();
            let (server, parameters) = admin.split_once('?').unwrap_or((admin.as_str(), ""));
            let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
            if parameters.is_empty() {
                format!("{base}/{database}")
            } else {
                format!("{base}/{database}?{parameters}")
            }
        }
    };
    runtime.block_on(async {
        let (settle, _) = Settle::init(&location, "MAIN", "Model", Currency::USD)
            .await
            .unwrap();
        for (code, currency) in CUSTOMERS {
            settle
                .create_customer(
                    NewCustomer::new(code, code, currency, PaymentTerms::Net { days: 30 }),
                    None,
                )
                .await
                .unwrap();
        }
        let mut model = Model::default();
        for (step, op) in ops.into_iter().enumerate() {
            run(&settle, &mut model, op.clone()).await;
            // The ledger's invariants hold after every operation, accepted or refused: entries
            // balance, kept balances equal their postings, control accounts equal subledgers.
            let report = settle.verify().await.unwrap();
            assert!(
                report.problems.is_empty(),
                "after step {step} ({op:?}): {:?}",
                report.problems
            );
        }
        for basis in [AgingBasis::DueDate, AgingBasis::InvoiceDate] {
            let policy = AgingPolicy::standard(basis);
            for as_of in [
                day(0),
                day(20),
                day(45),
                day(70),
                day(100),
                day(140),
                day(200),
            ] {
                // The model opens no disputes: the service's aging says none are held.
                let expected = aging_from_journal(&settle, &model, &policy, as_of)
                    .await
                    .with_disputed([])
                    .unwrap();
                let got = settle.aging(&policy, as_of).await.unwrap().report;
                assert_eq!(got, expected, "aging by {basis:?} as of {as_of}");
                if basis == AgingBasis::DueDate {
                    let sums = settle
                        .store()
                        .aging_by_one_query(settle.entity().id, as_of)
                        .await
                        .unwrap();
                    let one_query =
                        aging::AgingReport::from_bucket_sums(&policy, as_of, sums, Vec::new())
                            .unwrap();
                    let buckets = |r: &aging::AgingReport| {
                        r.rows
                            .iter()
                            .filter(|row| !row.total.is_zero())
                            .map(|row| (row.customer, row.buckets.clone()))
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(
                        buckets(&one_query),
                        buckets(&got),
                        "one-query aging as of {as_of}"
                    );
                }
                let detail = settle.aging_detail(&policy, as_of).await.unwrap();
                let detail_total: i64 = detail.lines.iter().map(|l| l.item.balance.minor()).sum();
                let report_total: i64 = got.totals.iter().map(|t| t.total.minor()).sum();
                assert_eq!(
                    detail_total, report_total,
                    "detail and summary as of {as_of}"
                );
                // Each bucket's drill-down, paged and summed by the store, holds exactly the
                // detail's items of that bucket, oldest due first.
                for bucket in 0..policy.bucket_count() {
                    let mut wanted: Vec<_> = detail
                        .lines
                        .iter()
                        .filter(|l| l.bucket == bucket)
                        .map(|l| {
                            (
                                l.item.due_date,
                                l.item.item.0,
                                l.item.number.clone(),
                                l.item.balance,
                            )
                        })
                        .collect();
                    wanted.sort();
                    let mut pages = Vec::new();
                    let mut after = None;
                    loop {
                        let query = BucketQuery {
                            bucket,
                            after: after.clone(),
                            limit: Some(3),
                            ..BucketQuery::default()
                        };
                        let page = settle
                            .aging_bucket_items(&policy, as_of, &query)
                            .await
                            .unwrap();
                        assert_eq!(page.count, wanted.len(), "bucket {bucket} as of {as_of}");
                        let total: i64 = page.totals.iter().map(|t| t.minor()).sum();
                        let expected: i64 = wanted.iter().map(|w| w.3.minor()).sum();
                        assert_eq!(total, expected, "bucket {bucket} total as of {as_of}");
                        pages.extend(page.page.items.into_iter().map(|i| (i.number, i.open)));
                        match page.page.next {
                            Some(next) => after = Some(next),
                            None => break,
                        }
                    }
                    let wanted: Vec<_> = wanted.into_iter().map(|w| (w.2, w.3)).collect();
                    assert_eq!(pages, wanted, "bucket {bucket} by {basis:?} as of {as_of}");
                }
            }
        }
        settle.close().await;
    });
    if matches!(engine, Engine::Postgres) {
        runtime.block_on(postgres_admin(format!(
            "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        )));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn store_agrees_with_the_journal_under_random_operations(ops in proptest::collection::vec(op(), 1..60)) {
        check(ops);
    }
}

proptest! {
    // Fewer cases: each creates a PostgreSQL database.
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn postgres_store_agrees_with_the_journal_under_random_operations(ops in proptest::collection::vec(op(), 1..60)) {
        check_on(Engine::Postgres, ops);
    }
}
