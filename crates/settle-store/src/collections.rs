//! Collections' tables: customers' collection settings, dunning policies and actions, promises
//! to pay, payment plans, escalations; and the reads the dunning run and the worklist make over
//! the whole ledger (each one grouped query, so a run over 100,000 customers is a few scans).

use std::collections::HashMap;

use jiff::civil::Date;
use settle_core::customer::RiskClass;
use settle_core::ids::{CustomerId, EntityId, ItemId};
use sqlx::Row;

use crate::bulk::{BulkInsert, Value};
use crate::codec::{date_text, day_number, now, read_date};
use crate::{Store, StoreResult, Tx, text_column};

/// A customer's collection settings and stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionAccount {
    pub id: CustomerId,
    pub code: String,
    pub name: String,
    pub currency: String,
    pub risk: RiskClass,
    pub segment: String,
    pub collector: String,
    pub time_zone: String,
    pub do_not_contact: bool,
    pub cease_communication: bool,
    pub bankrupt: bool,
    pub credit_hold: String,
    pub agency: String,
    pub credit_limit_minor: Option<i64>,
    pub status: String,
}

/// The settings a user changes on a customer; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionSettings {
    pub collector: Option<String>,
    pub segment: Option<String>,
    pub time_zone: Option<String>,
    pub do_not_contact: Option<bool>,
    pub cease_communication: Option<bool>,
    pub bankrupt: Option<bool>,
}

/// An open debit item, as the dunning run reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItemRow {
    pub id: ItemId,
    pub customer: CustomerId,
    pub number: String,
    pub currency: String,
    pub issue_day: i64,
    pub due_day: i64,
    pub balance_minor: i64,
    /// The highest dunning level sent for it and the day it was sent, if any.
    pub last_level: Option<i64>,
    pub last_dunned_on: Option<String>,
}

/// Per customer and currency: open receivables, what is past due, the oldest past-due day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerExposure {
    pub customer: CustomerId,
    pub currency: String,
    pub open_minor: i64,
    pub past_due_minor: i64,
    pub oldest_past_due_day: Option<i64>,
}

/// A dunning action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDunningAction {
    pub customer: CustomerId,
    pub run_on: Date,
    pub currency: String,
    pub policy: String,
    pub level: u32,
    pub channel: String,
    pub template: String,
    pub rule: String,
    pub amount_minor: i64,
    pub outbox_id: Option<i64>,
    pub status: String,
    pub created_by: String,
    /// (item, level, amount chased).
    pub items: Vec<(ItemId, u32, i64)>,
}

/// A recorded dunning action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningActionRow {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub run_on: String,
    pub currency: String,
    pub policy: String,
    pub level: i64,
    pub channel: String,
    pub template: String,
    pub rule: String,
    pub amount_minor: i64,
    pub outbox_id: Option<i64>,
    pub status: String,
    pub invoices: Vec<String>,
}

/// A promise to pay as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseRow {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub collector: String,
    pub amount_minor: i64,
    pub currency: String,
    pub promised_on: Date,
    pub grace_days: u32,
    pub items: Vec<ItemId>,
    pub status: String,
    pub paid_minor: i64,
    pub created_on: Date,
    pub created_by: String,
    pub resolved_on: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromise {
    pub customer: CustomerId,
    pub amount_minor: i64,
    pub currency: String,
    pub promised_on: Date,
    pub grace_days: u32,
    pub items: Vec<ItemId>,
    pub created_on: Date,
    pub created_by: String,
    pub note: String,
}

