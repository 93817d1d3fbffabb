//! `settle report kpis`: the collection KPIs per currency, for the entity or per collector.

use anyhow::{Result, anyhow};
use comfy_table::Cell;
use serde_json::{Map, Value, json};

use settle_core::kpi::{DaysBasis, Kpis, round2};
use settle_service::Settle;
use settle_service::kpis::{KpiGrouping, KpiReport};

use super::parse_date;
use crate::cli::{Format, KpiBy, KpisArgs};
use crate::render;

/// The figures in output order: name, and how to read it from the KPIs.
type Field = (&'static str, fn(&Kpis) -> Value);

fn days(value: Option<f64>) -> Value {
    value.map_or(Value::Null, |v| json!(round2(v)))
}

const FIELDS: &[Field] = &[
    ("receivables", |k| json!(k.receivables.to_decimal_string())),
    ("current", |k| json!(k.current.to_decimal_string())),
    ("overdue", |k| json!(k.overdue.to_decimal_string())),
    ("credit_sales_30", |k| {
        json!(k.credit_sales_month.to_decimal_string())
    }),
    ("credit_sales_90", |k| {
        json!(k.credit_sales_quarter.to_decimal_string())
    }),
    ("beginning_receivables_30", |k| {
        json!(k.beginning_receivables_month.to_decimal_string())
    }),
    ("beginning_receivables_90", |k| {
        json!(k.beginning_receivables_quarter.to_decimal_string())
    }),
    ("cash_collected_30", |k| {
        json!(k.cash_collected_month.to_decimal_string())
    }),
    ("dso_30", |k| days(k.dso_30)),
    ("dso_90", |k| days(k.dso_90)),
    ("countback_dso", |k| days(k.countback_dso)),
    ("best_possible_dso_90", |k| days(k.best_possible_dso_90)),
    ("add_90", |k| days(k.add_90)),
    ("cei", |k| days(k.cei)),
    ("cei_90", |k| days(k.cei_90)),
    ("overdue_share", |k| days(k.overdue_share)),
    ("recovery_rate", |k| days(k.recovery_rate)),
    ("broken_promise_rate", |k| days(k.broken_promise_rate)),
];

fn currency_object(kpis: &Kpis) -> Value {
    let mut object = Map::new();
    for (name, read) in FIELDS {
        object.insert((*name).to_string(), read(kpis));
    }
    Value::Object(object)
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number
            .as_f64()
            .map_or_else(|| number.to_string(), |v| format!("{v:.2}")),
        other => other.to_string(),
    }
}

pub async fn run(settle: &Settle, args: KpisArgs) -> Result<()> {
    let as_of = parse_date("--as-of", &args.as_of)?;
    let basis: DaysBasis = args
        .days_basis
        .parse()
        .map_err(|e| anyhow!("--days-basis: {e}"))?;
    let grouping = match args.by {
        KpiBy::Entity => KpiGrouping::Entity,
        KpiBy::Collector => KpiGrouping::Collector,
    };
    let report = settle.kpis(as_of, basis, grouping).await?;
    match args.format.format {
        Format::Json => render::json(&json_report(&report, grouping)),
        Format::Csv => csv(&report),
        Format::Table => {
            table(&report);
            Ok(())
        }
    }
}

/// Keyed by currency; per collector, keyed by collector and then currency.
fn json_report(report: &KpiReport, grouping: KpiGrouping) -> Value {
    let by_currency = |kpis: &[Kpis]| -> Value {
        Value::Object(
            kpis.iter()
                .map(|k| (k.currency.code().to_string(), currency_object(k)))
                .collect(),
        )
    };
    match grouping {
        KpiGrouping::Entity => report
            .groups
            .first()
            .map_or_else(|| json!({}), |g| by_currency(&g.currencies)),
        KpiGrouping::Collector => Value::Object(
            report
                .groups
                .iter()
                .map(|g| (g.name.clone(), by_currency(&g.currencies)))
                .collect(),
        ),
    }
}

fn csv(report: &KpiReport) -> Result<()> {
    let mut csv = render::csv_out();
    let mut header = vec!["group", "currency"];
    header.extend(FIELDS.iter().map(|(name, _)| *name));
    csv.write_record(&header)?;
    for group in &report.groups {
        for kpis in &group.currencies {
            let mut record = vec![group.name.clone(), kpis.currency.code().to_string()];
            record.extend(FIELDS.iter().map(|(_, read)| cell_text(&read(kpis))));
            csv.write_record(&record)?;
        }
    }
    csv.flush()?;
    Ok(())
}

fn table(report: &KpiReport) {
    println!(
        "Collection KPIs as of {} (days basis {}: {} days in the month, {} in the quarter)",
        report.as_of, report.days_basis, report.month_days, report.quarter_days
    );
    if report.groups.is_empty() {
        println!("no receivables, credit sales or collections in the last two years");
        return;
    }
    let mut headers = vec!["figure"];
    let columns: Vec<String> = report
        .groups
        .iter()
        .flat_map(|g| {
            g.currencies
                .iter()
                .map(move |k| format!("{} {}", g.name, k.currency.code()))
        })
        .collect();
    headers.extend(columns.iter().map(String::as_str));
    let mut table = render::table(&headers);
    for (name, read) in FIELDS {
        let mut row = vec![Cell::new(*name)];
        for group in &report.groups {
            for kpis in &group.currencies {
                let text = cell_text(&read(kpis));
                row.push(render::num(if text.is_empty() {
                    "—".into()
                } else {
                    text
                }));
            }
        }
        table.add_row(row);
    }
    println!("{table}");
}
