//! The cash-application reports: the bank reconciliation (statements checked, receipts against
//! the statements day by day) and the matching metrics. The store reads the rows, the core's
//! rules compare and count; this module only joins the two. Read-only.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use settle_core::accounts::AccountRole;
use settle_core::ids::ItemId;
use settle_core::match_metrics::{
    ApplicationOrigin, AppliedCash, MatchMetrics, ReceivedPayment, match_metrics,
};
use settle_core::reconciliation::{
    self, CashMovement, ComparisonTotal, DayComparison, LineTreatment, PostedCash, StatementEntry,
    StatementStatus,
};
use settle_core::{Currency, Date, Money};

use crate::{ServiceError, ServiceResult, Settle};

/// A statement with its balance check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementCheck {
    pub statement_id: i64,
    pub bank_account: String,
    pub account_number: String,
    pub statement_ref: String,
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    pub opening: Option<Money>,
    pub credits: Money,
    pub debits: Money,
    pub closing: Option<Money>,
    /// Closing − opening − (credits − debits).
    pub difference: Option<Money>,
    pub status: StatementStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankReconciliation {
    pub from: Date,
    pub to: Date,
    pub statements: Vec<StatementCheck>,
    pub days: Vec<DayComparison>,
    /// Per bank account and currency.
    pub totals: Vec<ComparisonTotal>,
}

