//! `settle`: parses the command line, calls the service, prints. No business rules live here.
//!
//! Exit codes: 0 success (including "already imported, nothing posted"), 1 the operation failed
//! or was refused (the reason is printed), 2 the command line was wrong.

mod cli;
mod commands;
mod render;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ignore_file_size_signal();
    let cli = cli::Cli::parse();
    if matches!(cli.command, cli::Command::RenderWorker) {
        return match settle_service::documents::serve_render_worker() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    // The server answers many clients at once on every core; every other command is one
    // operation at a time.
    let mut builder = if matches!(cli.command, cli::Command::Serve(_)) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}{}", describe(&error), retry_hint(&error));
            ExitCode::FAILURE
        }
    }
}

/// A write past the process's file-size limit (`ulimit -f`) raises SIGXFSZ, whose default
/// action ends the process without a word. Ignored, the write fails with EFBIG instead, and the
/// operation reports it and rolls back like any other write that failed.
#[allow(unsafe_code)]
fn ignore_file_size_signal() {
    // SAFETY: `signal` with SIG_IGN installs no handler code; it runs before any other thread
    // exists, so nothing races with the change of disposition.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The error and its causes, leaving out a cause whose words its parent already says (database
/// drivers repeat their inner error in their own message).
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}

/// Operations that go through the service's retry say "try it again" themselves; any other
/// that lost to a concurrent writer gets the same advice here, since it wrote nothing.
fn retry_hint(error: &anyhow::Error) -> &'static str {
    let lost = error.chain().any(|cause| {
        cause
            .downcast_ref::<settle_service::ServiceError>()
            .is_some_and(|e| {
                e.is_retryable() && !matches!(e, settle_service::ServiceError::Contended { .. })
            })
    });
    if lost {
        "\n(another client changed the same records at the same moment; nothing was written: try it again)"
    } else {
        ""
    }
}
