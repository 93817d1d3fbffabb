//! Backups: the whole database as one portable text file, restored into either engine.
//!
//! The file, line by line:
//!
//! ```text
//! settle-backup 1 <SHA-256 of the manifest line>
//! {"format":"settle-backup","format_version":1,"schema_version":14,"created_at":…,
//!  "source_engine":"sqlite","tables":[{"name":…,"columns":[…],"rows":N,"sha256":…},…]}
//! table <name>
//! [value, value, …]          one JSON array per row, in primary-key order
//! …
//! end
//! ```
//!
//! Values are JSON integers, strings, `null`, or `{"hex":"…"}` for bytes. A table's checksum is
//! the SHA-256 of its row lines (each with its newline), so the same books give the same
//! checksums whichever engine they were read from. A restore reads the whole file and checks
//! every checksum before it touches the database, then loads it in one transaction.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use settle_core::audit_chain::{ChainSummary, Target};
use settle_store::{AuditChange, Engine, Store, TableShape, Value};

use crate::{ServiceError, ServiceResult, sha256_hex};

const MAGIC: &str = "settle-backup";
const FORMAT: &str = "settle-backup";
const FORMAT_VERSION: i64 = 1;
/// Rows handed to the store per insert batch.
const ROWS_PER_BATCH: usize = 2_000;

/// What the second line of a backup says about the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: i64,
    pub schema_version: i64,
    pub created_at: String,
    pub source_engine: String,
    pub tables: Vec<TableEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
    pub sha256: String,
}

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub seconds: f64,
    pub manifest: Manifest,
}

/// What a restore loaded.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub rows: u64,
    pub seconds: f64,
    pub backup_schema_version: i64,
    pub schema_version: i64,
    pub manifest: Manifest,
    /// Each entity's audit chain, checked intact and ended with the restore's own row.
    pub audit_chains: Vec<(String, ChainSummary)>,
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgresql",
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ServiceError + '_ {
    move |source| ServiceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_io(path: &Path) -> impl Fn(std::io::Error) -> ServiceError + '_ {
    move |source| ServiceError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn bad(path: &Path, message: String) -> ServiceError {
    ServiceError::BadFile {
        file: path.display().to_string(),
        message,
    }
}

/// Backups hold the books: readable by their owner only.
fn create_private(path: &Path) -> std::io::Result<File> {
    crate::private_files::create(path)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn encode_row(values: &[Value], line: &mut String) {
    line.clear();
    line.push('[');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        match value {
            Value::Null => line.push_str("null"),
            Value::Int(v) => line.push_str(&v.to_string()),
            Value::Text(v) => line.push_str(&serde_json::Value::String(v.clone()).to_string()),
            Value::Blob(v) => {
                line.push_str("{\"hex\":\"");
                for byte in v {
                    line.push_str(&format!("{byte:02x}"));
                }
                line.push_str("\"}");
            }
        }
    }
    line.push_str("]\n");
}

fn decode_row(line: &[u8]) -> Result<Vec<Value>, String> {
    let parsed: Vec<serde_json::Value> =
        serde_json::from_slice(line).map_err(|e| format!("not a row of values: {e}"))?;
    parsed
        .into_iter()
        .map(|value| match value {
            serde_json::Value::Null => Ok(Value::Null),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .ok_or_else(|| format!("{n} is not a 64-bit integer")),
            serde_json::Value::String(s) => Ok(Value::Text(s)),
            serde_json::Value::Object(map) => match map.get("hex") {
                Some(serde_json::Value::String(hex)) if map.len() == 1 => decode_hex(hex),
                _ => Err("an object value must be {\"hex\": \"…\"}".to_string()),
            },
            other => Err(format!("{other} is not a stored value")),
        })
        .collect()
}

fn decode_hex(hex: &str) -> Result<Value, String> {
    if !hex.len().is_multiple_of(2) {
        return Err("bytes in hex need an even number of digits".to_string());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("{hex:?} is not hex"))
        })
        .collect::<Result<Vec<u8>, String>>()
        .map(Value::Blob)
}