/// How the matching metrics are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricsGrouping {
    BankAccount,
    Customer,
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricsGroup {
    /// The bank account, customer code or rule; `ALL` for every payment.
    pub group: String,
    #[serde(flatten)]
    pub metrics: MatchMetrics,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchingReport {
    pub from: Date,
    pub to: Date,
    pub by: Option<MetricsGrouping>,
    pub groups: Vec<MetricsGroup>,
    pub total: MetricsGroup,
}

/// The group of a payment not identified yet, or never decided by the matcher.
pub const NO_CUSTOMER: &str = "(unidentified)";
pub const NO_RULE: &str = "(no decision)";

impl Settle {
    /// Statements checked and receipts compared day by day, for one bank account or all the
    /// chart's bank accounts.
    pub async fn bank_reconciliation(
        &self,
        bank_account: Option<&str>,
        from: Date,
        to: Date,
    ) -> ServiceResult<BankReconciliation> {
        let entity = self.entity().id;
        let store = self.store();
        let chart = store.chart(entity).await?;
        let accounts: Vec<(String, String)> = match bank_account {
            Some(name) => vec![(name.to_string(), chart.cash(name)?.to_string())],
            None => chart
                .accounts()
                .iter()
                .filter(|a| a.role == AccountRole::Cash)
                .filter_map(|a| Some((a.bank_account.clone()?, a.code.clone())))
                .collect(),
        };
        let statements = store
            .statements_between(entity, bank_account.unwrap_or(""), from, to)
            .await?
            .into_iter()
            .map(|s| StatementCheck {
                statement_id: s.id,
                bank_account: s.bank_account,
                account_number: s.account_number,
                statement_ref: s.statement_ref,
                from_date: s.from_date,
                to_date: s.to_date,
                opening: s.opening,
                credits: s.credits,
                debits: s.debits,
                closing: s.closing,
                difference: s.difference,
                status: StatementStatus::of(s.difference),
            })
            .collect();
        let mut days = Vec::new();
        for (bank, cash_account) in &accounts {
            let currencies = store
                .statement_currencies(entity, bank)
                .await?
                .iter()
                .map(|code| Currency::from_code(code))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ServiceError::Refused(format!("bank statement currency: {e}")))?;
            let posted: Vec<PostedCash> = store
                .receipt_cash_postings(entity, bank, cash_account, from, to)
                .await?
                .into_iter()
                .map(|row| PostedCash {
                    payment: row.payment,
                    bank_reference: row.bank_reference,
                    date: row.date,
                    amount: row.amount,
                    movement: if row.entry_kind == "payment" {
                        CashMovement::Receipt
                    } else {
                        CashMovement::Return
                    },
                })
                .collect();
            let lines: Vec<StatementEntry> = store
                .reconciliation_lines(entity, bank, from, to)
                .await?
                .into_iter()
                .map(|row| {
                    let signed = if row.direction == "debit" {
                        Money::new(-row.amount.minor(), row.amount.currency())
                    } else {
                        row.amount
                    };
                    StatementEntry {
                        line_id: row.id,
                        bank_reference: row.bank_reference,
                        date: row.date,
                        amount: signed,
                        kind: row.kind,
                        treatment: treatment(&row.outcome),
                        payment: row.payment,
                    }
                })
                .collect();
            days.extend(reconciliation::compare_days(
                bank,
                &currencies,
                &posted,
                &lines,
                from,
                to,
            )?);
        }
        let totals = reconciliation::totals(&days)?;
        Ok(BankReconciliation {
            from,
            to,
            statements,
            days,
            totals,
        })
    }

    /// Hit rates, error rate and time to application of the payments received between the
    /// dates, for all of them and per group.
    pub async fn matching_metrics(
        &self,
        from: Date,
        to: Date,
        by: Option<MetricsGrouping>,
    ) -> ServiceResult<MatchingReport> {
        let entity = self.entity().id;
        let store = self.store();
        let received = store.payments_received(entity, from, to).await?;
        let applications = store
            .cash_applications_of_payments_received(entity, from, to)
            .await?;
        let returned: HashSet<_> = store
            .applications_reversed_by_returns(entity)
            .await?
            .into_iter()
            .collect();
        let mut open_balance: BTreeMap<ItemId, i64> = BTreeMap::new();
        let mut payments: Vec<(Vec<String>, ReceivedPayment)> = received
            .iter()
            .map(|row| {
                let groups = vec![
                    row.bank_account.clone(),
                    row.customer
                        .clone()
                        .unwrap_or_else(|| NO_CUSTOMER.to_string()),
                    row.first_rule
                        .clone()
                        .unwrap_or_else(|| NO_RULE.to_string()),
                ];
                let payment = ReceivedPayment {
                    payment: row.id,
                    amount: row.amount,
                    received_on: row.received_on,
                    from_statement: row.from_statement,
                    applications: Vec::new(),
                };
                (groups, payment)
            })
            .collect();
        let index: BTreeMap<_, usize> = payments
            .iter()
            .enumerate()
            .map(|(i, (_, p))| (p.payment, i))
            .collect();
        for row in applications {
            open_balance.insert(row.invoice, row.invoice_open_minor);
            let Some(&at) = index.get(&row.payment) else {
                continue;
            };
            let taken_back = returned.contains(&row.id);
            payments[at].1.applications.push(AppliedCash {
                invoice: row.invoice,
                cash: row.cash,
                discount: row.discount,
                applied_on: row.applied_on,
                origin: match row.decision.as_str() {
                    "auto" => ApplicationOrigin::Automatic,
                    "" => ApplicationOrigin::ByHand,
                    _ => ApplicationOrigin::AcceptedSuggestion,
                },
                undone_by_person: row.reversed && !taken_back,
                taken_back_by_return: taken_back,
            });
        }
        let all: Vec<&ReceivedPayment> = payments.iter().map(|(_, p)| p).collect();
        let total = MetricsGroup {
            group: "ALL".to_string(),
            metrics: match_metrics(&all, &open_balance),
        };
        let mut groups = Vec::new();
        if let Some(by) = by {
            let slot = match by {
                MetricsGrouping::BankAccount => 0,
                MetricsGrouping::Customer => 1,
                MetricsGrouping::Rule => 2,
            };
            let mut grouped: BTreeMap<&str, Vec<&ReceivedPayment>> = BTreeMap::new();
            for (keys, payment) in &payments {
                grouped
                    .entry(keys[slot].as_str())
                    .or_default()
                    .push(payment);
            }
            for (name, members) in grouped {
                groups.push(MetricsGroup {
                    group: name.to_string(),
                    metrics: match_metrics(&members, &open_balance),
                });
            }
        }
        Ok(MatchingReport {
            from,
            to,
            by,
            groups,
            total,
        })
    }
}

/// What the bank import's outcome of a line means for the reconciliation.
fn treatment(outcome: &str) -> LineTreatment {
    match outcome {
        "payment" | "duplicate" => LineTreatment::Receipt,
        "conflict" => LineTreatment::Conflict,
        "return" => LineTreatment::Return,
        "return_unmatched" => LineTreatment::ReturnNotReversed,
        _ => LineTreatment::HeldOut,
    }
}
