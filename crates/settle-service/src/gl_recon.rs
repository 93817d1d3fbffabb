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
