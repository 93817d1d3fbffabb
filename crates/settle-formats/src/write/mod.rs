//! Writers: a [`BankFile`](crate::BankFile) out as the text of a bank file, the inverse of the
//! parsers. They exist for the demo's bank files and for tests: a statement built in code is
//! written, read back by the crate's own parser, and must come back the same.
//!
//! * [`bai2`] writes a BAI2 file (version 2) that the BAI2 reader accepts in strict mode.
//! * [`camt053`] writes a camt.053.001.08 statement.
//!
//! Like the parsers they do no I/O and never panic: what a format cannot carry is either
//! refused with a [`WriteError`] that names the statement, the line and the field, or (where
//! the format simply has no place for it) left out, as each writer documents. Figures are
//! written as the statement states them; the writers do not check balances and totals against
//! the lines, the readers do.
//!
//! Limits both writers share: the readers trim every value, so blanks around a value and empty
//! values (`Some("")`) do not come back; balances and totals the statement does not state are
//! written as computed from its lines, and so come back stated.

mod bai2;
mod camt053;

pub use self::bai2::{Bai2Header, bai2};
pub use self::camt053::{CamtHeader, camt053};

use std::fmt;

/// Where in the written file a value could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Place {
    /// The file's header (the writer's header argument) or the file as a whole.
    #[default]
    File,
    /// A statement, counted from 1 in [`BankFile::statements`](crate::BankFile::statements).
    Statement(usize),
    /// A line of a statement, both counted from 1.
    Line { statement: usize, line: usize },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::File => f.write_str("file"),
            Place::Statement(statement) => write!(f, "statement {statement}"),
            Place::Line { statement, line } => write!(f, "statement {statement}, line {line}"),
        }
    }
}

/// A value the format cannot carry, with where it is and which field of the format it was for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}, field {field}: {message}")]
pub struct WriteError {
    pub place: Place,
    /// The field as the format names it (`16 bank reference`, `Ntry/Amt`).
    pub field: String,
    pub message: String,
}

impl WriteError {
    pub fn new(place: Place, field: impl Into<String>, message: impl Into<String>) -> Self {
        WriteError {
            place,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Sums in minor units are kept in `i128` while they are added, so that no total of `i64`
/// amounts overflows before it is checked.
fn to_i64(total: i128, place: Place, field: &str) -> Result<i64, WriteError> {
    i64::try_from(total).map_err(|_| {
        WriteError::new(
            place,
            field,
            "the total does not fit the format's amount field (overflows 64 bits)",
        )
    })
}
