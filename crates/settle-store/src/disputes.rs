//! Disputes and deductions: one table written by cash application (a short payment's
//! deduction) and by `settle dispute`, with a history of notes per dispute.
//!
//! Active disputes are those with status `open` or `in_review`; dunning and the aging select
//! them by those texts and sum `amount_minor` per item or customer.

use jiff::civil::Date;
use settle_core::Money;
use settle_core::aging::DisputedSum;
use settle_core::dispute::{DisputeReason, DisputeStatus};
use settle_core::ids::{CustomerId, EntityId, ItemId};
use sqlx::Row;

use crate::account_view::open_disputes_on;
use crate::codec::{date_text, money, now, read_currency};
use crate::columns::Columns;
use crate::{Store, StoreResult, Tx};

const DISPUTE_IDS: &str = "disputes";
const NOTE_IDS: &str = "dispute_notes";

/// The statuses whose amounts are held out of collection, as SQL.
pub(crate) const ACTIVE: &str = "('open', 'in_review')";

/// A dispute as stored, with its customer's code and its item's number. `reason` and `status`
/// are the stored texts (old rows may hold free-text reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeRow {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub item: ItemId,
    pub item_number: String,
    pub line_no: Option<i64>,
    pub amount: Money,
    pub reason: String,
    pub status: String,
    pub owner: String,
    pub opened_on: String,
    pub due_on: Option<String>,
    pub resolved_on: Option<String>,
    pub resolved_by: Option<String>,
    pub decision: Option<i64>,
    pub note: String,
    pub credit_memo: Option<String>,
    pub replacement: Option<String>,
    pub resolution_entry: Option<i64>,
}

/// A dispute to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDispute<'a> {
    pub customer: CustomerId,
    pub item: ItemId,
    pub line_no: Option<i64>,
    pub amount: Money,
    pub reason: DisputeReason,
    pub owner: &'a str,
    pub due_on: Option<Date>,
    pub opened_on: Date,
    /// The match decision that found the short payment, for a deduction.
    pub decision: Option<i64>,
    pub note: &'a str,
    pub opened_by: &'a str,
}

/// One entry of a dispute's history: its opening, status changes and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeNoteRow {
    pub noted_on: String,
    pub noted_at: String,
    pub author: String,
    pub event: String,
    pub body: String,
}

/// Which disputes to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisputeFilter {
    pub status: Option<DisputeStatus>,
    pub owner: Option<String>,
    pub customer: Option<CustomerId>,
    /// Active disputes whose due date is before this day.
    pub overdue_as_of: Option<Date>,
}

/// How a dispute ends: its new status and what was posted for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeResolution {
    pub status: DisputeStatus,
    pub on: Date,
    pub by: String,
    pub credit_item: Option<ItemId>,
    pub replacement_item: Option<ItemId>,
    pub entry: Option<i64>,
}

pub(crate) const DISPUTE_SELECT: &str = "SELECT d.id AS id, d.customer_id, c.code, d.item_id, i.number, d.line_no, \
     d.amount_minor, d.currency, d.reason, d.status, d.owner, d.opened_on, d.due_on, d.resolved_on, \
     d.resolved_by, d.source_decision_id, d.note, cm.number AS credit_number, \
     r.number AS replacement_number, d.resolution_entry_id \
     FROM disputes d JOIN customers c ON c.id = d.customer_id JOIN items i ON i.id = d.item_id \
     LEFT JOIN items cm ON cm.id = d.credit_item_id LEFT JOIN items r ON r.id = d.replacement_item_id";

pub(crate) fn dispute_row(row: &impl Columns) -> StoreResult<DisputeRow> {
    let currency = read_currency("disputes", &row.cell::<String>("currency")?)?;
    Ok(DisputeRow {
        id: row.cell("id")?,
        customer: CustomerId(row.cell("customer_id")?),
        customer_code: row.cell("code")?,
        item: ItemId(row.cell("item_id")?),
        item_number: row.cell("number")?,
        line_no: row.cell("line_no")?,
        amount: money(row.cell("amount_minor")?, currency),
        reason: row.cell("reason")?,
        status: row.cell("status")?,
        owner: row.cell("owner")?,
        opened_on: row.cell("opened_on")?,
        due_on: row.cell("due_on")?,
        resolved_on: row.cell("resolved_on")?,
        resolved_by: row.cell("resolved_by")?,
        decision: row.cell("source_decision_id")?,
        note: row.cell("note")?,
        credit_memo: row.cell("credit_number")?,
        replacement: row.cell("replacement_number")?,
        resolution_entry: row.cell("resolution_entry_id")?,
    })
}

