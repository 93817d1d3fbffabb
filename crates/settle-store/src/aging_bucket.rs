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

const COLUMNS: &str =
    "i.id, i.number, i.kind, i.customer_id, i.currency, i.issue_date, i.due_date, i.due_day";

/// The bucket's items whose kept balance is their balance as of the day (nothing posted to
/// them since): `$1` entity, `$2` the as-of day number, `$4`/`$5` the basis-day range
/// (inclusive, exclusive), `$6` a currency code or ''; `and` narrows it further. The index
/// `items_open_by_due` holds every column it filters on, so that a bucket is summed without
/// reading the items themselves. A positive balance is a debit item's (a credit memo's balance
/// is never above zero, which `verify` checks), so the item's kind is not asked: the index does
/// not hold it, and holding it would make it cover, and so win, per-customer queries it cannot
/// serve by customer.
fn kept_part(basis_day: &str, and: &str) -> String {
    format!(
        "SELECT {COLUMNS}, i.balance_minor AS balance FROM items i \
         WHERE i.entity_id = $1 AND i.balance_minor > 0 \
           AND i.activity_day <= $2 AND i.{basis_day} >= $4 AND i.{basis_day} < $5 \
           AND ($6 = '' OR i.currency = $6){and}"
    )
}

/// The bucket's items posted to after the day, their balance as of it (`$3`, the as-of date)
/// summed again from their postings; the binds as in [`kept_part`].
fn resummed_part(basis_day: &str, and: &str) -> String {
    format!(
        "SELECT * FROM ( \
           SELECT {COLUMNS}, (SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) FROM postings p \
             WHERE p.item_id = i.id AND p.posting_date <= $3) AS balance FROM items i \
           WHERE i.entity_id = $1 AND i.is_credit = 0 AND i.activity_day > i.issue_day \
             AND i.activity_day > $2 AND i.issue_day <= $2 \
             AND i.{basis_day} >= $4 AND i.{basis_day} < $5 AND ($6 = '' OR i.currency = $6){and} \
         ) touched WHERE balance > 0"
    )
}

/// Every debit item of the bucket with a positive balance as of the day.
fn bucket_items_sql(basis_day: &str) -> String {
    format!(
        "{} UNION ALL {}",
        kept_part(basis_day, ""),
        resummed_part(basis_day, "")
    )
}

/// `sql` (built on [`kept_part`] and [`resummed_part`]) with its first six binds: the entity, the as-of day
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
        let (after_day, after_id) = after.map_or((i64::MIN, 0), |(d, id)| (day_number(d), id));
        // Each part is cut at the page's length before the two are merged, so that the kept
        // part is read in the index's (due day, id) order and stops there: a bucket holding
        // most of the book costs a page, not the bucket.
        let basis_day = basis_day_column(range.basis);
        let after = " AND (i.due_day, i.id) > ($7, $8)";
        let sql = format!(
            "SELECT b.*, c.code, c.name FROM ( \
               SELECT * FROM ({} ORDER BY i.due_day, i.id LIMIT $9) kept \
               UNION ALL SELECT * FROM ({}) touched \
             ) b JOIN customers c ON c.id = b.customer_id \
             ORDER BY b.due_day, b.id LIMIT $9",
            kept_part(basis_day, after),
            resummed_part(basis_day, after)
        );
        let rows = bucket_query(sql, entity, as_of, range)
            .bind(after_day)
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
