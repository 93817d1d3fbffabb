//! `settle export journal`: the journal as CSV, hledger's journal or beancount. What each
//! format holds is in `settle_service::journal_export`.

use std::io::{BufWriter, Write};

use anyhow::{Context, Result, anyhow};
use jiff::civil::Date;

use settle_service::Settle;
use settle_service::export::TableFormat;
use settle_service::journal_export::JournalFormat as Format;

use super::parse_date;
use crate::cli::{JournalArgs, JournalFormat};

pub async fn export(settle: &Settle, args: JournalArgs) -> Result<()> {
    let (from, to) = match &args.period {
        Some(period) => parse_month("--period", period)?,
        None => (
            parse_date("--from", args.from.as_deref().unwrap_or("0001-01-01"))?,
            parse_date("--to", args.to.as_deref().unwrap_or("9999-12-31"))?,
        ),
    };
    let format = match args.format {
        JournalFormat::Csv => Format::Csv,
        JournalFormat::Ledger => Format::Ledger,
        JournalFormat::Beancount => Format::Beancount,
        JournalFormat::Xlsx => {
            let export = settle.journal_export(from, to).await?;
            let table = settle_service::export::reports::journal(&export);
            return super::export::write_table(&table, TableFormat::Xlsx, args.out.as_deref());
        }
    };
    // Prepared (and checked) before the file is created: a refusal leaves no file behind.
    let export = settle.journal_export(from, to).await?;
    let out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            settle_service::private_files::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    export.write(format, &mut out)?;
    out.flush()?;
    Ok(())
}

/// `yyyy-mm` → its first and last day.
fn parse_month(field: &str, text: &str) -> Result<(Date, Date)> {
    let bad = |why: &str| anyhow!("{field}: {text:?} is not a month (expected yyyy-mm): {why}");
    let (year, month) = text
        .split_once('-')
        .filter(|(y, m)| {
            y.len() == 4 && m.len() == 2 && y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())
        })
        .ok_or_else(|| bad("four digits of year, a dash, two digits of month"))?;
    let year: i16 = year.parse().map_err(|_| bad("bad year"))?;
    let month: i8 = month.parse().map_err(|_| bad("bad month"))?;
    if !(1..=12).contains(&month) {
        return Err(bad("the month must be 01 to 12"));
    }
    let first = Date::new(year, month, 1).map_err(|e| bad(&e.to_string()))?;
    Ok((first, first.last_of_month()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_its_first_to_its_last_day() {
        let (from, to) = parse_month("--period", "2024-02").unwrap();
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2024-02-01".into(), "2024-02-29".into())
        );
        let (_, to) = parse_month("--period", "2026-12").unwrap();
        assert_eq!(to.to_string(), "2026-12-31");
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026/01",
            "2026-01-01",
            "",
            "abcd-ef",
        ] {
            let error = parse_month("--period", bad).unwrap_err().to_string();
            assert!(error.contains("is not a month"), "{bad}: {error}");
        }
    }
}
