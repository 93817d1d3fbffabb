//! `settle outbox send|list|retry|bounce` and `settle email CUSTOMER`: the email outbox from
//! the terminal. Reads files and prints; the service queues, sends and records.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;

use settle_core::email::{Attachment, OutboxStatus, content_type_for};
use settle_service::Settle;
use settle_service::outbox::{AdHocEmail, OutboxRow, SendOptions, SmtpSettings};
use settle_service::templates::Templates;

use crate::cli::{
    EmailArgs, Format, OutboxBounceArgs, OutboxListArgs, OutboxRetryArgs, OutboxSendArgs,
};
use crate::render::{self, num};

pub async fn send(settle: &Settle, args: OutboxSendArgs) -> Result<()> {
    let smtp = SmtpSettings::new(&args.smtp_url, &args.from)?;
    let reclaim_after = i64::try_from(args.reclaim_after)
        .map(jiff::SignedDuration::from_secs)
        .map_err(|_| anyhow!("--reclaim-after: too large"))?;
    let options = SendOptions {
        limit: args.limit,
        reclaim_after,
        ..SendOptions::default()
    };
    let report = settle.send_outbox(&smtp, &options).await?;
    if args.format.format == Format::Json {
        render::json(&report)?;
    } else {
        for message in report.messages.iter().filter(|m| m.outcome != "sent") {
            println!(
                "{} {} (outbox {}, attempt {}): {}",
                message.outcome,
                message.message_id,
                message.outbox_id,
                message.attempts,
                message.error
            );
        }
        println!(
            "sent {}, retried {}, failed {}",
            report.sent, report.retried, report.failed
        );
    }
    match report.stopped {
        Some(why) => bail!("stopped early: {why}"),
        None => Ok(()),
    }
}

pub async fn list(settle: &Settle, args: OutboxListArgs) -> Result<()> {
    let status = args
        .status
        .as_deref()
        .map(str::parse::<OutboxStatus>)
        .transpose()
        .map_err(|e| anyhow!("--status: {e}"))?;
    let rows = settle.outbox(status, args.limit).await?;
    if args.format.format == Format::Json {
        return render::json(&rows.iter().map(row_json).collect::<Vec<_>>());
    }
    let mut table = render::table(&[
        "id",
        "status",
        "attempts",
        "customer",
        "to",
        "subject",
        "next attempt",
        "sent",
        "last error",
    ]);
    for row in &rows {
        table.add_row(vec![
            num(row.id.to_string()),
            row.status.as_str().into(),
            num(row.attempts.to_string()),
            row.customer_code.clone().unwrap_or_default().into(),
            row.to.join(", ").into(),
            row.subject.clone().into(),
            row.next_attempt_at.clone().into(),
            row.sent_at.clone().unwrap_or_default().into(),
            row.last_error.clone().into(),
        ]);
    }
    println!("{table}");
    Ok(())
}

fn row_json(row: &OutboxRow) -> serde_json::Value {
    json!({
        "id": row.id,
        "message_id": row.message_id,
        "status": row.status.as_str(),
        "attempts": row.attempts,
        "customer_id": row.customer_code,
        "to": row.to,
        "cc": row.cc,
        "subject": row.subject,
        "attachments": row.attachments,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
        "source": row.source,
        "source_id": row.source_id,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
    })
}

pub async fn retry(settle: &Settle, args: OutboxRetryArgs) -> Result<()> {
    let row = settle.retry_email(args.id).await?;
    println!(
        "outbox {} ({}) queued again, due {}",
        row.id, row.message_id, row.next_attempt_at
    );
    Ok(())
}

pub async fn bounce(settle: &Settle, args: OutboxBounceArgs) -> Result<()> {
    let row = match (&args.report, &args.message_id, &args.reason) {
        (Some(path), _, _) => {
            let text =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            settle
                .bounce_from_report(&path.display().to_string(), &String::from_utf8_lossy(&text))
                .await?
        }
        (None, Some(message_id), Some(reason)) => settle.bounce_email(message_id, reason).await?,
        _ => bail!("give a MESSAGE-ID with --reason, or --report FILE"),
    };
    println!(
        "outbox {} ({}) marked bounced: {}",
        row.id, row.message_id, row.last_error
    );
    Ok(())
}

pub async fn email(settle: &Settle, args: EmailArgs) -> Result<()> {
    let read_text = |path: &std::path::Path| {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let queued = match (args.letter, args.subject, args.text_file) {
        (Some(level), _, _) => {
            let templates = match &args.templates {
                Some(dir) => Templates::from_dir(dir)?,
                None => Templates::builtin(),
            };
            let as_of = super::date_or_today("--as-of", args.as_of.as_deref())?;
            settle
                .email_letter(&args.customer_id, level, &templates, as_of)
                .await?
        }
        (None, Some(subject), Some(text_file)) => {
            let text = read_text(&text_file)?;
            let html = args.html_file.as_deref().map(read_text).transpose()?;
            let mut attachments = Vec::new();
            for path in &args.attachments {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let filename = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .ok_or_else(|| anyhow!("--attach {}: the file has no name", path.display()))?
                    .to_string();
                attachments.push(Attachment {
                    content_type: content_type_for(&filename).to_string(),
                    filename,
                    bytes,
                });
            }
            settle
                .email_customer(AdHocEmail {
                    customer_code: args.customer_id,
                    subject,
                    text,
                    html,
                    attachments,
                })
                .await?
        }
        _ => bail!("give --subject and --text-file, or --letter LEVEL"),
    };
    if args.format.format == Format::Json {
        return render::json(&queued);
    }
    println!(
        "queued outbox {} ({}) to {}",
        queued.outbox_id,
        queued.message_id,
        queued.to.join(", ")
    );
    Ok(())
}
