//! The subledger-to-general-ledger reconciliation of a period: the store reads the period's
//! current GL import, Settle's A/R control account, its open items and the entries behind them;
//! `settle_core::gl_recon` compares; this module only joins the two. Read-only.

use std::collections::HashSet;

use serde::Serialize;

use settle_core::accounts::AccountRole;
use settle_core::gl_recon::{
    self, CurrencyReconciliation, GlLine, GlOpening, GlSide, SettleSide, entry_reference,
};
use settle_core::ids::EntryId;
use settle_core::period::Period;

use crate::import::gl::GlShape;
use crate::{ServiceResult, Settle};

/// The GL import a reconciliation compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparedImport {
    pub import_id: i64,
    pub file_name: String,
    pub fingerprint: String,
    pub shape: GlShape,
    pub imported_at: String,
    /// Earlier imports for the period, superseded, oldest first.
    pub superseded: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlReconciliation {
    pub period: Period,
    /// The A/R control account's code.
    pub control_account: String,
    pub import: ComparedImport,
    /// `agrees` when GL and Settle agree in every currency, else `differences`.
    pub status: &'static str,
    /// Whether Settle's A/R control equals its open items in every currency (it always should;
    /// when it does not, `settle verify` says where).
    pub settle_agrees: bool,
    pub currencies: Vec<CurrencyReconciliation>,
}

impl GlReconciliation {
    /// One line per difference (and per currency where Settle disagrees with itself), for the
    /// close checklist; empty when everything agrees.
    pub fn checklist_lines(&self) -> Vec<String> {
        gl_recon::checklist_lines(&self.currencies)
    }
}

impl Settle {
    /// Compares the period's current GL import with Settle as of the period's end: per currency
    /// the GL's A/R control balance, Settle's A/R control account and its open items, and every
    /// difference with its cause. `None` when no GL has been imported for the period.
    pub async fn gl_reconciliation(&self, period: &str) -> ServiceResult<Option<GlReconciliation>> {
        let entity = self.entity().id;
        let store = self.store();
        let period = store.calendar(entity).await?.named(period)?;
        let imports = store.gl_imports(entity, &period.name).await?;
        let Some(import) = imports.iter().find(|i| i.superseded_by.is_none()) else {
            return Ok(None);
        };
        let chart = store.chart(entity).await?;
        let control_account = chart.code(AccountRole::ArControl).to_string();
        let (control, open_items) = futures_util::future::join(
            store.account_balances(entity, &control_account, period.end),
            store.open_items_as_of(entity, period.end),
        )
        .await;
        let (control, open_items) = (control?, open_items?);
        let shape = if import.shape == GlShape::Detail.as_str() {
            GlShape::Detail
        } else {
            GlShape::Balances
        };
        let currencies = match shape {
            GlShape::Balances => {
                let balances: Vec<_> = store
                    .gl_balances(import.id, &control_account)
                    .await?
                    .into_iter()
                    .map(|row| row.balance)
                    .collect();
                let settle = SettleSide {
                    control: &control,
                    open_items: &open_items,
                    entries: &[],
                    elsewhere: &[],
                };
                gl_recon::reconcile(&period, &settle, &GlSide::Balances(&balances))?
            }
            GlShape::Detail => {
                let rows = store.gl_lines(import.id, &control_account).await?;
                let mut openings = Vec::new();
                let mut lines = Vec::new();
                for row in rows {
                    if row.opening {
                        openings.push(GlOpening {
                            line: row.line_no as u64,
                            date: row.date,
                            amount: row.amount,
                        });
                    } else {
                        lines.push(GlLine {
                            line: row.line_no as u64,
                            date: row.date,
                            amount: row.amount,
                            reference: row.reference,
                            memo: row.memo,
                            source: row.source,
                        });
                    }
                }
                // From the earliest opening on, entry by entry; before it, one figure.
                let from = openings.iter().map(|o| o.date).min();
                let mut entries = store
                    .account_entries(entity, &control_account, from, period.end)
                    .await?;
                let loaded: HashSet<EntryId> = entries.iter().map(|e| e.entry).collect();
                let mut named: Vec<EntryId> = lines
                    .iter()
                    .filter_map(|l| entry_reference(&l.reference))
                    .filter(|e| !loaded.contains(e))
                    .collect();
                named.sort_unstable();
                named.dedup();
                let (more, elsewhere) = store
                    .entries_by_id(entity, &control_account, &named)
                    .await?;
                entries.extend(more);
                let settle = SettleSide {
                    control: &control,
                    open_items: &open_items,
                    entries: &entries,
                    elsewhere: &elsewhere,
                };
                gl_recon::reconcile(
                    &period,
                    &settle,
                    &GlSide::Detail {
                        openings: &openings,
                        lines: &lines,
                    },
                )?
            }
        };
        let agrees = currencies.iter().all(CurrencyReconciliation::agrees);
        Ok(Some(GlReconciliation {
            period,
            control_account,
            import: ComparedImport {
                import_id: import.id,
                file_name: import.file_name.clone(),
                fingerprint: import.fingerprint.clone(),
                shape,
                imported_at: import.imported_at.clone(),
                superseded: imports
                    .iter()
                    .filter(|i| i.superseded_by.is_some())
                    .map(|i| i.id)
                    .collect(),
            },
            status: if agrees { "agrees" } else { "differences" },
            settle_agrees: currencies.iter().all(|c| c.subledger_difference.is_zero()),
            currencies,
        }))
    }
}

