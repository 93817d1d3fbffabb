//! Crash safety: the `settle` binary killed with SIGKILL at random moments during long work, on
//! SQLite and on PostgreSQL, then checked and run again.
//!
//! Each test takes one command (an invoice import, a bank import followed by matching, a
//! dunning run, a statement run with email, the outbox sender) and works in batches: a batch
//! prepares fresh input without interruption (a new file, new customers, a new statement date,
//! new mail), then starts the command and kills it after a random delay drawn within the time
//! one uninterrupted run took, again and again until a run gets through. After every kill:
//!
//! - `settle verify` finds no problem (every entry balances, each kept balance equals its
//!   postings, the dunning history agrees with the items, no reference dangles);
//! - A/R control equals the open items and Unapplied cash the payments' unapplied cash, per
//!   currency, summed here straight from the tables;
//! - the batch is wholly there or wholly absent where the command writes in one transaction
//!   (invoice and bank imports, dunning), and where it commits piece by piece (matching, the
//!   statement emails, sending) each piece is whole and nothing is counted twice;
//! - no table grew by more than an uninterrupted run adds (the reference: the first batch, run
//!   without interruption on the freshly set-up database).
//!
//! When a run completes, every table has grown by exactly what the reference run added, and
//! running the command once more adds nothing. The outbox test sends to a real SMTP server and
//! checks that every message arrives, at most one extra delivery per kill.
//!
//! `SETTLE_CRASH_KILLS=N` sets the kills per test (default [`DEFAULT_KILLS`]);
//! `SETTLE_CRASH_SEED=S` replays a seed (each test prints the one it drew). The tests run one at
//! a time, so that the delays drawn fall within the durations measured.

#![allow(clippy::inconsistent_digit_grouping)]

#[macro_use]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Backend;
use support::smtp::Sink;

on_both_engines!(
    a_killed_invoice_import_leaves_all_or_nothing,
    a_killed_bank_import_and_matching_double_nothing,
    a_killed_dunning_run_records_all_or_nothing,
    a_killed_statement_run_leaves_no_truncated_pdf,
    a_killed_outbox_sender_loses_nothing,
);

/// Kills per test (per command and engine) unless `SETTLE_CRASH_KILLS` says otherwise.
const DEFAULT_KILLS: usize = 10;
/// After this many kills in a row the batch runs to its end, so that every test progresses.
const MAX_KILLS_PER_BATCH: usize = 8;
/// Kills are drawn up to this share (in percent) of an uninterrupted run's duration: most land
/// inside the work, some after it (the run then completes).
const DELAY_SPAN_PERCENT: u128 = 125;
const AS_OF: &str = "2026-10-31";
const FROM: &str = "Main receivables <ar@main.example>";

/// One crash test at a time: the delays are drawn from durations measured without competition.
static SERIAL: Mutex<()> = Mutex::new(());

fn a_killed_invoice_import_leaves_all_or_nothing(db: &Backend) {
    // SQLite takes a file this large through its bulk load (foreign keys off, indexes dropped
    // and rebuilt in the transaction); PostgreSQL through its multi-row inserts. Each size
    // makes one run last about a second.
    let rows = by_engine(db, 50_000, 5_000);
    crash_test(db, "invoice import", InvoiceImport { rows });
}

fn a_killed_bank_import_and_matching_double_nothing(db: &Backend) {
    let lines = by_engine(db, 250, 80);
    crash_test(db, "bank import and matching", BankAndMatch { lines });
}

fn a_killed_dunning_run_records_all_or_nothing(db: &Backend) {
    let customers = by_engine(db, 600, 250);
    crash_test(db, "dunning run", Dunning { customers });
}

fn a_killed_statement_run_leaves_no_truncated_pdf(db: &Backend) {
    let customers = by_engine(db, 120, 40);
    let statements = Statements {
        customers,
        pdfs_at_kills: Vec::new(),
        attempt_started: std::time::SystemTime::now(),
    };
    crash_test(db, "statement run", statements);
}

fn a_killed_outbox_sender_loses_nothing(db: &Backend) {
    crash_test(db, "outbox sending", Outbox::new(db, 20));
}

/// A data set's size on SQLite and on PostgreSQL (where each commit waits for the disk).
fn by_engine(db: &Backend, sqlite: usize, postgres: usize) -> usize {
    if is_postgres(db) { postgres } else { sqlite }
}

// ---------------------------------------------------------------------------------------------
// The harness

/// A command under test, batch by batch.
trait Scenario {
    /// Once per database: the schema and what every batch needs.
    fn setup(&mut self, db: &Backend);
    /// Writes or stores the batch's input without interruption; returns the commands that do
    /// the batch's work, run one after the other (and killed wherever the delay falls).
    fn prepare(&mut self, db: &Backend, batch: usize) -> Vec<Vec<String>>;
    /// Whether all the work is one transaction: then a kill leaves all of it or nothing.
    fn atomic(&self) -> bool;
    /// Whether a run after a kill takes up where the killed one stopped (committed pieces are
    /// not done again), so that it has less left to do.
    fn resumes(&self) -> bool {
        false
    }
    /// Start a fresh database (set up like the first) every this many batches: for a command
    /// whose books grow so fast that checking them would come to dominate the test.
    fn batches_per_database(&self) -> Option<usize> {
        None
    }
    /// Called as each attempt starts.
    fn before_attempt(&mut self) {}
    /// The command's own checks after a kill.
    fn after_kill(&mut self, db: &Backend, batch: usize) -> Result<(), String>;
    /// The command's own checks once the batch's commands completed.
    fn completed(&mut self, db: &Backend, batch: usize) -> Result<(), String>;
    /// A line for the summary.
    fn summary(&self) -> String {
        String::new()
    }
}