impl Store {
    /// A customer's active disputes, oldest first.
    pub async fn open_disputes(
        &self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Vec<DisputeRow>> {
        let mut conn = self.pool().acquire().await?;
        open_disputes_on(&mut conn, entity, customer).await
    }

    /// Disputes by the filter, by id.
    pub async fn disputes(
        &self,
        entity: EntityId,
        filter: &DisputeFilter,
    ) -> StoreResult<Vec<DisputeRow>> {
        let sql = format!(
            "{DISPUTE_SELECT} WHERE d.entity_id = $1 AND ($2 = '' OR d.status = $2) \
             AND ($3 = '' OR d.owner = $3) AND ($4 = 0 OR d.customer_id = $4) \
             AND ($5 = '' OR (d.status IN {ACTIVE} AND d.due_on IS NOT NULL AND d.due_on < $5)) \
             ORDER BY d.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(
                filter
                    .status
                    .map_or(String::new(), |s| s.as_str().to_string()),
            )
            .bind(filter.owner.clone().unwrap_or_default())
            .bind(filter.customer.map_or(0, |c| c.0))
            .bind(filter.overdue_as_of.map_or(String::new(), date_text))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(dispute_row).collect()
    }

    pub async fn dispute(&self, entity: EntityId, id: i64) -> StoreResult<Option<DisputeRow>> {
        let sql = format!("{DISPUTE_SELECT} WHERE d.entity_id = $1 AND d.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(dispute_row).transpose()
    }

    /// A dispute's history, oldest first.
    pub async fn dispute_notes(
        &self,
        entity: EntityId,
        dispute: i64,
    ) -> StoreResult<Vec<DisputeNoteRow>> {
        let rows = sqlx::query(
            "SELECT noted_on, noted_at, author, event, body FROM dispute_notes \
             WHERE entity_id = $1 AND dispute_id = $2 ORDER BY id",
        )
        .bind(entity.0)
        .bind(dispute)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DisputeNoteRow {
                    noted_on: row.try_get("noted_on")?,
                    noted_at: row.try_get("noted_at")?,
                    author: row.try_get("author")?,
                    event: row.try_get("event")?,
                    body: row.try_get("body")?,
                })
            })
            .collect()
    }

    /// What disputes held as of a day, per customer and currency, in one grouped query: those
    /// opened by then and not resolved by then (active now, or resolved after it).
    pub async fn disputed_sums(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<DisputedSum>> {
        let sql = format!(
            "SELECT customer_id, currency, CAST(SUM(amount_minor) AS BIGINT) AS disputed FROM disputes \
             WHERE entity_id = $1 AND opened_on <= $2 \
             AND (status IN {ACTIVE} OR (resolved_on IS NOT NULL AND resolved_on > $2)) \
             GROUP BY customer_id, currency"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(date_text(as_of))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("disputes", &row.try_get::<String, _>("currency")?)?;
                Ok(DisputedSum {
                    customer: CustomerId(row.try_get("customer_id")?),
                    amount: money(row.try_get("disputed")?, currency),
                })
            })
            .collect()
    }
}

