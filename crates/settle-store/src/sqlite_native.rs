//! Writing batches of rows into SQLite without a bound statement per batch.
//!
//! Through the driver, every value of a multi-row `INSERT` is boxed, converted and copied
//! several times before SQLite sees it; at a million invoices (five million rows) that costs
//! more than SQLite's own work. So on SQLite a batch of typed rows is handed to an SQL
//! function of our own, `settle_write_rows(token)`, registered on every connection this
//! process opens. Called inside the operation's transaction, it runs on that connection and
//! inserts the rows with prepared single-row statements, binding each value straight from the
//! row. The rows wait in [`PENDING`] under a token while the call is on its way, and are
//! handed back there for the caller to free.
//!
//! If a row fails (a constraint, say) the call returns SQLite's error and the caller's
//! transaction is rolled back by the caller, like any failed statement in it; rows of the
//! batch written before the failure go with it.
//!
//! This is the store's only unsafe code: the SQLite C interface, kept to this module.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, OnceLock};

use jiff::civil::Date;
use libsqlite3_sys as ffi;
use sqlx::AnyConnection;

use crate::documents::{BatchContext, ColumnSink, DocumentBatch, Row};
use crate::{StoreError, StoreResult};

const FUNCTION_NAME: &CStr = c"settle_write_rows";

/// Batches waiting for their call, by token.
static PENDING: Mutex<Option<HashMap<i64, DocumentBatch>>> = Mutex::new(None);
static NEXT_TOKEN: AtomicI64 = AtomicI64::new(1);

/// Makes every SQLite connection opened from now on in this process know `settle_write_rows`.
/// Must run before the pool opens its first connection.
pub(crate) fn register() -> StoreResult<()> {
    static REGISTERED: OnceLock<c_int> = OnceLock::new();
    // SAFETY: `register_on_connection` has the signature SQLite expects of an entry point.
    let rc = *REGISTERED
        .get_or_init(|| unsafe { ffi::sqlite3_auto_extension(Some(register_on_connection)) });
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(StoreError::Native(format!(
            "could not register the row writer with SQLite (code {rc})"
        )))
    }
}

unsafe extern "C" fn register_on_connection(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // DIRECTONLY: callable from top-level SQL only, never from a trigger or view a database
    // file might bring along. Not DETERMINISTIC: every call must run.
    // SAFETY: `db` is the connection SQLite is opening; the name is a static C string.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            FUNCTION_NAME.as_ptr(),
            1,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DIRECTONLY,
            ptr::null_mut(),
            Some(write_rows_function),
            None,
            None,
            None,
        )
    }
}

/// Writes `batch` through `conn`, which must be inside the caller's transaction.
pub(crate) async fn write(conn: &mut AnyConnection, batch: DocumentBatch) -> StoreResult<()> {
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    pending()
        .get_or_insert_with(HashMap::new)
        .insert(token, batch);
    let result = sqlx::query("SELECT settle_write_rows($1)")
        .bind(token)
        .execute(conn)
        .await;
    // The call hands the batch back when done (or never took it): free it here, not on the
    // connection's thread, and outside the lock.
    let batch = pending().as_mut().and_then(|map| map.remove(&token));
    drop(batch);
    result?;
    Ok(())
}

fn pending() -> std::sync::MutexGuard<'static, Option<HashMap<i64, DocumentBatch>>> {
    // A panic while holding the lock leaves a map that is still whole: carry on with it.
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

unsafe extern "C" fn write_rows_function(
    context: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes `argc` valid values and the context of this call.
    unsafe {
        let outcome = if argc == 1 {
            let token = ffi::sqlite3_value_int64(*argv);
            let batch = pending().as_mut().and_then(|map| map.remove(&token));
            match batch {
                Some(batch) => {
                    let db = ffi::sqlite3_context_db_handle(context);
                    let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        write_batch(db, &batch)
                    }))
                    .unwrap_or_else(|_| Err("writing the rows panicked".to_string()));
                    // Handed back for the caller to free: this thread is the one writing.
                    if let Some(map) = pending().as_mut() {
                        map.insert(token, batch);
                    }
                    written
                }
                None => Err(format!("no rows are waiting under token {token}")),
            }
        } else {
            Err("settle_write_rows takes one argument".to_string())
        };
        match outcome {
            Ok(rows) => ffi::sqlite3_result_int64(context, rows),
            Err(message) => {
                let length = c_int::try_from(message.len()).unwrap_or(c_int::MAX);
                ffi::sqlite3_result_error(context, message.as_ptr().cast::<c_char>(), length);
            }
        }
    }
}

