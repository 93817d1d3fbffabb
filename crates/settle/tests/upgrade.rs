//! Upgrades: a database at every schema version Settle has shipped, holding books, is opened by
//! this binary. The books are the demo company's, written at each earlier version by keeping
//! the tables and columns that version had (the rows of the current schema, narrowed); the
//! binary must refuse to work on the old schema until `settle init` upgrades it, and the
//! upgraded books must verify and read exactly as the original ones. A backup taken of the old
//! schema restores into an empty database, migrated up in the same transaction. A database
//! from a newer schema than the binary's is refused by every command, on both engines.

#[macro_use]
mod support;

use std::path::Path;

use settle_store::Store;
use settle_store::schema::MIGRATIONS;
use sqlx::{AnyConnection, Connection as _, Executor as _, Row as _};
use support::Backend;

const AS_OF: &str = "2026-10-31";

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// One table of a backup file: its name, columns and rows.
struct Table {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<serde_json::Value>>,
}

/// Reads a `settle backup` file (format described in the service's `backup` module).
fn read_backup(path: &Path) -> Vec<Table> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    lines.next();
    let manifest: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let mut tables = Vec::new();
    for entry in manifest["tables"].as_array().unwrap() {
        assert_eq!(
            lines.next().unwrap(),
            format!("table {}", entry["name"].as_str().unwrap())
        );
        let rows = (0..entry["rows"].as_u64().unwrap())
            .map(|_| serde_json::from_str(lines.next().unwrap()).unwrap())
            .collect();
        tables.push(Table {
            name: entry["name"].as_str().unwrap().to_string(),
            columns: entry["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect(),
            rows,
        });
    }
    tables
}

fn connection_url(db: &Backend) -> String {
    if db.url.starts_with("postgres") {
        db.url.clone()
    } else {
        format!("sqlite://{}", db.url)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bytes,
}

/// The columns a table has in the database, with whether each holds bytes; None without it.
async fn columns(conn: &mut AnyConnection, postgres: bool, table: &str) -> Vec<(String, Kind)> {
    let sql = if postgres {
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
    } else {
        "SELECT name, type FROM pragma_table_info($1) ORDER BY cid"
    };
    sqlx::query(sql)
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let kind: String = row.get(1);
            let kind = kind.to_ascii_lowercase();
            let kind = if kind.contains("int") {
                Kind::Int
            } else if kind.contains("blob") || kind.contains("bytea") {
                Kind::Bytes
            } else {
                Kind::Text
            };
            (row.get::<String, _>(0), kind)
        })
        .collect()
}

/// Creates the schema at `version` and writes the books into it, narrowed to what it has.
async fn books_at_version(db: &Backend, version: i64, tables: &[Table]) {
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate_to(version).await.unwrap();
    store.close().await;
    sqlx::any::install_default_drivers();
    let postgres = db.url.starts_with("postgres");
    let mut conn = AnyConnection::connect(&connection_url(db)).await.unwrap();
    // Rows name rows of their own table that come later (a superseded GL import): the
    // references are whole once every row is in.
    conn.execute(if postgres {
        "SET session_replication_role = replica"
    } else {
        "PRAGMA foreign_keys = OFF"
    })
    .await
    .unwrap();
    // One transaction for every row: row by row in autocommit, each insert waits for its own
    // flush to disk, and the books have thousands of rows (the audit trail above all).
    conn.execute("BEGIN").await.unwrap();
    for table in tables {
        let present = columns(&mut conn, postgres, &table.name).await;
        if present.is_empty() {
            continue;
        }
        let kept: Vec<(usize, Kind)> = table
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                present
                    .iter()
                    .find(|(c, _)| c == name)
                    .map(|(_, kind)| (i, *kind))
            })
            .collect();
        let names: Vec<String> = kept
            .iter()
            .map(|(i, _)| format!("\"{}\"", table.columns[*i]))
            .collect();
        let placeholders: Vec<String> = (1..=kept.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "INSERT INTO \"{}\" ({}) VALUES ({})",
            table.name,
            names.join(", "),
            placeholders.join(", ")
        );
        for row in &table.rows {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (i, kind) in &kept {
                query = match (&row[*i], kind) {
                    (serde_json::Value::Null, Kind::Bytes) => query.bind(None::<Vec<u8>>),
                    (serde_json::Value::Null, Kind::Int) => query.bind(None::<i64>),
                    (serde_json::Value::Null, Kind::Text) => query.bind(None::<String>),
                    (serde_json::Value::Number(n), _) => query.bind(n.as_i64().unwrap()),
                    (serde_json::Value::String(s), _) => query.bind(s.clone()),
                    (serde_json::Value::Object(o), _) => {
                        let hex = o["hex"].as_str().unwrap();
                        let bytes: Vec<u8> = (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                            .collect();
                        query.bind(bytes)
                    }
                    (other, _) => panic!("unexpected value {other}"),
                };
            }
            query.execute(&mut conn).await.unwrap_or_else(|e| {
                panic!("a {} row at schema version {version}: {e}", table.name)
            });
        }
    }
    conn.execute("COMMIT").await.unwrap();
    conn.close().await.unwrap();
}

