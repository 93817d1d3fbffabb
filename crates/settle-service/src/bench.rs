//! `settle bench`: imports a large generated invoice file into fresh SQLite databases and
//! measures the aging against the obvious alternative, one SQL query over the postings, on the
//! same file in the same run. Reports medians: the machines are shared and noisy.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use jiff::civil::Date;

use settle_core::Currency;
use settle_core::aging::{AgingBasis, AgingPolicy, AgingReport};

use crate::demo::Rng;
use crate::import::ImportOptions;
use crate::{DEFAULT_ENTITY, ServiceError, ServiceResult, Settle};

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub invoices: usize,
    pub customers: usize,
    pub runs: usize,
    pub dir: PathBuf,
    pub as_of: Date,
}

#[derive(Debug, Clone, Default)]
pub struct BenchResult {
    pub invoices: usize,
    pub csv_bytes: u64,
    pub import_seconds: Vec<f64>,
    /// Aging as of the end of the year, through Settle (store sums + core report).
    pub aging_ms: Vec<f64>,
    /// The same aging as one SQL query over the postings.
    pub aging_sql_ms: Vec<f64>,
    /// Aging as of mid-year (history), through Settle, and as one SQL query.
    pub history_ms: Vec<f64>,
    pub history_sql_ms: Vec<f64>,
    pub open_items: usize,
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn io(path: &std::path::Path) -> impl Fn(std::io::Error) -> ServiceError + '_ {
    move |source| ServiceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes customers.csv and invoices.csv: invoices spread over the year before `as_of`.
pub(crate) fn generate(options: &BenchOptions) -> ServiceResult<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(&options.dir).map_err(io(&options.dir))?;
    let customers = options.dir.join("bench-customers.csv");
    let invoices = options
        .dir
        .join(format!("bench-invoices-{}.csv", options.invoices));
    let mut text = String::from(
        "customer_id,name,email,phone,payment_terms,credit_limit,currency,country,tax_id,address\n",
    );
    for c in 0..options.customers {
        let _ = writeln!(
            text,
            "B{c:06},Bench customer {c},ap{c}@example.com,,NET30,,USD,US,,"
        );
    }
    std::fs::write(&customers, text).map_err(io(&customers))?;
    if !invoices.exists() {
        let mut rng = Rng::new(7);
        let start = options
            .as_of
            .checked_sub(jiff::Span::new().days(365))
            .expect("in range");
        let mut text = String::with_capacity(options.invoices * 100);
        text.push_str("invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n");
        for n in 0..options.invoices {
            let issued = start
                .checked_add(jiff::Span::new().days(rng.range(0, 366) as i64))
                .expect("in range");
            let due = issued
                .checked_add(jiff::Span::new().days(30))
                .expect("in range");
            let cents = rng.range(10_000, 5_000_000);
            let tax = cents * 8 / 108;
            let _ = writeln!(
                text,
                "BINV-{n:08},B{:06},{issued},{due},USD,{}.{:02},{}.{:02},PO{},Goods",
                rng.range(0, options.customers as u64),
                cents / 100,
                cents % 100,
                tax / 100,
                tax % 100,
                n % 10_000
            );
        }
        std::fs::write(&invoices, text).map_err(io(&invoices))?;
    }
    Ok((customers, invoices))
}

fn same(
    report: &AgingReport,
    sums: Vec<settle_core::aging::BucketSum>,
    policy: &AgingPolicy,
) -> bool {
    match AgingReport::from_bucket_sums(policy, report.as_of, sums, Vec::new()) {
        Ok(other) => {
            let strip = |r: &AgingReport| {
                r.rows
                    .iter()
                    .map(|row| (row.customer, row.buckets.clone()))
                    .collect::<Vec<_>>()
            };
            strip(report) == strip(&other)
        }
        Err(_) => false,
    }
}

