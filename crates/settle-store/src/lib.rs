//! Settle's persistence: SQLite as the embedded default (one file, WAL) and PostgreSQL by URL.
//!
//! One schema for both engines (see [`schema`]), runtime-checked SQL written once with `$n`
//! placeholders, which both drivers accept. Writes happen inside a [`Tx`] that the service opens
//! per operation; the store never decides anything about money, it only keeps what the core
//! decided and reads it back. The subledger balances it keeps beside the postings
//! (`items.balance_minor`, `payments.unapplied_minor`) are moved in the same transaction as the
//! postings, from the entry's own deltas, and [`Store::verify`] recomputes them from scratch.

mod access;
mod account_view;
mod aging_bucket;
mod approvals;
mod audit;
mod backup;
mod bank;
mod bulk;
mod close;
mod codec;
mod collections;
mod columns;
mod contact_export;
mod contention;
mod customer_documents;
mod customers;
// Collections: disputes and deductions, credit management.
mod credit;
mod disputes;
mod documents;
mod gl;
mod learning;
mod listing;
mod matching;
mod outbox;
mod portal;
mod read;
mod reports;
pub mod schema;
mod sessions;
#[allow(unsafe_code)]
mod sqlite_native;
mod tx;

// Collections: KPI sums, late-payment interest, agency placements.
mod interest;
mod kpis;
pub use interest::{
    InterestCandidate, NewInterestCharge, NewPlacement, PlacementRow, PlacementSum,
};
pub use kpis::{CustomerSum, DailySales, PromiseOutcomes};

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use access::TokenRow;
pub use aging_bucket::{BucketRange, BucketRow, BucketTotal};
pub use approvals::{ApprovalLimitRow, ApprovalRow, Decision, NewApproval};
pub use audit::{AuditChange, AuditFilter};
pub use backup::{ColumnKind, ColumnShape, Restore, RestoreError, Snapshot, TableShape, Value};
pub use bank::{BankLineRow, NewBankLine, NewBankStatement};
pub use close::{
    AdjustmentRow, AgingSnapshotRow, OpenDisputeRow, OpenSuggestionRow, PeriodCloseRow,
    PeriodLogRow, ReserveRunRow, SnapshotItem, SpecificReserveRow, UnappliedAtRow, UserRow,
};
pub use collections::{
    CollectionAccount, CollectionSettings, CustomerExposure, DunningActionRow, EscalationRow,
    NewDunningAction, NewPlan, NewPromise, OpenItemRow, PlanRow, PromiseRow,
};
pub use contact_export::ContactExportRow;
pub use contention::Contention;
pub use credit::{
    CreditHoldRow, CreditReviewRow, CustomerCreditRow, NewCreditReview, NewOrderCheck,
};
pub use customer_documents::{CustomerMovement, ItemDocument, PaymentDocument, UnappliedAsOf};
pub use customers::ContactLogRow;
pub use disputes::{DisputeFilter, DisputeNoteRow, DisputeResolution, DisputeRow, NewDispute};
pub use documents::{DocumentRows, PreparedWrites};
pub use gl::{GlBalanceRow, GlImportRow, GlLineRow, NewGlImport};
pub use learning::{AppliedPaymentRow, Learned, MatchRuleRow, NewMatchRule};
pub use listing::{
    CustomerListFilter, CustomerListRow, ItemListRow, PaymentListRow, SuggestionRow,
};
pub use matching::{
    ExportRow, MatchDecisionRow, MatchItemRow, NewMatchDecision, PaymentApplication,
    PaymentForMatch,
};
pub use outbox::{ClaimedEmail, EmailRouteRow, OutboxRow, outbox_time};
pub use portal::{AdviceItemRow, AdviceRow, NewAdvice, NewPortalLink, PortalLinkRow};
pub use read::{
    AccountTotals, ActivityLine, CustomerSummary, JournalLine, PaymentRow, VerifyReport,
};
pub use reports::{
    CashApplicationRow, CashPostingRow, ReceivedPaymentRow, ReconLineRow, StatementRow,
};
pub use sessions::SessionRow;
pub use tx::{ApplicationRecord, EntityRow, IdempotentResponse, ImportRecord, Tx};

