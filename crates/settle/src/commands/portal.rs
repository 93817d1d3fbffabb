//! `settle portal link|links|revoke`: the customer portal's links.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use settle_server::ServerConfig;
use settle_service::Settle;
use settle_service::portal::{PortalLink, portal_url};

use crate::cli::{Format, FormatArgs};
use crate::render;

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// Make a portal link for a customer and print its address, once: Settle keeps only the
    /// SHA-256 of its secret. The address is built on the server's public_url.
    Link(PortalLinkArgs),
    /// Portal links with their customer, maker, expiry, revocation and last use.
    Links(PortalLinksArgs),
    /// Revoke a portal link: it stops working at once.
    Revoke(PortalRevokeArgs),
}

#[derive(Debug, Args)]
pub struct PortalLinkArgs {
    /// The customer's code.
    pub customer: String,
    /// How many days the link works (1 to 365).
    #[arg(long, default_value_t = settle_service::portal::DEFAULT_LINK_DAYS)]
    pub days: u32,
    /// The server's settings file, for its public_url (SETTLE_PUBLIC_URL overrides it).
    #[arg(long, env = "SETTLE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PortalLinksArgs {
    /// Only this customer's links.
    #[arg(long)]
    pub customer: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PortalRevokeArgs {
    pub id: i64,
    #[command(flatten)]
    pub format: FormatArgs,
}

pub async fn run(settle: &Settle, command: PortalCommand) -> Result<()> {
    match command {
        PortalCommand::Link(args) => link(settle, args).await,
        PortalCommand::Links(args) => links(settle, args).await,
        PortalCommand::Revoke(args) => revoke(settle, args).await,
    }
}

/// The address people reach the server at, as `settle serve` would take it.
fn public_url(config: Option<&PathBuf>) -> Result<String> {
    let config = match config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    Ok(config
        .with_environment(|name| std::env::var(name).ok())?
        .public_url)
}

async fn link(settle: &Settle, args: PortalLinkArgs) -> Result<()> {
    let base = public_url(args.config.as_ref())?;
    let created = settle
        .create_portal_link(&args.customer, Some(args.days))
        .await?;
    let url = portal_url(&base, &created.secret);
    if args.format.format == Format::Json {
        return render::json(&serde_json::json!({
            "id": created.id,
            "customer": created.customer,
            "customer_name": created.customer_name,
            "expires_at": created.expires_at,
            "url": url,
        }));
    }
    println!(
        "portal link {} for {} ({}) works until {}; its address, shown this once:",
        created.id, created.customer, created.customer_name, created.expires_at
    );
    println!("{url}");
    Ok(())
}

fn print_links(links: &[PortalLink], format: Format) -> Result<()> {
    if format == Format::Json {
        return render::json(&links);
    }
    let mut table = render::table(&[
        "id",
        "customer",
        "state",
        "created by",
        "created",
        "expires",
        "revoked",
        "last used",
    ]);
    for link in links {
        table.add_row([
            link.id.to_string(),
            link.customer.clone(),
            link.state.to_string(),
            link.created_by.clone(),
            link.created_at.clone(),
            link.expires_at.clone(),
            link.revoked_at.clone().unwrap_or_default(),
            link.last_used_at.clone().unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn links(settle: &Settle, args: PortalLinksArgs) -> Result<()> {
    let links = settle.portal_links(args.customer.as_deref()).await?;
    print_links(&links, args.format.format)
}

async fn revoke(settle: &Settle, args: PortalRevokeArgs) -> Result<()> {
    let link = settle.revoke_portal_link(args.id).await?;
    if args.format.format == Format::Json {
        return render::json(&link);
    }
    println!(
        "portal link {} of {} revoked at {}",
        link.id,
        link.customer,
        link.revoked_at.unwrap_or_default()
    );
    Ok(())
}
