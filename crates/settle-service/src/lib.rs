//! Settle's operations. Each one is a single transaction: load the state it acts on, let the
//! core decide, write what the core decided, commit. Every front end (the CLI now, the HTTP API
//! later) calls these and nothing else; none of them holds business rules.

pub mod access;
pub mod approvals;
pub mod audit;
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
pub mod matching;
mod ops;
// Collections: KPIs, late-payment interest, agency placements.
pub mod agency;
pub mod interest;
pub mod kpis;
pub mod outbox;
pub mod private_files;
pub mod reports;
pub mod reserve;
pub mod retry;
mod serde_text;
pub mod templates;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use settle_core::Currency;
use settle_store::{EntityRow, IdempotentResponse, Store, Tx};

pub use approvals::{Decided, PendingApproval};
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
    /// Who is acting: recorded on closes, reopenings, reserves and adjustments.
    actor: String,
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

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
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
            None => (
                tx.create_entity(entity_code, entity_name, functional_currency)
                    .await?,
                true,
            ),
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
        })
    }

    /// The same database, acting as `user`.
    pub fn acting_as(mut self, user: &str) -> Settle {
        self.actor = user.to_string();
        self
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
    /// ([`retry::retrying`]), so `body` must only decide from what it reads in `tx`.
    pub(crate) async fn write<T>(
        &self,
        idempotency_key: Option<&str>,
        operation: &str,
        request: &str,
        body: impl AsyncFn(&mut Tx) -> ServiceResult<T>,
    ) -> ServiceResult<Outcome<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        let request_hash = sha256_hex(format!("{operation}\n{request}").as_bytes());
        retry::retrying(operation, || {
            self.write_once(idempotency_key, operation, &request_hash, &body)
        })
        .await
    }

    async fn write_once<T>(
        &self,
        idempotency_key: Option<&str>,
        operation: &str,
        request_hash: &str,
        body: &impl AsyncFn(&mut Tx) -> ServiceResult<T>,
    ) -> ServiceResult<Outcome<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        let entity = self.entity.id;
        let mut tx = self.store.begin().await?;
        if let Some(key) = idempotency_key
            && let Some(previous) = tx.idempotent_response(entity, key).await?
        {
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
            return Ok(Outcome {
                value,
                replayed: true,
            });
        }
        let value = body(&mut tx).await?;
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

/// A database location fit for messages: a password in a URL is hidden.
pub fn redact_location(location: &str) -> String {
    settle_store::redact(location)
}
