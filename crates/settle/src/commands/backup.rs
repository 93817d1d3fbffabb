//! `settle backup` and `settle restore`: the whole database to a file and back, on either engine.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use settle_service::backup;

use crate::cli::{Format, FormatArgs};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (replaced if it exists; readable by its owner only).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file written by `settle backup`.
    pub file: PathBuf,
    /// Only check the file's header and every table's checksum; touch no database.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

fn table_summary(manifest: &backup::Manifest) -> serde_json::Value {
    json!(
        manifest
            .tables
            .iter()
            .map(|t| json!({"table": t.name, "rows": t.rows, "sha256": t.sha256}))
            .collect::<Vec<_>>()
    )
}

pub async fn backup(db: &str, args: BackupArgs) -> Result<()> {
    let report = backup::backup(db, &args.out).await.with_context(|| {
        format!(
            "cannot back up {} to {}",
            settle_service::redact_location(db),
            args.out.display()
        )
    })?;
    let rows: u64 = report.manifest.tables.iter().map(|t| t.rows).sum();
    match args.format.format {
        Format::Json => println!(
            "{}",
            json!({
                "file": report.path.display().to_string(),
                "bytes": report.bytes,
                "seconds": report.seconds,
                "schema_version": report.manifest.schema_version,
                "source_engine": report.manifest.source_engine,
                "rows": rows,
                "tables": table_summary(&report.manifest),
            })
        ),
        Format::Table | Format::Csv => println!(
            "backed up {rows} rows of {} tables (schema version {}) to {}: {} bytes in {:.2} s",
            report.manifest.tables.len(),
            report.manifest.schema_version,
            report.path.display(),
            report.bytes,
            report.seconds
        ),
    }
    Ok(())
}

pub async fn restore(db: &str, actor: &str, args: RestoreArgs) -> Result<()> {
    if args.check {
        let manifest = backup::check(&args.file)?;
        let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
        match args.format.format {
            Format::Json => println!(
                "{}",
                json!({
                    "file": args.file.display().to_string(),
                    "schema_version": manifest.schema_version,
                    "created_at": manifest.created_at,
                    "source_engine": manifest.source_engine,
                    "rows": rows,
                    "tables": table_summary(&manifest),
                })
            ),
            Format::Table | Format::Csv => println!(
                "{} is intact: {rows} rows of {} tables, schema version {}, taken {} from {}",
                args.file.display(),
                manifest.tables.len(),
                manifest.schema_version,
                manifest.created_at,
                manifest.source_engine
            ),
        }
        return Ok(());
    }
    let report = backup::restore(db, &args.file, actor, &super::origin())
        .await
        .with_context(|| {
            format!(
                "cannot restore {} into {}",
                args.file.display(),
                settle_service::redact_location(db)
            )
        })?;
    match args.format.format {
        Format::Json => println!(
            "{}",
            json!({
                "file": args.file.display().to_string(),
                "rows": report.rows,
                "seconds": report.seconds,
                "backup_schema_version": report.backup_schema_version,
                "schema_version": report.schema_version,
                "audit_chains": report.audit_chains.iter().map(|(entity, chain)| json!({
                    "entity": entity, "rows": chain.rows, "head_hash": chain.head.hash,
                })).collect::<Vec<_>>(),
            })
        ),
        Format::Table | Format::Csv => {
            println!(
                "restored {} rows from {} (schema version {}, now {}) in {:.2} s",
                report.rows,
                args.file.display(),
                report.backup_schema_version,
                report.schema_version,
                report.seconds
            );
            for (entity, chain) in &report.audit_chains {
                println!(
                    "audit chain of {entity} intact: {} rows, head {}",
                    chain.rows, chain.head.hash
                );
            }
        }
    }
    Ok(())
}
