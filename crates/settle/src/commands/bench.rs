//! `settle bench`: the import and aging benchmarks of docs/benchmarks.md.

use anyhow::Result;

use settle_service::bench::{self, BenchOptions, median};

use crate::cli::BenchArgs;

pub async fn run(args: BenchArgs) -> Result<()> {
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
