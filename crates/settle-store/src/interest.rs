//! Late-payment interest and agency placements (migration 9): the reference rates users enter,
//! what was charged on each invoice through which day, the invoices a run looks at with their
//! balance history, and placements of customers with collection agencies with the items placed
//! and the cash applied to them while placed. Decides nothing: the core computes interest and
//! the legal order; the service says what to write.

use std::collections::HashMap;

use sqlx::Row;

use settle_core::customer::Contact;
use settle_core::document::ItemState;
use settle_core::ids::{CustomerId, EntityId, ItemId};
use settle_core::{Currency, Date};

use crate::codec::{date_text, now, read_currency, read_date};
use crate::tx::item_state;
use crate::{Store, StoreResult, Tx};

/// An invoice a late-interest run looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestCandidate {
    pub item: ItemId,
    pub number: String,
    pub customer: CustomerId,
    pub customer_code: String,
    pub country: String,
    pub currency: Currency,
    pub due_date: Date,
    pub total_minor: i64,
    /// The last day already charged, if any.
    pub charged_through: Option<Date>,
    /// Whether fixed compensation was charged on it already.
    pub compensated: bool,
}

/// What a run charged on one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInterestCharge {
    pub item: ItemId,
    pub preset: String,
    pub charged_from: Date,
    pub charged_through: Date,
    pub currency: Currency,
    pub interest_minor: i64,
    pub compensation_minor: i64,
    pub interest_item: Option<ItemId>,
    pub compensation_item: Option<ItemId>,
    pub run_on: Date,
}

/// A placement of a customer's account with a collection agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementRow {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub agency: String,
    pub placed_on: Date,
    pub recalled_on: Option<Date>,
    pub status: String,
    pub commission_bp: i64,
}

/// A placement about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlacement<'a> {
    pub customer: CustomerId,
    pub agency: &'a str,
    pub placed_on: Date,
    pub commission_bp: i64,
    /// Who placed it.
    pub by: &'a str,
}

/// An amount per placement and currency (placed balances, recoveries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementSum {
    pub placement: i64,
    pub currency: Currency,
    pub minor: i64,
}

const PLACEMENT_COLUMNS: &str = "pl.id, pl.customer_id, c.code AS customer_code, pl.agency, \
     pl.placed_on, pl.recalled_on, pl.status, pl.commission_bp";

fn placement_row(row: &sqlx::any::AnyRow) -> StoreResult<PlacementRow> {
    Ok(PlacementRow {
        id: row.try_get("id")?,
        customer: CustomerId(row.try_get("customer_id")?),
        customer_code: row.try_get("customer_code")?,
        agency: row.try_get("agency")?,
        placed_on: read_date(
            "agency_placements",
            "placed_on",
            &row.try_get::<String, _>("placed_on")?,
        )?,
        recalled_on: row
            .try_get::<Option<String>, _>("recalled_on")?
            .map(|d| read_date("agency_placements", "recalled_on", &d))
            .transpose()?,
        status: row.try_get("status")?,
        commission_bp: row.try_get("commission_bp")?,
    })
}

fn placement_sums(
    rows: &[sqlx::any::AnyRow],
    table: &'static str,
) -> StoreResult<Vec<PlacementSum>> {
    rows.iter()
        .map(|row| {
            Ok(PlacementSum {
                placement: row.try_get("placement_id")?,
                currency: read_currency(table, &row.try_get::<String, _>("currency")?)?,
                minor: row.try_get("amount")?,
            })
        })
        .collect()
}

