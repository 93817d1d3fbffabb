//! `settle gl import` and `settle gl reconcile`: the general ledger's figures in, the
//! subledger-to-GL reconciliation out as a table, CSV or JSON.

use anyhow::{Result, anyhow};
use comfy_table::Cell;

use settle_core::Money;
use settle_core::gl_recon::DifferenceCause;
use settle_service::Settle;
use settle_service::gl_recon::GlReconciliation;
use settle_service::import::gl::{GlImportReport, GlShape};

use crate::cli::{Format, GlImportArgs, GlReconcileArgs};
use crate::render;

pub async fn import(settle: &Settle, args: GlImportArgs) -> Result<()> {
    let report = settle.import_gl(&args.file, &args.period).await?;
    if args.format.format == Format::Json {
        return render::json(&report);
    }
    print_import(&report);
    Ok(())
}

fn amounts(amounts: &[Money]) -> String {
    if amounts.is_empty() {
        return "nothing".to_string();
    }
    let texts: Vec<String> = amounts.iter().map(Money::to_string).collect();
    texts.join(", ")
}

fn print_import(report: &GlImportReport) {
    if let Some(previous) = &report.already_imported {
        let superseded = previous
            .superseded_by
            .map(|id| format!(", since superseded by GL import #{id}"))
            .unwrap_or_default();
        println!(
            "{}: already imported for {} (GL import #{} of {} on {}{superseded}); nothing stored",
            report.file,
            report.period,
            previous.import_id,
            previous.file_name,
            previous.imported_at
        );
        return;
    }
    let shape = report.shape.as_str();
    let supersedes = report
        .supersedes
        .map(|id| format!("; supersedes GL import #{id}"))
        .unwrap_or_default();
    println!(
        "{}: {shape} for {}: {} rows read, {} for A/R control {}, {} for other accounts; GL import #{}{supersedes}",
        report.file,
        report.period,
        report.rows_read,
        report.control_rows,
        report.control_account,
        report.other_rows,
        report.import_id.unwrap_or(0),
    );
    println!(
        "the GL's A/R control at the period end: {}",
        amounts(&report.balances)
    );
}

pub async fn reconcile(settle: &Settle, args: GlReconcileArgs) -> Result<()> {
    let Some(report) = settle.gl_reconciliation(&args.period).await? else {
        return Err(anyhow!(
            "no general ledger imported for period {}: `settle gl import FILE --period {}` first",
            args.period,
            args.period
        ));
    };
    match args.format.format {
        Format::Json => render::json(&report),
        Format::Csv => reconciliation_csv(&report),
        Format::Table => {
            reconciliation_tables(&report);
            Ok(())
        }
    }
}

fn reconciliation_tables(report: &GlReconciliation) {
    let import = &report.import;
    println!(
        "Period {} ({} to {}), A/R control {}, against GL import #{} ({}, {}, imported {})",
        report.period.name,
        report.period.start,
        report.period.end,
        report.control_account,
        import.import_id,
        import.shape.as_str(),
        import.file_name,
        import.imported_at
    );
    let mut figures = render::table(&[
        "currency",
        "GL A/R control",
        "Settle A/R control",
        "open items",
        "difference",
        "explained",
        "unexplained",
    ]);
    for c in &report.currencies {
        figures.add_row(vec![
            Cell::new(c.currency.code()),
            render::num(c.gl_control.to_decimal_string()),
            render::num(c.settle_control.to_decimal_string()),
            render::num(c.subledger.to_decimal_string()),
            render::num(c.difference.to_decimal_string()),
            render::num(c.explained.to_decimal_string()),
            render::num(c.unexplained.to_decimal_string()),
        ]);
    }
    println!("{figures}\n");
    for c in report
        .currencies
        .iter()
        .filter(|c| !c.subledger_difference.is_zero())
    {
        println!(
            "SETTLE DISAGREES WITH ITSELF in {}: A/R control {} but open items {} (run `settle verify`)",
            c.currency,
            c.settle_control.to_decimal_string(),
            c.subledger.to_decimal_string()
        );
    }
    if report.settle_agrees {
        println!("Settle's A/R control equals its open items in every currency.");
    }
    let mut differences = render::table(&[
        "currency",
        "cause",
        "amount",
        "entry",
        "GL lines",
        "Settle date",
        "GL date",
        "detail",
    ]);
    let mut any = false;
    for c in &report.currencies {
        for d in &c.differences {
            any = true;
            differences.add_row(vec![
                Cell::new(c.currency.code()),
                Cell::new(d.cause.as_str()),
                render::num(d.amount.to_decimal_string()),
                Cell::new(d.entry_id.map(|e| e.to_string()).unwrap_or_default()),
                Cell::new(line_list(&d.gl_lines)),
                Cell::new(d.settle_date.map(|d| d.to_string()).unwrap_or_default()),
                Cell::new(d.gl_date.map(|d| d.to_string()).unwrap_or_default()),
                Cell::new(&d.detail),
            ]);
        }
    }
    if any {
        println!("\nDifferences (signed as Settle − GL)\n{differences}");
    } else {
        println!("The general ledger agrees with Settle to the cent.");
    }
    let unexplained = report.currencies.iter().any(|c| {
        c.differences
            .iter()
            .any(|d| d.cause == DifferenceCause::Unexplained)
    });
    if unexplained && import.shape == GlShape::Balances {
        println!(
            "\nOnly balances were imported: import the GL's postings to A/R control for the period \
             (`settle gl import FILE --period {}`, see `settle gl import --help`) to explain the \
             difference down to the entry.",
            report.period.name
        );
    }
}

fn line_list(lines: &[u64]) -> String {
    settle_service::gl_recon::line_list(lines)
}

fn reconciliation_csv(report: &GlReconciliation) -> Result<()> {
    let (header, records) = report.records();
    let mut csv = render::csv_out();
    csv.write_record(header)?;
    for record in records {
        csv.write_record(&record)?;
    }
    csv.flush()?;
    Ok(())
}