/// Row counts (and a few sums) of the tables the commands write.
type Snapshot = BTreeMap<String, i64>;

const COUNTED: &[&str] = &[
    "journal_entries",
    "postings",
    "items",
    "payments",
    "applications",
    "imports",
    "bank_statements",
    "bank_lines",
    "match_decisions",
    "disputes",
    "contact_log",
    "dunning_actions",
    "dunning_action_items",
    "escalations",
    "outbox",
    "outbox_attachments",
    "customers",
    "contacts",
    "idempotency_keys",
];

fn snapshot(db: &Backend) -> Snapshot {
    let mut queries: Vec<String> = COUNTED
        .iter()
        .map(|t| format!("SELECT CAST(COUNT(*) AS TEXT) FROM {t}"))
        .collect();
    queries.extend([
        "SELECT CAST(COALESCE(SUM(balance_minor), 0) AS TEXT) FROM items".to_string(),
        "SELECT CAST(COALESCE(SUM(unapplied_minor), 0) AS TEXT) FROM payments".to_string(),
        "SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE status = 'sent'".to_string(),
    ]);
    let names = COUNTED.iter().map(|t| t.to_string()).chain(
        [
            "sum of item balances",
            "sum of unapplied cash",
            "outbox sent",
        ]
        .map(String::from),
    );
    names
        .zip(ask(db, &queries))
        .map(|(name, rows)| (name, rows[0].parse::<i64>().expect("a number")))
        .collect()
}

fn delta(before: &Snapshot, after: &Snapshot) -> Snapshot {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .collect()
}

fn describe(delta: &Snapshot) -> String {
    let moved: Vec<String> = delta
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| format!("{k} {v:+}"))
        .collect();
    if moved.is_empty() {
        "nothing".to_string()
    } else {
        moved.join(", ")
    }
}

/// How far a kill left the batch's work: by the counts, against the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Nothing,
    Partly,
    Wholly,
}

/// Every row count moved by no more than the reference run moved it, in the same direction.
/// (Sums are compared once the batch completed: between two commands they may stand anywhere.)
fn within(delta: &Snapshot, reference: &Snapshot) -> Result<Progress, String> {
    for (key, want) in reference.iter().filter(|(k, _)| !k.starts_with("sum of")) {
        let got = delta.get(key).copied().unwrap_or(0);
        let inside = if *want >= 0 {
            (0..=*want).contains(&got)
        } else {
            (*want..=0).contains(&got)
        };
        if !inside {
            return Err(format!(
                "{key} moved by {got:+}, outside what an uninterrupted run moves it ({want:+}): \
                 something was doubled or undone"
            ));
        }
    }
    Ok(if delta.values().all(|v| *v == 0) {
        Progress::Nothing
    } else if delta == reference {
        Progress::Wholly
    } else {
        Progress::Partly
    })
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u128) -> u128 {
        u128::from(self.next()) % n.max(1)
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    )
}

/// Prints the seed again when the test fails, whatever failed.
struct SeedOnFailure {
    name: String,
    seed: u64,
}

impl Drop for SeedOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "crash test {} failed with seed {}: replay with SETTLE_CRASH_SEED={}",
                self.name, self.seed, self.seed
            );
        }
    }
}

/// How a run of the batch's commands ended.
enum Run {
    /// Killed while step `step` (0-based) was running, `after` its start.
    Killed {
        step: usize,
        after: Duration,
    },
    Completed {
        elapsed: Duration,
    },
}

