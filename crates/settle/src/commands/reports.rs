//! `settle report bank-reconciliation`, `settle report matching` and `settle report
//! trial-balance`: the service's reports as tables, CSV or JSON.

use anyhow::{Result, anyhow};
use comfy_table::Cell;
use serde_json::json;

use settle_core::Money;
use settle_core::match_metrics::Share;
use settle_service::Settle;
use settle_service::cash_reports::{BankReconciliation, MatchingReport, MetricsGrouping};
use settle_service::reports::{TrialBalance, TrialBalanceRow};

use super::parse_date;
use crate::cli::{BankReconciliationArgs, Format, MatchingReportArgs, MetricsBy, TrialBalanceArgs};
use crate::render;

pub async fn trial_balance(settle: &Settle, args: TrialBalanceArgs) -> Result<()> {
    let as_of = args
        .as_of
        .as_deref()
        .map(|text| parse_date("--as-of", text))
        .transpose()?;
    let report = settle.trial_balance(as_of).await?;
    match args.format.format {
        Format::Json => render::json(
            &report
                .rows
                .iter()
                .map(|row| {
                    let [account, name, role, currency, debit, credit, balance] = row.cells();
                    json!({
                        "account": account,
                        "name": name,
                        "role": role,
                        "currency": currency,
                        "debit": debit,
                        "credit": credit,
                        "balance": balance,
                    })
                })
                .collect::<Vec<_>>(),
        )?,
        Format::Csv => {
            let mut csv = render::csv_out();
            csv.write_record(TrialBalanceRow::COLUMNS)?;
            for row in &report.rows {
                csv.write_record(row.cells())?;
            }
            csv.flush()?;
        }
        Format::Table => trial_balance_table(&report),
    }
    let unbalanced = report.unbalanced();
    if unbalanced.is_empty() {
        Ok(())
    } else {
        let currencies: Vec<String> = unbalanced
            .iter()
            .map(|t| format!("{} (debits {}, credits {})", t.currency, t.debit, t.credit))
            .collect();
        Err(anyhow!(
            "the trial balance does not balance in {}; run `settle verify`",
            currencies.join(", ")
        ))
    }
}

fn trial_balance_table(report: &TrialBalance) {
    let mut table = render::table(&TrialBalanceRow::COLUMNS);
    for row in &report.rows {
        let [account, name, role, currency, debit, credit, balance] = row.cells();
        table.add_row(vec![
            Cell::new(account),
            Cell::new(name),
            Cell::new(role),
            Cell::new(currency),
            render::num(debit),
            render::num(credit),
            render::num(balance),
        ]);
    }
    for total in &report.totals {
        table.add_row(vec![
            Cell::new("TOTAL"),
            Cell::new(""),
            Cell::new(""),
            Cell::new(total.currency.code()),
            render::num(total.debit.to_decimal_string()),
            render::num(total.credit.to_decimal_string()),
            render::num(total.balance.to_decimal_string()),
        ]);
    }
    match report.as_of {
        Some(as_of) => println!("Trial balance as of the end of {as_of}"),
        None => println!("Trial balance of every entry"),
    }
    println!("{table}");
}

pub async fn bank_reconciliation(settle: &Settle, args: BankReconciliationArgs) -> Result<()> {
    let from = parse_date("--from", &args.from)?;
    let to = parse_date("--to", &args.to)?;
    let report = settle
        .bank_reconciliation(args.bank_account.as_deref(), from, to)
        .await?;
    match args.format.format {
        Format::Json => render::json(&report),
        Format::Csv => reconciliation_csv(&report),
        Format::Table => {
            reconciliation_tables(&report);
            Ok(())
        }
    }
}

fn amount(money: Option<Money>) -> String {
    money.map(|m| m.to_decimal_string()).unwrap_or_default()
}