/// A payment plan as stored, with its instalments (seq, due, amount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub total_minor: i64,
    pub currency: String,
    pub items: Vec<ItemId>,
    pub grace_days: u32,
    pub status: String,
    pub created_on: Date,
    pub created_by: String,
    pub resolved_on: Option<String>,
    pub note: String,
    pub instalments: Vec<(u32, Date, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    pub customer: CustomerId,
    pub total_minor: i64,
    pub currency: String,
    pub items: Vec<ItemId>,
    pub grace_days: u32,
    pub created_on: Date,
    pub created_by: String,
    pub note: String,
    pub instalments: Vec<(u32, Date, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRow {
    pub id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub rule: String,
    pub opened_on: String,
    pub status: String,
    pub summary: String,
    pub closed_on: Option<String>,
    pub closed_by: Option<String>,
    pub note: String,
}

fn id_list(items: &[ItemId]) -> String {
    items
        .iter()
        .map(|i| i.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn read_id_list(table: &'static str, text: &str) -> StoreResult<Vec<ItemId>> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| crate::parse_column::<i64>(table, "item_ids", part).map(ItemId))
        .collect()
}

const ACCOUNT_SELECT: &str = "SELECT id, code, name, currency, risk_class, segment, collector, time_zone, \
     do_not_contact, cease_communication, bankrupt, credit_hold, agency, credit_limit_minor, status \
     FROM customers WHERE entity_id = $1";

fn account_row(row: &sqlx::any::AnyRow) -> StoreResult<CollectionAccount> {
    Ok(CollectionAccount {
        id: CustomerId(row.try_get("id")?),
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        currency: row.try_get("currency")?,
        risk: text_column(row, "customers", "risk_class")?,
        segment: row.try_get("segment")?,
        collector: row.try_get("collector")?,
        time_zone: row.try_get("time_zone")?,
        do_not_contact: row.try_get::<i64, _>("do_not_contact")? != 0,
        cease_communication: row.try_get::<i64, _>("cease_communication")? != 0,
        bankrupt: row.try_get::<i64, _>("bankrupt")? != 0,
        credit_hold: row.try_get("credit_hold")?,
        agency: row.try_get("agency")?,
        credit_limit_minor: row.try_get("credit_limit_minor")?,
        status: row.try_get("status")?,
    })
}

const PROMISE_SELECT: &str = "SELECT p.id, p.customer_id, c.code, c.collector, p.amount_minor, p.currency, \
     p.promised_on, p.grace_days, p.item_ids, p.status, p.paid_minor, p.created_on, p.created_by, \
     p.resolved_on, p.note FROM promises p JOIN customers c ON c.id = p.customer_id \
     WHERE p.entity_id = $1";

fn promise_row(row: &sqlx::any::AnyRow) -> StoreResult<PromiseRow> {
    Ok(PromiseRow {
        id: row.try_get("id")?,
        customer: CustomerId(row.try_get("customer_id")?),
        customer_code: row.try_get("code")?,
        collector: row.try_get("collector")?,
        amount_minor: row.try_get("amount_minor")?,
        currency: row.try_get("currency")?,
        promised_on: read_date(
            "promises",
            "promised_on",
            &row.try_get::<String, _>("promised_on")?,
        )?,
        grace_days: row.try_get::<i64, _>("grace_days")?.max(0) as u32,
        items: read_id_list("promises", &row.try_get::<String, _>("item_ids")?)?,
        status: row.try_get("status")?,
        paid_minor: row.try_get("paid_minor")?,
        created_on: read_date(
            "promises",
            "created_on",
            &row.try_get::<String, _>("created_on")?,
        )?,
        created_by: row.try_get("created_by")?,
        resolved_on: row.try_get("resolved_on")?,
        note: row.try_get("note")?,
    })
}

const PLAN_SELECT: &str = "SELECT p.id, p.customer_id, c.code, p.total_minor, p.currency, p.item_ids, \
     p.grace_days, p.status, p.created_on, p.created_by, p.resolved_on, p.note \
     FROM payment_plans p JOIN customers c ON c.id = p.customer_id WHERE p.entity_id = $1";

fn plan_row(row: &sqlx::any::AnyRow) -> StoreResult<PlanRow> {
    Ok(PlanRow {
        id: row.try_get("id")?,
        customer: CustomerId(row.try_get("customer_id")?),
        customer_code: row.try_get("code")?,
        total_minor: row.try_get("total_minor")?,
        currency: row.try_get("currency")?,
        items: read_id_list("payment_plans", &row.try_get::<String, _>("item_ids")?)?,
        grace_days: row.try_get::<i64, _>("grace_days")?.max(0) as u32,
        status: row.try_get("status")?,
        created_on: read_date(
            "payment_plans",
            "created_on",
            &row.try_get::<String, _>("created_on")?,
        )?,
        created_by: row.try_get("created_by")?,
        resolved_on: row.try_get("resolved_on")?,
        note: row.try_get("note")?,
        instalments: Vec::new(),
    })
}

const ESCALATION_SELECT: &str = "SELECT e.id, e.customer_id, c.code, e.rule, e.opened_on, e.status, e.summary, \
     e.closed_on, e.closed_by, e.note FROM escalations e JOIN customers c ON c.id = e.customer_id \
     WHERE e.entity_id = $1";

fn escalation_row(row: &sqlx::any::AnyRow) -> StoreResult<EscalationRow> {
    Ok(EscalationRow {
        id: row.try_get("id")?,
        customer: CustomerId(row.try_get("customer_id")?),
        customer_code: row.try_get("code")?,
        rule: row.try_get("rule")?,
        opened_on: row.try_get("opened_on")?,
        status: row.try_get("status")?,
        summary: row.try_get("summary")?,
        closed_on: row.try_get("closed_on")?,
        closed_by: row.try_get("closed_by")?,
        note: row.try_get("note")?,
    })
}

impl Store {
    /// Every customer's collection settings.
    pub async fn collection_accounts(
        &self,
        entity: EntityId,
    ) -> StoreResult<Vec<CollectionAccount>> {
        let rows = sqlx::query(ACCOUNT_SELECT)
            .bind(entity.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(account_row).collect()
    }

    /// Stored dunning policies: (name, JSON body).
    pub async fn dunning_policies(&self, entity: EntityId) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT name, body FROM dunning_policies WHERE entity_id = $1 ORDER BY name",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("name")?, row.try_get("body")?)))
            .collect()
    }

    /// Per customer and currency, from the open-items index: open, past due, oldest past due.
    pub async fn account_totals(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<CustomerExposure>> {
        let rows = sqlx::query(
            "SELECT customer_id, currency, CAST(SUM(balance_minor) AS BIGINT) AS open_minor, \
               CAST(SUM(CASE WHEN due_day < $2 THEN balance_minor ELSE 0 END) AS BIGINT) AS past_due_minor, \
               MIN(CASE WHEN due_day < $2 THEN due_day END) AS oldest \
             FROM items WHERE entity_id = $1 AND balance_minor > 0 \
             GROUP BY customer_id, currency",
        )
        .bind(entity.0)
        .bind(day_number(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CustomerExposure {
                    customer: CustomerId(row.try_get("customer_id")?),
                    currency: row.try_get("currency")?,
                    open_minor: row.try_get("open_minor")?,
                    past_due_minor: row.try_get("past_due_minor")?,
                    oldest_past_due_day: row.try_get("oldest")?,
                })
            })
            .collect()
    }

    /// One customer's open debit balance per currency (a contact check picks its policy by it).
    pub async fn customer_open_totals(
        &self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT currency, CAST(SUM(balance_minor) AS BIGINT) AS open_minor FROM items \
             WHERE entity_id = $1 AND customer_id = $2 AND balance_minor > 0 GROUP BY currency",
        )
        .bind(entity.0)
        .bind(customer.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("currency")?, row.try_get("open_minor")?)))
            .collect()
    }

    /// The open debit items a dunning run must look at: due on or before `due_by`, and either
    /// never dunned, or below `max_level` and last dunned on or before `rested_by`, or owed by a
    /// customer with an open promise (whose promise is allocated over all its invoices). Each
    /// with the level last sent. An item dunned too recently, or at the last level, cannot reach
    /// a new level today, and is left in the database: on a steady day that is most of them.
    /// The level and day are the item's own columns (`dun_level`, `dun_on`), so the run scans
    /// the partial index `items_open_by_due` rather than looking each item up in the history.
    pub async fn dunning_candidates(
        &self,
        entity: EntityId,
        due_by: Date,
        max_level: i64,
        rested_by: Date,
    ) -> StoreResult<Vec<OpenItemRow>> {
        let rows = sqlx::query(
            "SELECT i.id, i.customer_id, i.number, i.currency, i.issue_day, i.due_day, i.balance_minor, \
               i.dun_level, i.dun_on \
             FROM items i \
             WHERE i.entity_id = $1 AND i.balance_minor > 0 AND i.due_day <= $2 \
               AND (i.dun_level = 0 OR (i.dun_level < $3 AND i.dun_on <= $4) \
                 OR i.customer_id IN (SELECT p.customer_id FROM promises p WHERE p.entity_id = $1 AND p.status = 'open'))",
        )
        .bind(entity.0)
        .bind(day_number(due_by))
        .bind(max_level)
        .bind(date_text(rested_by))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OpenItemRow {
                    id: ItemId(row.try_get("id")?),
                    customer: CustomerId(row.try_get("customer_id")?),
                    number: row.try_get("number")?,
                    currency: row.try_get("currency")?,
                    issue_day: row.try_get("issue_day")?,
                    due_day: row.try_get("due_day")?,
                    balance_minor: row.try_get("balance_minor")?,
                    last_level: Some(row.try_get::<i64, _>("dun_level")?)
                        .filter(|level| *level > 0),
                    last_dunned_on: Some(row.try_get::<String, _>("dun_on")?)
                        .filter(|on| !on.is_empty()),
                })
            })
            .collect()
    }

    /// Every open debit item (the benchmark counts them).
    pub async fn open_item_count(&self, entity: EntityId) -> StoreResult<i64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM items WHERE entity_id = $1 AND balance_minor > 0",
        )
        .bind(entity.0)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

    /// Per item: the amount under active disputes (open or in review).
    pub async fn disputed_by_item(&self, entity: EntityId) -> StoreResult<HashMap<ItemId, i64>> {
        let rows = sqlx::query(
            "SELECT item_id, CAST(SUM(amount_minor) AS BIGINT) AS disputed FROM disputes \
             WHERE entity_id = $1 AND status IN ('open', 'in_review') GROUP BY item_id",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((ItemId(row.try_get("item_id")?), row.try_get("disputed")?)))
            .collect()
    }

    /// Customers with an active dispute (open or in review).
    pub async fn disputed_customers(
        &self,
        entity: EntityId,
    ) -> StoreResult<std::collections::HashSet<CustomerId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT customer_id FROM disputes WHERE entity_id = $1 \
             AND status IN ('open', 'in_review')",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        Ok(ids.into_iter().map(CustomerId).collect())
    }

    /// Per customer: how many active disputes (open or in review) it has.
    pub async fn dispute_counts(&self, entity: EntityId) -> StoreResult<HashMap<CustomerId, u32>> {
        let rows = sqlx::query(
            "SELECT customer_id, COUNT(*) AS disputes FROM disputes WHERE entity_id = $1 \
             AND status IN ('open', 'in_review') GROUP BY customer_id",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("customer_id")?),
                    row.try_get::<i64, _>("disputes")?.max(0) as u32,
                ))
            })
            .collect()
    }

    /// Per customer: the latest payment received on or before `as_of` and after `since`.
    pub async fn recent_payments(
        &self,
        entity: EntityId,
        since: Date,
        as_of: Date,
    ) -> StoreResult<HashMap<CustomerId, Date>> {
        let rows = sqlx::query(
            "SELECT customer_id, MAX(received_on) AS last_on FROM payments \
             WHERE entity_id = $1 AND customer_id IS NOT NULL AND received_on > $2 AND received_on <= $3 \
             GROUP BY customer_id",
        )
        .bind(entity.0)
        .bind(date_text(since))
        .bind(date_text(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("customer_id")?),
                    read_date(
                        "payments",
                        "received_on",
                        &row.try_get::<String, _>("last_on")?,
                    )?,
                ))
            })
            .collect()
    }

    /// Per customer and channel: outbound contacts at or after `from` and before `to` (UTC
    /// RFC 3339 times).
    pub async fn outbound_contacts(
        &self,
        entity: EntityId,
        from: &str,
        to: &str,
    ) -> StoreResult<HashMap<(CustomerId, String), u32>> {
        let rows = sqlx::query(
            "SELECT customer_id, channel, COUNT(*) AS contacts FROM contact_log \
             WHERE entity_id = $1 AND direction = 'outbound' AND occurred_at >= $2 AND occurred_at < $3 \
             GROUP BY customer_id, channel",
        )
        .bind(entity.0)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    (
                        CustomerId(row.try_get("customer_id")?),
                        row.try_get("channel")?,
                    ),
                    row.try_get::<i64, _>("contacts")?.max(0) as u32,
                ))
            })
            .collect()
    }

    /// Per customer: the time (UTC, RFC 3339) of the latest call, email, letter or meeting
    /// either way.
    pub async fn last_contacts(
        &self,
        entity: EntityId,
    ) -> StoreResult<HashMap<CustomerId, String>> {
        let rows = sqlx::query(
            "SELECT customer_id, MAX(occurred_at) AS last_at FROM contact_log \
             WHERE entity_id = $1 AND direction IN ('outbound', 'inbound') GROUP BY customer_id",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("customer_id")?),
                    row.try_get("last_at")?,
                ))
            })
            .collect()
    }

    /// Promises, all or those with one status, oldest first.
    pub async fn promises(
        &self,
        entity: EntityId,
        status: Option<&str>,
        customer: Option<CustomerId>,
    ) -> StoreResult<Vec<PromiseRow>> {
        let sql = format!(
            "{PROMISE_SELECT} AND ($2 = '' OR p.status = $2) AND ($3 = 0 OR p.customer_id = $3) ORDER BY p.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(status.unwrap_or("").to_string())
            .bind(customer.map_or(0, |c| c.0))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(promise_row).collect()
    }

    /// Payment plans with their instalments.
    pub async fn plans(
        &self,
        entity: EntityId,
        status: Option<&str>,
        customer: Option<CustomerId>,
    ) -> StoreResult<Vec<PlanRow>> {
        let sql = format!(
            "{PLAN_SELECT} AND ($2 = '' OR p.status = $2) AND ($3 = 0 OR p.customer_id = $3) ORDER BY p.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(status.unwrap_or("").to_string())
            .bind(customer.map_or(0, |c| c.0))
            .fetch_all(self.pool())
            .await?;
        let mut plans: Vec<PlanRow> = rows.iter().map(plan_row).collect::<StoreResult<_>>()?;
        if plans.is_empty() {
            return Ok(plans);
        }
        let instalments = sqlx::query(
            "SELECT i.plan_id, i.seq, i.due_on, i.amount_minor FROM plan_instalments i \
             JOIN payment_plans p ON p.id = i.plan_id WHERE p.entity_id = $1 ORDER BY i.plan_id, i.seq",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        let index: HashMap<i64, usize> = plans.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        for row in &instalments {
            let plan: i64 = row.try_get("plan_id")?;
            if let Some(&at) = index.get(&plan) {
                plans[at].instalments.push((
                    row.try_get::<i64, _>("seq")?.max(0) as u32,
                    read_date(
                        "plan_instalments",
                        "due_on",
                        &row.try_get::<String, _>("due_on")?,
                    )?,
                    row.try_get("amount_minor")?,
                ));
            }
        }
        Ok(plans)
    }

    /// Escalations, open ones or all.
    pub async fn escalations(
        &self,
        entity: EntityId,
        open_only: bool,
    ) -> StoreResult<Vec<EscalationRow>> {
        let sql = format!("{ESCALATION_SELECT} AND ($2 = 0 OR e.status = 'open') ORDER BY e.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(i64::from(open_only))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(escalation_row).collect()
    }

    /// Dunning actions, newest first; one customer's or all.
    pub async fn dunning_actions(
        &self,
        entity: EntityId,
        customer: Option<CustomerId>,
        limit: i64,
    ) -> StoreResult<Vec<DunningActionRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.customer_id, c.code, a.run_on, a.currency, a.policy, a.level, a.channel, \
               a.template, a.rule, a.amount_minor, a.outbox_id, a.status FROM dunning_actions a \
             JOIN customers c ON c.id = a.customer_id \
             WHERE a.entity_id = $1 AND ($2 = 0 OR a.customer_id = $2) \
             ORDER BY a.run_on DESC, a.id DESC LIMIT $3",
        )
        .bind(entity.0)
        .bind(customer.map_or(0, |c| c.0))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut actions = Vec::with_capacity(rows.len());
        for row in &rows {
            actions.push(DunningActionRow {
                id: row.try_get("id")?,
                customer: CustomerId(row.try_get("customer_id")?),
                customer_code: row.try_get("code")?,
                run_on: row.try_get("run_on")?,
                currency: row.try_get("currency")?,
                policy: row.try_get("policy")?,
                level: row.try_get("level")?,
                channel: row.try_get("channel")?,
                template: row.try_get("template")?,
                rule: row.try_get("rule")?,
                amount_minor: row.try_get("amount_minor")?,
                outbox_id: row.try_get("outbox_id")?,
                status: row.try_get("status")?,
                invoices: Vec::new(),
            });
        }
        for action in &mut actions {
            let numbers = sqlx::query(
                "SELECT i.number FROM dunning_action_items d JOIN items i ON i.id = d.item_id \
                 WHERE d.action_id = $1 ORDER BY i.number",
            )
            .bind(action.id)
            .fetch_all(self.pool())
            .await?;
            action.invoices = numbers
                .iter()
                .map(|row| row.try_get("number"))
                .collect::<Result<_, _>>()?;
        }
        Ok(actions)
    }

    /// Calls the dunning run asked for and nobody has made yet: customer → (action id, level).
    pub async fn open_call_tasks(
        &self,
        entity: EntityId,
    ) -> StoreResult<HashMap<CustomerId, (i64, i64)>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, level FROM dunning_actions \
             WHERE entity_id = $1 AND channel = 'phone' AND status = 'call_due'",
        )
        .bind(entity.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("customer_id")?),
                    (row.try_get("id")?, row.try_get("level")?),
                ))
            })
            .collect()
    }

    /// Per customer: promises broken on or after `since`.
    pub async fn broken_promise_counts(
        &self,
        entity: EntityId,
        since: Date,
    ) -> StoreResult<HashMap<CustomerId, u32>> {
        let rows = sqlx::query(
            "SELECT customer_id, COUNT(*) AS broken FROM promises \
             WHERE entity_id = $1 AND status = 'broken' AND resolved_on >= $2 GROUP BY customer_id",
        )
        .bind(entity.0)
        .bind(date_text(since))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("customer_id")?),
                    row.try_get::<i64, _>("broken")?.max(0) as u32,
                ))
            })
            .collect()
    }
}