/// GL file line numbers as one text (`4 9 12`).
pub fn line_list(lines: &[u64]) -> String {
    let texts: Vec<String> = lines.iter().map(u64::to_string).collect();
    texts.join(" ")
}

/// The columns of [`GlReconciliation::records`].
pub const RECONCILIATION_COLUMNS: [&str; 23] = [
    "record",
    "period",
    "currency",
    "gl_control",
    "settle_control",
    "open_debit_items",
    "open_credit_items",
    "subledger",
    "subledger_difference",
    "difference",
    "explained",
    "unexplained",
    "cause",
    "amount",
    "entry_id",
    "entry_kind",
    "reference",
    "gl_lines",
    "settle_date",
    "gl_date",
    "settle_amount",
    "gl_amount",
    "detail",
];

impl GlReconciliation {
    /// As one table: a `record` column says what each row is (`currency` or `difference`);
    /// columns that do not apply to it are empty.
    pub fn records(&self) -> ([&'static str; 23], Vec<Vec<String>>) {
        let period = &self.period.name;
        let money =
            |m: Option<settle_core::Money>| m.map(|m| m.to_decimal_string()).unwrap_or_default();
        let mut records = Vec::new();
        for c in &self.currencies {
            let mut row = vec![
                "currency".to_string(),
                period.clone(),
                c.currency.code().to_string(),
                c.gl_control.to_decimal_string(),
                c.settle_control.to_decimal_string(),
                c.open_debit_items.to_decimal_string(),
                c.open_credit_items.to_decimal_string(),
                c.subledger.to_decimal_string(),
                c.subledger_difference.to_decimal_string(),
                c.difference.to_decimal_string(),
                c.explained.to_decimal_string(),
                c.unexplained.to_decimal_string(),
            ];
            row.resize(RECONCILIATION_COLUMNS.len(), String::new());
            records.push(row);
            for d in &c.differences {
                let mut row = vec![
                    "difference".to_string(),
                    period.clone(),
                    c.currency.code().to_string(),
                ];
                row.resize(12, String::new());
                row.extend([
                    d.cause.as_str().to_string(),
                    d.amount.to_decimal_string(),
                    d.entry_id.map(|e| e.to_string()).unwrap_or_default(),
                    d.entry_kind.clone().unwrap_or_default(),
                    d.reference.clone(),
                    line_list(&d.gl_lines),
                    d.settle_date.map(|d| d.to_string()).unwrap_or_default(),
                    d.gl_date.map(|d| d.to_string()).unwrap_or_default(),
                    money(d.settle_amount),
                    money(d.gl_amount),
                    d.detail.clone(),
                ]);
                records.push(row);
            }
        }
        (RECONCILIATION_COLUMNS, records)
    }
}
