//! `settle dispute open|list|show|review|note|resolve`: disputes and deductions.

use anyhow::{Result, anyhow};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use comfy_table::Cell;
use serde_json::{Value, json};

use settle_core::dispute::{DisputeReason, DisputeStatus};
use settle_service::disputes::{Dispute, DisputeQuery, DisputeRequest, Resolution};
use settle_service::{Decided, Settle};

use super::{date_or_today, parse_date};
use crate::render;

#[derive(Debug, Subcommand)]
pub enum DisputeCommand {
    /// Open a dispute on an invoice or debit memo, or one of its lines: the amount is held out
    /// of dunning and shown apart in the aging until the dispute is resolved.
    Open(OpenArgs),
    /// List disputes.
    List(ListArgs),
    /// One dispute with its history.
    Show(IdArgs),
    /// Put an open dispute into review.
    Review(ReviewArgs),
    /// Add a note to a dispute's history.
    Note(NoteArgs),
    /// Resolve a dispute: --credit-memo [--amount A], --rebill NEW-INVOICE, --reinstate or
    /// --write-off [--direct].
    Resolve(ResolveArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The invoice (or debit memo) number.
    pub invoice: String,
    /// The disputed amount, in the invoice's currency.
    #[arg(long)]
    pub amount: String,
    /// pricing, quantity, damaged, not_received, duplicate_billing, tax, deduction or other.
    #[arg(long)]
    pub reason: String,
    /// The disputed line (numbered from 1).
    #[arg(long)]
    pub line: Option<i64>,
    /// The department that owns the dispute (sales, logistics, billing…).
    #[arg(long, default_value = "")]
    pub owner: String,
    /// When it should be resolved (yyyy-mm-dd).
    #[arg(long)]
    pub due: Option<String>,
    #[arg(long, default_value = "")]
    pub note: String,
    /// The day it opens; today when left out.
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// open, in_review, credited, rebilled, reinstated or written_off.
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    /// A customer's code.
    #[arg(long)]
    pub customer: Option<String>,
    /// Only active disputes past their due date as of --as-of.
    #[arg(long, requires = "as_of")]
    pub overdue: bool,
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    pub id: i64,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    pub id: i64,
    #[arg(long, default_value = "")]
    pub note: String,
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    pub id: i64,
    pub text: String,
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("resolution").required(true).args(["credit_memo", "rebill", "reinstate", "write_off"])))]
pub struct ResolveArgs {
    pub id: i64,
    /// Issue a credit memo applied to the disputed invoice.
    #[arg(long)]
    pub credit_memo: bool,
    /// With --credit-memo: credit less than the disputed amount (the rest is collected).
    #[arg(long, requires = "credit_memo")]
    pub amount: Option<String>,
    /// Credit the invoice in full and name the invoice that replaces it (it must exist).
    #[arg(long, value_name = "NEW-INVOICE")]
    pub rebill: Option<String>,
    /// The customer was wrong: collect the amount again (nothing is posted).
    #[arg(long)]
    pub reinstate: bool,
    /// Write off the disputed amount (from the allowance).
    #[arg(long)]
    pub write_off: bool,
    /// With --write-off: charge bad debt expense directly instead of the allowance.
    #[arg(long, requires = "write_off")]
    pub direct: bool,
    #[arg(long, default_value = "")]
    pub note: String,
    /// The day of the resolution and of what it posts; today when left out.
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

pub async fn run(settle: &Settle, command: DisputeCommand) -> Result<()> {
    match command {
        DisputeCommand::Open(args) => open(settle, args).await,
        DisputeCommand::List(args) => list(settle, args).await,
        DisputeCommand::Show(args) => show(settle, args).await,
        DisputeCommand::Review(args) => {
            let date = date_or_today("--date", args.date.as_deref())?;
            let changed = settle.review_dispute(args.id, date, &args.note).await?;
            println!("dispute {} is {}", changed.dispute_id, changed.status);
            Ok(())
        }
        DisputeCommand::Note(args) => {
            let date = date_or_today("--date", args.date.as_deref())?;
            let changed = settle.note_dispute(args.id, date, &args.text).await?;
            println!(
                "note added to dispute {} ({})",
                changed.dispute_id, changed.status
            );
            Ok(())
        }
        DisputeCommand::Resolve(args) => resolve(settle, args).await,
    }
}

async fn open(settle: &Settle, args: OpenArgs) -> Result<()> {
    let reason: DisputeReason = args.reason.parse().map_err(|e| anyhow!("--reason: {e}"))?;
    let due = args
        .due
        .as_deref()
        .map(|d| parse_date("--due", d))
        .transpose()?;
    let request = DisputeRequest {
        invoice: args.invoice,
        amount: args.amount,
        reason,
        line: args.line,
        owner: args.owner,
        due,
        note: args.note,
        date: date_or_today("--date", args.date.as_deref())?,
    };
    let opened = settle.open_dispute(request).await?.value;
    if args.format == ListFormat::Json {
        return render::json(&opened);
    }
    println!(
        "dispute {} opened on {} ({}): {} disputed; {} of {} open now in active disputes",
        opened.dispute_id,
        opened.invoice,
        opened.customer,
        opened.amount,
        opened.disputed_on_invoice,
        opened.invoice_open
    );
    Ok(())
}

fn record(d: &Dispute) -> Value {
    d.to_json()
}

async fn list(settle: &Settle, args: ListArgs) -> Result<()> {
    let status = args
        .status
        .as_deref()
        .map(|s| s.parse::<DisputeStatus>())
        .transpose()
        .map_err(|e| anyhow!("--status: {e}"))?;
    let as_of = args
        .as_of
        .as_deref()
        .map(|d| parse_date("--as-of", d))
        .transpose()?;
    let query = DisputeQuery {
        status,
        owner: args.owner,
        customer: args.customer,
        overdue_as_of: if args.overdue { as_of } else { None },
    };
    let disputes = settle.disputes(&query).await?;
    if args.format == ListFormat::Json {
        return render::json(&disputes.iter().map(record).collect::<Vec<_>>());
    }
    let mut table = render::table(&[
        "dispute", "customer", "document", "line", "reason", "status", "owner", "opened", "due",
        "amount",
    ]);
    for d in &disputes {
        let row = &d.row;
        table.add_row(vec![
            Cell::new(row.id),
            Cell::new(&row.customer_code),
            Cell::new(&row.item_number),
            Cell::new(row.line_no.map_or(String::new(), |l| l.to_string())),
            Cell::new(d.reason),
            Cell::new(d.status),
            Cell::new(&row.owner),
            Cell::new(&row.opened_on),
            Cell::new(row.due_on.clone().unwrap_or_default()),
            render::num(row.amount.to_string()),
        ]);
    }
    println!("{} dispute(s)", disputes.len());
    println!("{table}");
    Ok(())
}

async fn show(settle: &Settle, args: IdArgs) -> Result<()> {
    let (dispute, notes) = settle.dispute(args.id).await?;
    if args.format == ListFormat::Json {
        let mut value = record(&dispute);
        value["history"] = notes
            .iter()
            .map(|n| {
                json!({
                    "on": n.noted_on, "at": n.noted_at, "by": n.author,
                    "event": n.event, "text": n.body,
                })
            })
            .collect();
        return render::json(&value);
    }
    let row = &dispute.row;
    println!(
        "dispute {} on {}{} of {}: {} ({}), {}",
        row.id,
        row.item_number,
        row.line_no.map_or(String::new(), |l| format!(" line {l}")),
        row.customer_code,
        row.amount,
        dispute.reason,
        dispute.status
    );
    if let Some(text) = &dispute.reason_text {
        println!("reason as first recorded: {text}");
    }
    println!(
        "owner: {}  opened: {}  due: {}",
        if row.owner.is_empty() {
            "-"
        } else {
            &row.owner
        },
        row.opened_on,
        row.due_on.as_deref().unwrap_or("-")
    );
    if let Some(on) = &row.resolved_on {
        println!(
            "resolved {} on {on} by {}{}{}",
            dispute.status,
            row.resolved_by.as_deref().unwrap_or("?"),
            row.credit_memo
                .as_ref()
                .map_or(String::new(), |m| format!(", credit memo {m}")),
            row.replacement
                .as_ref()
                .map_or(String::new(), |r| format!(", replaced by {r}")),
        );
    }
    if !row.note.is_empty() {
        println!("note: {}", row.note);
    }
    let mut table = render::table(&["on", "by", "event", "text"]);
    for note in &notes {
        table.add_row(vec![
            Cell::new(&note.noted_on),
            Cell::new(&note.author),
            Cell::new(&note.event),
            Cell::new(&note.body),
        ]);
    }
    println!("\nHistory\n{table}");
    Ok(())
}

async fn resolve(settle: &Settle, args: ResolveArgs) -> Result<()> {
    let resolution = if args.credit_memo {
        Resolution::CreditMemo {
            amount: args.amount,
        }
    } else if let Some(replacement) = args.rebill {
        Resolution::Rebill { replacement }
    } else if args.reinstate {
        Resolution::Reinstate
    } else {
        Resolution::WriteOff {
            direct: args.direct,
        }
    };
    let date = date_or_today("--date", args.date.as_deref())?;
    let decided = settle
        .resolve_dispute(args.id, resolution, date, &args.note)
        .await?
        .value;
    if args.format == ListFormat::Json {
        return render::json(&decided);
    }
    match decided {
        Decided::Posted(resolved) => println!(
            "dispute {} {}: {}",
            resolved.dispute_id,
            resolved.status,
            super::approvals::resolved_line(&resolved)
        ),
        Decided::AwaitsApproval(pending) => println!(
            "awaits approval {}: {} is over the {} limit; nothing was posted. A manager or \
             admin other than {} approves it with `settle approvals approve {}`",
            pending.approval_id,
            pending.summary,
            pending.operation.describe(),
            pending.maker,
            pending.approval_id
        ),
    }
    Ok(())
}
