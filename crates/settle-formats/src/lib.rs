//! Bank statements and remittance advice in, one typed [`BankFile`] out.
//!
//! Every parser takes the file's bytes and returns a [`BankFile`] or a [`FormatError`] that
//! names the place (line, or XML path) and the field. Parsers never panic on any input: each
//! has a fuzz target, and the corpora are replayed as ordinary tests.
//!
//! [`parse`] detects the format and reads strictly; [`parse_with`] takes [`ParseOptions`] and
//! returns the warnings of a lenient read beside the file (see [`options`] for why both exist).
//! CSV is never detected: read it with [`parse_csv`] and the bank's [`ColumnMap`].
//!
//! The crate does no I/O: the service reads files and hands their bytes over.

pub mod bai2;
pub mod csv;
pub mod detect;
pub mod error;
pub mod mt940;
pub mod options;
pub mod statement;
mod text;

pub use csv::{ColumnMap, parse_csv};
pub use detect::detect;
pub use error::{FormatError, Location};
pub use options::{Checks, CustomTypeCode, ParseOptions, Parsed};
pub use statement::{
    AccountRef, Balance, BankFile, Direction, EntryKind, Format, Party, ReferenceKind, Statement,
    StatementLine, StructuredReference,
};

/// Detects the format and reads the file strictly.
pub fn parse(bytes: &[u8]) -> Result<BankFile, FormatError> {
    parse_with(bytes, &ParseOptions::strict()).map(|parsed| parsed.file)
}

/// Detects the format and reads the file with the given checks.
pub fn parse_with(bytes: &[u8], options: &ParseOptions) -> Result<Parsed, FormatError> {
    match detect(bytes) {
        Some(Format::Bai2) => bai2::parse_with(bytes, options),
        Some(Format::Mt940) => mt940::parse_with(bytes, options),
        Some(Format::Camt052 | Format::Camt053 | Format::Camt054) => {
            other_branch::camt(bytes).map(Parsed::from)
        }
        Some(Format::Nacha) => other_branch::nacha(bytes).map(Parsed::from),
        Some(Format::X12_820) => other_branch::x12(bytes).map(Parsed::from),
        Some(Format::Csv) | None => Err(FormatError::new(
            Location::File,
            "format",
            "not a bank file format Settle recognises (BAI2, camt.052/053/054, MT940, NACHA, \
             X12 820); a CSV needs its column map",
        )),
    }
}

/// MERGE: the camt, NACHA and X12 parsers are written in another branch. When it is merged,
/// replace each body below with the call in its comment (`crate::camt::parse(bytes)` and so
/// on) and delete this module.
mod other_branch {
    use crate::error::{FormatError, Location};
    use crate::statement::BankFile;

    fn not_built(format: &str) -> Result<BankFile, FormatError> {
        Err(FormatError::new(
            Location::File,
            "format",
            format!("{format} files are detected but their parser is not built in this branch"),
        ))
    }

    /// `crate::camt::parse(bytes)`
    pub(crate) fn camt(_bytes: &[u8]) -> Result<BankFile, FormatError> {
        not_built("camt")
    }

    /// `crate::nacha::parse(bytes)`
    pub(crate) fn nacha(_bytes: &[u8]) -> Result<BankFile, FormatError> {
        not_built("NACHA")
    }

    /// `crate::x12::parse(bytes)`
    pub(crate) fn x12(_bytes: &[u8]) -> Result<BankFile, FormatError> {
        not_built("X12 820")
    }
}
