//! What an account view shows, read either part by part (a statement for each list) or, on
//! SQLite, in one statement that returns every list as JSON.
//!
//! SQLite runs on a thread of its own behind the driver: each statement, and each row it
//! returns, is handed between that thread and the request's task. An account view has seven
//! lists; read part by part that is eleven statements (with the transaction's) and a handoff
//! per row, and under load the server spent a third of its time switching threads. In one
//! statement SQLite builds the lists itself, the view is one consistent read without a
//! transaction, and one row comes back. Both forms are built from the same part queries below,
//! and the rows are decoded by the same functions (`columns.rs`); a test checks that they agree.

use std::sync::LazyLock;

use serde_json::{Map, Value};
use sqlx::{AnyConnection, AssertSqlSafe, Row as _};

use settle_core::Date;
use settle_core::customer::Customer;
use settle_core::ids::{CustomerId, EntityId, EntryId};

use crate::codec::{money, read_currency};
use crate::columns::{Columns, JsonRow};
use crate::customers::{CONTACT_LOG_COLUMNS, contact_log_row};
use crate::disputes::{DISPUTE_SELECT, dispute_row};
use crate::read::{ActivityLine, CONTACT_LOG_SHOWN, CustomerSummary, PaymentRow};
use crate::tx::{CUSTOMER_BY_CODE, CUSTOMER_COLUMNS, customer_row, item_state, payment_state};
use crate::{ContactLogRow, DisputeRow, StoreError, StoreResult, text_column};

/// Where a part's query names the customer: `$2` read part by part, the customer found by its
/// code in the one statement.
const CUSTOMER: &str = "{customer}";

/// One list of the account view. Its query binds `$1` (the entity) and names the customer as
/// [`CUSTOMER`].
struct Part {
    /// The table its rows come from, for errors.
    table: &'static str,
    select: &'static str,
    /// Its columns by the names the query gives them.
    columns: &'static [&'static str],
    /// By those names.
    order: &'static str,
    /// Whether it keeps only the first rows in its order: as many as `$3` says when read by
    /// itself, [`CONTACT_LOG_SHOWN`] in the one statement.
    limit: bool,
}

const ITEMS: Part = Part {
    table: "items",
    select: "SELECT id, number, kind, customer_id, currency, issue_date, due_date, terms, total_minor, balance_minor \
             FROM items WHERE entity_id = $1 AND customer_id = {customer} AND balance_minor <> 0",
    columns: &[
        "id",
        "number",
        "kind",
        "customer_id",
        "currency",
        "issue_date",
        "due_date",
        "terms",
        "total_minor",
        "balance_minor",
    ],
    order: "due_date, id",
    limit: false,
};

const PAYMENTS: Part = Part {
    table: "payments",
    select: "SELECT id, customer_id, currency, received_on, amount_minor, unapplied_minor, bank_reference, method \
             FROM payments WHERE entity_id = $1 AND customer_id = {customer} AND unapplied_minor <> 0",
    columns: &[
        "id",
        "customer_id",
        "currency",
        "received_on",
        "amount_minor",
        "unapplied_minor",
        "bank_reference",
        "method",
    ],
    order: "received_on, id",
    limit: false,
};

const ACTIVITY: Part = Part {
    table: "journal_entries",
    select: "SELECT e.id AS id, e.entry_date AS entry_date, e.kind, e.memo, p.currency, CAST(SUM(p.amount_minor) AS BIGINT) AS amount, \
               MIN(COALESCE(i.number, 'payment ' || CAST(p.payment_id AS TEXT))) AS reference \
             FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
             LEFT JOIN items i ON i.id = p.item_id \
             WHERE p.entity_id = $1 AND (p.item_id IN (SELECT id FROM items WHERE entity_id = $1 AND customer_id = {customer}) \
               OR p.payment_id IN (SELECT id FROM payments WHERE entity_id = $1 AND customer_id = {customer})) \
             GROUP BY e.id, e.entry_date, e.kind, e.memo, p.currency",
    columns: &[
        "id",
        "entry_date",
        "kind",
        "memo",
        "currency",
        "amount",
        "reference",
    ],
    order: "entry_date, id",
    limit: false,
};

/// Sorted by code and name once read: asked to order by code, SQLite walks every customer of
/// the entity in code order instead of looking the few children up by parent.
const CHILDREN: Part = Part {
    table: "customers",
    select: "SELECT code, name FROM customers WHERE entity_id = $1 AND parent_id = {customer}",
    columns: &["code", "name"],
    order: "",
    limit: false,
};

const CONTACT_LOG: Part = Part {
    table: "contact_log",
    select: "SELECT * FROM contact_log WHERE entity_id = $1 AND customer_id = {customer}",
    columns: CONTACT_LOG_COLUMNS,
    order: "occurred_at DESC, id DESC",
    limit: true,
};