/// Drops the amounts in dispute: disputes came with schema version 3, so books written at an
/// earlier version have none.
fn without_disputes(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("disputed");
            map.values_mut().for_each(without_disputes);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_disputes),
        _ => {}
    }
}

/// The journal, the aging (but what is disputed) and the trial balance.
fn readings(db: &Backend) -> Vec<String> {
    let mut aging = db.json(&["aging", "--as-of", AS_OF]);
    without_disputes(&mut aging);
    vec![
        db.ok(&["export", "journal", "--format", "csv"]),
        serde_json::to_string_pretty(&aging).unwrap(),
        db.ok(&[
            "report",
            "trial-balance",
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ]),
    ]
}

fn every_earlier_schema_upgrades(new_target: fn() -> Backend) {
    let source = Backend::sqlite();
    source.ok(&["demo", "--customers", "12", "--as-of", AS_OF]);
    let expected = readings(&source);
    let file = source.dir.join("demo.settle-backup");
    source.ok(&["backup", "--out", file.to_str().unwrap()]);
    let tables = read_backup(&file);
    let current = MIGRATIONS.last().unwrap().version;
    for migration in MIGRATIONS.iter().filter(|m| m.version < current) {
        let db = new_target();
        block_on(books_at_version(&db, migration.version, &tables));
        let error = db.fails(&["aging", "--as-of", AS_OF]);
        assert!(
            error.contains(&format!("version {}, older than", migration.version))
                && error.contains("settle init"),
            "version {}: {error}",
            migration.version
        );
        // A backup of the old schema restores into an empty database and is migrated up there.
        let old_backup = db.dir.join(format!("v{}.settle-backup", migration.version));
        let report = db.json(&["backup", "--out", old_backup.to_str().unwrap()]);
        assert_eq!(report["schema_version"], migration.version);
        let restored = new_target();
        let report = restored.json(&["restore", old_backup.to_str().unwrap()]);
        assert_eq!(report["backup_schema_version"], migration.version);
        assert_eq!(report["schema_version"], current);
        assert_eq!(
            restored.json(&["verify"])["problems"],
            serde_json::json!([]),
            "a backup at version {} restores to books that verify",
            migration.version
        );
        assert!(
            readings(&restored) == expected,
            "a backup at version {} restores to the same books",
            migration.version
        );

        db.ok(&["init"]);
        let verify = db.json(&["verify"]);
        assert_eq!(
            verify["problems"],
            serde_json::json!([]),
            "books written at version {} verify after the upgrade",
            migration.version
        );
        for (n, (have, want)) in readings(&db).iter().zip(&expected).enumerate() {
            let first_difference = have
                .lines()
                .zip(want.lines())
                .find(|(h, w)| h != w)
                .map(|(h, w)| format!("\n{h}\ninstead of\n{w}"))
                .unwrap_or_default();
            assert!(
                have == want,
                "books written at version {} read as before after the upgrade (reading {n}){first_difference}",
                migration.version
            );
        }
    }
}

#[test]
fn every_earlier_schema_upgrades_on_sqlite() {
    every_earlier_schema_upgrades(Backend::sqlite);
}

#[test]
fn every_earlier_schema_upgrades_on_postgres() {
    every_earlier_schema_upgrades(Backend::postgres);
}

fn a_newer_schema_is_refused(db: &Backend) {
    db.ok(&["init"]);
    db.sql(
        "INSERT INTO schema_migrations (version, description, applied_at) \
         VALUES (999, 'from a newer Settle', '2030-01-01T00:00:00Z')",
    );
    let backup = db.dir.join("b.settle-backup");
    for args in [
        vec!["aging"],
        vec!["verify"],
        vec!["init"],
        vec!["backup", "--out", backup.to_str().unwrap()],
    ] {
        let error = db.fails(&args);
        assert!(
            error.contains("schema is at version 999, newer than this program's")
                && error.contains("upgrade Settle"),
            "settle {args:?}: {error}"
        );
    }
    assert!(!backup.exists(), "no backup file is left behind");
}

on_both_engines!(a_newer_schema_is_refused);