impl Store {
    /// The benchmark's alternative to the dunning run: one SQL query selecting, per account, the
    /// overdue open items not yet dunned that no stop or dispute holds back. It decides no
    /// level, promise, plan, grace or cap and records nothing: a lower bound for the run.
    pub async fn dunning_candidates_by_one_query(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<(CustomerId, String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT i.customer_id, i.currency, COUNT(*) AS items, \
               CAST(SUM(i.balance_minor - COALESCE(d.disputed, 0)) AS BIGINT) AS chased \
             FROM items i JOIN customers c ON c.id = i.customer_id \
             LEFT JOIN (SELECT item_id, SUM(amount_minor) AS disputed FROM disputes \
                        WHERE status IN ('open', 'in_review') GROUP BY item_id) d ON d.item_id = i.id \
             WHERE i.entity_id = $1 AND i.balance_minor > 0 AND i.due_day < $2 \
               AND i.balance_minor > COALESCE(d.disputed, 0) \
               AND c.do_not_contact = 0 AND c.bankrupt = 0 AND c.cease_communication = 0 AND c.agency = '' \
               AND NOT EXISTS (SELECT 1 FROM dunning_action_items h WHERE h.entity_id = i.entity_id AND h.item_id = i.id) \
             GROUP BY i.customer_id, i.currency",
        )
        .bind(entity.0)
        .bind(day_number(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("customer_id")?),
                    row.try_get("currency")?,
                    row.try_get("items")?,
                    row.try_get("chased")?,
                ))
            })
            .collect()
    }

    /// Benchmark data: a pricing dispute over half of every `nth` open invoice (by id).
    pub async fn bench_disputes(
        &self,
        entity: EntityId,
        nth: i64,
        opened_on: Date,
    ) -> StoreResult<usize> {
        let rows = sqlx::query(
            "SELECT id, customer_id, currency, balance_minor FROM items \
             WHERE entity_id = $1 AND balance_minor > 1 AND id % $2 = 0",
        )
        .bind(entity.0)
        .bind(nth)
        .fetch_all(self.pool())
        .await?;
        let mut tx = self.begin().await?;
        let first = tx.allocate("disputes", rows.len() as i64).await?;
        let mut disputes = BulkInsert::new(
            self.engine(),
            "disputes",
            &[
                "id",
                "entity_id",
                "customer_id",
                "item_id",
                "amount_minor",
                "currency",
                "reason",
                "status",
                "opened_on",
                "note",
            ],
        );
        for (offset, row) in rows.iter().enumerate() {
            disputes.push([
                Value::Int(first + offset as i64),
                Value::Int(entity.0),
                Value::Int(row.try_get("customer_id")?),
                Value::Int(row.try_get("id")?),
                Value::Int(row.try_get::<i64, _>("balance_minor")? / 2),
                Value::Text(row.try_get("currency")?),
                Value::Text("pricing".into()),
                Value::Text("open".into()),
                Value::Text(date_text(opened_on)),
                Value::Text("benchmark".into()),
            ]);
        }
        disputes.flush(tx.conn()).await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// The benchmark's alternative to the worklist: one SQL query ranking customers by what is
    /// past due (no score parts, no contacts, promises or disputes).
    pub async fn worklist_by_one_query(
        &self,
        entity: EntityId,
        as_of: Date,
    ) -> StoreResult<Vec<(CustomerId, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT customer_id, CAST(SUM(balance_minor) AS BIGINT) AS past_due, MIN(due_day) AS oldest \
             FROM items WHERE entity_id = $1 AND balance_minor > 0 AND due_day < $2 \
             GROUP BY customer_id ORDER BY past_due DESC, customer_id",
        )
        .bind(entity.0)
        .bind(day_number(as_of))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    CustomerId(row.try_get("customer_id")?),
                    row.try_get("past_due")?,
                    row.try_get("oldest")?,
                ))
            })
            .collect()
    }
}

