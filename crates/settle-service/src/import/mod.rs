//! CSV imports of customers and invoices, with the headers DESIGN.md fixes, and of what the
//! general ledger says about a period (`gl`).
//!
//! A file is read whole, fingerprinted (SHA-256) and parsed row by row into typed values; every
//! bad row is reported with its line and field. By default a file with any bad row stores
//! nothing; with `skip_invalid` the good rows are stored and the bad ones reported. The same
//! file imported again posts nothing and says when it was first imported; a different file that
//! repeats stored documents counts them as duplicates.

pub mod bank;
mod customers;
pub mod gl;
mod invoices;

use std::borrow::Borrow;
use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;
use serde::Serialize;

use settle_store::Tx;

use crate::error::{RowError, ServiceError, ServiceResult, distinct_rows};
use crate::{Settle, sha256_hex};

/// The largest file an import reads (it is held in memory while it is parsed).
pub const MAX_IMPORT_BYTES: u64 = 4 << 30;

/// How many rows are parsed before they are written together.
const BATCH_ROWS: usize = 5_000;

/// Whether the `amount` column of invoices.csv includes tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmountBasis {
    /// `amount` is the invoice total, tax included; `tax_amount` is the part of it that is tax.
    #[default]
    Gross,
    /// `amount` is net of tax; the total is `amount + tax_amount`.
    Net,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOptions {
    pub skip_invalid: bool,
    pub amount_basis: AmountBasis,
}

/// A file imported earlier with the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviousImport {
    pub import_id: i64,
    pub file_name: String,
    pub imported_at: String,
    pub rows_stored: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub fingerprint: String,
    /// Set when this exact file was imported before: nothing was stored this time.
    pub already_imported: Option<PreviousImport>,
    pub rows_read: u64,
    pub stored: u64,
    /// Rows naming a record already stored with the same details: skipped.
    pub duplicates: u64,
    /// Bad rows skipped under `skip_invalid`.
    pub rejected: Vec<RowError>,
}

/// Progress of a long import: bytes parsed out of the file's size.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

pub(crate) struct ImportFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub fingerprint: String,
}

