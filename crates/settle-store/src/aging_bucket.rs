//! One cell of the aging for every customer, paged in the database: the drill-down from the
//! aging report. A bucket is a range of basis days (due or issue), so its items are found by
//! that range, their balances as of the date taken as the aging takes them (the kept balance,
//! or the postings re-summed for items touched since), and a page is cut by the key the list
//! is ordered by (due date, id) — the whole book is never read into memory for one page.

use sqlx::{AssertSqlSafe, Row};

use settle_core::aging::{AgingBasis, AgingItem};
use settle_core::ids::{CustomerId, EntityId, ItemId};
use settle_core::{Currency, Date, Money};

use crate::bulk::Query;
use crate::codec::{date_text, day_number, money, read_currency};
use crate::read::basis_day_column;
use crate::{Store, StoreResult, text_column};

/// Which items one aging cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketRange {
    pub basis: AgingBasis,
    /// The earliest basis date in the bucket; `None` for the oldest bucket.
    pub from: Option<Date>,
    /// The first basis date past the bucket; `None` for the current bucket.
    pub until: Option<Date>,
    pub currency: Option<Currency>,
}

/// An item of a bucket's page, with its customer's code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRow {
    pub item: AgingItem,
    pub customer_code: String,
    pub customer_name: String,
}

/// What a whole bucket holds in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketTotal {
    pub total: Money,
    pub count: i64,
}

/// The debit items of the bucket with their balances as of `$2`/`$3`, positive ones only:
/// `$1` entity, `$2` the as-of day number, `$3` the as-of date, `$4`/`$5` the basis-day range
/// (inclusive, exclusive), `$6` a currency code or ''.
fn bucket_items_sql(basis_day: &str) -> String {
    let columns = "i.id, i.number, i.kind, i.customer_id, i.currency, i.issue_date, i.due_date";
    format!(
        "SELECT * FROM ( \
           SELECT {columns}, i.balance_minor AS balance FROM items i \
           WHERE i.entity_id = $1 AND i.balance_minor > 0 AND i.is_credit = 0 \
             AND i.activity_day <= $2 AND i.{basis_day} >= $4 AND i.{basis_day} < $5 \
           UNION ALL \
           SELECT {columns}, (SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) FROM postings p \
             WHERE p.item_id = i.id AND p.posting_date <= $3) AS balance FROM items i \
           WHERE i.entity_id = $1 AND i.is_credit = 0 AND i.activity_day > i.issue_day \
             AND i.activity_day > $2 AND i.issue_day <= $2 \
             AND i.{basis_day} >= $4 AND i.{basis_day} < $5 \
         ) as_of WHERE balance > 0 AND ($6 = '' OR currency = $6)"
    )
}

/// `sql` (built on [`bucket_items_sql`]) with its first six binds: the entity, the as-of day
/// and date, and the range.
fn bucket_query(sql: String, entity: EntityId, as_of: Date, range: &BucketRange) -> Query {
    let from = range.from.map_or(i64::MIN, day_number);
    let until = range.until.map_or(i64::MAX, day_number);
    let currency = range
        .currency
        .map(|c| c.code().to_string())
        .unwrap_or_default();
    sqlx::query(AssertSqlSafe(sql))
        .bind(entity.0)
        .bind(day_number(as_of))
        .bind(date_text(as_of))
        .bind(from)
        .bind(until)
        .bind(currency)
}

impl Store {
    /// The bucket's items after `after` (due date, id), oldest due first, at most `limit`.
    pub async fn aging_bucket_page(
        &self,
        entity: EntityId,
        as_of: Date,
        range: &BucketRange,
        after: Option<(Date, i64)>,
        limit: i64,
    ) -> StoreResult<Vec<BucketRow>> {
        let (after_due, after_id) = after.map_or((String::new(), 0), |(d, id)| (date_text(d), id));
        let sql = format!(
            "SELECT b.*, c.code, c.name FROM ({}) b JOIN customers c ON c.id = b.customer_id \
             WHERE b.due_date > $7 OR (b.due_date = $7 AND b.id > $8) \
             ORDER BY b.due_date, b.id LIMIT $9",
            bucket_items_sql(basis_day_column(range.basis))
        );
        let rows = bucket_query(sql, entity, as_of, range)
            .bind(after_due)
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
                Ok(BucketRow {
                    item: AgingItem {
                        customer: CustomerId(row.try_get("customer_id")?),
                        item: ItemId(row.try_get("id")?),
                        number: row.try_get("number")?,
                        kind: text_column(row, "items", "kind")?,
                        issue_date: text_column::<Date>(row, "items", "issue_date")?,
                        due_date: text_column::<Date>(row, "items", "due_date")?,
                        balance: money(row.try_get("balance")?, currency),
                    },
                    customer_code: row.try_get("code")?,
                    customer_name: row.try_get("name")?,
                })
            })
            .collect()
    }

    /// What the whole bucket holds per currency, in code order.
    pub async fn aging_bucket_totals(
        &self,
        entity: EntityId,
        as_of: Date,
        range: &BucketRange,
    ) -> StoreResult<Vec<BucketTotal>> {
        let sql = format!(
            "SELECT currency, COUNT(*) AS n, CAST(SUM(balance) AS BIGINT) AS total FROM ({}) b \
             GROUP BY currency ORDER BY currency",
            bucket_items_sql(basis_day_column(range.basis))
        );
        let rows = bucket_query(sql, entity, as_of, range)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
                Ok(BucketTotal {
                    total: money(row.try_get("total")?, currency),
                    count: row.try_get("n")?,
                })
            })
            .collect()
    }
}