impl Tx {
    /// Enters (or corrects) the reference rate of a preset in force from a day.
    pub async fn put_reference_rate(
        &mut self,
        entity: EntityId,
        preset: &str,
        from: Date,
        rate_bp: i64,
        by: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO interest_reference_rates (entity_id, preset, valid_from, rate_bp, entered_at, entered_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entity_id, preset, valid_from) \
             DO UPDATE SET rate_bp = excluded.rate_bp, entered_at = excluded.entered_at, entered_by = excluded.entered_by",
        )
        .bind(entity.0)
        .bind(preset.to_string())
        .bind(date_text(from))
        .bind(rate_bp)
        .bind(now())
        .bind(by.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Every reference rate: (preset, in force from, basis points), by preset and date.
    pub async fn reference_rates(
        &mut self,
        entity: EntityId,
    ) -> StoreResult<Vec<(String, Date, i64)>> {
        let rows = sqlx::query(
            "SELECT preset, valid_from, rate_bp FROM interest_reference_rates WHERE entity_id = $1 \
             ORDER BY preset, valid_from",
        )
        .bind(entity.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("preset")?,
                    read_date(
                        "interest_reference_rates",
                        "valid_from",
                        &row.try_get::<String, _>("valid_from")?,
                    )?,
                    row.try_get("rate_bp")?,
                ))
            })
            .collect()
    }

    /// Settings whose key starts with `prefix`, as (rest of the key, value).
    pub async fn settings_with_prefix(
        &mut self,
        entity: EntityId,
        prefix: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT key, value FROM settings WHERE entity_id = $1 ORDER BY key")
            .bind(entity.0)
            .fetch_all(self.conn())
            .await?;
        let mut found = Vec::new();
        for row in &rows {
            let key: String = row.try_get("key")?;
            if let Some(rest) = key.strip_prefix(prefix) {
                found.push((rest.to_string(), row.try_get("value")?));
            }
        }
        Ok(found)
    }

    /// Invoices due before `as_of` that may owe late interest: open now, or moved after they
    /// fell due and after the last day charged on them (a paid invoice's last late days).
    pub async fn interest_candidates(
        &mut self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<InterestCandidate>> {
        let rows = sqlx::query(
            "SELECT * FROM ( \
               SELECT i.id, i.number, i.customer_id, c.code, c.country, i.currency, i.due_date, \
                 i.total_minor, i.balance_minor, i.last_activity, \
                 (SELECT MAX(ic.charged_through) FROM interest_charges ic WHERE ic.item_id = i.id) AS charged_through, \
                 (SELECT COUNT(*) FROM interest_charges ic WHERE ic.item_id = i.id AND ic.compensation_minor > 0) AS compensated \
               FROM items i JOIN customers c ON c.id = i.customer_id \
               WHERE i.entity_id = $1 AND i.kind = 'invoice' AND i.due_date < $2 \
             ) late WHERE balance_minor > 0 OR last_activity > COALESCE(charged_through, due_date) \
             ORDER BY code, due_date, id",
        )
        .bind(entity.0)
        .bind(date_text(as_of))
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InterestCandidate {
                    item: ItemId(row.try_get("id")?),
                    number: row.try_get("number")?,
                    customer: CustomerId(row.try_get("customer_id")?),
                    customer_code: row.try_get("code")?,
                    country: row.try_get("country")?,
                    currency: read_currency("items", &row.try_get::<String, _>("currency")?)?,
                    due_date: read_date(
                        "items",
                        "due_date",
                        &row.try_get::<String, _>("due_date")?,
                    )?,
                    total_minor: row.try_get("total_minor")?,
                    charged_through: row
                        .try_get::<Option<String>, _>("charged_through")?
                        .map(|d| read_date("interest_charges", "charged_through", &d))
                        .transpose()?,
                    compensated: row.try_get::<i64, _>("compensated")? > 0,
                })
            })
            .collect()
    }

    /// An item's balance after each day it moved, through `through`: (day, balance).
    pub async fn balance_history(
        &mut self,
        item: ItemId,
        through: Date,
    ) -> StoreResult<Vec<(Date, i64)>> {
        let rows = sqlx::query(
            "SELECT posting_date, CAST(SUM(amount_minor) AS BIGINT) AS moved FROM postings \
             WHERE item_id = $1 AND posting_date <= $2 GROUP BY posting_date ORDER BY posting_date",
        )
        .bind(item.0)
        .bind(date_text(through))
        .fetch_all(self.conn())
        .await?;
        let mut balance = 0;
        rows.iter()
            .map(|row| {
                balance += row.try_get::<i64, _>("moved")?;
                Ok((
                    read_date(
                        "postings",
                        "posting_date",
                        &row.try_get::<String, _>("posting_date")?,
                    )?,
                    balance,
                ))
            })
            .collect()
    }

    pub async fn insert_interest_charge(
        &mut self,
        entity: EntityId,
        charge: &NewInterestCharge,
        by: &str,
    ) -> StoreResult<()> {
        let id = self.allocate("interest_charges", 1).await?;
        sqlx::query(
            "INSERT INTO interest_charges (id, entity_id, item_id, preset, charged_from, charged_through, \
             currency, interest_minor, compensation_minor, interest_item_id, compensation_item_id, run_on, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(charge.item.0)
        .bind(charge.preset.clone())
        .bind(date_text(charge.charged_from))
        .bind(date_text(charge.charged_through))
        .bind(charge.currency.code().to_string())
        .bind(charge.interest_minor)
        .bind(charge.compensation_minor)
        .bind(charge.interest_item.map(|i| i.0))
        .bind(charge.compensation_item.map(|i| i.0))
        .bind(date_text(charge.run_on))
        .bind(now())
        .bind(by.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A customer's open debit items in one currency.
    pub async fn open_debit_items(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
        currency: Option<Currency>,
    ) -> StoreResult<Vec<ItemState>> {
        let rows = sqlx::query(
            "SELECT id, number, kind, customer_id, currency, issue_date, due_date, terms, total_minor, balance_minor \
             FROM items WHERE entity_id = $1 AND customer_id = $2 AND balance_minor > 0 \
             AND ($3 = '' OR currency = $3) ORDER BY due_date, id",
        )
        .bind(entity.0)
        .bind(customer.0)
        .bind(currency.map_or(String::new(), |c| c.code().to_string()))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(item_state).collect()
    }

    /// Which of the entity's debit memos were charged as interest (`false`) or as fixed
    /// compensation (`true`), by item.
    pub async fn interest_memos(&mut self, entity: EntityId) -> StoreResult<HashMap<ItemId, bool>> {
        let rows = sqlx::query(
            "SELECT interest_item_id, compensation_item_id FROM interest_charges WHERE entity_id = $1",
        )
        .bind(entity.0)
        .fetch_all(self.conn())
        .await?;
        let mut memos = HashMap::new();
        for row in &rows {
            if let Some(id) = row.try_get::<Option<i64>, _>("interest_item_id")? {
                memos.insert(ItemId(id), false);
            }
            if let Some(id) = row.try_get::<Option<i64>, _>("compensation_item_id")? {
                memos.insert(ItemId(id), true);
            }
        }
        Ok(memos)
    }

    // ---- agency placements ------------------------------------------------------------------

    /// The customer's placement still with an agency, if any.
    pub async fn active_placement(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Option<PlacementRow>> {
        let sql = format!(
            "SELECT {PLACEMENT_COLUMNS} FROM agency_placements pl JOIN customers c ON c.id = pl.customer_id \
             WHERE pl.entity_id = $1 AND pl.customer_id = $2 AND pl.status = 'placed'{}",
            self.engine.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(customer.0)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(placement_row).transpose()
    }

    /// Records a placement with the items placed and their balances, and marks the customer
    /// as placed (in-house dunning skips customers whose `agency` is set).
    pub async fn insert_placement(
        &mut self,
        entity: EntityId,
        placement: &NewPlacement<'_>,
        items: &[ItemState],
    ) -> StoreResult<i64> {
        let id = self.allocate("agency_placements", 1).await?;
        sqlx::query(
            "INSERT INTO agency_placements (id, entity_id, customer_id, agency, placed_on, recalled_on, status, \
             commission_bp, created_at, created_by) VALUES ($1, $2, $3, $4, $5, NULL, 'placed', $6, $7, $8)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(placement.customer.0)
        .bind(placement.agency.to_string())
        .bind(date_text(placement.placed_on))
        .bind(placement.commission_bp)
        .bind(now())
        .bind(placement.by.to_string())
        .execute(self.conn())
        .await?;
        for item in items {
            sqlx::query(
                "INSERT INTO agency_placed_items (placement_id, item_id, entity_id, currency, placed_minor) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(item.id.0)
            .bind(entity.0)
            .bind(item.currency.code().to_string())
            .bind(item.balance.minor())
            .execute(self.conn())
            .await?;
        }
        self.set_customer_agency(entity, placement.customer, placement.agency)
            .await?;
        Ok(id)
    }

    /// Ends a placement on a day and clears the customer's agency.
    pub async fn recall_placement(
        &mut self,
        entity: EntityId,
        placement: &PlacementRow,
        recalled_on: Date,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE agency_placements SET status = 'recalled', recalled_on = $1 WHERE entity_id = $2 AND id = $3",
        )
        .bind(date_text(recalled_on))
        .bind(entity.0)
        .bind(placement.id)
        .execute(self.conn())
        .await?;
        self.set_customer_agency(entity, placement.customer, "")
            .await
    }

    async fn set_customer_agency(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
        agency: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE customers SET agency = $1 WHERE entity_id = $2 AND id = $3")
            .bind(agency.to_string())
            .bind(entity.0)
            .bind(customer.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// A customer's contacts.
    pub async fn customer_contacts(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Vec<Contact>> {
        let rows = sqlx::query(
            "SELECT name, role, email, phone FROM contacts WHERE entity_id = $1 AND customer_id = $2 ORDER BY id",
        )
        .bind(entity.0)
        .bind(customer.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Contact {
                    name: row.try_get("name")?,
                    role: row.try_get("role")?,
                    email: row.try_get("email")?,
                    phone: row.try_get("phone")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Every placement, the latest first.
    pub async fn placements(&self, entity: EntityId) -> StoreResult<Vec<PlacementRow>> {
        let sql = format!(
            "SELECT {PLACEMENT_COLUMNS} FROM agency_placements pl JOIN customers c ON c.id = pl.customer_id \
             WHERE pl.entity_id = $1 ORDER BY pl.placed_on DESC, pl.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(placement_row).collect()
    }

    /// What each placement handed over, per currency.
    pub async fn placed_balances(&self, entity: EntityId) -> StoreResult<Vec<PlacementSum>> {
        let rows = sqlx::query(
            "SELECT placement_id, currency, CAST(SUM(placed_minor) AS BIGINT) AS amount \
             FROM agency_placed_items WHERE entity_id = $1 GROUP BY placement_id, currency",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        placement_sums(&rows, "agency_placed_items")
    }

    /// Recoveries: payments' cash applied to a placement's items from the day it was placed
    /// through the day it was recalled (or now), not reversed since.
    pub async fn placement_recoveries(&self, entity: EntityId) -> StoreResult<Vec<PlacementSum>> {
        let rows = sqlx::query(
            "SELECT pl.id AS placement_id, a.currency, CAST(SUM(a.amount_minor) AS BIGINT) AS amount \
             FROM agency_placements pl \
             JOIN agency_placed_items pi ON pi.placement_id = pl.id \
             JOIN applications a ON a.invoice_id = pi.item_id \
             WHERE pl.entity_id = $1 AND a.payment_id IS NOT NULL AND a.reversal_entry_id IS NULL \
             AND a.applied_on >= pl.placed_on AND (pl.recalled_on IS NULL OR a.applied_on <= pl.recalled_on) \
             GROUP BY pl.id, a.currency",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        placement_sums(&rows, "applications")
    }
}
