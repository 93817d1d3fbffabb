//! Read-side operations: aging, the account view, the journal, the trial balance, the ledger
//! check. They return data; rendering as table, CSV or JSON belongs to the front end.

use std::collections::{BTreeMap, HashMap};

use settle_core::accounts::AccountRole;
use settle_core::aging::{self, AgingDetailLine, AgingPolicy, AgingReport};
use settle_core::ids::CustomerId;
use settle_core::{Currency, Date, Money};
use settle_store::{CustomerSummary, JournalLine, VerifyReport};

use crate::error::not_found;
use crate::journal_export::JournalExport;
use crate::{ServiceError, ServiceResult, Settle};

/// One account in one currency of the trial balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalanceRow {
    pub account: String,
    pub name: String,
    pub role: AccountRole,
    /// Sum of its debit postings.
    pub debit: Money,
    /// Sum of its credit postings, positive.
    pub credit: Money,
    /// Debit − credit: positive for a debit balance.
    pub balance: Money,
}

/// The foot of the trial balance in one currency; a ledger whose entries all balance has
/// `debit == credit` and a zero `balance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrialBalanceTotal {
    pub currency: Currency,
    pub debit: Money,
    pub credit: Money,
    pub balance: Money,
}

/// Every account's balance as of the end of a day, per currency (figures never add across
/// currencies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalance {
    /// `None`: every entry, whatever its date.
    pub as_of: Option<Date>,
    /// By account code, then currency.
    pub rows: Vec<TrialBalanceRow>,
    /// By currency code.
    pub totals: Vec<TrialBalanceTotal>,
}

impl TrialBalanceRow {
    pub const COLUMNS: [&'static str; 7] = [
        "account", "name", "role", "currency", "debit", "credit", "balance",
    ];

    /// The row as text, in the order of [`Self::COLUMNS`]; amounts as decimal strings.
    pub fn cells(&self) -> [String; 7] {
        [
            self.account.clone(),
            self.name.clone(),
            self.role.to_string(),
            self.balance.currency().code().to_string(),
            self.debit.to_decimal_string(),
            self.credit.to_decimal_string(),
            self.balance.to_decimal_string(),
        ]
    }
}

impl TrialBalance {
    /// The currencies whose debits and credits differ: empty unless an entry does not balance.
    pub fn unbalanced(&self) -> Vec<&TrialBalanceTotal> {
        self.totals.iter().filter(|t| t.debit != t.credit).collect()
    }
}

/// An aging with the customers' codes and names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAging {
    pub report: AgingReport,
    pub names: HashMap<CustomerId, (String, String)>,
    /// Cash received from payers not identified yet, per currency: not in any customer's row.
    pub unidentified_cash: Vec<Money>,
}

impl NamedAging {
    /// Rows ordered by customer code, then currency.
    pub fn rows_by_code(&self) -> Vec<(&str, &str, &settle_core::aging::AgingRow)> {
        let mut rows: Vec<_> = self
            .report
            .rows
            .iter()
            .map(|row| {
                let (code, name) = row
                    .customer
                    .and_then(|c| self.names.get(&c))
                    .map_or(("?", "?"), |(code, name)| (code.as_str(), name.as_str()));
                (code, name, row)
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(b.0).then(a.2.currency.cmp(&b.2.currency)));
        rows
    }

    /// The summary as records: a header, one row per customer and currency, then a `TOTAL`
    /// row per currency. Amounts as decimal text.
    pub fn records(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut header: Vec<String> = ["customer_id", "customer_name", "currency"]
            .map(String::from)
            .to_vec();
        header.extend(self.report.labels.iter().cloned());
        header.extend(["total", "unapplied", "net", "disputed"].map(String::from));
        let amounts = |row: &settle_core::aging::AgingRow| -> Vec<String> {
            row.buckets
                .iter()
                .chain([&row.total, &row.unapplied, &row.net])
                .map(Money::to_decimal_string)
                .chain([disputed_text(row)])
                .collect()
        };
        let mut records = Vec::new();
        for (code, name, row) in self.rows_by_code() {
            let mut record = vec![
                code.to_string(),
                name.to_string(),
                row.currency.code().to_string(),
            ];
            record.extend(amounts(row));
            records.push(record);
        }
        for total in &self.report.totals {
            let mut record = vec![
                "TOTAL".to_string(),
                String::new(),
                total.currency.code().to_string(),
            ];
            record.extend(amounts(total));
            records.push(record);
        }
        (header, records)
    }
}

/// A row's disputed figure as text: empty in an aging frozen before disputes were shown.
pub fn disputed_text(row: &settle_core::aging::AgingRow) -> String {
    row.disputed
        .as_ref()
        .map_or(String::new(), Money::to_decimal_string)
}

/// The detail aging: each open debit item with its bucket, and the open credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingDetail {
    pub labels: Vec<String>,
    pub lines: Vec<AgingDetailLine>,
    pub names: HashMap<CustomerId, (String, String)>,
}

