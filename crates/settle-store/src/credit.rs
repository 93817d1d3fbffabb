//! Credit management: what the credit rules read about customers (limit, open receivables,
//! the item furthest past due, hold, bankruptcy, agency, status), the holds set and lifted, the
//! credit reviews, and every order checked.

use jiff::civil::Date;
use settle_core::Money;
use settle_core::customer::CustomerStatus;
use settle_core::ids::{CustomerId, EntityId};
use sqlx::Row;

use crate::codec::{date_text, money, now, read_currency, read_date};
use crate::{Store, StoreResult, Tx, parse_column};

const HOLD_IDS: &str = "credit_hold_log";
const REVIEW_IDS: &str = "credit_reviews";
const ORDER_IDS: &str = "credit_orders";

/// A customer's standing as the credit rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerCreditRow {
    pub customer: CustomerId,
    pub code: String,
    pub name: String,
    /// In the customer's currency.
    pub limit: Option<Money>,
    /// Open debit items in the customer's currency, positive.
    pub open_receivables: Money,
    /// The open debit item (any currency) due earliest, and its due date.
    pub oldest_due: Option<(String, Date)>,
    pub hold: String,
    pub bankrupt: bool,
    pub agency: String,
    pub status: CustomerStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditHoldRow {
    pub action: String,
    pub source: String,
    pub reason: String,
    pub acted_on: String,
    pub acted_at: String,
    pub acted_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCreditReview<'a> {
    pub customer: CustomerId,
    pub reviewed_on: Date,
    pub reviewer: &'a str,
    pub old_limit: Option<Money>,
    pub new_limit: Money,
    pub reason: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditReviewRow {
    pub id: i64,
    pub reviewed_on: String,
    pub reviewer: String,
    pub old_limit: Option<Money>,
    pub new_limit: Money,
    pub reason: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderCheck<'a> {
    pub customer: CustomerId,
    pub reference: &'a str,
    pub amount: Money,
    pub checked_on: Date,
    pub held: bool,
    pub reasons: &'a str,
    pub exposure: Money,
    pub limit: Option<Money>,
    pub checked_by: &'a str,
}

/// Each customer with its open debit items summed in its own currency and its earliest-due open
/// debit item: correlated subqueries over `items_open`'s columns, one row per customer.
const CREDIT_SELECT: &str = "SELECT c.id, c.code, c.name, c.credit_limit_minor, c.currency, c.credit_hold, \
     c.bankrupt, c.agency, c.status, \
     (SELECT CAST(COALESCE(SUM(i.balance_minor), 0) AS BIGINT) FROM items i \
       WHERE i.entity_id = c.entity_id AND i.customer_id = c.id AND i.currency = c.currency \
       AND i.balance_minor > 0 AND i.is_credit = 0) AS open_minor, \
     (SELECT i.number FROM items i WHERE i.entity_id = c.entity_id AND i.customer_id = c.id \
       AND i.balance_minor > 0 AND i.is_credit = 0 ORDER BY i.due_date, i.id LIMIT 1) AS oldest_number, \
     (SELECT i.due_date FROM items i WHERE i.entity_id = c.entity_id AND i.customer_id = c.id \
       AND i.balance_minor > 0 AND i.is_credit = 0 ORDER BY i.due_date, i.id LIMIT 1) AS oldest_due \
     FROM customers c";

fn credit_row(row: &sqlx::any::AnyRow) -> StoreResult<CustomerCreditRow> {
    let currency = read_currency("customers", &row.try_get::<String, _>("currency")?)?;
    let limit: Option<i64> = row.try_get("credit_limit_minor")?;
    let oldest_number: Option<String> = row.try_get("oldest_number")?;
    let oldest_due: Option<String> = row.try_get("oldest_due")?;
    let oldest_due = match (oldest_number, oldest_due) {
        (Some(number), Some(due)) => Some((number, read_date("items", "due_date", &due)?)),
        _ => None,
    };
    Ok(CustomerCreditRow {
        customer: CustomerId(row.try_get("id")?),
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        limit: limit.map(|minor| money(minor, currency)),
        open_receivables: money(row.try_get("open_minor")?, currency),
        oldest_due,
        hold: row.try_get("credit_hold")?,
        bankrupt: row.try_get::<i64, _>("bankrupt")? != 0,
        agency: row.try_get("agency")?,
        status: parse_column("customers", "status", &row.try_get::<String, _>("status")?)?,
    })
}

fn review_row(row: &sqlx::any::AnyRow) -> StoreResult<CreditReviewRow> {
    let currency = read_currency("credit_reviews", &row.try_get::<String, _>("currency")?)?;
    let old: Option<i64> = row.try_get("old_limit_minor")?;
    Ok(CreditReviewRow {
        id: row.try_get("id")?,
        reviewed_on: row.try_get("reviewed_on")?,
        reviewer: row.try_get("reviewer")?,
        old_limit: old.map(|minor| money(minor, currency)),
        new_limit: money(row.try_get("new_limit_minor")?, currency),
        reason: row.try_get("reason")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

impl Store {
    /// Every customer's credit standing, by code.
    pub async fn customers_credit(&self, entity: EntityId) -> StoreResult<Vec<CustomerCreditRow>> {
        let sql = format!("{CREDIT_SELECT} WHERE c.entity_id = $1 ORDER BY c.code");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(credit_row).collect()
    }

    /// One customer's credit standing, read without locking anything.
    pub async fn customer_credit(
        &self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<CustomerCreditRow>> {
        let sql = format!("{CREDIT_SELECT} WHERE c.entity_id = $1 AND c.code = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(code.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(credit_row).transpose()
    }

    /// A customer's credit reviews, oldest first.
    pub async fn credit_reviews(
        &self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Vec<CreditReviewRow>> {
        let rows = sqlx::query(
            "SELECT id, reviewed_on, reviewer, currency, old_limit_minor, new_limit_minor, reason, recorded_at \
             FROM credit_reviews WHERE entity_id = $1 AND customer_id = $2 ORDER BY reviewed_on, id",
        )
        .bind(entity.0)
        .bind(customer.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(review_row).collect()
    }

    /// A customer's holds and releases, oldest first.
    pub async fn credit_hold_log(
        &self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Vec<CreditHoldRow>> {
        let rows = sqlx::query(
            "SELECT action, source, reason, acted_on, acted_at, acted_by FROM credit_hold_log \
             WHERE entity_id = $1 AND customer_id = $2 ORDER BY id",
        )
        .bind(entity.0)
        .bind(customer.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CreditHoldRow {
                    action: row.try_get("action")?,
                    source: row.try_get("source")?,
                    reason: row.try_get("reason")?,
                    acted_on: row.try_get("acted_on")?,
                    acted_at: row.try_get("acted_at")?,
                    acted_by: row.try_get("acted_by")?,
                })
            })
            .collect()
    }
}

impl Tx {
    /// Every customer's credit standing, by code, read in the transaction that acts on it.
    pub async fn all_customers_credit(
        &mut self,
        entity: EntityId,
    ) -> StoreResult<Vec<CustomerCreditRow>> {
        let sql = format!("{CREDIT_SELECT} WHERE c.entity_id = $1 ORDER BY c.code");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(credit_row).collect()
    }

    /// One customer's credit standing, the customer's row locked for the rest of the
    /// transaction (a hold, a review and an order check each decide on it).
    pub async fn customer_credit(
        &mut self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<CustomerCreditRow>> {
        let lock = format!(
            "SELECT id FROM customers WHERE entity_id = $1 AND code = $2{}",
            self.engine.for_update()
        );
        let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(lock))
            .bind(entity.0)
            .bind(code.to_string())
            .fetch_optional(self.conn())
            .await?;
        let Some(id) = found else {
            return Ok(None);
        };
        let sql = format!("{CREDIT_SELECT} WHERE c.entity_id = $1 AND c.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_one(self.conn())
            .await?;
        credit_row(&row).map(Some)
    }

    /// Sets (`hold` not empty) or lifts (empty) a customer's hold, and logs who did it and
    /// why (`why`: the hold's text, or more).
    #[allow(clippy::too_many_arguments)]
    pub async fn set_credit_hold(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
        hold: &str,
        why: &str,
        source: &str,
        on: Date,
        by: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE customers SET credit_hold = $1 WHERE entity_id = $2 AND id = $3")
            .bind(hold.to_string())
            .bind(entity.0)
            .bind(customer.0)
            .execute(self.conn())
            .await?;
        let id = self.allocate(HOLD_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO credit_hold_log (id, entity_id, customer_id, action, source, reason, acted_on, acted_at, acted_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(customer.0)
        .bind(if hold.is_empty() { "release" } else { "hold" })
        .bind(source.to_string())
        .bind(why.to_string())
        .bind(date_text(on))
        .bind(now())
        .bind(by.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records a review and sets the customer's new limit.
    pub async fn insert_credit_review(
        &mut self,
        entity: EntityId,
        review: &NewCreditReview<'_>,
    ) -> StoreResult<i64> {
        let id = self.allocate(REVIEW_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO credit_reviews (id, entity_id, customer_id, reviewed_on, reviewer, currency, \
             old_limit_minor, new_limit_minor, reason, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(review.customer.0)
        .bind(date_text(review.reviewed_on))
        .bind(review.reviewer.to_string())
        .bind(review.new_limit.currency().code().to_string())
        .bind(review.old_limit.map(|m| m.minor()))
        .bind(review.new_limit.minor())
        .bind(review.reason.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        sqlx::query(
            "UPDATE customers SET credit_limit_minor = $1 WHERE entity_id = $2 AND id = $3",
        )
        .bind(review.new_limit.minor())
        .bind(entity.0)
        .bind(review.customer.0)
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// Records an order's check and its decision.
    pub async fn insert_order_check(
        &mut self,
        entity: EntityId,
        check: &NewOrderCheck<'_>,
    ) -> StoreResult<i64> {
        let id = self.allocate(ORDER_IDS, 1).await?;
        sqlx::query(
            "INSERT INTO credit_orders (id, entity_id, customer_id, reference, amount_minor, currency, checked_on, \
             decision, reasons, exposure_minor, limit_minor, checked_at, checked_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(check.customer.0)
        .bind(check.reference.to_string())
        .bind(check.amount.minor())
        .bind(check.amount.currency().code().to_string())
        .bind(date_text(check.checked_on))
        .bind(if check.held { "held" } else { "released" })
        .bind(check.reasons.to_string())
        .bind(check.exposure.minor())
        .bind(check.limit.map(|m| m.minor()))
        .bind(now())
        .bind(check.checked_by.to_string())
        .execute(self.conn())
        .await?;
        Ok(id)
    }
}