fn date_text(date: Option<settle_core::Date>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

fn reconciliation_tables(report: &BankReconciliation) {
    let mut statements = render::table(&[
        "statement",
        "bank account",
        "from",
        "to",
        "currency",
        "opening",
        "credits",
        "debits",
        "closing",
        "difference",
        "status",
    ]);
    for s in &report.statements {
        statements.add_row(vec![
            Cell::new(if s.statement_ref.is_empty() {
                s.statement_id.to_string()
            } else {
                s.statement_ref.clone()
            }),
            Cell::new(&s.bank_account),
            Cell::new(date_text(s.from_date)),
            Cell::new(date_text(s.to_date)),
            Cell::new(s.credits.currency().code()),
            render::num(amount(s.opening)),
            render::num(s.credits.to_decimal_string()),
            render::num(s.debits.to_decimal_string()),
            render::num(amount(s.closing)),
            render::num(amount(s.difference)),
            Cell::new(s.status.as_str()),
        ]);
    }
    println!("Statements\n{statements}\n");
    let mut days = render::table(&[
        "bank account",
        "date",
        "currency",
        "posted receipts",
        "posted returns",
        "statement credits",
        "statement returns",
        "difference",
        "status",
    ]);
    for day in &report.days {
        days.add_row(vec![
            Cell::new(&day.bank_account),
            Cell::new(day.date.to_string()),
            Cell::new(day.currency.code()),
            render::num(day.posted_receipts.to_decimal_string()),
            render::num(day.posted_returns.to_decimal_string()),
            render::num(day.statement_credits.to_decimal_string()),
            render::num(day.statement_returns.to_decimal_string()),
            render::num(day.difference.to_decimal_string()),
            Cell::new(day.status()),
        ]);
    }
    for total in &report.totals {
        days.add_row(vec![
            Cell::new(&total.bank_account),
            Cell::new("TOTAL"),
            Cell::new(total.currency.code()),
            render::num(total.posted_receipts.to_decimal_string()),
            render::num(total.posted_returns.to_decimal_string()),
            render::num(total.statement_credits.to_decimal_string()),
            render::num(total.statement_returns.to_decimal_string()),
            render::num(total.difference.to_decimal_string()),
            Cell::new(format!("{} variance(s)", total.variances)),
        ]);
    }
    println!("Receipts against statements\n{days}\n");
    let mut variances = render::table(&[
        "bank account",
        "date",
        "cause",
        "amount",
        "currency",
        "bank ref",
        "payment",
        "detail",
    ]);
    let mut any = false;
    for day in &report.days {
        for v in &day.variances {
            any = true;
            variances.add_row(vec![
                Cell::new(&day.bank_account),
                Cell::new(day.date.to_string()),
                Cell::new(v.cause.as_str()),
                render::num(v.amount.to_decimal_string()),
                Cell::new(day.currency.code()),
                Cell::new(&v.bank_reference),
                Cell::new(v.payment_id.map(|p| p.to_string()).unwrap_or_default()),
                Cell::new(&v.detail),
            ]);
        }
    }
    if any {
        println!("Variances\n{variances}");
    } else {
        println!("No variances: every receipt is on the statements and every credit posted.");
    }
}

/// One CSV: a `record` column says what each row is (`statement`, `day`, `variance`, `total`);
/// the columns that do not apply to it are empty.
fn reconciliation_csv(report: &BankReconciliation) -> Result<()> {
    let mut csv = render::csv_out();
    csv.write_record([
        "record",
        "bank_account",
        "date",
        "currency",
        "statement",
        "opening",
        "credits",
        "debits",
        "closing",
        "posted_receipts",
        "posted_returns",
        "statement_credits",
        "statement_returns",
        "difference",
        "status",
        "cause",
        "amount",
        "bank_ref",
        "payment_id",
        "detail",
    ])?;
    let blank = String::new;
    for s in &report.statements {
        csv.write_record([
            "statement".to_string(),
            s.bank_account.clone(),
            date_text(s.to_date.or(s.from_date)),
            s.credits.currency().code().to_string(),
            if s.statement_ref.is_empty() {
                s.statement_id.to_string()
            } else {
                s.statement_ref.clone()
            },
            amount(s.opening),
            s.credits.to_decimal_string(),
            s.debits.to_decimal_string(),
            amount(s.closing),
            blank(),
            blank(),
            blank(),
            blank(),
            amount(s.difference),
            s.status.as_str().to_string(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
        ])?;
    }
    for day in &report.days {
        csv.write_record([
            "day".to_string(),
            day.bank_account.clone(),
            day.date.to_string(),
            day.currency.code().to_string(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            day.posted_receipts.to_decimal_string(),
            day.posted_returns.to_decimal_string(),
            day.statement_credits.to_decimal_string(),
            day.statement_returns.to_decimal_string(),
            day.difference.to_decimal_string(),
            day.status().to_string(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
        ])?;
        for v in &day.variances {
            csv.write_record([
                "variance".to_string(),
                day.bank_account.clone(),
                day.date.to_string(),
                day.currency.code().to_string(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                v.cause.as_str().to_string(),
                v.amount.to_decimal_string(),
                v.bank_reference.clone(),
                v.payment_id.map(|p| p.to_string()).unwrap_or_default(),
                v.detail.clone(),
            ])?;
        }
    }
    for total in &report.totals {
        csv.write_record([
            "total".to_string(),
            total.bank_account.clone(),
            blank(),
            total.currency.code().to_string(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            total.posted_receipts.to_decimal_string(),
            total.posted_returns.to_decimal_string(),
            total.statement_credits.to_decimal_string(),
            total.statement_returns.to_decimal_string(),
            total.difference.to_decimal_string(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
            blank(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

pub async fn matching(settle: &Settle, args: MatchingReportArgs) -> Result<()> {
    let from = parse_date("--from", &args.from)?;
    let to = parse_date("--to", &args.to)?;
    let by = args.by.map(|by| match by {
        MetricsBy::BankAccount => MetricsGrouping::BankAccount,
        MetricsBy::Customer => MetricsGrouping::Customer,
        MetricsBy::Rule => MetricsGrouping::Rule,
    });
    let report = settle.matching_metrics(from, to, by).await?;
    match args.format.format {
        Format::Json => render::json(&report),
        Format::Csv => matching_csv(&report),
        Format::Table => {
            matching_table(&report);
            Ok(())
        }
    }
}

const METRIC_COLUMNS: [&str; 12] = [
    "group",
    "payments",
    "applied_in_full_auto",
    "applied_auto",
    "by_accepted_suggestion",
    "by_hand",
    "unapplied",
    "invoices_closed_auto",
    "auto_undone",
    "applications_timed",
    "median_days",
    "p90_days",
];

/// `count/of (percent%)`, or `count/of` when there is nothing to divide by.
fn share_text(share: &Share) -> String {
    match &share.percent {
        Some(percent) => format!("{}/{} ({percent}%)", share.count, share.of),
        None => format!("{}/{}", share.count, share.of),
    }
}

/// A group's cells in `METRIC_COLUMNS` order; `share` writes a share as one cell or several.
fn metric_cells(
    group: &settle_service::cash_reports::MetricsGroup,
    share: impl Fn(&Share) -> Vec<String>,
) -> Vec<String> {
    let m = &group.metrics;
    let days = |d: Option<i64>| vec![d.map(|d| d.to_string()).unwrap_or_default()];
    [
        vec![group.group.clone()],
        vec![m.payments.to_string()],
        share(&m.applied_in_full_automatically),
        share(&m.applied_automatically),
        share(&m.applied_by_accepted_suggestion),
        share(&m.applied_by_hand),
        share(&m.unapplied),
        share(&m.invoices_closed_automatically),
        share(&m.automatic_applications_undone),
        vec![m.applications_timed.to_string()],
        days(m.days_to_application_median),
        days(m.days_to_application_p90),
    ]
    .concat()
}

fn matching_table(report: &MatchingReport) {
    let mut table = render::table(&[
        "group",
        "payments",
        "in full (auto)",
        "auto",
        "suggestion",
        "by hand",
        "unapplied",
        "invoices closed (auto)",
        "auto undone",
        "timed",
        "median days",
        "p90 days",
    ]);
    for group in report.groups.iter().chain(std::iter::once(&report.total)) {
        let cells = metric_cells(group, |share| vec![share_text(share)]);
        let mut row = vec![Cell::new(&cells[0])];
        row.extend(cells[1..].iter().map(|c| render::num(c.clone())));
        table.add_row(row);
    }
    println!(
        "Payments received {} to {} (see `settle report matching --help` for the definitions)",
        report.from, report.to
    );
    println!("{table}");
}

/// Counts and percentages in separate columns: `<metric>` is the count, `<metric>_of` what it is
/// counted out of, `<metric>_percent` the share.
fn matching_csv(report: &MatchingReport) -> Result<()> {
    let mut csv = render::csv_out();
    let mut header = Vec::new();
    for column in METRIC_COLUMNS {
        header.push(column.to_string());
        if matches!(
            column,
            "applied_in_full_auto"
                | "applied_auto"
                | "by_accepted_suggestion"
                | "by_hand"
                | "unapplied"
                | "invoices_closed_auto"
                | "auto_undone"
        ) {
            header.push(format!("{column}_of"));
            header.push(format!("{column}_percent"));
        }
    }
    csv.write_record(&header)?;
    for group in report.groups.iter().chain(std::iter::once(&report.total)) {
        let row = metric_cells(group, |share| {
            vec![
                share.count.to_string(),
                share.of.to_string(),
                share.percent.clone().unwrap_or_default(),
            ]
        });
        csv.write_record(&row)?;
    }
    csv.flush()?;
    Ok(())
}
