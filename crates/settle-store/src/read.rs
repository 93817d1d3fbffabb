//! Reads: aging, account views, the journal, the trial balance, and the ledger check.
//!
//! The aging is summed inside the engine. An item whose last posting is on or before the as-of
//! date contributes its kept balance; only items touched after that date have their postings
//! re-summed up to it. So the aging as of today reads each open item once, and an aging of the
//! past costs what changed since then.

use std::collections::HashMap;

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use settle_core::accounts::ChartOfAccounts;
use settle_core::aging::{AgingBasis, AgingItem, AgingPolicy, BucketSum, OpenCredit};
use settle_core::customer::Customer;
use settle_core::document::ItemState;
use settle_core::ids::{CustomerId, EntityId, EntryId, ItemId, PaymentId};
use settle_core::journal::{EntryKind, JournalEntry, Posting};
use settle_core::{Date, Money};

use crate::Engine;
use crate::account_view::{account_rows_in_one_statement, customer_summary_on, open_disputes_on};
use crate::codec::{date_text, day_number, money, read_currency, read_date};
use crate::disputes::DisputeRow;
use crate::text_column;
use crate::tx::{account_from_row, entity_row, payment_state};
use crate::{EntityRow, Store, StoreError, StoreResult, parse_column};

use settle_core::payment::PaymentState;

/// One posting of the journal with its entry's header, for export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    pub entry: EntryId,
    pub date: Date,
    pub kind: EntryKind,
    pub memo: String,
    pub reverses: Option<EntryId>,
    pub account: String,
    pub amount: Money,
    pub functional_minor: Option<i64>,
    pub customer_code: Option<String>,
    pub item_number: Option<String>,
    pub payment: Option<PaymentId>,
}

/// What the postings to one account in one currency add up to, as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTotals {
    pub account: String,
    /// Sum of the debit postings.
    pub debits: Money,
    /// Sum of the credit postings, as a positive amount.
    pub credits: Money,
}

/// A line of a customer's activity: how an entry moved what the customer owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityLine {
    pub date: Date,
    pub entry: EntryId,
    pub kind: EntryKind,
    pub memo: String,
    /// The document or payment moved.
    pub reference: String,
    /// Signed: positive raises what the customer owes, negative lowers it.
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub state: PaymentState,
    pub bank_reference: String,
    pub method: String,
}

/// One customer's account: master data, open items, unapplied cash and activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    pub customer: Customer,
    pub open_items: Vec<ItemState>,
    pub unapplied_payments: Vec<PaymentRow>,
    pub activity: Vec<ActivityLine>,
    /// Its subsidiaries (code, name); its parent is `customer.details.parent`.
    pub children: Vec<(String, String)>,
    /// The latest contact-log entries, newest first.
    pub contact_log: Vec<crate::ContactLogRow>,
}

/// How many contact-log entries the account view shows.
pub const CONTACT_LOG_SHOWN: i64 = 10;

/// What the ledger check found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    pub entries: i64,
    pub postings: i64,
    pub items: i64,
    pub payments: i64,
    pub problems: Vec<String>,
}

