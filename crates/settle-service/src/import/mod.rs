//! CSV imports of customers and invoices, with the headers DESIGN.md fixes, and of what the
//! general ledger says about a period (`gl`).
//!
//! A file is read whole (at most [`MAX_CSV_BYTES`], no line longer than [`MAX_CSV_LINE_BYTES`];
//! a bank file at most [`MAX_BANK_FILE_BYTES`]), fingerprinted (SHA-256) and parsed row by row
//! into typed values; every bad row is reported with its line and field. Parsing needs no
//! database (`fuzzing` drives the same parsers the imports use). By default a file with any
//! bad row stores nothing; with `skip_invalid` the good rows are stored and the bad ones
//! reported. The same file imported again posts nothing and says when it was first imported; a
//! different file that repeats stored documents counts them as duplicates.

pub mod bank;
pub mod calendar;
mod customers;
#[doc(hidden)]
pub mod fuzzing;
pub mod gl;
mod invoices;
pub use customers::DEFAULT_TERMS;

use std::borrow::Borrow;
use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;
use serde::Serialize;
use serde_json::json;

use settle_core::audit_chain::Target;
use settle_store::Tx;

use crate::Change;
use crate::error::{RowError, ServiceError, ServiceResult, distinct_rows};
use crate::{Settle, sha256_hex};

/// The largest CSV file an import reads (256 MiB; a million invoice rows take 60–100 MiB): the
/// file is held in memory while it is parsed and an invoice import needs about 0.65 KiB per row
/// besides, so this bounds what an import can ask of memory.
pub const MAX_CSV_BYTES: u64 = 256 << 20;

/// The longest line of a CSV import (1 MiB): no field of customers, invoices, a general ledger
/// or a calendar comes near it, so a longer line means the file is not what it claims to be.
pub const MAX_CSV_LINE_BYTES: usize = 1 << 20;

/// The largest bank or remittance file an import reads (64 MiB: some 60,000 camt entries or
/// 1.5 million BAI2 lines): it is parsed whole into statements and every line is reported,
/// about 1.3 KiB of memory per line.
pub const MAX_BANK_FILE_BYTES: u64 = 64 << 20;

/// What an import's file must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub bytes: u64,
    /// The longest line, for line-oriented files; `None` for bank files, whose XML may rightly
    /// sit on one line.
    pub line: Option<usize>,
}

impl Limits {
    pub(crate) const CSV: Limits = Limits {
        bytes: MAX_CSV_BYTES,
        line: Some(MAX_CSV_LINE_BYTES),
    };
    pub(crate) const BANK: Limits = Limits {
        bytes: MAX_BANK_FILE_BYTES,
        line: None,
    };
}

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

/// Reads an import's file whole, refusing one larger than `limits` allows (also a file that
/// grows while it is read, or a device that never ends) and, for CSV, one with a line longer
/// than its limit, naming the line.
pub(crate) fn read_file(path: &Path, limits: Limits) -> ServiceResult<ImportFile> {
    use std::io::Read as _;
    let name = path.display().to_string();
    let io = |source| ServiceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |size: Option<u64>| ServiceError::BadFile {
        file: name.clone(),
        message: match size {
            Some(size) => format!(
                "is larger than the {} an import reads ({}); nothing was read: split it into \
                 smaller files",
                size_text(limits.bytes),
                size_text(size)
            ),
            None => format!(
                "is larger than the {} an import reads (it grew while being read, or never \
                 ends); reading stopped there and nothing was stored",
                size_text(limits.bytes)
            ),
        },
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    let size = metadata.len();
    if size > limits.bytes {
        return Err(too_large(Some(size)));
    }
    // A device or pipe says nothing of its size: room for the limit is reserved at once (only
    // what is read becomes resident), so the buffer never doubles past the limit.
    let capacity = if metadata.is_file() {
        size
    } else {
        limits.bytes
    } + 1;
    let mut bytes = Vec::with_capacity(capacity as usize);
    file.take(limits.bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.bytes {
        return Err(too_large(None));
    }
    if let Some(longest) = limits.line {
        check_line_lengths(&name, &bytes, longest)?;
    }
    let fingerprint = sha256_hex(&bytes);
    Ok(ImportFile {
        name,
        bytes,
        fingerprint,
    })
}

/// Refuses the first line longer than `longest` bytes, naming it.
pub(crate) fn check_line_lengths(file: &str, bytes: &[u8], longest: usize) -> ServiceResult<()> {
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.len() > longest {
            return Err(ServiceError::BadFile {
                file: file.to_string(),
                message: format!(
                    "line {}: is {} long, longer than the {} a line may have; is this the right \
                     file?",
                    index + 1,
                    size_text(line.len() as u64),
                    size_text(longest as u64)
                ),
            });
        }
    }
    Ok(())
}

/// A size in bytes as people read it: `512 MiB`, `10.0 MiB`, `700 bytes`.
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= GIB => format!("{:.1} GiB", b as f64 / GIB as f64),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= MIB => format!("{:.1} MiB", b as f64 / MIB as f64),
        b => format!("{b} bytes"),
    }
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

