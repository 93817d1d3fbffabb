//! Maker-checker records (migration 17): approval limits per operation and currency, and the
//! requests that wait for a checker, with the decision once taken.
//!
//! A request is stored as the JSON the service wrote; the store never reads it. Its status
//! moves once, from `pending` to `approved` or `rejected`, by an update that names the
//! status it expects, so a second decision finds nothing to change.

use settle_core::ids::EntityId;
use settle_core::{Currency, Money};
use sqlx::Row;

use crate::codec::{money, now, read_currency};
use crate::{Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalLimitRow {
    /// `credit_memo`, `write_off` or `refund`.
    pub operation: String,
    pub limit: Money,
    pub set_by: String,
    pub set_at: String,
}

/// A request to store as waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApproval<'a> {
    pub operation: &'a str,
    /// The request as JSON, to be posted as it is once approved.
    pub request: &'a str,
    /// What it does, in words, for the checker's queue.
    pub summary: &'a str,
    pub maker: &'a str,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub id: i64,
    pub operation: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub request: String,
    pub summary: String,
    pub maker: String,
    pub amount: Money,
    pub created_at: String,
    pub checker: Option<String>,
    pub decided_at: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// What posting it booked (JSON), once approved.
    pub result: Option<String>,
}

/// The decision on a pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    /// `approved` or `rejected`.
    pub status: &'a str,
    pub checker: &'a str,
    pub reason: Option<&'a str>,
    pub result: Option<&'a str>,
}

const APPROVAL_COLUMNS: &str = "id, operation, status, request, summary, maker, currency, \
     amount_minor, created_at, checker, decided_at, reason, result";

fn approval_from(row: &sqlx::any::AnyRow) -> StoreResult<ApprovalRow> {
    let currency = read_currency("approvals", row.try_get::<String, _>("currency")?.as_str())?;
    Ok(ApprovalRow {
        id: row.try_get("id")?,
        operation: row.try_get("operation")?,
        status: row.try_get("status")?,
        request: row.try_get("request")?,
        summary: row.try_get("summary")?,
        maker: row.try_get("maker")?,
        amount: money(row.try_get("amount_minor")?, currency),
        created_at: row.try_get("created_at")?,
        checker: row.try_get("checker")?,
        decided_at: row.try_get("decided_at")?,
        reason: row.try_get("reason")?,
        result: row.try_get("result")?,
    })
}

impl Tx {
    /// The limit over which `operation` in `currency` waits for approval, if one is set. Read
    /// in the transaction that decides whether a request waits.
    pub async fn approval_limit(
        &mut self,
        entity: EntityId,
        operation: &str,
        currency: Currency,
    ) -> StoreResult<Option<Money>> {
        let minor: Option<i64> = sqlx::query_scalar(
            "SELECT amount_minor FROM approval_limits WHERE entity_id = $1 AND operation = $2 AND currency = $3",
        )
        .bind(entity.0)
        .bind(operation.to_string())
        .bind(currency.code().to_string())
        .fetch_optional(self.conn())
        .await?;
        Ok(minor.map(|m| money(m, currency)))
    }

