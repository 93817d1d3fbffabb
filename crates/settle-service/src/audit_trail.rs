//! The audit trail from the operations' side: each write path records its change through
//! [`Settle::record_change`] in its own transaction (so a change that rolls back leaves no row, and
//! none commits without one), and auditors read and check the chain here.
//!
//! What a row holds and how it is chained is the store's and the core's
//! (`settle_store::AuditChange`, `settle_core::audit_chain`); this module decides what each
//! change says: who (the acting user), from where (the front end's origin), what (operation and
//! target), and the state before and after as JSON.

use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;

use settle_core::audit_chain::{AuditRecord, ChainBroken, ChainSummary, Target};
use settle_store::{AuditChange, AuditFilter, Tx};

use crate::{ServiceError, ServiceResult, Settle};

/// Where a change comes from when the front end does not say.
pub const DEFAULT_ORIGIN: &str = "cli";

/// A change to record: its operation and target, and what it looked like before and after.
#[derive(Debug)]
pub struct Change {
    operation: String,
    target: Target,
    /// JSON text, or why the state could not be written as JSON.
    before: Result<String, String>,
    after: Result<String, String>,
}

impl Change {
    pub fn new(operation: &str, target: Target) -> Change {
        Change {
            operation: operation.to_string(),
            target,
            before: Ok(String::new()),
            after: Ok(String::new()),
        }
    }

    /// The state before the change, for a change to a record that existed.
    pub fn before(mut self, state: &impl Serialize) -> Change {
        self.before = serde_json::to_string(state).map_err(|e| e.to_string());
        self
    }

    pub fn after(mut self, state: &impl Serialize) -> Change {
        self.after = serde_json::to_string(state).map_err(|e| e.to_string());
        self
    }

    /// A money write: the request as the operation received it and the response it gave.
    pub fn request(self, request: &str, response: &impl Serialize) -> Change {
        self.after(&json!({ "request": request, "response": response }))
    }
}

/// Which rows of the audit log an auditor reads; dates are UTC days, both inclusive.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub actor: Option<String>,
    pub operation: Option<String>,
}

impl Settle {
    /// The same database, its changes recorded as coming from `origin` (`cli ann`,
    /// `http 10.0.0.7`).
    pub fn with_origin(mut self, origin: &str) -> Settle {
        self.origin = origin.to_string();
        self
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Records `change` in `tx`, by the acting user from this origin.
    pub async fn record_change(&self, tx: &mut Tx, change: Change) -> ServiceResult<AuditRecord> {
        let unrecordable = |e: &String| {
            ServiceError::Refused(format!(
                "cannot record {} on {} in the audit trail: {e}",
                change.operation, change.target
            ))
        };
        let before = change.before.as_ref().map_err(unrecordable)?;
        let after = change.after.as_ref().map_err(unrecordable)?;
        let record = tx
            .append_audit(
                self.entity().id,
                AuditChange {
                    actor: self.actor().to_string(),
                    origin: self.origin.clone(),
                    operation: change.operation.clone(),
                    target: change.target.clone(),
                    before: before.clone(),
                    after: after.clone(),
                },
            )
            .await?;
        Ok(record)
    }

    /// Sets (or, with `None`, removes) one setting and records it with its value before and
    /// after: policies, rates, templates and the letterhead are settings.
    pub(crate) async fn change_setting(
        &self,
        tx: &mut Tx,
        operation: &str,
        key: &str,
        value: Option<&str>,
    ) -> ServiceResult<()> {
        let entity = self.entity().id;
        let previous = tx.setting(entity, key).await?;
        match value {
            Some(value) => tx.set_setting(entity, key, value).await?,
            None => tx.delete_setting(entity, key).await?,
        }
        let mut change = Change::new(operation, Target::new("setting", key));
        if let Some(previous) = &previous {
            change = change.before(&json!({ "value": previous }));
        }
        if let Some(value) = value {
            change = change.after(&json!({ "value": value }));
        }
        self.record_change(tx, change).await?;
        Ok(())
    }

    /// Checks the entity's whole audit chain: its summary when intact, the first broken
    /// sequence number and what is wrong there when not.
    pub async fn verify_audit(&self) -> ServiceResult<Result<ChainSummary, ChainBroken>> {
        Ok(self.store().verify_audit_chain(self.entity().id).await?)
    }

    /// The audit log's rows that pass `query`, oldest first.
    pub async fn audit_log(&self, query: &AuditQuery) -> ServiceResult<Vec<AuditRecord>> {
        let filter = AuditFilter {
            from_at: query.from.map(start_of_day),
            until_at: query
                .to
                .map(|day| day.tomorrow().map(start_of_day))
                .transpose()
                .map_err(|e| ServiceError::Refused(format!("--to: {e}")))?,
            actor: query.actor.clone(),
            operation: query.operation.clone(),
        };
        Ok(self.store().audit_log(self.entity().id, &filter).await?)
    }
}

/// A UTC day as the lower bound of its instants: the store writes instants as RFC 3339 text
/// (`2026-03-01T09:30:00.25Z`), of which the bare day is a prefix, so in SQL's text comparison
/// it sorts before every instant of that day and after every instant of the day before.
fn start_of_day(day: Date) -> String {
    day.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_before_its_instants_and_after_the_day_before() {
        let start = start_of_day(jiff::civil::date(2026, 3, 1));
        assert!(start.as_str() <= "2026-03-01T00:00:00.000001Z");
        assert!(start.as_str() <= "2026-03-01T00:00:00Z");
        assert!(start.as_str() > "2026-02-28T23:59:59Z");
        assert!(start.as_str() > "2026-02-28T23:59:59.999999999Z");
    }

    #[test]
    fn a_money_write_records_request_and_response() {
        let change = Change::new("post_payment", Target::new("payment", "REF-1"))
            .request("PaymentRequest { .. }", &json!({"payment_id": 7}));
        let after: serde_json::Value =
            serde_json::from_str(change.after.as_ref().unwrap()).unwrap();
        assert_eq!(after["response"]["payment_id"], 7);
        assert_eq!(after["request"], "PaymentRequest { .. }");
        assert_eq!(change.before.unwrap(), "");
    }
}
