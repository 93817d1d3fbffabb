//! The storage fails under a running operation: the disk fills up (a file-size limit on the
//! child, `ulimit -f`, so the test needs no special file system), the database file is
//! read-only, the PostgreSQL server ends the connection in the middle of an import. Each time
//! the error is clear (it names the database or the file and says what to do), the process is
//! not killed, and the books are exactly as before: the same journal, aging and trial balance,
//! `settle verify` clean. Run again once the storage is back, the operation completes.

#![allow(clippy::inconsistent_digit_grouping)]

#[allow(unused_macros)]
mod support;

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use support::Backend;
use support::child::{Limit, Measured};

const AS_OF: &str = "2026-12-31";

fn setup(db: &Backend) {
    db.load_fixture();
    db.ok(&[
        "payment",
        "post",
        "--customer",
        "ACME",
        "--amount",
        "500.00",
        "--date",
        "2026-07-01",
        "--reference",
        "CHK-1",
    ]);
}

/// Everything the books say, as text.
fn books(db: &Backend) -> Vec<String> {
    let verify = db.json(&["verify"]);
    assert_eq!(verify["problems"], serde_json::json!([]), "verify is clean");
    vec![
        db.ok(&["export", "journal", "--format", "csv"]),
        db.ok(&["aging", "--as-of", AS_OF, "--detail", "--format", "csv"]),
        db.ok(&[
            "report",
            "trial-balance",
            "--as-of",
            AS_OF,
            "--format",
            "csv",
        ]),
        verify.to_string(),
    ]
}

/// `rows` invoices for the fixture's USD customers.
fn invoice_file(db: &Backend, name: &str, rows: usize) -> String {
    let mut text = String::with_capacity(rows * 80 + 128);
    text.push_str(
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n",
    );
    for n in 0..rows {
        let customer = if n % 2 == 0 { "ACME" } else { "BETA" };
        let _ = writeln!(
            text,
            "F-{n:08},{customer},2026-08-{:02},,USD,{}.{:02},0.00,PO{n},Goods",
            1 + n % 28,
            100 + n % 900,
            n % 100
        );
    }
    db.file(name, &text)
}

