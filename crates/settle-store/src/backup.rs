//! Whole-database dump and load, the same on both engines, for backups and for moving books
//! from one engine to the other.
//!
//! A [`Snapshot`] reads every table in one read transaction: on SQLite a deferred transaction
//! (in WAL mode its first read fixes what it sees, and writers go on beside it), on PostgreSQL
//! `REPEATABLE READ READ ONLY`. Rows come out in primary-key order, texts compared byte by byte
//! on both engines, so the same books give the same rows in the same order whichever engine
//! holds them.
//!
//! A [`Restore`] loads rows into a database that holds none, in one transaction that also
//! creates the schema at the backup's version and, once the rows are in, migrates it to this
//! program's. References are checked once at the end rather than per row, because rows may
//! name rows of their own table that come later (a GL import superseded by a later one): on
//! SQLite by `pragma_foreign_key_check` on a connection whose enforcement is off, on PostgreSQL
//! by dropping the foreign keys for the load and adding them back, which checks every row.
//! Table and column names are only ever the target schema's own: a name the backup gives is
//! looked up in the catalog and refused if the schema lacks it.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::any::AnyTypeInfoKind;
use sqlx::{Any, AnyConnection, Row as _, Transaction, TypeInfo as _, ValueRef as _};

use settle_core::audit_chain::{ChainHead, ChainSummary};

use crate::{AuditChange, Engine, Store, StoreError, StoreResult, schema};

/// The table that records migrations: written by the restore's own migrations, never copied.
const MIGRATIONS_TABLE: &str = "schema_migrations";

/// Rows per INSERT statement of a restore, kept under both engines' parameter limits.
const PARAMETERS_PER_INSERT: usize = 1_000;

/// One stored value, as both engines can hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

/// How a column stores its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Int,
    Text,
    Blob,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnShape {
    pub name: String,
    pub kind: ColumnKind,
}

/// A table as the catalog describes it: its columns in order and its primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    pub name: String,
    pub columns: Vec<ColumnShape>,
    pub primary_key: Vec<String>,
}

impl ColumnKind {
    fn of_declared(declared: &str) -> ColumnKind {
        let declared = declared.to_ascii_lowercase();
        if declared.contains("int") {
            ColumnKind::Int
        } else if declared.contains("blob") || declared.contains("bytea") {
            ColumnKind::Blob
        } else {
            ColumnKind::Text
        }
    }
}

/// Quotes a catalog name for SQL. Only names read from the catalog reach it.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables of the database, by name, with their columns (the migrations' record left out).
async fn catalog(conn: &mut AnyConnection, engine: Engine) -> StoreResult<Vec<TableShape>> {
    let names: Vec<String> = match engine {
        Engine::Sqlite => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        ),
        Engine::Postgres => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name::text COLLATE \"C\"",
        ),
    }
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names.into_iter().filter(|n| n != MIGRATIONS_TABLE) {
        let (columns, primary_key) = match engine {
            Engine::Sqlite => {
                let rows =
                    sqlx::query("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                        .bind(&name)
                        .fetch_all(&mut *conn)
                        .await?;
                let mut key: Vec<(i64, String)> = Vec::new();
                let mut columns = Vec::with_capacity(rows.len());
                for row in rows {
                    let column: String = row.try_get(0)?;
                    let declared: String = row.try_get(1)?;
                    let pk: i64 = row.try_get(2)?;
                    if pk > 0 {
                        key.push((pk, column.clone()));
                    }
                    columns.push(ColumnShape {
                        name: column,
                        kind: ColumnKind::of_declared(&declared),
                    });
                }
                key.sort();
                (columns, key.into_iter().map(|(_, c)| c).collect())
            }
            Engine::Postgres => {
                let rows = sqlx::query(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?;
                let mut columns = Vec::with_capacity(rows.len());
                for row in rows {
                    let column: String = row.try_get(0)?;
                    let declared: String = row.try_get(1)?;
                    columns.push(ColumnShape {
                        name: column,
                        kind: ColumnKind::of_declared(&declared),
                    });
                }
                let key: Vec<String> = sqlx::query_scalar(
                    "SELECT a.attname::text FROM pg_index i \
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary \
                     ORDER BY array_position(i.indkey::int2[], a.attnum)",
                )
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?;
                (columns, key)
            }
        };
        tables.push(TableShape {
            name,
            columns,
            primary_key,
        });
    }
    Ok(tables)
}

async fn schema_version_in(conn: &mut AnyConnection, engine: Engine) -> StoreResult<i64> {
    let exists: i64 = match engine {
        Engine::Sqlite => sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        ),
        Engine::Postgres => sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
        ),
    }
    .fetch_one(&mut *conn)
    .await?;
    if exists == 0 {
        return Ok(0);
    }
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut *conn)
        .await?;
    Ok(version.unwrap_or(0))
}

