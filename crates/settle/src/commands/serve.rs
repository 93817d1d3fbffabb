//! `settle serve`: reads the settings, opens the database, hands both to the server.

use anyhow::{Context, Result};

use settle_server::ServerConfig;
use settle_service::Settle;

use crate::cli::ServeArgs;

pub async fn run(db: &str, entity: &str, args: ServeArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    let mut config = config.with_environment(|name| std::env::var(name).ok())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    settle_server::init_logging(config.log_format);
    let settle = Settle::open(db, entity)
        .await
        .with_context(|| format!("cannot open {}", settle_service::redact_location(db)))?;
    // The background work (jobs, worklist ranking) reads whole books: on a pool of its own,
    // so that it never leaves the requests waiting for a connection, and one query at a time,
    // so that it never takes every core from them.
    let background = Settle::open(db, entity)
        .await
        .with_context(|| format!("cannot open {}", settle_service::redact_location(db)))?
        .with_sequential_reads();
    let served = settle_server::serve(settle.clone(), background.clone(), config).await;
    background.close().await;
    settle.close().await;
    Ok(served?)
}