impl Settle {
    /// The summary aging as of a date, summed by the store and assembled by the core.
    pub async fn aging(&self, policy: &AgingPolicy, as_of: Date) -> ServiceResult<NamedAging> {
        let entity = self.entity().id;
        let store = self.store();
        // Independent reads, each on its own connection.
        let (sums, credits, names, unidentified_cash, disputed) = futures_util::future::join5(
            store.aging_bucket_sums(entity, policy, as_of),
            store.open_credits(entity, as_of),
            store.customer_names(entity),
            store.unidentified_cash(entity, as_of),
            store.disputed_sums(entity, as_of),
        )
        .await;
        let disputed = disputed?;
        let report = AgingReport::from_bucket_sums(policy, as_of, sums?, credits?)
            .and_then(|report| report.with_disputed(disputed))
            .map_err(|e| crate::ServiceError::Refused(format!("aging out of range: {e}")))?;
        Ok(NamedAging {
            report,
            names: names?,
            unidentified_cash: unidentified_cash?,
        })
    }

    pub async fn aging_detail(
        &self,
        policy: &AgingPolicy,
        as_of: Date,
    ) -> ServiceResult<AgingDetail> {
        let entity = self.entity().id;
        let items = self.store().aging_items(entity, as_of).await?;
        Ok(AgingDetail {
            labels: policy.bucket_labels(),
            lines: aging::age_detail(policy, as_of, items),
            names: self.store().customer_names(entity).await?,
        })
    }

    /// One customer's detail aging, its items read through the customer index.
    pub async fn customer_aging_detail(
        &self,
        policy: &AgingPolicy,
        as_of: Date,
        code: &str,
    ) -> ServiceResult<AgingDetail> {
        let entity = self.entity().id;
        let customer = self.customer_by_code(code).await?;
        let items = self
            .store()
            .customer_aging_items(entity, customer.id, as_of)
            .await?;
        let names = HashMap::from([(
            customer.id,
            (customer.details.code.clone(), customer.details.name.clone()),
        )]);
        Ok(AgingDetail {
            labels: policy.bucket_labels(),
            lines: aging::age_detail(policy, as_of, items),
            names,
        })
    }

    pub async fn customer_view(&self, code: &str) -> ServiceResult<CustomerSummary> {
        self.store()
            .customer_summary(self.entity().id, code)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))
    }

    pub async fn journal(&self, from: Date, to: Date) -> ServiceResult<Vec<JournalLine>> {
        Ok(self.store().journal(self.entity().id, from, to).await?)
    }

    /// The journal between two dates (inclusive), checked and ready to write as CSV, hledger's
    /// journal or beancount.
    pub async fn journal_export(&self, from: Date, to: Date) -> ServiceResult<JournalExport> {
        let entity = self.entity().id;
        let (lines, chart) = futures_util::future::join(
            self.store().journal(entity, from, to),
            self.store().chart(entity),
        )
        .await;
        Ok(JournalExport::new(
            self.entity().clone(),
            from,
            to,
            &chart?,
            lines?,
        )?)
    }

    /// Every account's debits, credits and balance over the entries dated on or before
    /// `as_of` (all entries when `None`), with the totals per currency.
    pub async fn trial_balance(&self, as_of: Option<Date>) -> ServiceResult<TrialBalance> {
        let entity = self.entity().id;
        let (sums, chart) = futures_util::future::join(
            self.store()
                .trial_balance(entity, as_of.unwrap_or(Date::MAX)),
            self.store().chart(entity),
        )
        .await;
        let chart = chart?;
        let overflow = |e| ServiceError::Refused(format!("trial balance out of range: {e}"));
        let mut rows = Vec::new();
        let mut totals: BTreeMap<Currency, TrialBalanceTotal> = BTreeMap::new();
        let sums = sums?;
        for sum in &sums {
            // A posted account cannot leave the chart (`map_account` refuses), so a missing one
            // means the database was changed behind Settle's back.
            let account = chart
                .accounts()
                .iter()
                .find(|a| a.code == sum.account)
                .ok_or_else(|| {
                    ServiceError::Refused(format!(
                        "postings to account {:?}, which is not in the chart of accounts",
                        sum.account
                    ))
                })?;
            let currency = sum.debits.currency();
            let balance = sum.debits.checked_sub(sum.credits).map_err(overflow)?;
            let total = totals.entry(currency).or_insert_with(|| TrialBalanceTotal {
                currency,
                debit: Money::zero(currency),
                credit: Money::zero(currency),
                balance: Money::zero(currency),
            });
            total.debit = total.debit.checked_add(sum.debits).map_err(overflow)?;
            total.credit = total.credit.checked_add(sum.credits).map_err(overflow)?;
            total.balance = total.balance.checked_add(balance).map_err(overflow)?;
            rows.push(TrialBalanceRow {
                account: sum.account.clone(),
                name: account.name.clone(),
                role: account.role,
                debit: sum.debits,
                credit: sum.credits,
                balance,
            });
        }
        Ok(TrialBalance {
            as_of,
            rows,
            totals: totals.into_values().collect(),
        })
    }

    pub async fn verify(&self) -> ServiceResult<VerifyReport> {
        Ok(self.store().verify(self.entity().id).await?)
    }
}
