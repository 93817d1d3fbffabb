//! `settle import customers|invoices FILE`.

use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use settle_service::Settle;
use settle_service::import::{AmountBasis, ImportOptions, ImportReport};

use crate::cli::{AmountBasisArg, Format, ImportArgs, InvoiceImportArgs};
use crate::render;

/// Files smaller than this import too fast for a progress bar to help.
const PROGRESS_BAR_BYTES: u64 = 4 << 20;

fn progress_bar(path: &std::path::Path) -> ProgressBar {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size < PROGRESS_BAR_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(format!("importing {}", path.display()));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn print_report(what: &str, report: &ImportReport, format: Format) -> Result<()> {
    if format == Format::Json {
        return render::json(report);
    }
    if let Some(previous) = &report.already_imported {
        println!(
            "{}: already imported (import #{} of {} on {}, {} {what} stored then); nothing posted",
            report.file,
            previous.import_id,
            previous.file_name,
            previous.imported_at,
            previous.rows_stored
        );
        return Ok(());
    }
    println!(
        "{}: {} rows read, {} {what} stored, {} already stored (skipped), {} rows rejected",
        report.file,
        report.rows_read,
        report.stored,
        report.duplicates,
        settle_service::distinct_rows(&report.rejected)
    );
    for error in report
        .rejected
        .iter()
        .take(settle_service::ROW_ERRORS_SHOWN)
    {
        println!("  skipped {error}");
    }
    if report.rejected.len() > settle_service::ROW_ERRORS_SHOWN {
        println!(
            "  … and {} more",
            report.rejected.len() - settle_service::ROW_ERRORS_SHOWN
        );
    }
    Ok(())
}

pub async fn customers(settle: &Settle, args: ImportArgs) -> Result<()> {
    let bar = progress_bar(&args.file);
    let options = ImportOptions {
        skip_invalid: args.skip_invalid,
        ..ImportOptions::default()
    };
    let tick = |done: u64, _total: u64| bar.set_position(done);
    let report = settle.import_customers(&args.file, options, &tick).await;
    bar.finish_and_clear();
    print_report("customers", &report?, args.format.format)
}

pub async fn invoices(settle: &Settle, args: InvoiceImportArgs) -> Result<()> {
    let bar = progress_bar(&args.import.file);
    let options = ImportOptions {
        skip_invalid: args.import.skip_invalid,
        amount_basis: match args.amount_basis {
            AmountBasisArg::Gross => AmountBasis::Gross,
            AmountBasisArg::Net => AmountBasis::Net,
        },
    };
    let tick = |done: u64, _total: u64| bar.set_position(done);
    let report = settle
        .import_invoices(&args.import.file, options, &tick)
        .await;
    bar.finish_and_clear();
    print_report("invoices", &report?, args.import.format.format)
}
