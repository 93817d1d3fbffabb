//! The sums the collection KPIs are computed from, per customer and currency: credit sales per
//! issue day, cash applied in a period, promises resolved in a period, and who collects each
//! customer. Receivables as of a date come from the aging's own reads
//! ([`Store::aging_bucket_sums`]), never from a second aging.

use sqlx::Row;

use settle_core::ids::{CustomerId, EntityId};
use settle_core::{Currency, Date};

use crate::codec::{date_text, read_currency, read_date};
use crate::{Store, StoreResult};

/// A per-customer, per-currency sum of something in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSum {
    pub customer: CustomerId,
    pub currency: Currency,
    pub minor: i64,
}

/// Credit sales of one customer in one currency issued on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailySales {
    pub customer: CustomerId,
    pub currency: Currency,
    pub issued_on: Date,
    pub minor: i64,
}

/// Promises of one customer in one currency resolved in a period, by outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseOutcomes {
    pub customer: CustomerId,
    pub currency: Currency,
    pub kept: i64,
    pub broken: i64,
}

impl Store {
    /// Invoices and debit memos (tax included) issued after `after` through `through`, summed
    /// per customer, currency and issue day.
    pub async fn credit_sales_by_day(
        &self,
        entity: EntityId,
        after: Date,
        through: Date,
    ) -> StoreResult<Vec<DailySales>> {
        let rows = sqlx::query(
            "SELECT customer_id, currency, issue_date, CAST(SUM(total_minor) AS BIGINT) AS sales \
             FROM items WHERE entity_id = $1 AND kind IN ('invoice', 'debit_memo') \
             AND issue_date > $2 AND issue_date <= $3 \
             GROUP BY customer_id, currency, issue_date",
        )
        .bind(entity.0)
        .bind(date_text(after))
        .bind(date_text(through))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DailySales {
                    customer: CustomerId(row.try_get("customer_id")?),
                    currency: read_currency("items", &row.try_get::<String, _>("currency")?)?,
                    issued_on: read_date(
                        "items",
                        "issue_date",
                        &row.try_get::<String, _>("issue_date")?,
                    )?,
                    minor: row.try_get("sales")?,
                })
            })
            .collect()
    }

    /// Cash of payments applied to debit items after `after` through `through`, per customer
    /// of the item: applications dated in the period, less those of any application whose
    /// reversal is dated in it (a returned or undone application gave the cash back).
    pub async fn cash_applied_between(
        &self,
        entity: EntityId,
        after: Date,
        through: Date,
    ) -> StoreResult<Vec<CustomerSum>> {
        let rows = sqlx::query(
            "SELECT customer_id, currency, CAST(SUM(amount) AS BIGINT) AS cash FROM ( \
               SELECT i.customer_id, a.currency, a.amount_minor AS amount \
               FROM applications a JOIN items i ON i.id = a.invoice_id \
               WHERE a.entity_id = $1 AND a.payment_id IS NOT NULL \
               AND a.applied_on > $2 AND a.applied_on <= $3 \
               UNION ALL \
               SELECT i.customer_id, a.currency, -a.amount_minor AS amount \
               FROM applications a JOIN items i ON i.id = a.invoice_id \
               JOIN journal_entries r ON r.id = a.reversal_entry_id \
               WHERE a.entity_id = $1 AND a.payment_id IS NOT NULL \
               AND r.entry_date > $2 AND r.entry_date <= $3 \
             ) moved GROUP BY customer_id, currency",
        )
        .bind(entity.0)
        .bind(date_text(after))
        .bind(date_text(through))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CustomerSum {
                    customer: CustomerId(row.try_get("customer_id")?),
                    currency: read_currency(
                        "applications",
                        &row.try_get::<String, _>("currency")?,
                    )?,
                    minor: row.try_get("cash")?,
                })
            })
            .collect()
    }

    /// Promises kept and broken, resolved after `after` through `through`.
    pub async fn promises_resolved_between(
        &self,
        entity: EntityId,
        after: Date,
        through: Date,
    ) -> StoreResult<Vec<PromiseOutcomes>> {
        let rows = sqlx::query(
            "SELECT customer_id, currency, \
               CAST(SUM(CASE WHEN status = 'kept' THEN 1 ELSE 0 END) AS BIGINT) AS kept, \
               CAST(SUM(CASE WHEN status = 'broken' THEN 1 ELSE 0 END) AS BIGINT) AS broken \
             FROM promises WHERE entity_id = $1 AND status IN ('kept', 'broken') \
             AND resolved_on > $2 AND resolved_on <= $3 GROUP BY customer_id, currency",
        )
        .bind(entity.0)
        .bind(date_text(after))
        .bind(date_text(through))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PromiseOutcomes {
                    customer: CustomerId(row.try_get("customer_id")?),
                    currency: read_currency("promises", &row.try_get::<String, _>("currency")?)?,
                    kept: row.try_get("kept")?,
                    broken: row.try_get("broken")?,
                })
            })
            .collect()
    }

    /// Every customer's collector ('' when none is assigned).
    pub async fn customer_collectors(
        &self,
        entity: EntityId,
    ) -> StoreResult<Vec<(CustomerId, String)>> {
        let rows = sqlx::query("SELECT id, collector FROM customers WHERE entity_id = $1")
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((CustomerId(row.try_get("id")?), row.try_get("collector")?)))
            .collect()
    }
}