/// Writes a backup of the database at `location` to `out`, readable by its owner only. The
/// file appears complete or not at all.
pub async fn backup(location: &str, out: &Path) -> ServiceResult<BackupReport> {
    let started = Instant::now();
    let store = Store::connect(location).await?;
    let body_path = with_suffix(out, ".body.partial");
    let result = write_body(&store, &body_path).await;
    store.close().await;
    let written = result.and_then(|manifest| {
        let partial = with_suffix(out, ".partial");
        let assembled = assemble(&manifest, &body_path, &partial)
            .and_then(|()| std::fs::rename(&partial, out).map_err(write_io(out)));
        if assembled.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        assembled.map(|()| manifest)
    });
    let _ = std::fs::remove_file(&body_path);
    let manifest = written?;
    let bytes = std::fs::metadata(out).map_err(io(out))?.len();
    Ok(BackupReport {
        path: out.to_path_buf(),
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        manifest,
    })
}

/// Reads every table in one snapshot into `path` and returns the manifest describing it.
async fn write_body(store: &Store, path: &Path) -> ServiceResult<Manifest> {
    let mut writer = BufWriter::new(create_private(path).map_err(write_io(path))?);
    let mut snapshot = store.snapshot().await?;
    let tables: Vec<TableShape> = snapshot.tables().to_vec();
    let mut entries = Vec::with_capacity(tables.len());
    for table in &tables {
        writeln!(writer, "table {}", table.name).map_err(write_io(path))?;
        let mut hasher = Sha256::new();
        let mut rows = 0_u64;
        let mut line = String::new();
        snapshot
            .rows(table, |values| {
                encode_row(values, &mut line);
                hasher.update(line.as_bytes());
                rows += 1;
                writer.write_all(line.as_bytes()).map_err(write_io(path))
            })
            .await?;
        entries.push(TableEntry {
            name: table.name.clone(),
            columns: table.columns.iter().map(|c| c.name.clone()).collect(),
            rows,
            sha256: hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        });
    }
    let schema_version = snapshot.schema_version();
    snapshot.finish().await?;
    writeln!(writer, "end").map_err(write_io(path))?;
    writer.flush().map_err(write_io(path))?;
    Ok(Manifest {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        schema_version,
        created_at: jiff::Timestamp::now().to_string(),
        source_engine: engine_name(store.engine()).to_string(),
        tables: entries,
    })
}

/// The header, then the body, into `partial`, synced to disk.
fn assemble(manifest: &Manifest, body: &Path, partial: &Path) -> ServiceResult<()> {
    let manifest_line = serde_json::to_string(manifest).map_err(|e| ServiceError::BadFile {
        file: partial.display().to_string(),
        message: e.to_string(),
    })?;
    let file = create_private(partial).map_err(write_io(partial))?;
    let mut writer = BufWriter::new(file);
    writeln!(
        writer,
        "{MAGIC} {FORMAT_VERSION} {}",
        sha256_hex(manifest_line.as_bytes())
    )
    .and_then(|()| writeln!(writer, "{manifest_line}"))
    .map_err(write_io(partial))?;
    let mut source = File::open(body).map_err(io(body))?;
    std::io::copy(&mut source, &mut writer).map_err(write_io(partial))?;
    let file = writer
        .into_inner()
        .map_err(|e| write_io(partial)(e.into_error()))?;
    file.sync_all().map_err(write_io(partial))?;
    Ok(())
}

/// Reads a backup line by line, checking its header and each table's checksum.
struct BackupReader<'a> {
    path: &'a Path,
    reader: Box<dyn BufRead + 'a>,
    line_number: u64,
    line: Vec<u8>,
    manifest: Manifest,
}

