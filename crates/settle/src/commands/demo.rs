//! `settle demo`: build the demo company, then print its aging and key figures.

use anyhow::{Result, anyhow};
use serde_json::json;

use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_service::demo::{self, DemoOptions};

use super::{aging::print_summary, parse_date};
use crate::cli::{DemoArgs, Format};
use crate::render::{self, num};

/// Share of `part` in `whole`, in tenths of a percent, exactly rounded half up.
fn per_mille(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0.0%".to_string();
    }
    let tenths = settle_core::money::round_div(
        i128::from(part) * 1000,
        i128::from(whole),
        settle_core::money::Rounding::HalfUp,
    );
    format!("{}.{}%", tenths / 10, tenths % 10)
}

pub async fn run(db: &str, args: DemoArgs) -> Result<()> {
    let db = if db == "./settle.db" {
        "./settle-demo.db"
    } else {
        db
    };
    let as_of = parse_date("--as-of", &args.as_of)?;
    if args.customers == 0 {
        return Err(anyhow!("--customers must be at least 1"));
    }
    // The day's bank files stay beside the database, to look at or to import again.
    let bank_dir = std::path::Path::new(db).with_file_name(format!(
        "{}-bank",
        std::path::Path::new(db)
            .file_stem()
            .map_or("settle-demo".into(), |s| s.to_string_lossy())
    ));
    let options = DemoOptions {
        seed: args.seed,
        customers: args.customers,
        as_of,
        bank_dir,
    };
    let work_dir = std::env::temp_dir().join(format!("settle-demo-{}", std::process::id()));
    eprintln!("building the demo company in {db} (seed {}) …", args.seed);
    let (settle, summary) = demo::build(db, &options, &work_dir).await?;
    let _ = std::fs::remove_dir_all(&work_dir);
    let policy = AgingPolicy::standard(AgingBasis::DueDate);
    let aging = settle.aging(&policy, as_of).await?;
    let verify = settle.verify().await?;
    settle.close().await;
    if !verify.problems.is_empty() {
        return Err(anyhow!(
            "the demo ledger failed its check: {}",
            verify.problems.join("; ")
        ));
    }
    if args.format.format == Format::Json {
        return render::json(&json!({
            "database": db,
            "as_of": as_of.to_string(),
            "customers": summary.customers,
            "invoices": summary.invoices,
            "payments": summary.payments,
            "applications": summary.applications,
            "credit_memos": summary.credit_memos,
            "debit_memos": summary.debit_memos,
            "write_offs": summary.write_offs,
            "refunds": summary.refunds,
            "bank_day": &summary.bank,
            "totals": aging.report.totals.iter().map(|t| json!({
                "currency": t.currency.code(),
                "receivables": t.total,
                "past_due": t.total.checked_sub(t.buckets[0]).ok(),
                "open_credits": t.unapplied,
                "net": t.net,
            })).collect::<Vec<_>>(),
        }));
    }
    print_summary(&aging, Format::Table)?;
    println!();
    println!(
        "Demo company: {} customers, {} invoices, {} payments ({} applications, {} left unapplied), {} credit memos, {} debit memos, {} write-offs, {} refunds.",
        summary.customers,
        summary.invoices,
        summary.payments,
        summary.applications,
        summary.unapplied_payments,
        summary.credit_memos,
        summary.debit_memos,
        summary.write_offs,
        summary.refunds
    );
    let bank = &summary.bank;
    println!(
        "Bank files of {as_of} ({}): {} lines; {} customer payments posted, {} returned item reversed, {} fees, interest and transfers kept out of A/R.",
        bank.files.join(", "),
        bank.lines,
        bank.payments_posted,
        bank.returns_reversed,
        bank.held_out
    );
    println!(
        "Cash application: {} applied automatically ({} exactly right), {} proposed to a clerk ({} with the right answer first), {} left unapplied ({} that nobody could place).",
        bank.auto,
        bank.auto_right,
        bank.suggested,
        bank.suggested_right,
        bank.unapplied,
        bank.unplaceable
    );
    let mut figures = render::table(&[
        "currency",
        "receivables",
        "past due",
        "past due %",
        "90+ %",
        "open credits",
        "net",
    ]);
    for total in &aging.report.totals {
        let gross = total.total.minor();
        let current = total.buckets[0].minor();
        let over_90 = total.buckets.last().map_or(0, |m| m.minor());
        let past_due = settle_core::Money::new(gross - current, total.currency);
        figures.add_row(vec![
            comfy_table::Cell::new(total.currency),
            num(total.total.to_decimal_string()),
            num(past_due.to_decimal_string()),
            num(per_mille(gross - current, gross)),
            num(per_mille(over_90, gross)),
            num(total.unapplied.to_decimal_string()),
            num(total.net.to_decimal_string()),
        ]);
    }
    println!("Key figures as of {as_of}\n{figures}");
    println!(
        "Ledger check: {} entries, {} postings, every entry balances and the subledgers equal their control accounts.",
        verify.entries, verify.postings
    );
    println!(
        "Explore it: settle --db {db} customer show C00001   ·   settle --db {db} aging --as-of {as_of} --detail"
    );
    println!(
        "Cash application: settle --db {db} export applications   ·   settle --db {db} match --explain BANK_REF   ·   settle --db {db} apply --accept ID"
    );
    Ok(())
}
