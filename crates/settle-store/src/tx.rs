//! A write transaction: the one way the service changes the database.
//!
//! Every operation of the service runs in one [`Tx`]: it reads the state the core needs to
//! decide (rows it reads to decide are locked on PostgreSQL; SQLite's write transaction holds
//! the file), writes what the core decided, and commits once. Dropping a `Tx` without
//! committing rolls everything back, so a failed operation leaves nothing behind.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, Row, Transaction};

use settle_core::accounts::{Account, AccountRole, ChartOfAccounts};
use settle_core::customer::{Customer, NewCustomer};
use settle_core::document::{ItemKind, ItemState, NewDocument};
use settle_core::ids::{ApplicationId, CustomerId, EntityId, EntryId, ItemId, PaymentId, RefundId};
use settle_core::journal::JournalEntry;
use settle_core::payment::{NewPayment, PaymentState};
use settle_core::reason::ReasonCode;
use settle_core::{Currency, Date, Money};

use crate::bulk::{BulkInsert, Value};
use crate::codec::{date_text, day_number, money, now, read_currency};
use crate::columns::Columns;
use crate::documents::{DocumentRows, PreparedWrites, Writes};
use crate::text_column;
use crate::{Engine, StoreError, StoreResult, parse_column};

pub struct Tx {
    conn: TxConnection,
    pub(crate) engine: Engine,
    /// The period lock as read (and share-locked) once in this transaction.
    pub(crate) period_lock: Option<Option<settle_core::period::Lock>>,
}

/// Where a transaction runs.
enum TxConnection {
    /// A pooled connection: every operation but a bulk load.
    Pooled(Transaction<'static, Any>),
    /// A SQLite connection taken out of the pool for one bulk load, with foreign-key
    /// enforcement off (see [`crate::Store::begin_bulk`]). It never goes back to the pool:
    /// dropped without a commit, it closes, and SQLite rolls the transaction back.
    Detached(AnyConnection),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRow {
    pub id: EntityId,
    pub code: String,
    pub name: String,
    pub functional_currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub id: i64,
    pub file_name: String,
    pub imported_at: String,
    pub rows_stored: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub operation: String,
    pub request_hash: String,
    pub response: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    pub id: ApplicationId,
    pub kind: String,
    pub invoice: ItemId,
    pub payment: Option<PaymentId>,
    pub credit_item: Option<ItemId>,
    pub amount: Money,
    pub discount: Money,
    pub entry: EntryId,
    pub reversal_entry: Option<EntryId>,
}

const ITEM_COLUMNS: &str = "id, number, kind, customer_id, currency, issue_date, due_date, terms, \
                            total_minor, balance_minor";

pub(crate) fn item_state(row: &impl Columns) -> StoreResult<ItemState> {
    let currency = read_currency("items", &row.cell::<String>("currency")?)?;
    Ok(ItemState {
        id: ItemId(row.cell("id")?),
        number: row.cell("number")?,
        kind: text_column(row, "items", "kind")?,
        customer: CustomerId(row.cell("customer_id")?),
        currency,
        issue_date: text_column::<Date>(row, "items", "issue_date")?,
        due_date: text_column::<Date>(row, "items", "due_date")?,
        terms: text_column(row, "items", "terms")?,
        total: money(row.cell("total_minor")?, currency),
        balance: money(row.cell("balance_minor")?, currency),
    })
}

const PAYMENT_COLUMNS: &str =
    "id, customer_id, currency, received_on, amount_minor, unapplied_minor";

pub(crate) fn payment_state(row: &impl Columns) -> StoreResult<PaymentState> {
    let currency = read_currency("payments", &row.cell::<String>("currency")?)?;
    Ok(PaymentState {
        id: PaymentId(row.cell("id")?),
        customer: row.cell::<Option<i64>>("customer_id")?.map(CustomerId),
        currency,
        received_on: text_column::<Date>(row, "payments", "received_on")?,
        amount: money(row.cell("amount_minor")?, currency),
        unapplied: money(row.cell("unapplied_minor")?, currency),
    })
}

pub(crate) fn customer_row(row: &impl Columns) -> StoreResult<Customer> {
    let currency = read_currency("customers", &row.cell::<String>("currency")?)?;
    Ok(Customer {
        id: CustomerId(row.cell("id")?),
        details: NewCustomer {
            code: row.cell("code")?,
            name: row.cell("name")?,
            email: row.cell("email")?,
            phone: row.cell("phone")?,
            terms: text_column(row, "customers", "terms")?,
            credit_limit: row
                .cell::<Option<i64>>("credit_limit_minor")?
                .map(|m| money(m, currency)),
            currency,
            country: row.cell("country")?,
            tax_id: row.cell("tax_id")?,
            billing_address: row.cell("billing_address")?,
            risk_class: text_column(row, "customers", "risk_class")?,
            sales_rep: row.cell("sales_rep")?,
            status: text_column(row, "customers", "status")?,
            contacts: Vec::new(),
            parent: row.cell("parent_code")?,
        },
    })
}

/// Page cache of a connection during a bulk load, in KiB.
const BULK_CACHE_KIB: i64 = 1 << 20;

/// Names of the id counters.
const ENTITY_IDS: &str = "entities";
const CUSTOMER_IDS: &str = "customers";
const ITEM_IDS: &str = "items";
const PAYMENT_IDS: &str = "payments";
const ENTRY_IDS: &str = "journal_entries";

pub(crate) const CUSTOMER_COLUMNS: &[&str] = &[
    "id",
    "entity_id",
    "code",
    "name",
    "email",
    "phone",
    "terms",
    "credit_limit_minor",
    "currency",
    "country",
    "tax_id",
    "billing_address",
    "risk_class",
    "sales_rep",
    "status",
    "import_id",
    "created_at",
    "parent_id",
];

/// A customer with its parent's code.
pub(crate) const CUSTOMER_BY_CODE: &str = "SELECT c.*, p.code AS parent_code FROM customers c \
     LEFT JOIN customers p ON p.id = c.parent_id WHERE c.entity_id = $1 AND c.code = $2";
const CUSTOMER_BY_ID: &str = "SELECT c.*, p.code AS parent_code FROM customers c \
     LEFT JOIN customers p ON p.id = c.parent_id WHERE c.entity_id = $1 AND c.id = $2";

impl Tx {
    pub(crate) fn new(tx: Transaction<'static, Any>, engine: Engine) -> Self {
        Tx {
            conn: TxConnection::Pooled(tx),
            engine,
            period_lock: None,
        }
    }

    /// A transaction already begun on a connection of its own.
    pub(crate) fn detached(conn: AnyConnection, engine: Engine) -> Self {
        Tx {
            conn: TxConnection::Detached(conn),
            engine,
            period_lock: None,
        }
    }

    /// Locks one row of `table` by id for the rest of the transaction; false when the entity has
    /// no such row. For rows then read through a LEFT JOIN: PostgreSQL locks no rows of a
    /// join's outer side, so the row is locked alone first.
    pub(crate) async fn lock_row(
        &mut self,
        table: &'static str,
        entity: EntityId,
        id: i64,
    ) -> StoreResult<bool> {
        let lock = format!(
            "SELECT id FROM {table} WHERE entity_id = $1 AND id = $2{}",
            self.engine.for_update()
        );
        let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(lock))
            .bind(entity.0)
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        Ok(found.is_some())
    }

    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        match &mut self.conn {
            TxConnection::Pooled(tx) => tx,
            TxConnection::Detached(conn) => conn,
        }
    }