fn crash_test(db: &Backend, what: &str, mut scenario: impl Scenario) {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let engine = if is_postgres(db) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let name = format!("{what} on {engine}");
    let seed = env_number("SETTLE_CRASH_SEED").unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        SplitMix(nanos ^ u64::from(std::process::id())).next()
    });
    let kills_wanted = env_number("SETTLE_CRASH_KILLS").map_or(DEFAULT_KILLS, |n| n as usize);
    println!(
        "crash test {name}: seed {seed} (replay with SETTLE_CRASH_SEED={seed}), {kills_wanted} kills"
    );
    let _seed_guard = SeedOnFailure {
        name: name.clone(),
        seed,
    };
    let fail = |message: String| -> ! { panic!("{name} (seed {seed}): {message}") };
    let started = Instant::now();
    let mut random = SplitMix(seed);

    // The reference: the first batch, run without interruption on the freshly set-up
    // database and timed; then once more, which must add nothing. Every later batch has the
    // same shape, so it must move every count by exactly as much.
    scenario.setup(db);
    let steps = scenario.prepare(db, 0);
    let before = snapshot(db);
    let Run::Completed { elapsed } = run_steps(db, &steps, None) else {
        unreachable!("a run without a delay is never killed")
    };
    let mut duration = elapsed;
    let after = snapshot(db);
    let reference = delta(&before, &after);
    if reference.values().all(|v| *v == 0) {
        fail("the uninterrupted run changed nothing: the test would prove nothing".into());
    }
    check_books(db).unwrap_or_else(|e| fail(format!("the reference run: {e}")));
    scenario
        .completed(db, 0)
        .unwrap_or_else(|e| fail(format!("the reference run: {e}")));
    run_steps(db, &steps, None);
    let again = delta(&after, &snapshot(db));
    if again.values().any(|v| *v != 0) {
        fail(format!(
            "running the completed command again changed {}",
            describe(&again)
        ));
    }
    println!(
        "  reference run: {} ms, {}",
        elapsed.as_millis(),
        describe(&reference)
    );

    let mut kills = 0;
    let mut batches: usize = 1;
    let mut progress: HashMap<&'static str, usize> = HashMap::new();
    let mut kills_per_step: BTreeMap<usize, usize> = BTreeMap::new();
    let mut spent: BTreeMap<&'static str, Duration> = BTreeMap::new();
    // When each kill fell, in percent of the duration of an uninterrupted run.
    let mut moments: Vec<u128> = Vec::new();
    *spent.entry("reference").or_default() += started.elapsed();
    // A database of its own every few batches, for a scenario whose checks grow with the books.
    let mut fresh: Option<Backend> = None;
    while kills < kills_wanted {
        let batch = batches;
        let clock = Instant::now();
        if scenario
            .batches_per_database()
            .is_some_and(|n| batch.is_multiple_of(n))
        {
            let next = if is_postgres(db) {
                Backend::postgres()
            } else {
                Backend::sqlite()
            };
            scenario.setup(&next);
            fresh = Some(next);
        }
        let db = fresh.as_ref().unwrap_or(db);
        let steps = scenario.prepare(db, batch);
        let before = snapshot(db);
        *spent.entry("preparing batches").or_default() += clock.elapsed();
        let mut in_a_row = 0;
        // What is left of the work: a command that commits piece by piece has less to do
        // after each kill, and the next delay is drawn within what is left.
        let mut left = duration;
        loop {
            let delay = (in_a_row < MAX_KILLS_PER_BATCH).then(|| {
                let span = left.as_micros() * DELAY_SPAN_PERCENT / 100;
                Duration::from_micros(random.below(span) as u64)
            });
            scenario.before_attempt();
            let clock = Instant::now();
            let run = run_steps(db, &steps, delay);
            *spent.entry("running the command").or_default() += clock.elapsed();
            let clock = Instant::now();
            match run {
                Run::Completed { elapsed } => {
                    // A batch done in one go measures the command as the books stand now.
                    if in_a_row == 0 {
                        duration = elapsed;
                    }
                    break;
                }
                Run::Killed { step, after } => {
                    moments.push(after.as_micros() * 100 / duration.as_micros().max(1));
                    if scenario.resumes() {
                        left = left.saturating_sub(after).max(duration / 4);
                    }
                    kills += 1;
                    in_a_row += 1;
                    *kills_per_step.entry(step).or_default() += 1;
                    let at = format!(
                        "after kill {kills} (batch {batch}, step {}: settle {})",
                        step + 1,
                        steps[step].join(" ")
                    );
                    check_books(db).unwrap_or_else(|e| fail(format!("{at}: {e}")));
                    let moved = delta(&before, &snapshot(db));
                    let how =
                        within(&moved, &reference).unwrap_or_else(|e| fail(format!("{at}: {e}")));
                    if scenario.atomic() && how == Progress::Partly {
                        fail(format!(
                            "{at}: half a batch is stored ({}; a whole run: {})",
                            describe(&moved),
                            describe(&reference)
                        ));
                    }
                    *progress
                        .entry(match how {
                            Progress::Nothing => "nothing stored",
                            Progress::Partly => "partly stored",
                            Progress::Wholly => "wholly stored",
                        })
                        .or_default() += 1;
                    scenario
                        .after_kill(db, batch)
                        .unwrap_or_else(|e| fail(format!("{at}: {e}")));
                    *spent.entry("checking after kills").or_default() += clock.elapsed();
                }
            }
        }
        let clock = Instant::now();
        let at = format!("batch {batch} completed after {in_a_row} kill(s)");
        check_books(db).unwrap_or_else(|e| fail(format!("{at}: {e}")));
        let after = snapshot(db);
        let moved = delta(&before, &after);
        if moved != reference {
            fail(format!(
                "{at}: the batch added {}, an uninterrupted run adds {}",
                describe(&moved),
                describe(&reference)
            ));
        }
        scenario
            .completed(db, batch)
            .unwrap_or_else(|e| fail(format!("{at}: {e}")));
        // Once complete, the command is a no-op.
        run_steps(db, &steps, None);
        let again = delta(&after, &snapshot(db));
        if again.values().any(|v| *v != 0) {
            fail(format!(
                "{at}: running it again changed {}",
                describe(&again)
            ));
        }
        *spent.entry("checking completed batches").or_default() += clock.elapsed();
        batches += 1;
    }
    let mut how: Vec<String> = progress.iter().map(|(k, v)| format!("{v} {k}")).collect();
    how.sort();
    let steps: Vec<String> = kills_per_step
        .iter()
        .map(|(step, n)| format!("step {}: {n}", step + 1))
        .collect();
    moments.sort_unstable();
    let quartiles: Vec<String> = [0, 1, 2, 3, 4]
        .iter()
        .filter_map(|q| moments.get(moments.len().saturating_sub(1) * q / 4))
        .map(|moment| format!("{moment}%"))
        .collect();
    let spent: Vec<String> = spent
        .iter()
        .map(|(what, time)| format!("{what} {:.1} s", time.as_secs_f64()))
        .collect();
    println!(
        "crash test {name}: {kills} kills in {batches} batches ({}; {}; at {} of a run: min, quartiles, max), {:.1} s ({}); seed {seed}. {}",
        how.join(", "),
        steps.join(", "),
        quartiles.join(" "),
        started.elapsed().as_secs_f64(),
        spent.join(", "),
        scenario.summary()
    );
}

