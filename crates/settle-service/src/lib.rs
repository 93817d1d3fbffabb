//! Settle's operations. Each one is a single transaction: load the state it acts on, let the
//! core decide, write what the core decided, commit. Every front end (the CLI now, the HTTP API
//! later) calls these and nothing else; none of them holds business rules.

/// Independent reads as one `Result` of a tuple: side by side, each on its own pooled
/// connection, or one after the other when `$settle` reads sequentially.
macro_rules! independent_reads {
    ($settle:expr; $($read:expr),+ $(,)?) => {
        if $settle.sequential_reads() {
            async { Ok::<_, settle_store::StoreError>(($($read.await?,)+)) }.await
        } else {
            tokio::try_join!($($read),+)
        }
    };
}

pub mod access;
pub mod aging_items;
pub mod approvals;
pub mod audit;
pub mod audit_trail;
pub mod backup;
pub mod bench;
pub mod bench_collections;
pub mod bench_statements;
pub mod cash_reports;
mod chart;
pub mod close;
pub mod collections;
// Collections: disputes and deductions, credit management.
pub mod credit;
pub mod demo;
mod demo_bank;
pub mod disputes;
pub mod documents;
mod error;
// Exports: reports as tables, written as CSV or XLSX.
pub mod export;
pub mod gl_recon;
pub mod import;
pub mod journal_export;
pub mod learning;
pub mod listing;
pub mod matching;
mod ops;
// Collections: KPIs, late-payment interest, agency placements.
pub mod agency;
pub mod interest;
pub mod kpis;
pub mod outbox;
pub mod portal;
pub mod private_files;
mod remittance_advice;
pub mod reports;
pub mod reserve;
pub mod retry;
mod serde_text;
pub mod sessions;
pub mod templates;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use settle_core::Currency;
use settle_core::audit_chain::Target;
use settle_store::{EntityRow, IdempotentResponse, Store, Tx};

pub use approvals::{Decided, PendingApproval};
pub use audit_trail::{AuditQuery, Change};
pub use error::{ROW_ERRORS_SHOWN, RowError, ServiceError, ServiceResult, distinct_rows};
pub use ops::*;

/// Who acts when nobody is named.
pub const SYSTEM_ACTOR: &str = "system";

/// The entity a fresh database gets when none is named.
pub const DEFAULT_ENTITY: &str = "MAIN";

/// An open Settle database, scoped to one legal entity.
#[derive(Debug, Clone)]
pub struct Settle {
    store: Store,
    entity: EntityRow,
    /// Who is acting: recorded on closes, reopenings, reserves and adjustments, and on every
    /// row of the audit trail.
    actor: String,
    /// The idempotency key of the request being served, for writes not given one
    /// explicitly (the HTTP API's `Idempotency-Key`).
    request_key: Option<String>,
    /// Where changes come from (`cli ann`, `http 10.0.0.7`), for the audit trail.
    origin: String,
    /// Whether reads of the whole book run one after the other instead of side by side on
    /// pooled connections (see [`Settle::with_sequential_reads`]).
    sequential_reads: bool,
}