/// Every table of one database as of one moment.
pub struct Snapshot {
    tx: Transaction<'static, Any>,
    engine: Engine,
    schema_version: i64,
    tables: Vec<TableShape>,
}

impl Store {
    /// Begins a read of the whole database as of now. Writers are not held up.
    pub async fn snapshot(&self) -> StoreResult<Snapshot> {
        let mut tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN DEFERRED").await?,
            Engine::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        };
        // The first read fixes the snapshot; everything after it, the catalog included, sees it.
        let schema_version = schema_version_in(&mut tx, self.engine).await?;
        if schema_version == 0 {
            return Err(StoreError::NotInitialised);
        }
        let known = schema::MIGRATIONS.last().map_or(0, |m| m.version);
        if schema_version > known {
            return Err(StoreError::SchemaTooNew {
                found: schema_version,
                known,
            });
        }
        let tables = catalog(&mut tx, self.engine).await?;
        Ok(Snapshot {
            tx,
            engine: self.engine,
            schema_version,
            tables,
        })
    }
}

impl Snapshot {
    pub fn schema_version(&self) -> i64 {
        self.schema_version
    }

    pub fn tables(&self) -> &[TableShape] {
        &self.tables
    }

    /// Calls `each` with every row of the table, in primary-key order; stops at its first error.
    pub async fn rows<E>(
        &mut self,
        table: &TableShape,
        mut each: impl FnMut(&[Value]) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<StoreError>,
    {
        let order: Vec<&str> = if table.primary_key.is_empty() {
            table.columns.iter().map(|c| c.name.as_str()).collect()
        } else {
            table.primary_key.iter().map(String::as_str).collect()
        };
        let order = order
            .iter()
            .map(|name| {
                let is_text = table
                    .columns
                    .iter()
                    .any(|c| c.name == *name && c.kind != ColumnKind::Int);
                match (self.engine, is_text) {
                    (Engine::Postgres, true) => format!("{} COLLATE \"C\"", quoted(name)),
                    _ => quoted(name),
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let columns = table
            .columns
            .iter()
            .map(|c| quoted(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM {} ORDER BY {order}",
            quoted(&table.name)
        );
        let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *self.tx);
        let mut values = Vec::with_capacity(table.columns.len());
        while let Some(row) = stream.try_next().await.map_err(StoreError::from)? {
            values.clear();
            for (index, column) in table.columns.iter().enumerate() {
                values.push(read_value(&row, index, table, column)?);
            }
            each(&values)?;
        }
        Ok(())
    }

    /// Ends the read.
    pub async fn finish(self) -> StoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

fn read_value(
    row: &sqlx::any::AnyRow,
    index: usize,
    table: &TableShape,
    column: &ColumnShape,
) -> StoreResult<Value> {
    let raw = row.try_get_raw(index)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::SmallInt
        | AnyTypeInfoKind::Integer
        | AnyTypeInfoKind::BigInt
        | AnyTypeInfoKind::Bool => Value::Int(row.try_get::<i64, _>(index)?),
        AnyTypeInfoKind::Text => Value::Text(row.try_get::<String, _>(index)?),
        AnyTypeInfoKind::Blob => Value::Blob(row.try_get::<Vec<u8>, _>(index)?),
        AnyTypeInfoKind::Null | AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => {
            return Err(StoreError::Corrupt {
                table: "backup",
                column: "value",
                value: format!("{}.{}", table.name, column.name),
                reason: format!(
                    "a value of type {} has no place in Settle's schema",
                    raw.type_info().name()
                ),
            });
        }
    })
}

/// Why a restore refused its target or its rows.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "the database already holds books ({table} has rows): restore only into an empty database"
    )]
    NotEmpty { table: String },
    #[error(
        "the database's schema is at version {target}, past the backup's {backup}: restore into a database without a schema"
    )]
    SchemaAhead { target: i64, backup: i64 },
    #[error("the schema at version {version} has no table {table:?}")]
    UnknownTable { table: String, version: i64 },
    #[error("the schema at version {version} has no column {table}.{column}")]
    UnknownColumn {
        table: String,
        column: String,
        version: i64,
    },
    #[error("table {table}: a row has {found} values for {expected} columns")]
    RowWidth {
        table: String,
        found: usize,
        expected: usize,
    },
    #[error("table {table}: a row names a {parent} row that is not there")]
    DanglingReference { table: String, parent: String },
    /// The books were changed behind Settle's back before the backup was taken, or the file
    /// was rewritten with fresh checksums: restoring them would pass the tampering on.
    #[error("entity {entity}: the backup's {broken}")]
    AuditChain {
        entity: String,
        broken: settle_core::audit_chain::ChainBroken,
    },
}

