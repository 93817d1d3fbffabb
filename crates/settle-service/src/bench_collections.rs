//! `settle bench --collections`: the dunning run and the worklist on a ledger of 100,000
//! customers and 1,000,000 open invoices, each against one SQL query doing the obvious part of
//! its work, in the same run. Medians of several runs; each dunning run starts from a copy of
//! the same database, so every run decides the same day's actions.

use std::path::{Path, PathBuf};
use std::time::Instant;

use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};

use settle_core::Currency;
use settle_core::audit_chain::Target;

use crate::Change;
use crate::bench::{BenchOptions, generate};
use crate::collections::{CollectionSettings, PromiseRequest, WorklistFilter};
use crate::import::ImportOptions;
use crate::templates::Templates;
use crate::{DEFAULT_ENTITY, ServiceError, ServiceResult, Settle};

#[derive(Debug, Clone)]
pub struct CollectionsBenchOptions {
    pub customers: usize,
    pub invoices: usize,
    pub runs: usize,
    pub dir: PathBuf,
    pub as_of: Date,
}

#[derive(Debug, Clone, Default)]
pub struct CollectionsBenchResult {
    pub customers: usize,
    pub open_items: usize,
    pub setup: String,
    /// The first run on the fresh ledger: every account's first reminder at once.
    pub catch_up_seconds: f64,
    pub catch_up_actions: usize,
    /// The next day's run, from the same starting point each time.
    pub daily_ms: Vec<f64>,
    pub daily_actions: usize,
    pub daily_blocked: usize,
    pub dry_run_ms: Vec<f64>,
    pub candidates_sql_ms: Vec<f64>,
    pub candidate_accounts: usize,
    pub worklist_ms: Vec<f64>,
    pub worklist_collector_ms: Vec<f64>,
    pub worklist_sql_ms: Vec<f64>,
    pub worklist_entries: usize,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ServiceError + '_ {
    move |source| ServiceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn noon(date: Date) -> Timestamp {
    date.at(12, 0, 0, 0)
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Collectors, stops, disputes and promises spread over the ledger as a real book has them.
async fn set_up(settle: &Settle, customers: usize, as_of: Date) -> ServiceResult<String> {
    let entity = settle.entity().id;
    let collectors: Vec<String> = (1..=20).map(|n| format!("collector{n:02}")).collect();
    let mut tx = settle.store().begin().await?;
    tx.spread_collectors(entity, &collectors).await?;
    let change = Change::new("spread_collectors", Target::new("customers", "all"))
        .after(&serde_json::json!({ "collectors": collectors }));
    settle.record_change(&mut tx, change).await?;
    tx.commit().await?;
    let (mut stops, mut promises) = (0, 0);
    for c in (0..customers).step_by(100) {
        let code = format!("B{c:06}");
        let settings = match (c / 100) % 3 {
            0 => CollectionSettings {
                do_not_contact: Some(true),
                ..CollectionSettings::default()
            },
            1 => CollectionSettings {
                bankrupt: Some(true),
                ..CollectionSettings::default()
            },
            _ => CollectionSettings {
                time_zone: Some("America/New_York".into()),
                ..CollectionSettings::default()
            },
        };
        settle.set_collection_settings(&code, &settings).await?;
        stops += 1;
    }
    for c in (7..customers).step_by(50) {
        let request = PromiseRequest {
            customer: format!("B{c:06}"),
            amount: "250.00".into(),
            promised_on: as_of
                .checked_add(jiff::Span::new().days(10))
                .expect("in range"),
            invoices: Vec::new(),
            grace_days: 3,
            recorded_on: as_of,
            note: String::new(),
        };
        // A customer without open items cannot promise on them: skip it.
        if settle.promise(&request).await.is_ok() {
            promises += 1;
        }
    }
    let disputes = settle.store().bench_disputes(entity, 97, as_of).await?;
    Ok(format!(
        "{} collectors; {stops} customers with a stop or a time zone; {promises} promises; {disputes} disputed invoices",
        collectors.len()
    ))
}

pub async fn run(
    options: &CollectionsBenchOptions,
    log: &(dyn Fn(&str) + Sync),
) -> ServiceResult<CollectionsBenchResult> {
    let base = BenchOptions {
        invoices: options.invoices,
        customers: options.customers,
        runs: 1,
        dir: options.dir.clone(),
        as_of: options.as_of,
    };
    log(&format!(
        "generating {} invoices for {} customers …",
        options.invoices, options.customers
    ));
    let (customers_csv, invoices_csv) = generate(&base)?;
    let templates = Templates::builtin();
    let start_db = options.dir.join("collections-start.db");
    let work_db = options.dir.join("collections-run.db");
    remove_db(&start_db);
    let location = start_db.display().to_string();
    let quiet = |_: u64, _: u64| {};
    let (settle, _) = Settle::init(&location, DEFAULT_ENTITY, "Bench", Currency::USD).await?;
    log("importing …");
    settle
        .import_customers(&customers_csv, ImportOptions::default(), &quiet)
        .await?;
    settle
        .import_invoices(&invoices_csv, ImportOptions::default(), &quiet)
        .await?;
    let yesterday = options.as_of.yesterday().expect("in range");
    log("setting up collectors, stops, promises and disputes …");
    let setup = set_up(&settle, options.customers, yesterday).await?;
    let mut result = CollectionsBenchResult {
        customers: options.customers,
        open_items: settle.store().open_item_count(settle.entity().id).await? as usize,
        setup,
        ..CollectionsBenchResult::default()
    };
    log("catch-up run (every account's first reminder) …");
    let started = Instant::now();
    let first = settle
        .dun(yesterday, noon(yesterday), false, &templates, None)
        .await?;
    result.catch_up_seconds = started.elapsed().as_secs_f64();
    result.catch_up_actions = first.actions.len();
    settle.close().await;

    let entity_settle = |path: &Path| {
        let location = path.display().to_string();
        async move { Settle::open(&location, DEFAULT_ENTITY).await }
    };
    for run in 0..options.runs.max(1) {
        remove_db(&work_db);
        std::fs::copy(&start_db, &work_db).map_err(io(&work_db))?;
        let settle = entity_settle(&work_db).await?;
        let entity = settle.entity().id;
        let at = noon(options.as_of);
        let started = Instant::now();
        let dry = settle
            .dun(options.as_of, at, true, &templates, None)
            .await?;
        result
            .dry_run_ms
            .push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let daily = settle
            .dun(options.as_of, at, false, &templates, None)
            .await?;
        result.daily_ms.push(started.elapsed().as_secs_f64() * 1e3);
        if dry.actions.len() != daily.actions.len() {
            return Err(ServiceError::Refused(format!(
                "the dry run decided {} actions, the run {}",
                dry.actions.len(),
                daily.actions.len()
            )));
        }
        result.daily_actions = daily.actions.len();
        result.daily_blocked = daily.blocked.len();
        let started = Instant::now();
        let candidates = settle
            .store()
            .dunning_candidates_by_one_query(entity, options.as_of)
            .await?;
        result
            .candidates_sql_ms
            .push(started.elapsed().as_secs_f64() * 1e3);
        result.candidate_accounts = candidates.len();

        let started = Instant::now();
        let list = settle
            .worklist(options.as_of, at, &WorklistFilter::default())
            .await?;
        result
            .worklist_ms
            .push(started.elapsed().as_secs_f64() * 1e3);
        result.worklist_entries = list.len();
        let started = Instant::now();
        let filter = WorklistFilter {
            collector: Some("collector07".into()),
            ..WorklistFilter::default()
        };
        settle.worklist(options.as_of, at, &filter).await?;
        result
            .worklist_collector_ms
            .push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let ranked = settle
            .store()
            .worklist_by_one_query(entity, options.as_of)
            .await?;
        result
            .worklist_sql_ms
            .push(started.elapsed().as_secs_f64() * 1e3);
        if ranked.len() != list.iter().filter(|e| !e.past_due.is_empty()).count() {
            return Err(ServiceError::Refused(format!(
                "the worklist has {} accounts past due, the SQL query {}",
                list.iter().filter(|e| !e.past_due.is_empty()).count(),
                ranked.len()
            )));
        }
        settle.close().await;
        log(&format!(
            "run {}: daily dunning {:.0} ms, worklist {:.0} ms",
            run + 1,
            result.daily_ms[run],
            result.worklist_ms[run]
        ));
    }
    remove_db(&work_db);
    Ok(result)
}
