//! Bank statements and remittance advice in, one typed [`BankFile`] out.
//!
//! Every parser takes the file's bytes and returns a [`BankFile`] or a [`FormatError`] that
//! names the place (line, or XML path) and the field. Parsers never panic on any input: each
//! has a fuzz target, and the corpora are replayed as ordinary tests.
//!
//! [`parse`] detects the format and reads strictly; [`parse_with`] takes [`ParseOptions`] and
//! returns the warnings of a lenient read beside the file (see [`options`] for why both exist):
//! after [`parse_with`], [`Parsed::warnings`] holds every finding and the file's own
//! `warnings` are empty.
//! CSV is never detected: read it with [`parse_csv`] and the bank's [`ColumnMap`].
//!
//! The crate does no I/O: the service reads files and hands their bytes over.

pub mod bai2;
pub mod camt;
pub mod csv;
pub mod detect;
pub mod error;
pub mod mt940;
pub mod nacha;
pub mod options;
pub mod statement;
mod text;
pub mod write;
pub mod x12;

pub use csv::{ColumnMap, parse_csv};
pub use detect::detect;
pub use error::{FormatError, Location};
pub use options::{Checks, CustomTypeCode, ParseOptions, Parsed};
pub use statement::{
    AccountRef, Balance, BankFile, Direction, EntryKind, EntryStatus, Format, LineExtras, Party,
    ReferenceKind, Statement, StatementLine, StructuredReference,
};
pub use write::WriteError;

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
            with_checks(camt::parse(bytes)?, options)
        }
        Some(Format::Nacha) => with_checks(nacha::parse(bytes)?, options),
        Some(Format::X12_820) => with_checks(x12::parse(bytes)?, options),
        Some(Format::Csv) | None => Err(FormatError::new(
            Location::File,
            "format",
            "not a bank file format Settle recognises (BAI2, camt.052/053/054, MT940, NACHA, \
             X12 820); a CSV needs its column map",
        )),
    }
}

/// The camt, NACHA and X12 readers keep their findings in [`BankFile::warnings`]; the
/// options decide whether they refuse the file, and [`Parsed`] carries them either way.
fn with_checks(mut file: BankFile, options: &ParseOptions) -> Result<Parsed, FormatError> {
    if options.checks == Checks::Strict {
        file = file.strict()?;
    }
    let warnings = std::mem::take(&mut file.warnings);
    Ok(Parsed { file, warnings })
}
