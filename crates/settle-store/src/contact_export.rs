//! The contact log of every customer (or one), oldest first, for exports.

use settle_core::ids::{CustomerId, EntityId};
use sqlx::Row;

use crate::customers::{ContactLogRow, contact_log_row};
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
                    entry: contact_log_row(row)?,
                })
            })
            .collect()
    }
}