impl From<RestoreError> for StoreError {
    fn from(error: RestoreError) -> StoreError {
        StoreError::Restore(Box::new(error))
    }
}

/// A load of a whole database in one transaction; nothing is kept unless [`Restore::finish`]
/// commits.
pub struct Restore {
    conn: AnyConnection,
    engine: Engine,
    version: i64,
    tables: HashMap<String, TableShape>,
    /// PostgreSQL's foreign keys, dropped for the load: (table, name, definition).
    foreign_keys: Vec<(String, String, String)>,
}

impl Store {
    /// Begins the load of a backup taken at schema `version` (at most this program's). The
    /// database must hold no rows; it gets the schema at `version` in the same transaction.
    pub async fn begin_restore(&self, version: i64) -> StoreResult<Restore> {
        let mut conn = self.pool.acquire().await?.detach();
        let begun = async {
            if self.engine == Engine::Sqlite {
                // Only outside a transaction does this pragma take effect.
                sqlx::raw_sql("PRAGMA foreign_keys = OFF")
                    .execute(&mut conn)
                    .await?;
                sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await?;
            } else {
                sqlx::raw_sql("BEGIN").execute(&mut conn).await?;
            }
            StoreResult::Ok(())
        }
        .await;
        if let Err(error) = begun {
            let _ = sqlx::Connection::close(conn).await;
            return Err(error);
        }
        let mut restore = Restore {
            conn,
            engine: self.engine,
            version,
            tables: HashMap::new(),
            foreign_keys: Vec::new(),
        };
        match restore.prepare().await {
            Ok(()) => Ok(restore),
            Err(error) => {
                restore.abandon().await;
                Err(error)
            }
        }
    }
}

