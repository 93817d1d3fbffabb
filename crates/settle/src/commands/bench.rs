//! `settle bench`: the import and aging benchmarks of docs/benchmarks.md.

use anyhow::Result;

use settle_service::bench::{self, BenchOptions, MatchingBenchOptions, median};

use crate::cli::BenchArgs;
use crate::render;

pub async fn run(args: BenchArgs) -> Result<()> {
    if args.matching {
        matching(&args);
        return Ok(());
    }
    if args.collections {
        return collections(&args).await;
    }
    if let Some(count) = args.statements {
        return statements(&args, count);
    }
    let options = BenchOptions {
        invoices: args.invoices,
        customers: 10_000,
        runs: args.runs,
        dir: args.dir,
        as_of: jiff::civil::date(2026, 10, 31),
    };
    let log = |line: &str| eprintln!("{line}");
    let result = bench::run(&options, &log).await?;
    let ms = |v: &[f64]| format!("{:.1} ms", median(v));
    println!(
        "invoices imported: {} ({:.1} MB of CSV), {} runs",
        result.invoices,
        result.csv_bytes as f64 / 1e6,
        result.import_seconds.len()
    );
    println!(
        "import into SQLite, median: {:.2} s ({:.0} invoices/s)",
        median(&result.import_seconds),
        result.invoices as f64 / median(&result.import_seconds)
    );
    println!("open items aged: {}", result.open_items);
    println!(
        "aging as of {}: settle {} · one SQL query {} · ratio {:.2}x",
        options.as_of,
        ms(&result.aging_ms),
        ms(&result.aging_sql_ms),
        median(&result.aging_sql_ms) / median(&result.aging_ms)
    );
    println!(
        "aging as of mid-year (history): settle {} · one SQL query {} · ratio {:.2}x",
        ms(&result.history_ms),
        ms(&result.history_sql_ms),
        median(&result.history_sql_ms) / median(&result.history_ms)
    );
    Ok(())
}

fn matching(args: &BenchArgs) {
    let options = MatchingBenchOptions {
        customers: (args.open_items / 50).max(100),
        open_items: args.open_items,
        lines: args.lines,
        runs: args.runs,
        seed: 20_261_122,
    };
    eprintln!(
        "generating {} open items and {} statement lines …",
        options.open_items, options.lines
    );
    let result = bench::run_matching(&options);
    let match_ms = median(&result.match_ms);
    println!(
        "{} statement lines against {} open items, {} runs",
        result.lines,
        result.open_items,
        result.match_ms.len()
    );
    println!(
        "index build, median: {:.0} ms; matching, median: {:.0} ms ({:.0} lines/s on one thread)",
        median(&result.index_ms),
        match_ms,
        result.lines as f64 / (match_ms / 1e3)
    );
    let mut table = render::table(&[
        "case",
        "lines",
        "auto",
        "auto right",
        "suggested",
        "first suggestion right",
        "unapplied",
    ]);
    let evaluation = &result.evaluation;
    for (case, tally) in evaluation
        .by_case
        .iter()
        .map(|(c, t)| (format!("{c:?}"), t))
        .chain(std::iter::once(("all".to_string(), &evaluation.total)))
    {
        table.add_row(vec![
            comfy_table::Cell::new(case),
            render::num(tally.lines.to_string()),
            render::num(tally.auto.to_string()),
            render::num(tally.auto_right.to_string()),
            render::num(tally.suggested.to_string()),
            render::num(tally.suggested_right.to_string()),
            render::num(tally.unapplied.to_string()),
        ]);
    }
    println!("{table}");
    let total = &evaluation.total;
    println!(
        "automatic applications right (per invoice): {:.2} % · matchable lines applied automatically and right: {:.2} % · the rest right at the first suggestion: {:.2} %",
        total.auto_precision() * 100.0,
        total.auto_rate() * 100.0,
        total.first_suggestion_rate() * 100.0
    );
}