pub async fn run(
    options: &BenchOptions,
    log: &(dyn Fn(&str) + Sync),
) -> ServiceResult<BenchResult> {
    log(&format!("generating {} invoices …", options.invoices));
    let (customers, invoices) = generate(options)?;
    let mut result = BenchResult {
        invoices: options.invoices,
        csv_bytes: std::fs::metadata(&invoices).map_err(io(&invoices))?.len(),
        ..BenchResult::default()
    };
    let quiet = |_: u64, _: u64| {};
    let mut last_db = None;
    for run in 0..options.runs.max(1) {
        let db = options.dir.join(format!("bench-{run}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let location = db.display().to_string();
        let (settle, _) = Settle::init(&location, DEFAULT_ENTITY, "Bench", Currency::USD).await?;
        settle
            .import_customers(&customers, ImportOptions::default(), &quiet)
            .await?;
        let started = Instant::now();
        let report = settle
            .import_invoices(&invoices, ImportOptions::default(), &quiet)
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        log(&format!(
            "import run {}: {} invoices in {seconds:.2} s",
            run + 1,
            report.stored
        ));
        result.import_seconds.push(seconds);
        settle.close().await;
        if let Some(previous) = last_db.replace(db) {
            for suffix in ["", "-wal", "-shm"] {
                let _ =
                    std::fs::remove_file(format!("{}{suffix}", PathBuf::from(&previous).display()));
            }
        }
    }
    let location = last_db.expect("at least one run").display().to_string();
    let settle = Settle::open(&location, DEFAULT_ENTITY).await?;
    let entity = settle.entity().id;
    let policy = AgingPolicy::standard(AgingBasis::DueDate);
    let mid_year = options
        .as_of
        .checked_sub(jiff::Span::new().days(182))
        .expect("in range");
    // One warm-up of each, so that every measured run reads a warm page cache alike.
    settle.aging(&policy, options.as_of).await?;
    settle
        .store()
        .aging_by_one_query(entity, options.as_of)
        .await?;
    for _ in 0..options.runs.max(1) {
        for (as_of, ours, theirs) in [
            (
                options.as_of,
                &mut result.aging_ms,
                &mut result.aging_sql_ms,
            ),
            (mid_year, &mut result.history_ms, &mut result.history_sql_ms),
        ] {
            let started = Instant::now();
            let aging = settle.aging(&policy, as_of).await?;
            ours.push(started.elapsed().as_secs_f64() * 1000.0);
            let started = Instant::now();
            let sums = settle.store().aging_by_one_query(entity, as_of).await?;
            theirs.push(started.elapsed().as_secs_f64() * 1000.0);
            if !same(&aging.report, sums, &policy) {
                return Err(ServiceError::Refused(format!(
                    "the two agings as of {as_of} disagree"
                )));
            }
        }
    }
    result.open_items = settle
        .store()
        .aging_items(entity, options.as_of)
        .await?
        .len();
    settle.close().await;
    Ok(result)
}

/// The cash-application benchmark: generated open items and payments with known answers, the
/// engine in memory on one thread.
#[derive(Debug, Clone)]
pub struct MatchingBenchOptions {
    pub customers: usize,
    pub open_items: usize,
    pub lines: usize,
    pub runs: usize,
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub struct MatchingBenchResult {
    pub open_items: usize,
    pub lines: usize,
    pub index_ms: Vec<f64>,
    pub match_ms: Vec<f64>,
    pub evaluation: settle_matching::evaluate::Evaluation,
}

pub fn run_matching(options: &MatchingBenchOptions) -> MatchingBenchResult {
    use settle_matching::generator::{ScenarioSize, generate};
    use settle_matching::{MatchIndex, MatchPolicy};
    let scenario = generate(
        options.seed,
        ScenarioSize {
            customers: options.customers,
            items: options.open_items,
            payments: options.lines,
        },
        jiff::civil::date(2026, 10, 15),
    );
    let policy = MatchPolicy::default();
    let mut result = MatchingBenchResult {
        open_items: scenario.items.len(),
        lines: scenario.payments.len(),
        index_ms: Vec::new(),
        match_ms: Vec::new(),
        evaluation: Default::default(),
    };
    for _ in 0..options.runs.max(1) {
        let started = Instant::now();
        let index = MatchIndex::build(
            scenario.items.clone(),
            &scenario.customers,
            &scenario.payers,
        );
        result.index_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let results: Vec<_> = scenario
            .payments
            .iter()
            .map(|(payment, _)| index.match_payment(payment, &policy))
            .collect();
        result.match_ms.push(started.elapsed().as_secs_f64() * 1e3);
        result.evaluation = settle_matching::evaluate::evaluate(
            results
                .iter()
                .zip(scenario.payments.iter().map(|(_, truth)| truth)),
        );
    }
    result
}
