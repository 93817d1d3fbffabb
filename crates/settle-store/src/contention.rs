//! Telling a transaction that lost to another one from a transaction that failed.
//!
//! Two clients changing the same rows at once cannot both win. SQLite lets one writer in at a
//! time and makes the others wait up to its busy timeout; PostgreSQL locks the rows read to
//! decide a write, and aborts one transaction of a deadlock or of a serialization conflict.
//! A unique key also catches two transactions that both checked that a document did not exist
//! yet and both tried to write it. In each case the transaction wrote nothing and running the
//! whole operation again, against what the winner committed, gives the right answer — the
//! service does that (`settle_service::retry`).

use std::fmt;

use sqlx::error::ErrorKind;

use crate::StoreError;

/// Why a transaction lost to a concurrent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contention {
    /// SQLite: another writer held the database for the whole busy timeout.
    Busy,
    /// PostgreSQL: the transaction could not be serialized with a concurrent one (40001).
    SerializationFailure,
    /// PostgreSQL: the transaction was chosen as the victim of a deadlock (40P01).
    Deadlock,
    /// A concurrent transaction committed a row with the same unique key first.
    UniqueViolation,
}

impl fmt::Display for Contention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Contention::Busy => "the database was busy with another writer",
            Contention::SerializationFailure => "a concurrent change to the same rows",
            Contention::Deadlock => "a deadlock with a concurrent transaction",
            Contention::UniqueViolation => "a concurrent write of the same record",
        })
    }
}

/// SQLite's primary result codes for a locked database (the extended codes keep them in
/// their low byte). SQLite's codes have at most four digits, PostgreSQL's SQLSTATEs five
/// characters, so the two never mix.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;

impl StoreError {
    /// Whether the operation lost to a concurrent one, so that running it again may succeed.
    pub fn contention(&self) -> Option<Contention> {
        let StoreError::Database(sqlx::Error::Database(error)) = self else {
            return None;
        };
        if error.kind() == ErrorKind::UniqueViolation {
            return Some(Contention::UniqueViolation);
        }
        let code = error.code()?;
        match code.as_ref() {
            "40001" => Some(Contention::SerializationFailure),
            "40P01" => Some(Contention::Deadlock),
            sqlite if sqlite.len() < 5 => match sqlite.parse::<i64>().map(|code| code & 0xff) {
                Ok(SQLITE_BUSY | SQLITE_LOCKED) => Some(Contention::Busy),
                _ => None,
            },
            _ => None,
        }
    }
}
