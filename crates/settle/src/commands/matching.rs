//! `settle match`, `settle apply --accept/--reject`, `settle export applications`.

use std::io::{BufWriter, Write};

use anyhow::{Context, Result};
use comfy_table::Cell;

use settle_service::Settle;
use settle_service::matching::{
    Allocation, Decision, Evidence, MatchOptions, MatchPolicy, MatchRunReport,
};

use crate::cli::{ExportApplicationsArgs, ExportFormat, Format, MatchArgs, WriteArgs};
use crate::render;

/// Who decided, in the decision records of accepts and rejects from the command line.
const CLERK: &str = "settle apply";

pub async fn run(settle: &Settle, args: MatchArgs) -> Result<()> {
    if let Some(reference) = &args.explain {
        return explain(settle, reference, args.format.format).await;
    }
    let options = MatchOptions {
        policy: MatchPolicy {
            auto_threshold: args.auto_threshold,
            suggest_threshold: args.suggest_threshold,
            ..MatchPolicy::default()
        },
        dry_run: args.dry_run,
    };
    let report = settle.run_matching(&options).await?;
    if args.format.format == Format::Json {
        return render::json(&report);
    }
    print_run(&report, args.dry_run);
    Ok(())
}

fn print_run(report: &MatchRunReport, dry_run: bool) {
    println!(
        "{} payment(s) against {} open item(s): {} applied automatically, {} suggested, {} left unapplied{}",
        report.payments,
        report.open_items,
        report.auto,
        report.suggested,
        report.unapplied,
        if dry_run {
            " (dry run: nothing stored)"
        } else {
            ""
        }
    );
    println!(
        "index built in {} ms, matched in {} ms",
        report.index_ms, report.match_ms
    );
    if report.outcomes.is_empty() {
        return;
    }
    let mut table = render::table(&[
        "decision",
        "payment",
        "bank ref",
        "amount",
        "customer",
        "outcome",
        "score",
        "rule",
        "allocations",
    ]);
    for outcome in &report.outcomes {
        table.add_row(vec![
            Cell::new(outcome.decision_id.map_or(String::new(), |d| d.to_string())),
            Cell::new(outcome.payment_id.to_string()),
            Cell::new(&outcome.bank_reference),
            render::num(outcome.amount.to_string()),
            Cell::new(outcome.customer.clone().unwrap_or_default()),
            Cell::new(decision_name(outcome.decision)),
            render::num(outcome.score.to_string()),
            Cell::new(outcome.rule),
            Cell::new(allocations_text(&outcome.allocations)),
        ]);
    }
    println!("{table}");
    for outcome in report.outcomes.iter().filter(|o| o.error.is_some()) {
        println!(
            "payment {}: could not be applied automatically, left as a suggestion: {}",
            outcome.payment_id,
            outcome.error.as_deref().unwrap_or("")
        );
    }
}

fn decision_name(decision: Decision) -> &'static str {
    match decision {
        Decision::Auto => "applied",
        Decision::Suggest => "suggested",
        Decision::Unapplied => "unapplied",
    }
}

fn allocations_text(allocations: &[Allocation]) -> String {
    allocations
        .iter()
        .map(|a| {
            let mut text = format!("{} {}", a.number, a.cash.to_decimal_string());
            if a.discount.is_positive() {
                text.push_str(&format!(" +discount {}", a.discount.to_decimal_string()));
            }
            if a.fee.is_positive() {
                text.push_str(&format!(" +fee {}", a.fee.to_decimal_string()));
            }
            if a.deduction.is_positive() {
                text.push_str(&format!(" (deduction {})", a.deduction.to_decimal_string()));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

async fn explain(settle: &Settle, reference: &str, format: Format) -> Result<()> {
    let decisions = settle.explain_match(reference).await?;
    if format == Format::Json {
        let values: Vec<serde_json::Value> = decisions
            .iter()
            .map(|d| {
                serde_json::json!({
                    "decision_id": d.id,
                    "payment_id": d.payment,
                    "decided_at": d.decided_at,
                    "decision": d.decision,
                    "status": d.status,
                    "rule": d.rule,
                    "score": d.score,
                    "allocations": serde_json::from_str::<serde_json::Value>(&d.allocations).unwrap_or_default(),
                    "evidence": serde_json::from_str::<serde_json::Value>(&d.evidence).unwrap_or_default(),
                    "decided_by": d.decided_by,
                })
            })
            .collect();
        return render::json(&values);
    }
    if decisions.is_empty() {
        println!("no match decisions for bank reference {reference:?}");
        return Ok(());
    }
    for decision in decisions {
        println!(
            "decision {} on payment {} ({}): {} by rule {} with score {} — {} ({})",
            decision.id,
            decision.payment,
            decision.decided_at,
            decision.decision,
            decision.rule,
            decision.score,
            decision.status,
            decision.decided_by
        );
        let allocations: Vec<Allocation> =
            serde_json::from_str(&decision.allocations).unwrap_or_default();
        if !allocations.is_empty() {
            println!("  allocations: {}", allocations_text(&allocations));
        }
        let evidence: Vec<Evidence> = serde_json::from_str(&decision.evidence).unwrap_or_default();
        for item in evidence {
            println!("  {:+5}  {}", item.points, item.what);
        }
    }
    Ok(())
}

pub async fn accept(settle: &Settle, decision: i64, write: &WriteArgs) -> Result<()> {
    let accepted = settle.accept_match(decision, CLERK).await?;
    if write.format.format == Format::Json {
        return render::json(&serde_json::json!({
            "decision_id": decision,
            "accepted": accepted.allocations,
            "learned": accepted.learned,
        }));
    }
    println!(
        "decision {decision} accepted: {}",
        allocations_text(&accepted.allocations)
    );
    for learned in &accepted.learned {
        println!("{learned}");
    }
    Ok(())
}

pub async fn reject(settle: &Settle, decision: i64, write: &WriteArgs) -> Result<()> {
    let learned = settle.reject_match(decision, CLERK).await?;
    if write.format.format == Format::Json {
        return render::json(
            &serde_json::json!({"decision_id": decision, "rejected": true, "learned": learned}),
        );
    }
    println!("decision {decision} rejected: nothing booked; the payment waits for a person");
    for learned in &learned {
        println!("{learned}");
    }
    Ok(())
}

pub async fn export(settle: &Settle, args: ExportApplicationsArgs) -> Result<()> {
    let rows = settle.export_applications().await?;
    if args.format == ExportFormat::Xlsx {
        let table = settle_service::export::reports::applications(&rows);
        return super::export::write_table(
            &table,
            settle_service::export::TableFormat::Xlsx,
            args.out.as_deref(),
        );
    }
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            settle_service::private_files::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    match args.format {
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        ExportFormat::Xlsx => unreachable!("written above"),
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(&mut out);
            csv.write_record(["bank_ref", "invoice_number", "amount", "status"])?;
            for row in &rows {
                csv.write_record([
                    row.bank_ref.as_str(),
                    row.invoice_number.as_str(),
                    row.amount.as_str(),
                    row.status,
                ])?;
            }
            csv.flush()?;
        }
    }
    out.flush()?;
    Ok(())
}