async fn collections(args: &BenchArgs) -> Result<()> {
    use settle_service::bench_collections::{self, CollectionsBenchOptions};
    let options = CollectionsBenchOptions {
        customers: args.customers,
        invoices: args.invoices,
        runs: args.runs,
        dir: args.dir.clone(),
        as_of: jiff::civil::date(2026, 10, 31),
    };
    let log = |line: &str| eprintln!("{line}");
    let r = bench_collections::run(&options, &log).await?;
    let ms = |v: &[f64]| format!("{:.0} ms", median(v));
    println!(
        "{} customers, {} open items; {}",
        r.customers, r.open_items, r.setup
    );
    println!(
        "catch-up dunning run (first reminders for the whole book): {:.1} s, {} actions",
        r.catch_up_seconds, r.catch_up_actions
    );
    println!(
        "daily dunning run as of {}, median of {}: {} ({} actions, {} stopped by guards); dry run {}",
        options.as_of,
        r.daily_ms.len(),
        ms(&r.daily_ms),
        r.daily_actions,
        r.daily_blocked,
        ms(&r.dry_run_ms)
    );
    println!(
        "  one SQL query selecting the undunned overdue items ({} accounts): {} · ratio {:.2}x",
        r.candidate_accounts,
        ms(&r.candidates_sql_ms),
        median(&r.daily_ms) / median(&r.candidates_sql_ms)
    );
    println!(
        "worklist ({} accounts): {}; one collector's: {}",
        r.worklist_entries,
        ms(&r.worklist_ms),
        ms(&r.worklist_collector_ms)
    );
    println!(
        "  one SQL query ranking by past-due amount: {} · ratio {:.2}x",
        ms(&r.worklist_sql_ms),
        median(&r.worklist_ms) / median(&r.worklist_sql_ms)
    );
    Ok(())
}

/// `settle bench --statements N`: Settle's PDF statements against WeasyPrint's.
fn statements(args: &BenchArgs, count: usize) -> Result<()> {
    use settle_service::bench_statements::{self, StatementBenchOptions};
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let weasyprint = std::process::Command::new("python3")
        .args(["-c", "import weasyprint"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !weasyprint {
        eprintln!("WeasyPrint is not installed (pip install weasyprint): measuring Settle alone");
    }
    let options = StatementBenchOptions {
        statements: count.max(1),
        runs: args.runs.max(1),
        threads,
        dir: args.dir.clone(),
        weasyprint,
        workers: super::documents::render_workers(),
    };
    let log = |line: &str| eprintln!("{line}");
    let result = bench_statements::run(&options, &log)?;
    let settle = median(&result.settle_seconds);
    println!(
        "statements: {} of {:.1} pages ({:.0} KB each), {} runs, {threads} threads",
        result.statements,
        result.pages_per_statement,
        result.bytes_per_statement / 1e3,
        result.settle_seconds.len()
    );
    println!(
        "start-up (templates, fonts, one statement per script): {:.2} s",
        result.warm_up_seconds
    );
    // Without a path to this program the bench renders on threads alone.
    let mode = if result.settle_threads_seconds.is_empty() {
        format!("{threads} threads")
    } else {
        format!("{threads} processes")
    };
    println!(
        "settle (Typst, {mode}), median: {settle:.2} s · {:.0} statements/s · {:.0} pages/s",
        result.statements as f64 / settle,
        result.statements as f64 * result.pages_per_statement / settle
    );
    if !result.settle_threads_seconds.is_empty() {
        let on_threads = median(&result.settle_threads_seconds);
        println!(
            "settle on {threads} threads in one process, median: {on_threads:.2} s · {:.0} statements/s · worker processes {:.2}x as fast",
            result.statements as f64 / on_threads,
            on_threads / settle
        );
    }
    if !result.weasyprint_seconds.is_empty() {
        let weasy = median(&result.weasyprint_seconds);
        println!(
            "weasyprint {} (HTML, {threads} processes), median: {weasy:.2} s · {:.0} statements/s · {:.0} pages/s ({:.1} pages each)",
            result.weasyprint_version,
            result.statements as f64 / weasy,
            result.statements as f64 * result.weasyprint_pages_per_statement / weasy,
            result.weasyprint_pages_per_statement
        );
        println!("ratio: {:.1}x (statements/s)", weasy / settle);
    }
    Ok(())
}