/// The result of a write, and whether it was replayed from an earlier request with the same
/// idempotency key (then nothing was posted this time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome<T> {
    #[serde(flatten)]
    pub value: T,
    pub replayed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    pub from_version: i64,
    pub to_version: i64,
    pub entity_created: bool,
    pub entity: EntityRow,
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Settle {
    /// Creates or upgrades the schema and makes sure the entity exists.
    pub async fn init(
        location: &str,
        entity_code: &str,
        entity_name: &str,
        functional_currency: Currency,
    ) -> ServiceResult<(Settle, InitReport)> {
        let store = Store::connect(location).await?;
        let migration = store.migrate().await?;
        let mut tx = store.begin().await?;
        let (entity, entity_created) = match tx.entity(entity_code).await? {
            Some(entity) => (entity, false),
            None => {
                let entity = tx
                    .create_entity(entity_code, entity_name, functional_currency)
                    .await?;
                let created = settle_store::AuditChange {
                    actor: SYSTEM_ACTOR.to_string(),
                    origin: audit_trail::DEFAULT_ORIGIN.to_string(),
                    operation: "create_entity".to_string(),
                    target: Target::new("entity", entity_code),
                    before: String::new(),
                    after: serde_json::json!({
                        "code": entity_code,
                        "name": entity_name,
                        "functional_currency": functional_currency.code(),
                    })
                    .to_string(),
                };
                tx.append_audit(entity.id, created).await?;
                (entity, true)
            }
        };
        tx.commit().await?;
        let report = InitReport {
            from_version: migration.from_version,
            to_version: migration.to_version,
            entity_created,
            entity: entity.clone(),
        };
        Ok((
            Settle {
                store,
                entity,
                actor: SYSTEM_ACTOR.to_string(),
                request_key: None,
                origin: audit_trail::DEFAULT_ORIGIN.to_string(),
                sequential_reads: false,
            },
            report,
        ))
    }

    /// Opens an initialised database for one entity.
    pub async fn open(location: &str, entity_code: &str) -> ServiceResult<Settle> {
        let store = Store::connect(location).await?;
        store.require_schema().await?;
        let entity = store.entity(entity_code).await?;
        Ok(Settle {
            store,
            entity,
            actor: SYSTEM_ACTOR.to_string(),
            request_key: None,
            origin: audit_trail::DEFAULT_ORIGIN.to_string(),
            sequential_reads: false,
        })
    }

    /// The same database, acting as `user`.
    pub fn acting_as(mut self, user: &str) -> Settle {
        self.actor = user.to_string();
        self
    }

    /// The same database, serving a request that carries an idempotency key: every write made
    /// through it that is not given a key of its own is replayed, not repeated, when a request
    /// with the same key comes again.
    pub fn with_idempotency_key(mut self, key: Option<&str>) -> Settle {
        self.request_key = key.map(str::to_string);
        self
    }

    /// The same database, reading the whole book (the worklist's ranking, a dunning run) one
    /// query at a time on one core instead of side by side on all of them: for background work
    /// that must leave the other cores to the requests being served.
    pub fn with_sequential_reads(mut self) -> Settle {
        self.sequential_reads = true;
        self
    }

    pub(crate) fn sequential_reads(&self) -> bool {
        self.sequential_reads
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn entity(&self) -> &EntityRow {
        &self.entity
    }

    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Runs `body` in one transaction. With an idempotency key, a request seen before returns
    /// its first response and writes nothing; the same key with another request is refused.
    /// A transaction that loses to a concurrent one is run again from the start
    /// ([`retry::retrying`]), so `body` must only decide from what it reads in `tx`. The audit
    /// trail records the operation on `target` (named from the response, which knows the ids
    /// the write allocated) with the request and the response, in the same transaction.
    pub(crate) async fn write<T>(
        &self,
        idempotency_key: Option<&str>,
        operation: &str,
        target: impl Fn(&T) -> Target,
        request: &str,
        body: impl AsyncFn(&mut Tx) -> ServiceResult<T>,
    ) -> ServiceResult<Outcome<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        let nothing_before = async |_: &mut Tx| Ok::<_, ServiceError>(serde_json::Value::Null);
        self.write_updating(
            idempotency_key,
            operation,
            target,
            request,
            nothing_before,
            body,
        )
        .await
    }

    /// [`Settle::write`] for a change to a record that exists: `before` reads its state in the
    /// transaction, ahead of `body`, for the audit trail's `before`.
    pub(crate) async fn write_updating<T>(
        &self,
        idempotency_key: Option<&str>,
        operation: &str,
        target: impl Fn(&T) -> Target,
        request: &str,
        before: impl AsyncFn(&mut Tx) -> ServiceResult<serde_json::Value>,
        body: impl AsyncFn(&mut Tx) -> ServiceResult<T>,
    ) -> ServiceResult<Outcome<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        let request_hash = sha256_hex(format!("{operation}\n{request}").as_bytes());
        let idempotency_key = idempotency_key.or(self.request_key.as_deref());
        let call = WriteCall {
            idempotency_key,
            operation,
            request,
            request_hash: &request_hash,
        };
        retry::retrying(operation, || {
            self.write_once(&call, &target, &before, &body)
        })
        .await
    }

    async fn write_once<T>(
        &self,
        call: &WriteCall<'_>,
        target: &impl Fn(&T) -> Target,
        before: &impl AsyncFn(&mut Tx) -> ServiceResult<serde_json::Value>,
        body: &impl AsyncFn(&mut Tx) -> ServiceResult<T>,
    ) -> ServiceResult<Outcome<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        let WriteCall {
            idempotency_key,
            operation,
            request_hash,
            ..
        } = *call;
        let entity = self.entity.id;
        let mut tx = self.store.begin().await?;
        if let Some(key) = idempotency_key
            && let Some(previous) = tx.idempotent_response(entity, key).await?
        {
            return replay(key, operation, request_hash, previous);
        }
        let state_before = before(&mut tx).await?;
        let value = body(&mut tx).await?;
        let mut change = Change::new(operation, target(&value)).request(call.request, &value);
        if !state_before.is_null() {
            change = change.before(&state_before);
        }
        self.record_change(&mut tx, change).await?;
        if let Some(key) = idempotency_key {
            let response = serde_json::to_string(&value)
                .map_err(|e| ServiceError::Refused(format!("cannot record the response: {e}")))?;
            tx.remember_response(
                entity,
                key,
                &IdempotentResponse {
                    operation: operation.to_string(),
                    request_hash: request_hash.to_string(),
                    response,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Outcome {
            value,
            replayed: false,
        })
    }
}

