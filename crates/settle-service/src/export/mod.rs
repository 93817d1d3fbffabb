//! Reports as tables, and the two file formats they are exported in.
//!
//! Each report fills one [`Table`] once ([`reports`]): typed columns (text, integer, money,
//! date, date-time, decimal, percent) and rows of typed values. Two writers turn a table into
//! bytes: [`csv::write_csv`] (exact decimal text, the same as the reports' CSV output) and
//! [`xlsx::write_xlsx`] (numbers as numbers with a number format, dates as dates, a frozen
//! header row with an autofilter and column widths). Neither writer touches a file: the front
//! end decides where the bytes go.

pub mod csv;
mod json;
pub mod reports;
pub mod table;
pub mod xlsx;

pub use table::{Column, ColumnKind, Table, Value};

/// The file formats of `settle export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, thiserror::Error)]
pub enum TableWriteError {
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error(
        "the {sheet} report has {rows} rows, more than the {max} an XLSX sheet holds below its header; export it as CSV"
    )]
    TooManyRows {
        sheet: String,
        rows: usize,
        max: usize,
    },
    #[error("cannot write the {sheet} workbook, row {row}, column {column}: {source}")]
    XlsxCell {
        sheet: String,
        row: usize,
        column: String,
        source: rust_xlsxwriter::XlsxError,
    },
    #[error("cannot write the {sheet} workbook: {source}")]
    Xlsx {
        sheet: String,
        source: rust_xlsxwriter::XlsxError,
    },
}

impl Table {
    /// The table in a format, as the bytes of the file.
    pub fn to_bytes(&self, format: TableFormat) -> Result<Vec<u8>, TableWriteError> {
        match format {
            TableFormat::Csv => csv::write_csv(self),
            TableFormat::Xlsx => xlsx::write_xlsx(self),
        }
    }
}
