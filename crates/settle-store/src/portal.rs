//! The customer portal's storage (migration 19): links, kept like API tokens as the SHA-256 of
//! their secret, and the remittance advice customers send through them. A link's CSRF token is
//! stored as is, since the link's own pages print it into their forms.

use settle_core::Money;
use settle_core::ids::{CustomerId, EntityId, ItemId, PaymentId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec::{now, read_currency, read_date};
use crate::{Store, StoreResult, Tx};

/// A portal link with its customer; never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalLinkRow {
    pub id: i64,
    pub entity_id: EntityId,
    pub customer: CustomerId,
    pub customer_code: String,
    pub customer_name: String,
    pub csrf_token: String,
    pub created_by: String,
    /// UTC, RFC 3339, like every timestamp of this table.
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub last_used_at: Option<String>,
}

/// A link to store.
#[derive(Debug, Clone)]
pub struct NewPortalLink<'a> {
    pub customer: CustomerId,
    pub secret_sha256: &'a str,
    pub csrf_token: &'a str,
    pub created_by: &'a str,
    pub expires_at: &'a str,
}

/// One invoice a remittance advice says a payment covers, and how much of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceItemRow {
    pub item: ItemId,
    pub number: String,
    pub amount: Money,
}

/// A remittance advice with its invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceRow {
    pub id: i64,
    pub customer: CustomerId,
    pub link_id: i64,
    pub total: Money,
    pub expected_on: Option<jiff::civil::Date>,
    pub note: String,
    /// `open` until a payment is applied to its invoices, then `used`.
    pub status: String,
    pub created_at: String,
    pub payment: Option<PaymentId>,
    pub used_at: Option<String>,
    pub items: Vec<AdviceItemRow>,
}

/// An advice to store; its amounts are all in one currency.
#[derive(Debug, Clone)]
pub struct NewAdvice<'a> {
    pub customer: CustomerId,
    pub currency: settle_core::Currency,
    pub link_id: i64,
    pub items: &'a [(ItemId, Money)],
    pub expected_on: Option<jiff::civil::Date>,
    pub note: &'a str,
}

const LINK_SELECT: &str = "SELECT l.id, l.entity_id, l.customer_id, c.code, c.name, l.csrf_token, \
     l.created_by, l.created_at, l.expires_at, l.revoked_at, l.revoked_by, l.last_used_at \
     FROM portal_links l JOIN customers c ON c.id = l.customer_id";

fn link_from(row: &AnyRow) -> StoreResult<PortalLinkRow> {
    Ok(PortalLinkRow {
        id: row.try_get(0)?,
        entity_id: EntityId(row.try_get(1)?),
        customer: CustomerId(row.try_get(2)?),
        customer_code: row.try_get(3)?,
        customer_name: row.try_get(4)?,
        csrf_token: row.try_get(5)?,
        created_by: row.try_get(6)?,
        created_at: row.try_get(7)?,
        expires_at: row.try_get(8)?,
        revoked_at: row.try_get(9)?,
        revoked_by: row.try_get(10)?,
        last_used_at: row.try_get(11)?,
    })
}

const ADVICE_SELECT: &str = "SELECT id, customer_id, link_id, currency, total_minor, expected_on, \
     note, status, created_at, payment_id, used_at FROM remittance_advices";

fn advice_from(row: &AnyRow) -> StoreResult<AdviceRow> {
    let currency = read_currency("remittance_advices", &row.try_get::<String, _>(3)?)?;
    let expected_on = row
        .try_get::<Option<String>, _>(5)?
        .map(|text| read_date("remittance_advices", "expected_on", &text))
        .transpose()?;
    Ok(AdviceRow {
        id: row.try_get(0)?,
        customer: CustomerId(row.try_get(1)?),
        link_id: row.try_get(2)?,
        total: Money::new(row.try_get(4)?, currency),
        expected_on,
        note: row.try_get(6)?,
        status: row.try_get(7)?,
        created_at: row.try_get(8)?,
        payment: row.try_get::<Option<i64>, _>(9)?.map(PaymentId),
        used_at: row.try_get(10)?,
        items: Vec::new(),
    })
}

const ADVICE_ITEMS: &str = "SELECT a.advice_id, a.item_id, i.number, a.amount_minor \
     FROM remittance_advice_items a JOIN items i ON i.id = a.item_id";

/// Puts each advice's invoices on it, in the order the customer listed them.
fn attach_items(advices: &mut [AdviceRow], rows: &[AnyRow]) -> StoreResult<()> {
    for row in rows {
        let advice: i64 = row.try_get(0)?;
        if let Some(target) = advices.iter_mut().find(|a| a.id == advice) {
            let currency = target.total.currency();
            target.items.push(AdviceItemRow {
                item: ItemId(row.try_get(1)?),
                number: row.try_get(2)?,
                amount: Money::new(row.try_get(3)?, currency),
            });
        }
    }
    Ok(())
}

