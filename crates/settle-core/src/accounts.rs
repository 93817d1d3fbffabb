//! The chart of accounts Settle posts to, by role.
//!
//! Postings name accounts by code; a company maps each role to its own general-ledger code. The
//! defaults follow ACCOUNTING.md. Cash has one account per bank account, so it is the one role
//! that may have several codes.

use std::fmt;
use std::str::FromStr;

/// What an account is for, as ACCOUNTING.md names the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountRole {
    ArControl,
    Cash,
    UnappliedCash,
    Revenue,
    SalesReturns,
    SalesDiscounts,
    TaxPayable,
    BankFees,
    InterestIncome,
    Allowance,
    BadDebtExpense,
    RefundsClearing,
    Rounding,
}

const ROLES: &[(AccountRole, &str, &str, &str)] = &[
    (
        AccountRole::ArControl,
        "AR_CONTROL",
        "1200",
        "Accounts receivable",
    ),
    (
        AccountRole::Cash,
        "CASH",
        "1010",
        "Cash - operating account",
    ),
    (
        AccountRole::UnappliedCash,
        "UNAPPLIED_CASH",
        "2150",
        "Unapplied cash",
    ),
    (AccountRole::Revenue, "REVENUE", "4000", "Revenue"),
    (
        AccountRole::SalesReturns,
        "SALES_RETURNS",
        "4100",
        "Sales returns and allowances",
    ),
    (
        AccountRole::SalesDiscounts,
        "SALES_DISCOUNTS",
        "4200",
        "Sales discounts",
    ),
    (
        AccountRole::TaxPayable,
        "TAX_PAYABLE",
        "2200",
        "Tax payable",
    ),
    (AccountRole::BankFees, "BANK_FEES", "6100", "Bank fees"),
    (
        AccountRole::InterestIncome,
        "INTEREST_INCOME",
        "4300",
        "Interest income",
    ),
    (
        AccountRole::Allowance,
        "ALLOWANCE",
        "1290",
        "Allowance for doubtful accounts",
    ),
    (
        AccountRole::BadDebtExpense,
        "BAD_DEBT_EXPENSE",
        "6200",
        "Bad debt expense",
    ),
    (
        AccountRole::RefundsClearing,
        "REFUNDS_CLEARING",
        "2160",
        "Refunds clearing",
    ),
    (AccountRole::Rounding, "ROUNDING", "6900", "Rounding"),
];

/// Where an account stands in the financial statements. A contra account takes the kind of
/// what it reduces: the allowance is an asset (with a credit balance), sales returns and
/// discounts are income (with debit balances). Rounding is an expense whichever way it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKind {
    Asset,
    Liability,
    Income,
    Expense,
}

impl AccountKind {
    pub fn name(self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Income => "income",
            AccountKind::Expense => "expense",
        }
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("unknown account role {0:?}")]
    UnknownRole(String),
    #[error("no account is mapped for role {0}")]
    Unmapped(AccountRole),
    #[error("no cash account {0:?} (known bank accounts: {1})")]
    UnknownBankAccount(String, String),
    #[error("account code {0:?} is used for two roles")]
    DuplicateCode(String),
}

impl AccountRole {
    pub fn name(self) -> &'static str {
        ROLES
            .iter()
            .find(|r| r.0 == self)
            .map(|r| r.1)
            .expect("every role is listed")
    }

    pub fn all() -> impl Iterator<Item = AccountRole> {
        ROLES.iter().map(|r| r.0)
    }

    /// The kind ACCOUNTING.md gives the role's default account.
    pub fn kind(self) -> AccountKind {
        match self {
            AccountRole::ArControl | AccountRole::Cash | AccountRole::Allowance => {
                AccountKind::Asset
            }
            AccountRole::UnappliedCash | AccountRole::TaxPayable | AccountRole::RefundsClearing => {
                AccountKind::Liability
            }
            AccountRole::Revenue
            | AccountRole::SalesReturns
            | AccountRole::SalesDiscounts
            | AccountRole::InterestIncome => AccountKind::Income,
            AccountRole::BankFees | AccountRole::BadDebtExpense | AccountRole::Rounding => {
                AccountKind::Expense
            }
        }
    }
}

impl FromStr for AccountRole {
    type Err = ChartError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text
            .trim()
            .to_ascii_uppercase()
            .replace(['-', ' ', '/'], "_");
        ROLES
            .iter()
            .find(|r| r.1 == wanted)
            .map(|r| r.0)
            .ok_or_else(|| ChartError::UnknownRole(text.to_string()))
    }
}