impl Tx {
    /// Gives the customers to `collectors` in turn, by id: how a new team's book is first split.
    pub async fn spread_collectors(
        &mut self,
        entity: EntityId,
        collectors: &[String],
    ) -> StoreResult<u64> {
        if collectors.is_empty() {
            return Ok(0);
        }
        let mut cases = String::new();
        for index in 0..collectors.len() {
            cases.push_str(&format!(" WHEN {index} THEN ${}", index + 3));
        }
        let sql = format!(
            "UPDATE customers SET collector = CASE (id % $2){cases} ELSE collector END WHERE entity_id = $1"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(collectors.len() as i64);
        for name in collectors {
            query = query.bind(name.clone());
        }
        Ok(query.execute(self.conn()).await?.rows_affected())
    }

    /// Changes a customer's collection settings; false when there is no such customer.
    pub async fn set_collection_settings(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
        settings: &CollectionSettings,
    ) -> StoreResult<bool> {
        let flag = |value: Option<bool>| value.map(i64::from);
        let done = sqlx::query(
            "UPDATE customers SET collector = COALESCE($3, collector), segment = COALESCE($4, segment), \
               time_zone = COALESCE($5, time_zone), do_not_contact = COALESCE($6, do_not_contact), \
               cease_communication = COALESCE($7, cease_communication), bankrupt = COALESCE($8, bankrupt) \
             WHERE entity_id = $1 AND id = $2",
        )
        .bind(entity.0)
        .bind(customer.0)
        .bind(settings.collector.clone())
        .bind(settings.segment.clone())
        .bind(settings.time_zone.clone())
        .bind(flag(settings.do_not_contact))
        .bind(flag(settings.cease_communication))
        .bind(flag(settings.bankrupt))
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn collection_account(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Option<CollectionAccount>> {
        let sql = format!("{ACCOUNT_SELECT} AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(customer.0)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(account_row).transpose()
    }

    pub async fn put_dunning_policy(
        &mut self,
        entity: EntityId,
        name: &str,
        body: &str,
        by: &str,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE dunning_policies SET body = $3, updated_at = $4, updated_by = $5 \
             WHERE entity_id = $1 AND name = $2",
        )
        .bind(entity.0)
        .bind(name.to_string())
        .bind(body.to_string())
        .bind(now())
        .bind(by.to_string())
        .execute(self.conn())
        .await?;
        if updated.rows_affected() == 0 {
            let id = self.allocate("dunning_policies", 1).await?;
            sqlx::query(
                "INSERT INTO dunning_policies (id, entity_id, name, body, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(entity.0)
            .bind(name.to_string())
            .bind(body.to_string())
            .bind(now())
            .bind(by.to_string())
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Removes a stored policy; false when there was none by that name.
    pub async fn delete_dunning_policy(
        &mut self,
        entity: EntityId,
        name: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM dunning_policies WHERE entity_id = $1 AND name = $2")
            .bind(entity.0)
            .bind(name.to_string())
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records dunning actions with their items; their ids in order. An item dunned twice at
    /// one level, or an account twice at one level on one day, is refused by the schema.
    pub async fn insert_dunning_actions(
        &mut self,
        entity: EntityId,
        actions: &[NewDunningAction],
    ) -> StoreResult<Vec<i64>> {
        if actions.is_empty() {
            return Ok(Vec::new());
        }
        let first = self
            .allocate("dunning_actions", actions.len() as i64)
            .await?;
        let engine = self.engine;
        let mut heads = BulkInsert::new(
            engine,
            "dunning_actions",
            &[
                "id",
                "entity_id",
                "customer_id",
                "run_on",
                "currency",
                "policy",
                "level",
                "channel",
                "template",
                "rule",
                "amount_minor",
                "outbox_id",
                "status",
                "created_at",
                "created_by",
            ],
        );
        let mut lines = BulkInsert::new(
            engine,
            "dunning_action_items",
            &["action_id", "entity_id", "item_id", "level", "amount_minor"],
        );
        let created_at = now();
        let mut ids = Vec::with_capacity(actions.len());
        for (offset, action) in actions.iter().enumerate() {
            let id = first + offset as i64;
            ids.push(id);
            heads.push([
                Value::Int(id),
                Value::Int(entity.0),
                Value::Int(action.customer.0),
                Value::Text(date_text(action.run_on)),
                Value::Text(action.currency.clone()),
                Value::Text(action.policy.clone()),
                Value::Int(i64::from(action.level)),
                Value::Text(action.channel.clone()),
                Value::Text(action.template.clone()),
                Value::Text(action.rule.clone()),
                Value::Int(action.amount_minor),
                Value::OptInt(action.outbox_id),
                Value::Text(action.status.clone()),
                Value::Text(created_at.clone()),
                Value::Text(action.created_by.clone()),
            ]);
            for (item, level, amount) in &action.items {
                lines.push([
                    Value::Int(id),
                    Value::Int(entity.0),
                    Value::Int(item.0),
                    Value::Int(i64::from(*level)),
                    Value::Int(*amount),
                ]);
            }
        }
        heads.flush(self.conn()).await?;
        lines.flush(self.conn()).await?;
        // Levels only climb: an item's newest level is its highest, and its newest day the
        // latest. Kept on the item, beside the history, for the next run's index scan.
        sqlx::query(
            "UPDATE items SET \
               dun_level = (SELECT MAX(h.level) FROM dunning_action_items h \
                            WHERE h.entity_id = items.entity_id AND h.item_id = items.id), \
               dun_on = (SELECT MAX(a.run_on) FROM dunning_action_items h \
                         JOIN dunning_actions a ON a.id = h.action_id \
                         WHERE h.entity_id = items.entity_id AND h.item_id = items.id) \
             WHERE id IN (SELECT item_id FROM dunning_action_items WHERE action_id >= $1 AND action_id < $2)",
        )
        .bind(first)
        .bind(first + actions.len() as i64)
        .execute(self.conn())
        .await?;
        Ok(ids)
    }

    /// Marks a customer's open call tasks done (a call was logged).
    pub async fn close_call_tasks(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE dunning_actions SET status = 'call_made' \
             WHERE entity_id = $1 AND customer_id = $2 AND channel = 'phone' AND status = 'call_due'",
        )
        .bind(entity.0)
        .bind(customer.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn insert_promise(
        &mut self,
        entity: EntityId,
        promise: &NewPromise,
    ) -> StoreResult<i64> {
        let id = self.allocate("promises", 1).await?;
        sqlx::query(
            "INSERT INTO promises (id, entity_id, customer_id, amount_minor, currency, promised_on, \
               grace_days, item_ids, status, paid_minor, created_on, created_by, resolved_on, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', 0, $9, $10, NULL, $11)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(promise.customer.0)
        .bind(promise.amount_minor)
        .bind(promise.currency.clone())
        .bind(date_text(promise.promised_on))
        .bind(i64::from(promise.grace_days))
        .bind(id_list(&promise.items))
        .bind(date_text(promise.created_on))
        .bind(promise.created_by.clone())
        .bind(promise.note.clone())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    /// Sets a promise's status and what was paid towards it.
    pub async fn set_promise_status(
        &mut self,
        entity: EntityId,
        id: i64,
        status: &str,
        paid_minor: i64,
        resolved_on: Option<Date>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE promises SET status = $3, paid_minor = $4, resolved_on = $5 \
             WHERE entity_id = $1 AND id = $2",
        )
        .bind(entity.0)
        .bind(id)
        .bind(status.to_string())
        .bind(paid_minor)
        .bind(resolved_on.map(date_text))
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn promise(&mut self, entity: EntityId, id: i64) -> StoreResult<Option<PromiseRow>> {
        let sql = format!("{PROMISE_SELECT} AND p.id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(promise_row).transpose()
    }

    pub async fn insert_plan(&mut self, entity: EntityId, plan: &NewPlan) -> StoreResult<i64> {
        let id = self.allocate("payment_plans", 1).await?;
        sqlx::query(
            "INSERT INTO payment_plans (id, entity_id, customer_id, total_minor, currency, item_ids, \
               grace_days, status, created_on, created_by, resolved_on, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, NULL, $10)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(plan.customer.0)
        .bind(plan.total_minor)
        .bind(plan.currency.clone())
        .bind(id_list(&plan.items))
        .bind(i64::from(plan.grace_days))
        .bind(date_text(plan.created_on))
        .bind(plan.created_by.clone())
        .bind(plan.note.clone())
        .execute(self.conn())
        .await?;
        for (seq, due_on, amount) in &plan.instalments {
            sqlx::query(
                "INSERT INTO plan_instalments (plan_id, seq, due_on, amount_minor) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(i64::from(*seq))
            .bind(date_text(*due_on))
            .bind(*amount)
            .execute(self.conn())
            .await?;
        }
        Ok(id)
    }

    pub async fn set_plan_status(
        &mut self,
        entity: EntityId,
        id: i64,
        status: &str,
        resolved_on: Option<Date>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE payment_plans SET status = $3, resolved_on = $4 WHERE entity_id = $1 AND id = $2",
        )
        .bind(entity.0)
        .bind(id)
        .bind(status.to_string())
        .bind(resolved_on.map(date_text))
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Cash applied (less reversed applications) to `items` on days `from` ..= `to`; with no
    /// items, to any of the customer's invoices.
    pub async fn cash_applied(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
        items: &[ItemId],
        from: Date,
        to: Date,
    ) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(a.amount_minor + a.discount_minor), 0) AS BIGINT) AS applied \
             FROM applications a JOIN items i ON i.id = a.invoice_id \
             WHERE a.entity_id = $1 AND i.customer_id = $2 AND a.reversal_entry_id IS NULL \
               AND a.applied_on >= $3 AND a.applied_on <= $4 \
               AND ($5 = '' OR (',' || $5 || ',') LIKE ('%,' || CAST(a.invoice_id AS TEXT) || ',%'))",
        )
        .bind(entity.0)
        .bind(customer.0)
        .bind(date_text(from))
        .bind(date_text(to))
        .bind(id_list(items))
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("applied")?)
    }

    /// Opens an escalation unless the customer has one open; its id, or `None`.
    pub async fn open_escalation(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
        rule: &str,
        opened_on: Date,
        summary: &str,
    ) -> StoreResult<Option<i64>> {
        let open = sqlx::query(
            "SELECT id FROM escalations WHERE entity_id = $1 AND customer_id = $2 AND status = 'open'",
        )
        .bind(entity.0)
        .bind(customer.0)
        .fetch_optional(self.conn())
        .await?;
        if open.is_some() {
            return Ok(None);
        }
        let id = self.allocate("escalations", 1).await?;
        sqlx::query(
            "INSERT INTO escalations (id, entity_id, customer_id, rule, opened_on, status, summary, \
               closed_on, closed_by, note) VALUES ($1, $2, $3, $4, $5, 'open', $6, NULL, NULL, '')",
        )
        .bind(id)
        .bind(entity.0)
        .bind(customer.0)
        .bind(rule.to_string())
        .bind(date_text(opened_on))
        .bind(summary.to_string())
        .execute(self.conn())
        .await?;
        Ok(Some(id))
    }

    /// Closes an open escalation with the manager's note; false when it is not open.
    pub async fn close_escalation(
        &mut self,
        entity: EntityId,
        id: i64,
        on: Date,
        by: &str,
        note: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE escalations SET status = 'closed', closed_on = $3, closed_by = $4, note = $5 \
             WHERE entity_id = $1 AND id = $2 AND status = 'open'",
        )
        .bind(entity.0)
        .bind(id)
        .bind(date_text(on))
        .bind(by.to_string())
        .bind(note.to_string())
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