impl Store {
    /// A link by the SHA-256 of its secret, whatever its state.
    pub async fn portal_link(&self, secret_sha256: &str) -> StoreResult<Option<PortalLinkRow>> {
        let sql = format!("{LINK_SELECT} WHERE l.secret_sha256 = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(secret_sha256.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(link_from).transpose()
    }

    /// The entity's links, newest first; with a customer, that customer's only.
    pub async fn portal_links(
        &self,
        entity: EntityId,
        customer: Option<CustomerId>,
    ) -> StoreResult<Vec<PortalLinkRow>> {
        let sql = format!(
            "{LINK_SELECT} WHERE l.entity_id = $1 AND ($2 = 0 OR l.customer_id = $2) ORDER BY l.id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(customer.map_or(0, |c| c.0))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(link_from).collect()
    }

    /// Notes that a link was used; reading a page must not write on every request, so the
    /// caller decides how often.
    pub async fn touch_portal_link(&self, id: i64, at: &str) -> StoreResult<()> {
        sqlx::query("UPDATE portal_links SET last_used_at = $1 WHERE id = $2")
            .bind(at.to_string())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A customer's remittance advice, newest first.
    pub async fn customer_advices(
        &self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Vec<AdviceRow>> {
        let sql =
            format!("{ADVICE_SELECT} WHERE entity_id = $1 AND customer_id = $2 ORDER BY id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(customer.0)
            .fetch_all(self.pool())
            .await?;
        let mut advices: Vec<AdviceRow> = rows.iter().map(advice_from).collect::<Result<_, _>>()?;
        let sql = format!(
            "{ADVICE_ITEMS} JOIN remittance_advices r ON r.id = a.advice_id \
             WHERE r.entity_id = $1 AND r.customer_id = $2 ORDER BY a.advice_id, a.seq"
        );
        let items = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(customer.0)
            .fetch_all(self.pool())
            .await?;
        attach_items(&mut advices, &items)?;
        Ok(advices)
    }

    /// Every open remittance advice of the entity, oldest first: what a matching run may use.
    pub async fn open_advices(&self, entity: EntityId) -> StoreResult<Vec<AdviceRow>> {
        let sql = format!("{ADVICE_SELECT} WHERE entity_id = $1 AND status = 'open' ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        let mut advices: Vec<AdviceRow> = rows.iter().map(advice_from).collect::<Result<_, _>>()?;
        let sql = format!(
            "{ADVICE_ITEMS} JOIN remittance_advices r ON r.id = a.advice_id \
             WHERE r.entity_id = $1 AND r.status = 'open' ORDER BY a.advice_id, a.seq"
        );
        let items = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        attach_items(&mut advices, &items)?;
        Ok(advices)
    }
}

impl Tx {
    pub async fn insert_portal_link(
        &mut self,
        entity: EntityId,
        link: &NewPortalLink<'_>,
    ) -> StoreResult<i64> {
        let id = self.allocate("portal_links", 1).await?;
        sqlx::query(
            "INSERT INTO portal_links (id, entity_id, customer_id, secret_sha256, csrf_token, \
             created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(link.customer.0)
        .bind(link.secret_sha256.to_string())
        .bind(link.csrf_token.to_string())
        .bind(link.created_by.to_string())
        .bind(now())
        .bind(link.expires_at.to_string())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// A link by id, locked for the rest of the transaction.
    pub async fn portal_link_for_update(
        &mut self,
        entity: EntityId,
        id: i64,
    ) -> StoreResult<Option<PortalLinkRow>> {
        if !self.lock_row("portal_links", entity, id).await? {
            return Ok(None);
        }
        let sql = format!("{LINK_SELECT} WHERE l.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(link_from).transpose()
    }

    pub async fn revoke_portal_link(&mut self, id: i64, by: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE portal_links SET revoked_at = $1, revoked_by = $2 \
             WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(by.to_string())
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Stores an advice and its invoices; returns its id.
    pub async fn insert_advice(
        &mut self,
        entity: EntityId,
        advice: &NewAdvice<'_>,
    ) -> StoreResult<i64> {
        let total: i64 = advice.items.iter().map(|(_, m)| m.minor()).sum();
        let id = self.allocate("remittance_advices", 1).await?;
        sqlx::query(
            "INSERT INTO remittance_advices (id, entity_id, customer_id, link_id, currency, \
             total_minor, expected_on, note, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(advice.customer.0)
        .bind(advice.link_id)
        .bind(advice.currency.code().to_string())
        .bind(total)
        .bind(advice.expected_on.map(|d| d.to_string()))
        .bind(advice.note.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        for (seq, (item, amount)) in advice.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO remittance_advice_items (advice_id, seq, item_id, amount_minor) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(seq as i64)
            .bind(item.0)
            .bind(amount.minor())
            .execute(self.conn())
            .await?;
        }
        Ok(id)
    }

    /// The open advices that name any of `items`, with all their invoices, locked.
    pub async fn open_advices_naming(
        &mut self,
        entity: EntityId,
        items: &[ItemId],
    ) -> StoreResult<Vec<AdviceRow>> {
        let mut advices: Vec<AdviceRow> = Vec::new();
        for item in items {
            let sql = format!(
                "{ADVICE_SELECT} WHERE entity_id = $1 AND status = 'open' AND id IN \
                 (SELECT advice_id FROM remittance_advice_items WHERE item_id = $2){}",
                self.engine.for_update()
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(entity.0)
                .bind(item.0)
                .fetch_all(self.conn())
                .await?;
            for row in &rows {
                let advice = advice_from(row)?;
                if !advices.iter().any(|a| a.id == advice.id) {
                    advices.push(advice);
                }
            }
        }
        for advice in &mut advices {
            let sql = format!("{ADVICE_ITEMS} WHERE a.advice_id = $1 ORDER BY a.seq");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(advice.id)
                .fetch_all(self.conn())
                .await?;
            attach_items(std::slice::from_mut(advice), &rows)?;
        }
        Ok(advices)
    }

    pub async fn mark_advice_used(&mut self, id: i64, payment: PaymentId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE remittance_advices SET status = 'used', payment_id = $1, used_at = $2 \
             WHERE id = $3 AND status = 'open'",
        )
        .bind(payment.0)
        .bind(now())
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
