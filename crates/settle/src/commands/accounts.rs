//! `settle accounts list|map`: the chart of accounts.

use anyhow::{Result, anyhow};
use serde_json::json;

use settle_core::accounts::{Account, ChartOfAccounts};
use settle_service::Settle;

use crate::cli::{Format, MapAccountArgs};
use crate::render;

fn print(chart: &ChartOfAccounts, format: Format) -> Result<()> {
    if format == Format::Json {
        return render::json(
            &chart
                .accounts()
                .iter()
                .map(|a| json!({"code": a.code, "name": a.name, "role": a.role.name(), "bank_account": a.bank_account}))
                .collect::<Vec<_>>(),
        );
    }
    let mut table = render::table(&["code", "name", "role", "bank account"]);
    for account in chart.accounts() {
        table.add_row(vec![
            account.code.clone(),
            account.name.clone(),
            account.role.name().to_string(),
            account.bank_account.clone().unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(())
}

pub async fn list(settle: &Settle, format: Format) -> Result<()> {
    print(&settle.chart().await?, format)
}

pub async fn map(settle: &Settle, args: MapAccountArgs) -> Result<()> {
    let account = Account {
        code: args.code,
        name: args.name,
        role: args.role.parse().map_err(|e| anyhow!("--role: {e}"))?,
        bank_account: args.bank_account,
    };
    print(&settle.map_account(account).await?, Format::Table)
}
