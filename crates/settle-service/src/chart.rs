//! The chart of accounts: which general-ledger code each role posts to.

use serde_json::json;
use settle_core::accounts::{Account, AccountRole, ChartOfAccounts};
use settle_core::audit_chain::Target;

use crate::Change;
use crate::{ServiceError, ServiceResult, Settle};

impl Settle {
    pub async fn chart(&self) -> ServiceResult<ChartOfAccounts> {
        Ok(self.store().chart(self.entity().id).await?)
    }

    /// Maps a role to a general-ledger account. A cash account is added per bank account; any
    /// other role moves to the new code, but only while its current account has no postings:
    /// moving a used account would split its balance between two codes.
    pub async fn map_account(&self, account: Account) -> ServiceResult<ChartOfAccounts> {
        if account.code.trim().is_empty() || account.code.trim() != account.code {
            return Err(ServiceError::InvalidInput {
                field: "code".into(),
                message: "must be non-empty, without surrounding spaces".into(),
            });
        }
        if (account.role == AccountRole::Cash) != account.bank_account.is_some() {
            return Err(ServiceError::InvalidInput {
                field: "bank_account".into(),
                message: "name a bank account for a cash account, and only for one".into(),
            });
        }
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let chart = tx.chart(entity).await?;
        if let Some(role) = chart.role_of(&account.code)
            && (role != account.role || role == AccountRole::Cash)
        {
            return Err(ServiceError::Refused(format!(
                "account code {} is already used for {role}",
                account.code
            )));
        }
        let replaced: Vec<Account> = chart
            .accounts()
            .iter()
            .filter(|a| {
                a.role == account.role
                    && (a.role != AccountRole::Cash || a.bank_account == account.bank_account)
            })
            .cloned()
            .collect();
        for old in &replaced {
            if tx.account_has_postings(entity, &old.code).await? {
                return Err(ServiceError::Refused(format!(
                    "account {} ({}) already has postings; a new code for {} would split its balance",
                    old.code, old.name, account.role
                )));
            }
            tx.delete_account(entity, &old.code).await?;
        }
        tx.put_account(entity, &account).await?;
        let account_json = |a: &Account| json!({ "code": a.code, "name": a.name, "role": a.role.name(), "bank_account": a.bank_account });
        let change = Change::new("map_account", Target::new("account", &account.code))
            .before(&replaced.iter().map(account_json).collect::<Vec<_>>())
            .after(&account_json(&account));
        self.record_change(&mut tx, change).await?;
        let chart = tx.chart(entity).await?;
        tx.commit().await?;
        Ok(chart)
    }
}
