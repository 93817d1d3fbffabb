//! `settle audit pack` and `settle audit confirmations`.

use anyhow::{Context, Result, bail};

use settle_service::Settle;
use settle_service::audit::Sample;

use super::date_or_today;
use crate::cli::{AuditPackArgs, ConfirmationArgs};

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
