//! Month-end close: the fiscal calendar, the period lock, the close log, users and their
//! roles, frozen agings and the bad-debt reserve's records.
//!
//! The lock is one row per entity (`period_locks`). Every posting transaction reads it first,
//! on PostgreSQL with `FOR SHARE`, and closing or reopening a period updates it: so a posting
//! that began before a close either commits before the close can take the row, or waits and
//! then sees the new lock. On SQLite writers are serialised anyway.

use settle_core::ids::{CustomerId, EntityId, EntryId};
use settle_core::period::{Calendar, Lock, Period};
use settle_core::{Currency, Date, Money};
use sqlx::Row;

use crate::codec::{date_text, money, now, read_currency};
use crate::{Engine, Store, StoreResult, Tx, text_column};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodCloseRow {
    pub period: Period,
    pub closed_at: String,
    pub closed_by: String,
    /// The checklist as it stood when the period closed (JSON).
    pub checklist: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodLogRow {
    pub id: i64,
    pub period: String,
    pub action: String,
    pub actor: String,
    pub reason: String,
    pub detail: String,
    pub at: String,
}

/// A user's columns as [`user_from`] reads them (the password hash only as present or not).
macro_rules! user_columns {
    () => {
        "id, name, full_name, role, \
         CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, \
         disabled_at"
    };
}
pub(crate) use user_columns;
const USER_BY_NAME: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE name = $1");
const USERS_BY_NAME: &str = concat!("SELECT ", user_columns!(), " FROM users ORDER BY name");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub full_name: String,
    pub role: String,
    /// Whether a password is set (the hash itself never leaves the store but to be checked).
    pub has_password: bool,
    /// When the user was disabled: they can then neither sign in nor use their tokens.
    pub disabled_at: Option<String>,
}