pub(crate) async fn load_chart(
    conn: &mut AnyConnection,
    entity: EntityId,
) -> StoreResult<ChartOfAccounts> {
    let rows = sqlx::query(
        "SELECT code, name, role, bank_account FROM accounts WHERE entity_id = $1 ORDER BY code",
    )
    .bind(entity.0)
    .fetch_all(conn)
    .await?;
    let accounts = rows
        .iter()
        .map(account_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(ChartOfAccounts::new(accounts)?)
}

pub(crate) async fn load_entry(
    conn: &mut AnyConnection,
    entity: EntityId,
    id: EntryId,
) -> StoreResult<Option<JournalEntry>> {
    let Some(header) = sqlx::query("SELECT kind, entry_date, memo, reverses_id FROM journal_entries WHERE entity_id = $1 AND id = $2")
        .bind(entity.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut entry = JournalEntry::new(
        parse_column(
            "journal_entries",
            "kind",
            &header.try_get::<String, _>("kind")?,
        )?,
        read_date(
            "journal_entries",
            "entry_date",
            &header.try_get::<String, _>("entry_date")?,
        )?,
        header.try_get::<String, _>("memo")?,
    );
    entry.reverses = header
        .try_get::<Option<i64>, _>("reverses_id")?
        .map(EntryId);
    let rows = sqlx::query(
        "SELECT account, currency, amount_minor, functional_minor, customer_id, item_id, payment_id \
         FROM postings WHERE entry_id = $1 ORDER BY line_no",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
        entry.postings.push(Posting {
            account: row.try_get("account")?,
            amount: money(row.try_get("amount_minor")?, currency),
            functional_minor: row.try_get("functional_minor")?,
            customer: row
                .try_get::<Option<i64>, _>("customer_id")?
                .map(CustomerId),
            item: row.try_get::<Option<i64>, _>("item_id")?.map(ItemId),
            payment: row.try_get::<Option<i64>, _>("payment_id")?.map(PaymentId),
        });
    }
    Ok(Some(entry))
}

/// The column of an item's basis day under `basis`.
pub(crate) fn basis_day_column(basis: AgingBasis) -> &'static str {
    match basis {
        AgingBasis::DueDate => "due_day",
        AgingBasis::InvoiceDate => "issue_day",
    }
}

/// Which rows of a subledger table an as-of query reads, and how it gets their balance.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Open now and untouched after the as-of date (the `*_open` index): the kept balance is the
    /// balance as of then.
    Untouched,
    /// Moved after the as-of date, open now or not (the `*_touched` index): postings up to the
    /// as-of date are summed again.
    TouchedSince,
}

/// A parameter of an as-of query.
#[derive(Clone)]
enum Bind {
    Int(i64),
    Text(String),
}