impl<'a> BackupReader<'a> {
    fn open(path: &'a Path) -> ServiceResult<BackupReader<'a>> {
        let file = File::open(path).map_err(io(path))?;
        BackupReader::start(path, Box::new(BufReader::new(file)))
    }

    /// Reads the header and the manifest of the backup `path` names, from `source`.
    fn start(path: &'a Path, source: Box<dyn BufRead + 'a>) -> ServiceResult<BackupReader<'a>> {
        let mut reader = BackupReader {
            path,
            reader: source,
            line_number: 0,
            line: Vec::new(),
            manifest: Manifest {
                format: String::new(),
                format_version: 0,
                schema_version: 0,
                created_at: String::new(),
                source_engine: String::new(),
                tables: Vec::new(),
            },
        };
        let first = reader.next_line()?.unwrap_or_default();
        let first = String::from_utf8_lossy(&first).to_string();
        let mut words = first.split(' ');
        let (magic, version, checksum) = (words.next(), words.next(), words.next());
        if magic != Some(MAGIC) {
            return Err(bad(path, "line 1: not a Settle backup".to_string()));
        }
        if version != Some("1") {
            return Err(bad(
                path,
                format!(
                    "line 1: backup format {} is not one this program reads (1)",
                    version.unwrap_or("?")
                ),
            ));
        }
        let manifest_line = reader
            .next_line()?
            .ok_or_else(|| bad(path, "line 2: the manifest is missing".to_string()))?;
        if checksum != Some(sha256_hex(&manifest_line).as_str()) {
            return Err(bad(
                path,
                "line 2: the manifest is damaged (its checksum differs); nothing was restored"
                    .to_string(),
            ));
        }
        reader.manifest = serde_json::from_slice(&manifest_line)
            .map_err(|e| bad(path, format!("line 2: the manifest does not read: {e}")))?;
        if reader.manifest.format != FORMAT || reader.manifest.format_version != FORMAT_VERSION {
            return Err(bad(
                path,
                "line 2: not a Settle backup manifest".to_string(),
            ));
        }
        Ok(reader)
    }

    /// The next line without its newline, or None at the end of the file.
    fn next_line(&mut self) -> ServiceResult<Option<Vec<u8>>> {
        self.line.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.line)
            .map_err(io(self.path))?;
        if read == 0 {
            return Ok(None);
        }
        self.line_number += 1;
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        Ok(Some(line))
    }

    fn damaged(&self, table: &str, what: &str) -> ServiceError {
        bad(
            self.path,
            format!(
                "table {table} is damaged ({what}, near line {}); nothing was restored",
                self.line_number
            ),
        )
    }

    /// Starts reading table `index`: its header line must come next.
    fn begin_table(&mut self, index: usize) -> ServiceResult<TableCursor> {
        let entry = self.manifest.tables[index].clone();
        let header = self.next_line()?.unwrap_or_default();
        if header != format!("table {}", entry.name).into_bytes() {
            return Err(self.damaged(&entry.name, "its first line is not `table NAME`"));
        }
        Ok(TableCursor {
            left: entry.rows,
            entry,
            hasher: Sha256::new(),
        })
    }

    /// The table's next row line, or None once its rows are read and their checksum checked.
    fn next_row(&mut self, cursor: &mut TableCursor) -> ServiceResult<Option<Vec<u8>>> {
        if cursor.left == 0 {
            let sum: String = std::mem::take(&mut cursor.hasher)
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if sum != cursor.entry.sha256 {
                return Err(self.damaged(&cursor.entry.name, "its checksum differs"));
            }
            return Ok(None);
        }
        let Some(line) = self.next_line()? else {
            return Err(self.damaged(&cursor.entry.name, "the file ends inside it"));
        };
        cursor.left -= 1;
        cursor.hasher.update(&line);
        cursor.hasher.update(b"\n");
        Ok(Some(line))
    }

    fn end(&mut self) -> ServiceResult<()> {
        match self.next_line()? {
            Some(line) if line == b"end" => {}
            _ => {
                return Err(bad(
                    self.path,
                    format!(
                        "line {}: expected `end` after the last table; nothing was restored",
                        self.line_number
                    ),
                ));
            }
        }
        if self.next_line()?.is_some() {
            return Err(bad(
                self.path,
                format!("line {}: text after `end`", self.line_number),
            ));
        }
        Ok(())
    }
}

/// Where a reader is inside one table.
struct TableCursor {
    entry: TableEntry,
    left: u64,
    hasher: Sha256,
}

/// Checks a backup's header and every table's checksum without touching any database.
pub fn check(path: &Path) -> ServiceResult<Manifest> {
    check_all(BackupReader::open(path)?)
}

/// Checks a backup held in memory as [`check`] checks a file (for the fuzz target): `name`
/// stands for the file in errors. Every row line is also decoded, as a restore would.
pub(crate) fn check_bytes(name: &Path, bytes: &[u8]) -> ServiceResult<Vec<Vec<Value>>> {
    let mut reader = BackupReader::start(name, Box::new(bytes))?;
    let mut rows = Vec::new();
    for index in 0..reader.manifest.tables.len() {
        let mut cursor = reader.begin_table(index)?;
        while let Some(line) = reader.next_row(&mut cursor)? {
            let table = cursor.entry.name.clone();
            rows.push(decode_row(&line).map_err(|e| reader.damaged(&table, &e))?);
        }
    }
    reader.end()?;
    Ok(rows)
}