impl fmt::Display for AccountRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub code: String,
    pub name: String,
    pub role: AccountRole,
    /// For cash accounts: the bank account's short name (`OPERATING`, `LOCKBOX`).
    pub bank_account: Option<String>,
}

/// Role → account, with one cash account per bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartOfAccounts {
    accounts: Vec<Account>,
}

/// The bank account a payment lands in when none is named.
pub const DEFAULT_BANK_ACCOUNT: &str = "OPERATING";

impl Default for ChartOfAccounts {
    fn default() -> Self {
        let accounts = ROLES
            .iter()
            .map(|(role, _, code, name)| Account {
                code: (*code).to_string(),
                name: (*name).to_string(),
                role: *role,
                bank_account: (*role == AccountRole::Cash)
                    .then(|| DEFAULT_BANK_ACCOUNT.to_string()),
            })
            .collect();
        ChartOfAccounts { accounts }
    }
}

impl ChartOfAccounts {
    pub fn new(accounts: Vec<Account>) -> Result<Self, ChartError> {
        let mut codes: Vec<&str> = accounts.iter().map(|a| a.code.as_str()).collect();
        codes.sort_unstable();
        if let Some(pair) = codes.windows(2).find(|w| w[0] == w[1]) {
            return Err(ChartError::DuplicateCode(pair[0].to_string()));
        }
        let chart = ChartOfAccounts { accounts };
        for role in AccountRole::all() {
            if !chart.accounts.iter().any(|a| a.role == role) {
                return Err(ChartError::Unmapped(role));
            }
        }
        Ok(chart)
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The code of the one account for `role` (for Cash: the default bank account's).
    pub fn code(&self, role: AccountRole) -> &str {
        if role == AccountRole::Cash
            && let Ok(code) = self.cash(DEFAULT_BANK_ACCOUNT)
        {
            return code;
        }
        self.accounts
            .iter()
            .find(|a| a.role == role)
            .map(|a| a.code.as_str())
            .expect("a chart maps every role (checked in ChartOfAccounts::new)")
    }

    /// The cash account of one bank account.
    pub fn cash(&self, bank_account: &str) -> Result<&str, ChartError> {
        self.accounts
            .iter()
            .find(|a| {
                a.role == AccountRole::Cash && a.bank_account.as_deref() == Some(bank_account)
            })
            .map(|a| a.code.as_str())
            .ok_or_else(|| {
                let known: Vec<_> = self
                    .accounts
                    .iter()
                    .filter_map(|a| a.bank_account.as_deref())
                    .collect();
                ChartError::UnknownBankAccount(bank_account.to_string(), known.join(", "))
            })
    }

    pub fn role_of(&self, code: &str) -> Option<AccountRole> {
        self.accounts
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_chart_maps_every_role_once() {
        let chart = ChartOfAccounts::default();
        assert!(ChartOfAccounts::new(chart.accounts().to_vec()).is_ok());
        assert_eq!(chart.code(AccountRole::ArControl), "1200");
        assert_eq!(chart.cash("OPERATING").unwrap(), "1010");
        assert!(chart.cash("LOCKBOX").is_err());
        assert_eq!(chart.role_of("2150"), Some(AccountRole::UnappliedCash));
    }

    #[test]
    fn contra_accounts_take_the_kind_of_what_they_reduce() {
        assert_eq!(AccountRole::Allowance.kind(), AccountKind::Asset);
        assert_eq!(AccountRole::SalesReturns.kind(), AccountKind::Income);
        assert_eq!(AccountRole::SalesDiscounts.kind(), AccountKind::Income);
        assert_eq!(AccountRole::RefundsClearing.kind(), AccountKind::Liability);
        assert_eq!(AccountRole::Rounding.kind(), AccountKind::Expense);
    }

    #[test]
    fn a_chart_missing_a_role_or_reusing_a_code_is_refused() {
        let mut accounts = ChartOfAccounts::default().accounts().to_vec();
        accounts.retain(|a| a.role != AccountRole::Rounding);
        assert_eq!(
            ChartOfAccounts::new(accounts),
            Err(ChartError::Unmapped(AccountRole::Rounding))
        );
        let mut accounts = ChartOfAccounts::default().accounts().to_vec();
        accounts[1].code = accounts[0].code.clone();
        assert!(matches!(
            ChartOfAccounts::new(accounts),
            Err(ChartError::DuplicateCode(_))
        ));
    }
}
