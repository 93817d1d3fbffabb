//! Customer groups (each customer's parent company) and the contact log.

use std::collections::HashMap;

use settle_core::contact::NewContactEntry;
use settle_core::ids::{CustomerId, EntityId};
use sqlx::Row;

use crate::account_view::{contact_log_on, customer_children_on};
use crate::codec::now;
use crate::columns::Columns;
use crate::text_column;
use crate::{Store, StoreResult, Tx};

/// A contact-log entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactLogRow {
    pub id: i64,
    pub customer: CustomerId,
    /// UTC, RFC 3339.
    pub occurred_at: String,
    pub channel: settle_core::contact::ContactChannel,
    pub direction: settle_core::contact::ContactDirection,
    pub subject: String,
    pub body: String,
    pub source: String,
    pub source_id: String,
    pub created_by: String,
    pub outcome: String,
    pub next_step_on: Option<String>,
}

impl Store {
    /// Customer → its parent, for every customer that has one.
    pub async fn customer_parents(
        &self,
        entity: EntityId,
    ) -> StoreResult<HashMap<CustomerId, CustomerId>> {
        let rows = sqlx::query(
            "SELECT id, parent_id FROM customers WHERE entity_id = $1 AND parent_id IS NOT NULL",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("id")?),
                    CustomerId(row.try_get("parent_id")?),
                ))
            })
            .collect()
    }

    /// A customer's subsidiaries (code, name), by code.
    pub async fn customer_children(
        &self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Vec<(String, String)>> {
        let mut conn = self.pool().acquire().await?;
        customer_children_on(&mut conn, entity, customer).await
    }

    /// A customer's latest contact-log entries, newest first.
    pub async fn contact_log(
        &self,
        entity: EntityId,
        customer: CustomerId,
        limit: i64,
    ) -> StoreResult<Vec<ContactLogRow>> {
        let mut conn = self.pool().acquire().await?;
        contact_log_on(&mut conn, entity, customer, limit).await
    }
}

/// The contact log's columns, in the order rows are written.
pub(crate) const CONTACT_LOG_COLUMNS: &[&str] = &[
    "id",
    "entity_id",
    "customer_id",
    "occurred_at",
    "channel",
    "direction",
    "subject",
    "body",
    "source",
    "source_id",
    "created_by",
    "outcome",
    "next_step_on",
];

impl Tx {
    /// The bank reference a payment was posted under.
    pub async fn payment_bank_reference(
        &mut self,
        entity: EntityId,
        payment: settle_core::ids::PaymentId,
    ) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT bank_reference FROM payments WHERE entity_id = $1 AND id = $2",
        )
        .bind(entity.0)
        .bind(payment.0)
        .fetch_optional(self.conn())
        .await?)
    }

    /// Writes many contact-log entries at once (a dunning run's letters and emails).
    pub async fn insert_contact_entries(
        &mut self,
        entity: EntityId,
        entries: &[NewContactEntry],
    ) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let first = self.allocate("contact_log", entries.len() as i64).await?;
        let mut rows =
            crate::bulk::BulkInsert::new(self.engine, "contact_log", CONTACT_LOG_COLUMNS);
        let stamp = now();
        for (offset, entry) in entries.iter().enumerate() {
            use crate::bulk::Value;
            rows.push([
                Value::Int(first + offset as i64),
                Value::Int(entity.0),
                Value::Int(entry.customer.0),
                Value::Text(
                    entry
                        .occurred_at
                        .map_or_else(|| stamp.clone(), |t| t.to_string()),
                ),
                Value::Text(entry.channel.as_str().to_string()),
                Value::Text(entry.direction.as_str().to_string()),
                Value::Text(entry.subject.clone()),
                Value::Text(entry.body.clone()),
                Value::Text(entry.source.clone()),
                Value::Text(entry.source_id.clone()),
                Value::Text(entry.created_by.clone()),
                Value::Text(entry.outcome.clone()),
                Value::OptText(entry.next_step_on.map(|d| d.to_string())),
            ]);
        }
        rows.flush(self.conn()).await
    }

    /// Writes a contact-log entry (stamped now unless it says when it happened); its id.
    pub async fn insert_contact_entry(
        &mut self,
        entity: EntityId,
        entry: &NewContactEntry,
    ) -> StoreResult<i64> {
        let id = self.allocate("contact_log", 1).await?;
        let occurred_at = entry.occurred_at.map_or_else(now, |t| t.to_string());
        sqlx::query(
            "INSERT INTO contact_log (id, entity_id, customer_id, occurred_at, channel, direction, \
               subject, body, source, source_id, created_by, outcome, next_step_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(entry.customer.0)
        .bind(occurred_at)
        .bind(entry.channel.as_str())
        .bind(entry.direction.as_str())
        .bind(entry.subject.clone())
        .bind(entry.body.clone())
        .bind(entry.source.clone())
        .bind(entry.source_id.clone())
        .bind(entry.created_by.clone())
        .bind(entry.outcome.clone())
        .bind(entry.next_step_on.map(|d| d.to_string()))
        .execute(self.conn())
        .await?;
        Ok(id)
    }
}

/// A contact-log entry from a row that has the table's columns under their own names.
pub(crate) fn contact_log_row(row: &impl Columns) -> StoreResult<ContactLogRow> {
    Ok(ContactLogRow {
        id: row.cell("id")?,
        customer: CustomerId(row.cell("customer_id")?),
        occurred_at: row.cell("occurred_at")?,
        channel: text_column(row, "contact_log", "channel")?,
        direction: text_column(row, "contact_log", "direction")?,
        subject: row.cell("subject")?,
        body: row.cell("body")?,
        source: row.cell("source")?,
        source_id: row.cell("source_id")?,
        created_by: row.cell("created_by")?,
        outcome: row.cell("outcome")?,
        next_step_on: row.cell("next_step_on")?,
    })
}
