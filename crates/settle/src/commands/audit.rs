//! `settle audit pack`, `settle audit confirmations`, and the audit trail: `settle audit verify`
//! and `settle audit log`.

use anyhow::{Context, Result, bail};
use serde_json::json;

use settle_service::audit::Sample;
use settle_service::{AuditQuery, Settle};

use super::date_or_today;
use crate::cli::{AuditLogArgs, AuditPackArgs, ConfirmationArgs, Format};
use crate::render;

pub async fn pack(settle: &Settle, args: AuditPackArgs) -> Result<()> {
    let generated_at = jiff::Timestamp::now().to_string();
    let pack = settle.audit_pack(&args.period, &generated_at).await?;
    pack.write_tar(&args.out)?;
    println!(
        "wrote {} ({} files) for period {}{}:",
        args.out.display(),
        pack.files.len(),
        pack.manifest.period.name,
        if pack.manifest.closed {
            ", closed"
        } else {
            ", NOT closed (aging computed now)"
        }
    );
    for file in &pack.manifest.files {
        println!(
            "  {:<24} {:>10} bytes  sha256 {}",
            file.name, file.bytes, file.sha256
        );
    }
    Ok(())
}

pub async fn confirmations(settle: &Settle, args: ConfirmationArgs) -> Result<()> {
    let sample = match (args.largest, args.random) {
        (Some(count), _) => Sample::ByValue { count },
        (None, Some(count)) => Sample::AtRandom {
            count,
            seed: args.seed,
        },
        (None, None) => bail!("--largest N or --random N"),
    };
    let today = date_or_today("today", None)?;
    let requests = settle
        .confirmations(&args.period, sample, &args.reply_to, today)
        .await?;
    let out = &args.out;
    if out.exists()
        && std::fs::read_dir(out)
            .with_context(|| format!("cannot read {}", out.display()))?
            .next()
            .is_some()
    {
        bail!("{} is not empty: choose a new folder", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut register = csv::Writer::from_path(out.join("confirmations.csv"))
        .with_context(|| format!("cannot write {}", out.join("confirmations.csv").display()))?;
    register.write_record([
        "customer_id",
        "name",
        "email",
        "currency",
        "balance",
        "letter",
        "email_file",
    ])?;
    for request in &requests {
        let stem = format!("{}-{}", request.customer, request.currency);
        let letter = out.join(format!("{stem}.txt"));
        let email = out.join(format!("{stem}.eml"));
        settle_service::private_files::write(&letter, &request.letter)
            .with_context(|| format!("cannot write {}", letter.display()))?;
        settle_service::private_files::write(&email, &request.email_message)
            .with_context(|| format!("cannot write {}", email.display()))?;
        register.write_record([
            request.customer.as_str(),
            &request.name,
            &request.email,
            &request.currency,
            &request.balance,
            &format!("{stem}.txt"),
            &format!("{stem}.eml"),
        ])?;
    }
    register.flush()?;
    println!(
        "{} confirmation request(s) written to {} (letters .txt, emails .eml, register confirmations.csv)",
        requests.len(),
        out.display()
    );
    Ok(())
}

/// Checks the chain; a broken chain is an error, so the exit code says it to scripts.
pub async fn verify(settle: &Settle, format: Format) -> Result<()> {
    let entity = &settle.entity().code;
    match settle.verify_audit().await? {
        Ok(summary) => {
            match format {
                Format::Json => render::json(&json!({
                    "entity": entity,
                    "intact": true,
                    "rows": summary.rows,
                    "head_seq": summary.head.seq,
                    "head_hash": summary.head.hash,
                }))?,
                Format::Table | Format::Csv => println!(
                    "audit trail of {entity} intact: {} rows, head {} (row {})",
                    summary.rows, summary.head.hash, summary.head.seq
                ),
            }
            Ok(())
        }
        Err(broken) => {
            if format == Format::Json {
                render::json(&json!({
                    "entity": entity,
                    "intact": false,
                    "first_bad_seq": broken.seq,
                    "problem": broken.problem,
                }))?;
            }
            bail!("audit trail of {entity}: {broken}")
        }
    }
}

pub async fn log(settle: &Settle, args: AuditLogArgs) -> Result<()> {
    let day = |name: &str, text: &Option<String>| -> Result<Option<jiff::civil::Date>> {
        text.as_deref()
            .map(|t| {
                t.parse()
                    .with_context(|| format!("--{name} {t:?} is not a date (expected yyyy-mm-dd)"))
            })
            .transpose()
    };
    let query = AuditQuery {
        from: day("from", &args.from)?,
        to: day("to", &args.to)?,
        actor: args.actor,
        operation: args.operation,
    };
    let rows = settle.audit_log(&query).await?;
    match args.format.format {
        Format::Json => render::json(&rows)?,
        Format::Csv => {
            let mut out = render::csv_out();
            out.write_record([
                "seq",
                "at",
                "actor",
                "origin",
                "operation",
                "target_kind",
                "target_key",
                "before",
                "after",
                "prev_hash",
                "hash",
            ])?;
            for row in &rows {
                let seq = row.seq.to_string();
                let entry = &row.entry;
                out.write_record([
                    seq.as_str(),
                    &entry.at,
                    &entry.actor,
                    &entry.origin,
                    &entry.operation,
                    &entry.target.kind,
                    &entry.target.key,
                    &entry.before,
                    &entry.after,
                    &row.prev_hash,
                    &row.hash,
                ])?;
            }
            out.flush()?;
        }
        Format::Table => {
            let mut table = render::table(&["seq", "at", "actor", "origin", "operation", "target"]);
            for row in &rows {
                let entry = &row.entry;
                table.add_row(vec![
                    render::num(row.seq.to_string()),
                    entry.at.clone().into(),
                    entry.actor.clone().into(),
                    entry.origin.clone().into(),
                    entry.operation.clone().into(),
                    entry.target.to_string().into(),
                ]);
            }
            println!("{table}");
            println!("{} row(s)", rows.len());
        }
    }
    Ok(())
}
