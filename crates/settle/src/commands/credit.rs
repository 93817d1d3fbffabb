//! `settle credit hold|release|check|review|reviews|status` and `settle orders check`.

use anyhow::Result;
use clap::{Args, Subcommand};
use comfy_table::Cell;
use serde_json::json;

use settle_core::credit::DEFAULT_PAST_DUE_DAYS;
use settle_service::Settle;
use settle_service::credit::{OrderRequest, ReasonView};

use super::date_or_today;
use super::dispute::ListFormat;
use crate::render;

#[derive(Debug, Subcommand)]
pub enum CreditCommand {
    /// Put a customer on credit hold by hand, saying why.
    Hold(HoldArgs),
    /// Lift a customer's credit hold.
    Release(ReleaseArgs),
    /// Which customers the rules (limit, items past due, bankruptcy, agency, status) would
    /// hold or release; --apply sets and lifts the rules' holds (a person's hold is kept).
    Check(CheckArgs),
    /// Record a credit review (the reviewer is --user) and set the new limit.
    Review(ReviewArgs),
    /// A customer's credit reviews.
    Reviews(CustomerArgs),
    /// A customer's limit, exposure, use of the limit, hold and why, and last review.
    Status(StatusArgs),
}

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Release or hold a pending order, with every reason; the decision is recorded.
    Check(OrderArgs),
}

#[derive(Debug, Args)]
pub struct HoldArgs {
    pub customer: String,
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    pub customer: String,
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub as_of: Option<String>,
    /// Set the holds the rules call for and lift the rules' holds that no longer apply.
    #[arg(long)]
    pub apply: bool,
    /// Days past due from which an open item holds credit.
    #[arg(long, default_value_t = DEFAULT_PAST_DUE_DAYS)]
    pub past_due_days: i64,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    pub customer: String,
    /// The new limit, in the customer's currency.
    #[arg(long)]
    pub limit: String,
    #[arg(long)]
    pub reason: String,
    /// The day of the review; today when left out.
    #[arg(long)]
    pub on: Option<String>,
}

#[derive(Debug, Args)]
pub struct CustomerArgs {
    pub customer: String,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub customer: String,
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, default_value_t = DEFAULT_PAST_DUE_DAYS)]
    pub past_due_days: i64,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct OrderArgs {
    #[arg(long)]
    pub customer: String,
    /// The order's amount, in the customer's currency.
    #[arg(long)]
    pub amount: String,
    /// The order's number in the ordering system.
    #[arg(long, default_value = "")]
    pub reference: String,
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, default_value_t = DEFAULT_PAST_DUE_DAYS)]
    pub past_due_days: i64,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

fn print_reasons(reasons: &[ReasonView]) {
    for reason in reasons {
        println!("  - {}", reason.reason);
    }
}

pub async fn run(settle: &Settle, command: CreditCommand) -> Result<()> {
    match command {
        CreditCommand::Hold(args) => {
            let on = date_or_today("--date", args.date.as_deref())?;
            let changed = settle.credit_hold(&args.customer, &args.reason, on).await?;
            println!("{} on credit hold: {}", changed.customer, changed.hold);
            Ok(())
        }
        CreditCommand::Release(args) => {
            let on = date_or_today("--date", args.date.as_deref())?;
            let changed = settle.credit_release(&args.customer, on).await?;
            println!(
                "{} released from credit hold (was: {})",
                changed.customer, changed.previous
            );
            Ok(())
        }
        CreditCommand::Check(args) => check(settle, args).await,
        CreditCommand::Review(args) => {
            let on = date_or_today("--on", args.on.as_deref())?;
            let review = settle
                .credit_review(&args.customer, &args.limit, &args.reason, on)
                .await?;
            println!(
                "credit review {} of {} on {} by {}: limit {} → {} ({})",
                review.review_id,
                review.customer,
                review.reviewed_on,
                review.reviewer,
                review
                    .old_limit
                    .map_or("none".to_string(), |l| l.to_string()),
                review.new_limit,
                review.reason
            );
            Ok(())
        }
        CreditCommand::Reviews(args) => reviews(settle, args).await,
        CreditCommand::Status(args) => status(settle, args).await,
    }
}