/// Runs the commands one after the other; with a delay, kills whichever runs when it is up.
fn run_steps(db: &Backend, steps: &[Vec<String>], kill_after: Option<Duration>) -> Run {
    let started = Instant::now();
    for (index, args) in steps.iter().enumerate() {
        let (mut child, stderr) = spawn(db, args);
        loop {
            if let Some(status) = child.try_wait().expect("waiting for settle") {
                if !status.success() {
                    panic!(
                        "settle {} failed ({status}):\n{}",
                        args.join(" "),
                        std::fs::read_to_string(&stderr).unwrap_or_default()
                    );
                }
                break;
            }
            match kill_after {
                Some(limit) if started.elapsed() >= limit => {
                    child.kill().expect("SIGKILL");
                    let status = child.wait().expect("reaping settle");
                    if status.signal().is_some() {
                        return Run::Killed {
                            step: index,
                            after: started.elapsed(),
                        };
                    }
                    // It ended on its own just before the signal.
                    if !status.success() {
                        panic!(
                            "settle {} failed ({status}):\n{}",
                            args.join(" "),
                            std::fs::read_to_string(&stderr).unwrap_or_default()
                        );
                    }
                    break;
                }
                Some(limit) => {
                    let left = limit.saturating_sub(started.elapsed());
                    std::thread::sleep(left.min(Duration::from_micros(500)));
                }
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
    Run::Completed {
        elapsed: started.elapsed(),
    }
}

/// The database's URL for the commands and the checks (PostgreSQL's goes without TLS, as every
/// test's does).
fn url(db: &Backend) -> String {
    db.url.clone()
}

/// `settle ARGS…` on the database, run to its end.
fn settle(db: &Backend, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_settle"))
        .arg("--db")
        .arg(url(db))
        .args(args)
        .current_dir(&db.dir)
        .env_remove("SETTLE_DATABASE_URL")
        .env_remove("SETTLE_ENTITY")
        .output()
        .expect("the settle binary runs")
}

/// `settle ARGS…`, which must succeed.
fn settle_ok(db: &Backend, args: &[&str]) {
    let output = settle(db, args);
    assert!(
        output.status.success(),
        "settle {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn spawn(db: &Backend, args: &[String]) -> (Child, PathBuf) {
    let stdout = db.dir.join("command.out");
    let stderr = db.dir.join("command.err");
    let child = Command::new(env!("CARGO_BIN_EXE_settle"))
        .arg("--db")
        .arg(url(db))
        .args(args)
        .current_dir(&db.dir)
        .env_remove("SETTLE_DATABASE_URL")
        .env_remove("SETTLE_ENTITY")
        .env_remove("SETTLE_TEMPLATES")
        .env_remove("SETTLE_DOCUMENT_TEMPLATES")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).expect("the command's output file"))
        .stderr(File::create(&stderr).expect("the command's error file"))
        .spawn()
        .expect("the settle binary runs");
    (child, stderr)
}

/// `settle verify`, and the control accounts summed against their subledgers per currency.
fn check_books(db: &Backend) -> Result<(), String> {
    let output = settle(db, &["verify", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "settle verify printed no report ({e}): the database may not open:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    if !output.status.success() || !problems.is_empty() {
        return Err(format!("settle verify found problems: {problems:?}"));
    }
    let sums = ask(
        db,
        &[
            control_sums("AR_CONTROL"),
            "SELECT currency || ' ' || CAST(SUM(balance_minor) AS TEXT) FROM items \
             GROUP BY currency ORDER BY currency"
                .to_string(),
            control_sums("UNAPPLIED_CASH"),
            "SELECT currency || ' ' || CAST(-SUM(unapplied_minor) AS TEXT) FROM payments \
             GROUP BY currency ORDER BY currency"
                .to_string(),
        ],
    );
    if sums[0] != sums[1] {
        return Err(format!(
            "A/R control {:?} differs from the open items {:?}",
            sums[0], sums[1]
        ));
    }
    if sums[2] != sums[3] {
        return Err(format!(
            "Unapplied cash {:?} differs from the payments' unapplied cash {:?}",
            sums[2], sums[3]
        ));
    }
    Ok(())
}

fn control_sums(role: &str) -> String {
    format!(
        "SELECT p.currency || ' ' || CAST(SUM(p.amount_minor) AS TEXT) FROM postings p \
         JOIN accounts a ON a.entity_id = p.entity_id AND a.code = p.account \
         WHERE a.role = '{role}' GROUP BY p.currency ORDER BY p.currency"
    )
}

fn is_postgres(db: &Backend) -> bool {
    db.url.starts_with("postgres")
}

/// Runs read-only queries of one text column each; returns their rows.
fn ask(db: &Backend, queries: &[String]) -> Vec<Vec<String>> {
    let url = if is_postgres(db) {
        url(db)
    } else {
        format!("sqlite://{}", db.url)
    };
    let queries = queries.to_vec();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
                .await
                .expect("the test database opens");
            let mut out = Vec::with_capacity(queries.len());
            for query in queries {
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(query.clone()))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("{query}: {e}"));
                out.push(rows);
            }
            let _ = sqlx::Connection::close(conn).await;
            out
        })
}