/// Inserts every row of the batch, parents first. Returns how many rows it wrote.
unsafe fn write_batch(db: *mut ffi::sqlite3, batch: &DocumentBatch) -> Result<i64, String> {
    // SAFETY: `db` is the open connection the function was called on.
    unsafe {
        Ok(insert_all(db, &batch.items, &batch.context)?
            + insert_all(db, &batch.lines, &batch.context)?
            + insert_all(db, &batch.entries, &batch.context)?
            + insert_all(db, &batch.postings, &batch.context)?)
    }
}

/// A prepared statement, finalized when dropped.
struct Statement(*mut ffi::sqlite3_stmt);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement came from sqlite3_prepare_v2 and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

/// Bound parameters per statement: SQLite allows 32,766.
const MAX_PARAMETERS: usize = 30_000;
/// Rows per statement: enough that cursors are opened once per many rows, few enough that a
/// statement stays small.
const MAX_ROWS_PER_STATEMENT: usize = 256;

unsafe fn insert_all<R: Row>(
    db: *mut ffi::sqlite3,
    rows: &[R],
    context: &BatchContext,
) -> Result<i64, String> {
    let per_statement = (MAX_PARAMETERS / R::COLUMNS.len()).min(MAX_ROWS_PER_STATEMENT);
    let mut full: Option<Statement> = None;
    let mut binder = Binder {
        statement: ptr::null_mut(),
        index: 0,
        failed: None,
        dates: Vec::with_capacity(per_statement * DATES_PER_ROW),
    };
    for chunk in rows.chunks(per_statement) {
        // SAFETY: `db` is open; statements are finalized on drop, after their last step.
        unsafe {
            let partial;
            let statement = if chunk.len() == per_statement {
                match &full {
                    Some(statement) => statement,
                    None => full.insert(prepare::<R>(db, chunk.len())?),
                }
            } else {
                partial = prepare::<R>(db, chunk.len())?;
                &partial
            };
            binder.statement = statement.0;
            binder.index = 0;
            binder.dates.clear();
            for row in chunk {
                row.write(context, &mut binder);
            }
            if let Some(rc) = binder.failed {
                return Err(format!(
                    "binding rows of {}: {}",
                    R::TABLE,
                    CStr::from_ptr(ffi::sqlite3_errstr(rc)).to_string_lossy()
                ));
            }
            let rc = ffi::sqlite3_step(statement.0);
            ffi::sqlite3_reset(statement.0);
            if rc != ffi::SQLITE_DONE {
                return Err(error_text(db, R::TABLE, "inserting rows"));
            }
        }
    }
    Ok(rows.len() as i64)
}

/// `INSERT OR FAIL INTO table (columns) VALUES (?,…),(?,…)…` for `rows` rows, prepared.
///
/// `OR FAIL` keeps the rows before a failing one instead of undoing the statement, which
/// spares SQLite a statement journal (a copy of every page the statement touches); the
/// caller's transaction is rolled back on any failure anyway.
unsafe fn prepare<R: Row>(db: *mut ffi::sqlite3, rows: usize) -> Result<Statement, String> {
    let row = format!("({})", vec!["?"; R::COLUMNS.len()].join(","));
    let sql = format!(
        "INSERT OR FAIL INTO {} ({}) VALUES {}",
        R::TABLE,
        R::COLUMNS.join(", "),
        vec![row; rows].join(",")
    );
    let sql = CString::new(sql).map_err(|e| e.to_string())?;
    let mut raw = ptr::null_mut();
    // SAFETY: `db` is open and `sql` a valid C string; the statement is owned by the result.
    unsafe {
        let rc = ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut raw, ptr::null_mut());
        let statement = Statement(raw);
        if rc != ffi::SQLITE_OK {
            return Err(error_text(db, R::TABLE, "preparing an insert"));
        }
        Ok(statement)
    }
}

unsafe fn error_text(db: *mut ffi::sqlite3, table: &str, doing: &str) -> String {
    // SAFETY: `db` is open; SQLite owns the message, which we copy at once.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) };
    format!("{doing} into {table}: {}", message.to_string_lossy())
}