    /// Sets the limit of `operation` in the limit's currency, replacing any earlier one.
    pub async fn set_approval_limit(
        &mut self,
        entity: EntityId,
        operation: &str,
        limit: Money,
        set_by: &str,
    ) -> StoreResult<()> {
        self.remove_approval_limit(entity, operation, limit.currency())
            .await?;
        sqlx::query(
            "INSERT INTO approval_limits (entity_id, operation, currency, amount_minor, set_by, set_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(entity.0)
        .bind(operation.to_string())
        .bind(limit.currency().code().to_string())
        .bind(limit.minor())
        .bind(set_by.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Removes a limit: the operation then posts whatever its amount. Returns whether one was set.
    pub async fn remove_approval_limit(
        &mut self,
        entity: EntityId,
        operation: &str,
        currency: Currency,
    ) -> StoreResult<bool> {
        let removed = sqlx::query(
            "DELETE FROM approval_limits WHERE entity_id = $1 AND operation = $2 AND currency = $3",
        )
        .bind(entity.0)
        .bind(operation.to_string())
        .bind(currency.code().to_string())
        .execute(self.conn())
        .await?;
        Ok(removed.rows_affected() > 0)
    }

    pub async fn insert_approval(
        &mut self,
        entity: EntityId,
        approval: &NewApproval<'_>,
    ) -> StoreResult<i64> {
        let id = self.allocate("approvals", 1).await?;
        sqlx::query(
            "INSERT INTO approvals (id, entity_id, operation, status, request, summary, maker, currency, amount_minor, created_at) \
             VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(approval.operation.to_string())
        .bind(approval.request.to_string())
        .bind(approval.summary.to_string())
        .bind(approval.maker.to_string())
        .bind(approval.amount.currency().code().to_string())
        .bind(approval.amount.minor())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// The requests still waiting for a checker, oldest first, read inside the transaction
    /// that is about to add one.
    pub async fn pending_approvals(&mut self, entity: EntityId) -> StoreResult<Vec<ApprovalRow>> {
        let sql = format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE entity_id = $1 AND status = 'pending' ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(approval_from).collect()
    }

    /// A request, locked for the rest of the transaction: two checkers deciding at once take
    /// turns, and the second sees the first one's decision.
    pub async fn approval_for_update(
        &mut self,
        entity: EntityId,
        id: i64,
    ) -> StoreResult<Option<ApprovalRow>> {
        let sql = format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE entity_id = $1 AND id = $2{}",
            self.engine.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(approval_from).transpose()
    }

    /// Records the decision on a pending request. The update names the pending status, so it
    /// changes nothing when the request was decided meanwhile: that is an error, and the
    /// transaction (with whatever it posted) must not commit.
    pub async fn decide_approval(
        &mut self,
        entity: EntityId,
        id: i64,
        decision: &Decision<'_>,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE approvals SET status = $1, checker = $2, decided_at = $3, reason = $4, result = $5 \
             WHERE entity_id = $6 AND id = $7 AND status = 'pending'",
        )
        .bind(decision.status.to_string())
        .bind(decision.checker.to_string())
        .bind(now())
        .bind(decision.reason.map(str::to_string))
        .bind(decision.result.map(str::to_string))
        .bind(entity.0)
        .bind(id)
        .execute(self.conn())
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::AlreadyDecided {
                what: format!("approval {id}"),
            });
        }
        Ok(())
    }
}

impl Store {
    pub async fn approval_limits(&self, entity: EntityId) -> StoreResult<Vec<ApprovalLimitRow>> {
        let rows = sqlx::query(
            "SELECT operation, currency, amount_minor, set_by, set_at FROM approval_limits \
             WHERE entity_id = $1 ORDER BY operation, currency",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency(
                    "approval_limits",
                    row.try_get::<String, _>("currency")?.as_str(),
                )?;
                Ok(ApprovalLimitRow {
                    operation: row.try_get("operation")?,
                    limit: money(row.try_get("amount_minor")?, currency),
                    set_by: row.try_get("set_by")?,
                    set_at: row.try_get("set_at")?,
                })
            })
            .collect()
    }

    /// Requests in the order they were made; only those of `status` when given.
    pub async fn approvals(
        &self,
        entity: EntityId,
        status: Option<&str>,
    ) -> StoreResult<Vec<ApprovalRow>> {
        let sql = format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE entity_id = $1 AND ($2 = '' OR status = $2) ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(status.unwrap_or("").to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(approval_from).collect()
    }

    pub async fn approval(&self, entity: EntityId, id: i64) -> StoreResult<Option<ApprovalRow>> {
        let sql =
            format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE entity_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(approval_from).transpose()
    }
}