/// Active disputes: open or under review.
static DISPUTES_SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{DISPUTE_SELECT} WHERE d.entity_id = $1 AND d.customer_id = {CUSTOMER} \
         AND d.status IN {}",
        crate::disputes::ACTIVE
    )
});

fn disputes_part() -> Part {
    Part {
        table: "disputes",
        select: DISPUTES_SELECT.as_str(),
        columns: &[
            "id",
            "customer_id",
            "code",
            "item_id",
            "number",
            "line_no",
            "amount_minor",
            "currency",
            "reason",
            "status",
            "owner",
            "opened_on",
            "due_on",
            "resolved_on",
            "resolved_by",
            "source_decision_id",
            "note",
            "credit_number",
            "replacement_number",
            "resolution_entry_id",
        ],
        order: "id",
        limit: false,
    }
}

impl Part {
    /// The query on its own, with the customer's id as `$2`.
    fn by_itself(&self) -> String {
        let mut sql = self.select.replace(CUSTOMER, "$2");
        if !self.order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(self.order);
        }
        if self.limit {
            sql.push_str(" LIMIT $3");
        }
        sql
    }

    /// A scalar subquery giving the part's rows as a JSON array of objects, in order.
    fn as_json_array(&self) -> String {
        let mut inner = self.select.replace(CUSTOMER, "(SELECT id FROM target)");
        if self.limit {
            // The limit keeps the newest: the inner query is ordered for it. Written out, not
            // bound: with a bound limit SQLite plans the whole statement three times slower.
            inner = format!("{inner} ORDER BY {} LIMIT {CONTACT_LOG_SHOWN}", self.order);
        }
        let order = if self.order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", self.order)
        };
        format!(
            "(SELECT json_group_array({}{order}) FROM ({inner}) part)",
            json_object(self.columns)
        )
    }

    async fn fetch_rows(
        &self,
        conn: &mut AnyConnection,
        entity: EntityId,
        customer: CustomerId,
        limit: Option<i64>,
    ) -> StoreResult<Vec<sqlx::any::AnyRow>> {
        debug_assert_eq!(
            self.limit,
            limit.is_some(),
            "{} is read with its limit",
            self.table
        );
        let mut query = sqlx::query(AssertSqlSafe(self.by_itself()))
            .bind(entity.0)
            .bind(customer.0);
        if let Some(limit) = limit {
            query = query.bind(limit);
        }
        Ok(query.fetch_all(conn).await?)
    }
}

fn decode_all<R, T>(rows: &[R], decode: impl Fn(&R) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(decode).collect()
}

fn json_object<'a>(columns: impl IntoIterator<Item = &'a &'a str>) -> String {
    let pairs: Vec<String> = columns.into_iter().map(|c| format!("'{c}', {c}")).collect();
    format!("json_object({})", pairs.join(", "))
}

fn activity_line(row: &impl Columns) -> StoreResult<ActivityLine> {
    let currency = read_currency("postings", &row.cell::<String>("currency")?)?;
    Ok(ActivityLine {
        date: text_column::<Date>(row, "journal_entries", "entry_date")?,
        entry: EntryId(row.cell("id")?),
        kind: text_column(row, "journal_entries", "kind")?,
        memo: row.cell("memo")?,
        reference: row.cell("reference")?,
        amount: money(row.cell("amount")?, currency),
    })
}

fn payment_row(row: &impl Columns) -> StoreResult<PaymentRow> {
    Ok(PaymentRow {
        state: payment_state(row)?,
        bank_reference: row.cell("bank_reference")?,
        method: row.cell("method")?,
    })
}

fn child(row: &impl Columns) -> StoreResult<(String, String)> {
    Ok((row.cell("code")?, row.cell("name")?))
}