async fn check(settle: &Settle, args: CheckArgs) -> Result<()> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let lines = settle
        .credit_check(as_of, args.past_due_days, args.apply)
        .await?;
    if args.format == ListFormat::Json {
        return render::json(&lines);
    }
    let mut table = render::table(&[
        "customer",
        "name",
        "action",
        "applied",
        "standing hold",
        "reasons",
    ]);
    for line in &lines {
        table.add_row(vec![
            Cell::new(&line.customer),
            Cell::new(&line.name),
            Cell::new(&line.action),
            Cell::new(if line.applied { "yes" } else { "no" }),
            Cell::new(&line.hold),
            Cell::new(
                line.reasons
                    .iter()
                    .map(|r| r.reason.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ]);
    }
    println!(
        "credit check as of {as_of} ({} days past due hold credit){}",
        args.past_due_days,
        if args.apply { ", applied" } else { "" }
    );
    println!("{table}");
    Ok(())
}

async fn reviews(settle: &Settle, args: CustomerArgs) -> Result<()> {
    let reviews = settle.credit_reviews(&args.customer).await?;
    if args.format == ListFormat::Json {
        let rows: Vec<_> = reviews
            .iter()
            .map(|r| {
                json!({
                    "review_id": r.id, "reviewed_on": r.reviewed_on, "reviewer": r.reviewer,
                    "old_limit": r.old_limit, "new_limit": r.new_limit, "reason": r.reason,
                    "recorded_at": r.recorded_at,
                })
            })
            .collect();
        return render::json(&rows);
    }
    let mut table = render::table(&[
        "review",
        "on",
        "reviewer",
        "old limit",
        "new limit",
        "reason",
    ]);
    for r in &reviews {
        table.add_row(vec![
            Cell::new(r.id),
            Cell::new(&r.reviewed_on),
            Cell::new(&r.reviewer),
            render::num(r.old_limit.map_or("none".to_string(), |l| l.to_string())),
            render::num(r.new_limit.to_string()),
            Cell::new(&r.reason),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn status(settle: &Settle, args: StatusArgs) -> Result<()> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let status = settle
        .credit_status(&args.customer, as_of, args.past_due_days)
        .await?;
    let use_text = status
        .use_permille
        .map(|p| format!("{}.{}%", p / 10, p % 10));
    if args.format == ListFormat::Json {
        return render::json(&json!({
            "customer_id": status.customer,
            "name": status.name,
            "as_of": as_of.to_string(),
            "limit": status.limit,
            "exposure": status.exposure,
            "use_percent": use_text,
            "hold": status.hold,
            "held": !status.reasons.is_empty(),
            "reasons": status.reasons,
            "last_review": status.last_review.as_ref().map(|r| json!({
                "reviewed_on": r.reviewed_on, "reviewer": r.reviewer,
                "old_limit": r.old_limit, "new_limit": r.new_limit, "reason": r.reason,
            })),
            "holds": status.holds.iter().map(|h| json!({
                "action": h.action, "source": h.source, "reason": h.reason,
                "on": h.acted_on, "at": h.acted_at, "by": h.acted_by,
            })).collect::<Vec<_>>(),
        }));
    }
    println!("{} ({}) as of {as_of}", status.customer, status.name);
    println!(
        "limit: {}",
        status.limit.map_or("none".to_string(), |l| l.to_string())
    );
    println!(
        "exposure: {} ({} of the limit)",
        status.exposure,
        use_text.as_deref().unwrap_or("no share")
    );
    if status.reasons.is_empty() {
        println!("credit: RELEASED (no reason to hold)");
    } else {
        println!("credit: HELD");
        print_reasons(&status.reasons);
    }
    if let Some(hold) = status.holds.last() {
        println!(
            "last hold change: {} ({}) on {} by {}{}",
            hold.action,
            hold.source,
            hold.acted_on,
            hold.acted_by,
            if hold.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", hold.reason)
            }
        );
    }
    match &status.last_review {
        Some(r) => println!(
            "last review: {} by {}: {} → {} ({})",
            r.reviewed_on,
            r.reviewer,
            r.old_limit.map_or("none".to_string(), |l| l.to_string()),
            r.new_limit,
            r.reason
        ),
        None => println!("last review: none"),
    }
    Ok(())
}

pub async fn orders(settle: &Settle, command: OrdersCommand) -> Result<()> {
    let OrdersCommand::Check(args) = command;
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let checked = settle
        .check_order(OrderRequest {
            customer: args.customer,
            amount: args.amount,
            reference: args.reference,
            as_of,
            past_due_days: args.past_due_days,
        })
        .await?;
    if args.format == ListFormat::Json {
        return render::json(&checked);
    }
    let verdict = if checked.decision == "held" {
        "HELD"
    } else {
        "RELEASED"
    };
    println!(
        "order {}{} of {} for {}: {verdict}",
        checked.check_id,
        if checked.reference.is_empty() {
            String::new()
        } else {
            format!(" ({})", checked.reference)
        },
        checked.customer,
        checked.amount
    );
    println!(
        "exposure with the order: {} against a limit of {}",
        checked.exposure,
        checked.limit.map_or("none".to_string(), |l| l.to_string())
    );
    print_reasons(&checked.reasons);
    Ok(())
}