    pub async fn commit(self) -> StoreResult<()> {
        match self.conn {
            TxConnection::Pooled(tx) => tx.commit().await?,
            TxConnection::Detached(mut conn) => {
                sqlx::raw_sql("COMMIT").execute(&mut conn).await?;
                sqlx::Connection::close(conn).await?;
            }
        }
        Ok(())
    }

    /// Reserves `count` consecutive ids for a table and returns the first. A table's counter
    /// starts after the largest id it holds, so a counter can never hand out a used id.
    pub async fn allocate(&mut self, table: &'static str, count: i64) -> StoreResult<i64> {
        assert!(count > 0, "allocate at least one id");
        let next: Option<i64> = sqlx::query_scalar(
            "UPDATE counters SET next_id = next_id + $1 WHERE name = $2 RETURNING next_id",
        )
        .bind(count)
        .bind(table)
        .fetch_optional(self.conn())
        .await?;
        if let Some(next) = next {
            return Ok(next - count);
        }
        let sql = format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}");
        let largest: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.conn())
            .await?;
        sqlx::query("INSERT INTO counters (name, next_id) VALUES ($1, $2)")
            .bind(table)
            .bind(largest + 1 + count)
            .execute(self.conn())
            .await?;
        Ok(largest + 1)
    }

    // ---- entities, chart and settings -------------------------------------------------------

    pub async fn entity(&mut self, code: &str) -> StoreResult<Option<EntityRow>> {
        let row =
            sqlx::query("SELECT id, code, name, functional_currency FROM entities WHERE code = $1")
                .bind(code.to_string())
                .fetch_optional(self.conn())
                .await?;
        row.map(|row| entity_row(&row)).transpose()
    }

    /// Creates a legal entity with the default chart of accounts.
    pub async fn create_entity(
        &mut self,
        code: &str,
        name: &str,
        functional_currency: Currency,
    ) -> StoreResult<EntityRow> {
        let id = EntityId(self.allocate(ENTITY_IDS, 1).await?);
        sqlx::query(
            "INSERT INTO entities (id, code, name, functional_currency, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(code.to_string())
        .bind(name.to_string())
        .bind(functional_currency.code().to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        for account in ChartOfAccounts::default().accounts() {
            self.put_account(id, account).await?;
        }
        self.set_period_lock(id, None).await?;
        crate::audit::create_head(self.conn(), id).await?;
        Ok(EntityRow {
            id,
            code: code.to_string(),
            name: name.to_string(),
            functional_currency,
        })
    }

    /// Adds or re-maps an account of the chart.
    pub async fn put_account(&mut self, entity: EntityId, account: &Account) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO accounts (entity_id, code, name, role, bank_account) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (entity_id, code) DO UPDATE SET name = excluded.name, role = excluded.role, \
             bank_account = excluded.bank_account",
        )
        .bind(entity.0)
        .bind(account.code.clone())
        .bind(account.name.clone())
        .bind(account.role.name().to_string())
        .bind(account.bank_account.clone())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Whether any posting of the entity names this account code.
    pub async fn account_has_postings(
        &mut self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<bool> {
        let any: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM postings WHERE entity_id = $1 AND account = $2 LIMIT 1",
        )
        .bind(entity.0)
        .bind(code.to_string())
        .fetch_optional(self.conn())
        .await?;
        Ok(any.is_some())
    }

    pub async fn delete_account(&mut self, entity: EntityId, code: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM accounts WHERE entity_id = $1 AND code = $2")
            .bind(entity.0)
            .bind(code.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn chart(&mut self, entity: EntityId) -> StoreResult<ChartOfAccounts> {
        crate::read::load_chart(self.conn(), entity).await
    }

    pub async fn set_setting(
        &mut self,
        entity: EntityId,
        key: &str,
        value: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO settings (entity_id, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (entity_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(entity.0)
        .bind(key.to_string())
        .bind(value.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A setting as this transaction sees it (the audit trail records it before a change).
    pub async fn setting(&mut self, entity: EntityId, key: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE entity_id = $1 AND key = $2")
                .bind(entity.0)
                .bind(key.to_string())
                .fetch_optional(self.conn())
                .await?,
        )
    }

    pub async fn delete_setting(&mut self, entity: EntityId, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM settings WHERE entity_id = $1 AND key = $2")
            .bind(entity.0)
            .bind(key.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    // ---- imports and idempotency ------------------------------------------------------------

    pub async fn import_by_fingerprint(
        &mut self,
        entity: EntityId,
        kind: &str,
        fingerprint: &str,
    ) -> StoreResult<Option<ImportRecord>> {
        let row = sqlx::query(
            "SELECT id, file_name, imported_at, rows_stored FROM imports \
             WHERE entity_id = $1 AND kind = $2 AND fingerprint = $3",
        )
        .bind(entity.0)
        .bind(kind.to_string())
        .bind(fingerprint.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|row| {
            Ok(ImportRecord {
                id: row.try_get("id")?,
                file_name: row.try_get("file_name")?,
                imported_at: row.try_get("imported_at")?,
                rows_stored: row.try_get("rows_stored")?,
            })
        })
        .transpose()
    }

    /// Records an import (its counts are filled in by [`Tx::finish_import`]).
    pub async fn start_import(
        &mut self,
        entity: EntityId,
        kind: &str,
        fingerprint: &str,
        file_name: &str,
    ) -> StoreResult<i64> {
        let id = self.allocate("imports", 1).await?;
        sqlx::query(
            "INSERT INTO imports (id, entity_id, kind, fingerprint, file_name, rows_read, rows_stored, \
             rows_duplicate, rows_rejected, imported_at) VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, $6)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(kind.to_string())
        .bind(fingerprint.to_string())
        .bind(file_name.to_string())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    pub async fn finish_import(
        &mut self,
        import: i64,
        read: i64,
        stored: i64,
        duplicate: i64,
        rejected: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE imports SET rows_read = $1, rows_stored = $2, rows_duplicate = $3, rows_rejected = $4 \
             WHERE id = $5",
        )
        .bind(read)
        .bind(stored)
        .bind(duplicate)
        .bind(rejected)
        .bind(import)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn idempotent_response(
        &mut self,
        entity: EntityId,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let row = sqlx::query(
            "SELECT operation, request_hash, response FROM idempotency_keys WHERE entity_id = $1 AND key = $2",
        )
        .bind(entity.0)
        .bind(key.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|row| {
            Ok(IdempotentResponse {
                operation: row.try_get("operation")?,
                request_hash: row.try_get("request_hash")?,
                response: row.try_get("response")?,
            })
        })
        .transpose()
    }

    pub async fn remember_response(
        &mut self,
        entity: EntityId,
        key: &str,
        response: &IdempotentResponse,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO idempotency_keys (entity_id, key, operation, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(entity.0)
        .bind(key.to_string())
        .bind(response.operation.clone())
        .bind(response.request_hash.clone())
        .bind(response.response.clone())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ---- customers ---------------------------------------------------------------------------

    /// Every customer code of the entity with its id.
    pub async fn customer_ids(
        &mut self,
        entity: EntityId,
    ) -> StoreResult<HashMap<String, CustomerId>> {
        let rows = sqlx::query("SELECT code, id FROM customers WHERE entity_id = $1")
            .bind(entity.0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("code")?, CustomerId(row.try_get("id")?))))
            .collect()
    }

    /// Every customer of the entity by code, with what an invoice import defaults from it.
    pub async fn customer_defaults(
        &mut self,
        entity: EntityId,
    ) -> StoreResult<HashMap<String, (CustomerId, Currency, settle_core::terms::PaymentTerms)>>
    {
        let rows =
            sqlx::query("SELECT code, id, currency, terms FROM customers WHERE entity_id = $1")
                .bind(entity.0)
                .fetch_all(self.conn())
                .await?;
        rows.iter()
            .map(|row| {
                let currency = read_currency("customers", &row.try_get::<String, _>("currency")?)?;
                let terms = text_column(row, "customers", "terms")?;
                Ok((
                    row.try_get("code")?,
                    (CustomerId(row.try_get("id")?), currency, terms),
                ))
            })
            .collect()
    }

    pub async fn customer_by_code(
        &mut self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<Customer>> {
        let row = sqlx::query(CUSTOMER_BY_CODE)
            .bind(entity.0)
            .bind(code.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| customer_row(&row)).transpose()
    }

    pub async fn customer_by_id(
        &mut self,
        entity: EntityId,
        id: CustomerId,
    ) -> StoreResult<Option<Customer>> {
        let row = sqlx::query(CUSTOMER_BY_ID)
            .bind(entity.0)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| customer_row(&row)).transpose()
    }

    /// The id of the customer with this code.
    pub async fn customer_id(
        &mut self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<CustomerId>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM customers WHERE entity_id = $1 AND code = $2")
                .bind(entity.0)
                .bind(code.to_string())
                .fetch_optional(self.conn())
                .await?;
        Ok(id.map(CustomerId))
    }

    /// The parent company of a customer, if it has one.
    pub async fn customer_parent(
        &mut self,
        entity: EntityId,
        customer: CustomerId,
    ) -> StoreResult<Option<CustomerId>> {
        let parent: Option<Option<i64>> =
            sqlx::query_scalar("SELECT parent_id FROM customers WHERE entity_id = $1 AND id = $2")
                .bind(entity.0)
                .bind(customer.0)
                .fetch_optional(self.conn())
                .await?;
        Ok(parent.flatten().map(CustomerId))
    }

    /// Stores new customers (their codes must be new) and returns their ids in order.
    pub async fn insert_customers(
        &mut self,
        entity: EntityId,
        customers: &[NewCustomer],
        import: Option<i64>,
    ) -> StoreResult<Vec<CustomerId>> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let first = self.allocate(CUSTOMER_IDS, customers.len() as i64).await?;
        let created_at = now();
        // A parent is earlier in the same batch, or stored already.
        let mut known: HashMap<&str, i64> = HashMap::new();
        let batch: std::collections::HashSet<&str> =
            customers.iter().map(|c| c.code.as_str()).collect();
        for customer in customers {
            if let Some(parent) = customer.parent.as_deref()
                && !known.contains_key(parent)
                && !batch.contains(parent)
            {
                let id = self.customer_id(entity, parent).await?.ok_or_else(|| {
                    StoreError::UnknownCustomer {
                        code: parent.to_string(),
                    }
                })?;
                known.insert(parent, id.0);
            }
        }
        let mut bulk = BulkInsert::new(self.engine, "customers", CUSTOMER_COLUMNS);
        let mut ids = Vec::with_capacity(customers.len());
        for (offset, customer) in customers.iter().enumerate() {
            let id = first + offset as i64;
            ids.push(CustomerId(id));
            let parent = match customer.parent.as_deref() {
                None => None,
                Some(parent) => {
                    Some(
                        *known
                            .get(parent)
                            .ok_or_else(|| StoreError::UnknownCustomer {
                                code: format!("{parent} (it must come before {})", customer.code),
                            })?,
                    )
                }
            };
            known.insert(&customer.code, id);
            let row = [
                Value::Int(id),
                Value::Int(entity.0),
                Value::Text(customer.code.clone()),
                Value::Text(customer.name.clone()),
                Value::Text(customer.email.clone()),
                Value::Text(customer.phone.clone()),
                Value::Text(customer.terms.to_string()),
                Value::OptInt(customer.credit_limit.map(|m| m.minor())),
                Value::Text(customer.currency.code().to_string()),
                Value::Text(customer.country.clone()),
                Value::Text(customer.tax_id.clone()),
                Value::Text(customer.billing_address.clone()),
                Value::Text(customer.risk_class.as_str().to_string()),
                Value::Text(customer.sales_rep.clone()),
                Value::Text(customer.status.as_str().to_string()),
                Value::OptInt(import),
                Value::Text(created_at.clone()),
                Value::OptInt(parent),
            ];
            bulk.push(row);
            if bulk.is_full() {
                bulk.flush(self.conn()).await?;
            }
        }
        bulk.flush(self.conn()).await?;
        for (id, customer) in ids.iter().zip(customers) {
            for contact in &customer.contacts {
                let contact_id = self.allocate("contacts", 1).await?;
                sqlx::query(
                    "INSERT INTO contacts (id, entity_id, customer_id, name, role, email, phone) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(contact_id)
                .bind(entity.0)
                .bind(id.0)
                .bind(contact.name.clone())
                .bind(contact.role.clone())
                .bind(contact.email.clone())
                .bind(contact.phone.clone())
                .execute(self.conn())
                .await?;
            }
        }
        Ok(ids)
    }

    // ---- open items --------------------------------------------------------------------------

    /// Documents of `kind` already stored under any of `numbers`.
    pub async fn existing_documents(
        &mut self,
        entity: EntityId,
        kind: ItemKind,
        numbers: &[&str],
    ) -> StoreResult<HashMap<String, ItemState>> {
        let mut found = HashMap::new();
        for chunk in numbers.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE entity_id = $1 AND kind = $2 AND number IN ({})",
                placeholders.join(",")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(entity.0)
                .bind(kind.as_str().to_string());
            for number in chunk {
                query = query.bind(number.to_string());
            }
            for row in query.fetch_all(self.conn()).await? {
                let state = item_state(&row)?;
                found.insert(state.number.clone(), state);
            }
        }
        Ok(found)
    }

    /// How many open items (of any state) the database holds, in all entities.
    pub async fn item_count(&mut self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM items")
            .fetch_one(self.conn())
            .await?)
    }

    /// Before a bulk load on SQLite: drops the secondary indexes that are cheaper to build again
    /// afterwards than to maintain row by row. Returns whether it did; the caller must then call
    /// [`Tx::rebuild_bulk_indexes`] before committing. Inside the transaction, so a rollback
    /// brings them back. PostgreSQL keeps its indexes (dropping one would lock out readers).
    pub async fn suspend_bulk_indexes(&mut self) -> StoreResult<bool> {
        if self.engine != Engine::Sqlite {
            return Ok(false);
        }
        for (name, _) in crate::schema::BULK_REBUILT_INDEXES {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX IF EXISTS {name}")))
                .execute(self.conn())
                .await?;
        }
        // Room for the load's pages, so that they are not spilled to the log before commit.
        self.set_cache_kib(BULK_CACHE_KIB).await?;
        Ok(true)
    }

    async fn set_cache_kib(&mut self, kib: i64) -> StoreResult<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{kib}")))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn rebuild_bulk_indexes(&mut self) -> StoreResult<()> {
        for (_, statement) in crate::schema::BULK_REBUILT_INDEXES {
            sqlx::query(sqlx::AssertSqlSafe(*statement))
                .execute(self.conn())
                .await?;
        }
        self.set_cache_kib(crate::CACHE_KIB).await?;
        Ok(())
    }

    pub async fn has_items(&mut self, entity: EntityId) -> StoreResult<bool> {
        let any: Option<i64> =
            sqlx::query_scalar("SELECT id FROM items WHERE entity_id = $1 LIMIT 1")
                .bind(entity.0)
                .fetch_optional(self.conn())
                .await?;
        Ok(any.is_some())
    }

    /// An open item by number, locked for the rest of the transaction. With no `kind`, any kind
    /// (invoice numbers are looked up first).
    pub async fn item_by_number(
        &mut self,
        entity: EntityId,
        kind: Option<ItemKind>,
        number: &str,
    ) -> StoreResult<Option<ItemState>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE entity_id = $1 AND number = $2 AND ($3 = '' OR kind = $3) \
             ORDER BY CASE kind WHEN 'invoice' THEN 0 WHEN 'debit_memo' THEN 1 ELSE 2 END LIMIT 1{}",
            self.engine.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(number.to_string())
            .bind(kind.map_or(String::new(), |k| k.as_str().to_string()))
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| item_state(&row)).transpose()
    }

    /// An item by id, locked for the rest of the transaction.
    pub async fn item_by_id(
        &mut self,
        entity: EntityId,
        id: ItemId,
    ) -> StoreResult<Option<ItemState>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE entity_id = $1 AND id = $2{}",
            self.engine.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| item_state(&row)).transpose()
    }

    /// The entry that reverses `entry`, if one does.
    pub async fn reversal_of(
        &mut self,
        entity: EntityId,
        entry: EntryId,
    ) -> StoreResult<Option<EntryId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM journal_entries WHERE entity_id = $1 AND reverses_id = $2",
        )
        .bind(entity.0)
        .bind(entry.0)
        .fetch_optional(self.conn())
        .await?;
        Ok(id.map(EntryId))
    }

    pub async fn allocate_items(&mut self, count: usize) -> StoreResult<i64> {
        self.allocate(ITEM_IDS, count as i64).await
    }

    /// A builder for the rows of documents and entries of `entity`, for this engine.
    pub fn document_rows(&self, entity: EntityId) -> DocumentRows {
        DocumentRows::new(self.engine, entity)
    }

    /// Runs writes built by [`DocumentRows`].
    pub async fn execute(&mut self, writes: PreparedWrites) -> StoreResult<()> {
        match writes.0 {
            Writes::Statements(statements) => crate::bulk::execute(self.conn(), statements).await,
            Writes::Rows(batch) => crate::sqlite_native::write(self.conn(), batch).await,
        }
    }

    /// Writes documents with their issuing entries (item ids already allocated with
    /// [`Tx::allocate_items`]); run `rows.finish()` through [`Tx::execute`] after the last batch.
    pub async fn write_documents(
        &mut self,
        rows: &mut DocumentRows,
        batch: &[(ItemId, NewDocument, JournalEntry)],
        import: Option<i64>,
    ) -> StoreResult<Vec<EntryId>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let first_entry = self.allocate(ENTRY_IDS, batch.len() as i64).await?;
        let mut entry_ids = Vec::with_capacity(batch.len());
        for (offset, (item, document, entry)) in batch.iter().enumerate() {
            let entry_id = EntryId(first_entry + offset as i64);
            entry_ids.push(entry_id);
            rows.push_document(item, entry_id, document, entry, import);
            let ready = rows.ready();
            self.execute(ready).await?;
        }
        Ok(entry_ids)
    }

    /// Issues one document with its entry.
    pub async fn insert_document(
        &mut self,
        entity: EntityId,
        item: ItemId,
        document: &NewDocument,
        entry: &JournalEntry,
    ) -> StoreResult<EntryId> {
        let mut rows = self.document_rows(entity);
        let batch = [(item, document.clone(), entry.clone())];
        let ids = self.write_documents(&mut rows, &batch, None).await?;
        let rest = rows.finish();
        self.execute(rest).await?;
        Ok(ids[0])
    }

    /// Reserves ids for documents and their entries at once (a bulk load hands them out
    /// itself); [`Tx::release_ids`] gives back what it did not use.
    pub async fn reserve_document_ids(&mut self, count: i64) -> StoreResult<(i64, i64)> {
        let items = self.allocate(ITEM_IDS, count).await?;
        let entries = self.allocate(ENTRY_IDS, count).await?;
        Ok((items, entries))
    }

    /// Gives back the unused end of reservations made by [`Tx::reserve_document_ids`], so that
    /// ids stay without gaps: `used_to` are the first unused ids, `reserved_to` the ends.
    pub async fn release_document_ids(
        &mut self,
        used_to: (i64, i64),
        reserved_to: (i64, i64),
    ) -> StoreResult<()> {
        for (table, used, reserved) in [
            (ITEM_IDS, used_to.0, reserved_to.0),
            (ENTRY_IDS, used_to.1, reserved_to.1),
        ] {
            sqlx::query("UPDATE counters SET next_id = $1 WHERE name = $2 AND next_id = $3")
                .bind(used)
                .bind(table)
                .bind(reserved)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    // ---- payments ----------------------------------------------------------------------------

    pub async fn payment_by_id(
        &mut self,
        entity: EntityId,
        id: PaymentId,
    ) -> StoreResult<Option<PaymentState>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE entity_id = $1 AND id = $2{}",
            self.engine.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| payment_state(&row)).transpose()
    }

    /// The payment already posted under a bank reference, if any (the exactly-once key).
    pub async fn payment_by_reference(
        &mut self,
        entity: EntityId,
        bank_account: &str,
        bank_reference: &str,
    ) -> StoreResult<Option<PaymentState>> {
        let row = sqlx::query(
            "SELECT id, customer_id, currency, received_on, amount_minor, unapplied_minor \
             FROM payments WHERE entity_id = $1 AND bank_account = $2 AND bank_reference = $3",
        )
        .bind(entity.0)
        .bind(bank_account.to_string())
        .bind(bank_reference.to_string())
        .fetch_optional(self.conn())
        .await?;
        row.map(|row| payment_state(&row)).transpose()
    }

    pub async fn allocate_payment(&mut self) -> StoreResult<PaymentId> {
        Ok(PaymentId(self.allocate(PAYMENT_IDS, 1).await?))
    }

    /// Stores a payment with nothing unapplied yet; its entry (written next) credits it.
    pub async fn insert_payment(
        &mut self,
        entity: EntityId,
        id: PaymentId,
        payment: &NewPayment,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO payments (id, entity_id, customer_id, currency, amount_minor, unapplied_minor, \
             received_on, last_activity, method, bank_reference, bank_account, payer_name, payer_account, \
             memo, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id.0)
        .bind(entity.0)
        .bind(payment.customer.map(|c| c.0))
        .bind(payment.amount.currency().code().to_string())
        .bind(payment.amount.minor())
        .bind(date_text(payment.received_on))
        .bind(payment.method.as_str().to_string())
        .bind(payment.bank_reference.clone())
        .bind(payment.bank_account.clone())
        .bind(payment.payer_name.clone())
        .bind(payment.payer_account.clone())
        .bind(payment.memo.clone())
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    // ---- journal -----------------------------------------------------------------------------

    /// Writes one entry and moves the balances of the items and payments it names.
    pub async fn insert_entry(
        &mut self,
        entity: EntityId,
        entry: &JournalEntry,
    ) -> StoreResult<EntryId> {
        let entry_id = EntryId(self.allocate(ENTRY_IDS, 1).await?);
        let mut rows = self.document_rows(entity);
        rows.push_entry(entry_id, entry);
        let statements = rows.finish();
        self.execute(statements).await?;
        let date = date_text(entry.date);
        for (item, delta) in entry.item_deltas() {
            sqlx::query(
                "UPDATE items SET balance_minor = balance_minor + $1, \
                 last_activity = CASE WHEN last_activity < $2 THEN $2 ELSE last_activity END, \
                 activity_day = CASE WHEN activity_day < $5 THEN $5 ELSE activity_day END \
                 WHERE id = $3 AND entity_id = $4",
            )
            .bind(delta.minor())
            .bind(date.clone())
            .bind(item.0)
            .bind(entity.0)
            .bind(day_number(entry.date))
            .execute(self.conn())
            .await?;
        }
        for (payment, delta) in entry.payment_deltas() {
            sqlx::query(
                "UPDATE payments SET unapplied_minor = unapplied_minor + $1, \
                 last_activity = CASE WHEN last_activity < $2 THEN $2 ELSE last_activity END \
                 WHERE id = $3 AND entity_id = $4",
            )
            .bind(delta.minor())
            .bind(date.clone())
            .bind(payment.0)
            .bind(entity.0)
            .execute(self.conn())
            .await?;
        }
        Ok(entry_id)
    }

    /// A stored entry, to reverse it.
    pub async fn entry(
        &mut self,
        entity: EntityId,
        id: EntryId,
    ) -> StoreResult<Option<JournalEntry>> {
        crate::read::load_entry(self.conn(), entity, id).await
    }

    // ---- applications, adjustments, refunds ---------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_application(
        &mut self,
        entity: EntityId,
        payment: Option<PaymentId>,
        credit_item: Option<ItemId>,
        invoice: ItemId,
        amount: Money,
        discount: Money,
        applied_on: Date,
        entry: EntryId,
    ) -> StoreResult<ApplicationId> {
        let id = ApplicationId(self.allocate("applications", 1).await?);
        sqlx::query(
            "INSERT INTO applications (id, entity_id, kind, payment_id, credit_item_id, invoice_id, currency, \
             amount_minor, discount_minor, applied_on, entry_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id.0)
        .bind(entity.0)
        .bind(if payment.is_some() { "cash" } else { "credit" })
        .bind(payment.map(|p| p.0))
        .bind(credit_item.map(|i| i.0))
        .bind(invoice.0)
        .bind(amount.currency().code().to_string())
        .bind(amount.minor())
        .bind(discount.minor())
        .bind(date_text(applied_on))
        .bind(entry.0)
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    pub async fn application(
        &mut self,
        entity: EntityId,
        id: ApplicationId,
    ) -> StoreResult<Option<ApplicationRecord>> {
        let sql = format!(
            "SELECT id, kind, invoice_id, payment_id, credit_item_id, currency, amount_minor, discount_minor, \
             entry_id, reversal_entry_id FROM applications WHERE entity_id = $1 AND id = $2{}",
            self.engine.for_update()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| application_record(&row)).transpose()
    }

    pub async fn mark_application_reversed(
        &mut self,
        id: ApplicationId,
        reversal: EntryId,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE applications SET reversal_entry_id = $1 WHERE id = $2")
            .bind(reversal.0)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_adjustment(
        &mut self,
        entity: EntityId,
        kind: &str,
        item: ItemId,
        reason: ReasonCode,
        amount: Money,
        memo: &str,
        entry: EntryId,
        created_by: &str,
    ) -> StoreResult<i64> {
        let id = self.allocate("adjustments", 1).await?;
        sqlx::query(
            "INSERT INTO adjustments (id, entity_id, kind, item_id, reason, currency, amount_minor, memo, \
             entry_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id)
        .bind(entity.0)
        .bind(kind.to_string())
        .bind(item.0)
        .bind(reason.code().to_string())
        .bind(amount.currency().code().to_string())
        .bind(amount.minor())
        .bind(memo.to_string())
        .bind(entry.0)
        .bind(now())
        .bind(created_by.to_string())
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_refund(
        &mut self,
        entity: EntityId,
        customer: Option<CustomerId>,
        payment: Option<PaymentId>,
        credit_item: Option<ItemId>,
        amount: Money,
        reason: ReasonCode,
        memo: &str,
        bank_account: &str,
        entry: EntryId,
        payout_entry: Option<EntryId>,
    ) -> StoreResult<RefundId> {
        let id = RefundId(self.allocate("refunds", 1).await?);
        sqlx::query(
            "INSERT INTO refunds (id, entity_id, customer_id, payment_id, credit_item_id, currency, amount_minor, \
             reason, memo, bank_account, entry_id, payout_entry_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id.0)
        .bind(entity.0)
        .bind(customer.map(|c| c.0))
        .bind(payment.map(|p| p.0))
        .bind(credit_item.map(|i| i.0))
        .bind(amount.currency().code().to_string())
        .bind(amount.minor())
        .bind(reason.code().to_string())
        .bind(memo.to_string())
        .bind(bank_account.to_string())
        .bind(entry.0)
        .bind(payout_entry.map(|e| e.0))
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(id)
    }
}

pub(crate) fn application_record(row: &sqlx::any::AnyRow) -> StoreResult<ApplicationRecord> {
    let currency = read_currency("applications", &row.try_get::<String, _>("currency")?)?;
    Ok(ApplicationRecord {
        id: ApplicationId(row.try_get("id")?),
        kind: row.try_get("kind")?,
        invoice: ItemId(row.try_get("invoice_id")?),
        payment: row.try_get::<Option<i64>, _>("payment_id")?.map(PaymentId),
        credit_item: row.try_get::<Option<i64>, _>("credit_item_id")?.map(ItemId),
        amount: money(row.try_get("amount_minor")?, currency),
        discount: money(row.try_get("discount_minor")?, currency),
        entry: EntryId(row.try_get("entry_id")?),
        reversal_entry: row
            .try_get::<Option<i64>, _>("reversal_entry_id")?
            .map(EntryId),
    })
}

pub(crate) fn entity_row(row: &sqlx::any::AnyRow) -> StoreResult<EntityRow> {
    Ok(EntityRow {
        id: EntityId(row.try_get("id")?),
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        functional_currency: read_currency(
            "entities",
            &row.try_get::<String, _>("functional_currency")?,
        )?,
    })
}

pub(crate) fn account_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Account> {
    Ok(Account {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        role: parse_column::<AccountRole>("accounts", "role", &row.try_get::<String, _>("role")?)?,
        bank_account: row.try_get("bank_account")?,
    })
}

impl From<settle_core::accounts::ChartError> for StoreError {
    fn from(e: settle_core::accounts::ChartError) -> Self {
        StoreError::Corrupt {
            table: "accounts",
            column: "role",
            value: String::new(),
            reason: e.to_string(),
        }
    }
}