/// A row line as a restore reads it, and the line it would be written back as.
pub(crate) fn decode_and_encode(line: &[u8]) -> Option<(Vec<Value>, String)> {
    let values = decode_row(line).ok()?;
    let mut encoded = String::new();
    encode_row(&values, &mut encoded);
    Some((values, encoded))
}

fn check_all(mut reader: BackupReader<'_>) -> ServiceResult<Manifest> {
    for index in 0..reader.manifest.tables.len() {
        let mut cursor = reader.begin_table(index)?;
        while reader.next_row(&mut cursor)?.is_some() {}
    }
    reader.end()?;
    Ok(reader.manifest)
}

/// Restores a backup into the empty database at `location`, in one transaction; a backup from
/// an older schema is migrated to this program's once loaded. Every entity's audit chain must
/// verify (a broken one refuses the restore, naming the first bad row); each then records the
/// restore, by `actor` from `origin`.
pub async fn restore(
    location: &str,
    path: &Path,
    actor: &str,
    origin: &str,
) -> ServiceResult<RestoreReport> {
    let started = Instant::now();
    let manifest = check(path)?;
    let known = settle_store::schema::MIGRATIONS
        .last()
        .map_or(0, |m| m.version);
    if manifest.schema_version > known {
        return Err(bad(
            path,
            format!(
                "the backup's schema is version {}, newer than this program's {known}: restore it with a newer Settle",
                manifest.schema_version
            ),
        ));
    }
    let restored = AuditChange {
        actor: actor.to_string(),
        origin: origin.to_string(),
        operation: "restore".to_string(),
        target: Target::new(
            "backup",
            path.file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        ),
        before: String::new(),
        after: serde_json::json!({
            "backup_schema_version": manifest.schema_version,
            "source_engine": manifest.source_engine,
            "tables": manifest.tables.iter().map(|t| serde_json::json!({
                "table": t.name, "rows": t.rows, "sha256": t.sha256,
            })).collect::<Vec<_>>(),
        })
        .to_string(),
    };
    let store = Store::connect(location).await?;
    let result = load(&store, path, &manifest, &restored).await;
    store.close().await;
    let (rows, audit_chains) = result?;
    Ok(RestoreReport {
        rows,
        audit_chains,
        seconds: started.elapsed().as_secs_f64(),
        backup_schema_version: manifest.schema_version,
        schema_version: known,
        manifest,
    })
}

async fn load(
    store: &Store,
    path: &Path,
    manifest: &Manifest,
    restored: &AuditChange,
) -> ServiceResult<(u64, Vec<(String, ChainSummary)>)> {
    let mut restore = store.begin_restore(manifest.schema_version).await?;
    let loaded = async {
        let mut reader = BackupReader::open(path)?;
        if reader.manifest != *manifest {
            return Err(bad(
                path,
                "the file changed while it was restored".to_string(),
            ));
        }
        let mut total = 0_u64;
        for (index, entry) in manifest.tables.iter().enumerate() {
            restore.table(&entry.name)?;
            let mut cursor = reader.begin_table(index)?;
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(ROWS_PER_BATCH);
            loop {
                let line = reader.next_row(&mut cursor)?;
                if let Some(line) = &line {
                    let row = decode_row(line).map_err(|message| {
                        bad(
                            path,
                            format!(
                                "line {} (table {}): {message}",
                                reader.line_number, entry.name
                            ),
                        )
                    })?;
                    batch.push(row);
                }
                if batch.len() == ROWS_PER_BATCH || (line.is_none() && !batch.is_empty()) {
                    restore.insert(&entry.name, &entry.columns, &batch).await?;
                    total += batch.len() as u64;
                    batch.clear();
                }
                if line.is_none() {
                    break;
                }
            }
        }
        reader.end()?;
        ServiceResult::Ok(total)
    }
    .await;
    match loaded {
        Ok(total) => {
            let chains = restore.finish(restored).await?;
            Ok((total, chains))
        }
        Err(error) => {
            restore.abandon().await;
            Err(error)
        }
    }
}
