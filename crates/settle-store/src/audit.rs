//! The audit trail's rows (migration 16): one chain per entity, appended in the transaction of
//! the change each row records, never updated or deleted.
//!
//! Appending reads the entity's chain head (`audit_heads`) locked `FOR UPDATE` on PostgreSQL and
//! moves it in the same transaction, so two writers can never both link to the same previous
//! row; SQLite's write transactions already run one at a time. The hashing and the check are
//! the core's (`settle_core::audit_chain`); this module only stores and reads.

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};

use settle_core::audit_chain::{
    AuditEntry, AuditRecord, ChainBroken, ChainCheck, ChainHead, ChainSummary, GENESIS, Target,
};
use settle_core::ids::EntityId;

use crate::codec::now;
use crate::{Engine, Store, StoreResult, Tx};

/// A change to record: everything but the time (the store's clock) and the chain's links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditChange {
    pub actor: String,
    pub origin: String,
    pub operation: String,
    pub target: Target,
    pub before: String,
    pub after: String,
}

/// Which rows of the audit log to read; every condition optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Rows at or after this instant (RFC 3339 text, compared as stored).
    pub from_at: Option<String>,
    /// Rows before this instant.
    pub until_at: Option<String>,
    pub actor: Option<String>,
    pub operation: Option<String>,
}

const COLUMNS: &str = "seq, at, actor, origin, operation, target_kind, target_key, before_json, after_json, prev_hash, hash";

fn record(row: &sqlx::any::AnyRow) -> StoreResult<AuditRecord> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        entry: AuditEntry {
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            origin: row.try_get("origin")?,
            operation: row.try_get("operation")?,
            target: Target {
                kind: row.try_get("target_kind")?,
                key: row.try_get("target_key")?,
            },
            before: row.try_get("before_json")?,
            after: row.try_get("after_json")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Appends `change` to the entity's chain on a connection whose transaction the caller holds.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    engine: Engine,
    entity: EntityId,
    change: AuditChange,
) -> StoreResult<AuditRecord> {
    let head = locked_head(conn, engine, entity).await?;
    let record = AuditRecord::link(
        head.seq + 1,
        &head.hash,
        AuditEntry {
            at: now(),
            actor: change.actor,
            origin: change.origin,
            operation: change.operation,
            target: change.target,
            before: change.before,
            after: change.after,
        },
    );
    let entry = &record.entry;
    sqlx::query(
        "INSERT INTO audit_log (entity_id, seq, at, actor, origin, operation, target_kind, \
         target_key, before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entity.0)
    .bind(record.seq)
    .bind(entry.at.clone())
    .bind(entry.actor.clone())
    .bind(entry.origin.clone())
    .bind(entry.operation.clone())
    .bind(entry.target.kind.clone())
    .bind(entry.target.key.clone())
    .bind(entry.before.clone())
    .bind(entry.after.clone())
    .bind(record.prev_hash.clone())
    .bind(record.hash.clone())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE entity_id = $3")
        .bind(record.seq)
        .bind(record.hash.clone())
        .bind(entity.0)
        .execute(&mut *conn)
        .await?;
    Ok(record)
}

/// The entity's chain head, locked until the transaction ends. An entity created before the
/// audit trail has its head from migration 16 and every later one from `create_entity`; a
/// missing head is made here, and two writers making it at once lose one to the unique key
/// (a conflict the service's retry runs again).
async fn locked_head(
    conn: &mut AnyConnection,
    engine: Engine,
    entity: EntityId,
) -> StoreResult<ChainHead> {
    let sql = format!(
        "SELECT seq, hash FROM audit_heads WHERE entity_id = $1{}",
        engine.for_update()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(entity.0)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(ChainHead {
            seq: row.try_get("seq")?,
            hash: row.try_get("hash")?,
        }),
        None => {
            create_head(conn, entity).await?;
            Ok(ChainHead::empty())
        }
    }
}

pub(crate) async fn create_head(conn: &mut AnyConnection, entity: EntityId) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit_heads (entity_id, seq, hash) VALUES ($1, 0, $2)")
        .bind(entity.0)
        .bind(GENESIS)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Checks the entity's whole chain, row by row in sequence order, against its head, on a
/// connection that sees one snapshot.
pub(crate) async fn check_chain(
    conn: &mut AnyConnection,
    entity: EntityId,
) -> StoreResult<Result<ChainSummary, ChainBroken>> {
    let head = sqlx::query("SELECT seq, hash FROM audit_heads WHERE entity_id = $1")
        .bind(entity.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| -> StoreResult<ChainHead> {
            Ok(ChainHead {
                seq: row.try_get("seq")?,
                hash: row.try_get("hash")?,
            })
        })
        .transpose()?
        .unwrap_or_else(ChainHead::empty);
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE entity_id = $1 ORDER BY seq");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(entity.0)
        .fetch(&mut *conn);
    let mut check = ChainCheck::default();
    while let Some(row) = rows.try_next().await? {
        if let Err(broken) = check.push(&record(&row)?) {
            return Ok(Err(broken));
        }
    }
    Ok(check.finish(&head))
}

impl Tx {
    /// Records a change in this transaction: it commits with the change or not at all.
    pub async fn append_audit(
        &mut self,
        entity: EntityId,
        change: AuditChange,
    ) -> StoreResult<AuditRecord> {
        let engine = self.engine;
        append(self.conn(), engine, entity, change).await
    }
}

impl Store {
    /// Checks the entity's chain as of one moment; writers are not held up.
    pub async fn verify_audit_chain(
        &self,
        entity: EntityId,
    ) -> StoreResult<Result<ChainSummary, ChainBroken>> {
        let mut tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN DEFERRED").await?,
            Engine::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        };
        let result = check_chain(&mut tx, entity).await?;
        tx.rollback().await?;
        Ok(result)
    }

    /// The entity's audit rows that pass `filter`, in sequence order.
    pub async fn audit_log(
        &self,
        entity: EntityId,
        filter: &AuditFilter,
    ) -> StoreResult<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE entity_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR at >= $2) AND (CAST($3 AS TEXT) IS NULL OR at < $3) \
             AND (CAST($4 AS TEXT) IS NULL OR actor = $4) \
             AND (CAST($5 AS TEXT) IS NULL OR operation = $5) ORDER BY seq"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(filter.from_at.clone())
            .bind(filter.until_at.clone())
            .bind(filter.actor.clone())
            .bind(filter.operation.clone())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }
}
