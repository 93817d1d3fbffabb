//! `settle import bank FILE...`.

use anyhow::{Result, bail};

use settle_service::Settle;
use settle_service::import::bank::{BankImportOptions, BankImportReport, LineOutcome};

use crate::cli::{BankImportArgs, Format};
use crate::render;

/// Each file is imported in its own transaction; a refused file does not stop the others, but
/// the command fails at the end.
pub async fn import(settle: &Settle, args: BankImportArgs) -> Result<()> {
    let options = BankImportOptions {
        bank_account: args.bank_account.clone(),
        column_map: args.column_map.clone(),
        strict: args.strict,
    };
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for file in &args.files {
        match settle.import_bank(file, &options).await {
            Ok(report) => {
                if args.format.format == Format::Table {
                    print_report(&report);
                }
                reports.push(report);
            }
            Err(error) => {
                eprintln!("error: {error}");
                failures.push(file.display().to_string());
            }
        }
    }
    if args.format.format == Format::Json {
        render::json(&reports)?;
    }
    if !failures.is_empty() {
        bail!(
            "{} of {} file(s) not imported: {}",
            failures.len(),
            args.files.len(),
            failures.join(", ")
        );
    }
    Ok(())
}

fn print_report(report: &BankImportReport) {
    let format = report.format.map_or("?", |f| f.as_str());
    if let Some(previous) = &report.already_imported {
        println!(
            "{} ({format}): already imported (import #{} of {} on {}); nothing posted",
            report.file, previous.import_id, previous.file_name, previous.imported_at
        );
        return;
    }
    println!(
        "{} ({format}): {} line(s): {} payment(s) posted, {} already posted, {} returned, {} not receivable, {} not booked, {} for a clerk",
        report.file,
        report.lines.len(),
        report.count(LineOutcome::Payment),
        report.count(LineOutcome::Duplicate),
        report.count(LineOutcome::Return),
        report.count(LineOutcome::NotReceivable),
        report.count(LineOutcome::NotBooked),
        report.count(LineOutcome::Conflict) + report.count(LineOutcome::ReturnUnmatched),
    );
    let mut statements = render::table(&[
        "account",
        "bank account",
        "statement",
        "lines",
        "credits",
        "debits",
        "opening",
        "closing",
        "difference",
    ]);
    let money = |m: &Option<settle_core::Money>| m.map_or(String::new(), |m| m.to_string());
    for statement in &report.statements {
        statements.add_row(vec![
            comfy_table::Cell::new(&statement.account_number),
            comfy_table::Cell::new(&statement.bank_account),
            comfy_table::Cell::new(&statement.statement_ref),
            render::num(statement.lines.to_string()),
            render::num(statement.credits.to_string()),
            render::num(statement.debits.to_string()),
            render::num(money(&statement.opening)),
            render::num(money(&statement.closing)),
            render::num(match statement.difference {
                Some(d) if d.is_zero() => "reconciled".to_string(),
                Some(d) => d.to_string(),
                None => "no balances".to_string(),
            }),
        ]);
    }
    println!("{statements}");
    let attention: Vec<_> = report
        .lines
        .iter()
        .filter(|l| {
            matches!(
                l.outcome,
                LineOutcome::Conflict | LineOutcome::ReturnUnmatched | LineOutcome::Return
            )
        })
        .collect();
    if !attention.is_empty() {
        let mut lines = render::table(&["where", "amount", "reference", "outcome", "detail"]);
        for line in attention {
            lines.add_row(vec![
                comfy_table::Cell::new(&line.location),
                render::num(line.amount.to_string()),
                comfy_table::Cell::new(&line.bank_reference),
                comfy_table::Cell::new(line.outcome.as_str()),
                comfy_table::Cell::new(&line.detail),
            ]);
        }
        println!("{lines}");
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
}
