//! The open items behind one cell of the aging: a bucket, for every customer or one, in
//! pages. The items are aged by the same rule as the aging's detail, so the totals of a
//! bucket's items are the aging's figures for that bucket. A bucket of the whole book is
//! paged and summed by the store over the bucket's range of basis dates; one customer's is
//! aged here from that customer's items.

use std::collections::BTreeMap;

use serde::Serialize;

use settle_core::aging::{self, AgingPolicy};
use settle_core::{Currency, Date, Money};
use settle_store::BucketRange;

use crate::error::invalid;
use crate::listing::{DEFAULT_PAGE, MAX_PAGE, Page};
use crate::{ServiceResult, Settle};

/// Which cell of the aging to open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketQuery {
    /// The bucket's position, 0 being current.
    pub bucket: usize,
    /// One customer's items, by code.
    pub customer: Option<String>,
    pub currency: Option<Currency>,
    /// The `next` key of the page before.
    pub after: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketItem {
    pub number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub due_date: Date,
    pub days_past_due: i64,
    pub open: Money,
}

/// A page of a bucket's items with the totals of every item in it, not only the page's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketItems {
    pub as_of: Date,
    pub label: String,
    pub labels: Vec<String>,
    pub page: Page<BucketItem>,
    /// One per currency, in code order.
    pub totals: Vec<Money>,
    pub count: usize,
}

/// Oldest due date first; the item's id breaks ties, so the key is unique.
type SortKey = (Date, i64);

fn key_text((due, id): SortKey) -> String {
    format!("{due}_{id}")
}

fn parse_key(text: &str) -> ServiceResult<SortKey> {
    let unreadable = || invalid("after", format!("{text:?} is not a key this list gave"));
    let (due, id) = text.split_once('_').ok_or_else(unreadable)?;
    Ok((
        due.parse().map_err(|_| unreadable())?,
        id.parse().map_err(|_| unreadable())?,
    ))
}

impl Settle {
    /// The items of one aging bucket as of `as_of`, a page at a time.
    pub async fn aging_bucket_items(
        &self,
        policy: &AgingPolicy,
        as_of: Date,
        query: &BucketQuery,
    ) -> ServiceResult<BucketItems> {
        let labels = policy.bucket_labels();
        let label = labels.get(query.bucket).cloned().ok_or_else(|| {
            invalid(
                "bucket",
                format!(
                    "{} is not a bucket: 0 ({}) to {}",
                    query.bucket,
                    labels.first().map_or("", String::as_str),
                    labels.len().saturating_sub(1)
                ),
            )
        })?;
        let after = query.after.as_deref().map(parse_key).transpose()?;
        let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
        let (page, totals, count) = match &query.customer {
            Some(code) => {
                self.customer_bucket(policy, as_of, query, code, after, limit)
                    .await?
            }
            None => self.book_bucket(policy, as_of, query, after, limit).await?,
        };
        Ok(BucketItems {
            as_of,
            label,
            labels,
            page,
            totals,
            count,
        })
    }

    /// A bucket of the whole book, paged by the store: the page's items, and the bucket's
    /// totals and count summed over the range, never the whole book in memory.
    async fn book_bucket(
        &self,
        policy: &AgingPolicy,
        as_of: Date,
        query: &BucketQuery,
        after: Option<SortKey>,
        limit: usize,
    ) -> ServiceResult<(Page<BucketItem>, Vec<Money>, usize)> {
        let entity = self.entity().id;
        let store = self.store();
        let (from, until) = policy.bucket_range(as_of, query.bucket);
        let range = BucketRange {
            basis: policy.basis(),
            from,
            until,
            currency: query.currency,
        };
        let (rows, totals) = futures_util::future::join(
            store.aging_bucket_page(entity, as_of, &range, after, limit as i64 + 1),
            store.aging_bucket_totals(entity, as_of, &range),
        )
        .await;
        let rows = rows?;
        let totals = totals?;
        let next = (rows.len() > limit).then(|| {
            let last = &rows[limit - 1].item;
            key_text((last.due_date, last.item.0))
        });
        let items = rows
            .into_iter()
            .take(limit)
            .map(|row| BucketItem {
                days_past_due: aging::days_past(policy, &row.item, as_of),
                number: row.item.number,
                customer_id: row.customer_code,
                customer_name: row.customer_name,
                due_date: row.item.due_date,
                open: row.item.balance,
            })
            .collect();
        let count = totals.iter().map(|t| t.count as usize).sum();
        Ok((
            Page { items, next },
            totals.into_iter().map(|t| t.total).collect(),
            count,
        ))
    }

    /// A bucket of one customer: that customer's items aged here, as the detail aging ages
    /// them.
    async fn customer_bucket(
        &self,
        policy: &AgingPolicy,
        as_of: Date,
        query: &BucketQuery,
        code: &str,
        after: Option<SortKey>,
        limit: usize,
    ) -> ServiceResult<(Page<BucketItem>, Vec<Money>, usize)> {
        let detail = self.customer_aging_detail(policy, as_of, code).await?;
        let mut lines: Vec<_> = detail
            .lines
            .into_iter()
            .filter(|line| line.bucket == query.bucket)
            .filter(|line| {
                query
                    .currency
                    .is_none_or(|c| line.item.balance.currency() == c)
            })
            .collect();
        let mut totals: BTreeMap<String, Money> = BTreeMap::new();
        for line in &lines {
            let balance = line.item.balance;
            let total = totals
                .entry(balance.currency().code().to_string())
                .or_insert_with(|| Money::zero(balance.currency()));
            *total = total.checked_add(balance)?;
        }
        let count = lines.len();
        let key =
            |line: &settle_core::aging::AgingDetailLine| (line.item.due_date, line.item.item.0);
        lines.sort_by_key(key);
        let rest: Vec<_> = lines
            .into_iter()
            .filter(|line| after.is_none_or(|after| key(line) > after))
            .take(limit + 1)
            .collect();
        let next = (rest.len() > limit).then(|| key_text(key(&rest[limit - 1])));
        let items = rest
            .into_iter()
            .take(limit)
            .map(|line| {
                let (code, name) = detail
                    .names
                    .get(&line.item.customer)
                    .cloned()
                    .unwrap_or_default();
                BucketItem {
                    number: line.item.number,
                    customer_id: code,
                    customer_name: name,
                    due_date: line.item.due_date,
                    days_past_due: line.days_past_due,
                    open: line.item.balance,
                }
            })
            .collect();
        Ok((Page { items, next }, totals.into_values().collect(), count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keys_read_back_and_refuse_what_they_did_not_give() {
        let key = (Date::constant(2026, 3, 31), 42);
        assert_eq!(parse_key(&key_text(key)).unwrap(), key);
        assert!(parse_key("42").is_err());
        assert!(parse_key("2026-13-01_4").is_err());
    }
}
