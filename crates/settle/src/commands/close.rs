//! Month-end close: `settle close`, `settle period …`, `settle user …`, `settle reserve …` and
//! `settle recover`.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;

use settle_core::close::CheckStatus;
use settle_core::period::Period;
use settle_core::reserve::percent_text;
use settle_service::Settle;
use settle_service::close::Checklist;
use settle_service::reserve::{RecoveryRequest, ReserveMethod, ReserveReport};

use super::{date_or_today, parse_date};
use crate::cli::{
    CalendarArgs, CloseArgs, CorrectArgs, Format, PeriodListArgs, PeriodLogArgs, RatesArgs,
    RecoverArgs, ReopenArgs, ReserveArgs, ReserveMethodArg, SpecificReserveArgs, UserAddArgs,
};
use crate::render;

pub async fn close(settle: &Settle, args: CloseArgs) -> Result<()> {
    let today = date_or_today("--today", args.today.as_deref())?;
    if args.check {
        let checklist = settle.close_checklist(&args.period).await?;
        return print_checklist(&checklist, args.format.format);
    }
    let waivers = args
        .waive
        .iter()
        .map(|w| {
            w.split_once('=')
                .map(|(k, r)| (k.trim().to_string(), r.trim().to_string()))
                .ok_or_else(|| anyhow!("--waive {w:?}: write KEY=REASON"))
        })
        .collect::<Result<Vec<_>>>()?;
    let closed = settle.close_period(&args.period, today, &waivers).await?;
    if args.format.format == Format::Json {
        return render::json(&closed);
    }
    print_checklist(&closed.checklist, Format::Table)?;
    println!(
        "closed {} ({} to {}): nothing dated on or before {} can be posted; aging frozen with {} open item(s), sha256 {} (items {})",
        closed.period.name,
        closed.period.start,
        closed.period.end,
        closed.lock.through,
        closed.frozen_items,
        closed.checksum,
        closed.items_checksum
    );
    Ok(())
}

fn status_text(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Ok => "ok",
        CheckStatus::Attention => "attention",
        CheckStatus::Failed => "FAILED",
    }
}

