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
    let served = settle_server::serve(settle.clone(), config).await;
    settle.close().await;
    Ok(served?)
}
