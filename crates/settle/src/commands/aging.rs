//! `settle aging`: summary per customer (with per-currency totals) or detail per item.

use anyhow::{Result, anyhow};
use serde_json::{Map, Value, json};

use settle_core::Money;
use settle_core::aging::{AgingBasis, AgingPolicy, AgingRow};
use settle_service::Settle;
use settle_service::reports::{AgingDetail, NamedAging, disputed_text};

use super::date_or_today;
use crate::cli::{AgingArgs, AgingBy, Format};
use crate::render;

pub async fn run(settle: &Settle, args: AgingArgs) -> Result<()> {
    if let Some(period) = &args.period {
        let frozen = settle.frozen_aging(period, args.detail).await?;
        if args.detail {
            return print_frozen_items(&frozen.items, args.format.format);
        }
        if args.format.format == Format::Table {
            println!(
                "aging of {} as of {}, frozen {} (sha256 {})",
                frozen.period, frozen.as_of, frozen.taken_at, frozen.checksum
            );
        }
        return print_summary(&frozen.aging, args.format.format);
    }
    let basis = match args.by {
        AgingBy::Due => AgingBasis::DueDate,
        AgingBy::Invoice => AgingBasis::InvoiceDate,
    };
    let policy = AgingPolicy::new(basis, args.buckets).map_err(|e| anyhow!("--buckets: {e}"))?;
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    if args.detail {
        let detail = settle.aging_detail(&policy, as_of).await?;
        print_detail(&detail, args.format.format)
    } else {
        let aging = settle.aging(&policy, as_of).await?;
        print_summary(&aging, args.format.format)
    }
}

fn amounts(row: &AgingRow) -> Vec<String> {
    row.buckets
        .iter()
        .chain([&row.total, &row.unapplied, &row.net])
        .map(Money::to_decimal_string)
        .chain([disputed_text(row)])
        .collect()
}

fn json_row(labels: &[String], code: &str, name: &str, row: &AgingRow) -> Value {
    let buckets: Map<String, Value> = labels
        .iter()
        .zip(&row.buckets)
        .map(|(label, amount)| (label.clone(), Value::String(amount.to_decimal_string())))
        .collect();
    json!({
        "customer_id": code,
        "customer_name": name,
        "currency": row.currency.code(),
        "buckets": buckets,
        "total": row.total.to_decimal_string(),
        "unapplied": row.unapplied.to_decimal_string(),
        "net": row.net.to_decimal_string(),
        "disputed": row.disputed.as_ref().map(Money::to_decimal_string),
    })
}

pub fn print_summary(aging: &NamedAging, format: Format) -> Result<()> {
    let labels = &aging.report.labels;
    let mut header: Vec<&str> = vec!["customer_id", "customer_name", "currency"];
    header.extend(labels.iter().map(String::as_str));
    header.extend(["total", "unapplied", "net", "disputed"]);
    let rows = aging.rows_by_code();
    match format {
        Format::Csv => {
            let (header, records) = aging.records();
            let mut out = render::csv_out();
            out.write_record(&header)?;
            for record in records {
                out.write_record(&record)?;
            }
            out.flush()?;
        }
        Format::Json => {
            render::json(&json!({
                "as_of": aging.report.as_of.to_string(),
                "buckets": labels,
                "rows": rows.iter().map(|(code, name, row)| json_row(labels, code, name, row)).collect::<Vec<_>>(),
                "totals": aging.report.totals.iter().map(|t| json_row(labels, "TOTAL", "", t)).collect::<Vec<_>>(),
                "unidentified_cash": aging.unidentified_cash,
            }))?;
        }
        Format::Table => {
            let mut table = render::table(&header);
            for (code, name, row) in &rows {
                let mut cells = vec![
                    comfy_table::Cell::new(code),
                    comfy_table::Cell::new(name),
                    comfy_table::Cell::new(row.currency),
                ];
                cells.extend(amounts(row).into_iter().map(render::num));
                table.add_row(cells);
            }
            for total in &aging.report.totals {
                let mut cells = vec![
                    comfy_table::Cell::new("TOTAL"),
                    comfy_table::Cell::new(""),
                    comfy_table::Cell::new(total.currency),
                ];
                cells.extend(amounts(total).into_iter().map(render::num));
                table.add_row(cells);
            }
            println!(
                "Aging as of {} ({} customer rows)",
                aging.report.as_of,
                rows.len()
            );
            println!("{table}");
            for cash in &aging.unidentified_cash {
                println!("Unidentified cash (payer not known yet, not in any row): {cash}");
            }
        }
    }
    Ok(())
}

fn print_detail(detail: &AgingDetail, format: Format) -> Result<()> {
    let header = [
        "customer_id",
        "customer_name",
        "document",
        "kind",
        "issue_date",
        "due_date",
        "days_past_due",
        "bucket",
        "currency",
        "balance",
    ];
    let name = |line: &settle_core::aging::AgingDetailLine| {
        detail
            .names
            .get(&line.item.customer)
            .cloned()
            .unwrap_or_default()
    };
    let record = |line: &settle_core::aging::AgingDetailLine| {
        let (code, customer_name) = name(line);
        vec![
            code,
            customer_name,
            line.item.number.clone(),
            line.item.kind.to_string(),
            line.item.issue_date.to_string(),
            line.item.due_date.to_string(),
            line.days_past_due.to_string(),
            detail.labels[line.bucket].clone(),
            line.item.balance.currency().code().to_string(),
            line.item.balance.to_decimal_string(),
        ]
    };
    match format {
        Format::Csv => {
            let mut out = render::csv_out();
            out.write_record(header)?;
            for line in &detail.lines {
                out.write_record(record(line))?;
            }
            out.flush()?;
        }
        Format::Json => {
            let lines: Vec<Value> = detail
                .lines
                .iter()
                .map(|line| json_record(&header, record(line)))
                .collect();
            render::json(&lines)?;
        }
        Format::Table => {
            let mut table = render::table(&header);
            for line in &detail.lines {
                table.add_row(record(line));
            }
            println!("{table}");
        }
    }
    Ok(())
}

fn print_frozen_items(items: &[settle_service::close::SnapshotItem], format: Format) -> Result<()> {
    let (header, rows) = settle_service::close::snapshot_records(items);
    match format {
        Format::Csv => {
            let mut out = render::csv_out();
            out.write_record(header)?;
            for row in rows {
                out.write_record(&row)?;
            }
            out.flush()?;
        }
        Format::Json => {
            let rows: Vec<Value> = rows.into_iter().map(|r| json_record(&header, r)).collect();
            render::json(&rows)?;
        }
        Format::Table => {
            let mut table = render::table(&header);
            for row in rows {
                table.add_row(row);
            }
            println!("{table}");
        }
    }
    Ok(())
}

/// One record as a JSON object keyed by the header, every value a string.
fn json_record(header: &[&str], fields: impl IntoIterator<Item = String>) -> Value {
    Value::Object(
        header
            .iter()
            .map(|h| h.to_string())
            .zip(fields.into_iter().map(Value::String))
            .collect(),
    )
}