/// Binds rows' values to the next parameters of a statement, without copies
/// (`SQLITE_STATIC`): text is borrowed from the rows of the batch, which outlive the statement,
/// and dates are written into `dates`, which is cleared only after the rows are stepped and
/// never grows past its capacity (so never moves) while they are bound.
struct Binder {
    statement: *mut ffi::sqlite3_stmt,
    index: c_int,
    failed: Option<c_int>,
    dates: Vec<[u8; 10]>,
}

/// More than any row has date columns; a row with more has the rest copied.
const DATES_PER_ROW: usize = 4;

impl Binder {
    fn next(&mut self, rc: c_int) {
        if rc != ffi::SQLITE_OK && self.failed.is_none() {
            self.failed = Some(rc);
        }
    }

    /// Binds text that stays where it is until the row has been stepped.
    ///
    /// # Safety
    /// `bytes` must stay valid and unchanged until the statement is stepped and reset.
    unsafe fn bind_borrowed_text(&mut self, bytes: &[u8]) {
        self.index += 1;
        let Ok(length) = c_int::try_from(bytes.len()) else {
            self.failed.get_or_insert(ffi::SQLITE_TOOBIG);
            return;
        };
        // SAFETY: the statement is live; the caller keeps `bytes` valid until the step.
        let rc = unsafe {
            ffi::sqlite3_bind_text(
                self.statement,
                self.index,
                bytes.as_ptr().cast::<c_char>(),
                length,
                ffi::SQLITE_STATIC(),
            )
        };
        self.next(rc);
    }

    fn bind_copied_text(&mut self, text: &str) {
        self.index += 1;
        let Ok(length) = c_int::try_from(text.len()) else {
            self.failed.get_or_insert(ffi::SQLITE_TOOBIG);
            return;
        };
        // SAFETY: the statement is live; SQLite copies the text before returning.
        let rc = unsafe {
            ffi::sqlite3_bind_text(
                self.statement,
                self.index,
                text.as_ptr().cast::<c_char>(),
                length,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        self.next(rc);
    }

    fn bind_null(&mut self) {
        self.index += 1;
        // SAFETY: the statement is live.
        let rc = unsafe { ffi::sqlite3_bind_null(self.statement, self.index) };
        self.next(rc);
    }
}

impl ColumnSink for Binder {
    fn int(&mut self, value: i64) {
        self.index += 1;
        // SAFETY: the statement is live.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.statement, self.index, value) };
        self.next(rc);
    }

    fn text(&mut self, value: &str) {
        // SAFETY: every text a row writes is borrowed from the row (or the batch's context),
        // and the batch outlives the statement.
        unsafe { self.bind_borrowed_text(value.as_bytes()) }
    }

    fn opt_int(&mut self, value: Option<i64>) {
        match value {
            Some(value) => self.int(value),
            None => self.bind_null(),
        }
    }

    fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.bind_null(),
        }
    }

    fn date(&mut self, value: Date) {
        match iso_date(value) {
            Some(text) if self.dates.len() < self.dates.capacity() => {
                self.dates.push(text);
                let bytes: *const [u8; 10] = &self.dates[self.dates.len() - 1];
                // SAFETY: `dates` does not reallocate (it stays within its capacity) and is
                // not cleared until the rows bound from it have been stepped.
                unsafe { self.bind_borrowed_text(&*bytes) }
            }
            _ => self.bind_copied_text(&crate::codec::date_text(value)),
        }
    }
}

/// `yyyy-mm-dd` without an allocation, for years 0 to 9999 (the form `date_text` writes).
fn iso_date(date: Date) -> Option<[u8; 10]> {
    let year = u16::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let (month, day) = (date.month() as u8, date.day() as u8);
    let digit = |n: u16| b'0' + (n % 10) as u8;
    Some([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(u16::from(month / 10)),
        digit(u16::from(month)),
        b'-',
        digit(u16::from(day / 10)),
        digit(u16::from(day)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_match_the_stored_form() {
        for (y, m, d) in [(2026, 1, 5), (1999, 12, 31), (2, 3, 4), (9999, 12, 31)] {
            let date = jiff::civil::date(y, m, d);
            let text = iso_date(date).expect("in range");
            assert_eq!(std::str::from_utf8(&text).unwrap(), date.to_string());
        }
        assert!(iso_date(jiff::civil::date(-1, 1, 1)).is_none());
    }
}