/// Which SQL engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The storage under the database failed, not the operation: the location is not in the
    /// message, front ends say which database they opened.
    #[error("{}: {source}", failure.explanation())]
    Storage {
        failure: StorageFailure,
        source: sqlx::Error,
    },
    /// The location is not in the message: front ends say which database they opened.
    #[error("{source}")]
    Open {
        location: String,
        source: sqlx::Error,
    },
    #[error(
        "the database holds a value Settle cannot read ({table}.{column} = {value:?}): {reason}"
    )]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "the database schema is at version {found}, newer than this program's {known}: upgrade Settle"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the database has no Settle schema yet: run `settle init` first")]
    NotInitialised,
    #[error(
        "the database's schema is version {found}, older than this program's {known}: run `settle init` to upgrade it"
    )]
    SchemaTooOld { found: i64, known: i64 },
    #[error("no legal entity {0:?} in this database (`settle init --entity {0}` creates it)")]
    NoEntity(String),
    /// SQLite's C interface refused something the driver does not cover.
    #[error("SQLite: {0}")]
    Native(String),
    #[error("no customer {code:?} is stored")]
    UnknownCustomer { code: String },
    #[error("{0}")]
    Restore(Box<backup::RestoreError>),
    /// A row that a transaction changes only from one state was found in another: decided
    /// meanwhile by another transaction.
    #[error("{what} was decided meanwhile by someone else; nothing was changed")]
    AlreadyDecided { what: String },
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(source: sqlx::Error) -> StoreError {
        match StorageFailure::of(&source) {
            Some(failure) => StoreError::Storage { failure, source },
            None => StoreError::Database(source),
        }
    }
}

impl StoreError {
    /// Whether the storage failed (disk, permissions, connection) rather than the operation.
    pub fn storage_failure(&self) -> Option<StorageFailure> {
        match self {
            StoreError::Storage { failure, .. } => Some(*failure),
            StoreError::Open { source, .. } => StorageFailure::of(source),
            _ => None,
        }
    }
}

/// Ways the storage under a database fails that a person must fix outside Settle. A
/// transaction they interrupt is rolled back by the engine, so what it wrote is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFailure {
    /// SQLite: the disk is full (`SQLITE_FULL`).
    Full,
    /// SQLite: a write or sync failed (`SQLITE_IOERR`): a full disk, the file-size limit
    /// (`ulimit -f`), a failing device.
    WriteFailed,
    /// SQLite: the file cannot be written (`SQLITE_READONLY`); PostgreSQL: a read-only
    /// transaction or server.
    ReadOnly,
    /// PostgreSQL: the connection broke, or the server ended the session (an administrator,
    /// a shutdown, a crash).
    ConnectionLost,
}

impl StorageFailure {
    /// Recognises a storage failure in a driver's error.
    pub fn of(error: &sqlx::Error) -> Option<StorageFailure> {
        use sqlx::error::DatabaseError as _;
        const SQLITE_READONLY: i32 = 8;
        const SQLITE_IOERR: i32 = 10;
        const SQLITE_FULL: i32 = 13;
        match error {
            sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => Some(StorageFailure::ConnectionLost),
            sqlx::Error::Database(database) => {
                if let Some(sqlite) = database.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                    let code = sqlite.code().and_then(|c| c.parse::<i32>().ok())?;
                    match code & 0xff {
                        SQLITE_FULL => Some(StorageFailure::Full),
                        SQLITE_IOERR => Some(StorageFailure::WriteFailed),
                        SQLITE_READONLY => Some(StorageFailure::ReadOnly),
                        _ => None,
                    }
                } else if let Some(postgres) =
                    database.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                {
                    let state = postgres.code();
                    // Class 08: connection exceptions; 57P01–57P03: the server ended the
                    // session (administrator, shutdown, crash); 25006: read-only transaction.
                    if state.starts_with("08") || matches!(state, "57P01" | "57P02" | "57P03") {
                        Some(StorageFailure::ConnectionLost)
                    } else if state == "25006" {
                        Some(StorageFailure::ReadOnly)
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// What happened, what became of the operation, and what to do.
    pub fn explanation(self) -> &'static str {
        match self {
            StorageFailure::Full => {
                "the disk under the database is full: the operation was rolled back and nothing \
                 was changed; free some space and run it again"
            }
            StorageFailure::WriteFailed => {
                "the database could not be written (a full disk, the file-size limit or a \
                 failing device): the operation was rolled back and nothing was changed; fix \
                 the storage and run it again"
            }
            StorageFailure::ReadOnly => {
                "the database is read-only (the permissions of the file or its folder, a \
                 read-only mount, an immutable file): nothing was changed; make it writable for \
                 the user running Settle and run the command again"
            }
            StorageFailure::ConnectionLost => {
                "the connection to the database server was lost: the server rolls back the \
                 unfinished transaction, so nothing of it was kept; run the command again when \
                 the server is reachable (an import already stored is never stored twice)"
            }
        }
    }
}

/// SQLite has one writer; more connections only serve parallel reads.
const MAX_SQLITE_CONNECTIONS: u32 = 4;

/// Page cache of a SQLite connection, in KiB.
pub(crate) const CACHE_KIB: i64 = 65_536;

/// A connection pool to one Settle database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
}

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from_version: i64,
    pub to_version: i64,
}

impl Engine {
    /// Tells the engine from a `--db` value: a `postgres://` or `postgresql://` URL, else a
    /// SQLite file path (or `sqlite:` URL).
    pub fn of(location: &str) -> Engine {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }

    /// Row locks for rows read to decide a write; SQLite's write transactions lock the file.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }
}

/// Creates a SQLite database file that does not exist yet readable by its owner only: it holds
/// the books. SQLite gives its journal and WAL files the database file's permissions. A file
/// that exists keeps the permissions its owner chose; one that cannot be created here is left
/// for SQLite to report.
fn create_private_file(location: &str) {
    if location.starts_with("sqlite:") || location == ":memory:" {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = options.open(location);
}

fn sqlite_url(location: &str) -> String {
    if location.starts_with("sqlite:") {
        location.to_string()
    } else {
        format!("sqlite://{location}?mode=rwc")
    }
}

impl Store {
    /// Opens a pool; creates an empty SQLite file if there is none. Does not touch the schema.
    pub async fn connect(location: &str) -> StoreResult<Store> {
        install_default_drivers();
        let engine = Engine::of(location);
        if engine == Engine::Sqlite {
            sqlite_native::register()?;
            create_private_file(location);
        }
        let url = match engine {
            Engine::Sqlite => sqlite_url(location),
            Engine::Postgres => location.to_string(),
        };
        let options = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => MAX_SQLITE_CONNECTIONS,
                Engine::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(10))
            // A SQLite connection is a file handle that cannot drop out from under the pool,
            // so the ping before each use only costs a trip to its worker thread; a server's
            // connection can be cut, and is tested.
            .test_before_acquire(engine == Engine::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers work beside the one writer; NORMAL sync is durable
                        // across application crashes and cheap; foreign keys are off by default.
                        // Reads go through a memory map of the file (SQLite caps it at its
                        // compiled-in limit): a page already in the OS's cache is read where it
                        // lies instead of copied by a system call into each connection's cache,
                        // which is what many clients reading scattered accounts pay most for.
                        conn.execute(
                            "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; \
                             PRAGMA mmap_size = 17179869184;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            });
        let open_error = |source| StoreError::Open {
            location: redact(location),
            source,
        };
        // One plain connection first: a pool that cannot connect only says it timed out, while
        // the driver says why (refused, no such database, authentication).
        let probe = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
            .await
            .map_err(open_error)?;
        sqlx::Connection::close(probe).await.map_err(open_error)?;
        let pool = options.connect(&url).await.map_err(open_error)?;
        Ok(Store { pool, engine })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers (a health check).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The schema version in the database (0 when it has none).
    pub async fn schema_version(&self) -> StoreResult<i64> {
        let exists: i64 = match self.engine {
            Engine::Sqlite => sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            ),
            Engine::Postgres => sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
            ),
        }
        .fetch_one(&self.pool)
        .await?;
        if exists == 0 {
            return Ok(0);
        }
        let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(version.unwrap_or(0))
    }

    /// Creates or upgrades the schema, each migration in its own transaction.
    pub async fn migrate(&self) -> StoreResult<MigrationReport> {
        let known = schema::MIGRATIONS.last().map_or(0, |m| m.version);
        self.migrate_to(known).await
    }

    /// Applies the migrations up to `target` and no further, each in its own transaction:
    /// `migrate` with this program's last version, or an earlier schema for upgrade tests.
    pub async fn migrate_to(&self, target: i64) -> StoreResult<MigrationReport> {
        let known = schema::MIGRATIONS.last().map_or(0, |m| m.version);
        let from_version = self.schema_version().await?;
        if from_version > known {
            return Err(StoreError::SchemaTooNew {
                found: from_version,
                known,
            });
        }
        let mut conn = self.pool.acquire().await?;
        let mut version = from_version;
        for migration in schema::MIGRATIONS
            .iter()
            .filter(|m| m.version > from_version && m.version <= target)
        {
            sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
            match apply_migrations(&mut conn, self.engine, version, migration.version).await {
                Ok(()) => sqlx::raw_sql("COMMIT").execute(&mut *conn).await?,
                Err(error) => {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                    return Err(error);
                }
            };
            version = migration.version;
        }
        Ok(MigrationReport {
            from_version,
            to_version: version.max(from_version),
        })
    }

    /// Fails unless the schema is current: every command but `init` needs it.
    pub async fn require_schema(&self) -> StoreResult<()> {
        let known = schema::MIGRATIONS.last().map_or(0, |m| m.version);
        match self.schema_version().await? {
            0 => Err(StoreError::NotInitialised),
            v if v > known => Err(StoreError::SchemaTooNew { found: v, known }),
            v if v < known => Err(StoreError::SchemaTooOld { found: v, known }),
            _ => Ok(()),
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that read state to decide never loses a race to upgrade.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        };
        Ok(Tx::new(tx, self.engine))
    }

    /// Starts a transaction that only reads: one consistent view of the books without taking
    /// SQLite's write lock, so pages and reports never wait for a writer (nor make one wait).
    pub async fn begin_read(&self) -> StoreResult<Tx> {
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN DEFERRED").await?,
            Engine::Postgres => self.pool.begin_with("BEGIN READ ONLY").await?,
        };
        Ok(Tx::new(tx, self.engine))
    }

    /// Starts the write transaction of a bulk load. On SQLite it runs on a connection taken
    /// out of the pool with foreign-key enforcement off: every reference a bulk load writes
    /// (its entity, its import, customers it resolved by code) was read or written in the same
    /// transaction, and checking each of millions of rows against its parents again cost a
    /// tenth of a large import. `verify` still checks every reference. PostgreSQL begins as
    /// usual.
    pub async fn begin_bulk(&self) -> StoreResult<Tx> {
        if self.engine != Engine::Sqlite {
            return self.begin().await;
        }
        let mut conn = self.pool.acquire().await?.detach();
        sqlx::raw_sql("PRAGMA foreign_keys = OFF")
            .execute(&mut conn)
            .await?;
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await?;
        Ok(Tx::detached(conn, self.engine))
    }

    /// How many connections a read may split its work over: the cores, within the pool.
    pub(crate) fn read_parallelism(&self) -> i64 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
        cores.clamp(1, i64::from(MAX_SQLITE_CONNECTIONS))
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Applies the migrations after version `from` up to `to` on a connection whose transaction the
/// caller holds, recording each.
pub(crate) async fn apply_migrations(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    from: i64,
    to: i64,
) -> StoreResult<()> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    for migration in schema::MIGRATIONS
        .iter()
        .filter(|m| m.version > from && m.version <= to)
    {
        for statement in schema::statements(migration, engine) {
            conn.execute(sqlx::AssertSqlSafe(statement)).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.description)
        .bind(codec::now())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Hides a password in a database URL before it reaches a message.
pub fn redact(location: &str) -> String {
    match (location.find("://"), location.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &location[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    &location[..scheme_end + 3],
                    &location[at..]
                ),
                None => location.to_string(),
            }
        }
        _ => location.to_string(),
    }
}

/// Reads a text column of a row and parses it, naming the table and column when it does not.
pub(crate) fn text_column<T: FromStr>(
    row: &impl columns::Columns,
    table: &'static str,
    column: &'static str,
) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    parse_column(table, column, &row.cell::<String>(column)?)
}

/// Parses a stored text column, naming the column when it does not parse.
pub(crate) fn parse_column<T: FromStr>(
    table: &'static str,
    column: &'static str,
    value: &str,
) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    value.parse::<T>().map_err(|e| StoreError::Corrupt {
        table,
        column,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_and_redaction() {
        assert_eq!(Engine::of("postgres://u@h/db"), Engine::Postgres);
        assert_eq!(Engine::of("./settle.db"), Engine::Sqlite);
        assert_eq!(
            redact("postgres://user:secret@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(redact("./a@b.db"), "./a@b.db");
    }
}