/// Items' balances as of a date, one side (`is_credit`), per customer and currency, as
/// cumulative columns: `c0`… sum the balances whose basis day reaches each bucket floor (floors
/// fall back in time, so each column includes the one before), and the last column sums them
/// all: one comparison per floor per item; [`Store::bucket_rows`] takes the differences.
///
/// Parameters: `$1` entity, `$2` the as-of day number, then the floors as day numbers; then for
/// `Untouched` a half-open customer-id range (so the scan can be split), for `TouchedSince` the
/// as-of date as text (postings are dated in text).
fn items_as_of_sql(rows: Rows, is_credit: bool, basis_day: &str, floors: usize) -> String {
    let columns = |value: &str| -> String {
        (0..floors)
            .map(|k| format!("CAST(SUM(CASE WHEN {basis_day} >= ${} THEN {value} ELSE 0 END) AS BIGINT) AS c{k}", k + 3))
            .chain(std::iter::once(format!("CAST(SUM({value}) AS BIGINT) AS total")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let after_floors = floors + 3;
    match rows {
        // Reads `items_open` (debit items, balance > 0) or `items_credit_open` (balance < 0).
        // `activity_day <= $2` implies the item was issued by then: activity starts on issue.
        Rows::Untouched => format!(
            "SELECT customer_id, currency, {} FROM items \
             WHERE entity_id = $1 AND balance_minor {} 0 \
             AND customer_id >= ${after_floors} AND customer_id < ${} \
             AND activity_day <= $2 GROUP BY customer_id, currency",
            columns("balance_minor"),
            if is_credit { "<" } else { ">" },
            after_floors + 1,
        ),
        Rows::TouchedSince => format!(
            "SELECT customer_id, currency, {} FROM ( \
               SELECT i.customer_id, i.currency, i.{basis_day} AS {basis_day}, \
                 (SELECT COALESCE(SUM(p.amount_minor), 0) FROM postings p \
                  WHERE p.item_id = i.id AND p.posting_date <= ${after_floors}) AS balance \
               FROM items i WHERE i.entity_id = $1 AND i.activity_day > i.issue_day \
               AND i.activity_day > $2 AND i.issue_day <= $2 AND i.is_credit = {} \
             ) as_of WHERE balance {} 0 GROUP BY customer_id, currency",
            columns("balance"),
            i64::from(is_credit),
            if is_credit { "<" } else { ">" },
        ),
    }
}

/// Identified payments' unapplied cash as of `$2`, per customer and currency.
fn payments_as_of_sql(rows: Rows) -> &'static str {
    match rows {
        Rows::Untouched => {
            "SELECT customer_id, currency, CAST(SUM(unapplied_minor) AS BIGINT) AS b0 \
             FROM payments WHERE entity_id = $1 AND unapplied_minor <> 0 AND unapplied_minor > 0 \
             AND last_activity <= $2 AND received_on <= $2 AND customer_id IS NOT NULL \
             GROUP BY customer_id, currency"
        }
        Rows::TouchedSince => {
            "SELECT customer_id, currency, CAST(SUM(unapplied) AS BIGINT) AS b0 FROM ( \
               SELECT m.customer_id, m.currency, \
                 (SELECT -COALESCE(SUM(p.amount_minor), 0) FROM postings p \
                  WHERE p.payment_id = m.id AND p.posting_date <= $2) AS unapplied \
               FROM payments m WHERE m.entity_id = $1 AND m.last_activity > m.received_on \
               AND m.last_activity > $2 AND m.received_on <= $2 AND m.customer_id IS NOT NULL \
             ) as_of WHERE unapplied > 0 GROUP BY customer_id, currency"
        }
    }
}

impl Store {
    pub async fn entity(&self, code: &str) -> StoreResult<EntityRow> {
        let row =
            sqlx::query("SELECT id, code, name, functional_currency FROM entities WHERE code = $1")
                .bind(code.to_string())
                .fetch_optional(self.pool())
                .await?;
        match row {
            Some(row) => entity_row(&row),
            None => Err(StoreError::NoEntity(code.to_string())),
        }
    }

    pub async fn chart(&self, entity: EntityId) -> StoreResult<ChartOfAccounts> {
        let mut conn = self.pool().acquire().await?;
        load_chart(&mut conn, entity).await
    }

    pub async fn setting(&self, entity: EntityId, key: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE entity_id = $1 AND key = $2")
                .bind(entity.0)
                .bind(key.to_string())
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Runs an as-of query (cumulative columns, see [`items_as_of_sql`]) with its parameters
    /// and returns one sum per customer, currency and bucket (`buckets` of them).
    async fn bucket_rows(
        &self,
        sql: String,
        binds: Vec<Bind>,
        buckets: usize,
    ) -> StoreResult<Vec<BucketSum>> {
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for bind in binds {
            query = match bind {
                Bind::Int(value) => query.bind(value),
                Bind::Text(value) => query.bind(value),
            };
        }
        let mut sums = Vec::new();
        for row in query.fetch_all(self.pool()).await? {
            let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
            let customer = CustomerId(row.try_get("customer_id")?);
            // Cumulative columns to buckets: each bucket is its column less the one before.
            let mut before: i64 = 0;
            for bucket in 0..buckets {
                let through: i64 = row.try_get(2 + bucket)?;
                let minor = through - before;
                before = through;
                if minor != 0 {
                    sums.push(BucketSum {
                        customer,
                        currency,
                        bucket,
                        amount: money(minor, currency),
                    });
                }
            }
        }
        Ok(sums)
    }

    /// Customer id ranges (half-open) that split the entity's customers into `parts` runs of
    /// ids, so that a scan ordered by customer can run on several connections at once.
    async fn customer_ranges(&self, entity: EntityId, parts: i64) -> StoreResult<Vec<(i64, i64)>> {
        let (low, high): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT MIN(id), MAX(id) FROM customers WHERE entity_id = $1")
                .bind(entity.0)
                .fetch_one(self.pool())
                .await?;
        let (Some(low), Some(high)) = (low, high) else {
            return Ok(Vec::new());
        };
        let span = high - low + 1;
        let parts = parts.clamp(1, span);
        Ok((0..parts)
            .map(|p| (low + span * p / parts, low + span * (p + 1) / parts))
            .collect())
    }

    /// Open debit items' as-of balances summed per customer, currency and aging bucket. The
    /// scan of the open set is split by customer range over the pool's connections.
    pub async fn aging_bucket_sums(
        &self,
        entity: EntityId,
        policy: &AgingPolicy,
        as_of: Date,
    ) -> StoreResult<Vec<BucketSum>> {
        let floors: Vec<Bind> = policy
            .bucket_floors(as_of)
            .into_iter()
            .map(|f| Bind::Int(day_number(f)))
            .collect();
        let buckets = floors.len() + 1;
        let basis = basis_day_column(policy.basis());
        let head = [Bind::Int(entity.0), Bind::Int(day_number(as_of))];
        let ranges = self
            .customer_ranges(entity, self.read_parallelism())
            .await?;
        let untouched = items_as_of_sql(Rows::Untouched, false, basis, floors.len());
        let touched = items_as_of_sql(Rows::TouchedSince, false, basis, floors.len());
        let scans = ranges
            .into_iter()
            .map(|(from, to)| {
                let binds = head
                    .iter()
                    .chain(&floors)
                    .cloned()
                    .chain([Bind::Int(from), Bind::Int(to)])
                    .collect();
                self.bucket_rows(untouched.clone(), binds, buckets)
            })
            .chain(std::iter::once({
                let binds = head
                    .iter()
                    .chain(&floors)
                    .cloned()
                    .chain([Bind::Text(date_text(as_of))])
                    .collect();
                self.bucket_rows(touched, binds, buckets)
            }));
        let mut sums = Vec::new();
        for part in futures_util::future::join_all(scans).await {
            sums.extend(part?);
        }
        Ok(sums)
    }

    /// Open credits as of a date per customer and currency: unused credit memos and the
    /// unapplied cash of identified payments.
    pub async fn open_credits(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<OpenCredit>> {
        let head = [Bind::Int(entity.0), Bind::Int(day_number(as_of))];
        // A credit memo's as-of balance is negative; one bucket holds them all.
        let memos_untouched = self.bucket_rows(
            items_as_of_sql(Rows::Untouched, true, "due_day", 0),
            head.iter()
                .cloned()
                .chain([Bind::Int(i64::MIN), Bind::Int(i64::MAX)])
                .collect(),
            1,
        );
        let memos_touched = self.bucket_rows(
            items_as_of_sql(Rows::TouchedSince, true, "due_day", 0),
            head.iter()
                .cloned()
                .chain([Bind::Text(date_text(as_of))])
                .collect(),
            1,
        );
        let cash = [Rows::Untouched, Rows::TouchedSince].map(|rows| {
            let binds = vec![Bind::Int(entity.0), Bind::Text(date_text(as_of))];
            self.bucket_rows(payments_as_of_sql(rows).to_string(), binds, 1)
        });
        let (memos, cash) = futures_util::future::join(
            futures_util::future::join(memos_untouched, memos_touched),
            futures_util::future::join_all(cash),
        )
        .await;
        let mut credits = Vec::new();
        for sum in memos.0?.into_iter().chain(memos.1?) {
            credits.push(OpenCredit {
                customer: sum.customer,
                amount: money(-sum.amount.minor(), sum.currency),
            });
        }
        for sum in cash
            .into_iter()
            .collect::<StoreResult<Vec<_>>>()?
            .into_iter()
            .flatten()
        {
            credits.push(OpenCredit {
                customer: sum.customer,
                amount: sum.amount,
            });
        }
        Ok(credits)
    }

    /// Unapplied cash of payments whose payer is not identified yet, per currency, as of a date.
    pub async fn unidentified_cash(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<Money>> {
        let rows = sqlx::query(
            "SELECT pm.currency, CAST(SUM(-p.amount_minor) AS BIGINT) AS cash FROM payments pm \
             JOIN postings p ON p.payment_id = pm.id \
             WHERE pm.entity_id = $1 AND pm.customer_id IS NULL AND p.posting_date <= $2 \
             GROUP BY pm.currency HAVING SUM(p.amount_minor) <> 0 ORDER BY pm.currency",
        )
        .bind(entity.0)
        .bind(date_text(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
                Ok(money(row.try_get("cash")?, currency))
            })
            .collect()
    }

    /// Every open item (debit and credit) with its balance as of a date, for the detail aging.
    pub async fn aging_items(&self, entity: EntityId, as_of: Date) -> StoreResult<Vec<AgingItem>> {
        self.aging_items_of(entity, None, as_of).await
    }

    /// One customer's open items (debit and credit) with their balances as of a date, read
    /// through the customer index: a statement or a portal page for one customer.
    pub async fn customer_aging_items(
        &self,
        entity: EntityId,
        customer: CustomerId,
        as_of: Date,
    ) -> StoreResult<Vec<AgingItem>> {
        self.aging_items_of(entity, Some(customer), as_of).await
    }

    async fn aging_items_of(
        &self,
        entity: EntityId,
        customer: Option<CustomerId>,
        as_of: Date,
    ) -> StoreResult<Vec<AgingItem>> {
        // Two statements rather than "any customer or this one", which no index serves.
        let of_customer = if customer.is_some() {
            " AND i.customer_id = $4"
        } else {
            ""
        };
        let resummed = "(SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) FROM postings p \
                        WHERE p.item_id = i.id AND p.posting_date <= $2)";
        let mut items = Vec::new();
        for (balance, filter) in [
            (
                "i.balance_minor",
                "i.balance_minor <> 0 AND i.activity_day <= $3",
            ),
            (
                resummed,
                "i.activity_day > i.issue_day AND i.activity_day > $3",
            ),
        ] {
            let sql = format!(
                "SELECT * FROM (SELECT i.id, i.number, i.kind, i.customer_id, i.currency, i.issue_date, \
                   i.due_date, {balance} AS balance FROM items i \
                   WHERE i.entity_id = $1 AND {filter} AND i.issue_date <= $2{of_customer}) as_of \
                 WHERE balance <> 0"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(entity.0)
                .bind(date_text(as_of))
                .bind(day_number(as_of));
            if let Some(customer) = customer {
                query = query.bind(customer.0);
            }
            let rows = query.fetch_all(self.pool()).await?;
            for row in &rows {
                let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
                items.push(AgingItem {
                    customer: CustomerId(row.try_get("customer_id")?),
                    item: ItemId(row.try_get("id")?),
                    number: row.try_get("number")?,
                    kind: text_column(row, "items", "kind")?,
                    issue_date: text_column::<Date>(row, "items", "issue_date")?,
                    due_date: text_column::<Date>(row, "items", "due_date")?,
                    balance: money(row.try_get("balance")?, currency),
                });
            }
        }
        items.sort_by(|a, b| {
            (a.customer, a.due_date, a.item).cmp(&(b.customer, b.due_date, b.item))
        });
        Ok(items)
    }

    /// The obvious aging: one SQL query that sums every posting up to the as-of date per item
    /// and buckets by due date. Kept as the benchmark's baseline and as a cross-check in tests;
    /// it must agree with [`Store::aging_bucket_sums`] to the cent.
    pub async fn aging_by_one_query(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<BucketSum>> {
        let policy = AgingPolicy::standard(AgingBasis::DueDate);
        let floors = policy.bucket_floors(as_of);
        let sql = "SELECT i.customer_id, i.currency, \
               CASE WHEN i.due_date >= $3 THEN 0 WHEN i.due_date >= $4 THEN 1 WHEN i.due_date >= $5 THEN 2 \
                    WHEN i.due_date >= $6 THEN 3 ELSE 4 END AS bucket, \
               CAST(SUM(b.balance) AS BIGINT) AS amount \
             FROM items i JOIN (SELECT item_id, SUM(amount_minor) AS balance FROM postings \
               WHERE entity_id = $1 AND item_id IS NOT NULL AND posting_date <= $2 GROUP BY item_id) b \
               ON b.item_id = i.id \
             WHERE i.kind <> 'credit_memo' AND i.issue_date <= $2 AND b.balance > 0 \
             GROUP BY i.customer_id, i.currency, bucket";
        let mut query = sqlx::query(sql).bind(entity.0).bind(date_text(as_of));
        for floor in &floors {
            query = query.bind(date_text(*floor));
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("items", &row.try_get::<String, _>("currency")?)?;
                Ok(BucketSum {
                    customer: CustomerId(row.try_get("customer_id")?),
                    currency,
                    bucket: row.try_get::<i64, _>("bucket")? as usize,
                    amount: money(row.try_get("amount")?, currency),
                })
            })
            .collect()
    }

    /// A payment's state, read outside any write transaction.
    pub async fn payment(
        &self,
        entity: EntityId,
        id: PaymentId,
    ) -> StoreResult<Option<PaymentState>> {
        let row = sqlx::query(
            "SELECT id, customer_id, currency, received_on, amount_minor, unapplied_minor \
             FROM payments WHERE entity_id = $1 AND id = $2",
        )
        .bind(entity.0)
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| payment_state(&row)).transpose()
    }

    /// Customer id → (code, name), for reports.
    pub async fn customer_names(
        &self,
        entity: EntityId,
    ) -> StoreResult<HashMap<CustomerId, (String, String)>> {
        let rows = sqlx::query("SELECT id, code, name FROM customers WHERE entity_id = $1")
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("id")?),
                    (row.try_get("code")?, row.try_get("name")?),
                ))
            })
            .collect()
    }

    /// One customer's summary, read in one transaction so that its parts agree.
    pub async fn customer_summary(
        &self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<CustomerSummary>> {
        let mut tx = self.begin_read().await?;
        let summary = customer_summary_on(tx.conn(), entity, code).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// What an account view shows — the customer's summary and its active disputes — as one
    /// snapshot: on SQLite in one statement (`account_view.rs` says why), on PostgreSQL part by
    /// part in one read transaction.
    pub async fn account_rows(
        &self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<(CustomerSummary, Vec<DisputeRow>)>> {
        match self.engine {
            Engine::Sqlite => {
                let mut conn = self.pool().acquire().await?;
                account_rows_in_one_statement(&mut conn, entity, code).await
            }
            Engine::Postgres => self.account_rows_by_parts(entity, code).await,
        }
    }

    /// [`Store::account_rows`] read part by part in one read transaction, on either engine:
    /// the form the one-statement read is checked against.
    #[doc(hidden)]
    pub async fn account_rows_by_parts(
        &self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<(CustomerSummary, Vec<DisputeRow>)>> {
        let mut tx = self.begin_read().await?;
        let Some(summary) = customer_summary_on(tx.conn(), entity, code).await? else {
            return Ok(None);
        };
        let disputes = open_disputes_on(tx.conn(), entity, summary.customer.id).await?;
        tx.commit().await?;
        Ok(Some((summary, disputes)))
    }

    /// The journal between two dates (inclusive), entry by entry, posting by posting.
    pub async fn journal(
        &self,
        entity: EntityId,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<JournalLine>> {
        let rows = sqlx::query(
            "SELECT e.id, e.entry_date, e.kind, e.memo, e.reverses_id, p.account, p.currency, p.amount_minor, \
               p.functional_minor, c.code AS customer_code, i.number AS item_number, p.payment_id \
             FROM journal_entries e JOIN postings p ON p.entry_id = e.id \
             LEFT JOIN customers c ON c.id = p.customer_id LEFT JOIN items i ON i.id = p.item_id \
             WHERE e.entity_id = $1 AND e.entry_date >= $2 AND e.entry_date <= $3 ORDER BY e.entry_date, e.id, p.line_no",
        )
        .bind(entity.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
                Ok(JournalLine {
                    entry: EntryId(row.try_get("id")?),
                    date: text_column::<Date>(row, "journal_entries", "entry_date")?,
                    kind: text_column(row, "journal_entries", "kind")?,
                    memo: row.try_get("memo")?,
                    reverses: row.try_get::<Option<i64>, _>("reverses_id")?.map(EntryId),
                    account: row.try_get("account")?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    functional_minor: row.try_get("functional_minor")?,
                    customer_code: row.try_get("customer_code")?,
                    item_number: row.try_get("item_number")?,
                    payment: row.try_get::<Option<i64>, _>("payment_id")?.map(PaymentId),
                })
            })
            .collect()
    }

    /// Debits and credits per account and currency of the entries dated on or before `as_of`,
    /// ordered by account code and currency. Debits and credits are summed apart (not netted)
    /// so that the trial balance shows the turnover; the sums are cast because PostgreSQL sums
    /// BIGINT into NUMERIC.
    pub async fn trial_balance(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<AccountTotals>> {
        let rows = sqlx::query(
            "SELECT p.account, p.currency, \
               CAST(SUM(CASE WHEN p.amount_minor > 0 THEN p.amount_minor ELSE 0 END) AS BIGINT) AS debits, \
               CAST(SUM(CASE WHEN p.amount_minor < 0 THEN -p.amount_minor ELSE 0 END) AS BIGINT) AS credits \
             FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
             WHERE p.entity_id = $1 AND e.entity_id = $1 AND e.entry_date <= $2 \
             GROUP BY p.account, p.currency ORDER BY p.account, p.currency",
        )
        .bind(entity.0)
        .bind(date_text(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
                Ok(AccountTotals {
                    account: row.try_get("account")?,
                    debits: money(row.try_get("debits")?, currency),
                    credits: money(row.try_get("credits")?, currency),
                })
            })
            .collect()
    }

    /// Recomputes everything the store keeps beside the postings and checks the ledger's
    /// invariants: every entry balances; each item's and payment's kept balance equals the sum
    /// of its postings and is on the right side of zero; A/R control equals the open items;
    /// Unapplied cash equals the payments' unapplied amounts.
    pub async fn verify(&self, entity: EntityId) -> StoreResult<VerifyReport> {
        let chart = self.chart(entity).await?;
        let ar = chart
            .code(settle_core::accounts::AccountRole::ArControl)
            .to_string();
        let unapplied = chart
            .code(settle_core::accounts::AccountRole::UnappliedCash)
            .to_string();
        let mut report = VerifyReport::default();
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(entity.0)
                .fetch_one(self.pool())
                .await
        };
        report.entries = count("SELECT COUNT(*) FROM journal_entries WHERE entity_id = $1").await?;
        report.postings = count("SELECT COUNT(*) FROM postings WHERE entity_id = $1").await?;
        report.items = count("SELECT COUNT(*) FROM items WHERE entity_id = $1").await?;
        report.payments = count("SELECT COUNT(*) FROM payments WHERE entity_id = $1").await?;
        let checks: [(&str, String); 9] = [
            (
                "postings without their entry",
                "SELECT CAST(p.entry_id AS TEXT) FROM postings p LEFT JOIN journal_entries e ON e.id = p.entry_id \
                 WHERE p.entity_id = $1 AND e.id IS NULL"
                    .to_string(),
            ),
            (
                "entries that do not balance",
                "SELECT CAST(entry_id AS TEXT) || ' ' || currency FROM postings WHERE entity_id = $1 \
                 GROUP BY entry_id, currency HAVING SUM(amount_minor) <> 0"
                    .to_string(),
            ),
            (
                "items whose kept balance differs from their postings",
                "SELECT i.number FROM items i LEFT JOIN (SELECT item_id, SUM(amount_minor) AS s FROM postings \
                 WHERE entity_id = $1 AND item_id IS NOT NULL GROUP BY item_id) p ON p.item_id = i.id \
                 WHERE i.entity_id = $1 AND i.balance_minor <> COALESCE(p.s, 0)"
                    .to_string(),
            ),
            (
                "payments whose kept unapplied amount differs from their postings",
                "SELECT CAST(m.id AS TEXT) FROM payments m LEFT JOIN (SELECT payment_id, SUM(amount_minor) AS s \
                 FROM postings WHERE entity_id = $1 AND payment_id IS NOT NULL GROUP BY payment_id) p \
                 ON p.payment_id = m.id WHERE m.entity_id = $1 AND m.unapplied_minor <> -COALESCE(p.s, 0)"
                    .to_string(),
            ),
            (
                "items whose kept dunning level or day differs from their dunning history",
                "SELECT i.number FROM items i LEFT JOIN (SELECT h.item_id, MAX(h.level) AS level, MAX(a.run_on) AS run_on \
                 FROM dunning_action_items h JOIN dunning_actions a ON a.id = h.action_id \
                 WHERE h.entity_id = $1 GROUP BY h.item_id) d ON d.item_id = i.id \
                 WHERE i.entity_id = $1 AND (i.dun_level <> COALESCE(d.level, 0) OR i.dun_on <> COALESCE(d.run_on, ''))"
                    .to_string(),
            ),
            (
                "items on the wrong side of zero",
                "SELECT number FROM items WHERE entity_id = $1 AND ((kind <> 'credit_memo' AND balance_minor < 0) \
                 OR (kind = 'credit_memo' AND balance_minor > 0))"
                    .to_string(),
            ),
            (
                "payments with negative unapplied cash",
                "SELECT CAST(id AS TEXT) FROM payments WHERE entity_id = $1 AND unapplied_minor < 0".to_string(),
            ),
            (
                "A/R control postings without an open item",
                format!("SELECT CAST(entry_id AS TEXT) FROM postings WHERE entity_id = $1 AND account = '{}' AND item_id IS NULL", ar.replace('\'', "''")),
            ),
            (
                "Unapplied-cash postings without a payment",
                format!("SELECT CAST(entry_id AS TEXT) FROM postings WHERE entity_id = $1 AND account = '{}' AND payment_id IS NULL", unapplied.replace('\'', "''")),
            ),
        ];
        for (what, sql) in checks {
            let found: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!("{sql} LIMIT 20")))
                .bind(entity.0)
                .fetch_all(self.pool())
                .await?;
            if !found.is_empty() {
                report
                    .problems
                    .push(format!("{what}: {}", found.join(", ")));
            }
        }
        // Postings that name an item or payment belong to A/R control or Unapplied cash only.
        let misplaced: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM postings WHERE entity_id = $1 AND \
             ((item_id IS NOT NULL AND account <> $2) OR (payment_id IS NOT NULL AND account <> $3))",
        )
        .bind(entity.0)
        .bind(ar.clone())
        .bind(unapplied.clone())
        .fetch_one(self.pool())
        .await?;
        if misplaced > 0 {
            report
                .problems
                .push(format!("{misplaced} subledger postings on other accounts"));
        }
        // PostgreSQL enforces every declared reference; SQLite's bulk loads do not (see
        // `Store::begin_bulk`), so its references are checked here, in all tables.
        if self.engine == Engine::Sqlite {
            let dangling: Vec<String> = sqlx::query_scalar(
                "SELECT \"table\" || ' row ' || CAST(rowid AS TEXT) || ' names a missing ' || parent \
                 FROM pragma_foreign_key_check LIMIT 20",
            )
            .fetch_all(self.pool())
            .await?;
            if !dangling.is_empty() {
                report.problems.push(format!(
                    "rows whose references are missing: {}",
                    dangling.join(", ")
                ));
            }
        }
        Ok(report)
    }
}
