//! The background jobs, in rounds: import what was dropped in the drop folder, match payments,
//! run dunning once a day, send the outbox, forget expired sessions. A round that fails is
//! logged and counted, and the next round tries again; every job is safe to repeat (imports
//! are recognised by their content, dunning by its day, the outbox by each message's state).

use std::path::{Path, PathBuf};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use settle_core::Date;
use settle_service::import::ImportOptions;
use settle_service::import::bank::BankImportOptions;
use settle_service::matching::MatchOptions;
use settle_service::outbox::{SendOptions, SmtpSettings};
use settle_service::templates::Templates;
use settle_service::{ServiceError, ServiceResult, Settle};

use crate::state::AppState;

/// Who the jobs act as in the journal and the audit trail.
const JOBS_ACTOR: &str = "settle-jobs";

pub fn spawn(state: AppState, mut stopped: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut dunned_on: Option<Date> = None;
        loop {
            round(&state, &mut dunned_on).await;
            tokio::select! {
                () = tokio::time::sleep(state.config().job_interval()) => {}
                _ = stopped.changed() => break,
            }
        }
    })
}

async fn round(state: &AppState, dunned_on: &mut Option<Date>) {
    let settle = state
        .background()
        .clone()
        .acting_as(JOBS_ACTOR)
        .with_origin("server jobs");
    let jobs = &state.config().jobs;
    if let Some(folder) = &jobs.drop_folder {
        let imported = import_drop_folder(&settle, folder).await;
        record(state, "drop_folder", imported);
    }
    if jobs.matching {
        let matched = settle
            .run_matching(&MatchOptions::default())
            .await
            .map(|report| {
                if report.auto + report.suggested > 0 {
                    state.written();
                    tracing::info!(
                        applied = report.auto,
                        suggested = report.suggested,
                        "matching"
                    );
                }
            });
        record(state, "matching", matched);
    }
    let today = jiff::Zoned::now().date();
    if jobs.dunning && *dunned_on != Some(today) {
        let dunned = settle
            .dun(
                today,
                jiff::Timestamp::now(),
                false,
                &Templates::builtin(),
                None,
            )
            .await
            .map(|_| ());
        if dunned.is_ok() {
            *dunned_on = Some(today);
            state.written();
        }
        record(state, "dunning", dunned);
    }
    if let (Some(url), Some(from)) = (&jobs.smtp_url, &jobs.smtp_from) {
        let sent = async {
            let smtp = SmtpSettings::new(url, from)?;
            let report = settle.send_outbox(&smtp, &SendOptions::default()).await?;
            if report.sent + report.failed > 0 {
                tracing::info!(sent = report.sent, failed = report.failed, "outbox");
            }
            Ok(())
        }
        .await;
        record(state, "outbox", sent);
    }
    record(
        state,
        "sessions",
        settle.expire_sessions().await.map(|_| ()),
    );
}

fn record(state: &AppState, job: &str, outcome: ServiceResult<()>) {
    if let Err(error) = &outcome {
        tracing::warn!(job, %error, "job failed");
    }
    state.metrics().record_job(job, outcome.is_ok());
}

/// What a dropped file is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dropped {
    Customers,
    Invoices,
    Bank,
}

fn kind_of(name: &str) -> Option<Dropped> {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with('.') || lower.ends_with(".partial") || lower.ends_with(".error.txt") {
        return None;
    }
    if lower.ends_with(".csv") {
        return if lower.starts_with("customers") {
            Some(Dropped::Customers)
        } else if lower.starts_with("invoices") {
            Some(Dropped::Invoices)
        } else {
            None
        };
    }
    Some(Dropped::Bank)
}

/// Imports each file in the folder, oldest name first, and moves it to `done/` or, with a
/// `NAME.error.txt` beside it that says why, to `failed/`. A file whose import committed but
/// whose move did not is recognised as already imported on the next round.
async fn import_drop_folder(settle: &Settle, folder: &Path) -> ServiceResult<()> {
    let io = |path: &Path, source| ServiceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(folder)
        .map_err(|e| io(folder, e))?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| Some((entry.file_name().to_str()?.to_string(), entry.path())))
        .collect();
    files.sort();
    for (name, path) in files {
        let Some(kind) = kind_of(&name) else { continue };
        let imported = match kind {
            Dropped::Customers => settle
                .import_customers(&path, ImportOptions::default(), &|_, _| {})
                .await
                .map(|_| ()),
            Dropped::Invoices => settle
                .import_invoices(&path, ImportOptions::default(), &|_, _| {})
                .await
                .map(|_| ()),
            Dropped::Bank => settle
                .import_bank(&path, &BankImportOptions::default())
                .await
                .map(|_| ()),
        };
        let (target, error) = match &imported {
            Ok(()) => ("done", None),
            Err(e) if e.is_retryable() || e.storage_failure().is_some() => {
                // Not the file's fault: leave it for the next round.
                tracing::warn!(file = %name, error = %e, "import postponed");
                continue;
            }
            Err(e) => ("failed", Some(e.to_string())),
        };
        let dir = folder.join(target);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        if let Some(error) = &error {
            let report = dir.join(format!("{name}.error.txt"));
            std::fs::write(&report, format!("{error}\n")).map_err(|e| io(&report, e))?;
            tracing::warn!(file = %name, %error, "import failed");
        } else {
            tracing::info!(file = %name, "imported");
        }
        std::fs::rename(&path, dir.join(&name)).map_err(|e| io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_files_are_told_apart_by_name() {
        assert_eq!(kind_of("invoices-2026-11.csv"), Some(Dropped::Invoices));
        assert_eq!(kind_of("Customers.CSV"), Some(Dropped::Customers));
        assert_eq!(kind_of("statement.bai2"), Some(Dropped::Bank));
        assert_eq!(kind_of("camt053.xml"), Some(Dropped::Bank));
        assert_eq!(
            kind_of("other.csv"),
            None,
            "a bank CSV needs its column map"
        );
        assert_eq!(kind_of(".hidden"), None);
        assert_eq!(kind_of("x.bai.partial"), None);
    }
}