fn count(db: &Backend, query: &str) -> i64 {
    ask(db, &[query.to_string()])[0][0]
        .parse()
        .expect("a count")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Data

/// `n` customers `PREFIX0001…`, in dollars, each with a billing address.
fn customers_csv(prefix: &str, n: usize) -> String {
    let mut out = String::from(
        "customer_id,name,email,phone,payment_terms,credit_limit,currency,country,tax_id,address\n",
    );
    let mail = prefix.to_lowercase();
    for i in 1..=n {
        out.push_str(&format!(
            "{prefix}{i:04},{prefix} Trading Company {i},ap{i}@{mail}.example,,NET30,,USD,US,,\"{i} Main Street, Springfield\"\n"
        ));
    }
    out
}

/// What invoice `i` of any batch is for: the same amounts in every batch, so that every batch
/// moves the books by the same sums.
fn invoice_amount(i: usize) -> (i64, i64) {
    let total = 100_00 + (i as i64 * 7_919) % 900_000;
    let tax = if i.is_multiple_of(7) { 0 } else { total / 11 };
    (total, tax)
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Invoices `NUMBER_PREFIXi`, spread over customers `CUSTOMER_PREFIX0001…`, all due before
/// [`AS_OF`].
fn invoices_csv(number_prefix: &str, customer_prefix: &str, customers: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 80);
    out.push_str(
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n",
    );
    for i in 1..=n {
        let (total, tax) = invoice_amount(i);
        let month = 1 + i % 8;
        let day = 1 + i % 28;
        out.push_str(&format!(
            "{number_prefix}{i:06},{customer_prefix}{:04},2026-{month:02}-{day:02},2026-{:02}-{day:02},USD,{},{},PO-{i},Goods\n",
            1 + (i - 1) % customers,
            month + 1,
            money(total),
            money(tax)
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Invoice import: one transaction per file.

struct InvoiceImport {
    rows: usize,
}

const IMPORT_CUSTOMERS: usize = 200;

impl Scenario for InvoiceImport {
    fn setup(&mut self, db: &Backend) {
        settle_ok(db, &["init"]);
        let customers = db.file("customers.csv", &customers_csv("C", IMPORT_CUSTOMERS));
        settle_ok(db, &["import", "customers", &customers]);
    }

    fn prepare(&mut self, db: &Backend, batch: usize) -> Vec<Vec<String>> {
        let file = db.file(
            &format!("invoices-{batch}.csv"),
            &invoices_csv(&format!("K{batch}-"), "C", IMPORT_CUSTOMERS, self.rows),
        );
        vec![args(&["import", "invoices", &file])]
    }

    fn atomic(&self) -> bool {
        true
    }

    fn batches_per_database(&self) -> Option<usize> {
        Some(3)
    }

    fn after_kill(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        let stored = count(
            db,
            &format!("SELECT CAST(COUNT(*) AS TEXT) FROM items WHERE number LIKE 'K{batch}-%'"),
        );
        let imports = count(
            db,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM imports WHERE file_name LIKE '%/invoices-{batch}.csv'"
            ),
        );
        match (stored, imports) {
            (0, 0) => Ok(()),
            (n, 1) if n == self.rows as i64 => Ok(()),
            _ => Err(format!(
                "{stored} of the file's {} invoices are stored, with {imports} import record(s)",
                self.rows
            )),
        }
    }

    fn completed(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        let stored = count(
            db,
            &format!("SELECT CAST(COUNT(*) AS TEXT) FROM items WHERE number LIKE 'K{batch}-%'"),
        );
        if stored != self.rows as i64 {
            return Err(format!("{stored} of {} invoices stored", self.rows));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Bank import (one transaction per file), then matching (one transaction per payment).

struct BankAndMatch {
    lines: usize,
}

const BANK_CUSTOMERS: usize = 120;

const COLUMN_MAP: &str = "\
delimiter = ,
header = yes
date = date
date_format = %Y-%m-%d
amount = amount
decimal = dot
thousands = none
currency = USD
bank_reference = reference
payer_name = payer
remittance = remittance
";

impl Scenario for BankAndMatch {
    fn setup(&mut self, db: &Backend) {
        settle_ok(db, &["init"]);
        let customers = db.file("customers.csv", &customers_csv("B", BANK_CUSTOMERS));
        settle_ok(db, &["import", "customers", &customers]);
        db.file("bank.map", COLUMN_MAP);
    }

    fn prepare(&mut self, db: &Backend, batch: usize) -> Vec<Vec<String>> {
        // Invoices to pay, and a bank file paying each of them exactly, citing its number.
        let invoices = db.file(
            &format!("invoices-{batch}.csv"),
            &invoices_csv(&format!("M{batch}-"), "B", BANK_CUSTOMERS, self.lines),
        );
        settle_ok(db, &["import", "invoices", &invoices]);
        let mut bank = String::from("date,amount,reference,payer,remittance\n");
        for i in 1..=self.lines {
            let (total, _) = invoice_amount(i);
            let customer = 1 + (i - 1) % BANK_CUSTOMERS;
            bank.push_str(&format!(
                "2026-10-30,{},BR{batch}-{i:06},B Trading Company {customer},Invoice M{batch}-{i:06}\n",
                money(total)
            ));
        }
        let file = db.file(&format!("bank-{batch}.csv"), &bank);
        let map = db.dir.join("bank.map").display().to_string();
        vec![
            args(&[
                "import",
                "bank",
                &file,
                "--column-map",
                &map,
                "--bank-account",
                "OPERATING",
            ]),
            args(&["match"]),
        ]
    }

    fn atomic(&self) -> bool {
        false
    }

    fn resumes(&self) -> bool {
        true
    }

    fn after_kill(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        let found = ask(
            db,
            &[
                format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM bank_lines WHERE bank_reference LIKE 'BR{batch}-%'"
                ),
                format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM payments WHERE bank_reference LIKE 'BR{batch}-%'"
                ),
                // A payment decided twice, or applied beyond one decision's allocations.
                "SELECT CAST(payment_id AS TEXT) FROM match_decisions GROUP BY payment_id HAVING COUNT(*) > 1"
                    .to_string(),
                "SELECT CAST(a.payment_id AS TEXT) FROM applications a WHERE a.payment_id IS NOT NULL \
                 AND a.reversal_entry_id IS NULL GROUP BY a.payment_id, a.invoice_id HAVING COUNT(*) > 1"
                    .to_string(),
                // An automatic decision is booked in its own transaction: never one without
                // its applications.
                "SELECT CAST(d.id AS TEXT) FROM match_decisions d WHERE d.decision = 'auto' \
                 AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.decision_id = d.id)"
                    .to_string(),
            ],
        );
        let lines: i64 = found[0][0].parse().unwrap();
        let payments: i64 = found[1][0].parse().unwrap();
        let all = self.lines as i64;
        if !(lines == 0 && payments == 0 || lines == all && payments == all) {
            return Err(format!(
                "the bank file is half imported: {lines} of {all} lines, {payments} payments"
            ));
        }
        none_found(&found[2], "payments decided twice")?;
        none_found(&found[3], "payments applied twice to one invoice")?;
        none_found(&found[4], "automatic decisions without their applications")?;
        Ok(())
    }

    fn completed(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        self.after_kill(db, batch)?;
        let open = count(
            db,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM items WHERE number LIKE 'M{batch}-%' AND balance_minor <> 0"
            ),
        );
        let applied = count(
            db,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM payments WHERE bank_reference LIKE 'BR{batch}-%' AND unapplied_minor = 0"
            ),
        );
        if applied == 0 {
            return Err(format!(
                "matching applied none of the batch's {} payments ({open} invoices open)",
                self.lines
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Dunning: one transaction per run (actions, contact-log entries, emails queued).

struct Dunning {
    customers: usize,
}

fn dun_step() -> Vec<String> {
    args(&["dun", "--as-of", AS_OF, "--at", "2026-10-31T14:00:00Z"])
}

/// Customers `PREFIX0001…` with overdue invoices, stored without interruption.
fn overdue_customers(db: &Backend, prefix: &str, customers: usize, invoices: usize) {
    let file = db.file(
        &format!("customers-{prefix}.csv"),
        &customers_csv(prefix, customers),
    );
    settle_ok(db, &["import", "customers", &file]);
    let file = db.file(
        &format!("invoices-{prefix}.csv"),
        &invoices_csv(&format!("{prefix}-"), prefix, customers, invoices),
    );
    settle_ok(db, &["import", "invoices", &file]);
}

impl Scenario for Dunning {
    fn setup(&mut self, db: &Backend) {
        settle_ok(db, &["init"]);
    }

    fn prepare(&mut self, db: &Backend, batch: usize) -> Vec<Vec<String>> {
        overdue_customers(
            db,
            &format!("D{batch}X"),
            self.customers,
            self.customers * 3,
        );
        vec![dun_step()]
    }

    fn atomic(&self) -> bool {
        true
    }

    fn after_kill(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        let found = ask(
            db,
            &[
                format!(
                    "SELECT CAST(COUNT(DISTINCT a.customer_id) AS TEXT) FROM dunning_actions a \
                     JOIN customers c ON c.id = a.customer_id WHERE c.code LIKE 'D{batch}X%'"
                ),
                "SELECT CAST(a.id AS TEXT) FROM dunning_actions a WHERE a.channel = 'email' \
                 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = a.outbox_id)"
                    .to_string(),
            ],
        );
        let dunned: usize = found[0][0].parse().unwrap();
        if dunned != 0 && dunned != self.customers {
            return Err(format!(
                "{dunned} of the batch's {} customers have their actions",
                self.customers
            ));
        }
        none_found(&found[1], "email actions without their queued email")?;
        Ok(())
    }

    fn completed(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        self.after_kill(db, batch)?;
        let dunned = count(
            db,
            &format!(
                "SELECT CAST(COUNT(DISTINCT a.customer_id) AS TEXT) FROM dunning_actions a \
                 JOIN customers c ON c.id = a.customer_id WHERE c.code LIKE 'D{batch}X%'"
            ),
        );
        if dunned != self.customers as i64 {
            return Err(format!("{dunned} of {} customers dunned", self.customers));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Statements: each PDF written aside and renamed; emails queued 100 customers per transaction.

struct Statements {
    customers: usize,
    /// How many PDFs each killed attempt had written: whether kills fell inside the rendering.
    pdfs_at_kills: Vec<usize>,
    attempt_started: std::time::SystemTime,
}

impl Statements {
    fn date(batch: usize) -> String {
        jiff::civil::date(2026, 11, 1)
            .checked_add(jiff::Span::new().days(batch as i64))
            .expect("a date")
            .to_string()
    }

    fn out(db: &Backend) -> PathBuf {
        db.dir.join("statements")
    }

    /// Every statement of the date under its final name is a whole PDF; returns how many, and
    /// how many were written since `since`.
    fn whole_pdfs(
        db: &Backend,
        date: &str,
        since: std::time::SystemTime,
    ) -> Result<(usize, usize), String> {
        let mut whole = 0;
        let mut recent = 0;
        let Ok(entries) = std::fs::read_dir(Self::out(db)) else {
            return Ok((0, 0));
        };
        for entry in entries {
            let path = entry.expect("a folder entry").path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(&format!("-{date}.pdf")) {
                continue;
            }
            check_pdf(&path)?;
            whole += 1;
            let written = std::fs::metadata(&path).and_then(|m| m.modified());
            if written.is_ok_and(|t| t >= since) {
                recent += 1;
            }
        }
        Ok((whole, recent))
    }

    fn emails(db: &Backend, date: &str) -> Result<i64, String> {
        let found = ask(
            db,
            &[
                format!(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE source = 'statement' AND source_id LIKE '%:{date}'"
                ),
                format!(
                    "SELECT source_id FROM outbox WHERE source = 'statement' AND source_id LIKE '%:{date}' \
                     GROUP BY source_id HAVING COUNT(*) > 1"
                ),
                format!(
                    "SELECT CAST(o.id AS TEXT) FROM outbox o WHERE o.source = 'statement' AND o.source_id LIKE '%:{date}' \
                     AND NOT EXISTS (SELECT 1 FROM outbox_attachments a WHERE a.outbox_id = o.id)"
                ),
            ],
        );
        none_found(&found[1], "statements queued twice")?;
        none_found(&found[2], "statement emails without their PDF")?;
        Ok(found[0][0].parse().unwrap())
    }
}

fn check_pdf(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    if !bytes.starts_with(b"%PDF-") || !bytes[..end].ends_with(b"%%EOF") {
        return Err(format!(
            "{} is not a whole PDF ({} bytes)",
            path.display(),
            bytes.len()
        ));
    }
    Ok(())
}

impl Scenario for Statements {
    fn setup(&mut self, db: &Backend) {
        settle_ok(db, &["init"]);
        overdue_customers(db, "S", self.customers, self.customers * 3);
    }

    fn prepare(&mut self, db: &Backend, batch: usize) -> Vec<Vec<String>> {
        let out = Self::out(db).display().to_string();
        vec![args(&[
            "statements",
            "--as-of",
            &Self::date(batch),
            "--out",
            &out,
            "--email",
        ])]
    }

    fn atomic(&self) -> bool {
        false
    }

    fn before_attempt(&mut self) {
        self.attempt_started = std::time::SystemTime::now();
    }

    fn after_kill(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        let date = Self::date(batch);
        let (_, written) = Self::whole_pdfs(db, &date, self.attempt_started)?;
        self.pdfs_at_kills.push(written);
        let emails = Self::emails(db, &date)?;
        if emails > self.customers as i64 {
            return Err(format!(
                "{emails} statement emails for {} customers",
                self.customers
            ));
        }
        Ok(())
    }

    fn completed(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        let date = Self::date(batch);
        let (whole, _) = Self::whole_pdfs(db, &date, self.attempt_started)?;
        if whole != self.customers {
            return Err(format!(
                "{whole} statements for {} customers",
                self.customers
            ));
        }
        let emails = Self::emails(db, &date)?;
        if emails != self.customers as i64 {
            return Err(format!(
                "{emails} statement emails for {} customers",
                self.customers
            ));
        }
        let leftovers: Vec<String> = std::fs::read_dir(Self::out(db))
            .expect("the statements folder")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .to_string()
            })
            .filter(|name| name.ends_with(".partial"))
            .collect();
        if !leftovers.is_empty() {
            return Err(format!("partial files left behind: {leftovers:?}"));
        }
        Ok(())
    }

    fn summary(&self) -> String {
        let inside = self
            .pdfs_at_kills
            .iter()
            .filter(|n| **n > 0 && **n < self.customers)
            .count();
        format!(
            "{inside} kill(s) fell between the first and the last PDF; PDFs each killed run wrote: {:?}",
            self.pdfs_at_kills
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The outbox sender: each message claimed in a transaction of its own before SMTP, marked sent
// in another after the server accepted it.

struct Outbox {
    customers: usize,
    sink: Sink,
    kills_in_batch: usize,
    duplicates: usize,
    kills: usize,
}

impl Outbox {
    fn new(db: &Backend, customers: usize) -> Outbox {
        // The server stores each message, then waits a little before it says so: the moment
        // a kill can turn into a second delivery.
        let sink = Sink::start(&db.dir.join("mail"), &["--delay-ms", "4"]);
        Outbox {
            customers,
            sink,
            kills_in_batch: 0,
            duplicates: 0,
            kills: 0,
        }
    }

    /// The batch's messages (Message-ID → status), and how often each arrived.
    fn state(
        &self,
        db: &Backend,
        batch: usize,
    ) -> (BTreeMap<String, String>, HashMap<String, usize>) {
        let rows = ask(
            db,
            &[format!(
                "SELECT o.message_id || ' ' || o.status FROM outbox o JOIN customers c ON c.id = o.customer_id \
                 WHERE c.code LIKE 'O{batch}X%'"
            )],
        );
        let statuses: BTreeMap<String, String> = rows[0]
            .iter()
            .map(|row| {
                let (id, status) = row.split_once(' ').expect("id and status");
                (id.to_string(), status.to_string())
            })
            .collect();
        let mut arrivals: HashMap<String, usize> = HashMap::new();
        for mail in self.sink.received() {
            let id = mail["headers"]["message-id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            if statuses.contains_key(&id) {
                *arrivals.entry(id).or_default() += 1;
            }
        }
        (statuses, arrivals)
    }

    fn check(&self, db: &Backend, batch: usize, complete: bool) -> Result<usize, String> {
        let (statuses, arrivals) = self.state(db, batch);
        if statuses.len() != self.customers {
            return Err(format!(
                "{} messages queued for {} customers",
                statuses.len(),
                self.customers
            ));
        }
        let sending = statuses.values().filter(|s| *s == "sending").count();
        if sending > 1 {
            return Err(format!("{sending} messages in flight at once"));
        }
        for (id, status) in &statuses {
            let arrived = arrivals.get(id).copied().unwrap_or(0);
            let fine = match status.as_str() {
                "queued" | "sending" => !complete,
                "sent" => arrived >= 1,
                _ => false,
            };
            if !fine {
                return Err(format!("{id} is {status} and arrived {arrived} time(s)"));
            }
        }
        let duplicates: usize = arrivals.values().map(|n| n - 1).sum();
        if duplicates > self.kills_in_batch {
            return Err(format!(
                "{duplicates} extra deliveries after {} kills: more than one per kill",
                self.kills_in_batch
            ));
        }
        Ok(duplicates)
    }
}

impl Scenario for Outbox {
    fn setup(&mut self, db: &Backend) {
        settle_ok(db, &["init"]);
    }

    fn prepare(&mut self, db: &Backend, batch: usize) -> Vec<Vec<String>> {
        overdue_customers(db, &format!("O{batch}X"), self.customers, self.customers);
        settle_ok(
            db,
            &dun_step().iter().map(String::as_str).collect::<Vec<_>>(),
        );
        self.kills_in_batch = 0;
        vec![args(&[
            "outbox",
            "send",
            "--smtp-url",
            &self.sink.url(),
            "--from",
            FROM,
            "--reclaim-after",
            "0",
        ])]
    }

    fn atomic(&self) -> bool {
        false
    }

    fn resumes(&self) -> bool {
        true
    }

    fn after_kill(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        self.kills_in_batch += 1;
        self.kills += 1;
        self.check(db, batch, false).map(|_| ())
    }

    fn completed(&mut self, db: &Backend, batch: usize) -> Result<(), String> {
        let duplicates = self.check(db, batch, true)?;
        self.duplicates += duplicates;
        Ok(())
    }

    fn summary(&self) -> String {
        format!(
            "{} message(s) delivered twice after {} kills (each with its one Message-ID)",
            self.duplicates, self.kills
        )
    }
}

/// Fails with `what` and the rows a check query found, if it found any.
fn none_found(found: &[String], what: &str) -> Result<(), String> {
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}: {found:?}"))
    }
}
