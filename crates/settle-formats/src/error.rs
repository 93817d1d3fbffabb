//! Where a file went wrong, and why.

use std::fmt;

/// A place in a bank file: a line (1-based) for the text formats, an element path for XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The whole file (empty, unknown format, totals that do not agree).
    File,
    /// A physical line of a text format, counted from 1.
    Line(usize),
    /// An element of an XML document, as a path such as
    /// `Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt`, with its line when known.
    Xml { path: String, line: usize },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => f.write_str("file"),
            Location::Line(line) => write!(f, "line {line}"),
            Location::Xml { path, line } => write!(f, "line {line}, {path}"),
        }
    }
}

/// A bank file that cannot be read, with the place and the field that made it so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}, field {field}: {message}")]
pub struct FormatError {
    pub location: Location,
    /// The field as the format names it (`amount`, `:61: value date`, `Ntry/Amt/@Ccy`).
    pub field: String,
    pub message: String,
}

impl FormatError {
    pub fn new(location: Location, field: impl Into<String>, message: impl Into<String>) -> Self {
        FormatError {
            location,
            field: field.into(),
            message: message.into(),
        }
    }
}
