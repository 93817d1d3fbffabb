//! `settle approvals limit|limits|list|show|approve|reject`: maker-checker.

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};

use settle_core::Currency;
use settle_core::approval::{ApprovalOperation, ApprovalStatus};
use settle_service::Settle;
use settle_service::approvals::{Approval, Posted};

use super::writes::print;
use crate::cli::{Format, FormatArgs, WriteArgs};
use crate::render;

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// Set the limit over which an operation waits for approval (a manager's or admin's act),
    /// or remove it with --remove.
    Limit(LimitArgs),
    /// The limits, per operation and currency.
    Limits(FormatArgs),
    /// Requests that waited for approval, oldest first.
    List(ListArgs),
    /// One request, with what it asks for and what it posted.
    Show(ShowArgs),
    /// Approve a request and post it (a manager or admin other than its maker, named by
    /// --user). Refused, with nothing changed, if it no longer fits the books.
    Approve(ApproveArgs),
    /// Reject a request: nothing is posted. Its maker may withdraw it this way too.
    Reject(RejectArgs),
}

#[derive(Debug, Args)]
pub struct LimitArgs {
    /// credit_memo, write_off or refund.
    #[arg(long)]
    pub operation: String,
    /// Amounts above this wait for approval (an amount equal to it posts).
    #[arg(long, required_unless_present = "remove")]
    pub amount: Option<String>,
    /// The currency the limit applies to; the entity's functional currency when left out.
    #[arg(long)]
    pub currency: Option<String>,
    /// Remove the limit: the operation then posts whatever its amount.
    #[arg(long, conflicts_with = "amount")]
    pub remove: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// pending, approved or rejected; all when left out.
    #[arg(long)]
    pub status: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub id: i64,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    pub id: i64,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    pub id: i64,
    /// Why: the maker reads it.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

pub async fn run(settle: &Settle, command: ApprovalsCommand) -> Result<()> {
    match command {
        ApprovalsCommand::Limit(args) => limit(settle, args).await,
        ApprovalsCommand::Limits(args) => limits(settle, args.format).await,
        ApprovalsCommand::List(args) => list(settle, args).await,
        ApprovalsCommand::Show(args) => show(settle, args).await,
        ApprovalsCommand::Approve(args) => approve(settle, args).await,
        ApprovalsCommand::Reject(args) => reject(settle, args).await,
    }
}

fn operation(text: &str) -> Result<ApprovalOperation> {
    text.parse().map_err(|e| anyhow!("--operation: {e}"))
}

async fn limit(settle: &Settle, args: LimitArgs) -> Result<()> {
    let operation = operation(&args.operation)?;
    let currency = args
        .currency
        .as_deref()
        .map(|c| Currency::from_code(c).map_err(|e| anyhow!("--currency: {e}")))
        .transpose()?;
    if args.remove {
        let removed = settle.remove_approval_limit(operation, currency).await?;
        let currency = currency.unwrap_or(settle.entity().functional_currency);
        if removed {
            println!(
                "{} limit in {currency} removed: every {} posts at once",
                operation.describe(),
                operation.describe()
            );
        } else {
            println!("no {} limit in {currency} was set", operation.describe());
        }
        return Ok(());
    }
    let amount = args
        .amount
        .as_deref()
        .ok_or_else(|| anyhow!("--amount is required (or --remove)"))?;
    let limit = settle
        .set_approval_limit(operation, amount, currency)
        .await?;
    println!(
        "a {} over {} now waits for approval by a manager or admin other than its maker",
        limit.operation.describe(),
        limit.limit
    );
    Ok(())
}

async fn limits(settle: &Settle, format: Format) -> Result<()> {
    let limits = settle.approval_limits().await?;
    if format == Format::Json {
        return render::json(&limits);
    }
    let mut table = render::table(&["operation", "currency", "limit", "set by", "set at"]);
    for l in limits {
        table.add_row([
            l.operation.to_string(),
            l.limit.currency().code().to_string(),
            l.limit.to_decimal_string(),
            l.set_by,
            l.set_at,
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn list(settle: &Settle, args: ListArgs) -> Result<()> {
    let status: Option<ApprovalStatus> = args
        .status
        .as_deref()
        .map(|s| s.parse().map_err(|e| anyhow!("--status: {e}")))
        .transpose()?;
    let approvals = settle.approvals(status).await?;
    if args.format.format == Format::Json {
        return render::json(&approvals);
    }
    let mut table = render::table(&[
        "id",
        "status",
        "what",
        "amount",
        "maker",
        "made at",
        "checker",
        "decided at",
    ]);
    for a in approvals {
        table.add_row([
            a.id.to_string(),
            a.status.to_string(),
            a.summary,
            a.amount.to_string(),
            a.maker,
            a.created_at,
            a.checker.unwrap_or_default(),
            a.decided_at.unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// What a dispute's resolution posted, in words.
pub fn resolved_line(resolved: &settle_service::disputes::DisputeResolved) -> String {
    let posted = match (&resolved.credit_memo, &resolved.replacement) {
        (Some(memo), Some(new)) => {
            format!(
                "credit memo {memo} credits {}; {new} replaces it",
                resolved.posted
            )
        }
        (Some(memo), None) => format!("credit memo {memo} credits {}", resolved.posted),
        _ if resolved.posted.is_positive() => format!("{} written off", resolved.posted),
        _ => "nothing posted; the amount is collected again".to_string(),
    };
    format!(
        "{posted}; {} open on {}",
        resolved.invoice_open, resolved.invoice
    )
}

fn posted_line(posted: &Posted) -> String {
    let entries: Vec<String> = posted.entries().iter().map(|e| e.to_string()).collect();
    let what = match posted {
        Posted::CreditMemo(issued) => format!("credit memo {} for {}", issued.number, issued.total),
        Posted::WriteOff(adjusted) => format!(
            "write-off of {} on {} (balance now {})",
            adjusted.amount, adjusted.item, adjusted.balance
        ),
        Posted::Refund(refunded) => {
            format!("refund {} of {}", refunded.refund_id, refunded.amount)
        }
        Posted::DisputeResolution(resolved) => format!(
            "dispute {} {}: {}",
            resolved.dispute_id,
            resolved.status,
            resolved_line(resolved)
        ),
    };
    format!("{what}, entries {}", entries.join(", "))
}

async fn show(settle: &Settle, args: ShowArgs) -> Result<()> {
    let approval: Approval = settle.approval(args.id).await?;
    if args.format.format == Format::Json {
        return render::json(&approval);
    }
    println!(
        "approval {} ({}): {}",
        approval.id, approval.status, approval.summary
    );
    println!("made by {} at {}", approval.maker, approval.created_at);
    if let (Some(checker), Some(at)) = (&approval.checker, &approval.decided_at) {
        println!("{} by {checker} at {at}", approval.status);
    }
    if let Some(reason) = &approval.reason {
        println!("reason: {reason}");
    }
    if let Some(posted) = &approval.posted {
        println!("posted: {}", posted_line(posted));
    }
    Ok(())
}

async fn approve(settle: &Settle, args: ApproveArgs) -> Result<()> {
    let outcome = settle
        .approve(args.id, args.write.idempotency_key.as_deref())
        .await?;
    let line = format!(
        "approval {} approved by {}: posted {}",
        outcome.value.approval_id,
        outcome.value.checker,
        posted_line(&outcome.value.posted)
    );
    print(&outcome, &args.write, line)
}

async fn reject(settle: &Settle, args: RejectArgs) -> Result<()> {
    let outcome = settle
        .reject(args.id, &args.reason, args.write.idempotency_key.as_deref())
        .await?;
    let line = format!(
        "approval {} rejected by {}: nothing was posted",
        outcome.value.approval_id, outcome.value.checker
    );
    print(&outcome, &args.write, line)
}