/// A failure the program reported (exit 1), not a signal that ended it.
fn failed_clearly(measured: &Measured, what: &str) {
    assert_eq!(
        measured.status.signal(),
        None,
        "{what}: killed by a signal\n{}",
        measured.stderr
    );
    assert_eq!(
        measured.status.code(),
        Some(1),
        "{what}: should have failed\n{}{}",
        measured.stdout,
        measured.stderr
    );
    assert!(
        !measured.stderr.contains("panicked"),
        "{what}: {}",
        measured.stderr
    );
    println!("{what}: {}", measured.stderr.trim());
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[test]
fn a_full_disk_under_the_database_fails_the_import_and_keeps_the_books() {
    let db = Backend::sqlite();
    setup(&db);
    let before = books(&db);
    let invoices = invoice_file(&db, "many.csv", 20_000);
    // The disk "fills up" 256 KiB past what the database and its log hold now.
    let database = std::path::Path::new(&db.url);
    let limit = file_size(database) + file_size(&db.dir.join("settle.db-wal")) + (256 << 10);
    let measured = db.run_limited(
        &["import", "invoices", &invoices],
        &[Limit::FileSize(limit)],
    );
    failed_clearly(&measured, "import on a full disk");
    assert!(
        measured.stderr.contains(&format!("database {}", db.url))
            && measured.stderr.contains("could not be written")
            && measured.stderr.contains("nothing was changed"),
        "{}",
        measured.stderr
    );
    assert_eq!(books(&db), before, "the books are as they were");

    let report = db.json(&["import", "invoices", &invoices]);
    assert_eq!(
        report["stored"], 20_000,
        "with room again the import completes"
    );
    db.ok(&["verify"]);
}

#[test]
fn a_full_disk_under_a_backup_leaves_no_file_and_says_so() {
    let db = Backend::sqlite();
    setup(&db);
    let invoices = invoice_file(&db, "some.csv", 2_000);
    db.ok(&["import", "invoices", &invoices]);
    let before = books(&db);
    let out = db.dir.join("books.settle-backup");
    // Room for the database's shared-memory index (32 KiB), not for the backup (about 1 MiB).
    let measured = db.run_limited(
        &["backup", "--out", out.to_str().unwrap()],
        &[Limit::FileSize(128 << 10)],
    );
    failed_clearly(&measured, "backup on a full disk");
    assert!(
        measured.stderr.contains("cannot write")
            && measured.stderr.contains("books.settle-backup")
            && measured.stderr.contains("the disk is full"),
        "{}",
        measured.stderr
    );
    let left: Vec<String> = std::fs::read_dir(&db.dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with("books.settle-backup"))
        .collect();
    assert!(left.is_empty(), "nothing of the backup is left: {left:?}");
    assert_eq!(books(&db), before);
    db.ok(&["backup", "--out", out.to_str().unwrap()]);
}

#[test]
fn a_read_only_database_file_refuses_writes_and_keeps_the_books() {
    let db = Backend::sqlite();
    setup(&db);
    let before = books(&db);
    let database = std::path::Path::new(&db.url).to_path_buf();
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o444)).unwrap();

    // The restriction is real: a shell under the same limits cannot write a file like it.
    let probe_file = db.dir.join("probe");
    std::fs::write(&probe_file, "").unwrap();
    std::fs::set_permissions(&probe_file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let probe = support::child::spawn(
        &db.dir,
        "sh",
        &["-c", "printf x >> probe"],
        &[Limit::NoPermissionOverride],
    )
    .wait();
    assert!(
        !probe.status.success(),
        "the file is writable after all: the test would prove nothing"
    );

    let invoices = invoice_file(&db, "few.csv", 10);
    let measured = db.run_limited(
        &["import", "invoices", &invoices],
        &[Limit::NoPermissionOverride],
    );
    failed_clearly(&measured, "import into a read-only database");
    assert!(
        measured.stderr.contains(&format!("database {}", db.url))
            && measured.stderr.contains("read-only")
            && measured.stderr.contains("make it writable"),
        "{}",
        measured.stderr
    );
    // Reading still works.
    let aging = db.run_limited(
        &["aging", "--as-of", AS_OF, "--format", "csv"],
        &[Limit::NoPermissionOverride],
    );
    assert!(aging.status.success(), "{}", aging.stderr);

    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(books(&db), before);
    let report = db.json(&["import", "invoices", &invoices]);
    assert_eq!(report["stored"], 10);
}

/// Runs one query with one text parameter as the administrator on the server's maintenance
/// database.
fn on_server(sql: &'static str, parameter: &str) -> Vec<i64> {
    let url = std::env::var("SETTLE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".to_string());
    let parameter = parameter.to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {url} is unreachable: {e}"));
            let rows: Vec<i64> = sqlx::query_scalar(sql)
                .bind(parameter)
                .fetch_all(&mut conn)
                .await
                .expect("the statement runs");
            rows
        })
}

#[test]
fn a_lost_postgres_connection_fails_the_import_and_a_rerun_completes() {
    let db = Backend::postgres();
    setup(&db);
    let before = books(&db);
    let database = db
        .url
        .rsplit('/')
        .next()
        .and_then(|name| name.split('?').next())
        .unwrap()
        .to_string();
    let rows = 20_000;
    let invoices = invoice_file(&db, "long.csv", rows);

    let running = db.start(&["import", "invoices", &invoices], &[]);
    // Wait until the import's transaction has written (it has a transaction id), then end
    // every session of the test's database from the server's side.
    let started = Instant::now();
    let terminated = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import never began writing"
        );
        let killed = on_server(
            "SELECT pg_terminate_backend(pid)::int::bigint FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
            &database,
        );
        if killed.contains(&1) {
            break started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let measured = running.wait();
    println!("terminated the import's session after {terminated:?}");
    failed_clearly(&measured, "import whose connection was lost");
    assert!(
        measured.stderr.contains(&format!("database {}", db.url))
            && measured
                .stderr
                .contains("connection to the database server was lost")
            && measured.stderr.contains("run the command again"),
        "{}",
        measured.stderr
    );
    assert_eq!(
        books(&db),
        before,
        "the server rolled the import back whole"
    );

    let report = db.json(&["import", "invoices", &invoices]);
    assert_eq!(
        report["stored"], rows,
        "the re-run stores every invoice once"
    );
    assert_eq!(report["already_imported"], serde_json::Value::Null);
    db.ok(&["verify"]);
}
