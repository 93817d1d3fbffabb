//! `settle user password|disable` and `settle token create|list|revoke`: signing in.

use std::io::Read;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};

use settle_core::access::Scope;
use settle_service::Settle;
use settle_service::access::{ApiToken, MAX_PASSWORD_BYTES, TokenRequest};

use super::parse_date;
use crate::cli::{Format, FormatArgs, UserNameArgs, UserPasswordArgs, UserRoleArgs};
use crate::render;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for the user named by --user. Its secret is printed once and
    /// cannot be shown again; Settle keeps only its SHA-256.
    Create(TokenCreateArgs),
    /// Tokens with their user, scope, expiry and last use (never their secrets); with --user,
    /// that user's only.
    List(TokenListArgs),
    /// Revoke a token: it stops working at once.
    Revoke(TokenRevokeArgs),
}

/// The token's user is the global `--user` (or `SETTLE_USER`): the one who acts.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// read: reading only; write: whatever the user's role may do.
    #[arg(long)]
    pub scope: String,
    /// What the token is for (a script's or machine's name).
    #[arg(long, default_value = "")]
    pub name: String,
    /// The last day the token works (yyyy-mm-dd, UTC); without it, until revoked.
    #[arg(long)]
    pub expires: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

/// With the global `--user` (or `SETTLE_USER`), only that user's tokens.
#[derive(Debug, Args)]
pub struct TokenListArgs {
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    pub id: i64,
    #[command(flatten)]
    pub format: FormatArgs,
}

/// The password on standard input: its first line, without the line ending.
pub fn read_password() -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_PASSWORD_BYTES as u64 + 3)
        .read_to_string(&mut text)
        .context("cannot read the password from standard input")?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(anyhow!(
            "--password-stdin: standard input holds no password (write it on the first line)"
        ));
    }
    Ok(line.to_string())
}

pub async fn set_password(settle: &Settle, args: UserPasswordArgs) -> Result<()> {
    debug_assert!(args.password_stdin, "clap requires --password-stdin");
    let password = read_password()?;
    settle.set_password(&args.name, &password).await?;
    println!("password of {} set", args.name);
    Ok(())
}

pub async fn disable_user(settle: &Settle, args: UserNameArgs) -> Result<()> {
    let user = settle.disable_user(&args.name).await?;
    println!(
        "user {} disabled since {}: no sign-in, no tokens, no approvals",
        user.name,
        user.disabled_at.unwrap_or_default()
    );
    Ok(())
}

pub async fn set_role(settle: &Settle, args: UserRoleArgs) -> Result<()> {
    let role = args
        .role
        .parse::<settle_core::access::Role>()
        .map_err(|e| anyhow!("ROLE: {e}"))?;
    let user = settle.set_user_role(&args.name, role).await?;
    println!("user {} is now {}", user.name, user.role);
    Ok(())
}

/// The user named by `--user`, if one was.
fn named_user(settle: &Settle) -> Option<&str> {
    Some(settle.actor()).filter(|actor| *actor != settle_service::SYSTEM_ACTOR)
}

pub async fn token(settle: &Settle, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create(args) => create(settle, args).await,
        TokenCommand::List(args) => list(settle, args).await,
        TokenCommand::Revoke(args) => revoke(settle, args).await,
    }
}

async fn create(settle: &Settle, args: TokenCreateArgs) -> Result<()> {
    let scope: Scope = args.scope.parse().map_err(|e| anyhow!("--scope: {e}"))?;
    let expires_on = args
        .expires
        .as_deref()
        .map(|d| parse_date("--expires", d))
        .transpose()?;
    let user = named_user(settle).ok_or_else(|| {
        anyhow!("name the user the token is for with --user NAME (or SETTLE_USER)")
    })?;
    let created = settle
        .create_token(&TokenRequest {
            user: user.to_string(),
            scope,
            name: args.name,
            expires_on,
        })
        .await?;
    if args.format.format == Format::Json {
        return render::json(&created);
    }
    let expires = created
        .expires_on
        .map_or("until revoked".to_string(), |d| format!("through {d}"));
    println!(
        "token {} for {} ({} scope, {expires}) created; its secret, shown this once:",
        created.id, created.user, created.scope
    );
    println!("{}", created.secret);
    Ok(())
}

fn print_tokens(tokens: Vec<ApiToken>, format: Format) -> Result<()> {
    if format == Format::Json {
        return render::json(&tokens);
    }
    let mut table = render::table(&[
        "id",
        "user",
        "name",
        "scope",
        "created",
        "expires",
        "revoked",
        "last used",
    ]);
    for t in tokens {
        table.add_row([
            t.id.to_string(),
            t.user,
            t.name,
            t.scope.to_string(),
            t.created_at,
            t.expires_on.map(|d| d.to_string()).unwrap_or_default(),
            t.revoked_at.unwrap_or_default(),
            t.last_used_at.unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn list(settle: &Settle, args: TokenListArgs) -> Result<()> {
    let tokens = settle.tokens(named_user(settle)).await?;
    print_tokens(tokens, args.format.format)
}

async fn revoke(settle: &Settle, args: TokenRevokeArgs) -> Result<()> {
    let token = settle.revoke_token(args.id).await?;
    if args.format.format == Format::Json {
        return render::json(&token);
    }
    println!(
        "token {} of {} revoked at {}",
        token.id,
        token.user,
        token.revoked_at.unwrap_or_default()
    );
    Ok(())
}