/// The next record of `reader`, read into `reused` again and again (a million rows need no
/// million allocations); `None` at the end of the file.
pub(crate) fn next_record<'r, R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    reused: &'r mut StringRecord,
) -> Option<Result<&'r StringRecord, csv::Error>> {
    match reader.read_record(reused) {
        Ok(false) => None,
        Ok(true) => Some(Ok(reused)),
        Err(error) => Some(Err(error)),
    }
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

/// An import under way: its transaction and its report so far.
pub(crate) struct Opened {
    pub tx: Tx,
    pub report: ImportReport,
}

/// Opens an import of `kind`: `Ok(Err(report))` when this very file was imported before (then
/// nothing is to be done), else the transaction. A `bulk` import runs in the store's bulk-load
/// transaction.
pub(crate) async fn open(
    settle: &Settle,
    file: &ImportFile,
    kind: &str,
    bulk: bool,
) -> ServiceResult<Result<Opened, ImportReport>> {
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
    Ok(Ok(Opened { tx, report }))
}

/// A reader over the file's rows with its header row mapped; a header without the required
/// columns refuses the file.
pub(crate) fn header<'f>(
    file: &str,
    bytes: &'f [u8],
    known: &[&'static str],
    required: &[&'static str],
) -> ServiceResult<(Columns, csv::Reader<&'f [u8]>)> {
    let mut reader = csv_reader(bytes);
    let headers = reader.headers().map_err(|e| ServiceError::BadFile {
        file: file.to_string(),
        message: csv_error(file, &e).message,
    })?;
    let columns = Columns::map(file, headers, known, required)?;
    Ok((columns, reader))
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

/// Records the import's counts, and the import in the audit trail, and commits everything it
/// stored.
pub(crate) async fn finish(
    settle: &Settle,
    mut tx: Tx,
    kind: &str,
    import: i64,
    report: &ImportReport,
) -> ServiceResult<()> {
    let rejected = distinct_rows(&report.rejected) as i64;
    tx.finish_import(
        import,
        report.rows_read as i64,
        report.stored as i64,
        report.duplicates as i64,
        rejected,
    )
    .await?;
    let counts = json!({
        "rows_read": report.rows_read,
        "stored": report.stored,
        "duplicates": report.duplicates,
        "rejected": rejected,
    });
    record_import(
        settle,
        &mut tx,
        kind,
        import,
        &report.file,
        &report.fingerprint,
        counts,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One audit row per imported file, however many rows it stored: the file's name and SHA-256
/// say what came in, the counts what it did, and the rows themselves carry the import's id.
pub(crate) async fn record_import(
    settle: &Settle,
    tx: &mut Tx,
    kind: &str,
    import: i64,
    file: &str,
    sha256: &str,
    counts: serde_json::Value,
) -> ServiceResult<()> {
    let change = Change::new(&format!("import_{kind}"), Target::new("import", import))
        .after(&json!({ "file": file, "sha256": sha256, "counts": counts }));
    settle.record_change(tx, change).await?;
    Ok(())
}
