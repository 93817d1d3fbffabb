//! How strictly a file is held to its own integrity checks, and the warnings a lenient read
//! reports.
//!
//! Real bank files get their control totals, record counts and balances wrong more often than
//! one would hope (and anonymised samples nearly always do). A wrong total is no reason to
//! refuse a file's payments, but it must never pass unseen: a lenient read returns it as a
//! warning beside the file, a strict read refuses the file with it. Syntax errors (a field that
//! cannot be read) are refused in both modes.

use crate::error::FormatError;
use crate::statement::{BankFile, Direction, EntryKind};

/// Whether integrity findings refuse the file or travel beside it as warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Checks {
    /// Control totals, record counts, balances, missing trailers, tolerated sloppiness:
    /// reported as warnings.
    #[default]
    Lenient,
    /// Every finding refuses the file.
    Strict,
}

/// A bank-defined BAI2 type code (900–999, or any code the bank uses differently) with the
/// direction and kind this bank gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomTypeCode {
    pub code: u16,
    pub direction: Direction,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    pub checks: Checks,
    /// BAI2 only: the bank's own type codes. Detail records with a code outside 100–699 that
    /// is not listed here are refused, since their direction cannot be known.
    pub bai2_custom_codes: Vec<CustomTypeCode>,
}

impl ParseOptions {
    pub fn strict() -> Self {
        ParseOptions {
            checks: Checks::Strict,
            ..ParseOptions::default()
        }
    }

    pub fn lenient() -> Self {
        ParseOptions::default()
    }
}

/// A file read with the findings that did not refuse it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub file: BankFile,
    pub warnings: Vec<FormatError>,
}

impl From<BankFile> for Parsed {
    fn from(file: BankFile) -> Self {
        Parsed {
            file,
            warnings: Vec::new(),
        }
    }
}

/// Collects findings: in strict mode the first one becomes the error.
#[derive(Debug)]
pub(crate) struct Findings {
    checks: Checks,
    pub(crate) warnings: Vec<FormatError>,
}

impl Findings {
    pub(crate) fn new(checks: Checks) -> Self {
        Findings {
            checks,
            warnings: Vec::new(),
        }
    }

    pub(crate) fn flag(&mut self, finding: FormatError) -> Result<(), FormatError> {
        match self.checks {
            Checks::Strict => Err(finding),
            Checks::Lenient => {
                self.warnings.push(finding);
                Ok(())
            }
        }
    }
}
