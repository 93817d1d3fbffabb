//! `settle export journal`: every posting as CSV, or the entries as a plain-text ledger.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{Context, Result};

use settle_service::Settle;

use super::parse_date;
use crate::cli::{JournalArgs, JournalFormat};

pub async fn export(settle: &Settle, args: JournalArgs) -> Result<()> {
    let from = parse_date("--from", &args.from)?;
    let to = parse_date("--to", &args.to)?;
    let lines = settle.journal(from, to).await?;
    let chart = settle.store().chart(settle.entity().id).await?;
    let names: std::collections::HashMap<&str, &str> = chart
        .accounts()
        .iter()
        .map(|a| (a.code.as_str(), a.name.as_str()))
        .collect();
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    match args.format {
        JournalFormat::Csv => {
            let mut csv = csv::Writer::from_writer(&mut out);
            csv.write_record([
                "entry_id",
                "date",
                "kind",
                "memo",
                "reverses_entry",
                "account",
                "account_name",
                "currency",
                "debit",
                "credit",
                "functional_amount",
                "customer_id",
                "document",
                "payment_id",
            ])?;
            for line in &lines {
                let amount = line.amount;
                let (debit, credit) = if amount.is_negative() {
                    (String::new(), amount.checked_neg()?.to_decimal_string())
                } else {
                    (amount.to_decimal_string(), String::new())
                };
                csv.write_record([
                    line.entry.to_string(),
                    line.date.to_string(),
                    line.kind.to_string(),
                    line.memo.clone(),
                    line.reverses.map_or(String::new(), |e| e.to_string()),
                    line.account.clone(),
                    names
                        .get(line.account.as_str())
                        .copied()
                        .unwrap_or("")
                        .to_string(),
                    amount.currency().code().to_string(),
                    debit,
                    credit,
                    line.functional_minor.map_or(String::new(), |m| {
                        settle_core::Money::new(m, settle.entity().functional_currency)
                            .to_decimal_string()
                    }),
                    line.customer_code.clone().unwrap_or_default(),
                    line.item_number.clone().unwrap_or_default(),
                    line.payment.map_or(String::new(), |p| p.to_string()),
                ])?;
            }
            csv.flush()?;
        }
        JournalFormat::Ledger => {
            let mut current = None;
            for line in &lines {
                if current != Some(line.entry) {
                    if current.is_some() {
                        writeln!(out)?;
                    }
                    current = Some(line.entry);
                    writeln!(
                        out,
                        "{} * {}  ; entry:{} kind:{}",
                        line.date,
                        line.memo.replace(';', ","),
                        line.entry,
                        line.kind
                    )?;
                }
                let name = names.get(line.account.as_str()).copied().unwrap_or("");
                let mut tags = Vec::new();
                if let Some(customer) = &line.customer_code {
                    tags.push(format!("customer:{customer}"));
                }
                if let Some(document) = &line.item_number {
                    tags.push(format!("document:{document}"));
                }
                if let Some(payment) = line.payment {
                    tags.push(format!("payment:{payment}"));
                }
                let comment = if tags.is_empty() {
                    String::new()
                } else {
                    format!("  ; {}", tags.join(", "))
                };
                writeln!(
                    out,
                    "    {} {}  {} {}{comment}",
                    line.account,
                    name.replace("  ", " "),
                    line.amount.currency(),
                    line.amount.to_decimal_string()
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