impl Restore {
    async fn prepare(&mut self) -> StoreResult<()> {
        let current = schema_version_in(&mut self.conn, self.engine).await?;
        if current > self.version {
            return Err(RestoreError::SchemaAhead {
                target: current,
                backup: self.version,
            }
            .into());
        }
        for table in catalog(&mut self.conn, self.engine).await? {
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(&table.name));
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut self.conn)
                .await?;
            if rows > 0 {
                return Err(RestoreError::NotEmpty { table: table.name }.into());
            }
        }
        crate::apply_migrations(&mut self.conn, self.engine, current, self.version).await?;
        self.tables = catalog(&mut self.conn, self.engine)
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        if self.engine == Engine::Postgres {
            let rows = sqlx::query(
                "SELECT c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid) \
                 FROM pg_constraint c WHERE c.contype = 'f' \
                 AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
                 ORDER BY 1, 2",
            )
            .fetch_all(&mut self.conn)
            .await?;
            for row in rows {
                let (table, name, definition): (String, String, String) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                // The table name comes back quoted as needed already.
                let sql = format!("ALTER TABLE {table} DROP CONSTRAINT {}", quoted(&name));
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut self.conn)
                    .await?;
                self.foreign_keys.push((table, name, definition));
            }
        }
        Ok(())
    }

    /// The shape of a table of the target schema, refusing names it does not have.
    pub fn table(&self, name: &str) -> StoreResult<&TableShape> {
        self.tables.get(name).ok_or_else(|| {
            RestoreError::UnknownTable {
                table: name.to_string(),
                version: self.version,
            }
            .into()
        })
    }

    /// The target's tables, which the backup must match.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        names.sort();
        names
    }

    /// Inserts rows whose values are given in the order of `columns`.
    pub async fn insert(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[Vec<Value>],
    ) -> StoreResult<()> {
        let shape = self.table(table)?.clone();
        let kinds = columns
            .iter()
            .map(|name| {
                shape
                    .columns
                    .iter()
                    .find(|c| c.name == *name)
                    .map(|c| c.kind)
                    .ok_or_else(|| {
                        StoreError::from(RestoreError::UnknownColumn {
                            table: table.to_string(),
                            column: name.clone(),
                            version: self.version,
                        })
                    })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        if let Some(row) = rows.iter().find(|r| r.len() != columns.len()) {
            return Err(RestoreError::RowWidth {
                table: table.to_string(),
                found: row.len(),
                expected: columns.len(),
            }
            .into());
        }
        if columns.is_empty() {
            return Ok(());
        }
        let column_list = columns
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", ");
        let per_statement = (PARAMETERS_PER_INSERT / columns.len()).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut sql = format!("INSERT INTO {} ({column_list}) VALUES ", quoted(table));
            let mut parameter = 0;
            for (r, _) in chunk.iter().enumerate() {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..columns.len() {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    parameter += 1;
                    match self.engine {
                        // SQLite binds `?` in one pass; numbered parameters cost a search each.
                        Engine::Sqlite => sql.push('?'),
                        Engine::Postgres => sql.push_str(&format!("${parameter}")),
                    }
                }
                sql.push(')');
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for (value, kind) in row.iter().zip(&kinds) {
                    query = match (value, kind) {
                        (Value::Null, ColumnKind::Int) => query.bind(None::<i64>),
                        (Value::Null, ColumnKind::Text) => query.bind(None::<String>),
                        (Value::Null, ColumnKind::Blob) => query.bind(None::<Vec<u8>>),
                        (Value::Int(v), _) => query.bind(*v),
                        (Value::Text(v), _) => query.bind(v.clone()),
                        (Value::Blob(v), _) => query.bind(v.clone()),
                    };
                }
            }
            query.execute(&mut self.conn).await?;
        }
        Ok(())
    }

    /// Migrates the loaded books to this program's schema, checks every reference and every
    /// entity's audit chain, records `restored` at the end of each chain and commits. Returns
    /// each entity's code with its chain as committed.
    pub async fn finish(
        mut self,
        restored: &AuditChange,
    ) -> StoreResult<Vec<(String, ChainSummary)>> {
        match self.complete(restored).await {
            Ok(chains) => {
                let _ = sqlx::Connection::close(self.conn).await;
                Ok(chains)
            }
            Err(error) => {
                self.abandon().await;
                Err(error)
            }
        }
    }

    async fn complete(
        &mut self,
        restored: &AuditChange,
    ) -> StoreResult<Vec<(String, ChainSummary)>> {
        let known = schema::MIGRATIONS.last().map_or(0, |m| m.version);
        match self.engine {
            Engine::Sqlite => {
                let dangling =
                    sqlx::query("SELECT \"table\", parent FROM pragma_foreign_key_check LIMIT 1")
                        .fetch_optional(&mut self.conn)
                        .await?;
                if let Some(row) = dangling {
                    return Err(RestoreError::DanglingReference {
                        table: row.try_get(0)?,
                        parent: row.try_get(1)?,
                    }
                    .into());
                }
            }
            Engine::Postgres => {
                for (table, name, definition) in std::mem::take(&mut self.foreign_keys) {
                    let sql = format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {} {definition}",
                        quoted(&name)
                    );
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut self.conn)
                        .await
                        .map_err(|e| match &e {
                            sqlx::Error::Database(db) if db.code().as_deref() == Some("23503") => {
                                StoreError::from(RestoreError::DanglingReference {
                                    table: table.clone(),
                                    parent: definition.clone(),
                                })
                            }
                            _ => StoreError::from(e),
                        })?;
                }
            }
        }
        crate::apply_migrations(&mut self.conn, self.engine, self.version, known).await?;
        let chains = self.check_and_extend_chains(restored).await?;
        sqlx::raw_sql("COMMIT").execute(&mut self.conn).await?;
        Ok(chains)
    }

    async fn check_and_extend_chains(
        &mut self,
        restored: &AuditChange,
    ) -> StoreResult<Vec<(String, ChainSummary)>> {
        let entities = sqlx::query("SELECT id, code FROM entities ORDER BY id")
            .fetch_all(&mut self.conn)
            .await?;
        let mut chains = Vec::with_capacity(entities.len());
        for row in entities {
            let (id, code): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            let entity = settle_core::ids::EntityId(id);
            if let Err(broken) = crate::audit::check_chain(&mut self.conn, entity).await? {
                return Err(RestoreError::AuditChain {
                    entity: code,
                    broken,
                }
                .into());
            }
            let record =
                crate::audit::append(&mut self.conn, self.engine, entity, restored.clone()).await?;
            chains.push((
                code,
                ChainSummary {
                    rows: record.seq,
                    head: ChainHead {
                        seq: record.seq,
                        hash: record.hash,
                    },
                },
            ));
        }
        Ok(chains)
    }

    /// Rolls everything back: the target is as it was.
    pub async fn abandon(mut self) {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
        let _ = sqlx::Connection::close(self.conn).await;
    }
}