/// One customer's summary, part by part on a connection the caller holds (in a transaction
/// when the parts must agree).
pub(crate) async fn customer_summary_on(
    conn: &mut AnyConnection,
    entity: EntityId,
    code: &str,
) -> StoreResult<Option<CustomerSummary>> {
    let Some(row) = sqlx::query(CUSTOMER_BY_CODE)
        .bind(entity.0)
        .bind(code.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let customer = customer_row(&row)?;
    let id = customer.id;
    let open_items = decode_all(&ITEMS.fetch_rows(conn, entity, id, None).await?, item_state)?;
    let unapplied_payments = decode_all(
        &PAYMENTS.fetch_rows(conn, entity, id, None).await?,
        payment_row,
    )?;
    let activity = decode_all(
        &ACTIVITY.fetch_rows(conn, entity, id, None).await?,
        activity_line,
    )?;
    let children = customer_children_on(conn, entity, id).await?;
    let contact_log = contact_log_on(conn, entity, id, CONTACT_LOG_SHOWN).await?;
    Ok(Some(CustomerSummary {
        customer,
        open_items,
        unapplied_payments,
        activity,
        children,
        contact_log,
    }))
}

/// The customers whose parent is `customer`, by code, on a connection the caller holds.
pub(crate) async fn customer_children_on(
    conn: &mut AnyConnection,
    entity: EntityId,
    customer: CustomerId,
) -> StoreResult<Vec<(String, String)>> {
    let mut children = decode_all(
        &CHILDREN.fetch_rows(conn, entity, customer, None).await?,
        child,
    )?;
    children.sort();
    Ok(children)
}

/// A customer's latest `limit` contact-log entries, newest first, on a connection the caller
/// holds.
pub(crate) async fn contact_log_on(
    conn: &mut AnyConnection,
    entity: EntityId,
    customer: CustomerId,
    limit: i64,
) -> StoreResult<Vec<ContactLogRow>> {
    decode_all(
        &CONTACT_LOG
            .fetch_rows(conn, entity, customer, Some(limit))
            .await?,
        contact_log_row,
    )
}

/// A customer's active disputes, oldest first, on a connection the caller holds.
pub(crate) async fn open_disputes_on(
    conn: &mut AnyConnection,
    entity: EntityId,
    customer: CustomerId,
) -> StoreResult<Vec<DisputeRow>> {
    decode_all(
        &disputes_part()
            .fetch_rows(conn, entity, customer, None)
            .await?,
        dispute_row,
    )
}

/// The account view in one SQLite statement: a row of JSON arrays, one per list.
static ONE_STATEMENT: LazyLock<String> = LazyLock::new(|| {
    let parts = [
        ITEMS.as_json_array(),
        PAYMENTS.as_json_array(),
        ACTIVITY.as_json_array(),
        CHILDREN.as_json_array(),
        CONTACT_LOG.as_json_array(),
        disputes_part().as_json_array(),
    ]
    .join(", ");
    format!(
        "WITH target AS (SELECT id FROM customers WHERE entity_id = $1 AND code = $2) \
         SELECT (SELECT {} FROM ({CUSTOMER_BY_CODE}) c), {parts}",
        json_object(CUSTOMER_COLUMNS.iter().chain(&["parent_code"]))
    )
});

/// The account view of the customer `code` in one statement (SQLite only: its JSON functions).
pub(crate) async fn account_rows_in_one_statement(
    conn: &mut AnyConnection,
    entity: EntityId,
    code: &str,
) -> StoreResult<Option<(CustomerSummary, Vec<DisputeRow>)>> {
    let row = sqlx::query(AssertSqlSafe(ONE_STATEMENT.as_str()))
        .bind(entity.0)
        .bind(code.to_string())
        .fetch_one(conn)
        .await?;
    let Some(customer) = row.try_get::<Option<String>, _>(0)? else {
        return Ok(None);
    };
    let customer: Customer = customer_row(&JsonRow {
        table: "customers",
        object: parse_object("customers", &customer)?,
    })?;
    let mut children = json_list(&row, 4, CHILDREN.table, child)?;
    children.sort();
    let summary = CustomerSummary {
        customer,
        open_items: json_list(&row, 1, ITEMS.table, item_state)?,
        unapplied_payments: json_list(&row, 2, PAYMENTS.table, payment_row)?,
        activity: json_list(&row, 3, ACTIVITY.table, activity_line)?,
        children,
        contact_log: json_list(&row, 5, CONTACT_LOG.table, contact_log_row)?,
    };
    let disputes = json_list(&row, 6, disputes_part().table, dispute_row)?;
    Ok(Some((summary, disputes)))
}

/// Column `index` of the one statement's row, a JSON array of `table`'s rows, decoded.
fn json_list<T>(
    row: &sqlx::any::AnyRow,
    index: usize,
    table: &'static str,
    decode: impl Fn(&JsonRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let text: String = row.try_get(index)?;
    let objects: Vec<Map<String, Value>> =
        serde_json::from_str(&text).map_err(|e| not_json(table, &text, &e))?;
    objects
        .into_iter()
        .map(|object| decode(&JsonRow { table, object }))
        .collect()
}

fn parse_object(table: &'static str, text: &str) -> StoreResult<Map<String, Value>> {
    serde_json::from_str(text).map_err(|e| not_json(table, text, &e))
}

fn not_json(table: &'static str, text: &str, error: &serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        table,
        column: "(account view)",
        value: text.chars().take(200).collect(),
        reason: format!("SQLite returned JSON that does not read: {error}"),
    }
}
