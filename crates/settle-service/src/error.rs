//! The service's errors: what went wrong, in words a user can act on.

use std::fmt;
use std::path::PathBuf;

use settle_core::events::Rejection;
use settle_store::StoreError;

/// One bad row of an import: the file, the line, the field, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// What to do when a file cannot be written because the disk or the file's size is at its end.
pub fn write_advice(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge => {
            " (the disk is full, or the file reached the size it may have): the file was not \
             written; free some space and run the command again"
        }
        _ => "",
    }
}

impl ServiceError {
    /// Whether the storage under the database failed (disk, permissions, connection) rather
    /// than the operation: front ends then name the database.
    pub fn storage_failure(&self) -> Option<settle_store::StorageFailure> {
        match self {
            ServiceError::Store(error) => error.storage_failure(),
            _ => None,
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("refused: {0}")]
    Rejected(#[from] Rejection),
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    #[error(
        "{file}: {} bad row(s); nothing was stored (fix them, or pass --skip-invalid to store the good rows){}",
        distinct_rows(errors),
        list_errors(errors)
    )]
    ImportRejected { file: String, errors: Vec<RowError> },
    #[error("{file}: {message}")]
    BadFile { file: String, message: String },
    /// A general-ledger file with bad rows: no row is skipped, since a GL without some of its
    /// rows would reconcile against the wrong balance.
    #[error(
        "{file}: {} bad row(s); nothing was stored{}",
        distinct_rows(errors),
        list_errors(errors)
    )]
    GlFileRejected { file: String, errors: Vec<RowError> },
    /// Another file taken whole or not at all (a fiscal calendar) with bad rows.
    #[error(
        "{file}: {} bad row(s); nothing was stored{}",
        distinct_rows(errors),
        list_errors(errors)
    )]
    FileRejected { file: String, errors: Vec<RowError> },
    #[error("{file}: {location}, field {field}: {message}; nothing was posted")]
    BankFileRejected {
        file: String,
        location: String,
        field: String,
        message: String,
    },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}{}", write_advice(source))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("idempotency key {key:?} was already used for a different request ({operation})")]
    IdempotencyConflict { key: String, operation: String },
    #[error("{what} already exists with different details: {differences}")]
    Conflict { what: String, differences: String },
    #[error(transparent)]
    Export(#[from] crate::journal_export::ExportError),
    #[error(transparent)]
    Document(#[from] settle_documents::DocumentError),
    #[error("{0}")]
    Refused(String),
    #[error("refused: {0}")]
    PeriodClosed(#[from] settle_core::period::PeriodClosed),
    #[error("{0}")]
    Period(#[from] settle_core::period::PeriodError),
    #[error("refused: {0}")]
    CloseRefused(#[from] settle_core::period::CloseRefused),
    #[error("not permitted: {0}")]
    NotPermitted(String),
    /// A password, token or session that does not sign anyone in. The message never says
    /// whether the user exists.
    #[error("not signed in: {0}")]
    Unauthenticated(&'static str),
    /// An approved request that cannot be posted as the books stand now: nothing changed, and
    /// the request still waits.
    #[error("approval {id} was not posted and stays pending: {source}")]
    ApprovalNotPosted { id: i64, source: Box<ServiceError> },
    /// Other clients kept winning the same rows: nothing was written, and the operation can
    /// simply be tried again.
    #[error(
        "{operation} was not done: {attempts} attempts each lost to {cause}; nothing was written, try it again"
    )]
    Contended {
        operation: String,
        attempts: u32,
        cause: settle_store::Contention,
    },
}

impl ServiceError {
    /// Whether the operation lost to a concurrent one and nothing was written, so that the
    /// same request may be sent again.
    pub fn is_retryable(&self) -> bool {
        match self {
            ServiceError::Contended { .. } => true,
            ServiceError::Store(error) => error.contention().is_some(),
            _ => false,
        }
    }
}

/// How many bad rows an error message lists before it only counts the rest.
pub const ROW_ERRORS_SHOWN: usize = 50;

/// How many rows the errors name (a row can have several bad fields).
pub fn distinct_rows(errors: &[RowError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

fn list_errors(errors: &[RowError]) -> String {
    let mut text = String::new();
    for error in errors.iter().take(ROW_ERRORS_SHOWN) {
        text.push_str("\n  ");
        text.push_str(&error.to_string());
    }
    if errors.len() > ROW_ERRORS_SHOWN {
        text.push_str(&format!(
            "\n  … and {} more",
            errors.len() - ROW_ERRORS_SHOWN
        ));
    }
    text
}

pub type ServiceResult<T> = Result<T, ServiceError>;

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::InvalidInput {
        field: field.to_string(),
        message: message.into(),
    }
}

pub(crate) fn not_found(what: impl Into<String>) -> ServiceError {
    ServiceError::NotFound { what: what.into() }
}

impl From<settle_core::money::MoneyError> for ServiceError {
    fn from(error: settle_core::money::MoneyError) -> Self {
        ServiceError::Rejected(Rejection::from(error))
    }
}

impl From<settle_core::accounts::ChartError> for ServiceError {
    fn from(error: settle_core::accounts::ChartError) -> Self {
        ServiceError::Rejected(Rejection::from(error))
    }
}
