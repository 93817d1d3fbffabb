//! `settle export aging|kpis|worklist|contacts`: reports as CSV or as an XLSX workbook, and the
//! one place that writes a table's bytes (also for `export journal` and `export applications`
//! in xlsx). The tables and both formats are `settle_service::export`'s.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand, ValueEnum};

use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_core::kpi::DaysBasis;
use settle_service::Settle;
use settle_service::collections::worklist::WorklistFilter;
use settle_service::export::{Table, TableFormat, reports};
use settle_service::kpis::KpiGrouping;

use super::collections::moment;
use super::{date_or_today, parse_date};
use crate::cli::{AgingBy, KpiBy, YesNo};

/// The reports `settle export` writes as tables (journal and applications have their own
/// arguments in `cli.rs`).
#[derive(Debug, Subcommand)]
pub enum ExportTableCommand {
    /// The aging: one row per customer and currency with TOTAL rows, or with --detail one row
    /// per open item with its bucket.
    Aging(ExportAgingArgs),
    /// The collection KPIs, one row per group and currency.
    Kpis(ExportKpisArgs),
    /// The ranked worklist, one row per account and currency.
    Worklist(ExportWorklistArgs),
    /// The contact log of every customer (or one), oldest first.
    Contacts(ExportContactsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFileFormat {
    Csv,
    Xlsx,
}

impl From<TableFileFormat> for TableFormat {
    fn from(format: TableFileFormat) -> TableFormat {
        match format {
            TableFileFormat::Csv => TableFormat::Csv,
            TableFileFormat::Xlsx => TableFormat::Xlsx,
        }
    }
}

#[derive(Debug, Args)]
pub struct TableOutArgs {
    /// csv (exact decimal text) or xlsx (a workbook: amounts as numbers with their currency's
    /// decimals, dates as dates, frozen header row, autofilter).
    #[arg(long, value_enum, default_value_t = TableFileFormat::Csv)]
    pub format: TableFileFormat,
    /// Write to this file (required for xlsx); CSV goes to standard output without it.
    #[arg(long, required_if_eq("format", "xlsx"))]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportAgingArgs {
    /// Balances as they stood at the end of this day; today when left out.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Age by due date or by invoice date.
    #[arg(long, value_enum, default_value_t = AgingBy::Due)]
    pub by: AgingBy,
    /// Upper day bounds of the past-due buckets.
    #[arg(long, default_value = "30,60,90", value_delimiter = ',')]
    pub buckets: Vec<u32>,
    /// One row per open item instead of one per customer.
    #[arg(long)]
    pub detail: bool,
    #[command(flatten)]
    pub out: TableOutArgs,
}

#[derive(Debug, Args)]
pub struct ExportKpisArgs {
    /// The date the figures are taken at (yyyy-mm-dd).
    #[arg(long)]
    pub as_of: String,
    /// Days a period counts in DSO: its actual days, or 365 or 360 a year.
    #[arg(long, default_value = "actual")]
    pub days_basis: String,
    /// For the entity, or per collector.
    #[arg(long, value_enum, default_value_t = KpiBy::Entity)]
    pub by: KpiBy,
    #[command(flatten)]
    pub out: TableOutArgs,
}

#[derive(Debug, Args)]
pub struct ExportWorklistArgs {
    #[arg(long)]
    pub collector: Option<String>,
    #[arg(long)]
    pub segment: Option<String>,
    /// Oldest past-due item's bucket: current, 1-30, 31-60, 61-90, 91+.
    #[arg(long)]
    pub bucket: Option<String>,
    /// Only accounts with (yes) or without (no) an active dispute.
    #[arg(long, value_enum)]
    pub disputed: Option<YesNo>,
    #[arg(long)]
    pub as_of: Option<String>,
    /// The moment for the contact windows, RFC 3339 (default: now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub out: TableOutArgs,
}

#[derive(Debug, Args)]
pub struct ExportContactsArgs {
    /// Only this customer's entries.
    #[arg(long)]
    pub customer: Option<String>,
    #[command(flatten)]
    pub out: TableOutArgs,
}

pub async fn run(settle: &Settle, command: ExportTableCommand) -> Result<()> {
    let (table, out) = match command {
        ExportTableCommand::Aging(args) => (aging(settle, &args).await?, args.out),
        ExportTableCommand::Kpis(args) => (kpis(settle, &args).await?, args.out),
        ExportTableCommand::Worklist(args) => (worklist(settle, &args).await?, args.out),
        ExportTableCommand::Contacts(args) => {
            let rows = settle.contact_log_export(args.customer.as_deref()).await?;
            (reports::contact_log(&rows)?, args.out)
        }
    };
    write_table(&table, out.format.into(), out.out.as_deref())
}

async fn aging(settle: &Settle, args: &ExportAgingArgs) -> Result<Table> {
    let basis = match args.by {
        AgingBy::Due => AgingBasis::DueDate,
        AgingBy::Invoice => AgingBasis::InvoiceDate,
    };
    let policy =
        AgingPolicy::new(basis, args.buckets.clone()).map_err(|e| anyhow!("--buckets: {e}"))?;
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    Ok(if args.detail {
        reports::aging_detail(&settle.aging_detail(&policy, as_of).await?)
    } else {
        reports::aging_summary(&settle.aging(&policy, as_of).await?)
    })
}

async fn kpis(settle: &Settle, args: &ExportKpisArgs) -> Result<Table> {
    let as_of = parse_date("--as-of", &args.as_of)?;
    let basis: DaysBasis = args
        .days_basis
        .parse()
        .map_err(|e| anyhow!("--days-basis: {e}"))?;
    let grouping = match args.by {
        KpiBy::Entity => KpiGrouping::Entity,
        KpiBy::Collector => KpiGrouping::Collector,
    };
    Ok(reports::kpis(&settle.kpis(as_of, basis, grouping).await?))
}

async fn worklist(settle: &Settle, args: &ExportWorklistArgs) -> Result<Table> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let at = moment("--at", args.at.as_deref())?;
    let filter = WorklistFilter {
        collector: args.collector.clone(),
        segment: args.segment.clone(),
        bucket: args.bucket.clone(),
        disputed: args.disputed.map(|d| d == YesNo::Yes),
        limit: args.limit,
    };
    Ok(reports::worklist(
        &settle.worklist(as_of, at, &filter).await?,
    )?)
}

/// Writes the table's bytes to the file, or to standard output. The bytes are made first, so
/// a refusal leaves no file behind.
pub fn write_table(table: &Table, format: TableFormat, out: Option<&Path>) -> Result<()> {
    let bytes = table.to_bytes(format)?;
    match out {
        Some(path) => {
            let mut file = settle_service::private_files::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            file.write_all(&bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None if format == TableFormat::Xlsx => {
            return Err(anyhow!("an XLSX export needs --out FILE"));
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(())
}