/// One open item of a frozen aging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotItem {
    pub customer_code: String,
    pub kind: String,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub days_past: i64,
    pub bucket: String,
    pub balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingSnapshotRow {
    pub period: String,
    pub as_of: Date,
    pub taken_at: String,
    /// The summary report as it was printed (JSON).
    pub report: String,
    pub items: i64,
    /// SHA-256 of the summary as stored.
    pub checksum: String,
    /// SHA-256 of the items, in order.
    pub items_checksum: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecificReserveRow {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub amount: Money,
    pub reason: String,
    pub effective_on: Date,
    pub set_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRunRow {
    pub id: i64,
    pub period: String,
    pub as_of: Date,
    pub method: String,
    pub required: Money,
    pub previous: Money,
    pub adjustment: Money,
    pub entry: Option<EntryId>,
    pub detail: String,
    pub created_by: String,
    pub created_at: String,
}

fn lock_from(period: Option<String>, through: Option<String>) -> StoreResult<Option<Lock>> {
    match (period, through) {
        (Some(period), Some(through)) => Ok(Some(Lock {
            period,
            through: crate::codec::read_date("period_locks", "through", &through)?,
        })),
        _ => Ok(None),
    }
}

fn period_from(row: &sqlx::any::AnyRow, table: &'static str) -> StoreResult<Period> {
    Ok(Period {
        name: row.try_get("name")?,
        start: text_column(row, table, "start_date")?,
        end: text_column(row, table, "end_date")?,
    })
}

async fn read_calendar(conn: &mut sqlx::AnyConnection, entity: EntityId) -> StoreResult<Calendar> {
    let rows = sqlx::query(
        "SELECT name, start_date, end_date FROM fiscal_periods WHERE entity_id = $1 ORDER BY start_date",
    )
    .bind(entity.0)
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(Calendar::Months);
    }
    let periods = rows
        .iter()
        .map(|row| period_from(row, "fiscal_periods"))
        .collect::<StoreResult<Vec<_>>>()?;
    Calendar::fiscal(periods).map_err(|e| crate::StoreError::Corrupt {
        table: "fiscal_periods",
        column: "start_date",
        value: String::new(),
        reason: e.to_string(),
    })
}

impl Tx {
    /// The lock, read so that a concurrent close waits for this transaction (and this one for
    /// a close in flight).
    pub async fn period_lock(&mut self, entity: EntityId) -> StoreResult<Option<Lock>> {
        if let Some(lock) = &self.period_lock {
            return Ok(lock.clone());
        }
        let sql = match self.engine {
            Engine::Postgres => {
                "SELECT period, through FROM period_locks WHERE entity_id = $1 FOR SHARE"
            }
            Engine::Sqlite => "SELECT period, through FROM period_locks WHERE entity_id = $1",
        };
        let row = sqlx::query(sql)
            .bind(entity.0)
            .fetch_optional(self.conn())
            .await?;
        let lock = match row {
            Some(row) => lock_from(row.try_get("period")?, row.try_get("through")?)?,
            None => None,
        };
        self.period_lock = Some(lock.clone());
        Ok(lock)
    }

    /// Moves the lock (taking the row for the rest of the transaction).
    pub async fn set_period_lock(
        &mut self,
        entity: EntityId,
        lock: Option<&Lock>,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE period_locks SET period = $2, through = $3, changed_at = $4 WHERE entity_id = $1",
        )
        .bind(entity.0)
        .bind(lock.map(|l| l.period.clone()))
        .bind(lock.map(|l| date_text(l.through)))
        .bind(now())
        .execute(self.conn())
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO period_locks (entity_id, period, through, changed_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(entity.0)
            .bind(lock.map(|l| l.period.clone()))
            .bind(lock.map(|l| date_text(l.through)))
            .bind(now())
            .execute(self.conn())
            .await?;
        }
        self.period_lock = Some(lock.cloned());
        Ok(())
    }

    pub async fn calendar(&mut self, entity: EntityId) -> StoreResult<Calendar> {
        read_calendar(self.conn(), entity).await
    }

    /// Replaces the fiscal calendar (none: calendar months).
    pub async fn set_calendar(&mut self, entity: EntityId, periods: &[Period]) -> StoreResult<()> {
        sqlx::query("DELETE FROM fiscal_periods WHERE entity_id = $1")
            .bind(entity.0)
            .execute(self.conn())
            .await?;
        for period in periods {
            sqlx::query(
                "INSERT INTO fiscal_periods (entity_id, name, start_date, end_date) VALUES ($1, $2, $3, $4)",
            )
            .bind(entity.0)
            .bind(period.name.clone())
            .bind(date_text(period.start))
            .bind(date_text(period.end))
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn insert_period_close(
        &mut self,
        entity: EntityId,
        period: &Period,
        closed_by: &str,
        checklist: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO period_closes (entity_id, period, start_date, end_date, closed_at, closed_by, checklist) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entity.0)
        .bind(period.name.clone())
        .bind(date_text(period.start))
        .bind(date_text(period.end))
        .bind(now())
        .bind(closed_by.to_string())
        .bind(checklist.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn delete_period_close(&mut self, entity: EntityId, period: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM period_closes WHERE entity_id = $1 AND period = $2")
            .bind(entity.0)
            .bind(period.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// The earliest period still closed.
    pub async fn first_closed_period(&mut self, entity: EntityId) -> StoreResult<Option<Period>> {
        let row = sqlx::query(
            "SELECT period AS name, start_date, end_date FROM period_closes WHERE entity_id = $1 \
             ORDER BY start_date LIMIT 1",
        )
        .bind(entity.0)
        .fetch_optional(self.conn())
        .await?;
        row.map(|row| period_from(&row, "period_closes"))
            .transpose()
    }

    pub async fn log_period_action(
        &mut self,
        entity: EntityId,
        period: &str,
        action: &str,
        actor: &str,
        reason: &str,
        detail: &str,
    ) -> StoreResult<()> {
        let id = self.allocate("period_log", 1).await?;
        sqlx::query(
            "INSERT INTO period_log (id, entity_id, period, action, actor, reason, detail, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(period.to_string())
        .bind(action.to_string())
        .bind(actor.to_string())
        .bind(reason.to_string())
        .bind(detail.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn insert_user(
        &mut self,
        name: &str,
        full_name: &str,
        role: &str,
    ) -> StoreResult<i64> {
        let id = self.allocate("users", 1).await?;
        sqlx::query(
            "INSERT INTO users (id, name, full_name, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(name.to_string())
        .bind(full_name.to_string())
        .bind(role.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    pub async fn user(&mut self, name: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(USER_BY_NAME)
            .bind(name.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| user_from(&row)).transpose()
    }

    /// Freezes an aging: the summary as printed and every open item behind it.
    pub async fn insert_aging_snapshot(
        &mut self,
        entity: EntityId,
        period: &str,
        as_of: Date,
        report: &str,
        items: &[SnapshotItem],
        checksums: (&str, &str),
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM aging_snapshot_items WHERE entity_id = $1 AND period = $2")
            .bind(entity.0)
            .bind(period.to_string())
            .execute(self.conn())
            .await?;
        sqlx::query("DELETE FROM aging_snapshots WHERE entity_id = $1 AND period = $2")
            .bind(entity.0)
            .bind(period.to_string())
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO aging_snapshots (entity_id, period, as_of, taken_at, report, items, checksum, items_checksum) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entity.0)
        .bind(period.to_string())
        .bind(date_text(as_of))
        .bind(now())
        .bind(report.to_string())
        .bind(items.len() as i64)
        .bind(checksums.0.to_string())
        .bind(checksums.1.to_string())
        .execute(self.conn())
        .await?;
        // Multi-row inserts of bound values: 11 parameters a row stays under every engine's
        // parameter limit at 500 rows.
        const COLUMNS: usize = 11;
        for (chunk_no, chunk) in items.chunks(500).enumerate() {
            let mut sql = String::from(
                "INSERT INTO aging_snapshot_items (entity_id, period, line_no, customer_code, kind, number, \
                 currency, issue_date, due_date, days_past, bucket, balance_minor) VALUES ",
            );
            for row in 0..chunk.len() {
                if row > 0 {
                    sql.push(',');
                }
                sql.push_str("($1, $2");
                for column in 0..COLUMNS - 1 {
                    sql.push_str(&format!(", ${}", 3 + row * (COLUMNS - 1) + column));
                }
                sql.push(')');
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(entity.0)
                .bind(period.to_string());
            for (offset, item) in chunk.iter().enumerate() {
                query = query
                    .bind((chunk_no * 500 + offset) as i64)
                    .bind(item.customer_code.clone())
                    .bind(item.kind.clone())
                    .bind(item.number.clone())
                    .bind(item.balance.currency().code().to_string())
                    .bind(date_text(item.issue_date))
                    .bind(date_text(item.due_date))
                    .bind(item.days_past)
                    .bind(item.bucket.clone())
                    .bind(item.balance.minor());
            }
            query.execute(self.conn()).await?;
        }
        Ok(())
    }

    pub async fn insert_specific_reserve(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
        amount: Money,
        reason: &str,
        effective_on: Date,
        set_by: &str,
    ) -> StoreResult<i64> {
        let id = self.allocate("specific_reserves", 1).await?;
        sqlx::query(
            "INSERT INTO specific_reserves (id, entity_id, customer_id, currency, amount_minor, reason, effective_on, set_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(customer.0)
        .bind(amount.currency().code().to_string())
        .bind(amount.minor())
        .bind(reason.to_string())
        .bind(date_text(effective_on))
        .bind(set_by.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_reserve_run(
        &mut self,
        entity: EntityId,
        period: &str,
        as_of: Date,
        method: &str,
        required: Money,
        previous: Money,
        adjustment: Money,
        entry: Option<EntryId>,
        detail: &str,
        created_by: &str,
    ) -> StoreResult<i64> {
        let id = self.allocate("reserve_runs", 1).await?;
        sqlx::query(
            "INSERT INTO reserve_runs (id, entity_id, period, as_of, method, currency, required_minor, previous_minor, \
             adjustment_minor, entry_id, detail, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(period.to_string())
        .bind(date_text(as_of))
        .bind(method.to_string())
        .bind(required.currency().code().to_string())
        .bind(required.minor())
        .bind(previous.minor())
        .bind(adjustment.minor())
        .bind(entry.map(|e| e.0))
        .bind(detail.to_string())
        .bind(created_by.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(id)
    }
}

pub(crate) fn user_from(row: &sqlx::any::AnyRow) -> StoreResult<UserRow> {
    Ok(UserRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        full_name: row.try_get("full_name")?,
        role: row.try_get("role")?,
        has_password: row.try_get::<i64, _>("has_password")? != 0,
        disabled_at: row.try_get("disabled_at")?,
    })
}

async fn account_balances(
    conn: &mut sqlx::AnyConnection,
    entity: EntityId,
    account: &str,
    as_of: Date,
) -> StoreResult<Vec<Money>> {
    let rows = sqlx::query(
        "SELECT currency, CAST(SUM(amount_minor) AS BIGINT) AS balance FROM postings \
         WHERE entity_id = $1 AND account = $2 AND posting_date <= $3 GROUP BY currency ORDER BY currency",
    )
    .bind(entity.0)
    .bind(account.to_string())
    .bind(date_text(as_of))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let currency = read_currency("postings", &row.try_get::<String, _>("currency")?)?;
            Ok(money(row.try_get("balance")?, currency))
        })
        .collect()
}

/// A payment's unapplied cash as it stood on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnappliedAtRow {
    pub payment_id: i64,
    pub bank_account: String,
    pub bank_reference: String,
    pub customer_code: Option<String>,
    pub received_on: Date,
    pub unapplied: Money,
}

/// A match suggestion no person has worked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSuggestionRow {
    pub decision_id: i64,
    pub payment_id: i64,
    pub bank_reference: String,
    pub received_on: Date,
    pub unapplied: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDisputeRow {
    pub id: i64,
    pub customer_code: String,
    pub item_number: String,
    pub amount: Money,
    pub reason: String,
    pub opened_on: Date,
}

impl Store {
    /// Payments with unapplied cash (customer credit or unidentified) as of the end of `as_of`.
    pub async fn unapplied_payments_as_of(
        &self,
        entity: EntityId,
        unapplied_account: &str,
        as_of: Date,
    ) -> StoreResult<Vec<UnappliedAtRow>> {
        let rows = sqlx::query(
            "SELECT p.id, p.bank_account, p.bank_reference, c.code, p.received_on, p.currency,              CAST(-SUM(po.amount_minor) AS BIGINT) AS unapplied              FROM payments p JOIN postings po ON po.payment_id = p.id AND po.account = $2 AND po.posting_date <= $3              LEFT JOIN customers c ON c.id = p.customer_id              WHERE p.entity_id = $1 AND p.received_on <= $3              GROUP BY p.id, p.bank_account, p.bank_reference, c.code, p.received_on, p.currency              HAVING SUM(po.amount_minor) <> 0 ORDER BY p.received_on, p.id",
        )
        .bind(entity.0)
        .bind(unapplied_account.to_string())
        .bind(date_text(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
                Ok(UnappliedAtRow {
                    payment_id: row.try_get("id")?,
                    bank_account: row.try_get("bank_account")?,
                    bank_reference: row.try_get("bank_reference")?,
                    customer_code: row.try_get("code")?,
                    received_on: text_column(row, "payments", "received_on")?,
                    unapplied: money(row.try_get("unapplied")?, currency),
                })
            })
            .collect()
    }

    /// Open match suggestions on payments received on or before `to`.
    pub async fn open_suggestions(
        &self,
        entity: EntityId,
        to: Date,
    ) -> StoreResult<Vec<OpenSuggestionRow>> {
        let rows = sqlx::query(
            "SELECT d.id, p.id AS payment_id, p.bank_reference, p.received_on, p.currency, p.unapplied_minor              FROM match_decisions d JOIN payments p ON p.id = d.payment_id              WHERE d.entity_id = $1 AND d.status = 'open' AND p.received_on <= $2 ORDER BY p.received_on, d.id",
        )
        .bind(entity.0)
        .bind(date_text(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("payments", &row.try_get::<String, _>("currency")?)?;
                Ok(OpenSuggestionRow {
                    decision_id: row.try_get("id")?,
                    payment_id: row.try_get("payment_id")?,
                    bank_reference: row.try_get("bank_reference")?,
                    received_on: text_column(row, "payments", "received_on")?,
                    unapplied: money(row.try_get("unapplied_minor")?, currency),
                })
            })
            .collect()
    }

    /// Disputes still active (open or in review) that were opened on or before `opened_by`.
    pub async fn disputes_open_since(
        &self,
        entity: EntityId,
        opened_by: Date,
    ) -> StoreResult<Vec<OpenDisputeRow>> {
        let rows = sqlx::query(
            "SELECT d.id, c.code, i.number, d.amount_minor, d.currency, d.reason, d.opened_on              FROM disputes d JOIN customers c ON c.id = d.customer_id JOIN items i ON i.id = d.item_id              WHERE d.entity_id = $1 AND d.status IN ('open', 'in_review') AND d.opened_on <= $2 ORDER BY d.opened_on, d.id",
        )
        .bind(entity.0)
        .bind(date_text(opened_by))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("disputes", &row.try_get::<String, _>("currency")?)?;
                Ok(OpenDisputeRow {
                    id: row.try_get("id")?,
                    customer_code: row.try_get("code")?,
                    item_number: row.try_get("number")?,
                    amount: money(row.try_get("amount_minor")?, currency),
                    reason: row.try_get("reason")?,
                    opened_on: text_column(row, "disputes", "opened_on")?,
                })
            })
            .collect()
    }

    pub async fn calendar(&self, entity: EntityId) -> StoreResult<Calendar> {
        let mut conn = self.pool().acquire().await?;
        read_calendar(&mut conn, entity).await
    }

    pub async fn period_lock(&self, entity: EntityId) -> StoreResult<Option<Lock>> {
        let row = sqlx::query("SELECT period, through FROM period_locks WHERE entity_id = $1")
            .bind(entity.0)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => lock_from(row.try_get("period")?, row.try_get("through")?),
            None => Ok(None),
        }
    }

    pub async fn period_closes(&self, entity: EntityId) -> StoreResult<Vec<PeriodCloseRow>> {
        let rows = sqlx::query(
            "SELECT period AS name, start_date, end_date, closed_at, closed_by, checklist \
             FROM period_closes WHERE entity_id = $1 ORDER BY start_date",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PeriodCloseRow {
                    period: period_from(row, "period_closes")?,
                    closed_at: row.try_get("closed_at")?,
                    closed_by: row.try_get("closed_by")?,
                    checklist: row.try_get("checklist")?,
                })
            })
            .collect()
    }

    /// The close log (closes, reopenings, calendar changes), oldest first; one period's only
    /// when named.
    pub async fn period_log(
        &self,
        entity: EntityId,
        period: Option<&str>,
    ) -> StoreResult<Vec<PeriodLogRow>> {
        let rows = sqlx::query(
            "SELECT id, period, action, actor, reason, detail, at FROM period_log \
             WHERE entity_id = $1 AND ($2 = '' OR period = $2) ORDER BY id",
        )
        .bind(entity.0)
        .bind(period.unwrap_or("").to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PeriodLogRow {
                    id: row.try_get("id")?,
                    period: row.try_get("period")?,
                    action: row.try_get("action")?,
                    actor: row.try_get("actor")?,
                    reason: row.try_get("reason")?,
                    detail: row.try_get("detail")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    pub async fn users(&self) -> StoreResult<Vec<UserRow>> {
        let rows = sqlx::query(USERS_BY_NAME).fetch_all(self.pool()).await?;
        rows.iter().map(user_from).collect()
    }

    pub async fn aging_snapshot(
        &self,
        entity: EntityId,
        period: &str,
    ) -> StoreResult<Option<AgingSnapshotRow>> {
        let row = sqlx::query(
            "SELECT period, as_of, taken_at, report, items, checksum, items_checksum FROM aging_snapshots \
             WHERE entity_id = $1 AND period = $2",
        )
        .bind(entity.0)
        .bind(period.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(AgingSnapshotRow {
                period: row.try_get("period")?,
                as_of: text_column(&row, "aging_snapshots", "as_of")?,
                taken_at: row.try_get("taken_at")?,
                report: row.try_get("report")?,
                items: row.try_get("items")?,
                checksum: row.try_get("checksum")?,
                items_checksum: row.try_get("items_checksum")?,
            })
        })
        .transpose()
    }

    pub async fn aging_snapshot_items(
        &self,
        entity: EntityId,
        period: &str,
    ) -> StoreResult<Vec<SnapshotItem>> {
        let rows = sqlx::query(
            "SELECT customer_code, kind, number, currency, issue_date, due_date, days_past, bucket, balance_minor \
             FROM aging_snapshot_items WHERE entity_id = $1 AND period = $2 ORDER BY line_no",
        )
        .bind(entity.0)
        .bind(period.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency: Currency = read_currency(
                    "aging_snapshot_items",
                    &row.try_get::<String, _>("currency")?,
                )?;
                Ok(SnapshotItem {
                    customer_code: row.try_get("customer_code")?,
                    kind: row.try_get("kind")?,
                    number: row.try_get("number")?,
                    issue_date: text_column(row, "aging_snapshot_items", "issue_date")?,
                    due_date: text_column(row, "aging_snapshot_items", "due_date")?,
                    days_past: row.try_get("days_past")?,
                    bucket: row.try_get("bucket")?,
                    balance: money(row.try_get("balance_minor")?, currency),
                })
            })
            .collect()
    }

    /// The latest specific reserve per customer and currency effective on `as_of` (a reserve of
    /// zero ends an earlier one).
    pub async fn specific_reserves(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<SpecificReserveRow>> {
        let rows = sqlx::query(
            "SELECT r.id, r.customer_id, c.code, r.currency, r.amount_minor, r.reason, r.effective_on, r.set_by \
             FROM specific_reserves r JOIN customers c ON c.id = r.customer_id \
             WHERE r.entity_id = $1 AND r.effective_on <= $2 ORDER BY r.customer_id, r.currency, r.effective_on, r.id",
        )
        .bind(entity.0)
        .bind(date_text(as_of))
        .fetch_all(self.pool())
        .await?;
        let mut latest: Vec<SpecificReserveRow> = Vec::new();
        for row in &rows {
            let currency =
                read_currency("specific_reserves", &row.try_get::<String, _>("currency")?)?;
            let reserve = SpecificReserveRow {
                id: row.try_get("id")?,
                customer: CustomerId(row.try_get("customer_id")?),
                customer_code: row.try_get("code")?,
                amount: money(row.try_get("amount_minor")?, currency),
                reason: row.try_get("reason")?,
                effective_on: text_column(row, "specific_reserves", "effective_on")?,
                set_by: row.try_get("set_by")?,
            };
            match latest.last_mut() {
                Some(last)
                    if last.customer == reserve.customer
                        && last.amount.currency() == reserve.amount.currency() =>
                {
                    *last = reserve
                }
                _ => latest.push(reserve),
            }
        }
        latest.retain(|r| !r.amount.is_zero());
        Ok(latest)
    }

    pub async fn reserve_runs(
        &self,
        entity: EntityId,
        period: Option<&str>,
    ) -> StoreResult<Vec<ReserveRunRow>> {
        let rows = sqlx::query(
            "SELECT id, period, as_of, method, currency, required_minor, previous_minor, adjustment_minor, entry_id, \
             detail, created_by, created_at FROM reserve_runs WHERE entity_id = $1 AND ($2 = '' OR period = $2) ORDER BY id",
        )
        .bind(entity.0)
        .bind(period.unwrap_or("").to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency =
                    read_currency("reserve_runs", &row.try_get::<String, _>("currency")?)?;
                Ok(ReserveRunRow {
                    id: row.try_get("id")?,
                    period: row.try_get("period")?,
                    as_of: text_column(row, "reserve_runs", "as_of")?,
                    method: row.try_get("method")?,
                    required: money(row.try_get("required_minor")?, currency),
                    previous: money(row.try_get("previous_minor")?, currency),
                    adjustment: money(row.try_get("adjustment_minor")?, currency),
                    entry: row.try_get::<Option<i64>, _>("entry_id")?.map(EntryId),
                    detail: row.try_get("detail")?,
                    created_by: row.try_get("created_by")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The balance of one account as of a day, per currency (debit positive).
    pub async fn account_balances(
        &self,
        entity: EntityId,
        account: &str,
        as_of: Date,
    ) -> StoreResult<Vec<Money>> {
        let mut conn = self.pool().acquire().await?;
        account_balances(&mut conn, entity, account, as_of).await
    }
}

impl Store {
    /// The newest journal entry's id (0 when there is none).
    pub async fn last_entry_id(&self, entity: EntityId) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM journal_entries WHERE entity_id = $1",
        )
        .bind(entity.0)
        .fetch_one(self.pool())
        .await?)
    }
}

impl Tx {
    /// How many entries newer than `after_id` are dated on or before `through`: written while a
    /// close was computing what it freezes.
    pub async fn entries_since(
        &mut self,
        entity: EntityId,
        after_id: i64,
        through: Date,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM journal_entries WHERE entity_id = $1 AND id > $2 AND entry_date <= $3",
        )
        .bind(entity.0)
        .bind(after_id)
        .bind(date_text(through))
        .fetch_one(self.conn())
        .await?)
    }
}

impl Store {
    /// Per item, what was written off (net of recoveries) in `after < date <= through`.
    pub async fn net_write_offs_between(
        &self,
        entity: EntityId,
        after: Date,
        through: Date,
    ) -> StoreResult<Vec<(settle_core::ids::ItemId, i64)>> {
        let rows = sqlx::query(
            "SELECT a.item_id, CAST(-SUM(a.amount_minor) AS BIGINT) AS written_off \
             FROM adjustments a JOIN journal_entries e ON e.id = a.entry_id \
             WHERE a.entity_id = $1 AND a.kind IN ('write_off', 'recovery') \
             AND e.entry_date > $2 AND e.entry_date <= $3 GROUP BY a.item_id",
        )
        .bind(entity.0)
        .bind(date_text(after))
        .bind(date_text(through))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    settle_core::ids::ItemId(row.try_get("item_id")?),
                    row.try_get("written_off")?,
                ))
            })
            .collect()
    }
}

impl Tx {
    /// An item's write-offs and recoveries: (written off, recovered, the latest write-off's
    /// entry), amounts positive in minor units.
    pub async fn item_write_offs(
        &mut self,
        entity: EntityId,
        item: settle_core::ids::ItemId,
    ) -> StoreResult<(i64, i64, Option<EntryId>)> {
        let rows = sqlx::query(
            "SELECT kind, amount_minor, entry_id FROM adjustments \
             WHERE entity_id = $1 AND item_id = $2 AND kind IN ('write_off', 'recovery') ORDER BY id",
        )
        .bind(entity.0)
        .bind(item.0)
        .fetch_all(self.conn())
        .await?;
        let (mut written_off, mut recovered, mut latest) = (0i64, 0i64, None);
        for row in &rows {
            let amount: i64 = row.try_get("amount_minor")?;
            if row.try_get::<String, _>("kind")? == "write_off" {
                written_off -= amount;
                latest = Some(EntryId(row.try_get("entry_id")?));
            } else {
                recovered += amount;
            }
        }
        Ok((written_off, recovered, latest))
    }
}

/// An adjustment-like event (adjustment, write-off, recovery, credit memo, refund) for the
/// auditor pack, with who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentRow {
    pub kind: String,
    pub date: Date,
    pub entry: EntryId,
    pub customer_code: String,
    pub document: String,
    pub reason: String,
    pub amount: Money,
    pub memo: String,
    pub created_by: String,
    pub created_at: String,
}

impl Store {
    /// Adjustments, write-offs, recoveries, credit memos and refunds dated in `from..=to`.
    pub async fn adjustments_between(
        &self,
        entity: EntityId,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<AdjustmentRow>> {
        let rows = sqlx::query(
            "SELECT a.kind, e.entry_date, a.entry_id, c.code, i.number, a.reason, a.currency, a.amount_minor, \
                    a.memo, a.created_by, a.created_at \
             FROM adjustments a JOIN journal_entries e ON e.id = a.entry_id JOIN items i ON i.id = a.item_id \
             JOIN customers c ON c.id = i.customer_id \
             WHERE a.entity_id = $1 AND e.entry_date BETWEEN $2 AND $3 \
             UNION ALL \
             SELECT 'credit_memo', i.issue_date, p.entry_id, c.code, i.number, COALESCE(i.reason, ''), i.currency, \
                    -i.total_minor, i.description, '', e.created_at \
             FROM items i JOIN customers c ON c.id = i.customer_id \
             JOIN postings p ON p.item_id = i.id \
             JOIN journal_entries e ON e.id = p.entry_id AND e.kind = 'credit_memo' \
             WHERE i.entity_id = $1 AND i.kind = 'credit_memo' AND i.issue_date BETWEEN $2 AND $3 \
             UNION ALL \
             SELECT 'refund', e.entry_date, r.entry_id, COALESCE(c.code, ''), \
                    CASE WHEN r.payment_id IS NULL THEN '' ELSE CAST(r.payment_id AS TEXT) END, r.reason, r.currency, \
                    r.amount_minor, r.memo, '', r.created_at \
             FROM refunds r JOIN journal_entries e ON e.id = r.entry_id LEFT JOIN customers c ON c.id = r.customer_id \
             WHERE r.entity_id = $1 AND e.entry_date BETWEEN $2 AND $3 \
             ORDER BY 2, 3",
        )
        .bind(entity.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("adjustments", &row.try_get::<String, _>(6)?)?;
                Ok(AdjustmentRow {
                    kind: row.try_get(0)?,
                    date: crate::codec::read_date(
                        "journal_entries",
                        "entry_date",
                        &row.try_get::<String, _>(1)?,
                    )?,
                    entry: EntryId(row.try_get(2)?),
                    customer_code: row.try_get(3)?,
                    document: row.try_get(4)?,
                    reason: row.try_get(5)?,
                    amount: money(row.try_get(7)?, currency),
                    memo: row.try_get(8)?,
                    created_by: row.try_get(9)?,
                    created_at: row.try_get(10)?,
                })
            })
            .collect()
    }
}