pub(crate) fn read_file(path: &Path) -> ServiceResult<ImportFile> {
    let name = path.display().to_string();
    let io = |source| ServiceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_IMPORT_BYTES {
        return Err(ServiceError::BadFile {
            file: name,
            message: format!("is {size} bytes, more than the {MAX_IMPORT_BYTES} an import reads"),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let fingerprint = sha256_hex(&bytes);
    Ok(ImportFile {
        name,
        bytes,
        fingerprint,
    })
}

/// Where each known column is in a file, by header name.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    file: String,
    index: HashMap<&'static str, usize>,
    width: usize,
}

impl Columns {
    /// Maps the header row; header names are matched without regard to case or surrounding
    /// spaces, and unknown columns are ignored. A missing required column refuses the file.
    pub(crate) fn map(
        file: &str,
        headers: &StringRecord,
        known: &[&'static str],
        required: &[&'static str],
    ) -> ServiceResult<Columns> {
        let mut index = HashMap::new();
        for (position, header) in headers.iter().enumerate() {
            let header = header
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            if let Some(name) = known.iter().find(|k| **k == header)
                && index.insert(*name, position).is_some()
            {
                return Err(ServiceError::BadFile {
                    file: file.to_string(),
                    message: format!("line 1: column {name:?} appears twice"),
                });
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|r| !index.contains_key(r))
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::BadFile {
                file: file.to_string(),
                message: format!(
                    "line 1: missing column(s) {} (the header must name at least: {})",
                    missing.join(", "),
                    required.join(",")
                ),
            });
        }
        Ok(Columns {
            file: file.to_string(),
            index,
            width: headers.len(),
        })
    }

    /// Whether the header names the column.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The trimmed value of a column in a row ("" when the file has no such column).
    pub(crate) fn get<'r>(&self, row: &'r StringRecord, name: &str) -> &'r str {
        self.index
            .get(name)
            .and_then(|i| row.get(*i))
            .map_or("", str::trim)
    }

    pub(crate) fn error(&self, line: u64, field: &str, message: impl Into<String>) -> RowError {
        RowError {
            file: self.file.clone(),
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A row with another number of fields than the header is refused whole.
    pub(crate) fn check_width(&self, line: u64, row: &StringRecord) -> Result<(), RowError> {
        if row.len() == self.width {
            Ok(())
        } else {
            Err(self.error(
                line,
                "(row)",
                format!("has {} fields but the header has {}", row.len(), self.width),
            ))
        }
    }
}

pub(crate) fn csv_reader<R: std::io::Read>(bytes: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes)
}

/// Turns a CSV syntax error into a row error at its line.
pub(crate) fn csv_error(file: &str, error: &csv::Error) -> RowError {
    let line = error.position().map_or(0, csv::Position::line);
    RowError {
        file: file.to_string(),
        line,
        field: "(row)".to_string(),
        message: match error.kind() {
            csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_string(),
            _ => error.to_string(),
        },
    }
}

pub(crate) fn parse_date(
    columns: &Columns,
    line: u64,
    field: &str,
    text: &str,
) -> Result<jiff::civil::Date, RowError> {
    let valid_shape = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    match text.parse::<jiff::civil::Date>() {
        Ok(date) if valid_shape => Ok(date),
        _ => Err(columns.error(
            line,
            field,
            format!("{text:?} is not a date (expected yyyy-mm-dd)"),
        )),
    }
}

/// An import under way: its transaction, its report so far, and the file's rows.
pub(crate) struct Opened<'f> {
    pub tx: Tx,
    pub report: ImportReport,
    pub columns: Columns,
    pub reader: csv::Reader<&'f [u8]>,
}

/// Opens an import of `kind`: `Ok(Err(report))` when this very file was imported before (then
/// nothing is to be done), else the transaction, with the header row mapped. A `bulk` import
/// runs in the store's bulk-load transaction.
pub(crate) async fn open<'f>(
    settle: &Settle,
    file: &'f ImportFile,
    kind: &str,
    columns: (&[&'static str], &[&'static str]),
    bulk: bool,
) -> ServiceResult<Result<Opened<'f>, ImportReport>> {
    let (known, required) = columns;
    let mut report = ImportReport {
        file: file.name.clone(),
        fingerprint: file.fingerprint.clone(),
        already_imported: None,
        rows_read: 0,
        stored: 0,
        duplicates: 0,
        rejected: Vec::new(),
    };
    let mut tx = if bulk {
        settle.store().begin_bulk().await?
    } else {
        settle.store().begin().await?
    };
    if let Some(previous) = tx
        .import_by_fingerprint(settle.entity().id, kind, &file.fingerprint)
        .await?
    {
        report.already_imported = Some(PreviousImport {
            import_id: previous.id,
            file_name: previous.file_name,
            imported_at: previous.imported_at,
            rows_stored: previous.rows_stored,
        });
        return Ok(Err(report));
    }
    let mut reader = csv_reader(file.bytes.as_slice());
    let headers = reader.headers().map_err(|e| ServiceError::BadFile {
        file: file.name.clone(),
        message: csv_error(&file.name, &e).message,
    })?;
    let columns = Columns::map(&file.name, headers, known, required)?;
    Ok(Ok(Opened {
        tx,
        report,
        columns,
        reader,
    }))
}

/// One record of the file with its line, or why it is not a row of the header's shape.
pub(crate) fn row_of<R: Borrow<StringRecord>>(
    file: &str,
    columns: &Columns,
    record: Result<R, csv::Error>,
) -> Result<(u64, R), RowError> {
    let row = record.map_err(|e| csv_error(file, &e))?;
    let line = row.borrow().position().map_or(0, csv::Position::line);
    columns.check_width(line, row.borrow())?;
    Ok((line, row))
}

/// Records the import's counts and commits everything it stored.
pub(crate) async fn finish(mut tx: Tx, import: i64, report: &ImportReport) -> ServiceResult<()> {
    tx.finish_import(
        import,
        report.rows_read as i64,
        report.stored as i64,
        report.duplicates as i64,
        distinct_rows(&report.rejected) as i64,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
