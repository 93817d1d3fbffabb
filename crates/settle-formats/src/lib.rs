//! Bank statements and remittance advice in, one typed [`BankFile`] out.
//!
//! Every parser takes the file's bytes and returns a [`BankFile`] or a [`FormatError`] that
//! names the place (line, or XML path) and the field. Parsers never panic on any input: each
//! has a fuzz target, and the corpora are replayed as ordinary tests.
//!
//! The crate does no I/O: the service reads files and hands their bytes over.

pub mod camt;
pub mod error;
pub mod nacha;
pub mod statement;
pub mod x12;

pub use error::{FormatError, Location};
pub use statement::{
    AccountRef, Balance, BankFile, Direction, EntryKind, Format, Party, ReferenceKind, Statement,
    StatementLine, StructuredReference,
};
