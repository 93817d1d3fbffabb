//! The contact log of every customer (or one), oldest first, for exports.

use settle_core::ids::{CustomerId, EntityId};
use sqlx::Row;

use crate::customers::ContactLogRow;
use crate::text_column;
use crate::{Store, StoreResult};

/// A contact-log entry with its customer's code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactExportRow {
    pub customer_code: String,
    pub customer_name: String,
    pub entry: ContactLogRow,
}

impl Store {
    /// Entries in the order they happened; only one customer's when `customer` is given.
    pub async fn contact_log_export(
        &self,
        entity: EntityId,
        customer: Option<CustomerId>,
    ) -> StoreResult<Vec<ContactExportRow>> {
        let rows = sqlx::query(
            "SELECT l.id, l.customer_id, c.code, c.name, l.occurred_at, l.channel, l.direction, \
                    l.subject, l.body, l.source, l.source_id, l.created_by, l.outcome, l.next_step_on \
             FROM contact_log l JOIN customers c ON c.id = l.customer_id \
             WHERE l.entity_id = $1 AND ($2 < 0 OR l.customer_id = $2) \
             ORDER BY l.occurred_at, l.id",
        )
        .bind(entity.0)
        .bind(customer.map_or(-1, |c| c.0))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ContactExportRow {
                    customer_code: row.try_get("code")?,
                    customer_name: row.try_get("name")?,
                    entry: ContactLogRow {
                        id: row.try_get("id")?,
                        customer: CustomerId(row.try_get("customer_id")?),
                        occurred_at: row.try_get("occurred_at")?,
                        channel: text_column(row, "contact_log", "channel")?,
                        direction: text_column(row, "contact_log", "direction")?,
                        subject: row.try_get("subject")?,
                        body: row.try_get("body")?,
                        source: row.try_get("source")?,
                        source_id: row.try_get("source_id")?,
                        created_by: row.try_get("created_by")?,
                        outcome: row.try_get("outcome")?,
                        next_step_on: row.try_get("next_step_on")?,
                    },
                })
            })
            .collect()
    }
}