impl Tx {
    /// Opens a dispute (status `open`) and starts its history.
    pub async fn insert_dispute(
        &mut self,
        entity: EntityId,
        dispute: &NewDispute<'_>,
    ) -> StoreResult<i64> {
        let id = self.allocate(DISPUTE_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO disputes (id, entity_id, customer_id, item_id, amount_minor, currency, reason, status, \
             opened_on, source_decision_id, note, line_no, owner, due_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(dispute.customer.0)
        .bind(dispute.item.0)
        .bind(dispute.amount.minor())
        .bind(dispute.amount.currency().code().to_string())
        .bind(dispute.reason.as_str().to_string())
        .bind(date_text(dispute.opened_on))
        .bind(dispute.decision)
        .bind(dispute.note.to_string())
        .bind(dispute.line_no)
        .bind(dispute.owner.to_string())
        .bind(dispute.due_on.map(date_text))
        .execute(self.conn())
        .await?;
        let opened = format!(
            "opened for {} ({}){}",
            dispute.amount,
            dispute.reason,
            if dispute.note.is_empty() {
                String::new()
            } else {
                format!(": {}", dispute.note)
            }
        );
        self.add_dispute_note(
            entity,
            id,
            dispute.opened_on,
            dispute.opened_by,
            "opened",
            &opened,
        )
        .await?;
        Ok(id)
    }

    /// A dispute, locked for the rest of the transaction.
    pub async fn dispute_for_update(
        &mut self,
        entity: EntityId,
        id: i64,
    ) -> StoreResult<Option<DisputeRow>> {
        if !self.lock_row("disputes", entity, id).await? {
            return Ok(None);
        }
        let sql = format!("{DISPUTE_SELECT} WHERE d.entity_id = $1 AND d.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(dispute_row).transpose()
    }

    /// What active disputes hold on an item, in minor units.
    pub async fn actively_disputed(&mut self, entity: EntityId, item: ItemId) -> StoreResult<i64> {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM disputes \
             WHERE entity_id = $1 AND item_id = $2 AND status IN {ACTIVE}"
        );
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(item.0)
            .fetch_one(self.conn())
            .await?)
    }

    /// How many lines an item has, and one line's net and tax in minor units if it exists. A
    /// document without stored lines is its own single line (see `documents.rs`: a one-line
    /// document whose line says what its header says keeps the line in the header).
    pub async fn item_line(
        &mut self,
        entity: EntityId,
        item: ItemId,
        line_no: i64,
    ) -> StoreResult<(i64, Option<(i64, i64)>)> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM item_lines WHERE entity_id = $1 AND item_id = $2",
        )
        .bind(entity.0)
        .bind(item.0)
        .fetch_one(self.conn())
        .await?;
        let line = sqlx::query(
            "SELECT net_minor, tax_minor FROM item_lines WHERE entity_id = $1 AND item_id = $2 AND line_no = $3",
        )
        .bind(entity.0)
        .bind(item.0)
        .bind(line_no)
        .fetch_optional(self.conn())
        .await?;
        if count == 0 {
            let header = sqlx::query(
                "SELECT net_minor, tax_minor FROM items WHERE entity_id = $1 AND id = $2",
            )
            .bind(entity.0)
            .bind(item.0)
            .fetch_optional(self.conn())
            .await?;
            let header = match header {
                Some(row) if line_no == 1 => {
                    Some((row.try_get("net_minor")?, row.try_get("tax_minor")?))
                }
                _ => None,
            };
            return Ok((1, header));
        }
        let line = line
            .map(|row| -> StoreResult<(i64, i64)> {
                Ok((row.try_get("net_minor")?, row.try_get("tax_minor")?))
            })
            .transpose()?;
        Ok((count, line))
    }

    /// Moves a dispute into review.
    pub async fn set_dispute_status(
        &mut self,
        entity: EntityId,
        id: i64,
        status: DisputeStatus,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE disputes SET status = $1 WHERE entity_id = $2 AND id = $3")
            .bind(status.as_str().to_string())
            .bind(entity.0)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Ends a dispute with its resolution and what was posted for it.
    pub async fn resolve_dispute(
        &mut self,
        entity: EntityId,
        id: i64,
        resolution: &DisputeResolution,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE disputes SET status = $1, resolved_on = $2, resolved_by = $3, credit_item_id = $4, \
             replacement_item_id = $5, resolution_entry_id = $6 WHERE entity_id = $7 AND id = $8",
        )
        .bind(resolution.status.as_str().to_string())
        .bind(date_text(resolution.on))
        .bind(resolution.by.clone())
        .bind(resolution.credit_item.map(|i| i.0))
        .bind(resolution.replacement_item.map(|i| i.0))
        .bind(resolution.entry)
        .bind(entity.0)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Adds to a dispute's history.
    pub async fn add_dispute_note(
        &mut self,
        entity: EntityId,
        dispute: i64,
        on: Date,
        author: &str,
        event: &str,
        body: &str,
    ) -> StoreResult<()> {
        let id = self.allocate(NOTE_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO dispute_notes (id, entity_id, dispute_id, noted_on, noted_at, author, event, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(dispute)
        .bind(date_text(on))
        .bind(now())
        .bind(author.to_string())
        .bind(event.to_string())
        .bind(body.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