impl Settle {
    /// Runs an operation that keeps its own transactions (imports, matching decisions, the
    /// collections log) under the request's idempotency key, if it carries one: a key seen
    /// before returns the first response and runs nothing; otherwise the operation runs and
    /// its response is remembered. Unlike [`Settle::write`], the response is remembered just
    /// after the operation commits, not inside its transaction, so a crash between the two
    /// leaves the key unused and a retry runs the operation again.
    pub async fn replayable<T>(
        &self,
        operation: &str,
        request: &str,
        body: impl AsyncFnOnce() -> ServiceResult<T>,
    ) -> ServiceResult<Outcome<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        let Some(key) = self.request_key.as_deref() else {
            return Ok(Outcome {
                value: body().await?,
                replayed: false,
            });
        };
        let entity = self.entity.id;
        let request_hash = sha256_hex(format!("{operation}\n{request}").as_bytes());
        let mut tx = self.store.begin().await?;
        let previous = tx.idempotent_response(entity, key).await?;
        tx.commit().await?;
        if let Some(previous) = previous {
            return replay(key, operation, &request_hash, previous);
        }
        let value = body().await?;
        let response = serde_json::to_string(&value)
            .map_err(|e| ServiceError::Refused(format!("cannot record the response: {e}")))?;
        let mut tx = self.store.begin().await?;
        if let Some(previous) = tx.idempotent_response(entity, key).await? {
            // A request with the same key ran alongside and finished first.
            return replay(key, operation, &request_hash, previous);
        }
        tx.remember_response(
            entity,
            key,
            &IdempotentResponse {
                operation: operation.to_string(),
                request_hash,
                response,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Outcome {
            value,
            replayed: false,
        })
    }
}

/// The first response to a key, or the refusal when the key came with another request.
fn replay<T: DeserializeOwned>(
    key: &str,
    operation: &str,
    request_hash: &str,
    previous: IdempotentResponse,
) -> ServiceResult<Outcome<T>> {
    if previous.operation != operation || previous.request_hash != request_hash {
        return Err(ServiceError::IdempotencyConflict {
            key: key.to_string(),
            operation: previous.operation,
        });
    }
    let value = serde_json::from_str(&previous.response).map_err(|e| {
        ServiceError::Refused(format!(
            "stored response for key {key:?} is unreadable: {e}"
        ))
    })?;
    Ok(Outcome {
        value,
        replayed: true,
    })
}

/// What one write was asked to do, as each of its attempts needs it.
struct WriteCall<'a> {
    idempotency_key: Option<&'a str>,
    operation: &'a str,
    request: &'a str,
    request_hash: &'a str,
}

/// A database location fit for messages: a password in a URL is hidden.
pub fn redact_location(location: &str) -> String {
    settle_store::redact(location)
}