fn print_checklist(checklist: &Checklist, format: Format) -> Result<()> {
    match format {
        Format::Json => render::json(checklist),
        Format::Csv => {
            let mut out = render::csv_out();
            out.write_record(["key", "title", "status", "waived", "summary", "line"])?;
            for item in &checklist.items {
                let waived = item.waived.clone().unwrap_or_default();
                let status = status_text(item.status);
                if item.lines.is_empty() {
                    out.write_record([&item.key, &item.title, status, &waived, &item.summary, ""])?;
                }
                for line in &item.lines {
                    out.write_record([
                        &item.key,
                        &item.title,
                        status,
                        &waived,
                        &item.summary,
                        line,
                    ])?;
                }
            }
            out.flush()?;
            Ok(())
        }
        Format::Table => {
            let p = &checklist.period;
            println!(
                "close checklist for {} ({} to {}){}",
                p.name,
                p.start,
                p.end,
                if checklist.closed {
                    " — closed; as recorded at the close"
                } else {
                    ""
                }
            );
            for item in &checklist.items {
                let mark = match (&item.waived, item.status) {
                    (Some(_), _) => "WAIVED",
                    (None, status) => status_text(status),
                };
                println!(
                    "[{mark:>9}] {} ({}): {}",
                    item.title, item.key, item.summary
                );
                if let Some(reason) = &item.waived {
                    println!("            waived: {reason}");
                }
                for line in item.lines.iter().take(20) {
                    println!("            {line}");
                }
                if item.lines.len() > 20 {
                    println!(
                        "            … and {} more (--format csv lists all)",
                        item.lines.len() - 20
                    );
                }
            }
            let blocking = checklist.blocking();
            if !checklist.closed {
                if blocking.is_empty() {
                    println!("ready to close");
                } else {
                    println!(
                        "{} item(s) block the close: {}",
                        blocking.len(),
                        blocking
                            .iter()
                            .map(|i| i.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
            Ok(())
        }
    }
}

pub async fn list_periods(settle: &Settle, args: PeriodListArgs) -> Result<()> {
    let today = date_or_today("--to", None)?;
    let lock = settle.period_lock().await?;
    let calendar = settle.calendar().await?;
    let to = match &args.to {
        Some(text) => parse_date("--to", text)?,
        None => today,
    };
    let from = match &args.from {
        Some(text) => parse_date("--from", text)?,
        None => to
            .checked_sub(jiff::Span::new().months(11))
            .map_err(|e| anyhow!("--to: {e}"))?,
    };
    let periods = calendar.between(from, to, 1200);
    let closed = |p: &Period| lock.as_ref().is_some_and(|l| p.end <= l.through);
    if args.format.format == Format::Json {
        let rows: Vec<_> = periods
            .iter()
            .map(|p| json!({"name": p.name, "start": p.start.to_string(), "end": p.end.to_string(), "closed": closed(p)}))
            .collect();
        return render::json(&json!({"lock": lock, "periods": rows}));
    }
    let mut table = render::table(&["period", "start", "end", "status"]);
    for p in &periods {
        table.add_row([
            p.name.clone(),
            p.start.to_string(),
            p.end.to_string(),
            if closed(p) { "closed" } else { "open" }.to_string(),
        ]);
    }
    println!("{table}");
    match lock {
        Some(lock) => println!("books closed through {} ({})", lock.through, lock.period),
        None => println!("no period closed"),
    }
    Ok(())
}

pub async fn calendar(settle: &Settle, args: CalendarArgs) -> Result<()> {
    let periods = match &args.file {
        None => Vec::new(),
        Some(path) => settle_service::import::calendar::read_fiscal_calendar(path)?,
    };
    let count = periods.len();
    settle
        .set_fiscal_calendar(periods)
        .await
        .with_context(|| match &args.file {
            Some(path) => format!("{}", path.display()),
            None => "--months".to_string(),
        })?;
    if count == 0 {
        println!("periods are calendar months");
    } else {
        println!("fiscal calendar set: {count} periods");
    }
    Ok(())
}

pub async fn reopen(settle: &Settle, args: ReopenArgs) -> Result<()> {
    let reopened = settle.reopen_period(&args.period, &args.reason).await?;
    match reopened.lock {
        Some(lock) => println!(
            "reopened {}; the books are closed through {} ({})",
            reopened.period.name, lock.through, lock.period
        ),
        None => println!("reopened {}; no period is closed", reopened.period.name),
    }
    Ok(())
}

pub async fn log(settle: &Settle, args: PeriodLogArgs) -> Result<()> {
    let rows = settle.period_log(args.period.as_deref()).await?;
    if args.format.format == Format::Json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| json!({"id": r.id, "period": r.period, "action": r.action, "actor": r.actor, "reason": r.reason, "detail": r.detail, "at": r.at}))
            .collect();
        return render::json(&rows);
    }
    let mut table = render::table(&["at", "period", "action", "by", "reason", "detail"]);
    for r in rows {
        table.add_row([r.at, r.period, r.action, r.actor, r.reason, r.detail]);
    }
    println!("{table}");
    Ok(())
}

pub async fn add_user(settle: &Settle, args: UserAddArgs) -> Result<()> {
    let password = if args.password_stdin {
        Some(super::access::read_password()?)
    } else {
        None
    };
    let id = settle
        .add_user(&args.name, &args.full_name, &args.role, password.as_deref())
        .await?;
    println!("user {} ({}) added with id {id}", args.name, args.role);
    Ok(())
}

pub async fn list_users(settle: &Settle, format: Format) -> Result<()> {
    let users = settle.users().await?;
    if format == Format::Json {
        let rows: Vec<_> = users
            .iter()
            .map(|u| json!({"name": u.name, "full_name": u.full_name, "role": u.role, "password": u.has_password, "disabled_at": u.disabled_at}))
            .collect();
        return render::json(&rows);
    }
    let mut table = render::table(&["name", "full name", "role", "password", "disabled"]);
    for u in users {
        let password = if u.has_password { "set" } else { "" };
        table.add_row([
            u.name,
            u.full_name,
            u.role,
            password.to_string(),
            u.disabled_at.unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(())
}

pub async fn reserve(settle: &Settle, args: ReserveArgs) -> Result<()> {
    let Some(period) = args.period.as_deref() else {
        bail!("--period is required (or use `settle reserve rates` / `settle reserve specific`)");
    };
    let method = match args.method {
        ReserveMethodArg::Configured => ReserveMethod::Configured,
        ReserveMethodArg::History => ReserveMethod::History {
            months: args.months,
        },
    };
    let report = settle
        .reserve(period, method, args.rates.as_deref(), args.dry_run)
        .await?;
    if args.format.format == Format::Json {
        return render::json(&report);
    }
    print_reserve(&report);
    Ok(())
}

fn print_reserve(report: &ReserveReport) {
    println!(
        "bad-debt reserve as of {} (period {}, method {})",
        report.as_of,
        report.period,
        match report.method {
            ReserveMethod::Configured => "configured rates".to_string(),
            ReserveMethod::History { months } => format!("loss rates over {months} month ends"),
        }
    );
    for (computation, entry) in report.computations.iter().zip(&report.entries) {
        let currency = computation.currency.code();
        let mut table = render::table(&["bucket", "balance", "rate %", "reserve", "history"]);
        let matrix = report.loss_rates.get(currency);
        for (index, bucket) in computation.buckets.iter().enumerate() {
            let history = matrix
                .and_then(|m| m.get(index))
                .map_or(String::new(), |r| match r.rate {
                    Some(rate) => format!(
                        "{} of {} minor units later written off ({}%)",
                        r.lost_minor,
                        r.balance_minor,
                        percent_text(rate)
                    ),
                    None => "no balance observed".to_string(),
                });
            table.add_row(vec![
                comfy_table::Cell::new(&bucket.label),
                render::num(bucket.balance.to_decimal_string()),
                render::num(percent_text(bucket.rate)),
                render::num(bucket.reserve.to_decimal_string()),
                comfy_table::Cell::new(history),
            ]);
        }
        println!("{currency}:\n{table}");
        for s in &computation.specific {
            println!(
                "  specific: {} {} reserved on {} open ({})",
                s.customer,
                s.reserve.to_decimal_string(),
                s.balance.to_decimal_string(),
                s.reason
            );
        }
        println!(
            "  general {} + specific = required {}; allowance held {}; adjustment {}{}",
            computation.general.to_decimal_string(),
            computation.required.to_decimal_string(),
            computation.previous.to_decimal_string(),
            computation.adjustment.to_decimal_string(),
            match (report.booked, entry) {
                (true, Some(entry)) => format!(" (entry {entry})"),
                (true, None) => " (nothing to post)".to_string(),
                (false, _) => " (dry run: nothing posted)".to_string(),
            }
        );
    }
    if report.computations.is_empty() {
        println!("nothing open and no allowance: nothing to reserve");
    }
}

pub async fn rates(settle: &Settle, args: RatesArgs) -> Result<()> {
    match args.rates {
        Some(text) => {
            settle.set_reserve_rates(&text).await?;
            println!(
                "reserve rates set: {}",
                settle.reserve_rates().await?.unwrap_or_default()
            );
        }
        None => match settle.reserve_rates().await? {
            Some(text) => println!("{text}"),
            None => println!("no reserve rates configured"),
        },
    }
    Ok(())
}

pub async fn specific(settle: &Settle, args: SpecificReserveArgs) -> Result<()> {
    let currency = args
        .currency
        .as_deref()
        .map(|c| settle_core::Currency::from_code(c).map_err(|e| anyhow!("--currency: {e}")))
        .transpose()?;
    let from = date_or_today("--from", args.from.as_deref())?;
    let set = settle
        .set_specific_reserve(&args.customer, &args.amount, currency, &args.reason, from)
        .await?;
    println!(
        "specific reserve {} on {} from {} (id {})",
        set.amount, set.customer, set.effective_on, set.id
    );
    Ok(())
}

pub async fn recover(settle: &Settle, args: RecoverArgs) -> Result<()> {
    let request = RecoveryRequest {
        invoice: args.invoice,
        amount: args.amount,
        date: date_or_today("--date", args.date.as_deref())?,
        memo: args.memo,
    };
    let outcome = settle
        .recover(request, args.write.idempotency_key.as_deref())
        .await?;
    if args.write.format.format == Format::Json {
        return render::json(&outcome);
    }
    let r = &outcome.value;
    println!(
        "recovered {} on {} (entry {}); balance now {}",
        r.amount, r.item, r.entry_id, r.balance
    );
    Ok(())
}

pub async fn correct(settle: &Settle, args: CorrectArgs) -> Result<()> {
    let date = date_or_today("--date", args.date.as_deref())?;
    let outcome = settle
        .correct_entry(
            settle_core::ids::EntryId(args.entry),
            date,
            &args.reason,
            args.write.idempotency_key.as_deref(),
        )
        .await?;
    if args.write.format.format == Format::Json {
        return render::json(&outcome);
    }
    let c = &outcome.value;
    println!(
        "entry {} reverses entry {} as of {}",
        c.entry_id, c.reverses, c.date
    );
    Ok(())
}
