//! The audit trail through the binary, on both engines: a day's work is recorded with who,
//! what and from where, and `audit verify` finds the chain intact; a field changed, a row
//! deleted or a row added behind Settle's back is named by its sequence number; a refused
//! operation leaves no row; writers racing from many processes leave one linear chain; a
//! backup carries the chain and a restore checks it.

#[macro_use]
mod support;

use std::process::Output;

use settle_core::audit_chain::{AuditEntry, AuditRecord, Target};

use support::{Backend, block_on};

on_both_engines!(
    a_day_of_work_is_recorded_and_verifies,
    a_changed_field_is_named,
    a_deleted_row_is_named,
    an_added_row_is_named,
    the_engine_refuses_to_change_rows,
    a_refused_operation_leaves_no_row,
    racing_processes_leave_one_chain,
    a_restore_carries_and_checks_the_chain,
);

fn is_postgres(db: &Backend) -> bool {
    db.url.starts_with("postgres")
}

/// Runs one statement behind Settle's back, returning the engine's refusal rather than
/// failing the test.
fn try_sql(db: &Backend, statement: &str) -> Result<(), String> {
    let url = if is_postgres(db) {
        db.url.clone()
    } else {
        format!("sqlite://{}", db.url)
    };
    let statement = statement.to_string();
    block_on(async move {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
            .await
            .expect("the test database opens");
        conn.execute(sqlx::AssertSqlSafe(statement))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

/// What a tamperer with the database's own rights does first: drop the guards.
fn drop_guards(db: &Backend) {
    if is_postgres(db) {
        db.sql("DROP TRIGGER audit_log_no_change ON audit_log");
    } else {
        db.sql("DROP TRIGGER audit_log_no_update");
        db.sql("DROP TRIGGER audit_log_no_delete");
    }
}

/// `settle ARGS…` as operating-system user `os_user`.
fn run_as(db: &Backend, os_user: &str, args: &[&str]) -> Output {
    let output = db
        .command(args)
        .env("USER", os_user)
        .output()
        .expect("the settle binary runs");
    assert!(
        output.status.success(),
        "settle {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn log(db: &Backend, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["audit", "log"];
    all.extend(args);
    db.json(&all)
        .as_array()
        .expect("the log is a JSON array")
        .clone()
}

fn verify_ok(db: &Backend) -> String {
    db.ok(&["audit", "verify"])
}

/// `audit verify` must fail, and name `seq` as the first broken row.
fn verify_names(db: &Backend, seq: i64) -> String {
    let error = db.fails(&["audit", "verify"]);
    assert!(
        error.contains(&format!("broken at sequence {seq}:")),
        "expected sequence {seq}: {error}"
    );
    error
}

/// A few days of work from two desks: imports, a payment and its application, a credit memo,
/// a user, a credit hold.
fn work(db: &Backend) {
    db.load_fixture();
    run_as(db, "ann", &["user", "add", "mia", "--role", "manager"]);
    run_as(
        db,
        "ann",
        &[
            "--user",
            "mia",
            "payment",
            "post",
            "--customer",
            "ACME",
            "--amount",
            "1500.00",
            "--date",
            "2026-07-01",
            "--reference",
            "WIRE-1",
        ],
    );
    run_as(
        db,
        "bob",
        &[
            "--user",
            "mia",
            "apply",
            "--payment",
            "1",
            "--invoice",
            "A-1001",
            "--date",
            "2026-07-02",
        ],
    );
    run_as(
        db,
        "bob",
        &[
            "credit-memo",
            "--customer",
            "ACME",
            "--amount",
            "10.00",
            "--reason",
            "PRICING",
            "--date",
            "2026-07-03",
        ],
    );
    run_as(
        db,
        "ann",
        &[
            "--user",
            "mia",
            "credit",
            "hold",
            "ACME",
            "--reason",
            "contract in question",
            "--date",
            "2026-07-03",
        ],
    );
}

fn a_day_of_work_is_recorded_and_verifies(db: &Backend) {
    work(db);
    let intact = verify_ok(db);
    assert!(intact.contains("intact: 8 rows, head "), "{intact}");

    let rows = log(db, &[]);
    let operations: Vec<&str> = rows
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        [
            "create_entity",
            "import_customers",
            "import_invoices",
            "add_user",
            "post_payment",
            "apply",
            "issue_memo",
            "credit_hold",
        ]
    );
    let payment = &rows[4];
    assert_eq!(payment["actor"], "mia");
    assert_eq!(payment["origin"], "cli ann");
    assert_eq!(payment["target"]["kind"], "payment");
    assert_eq!(payment["target"]["key"], "1");
    let after: serde_json::Value =
        serde_json::from_str(payment["after"].as_str().unwrap()).unwrap();
    assert_eq!(after["response"]["payment_id"], 1);
    assert!(after["request"].as_str().unwrap().contains("WIRE-1"));
    assert_eq!(rows[5]["origin"], "cli bob");
    assert_eq!(rows[5]["target"]["key"], "A-1001");

    // An update records the state before it as well as after.
    let hold = &rows[7];
    let before: serde_json::Value = serde_json::from_str(hold["before"].as_str().unwrap()).unwrap();
    assert_eq!(before["hold"], "");
    assert!(
        hold["after"]
            .as_str()
            .unwrap()
            .contains("contract in question")
    );

    // An import is one row with the file's checksum, however many rows it stored.
    let import: serde_json::Value =
        serde_json::from_str(rows[2]["after"].as_str().unwrap()).unwrap();
    assert!(import["file"].as_str().unwrap().ends_with("invoices.csv"));
    assert_eq!(import["sha256"].as_str().unwrap().len(), 64);
    assert!(import["counts"]["stored"].as_u64().unwrap() > 5);

    // Each row links to the one before it.
    for pair in rows.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }

    // Auditors filter and export.
    let by_mia = log(db, &["--actor", "mia"]);
    assert_eq!(by_mia.len(), 3);
    let payments = log(db, &["--operation", "post_payment"]);
    assert_eq!(payments.len(), 1);
    let today = jiff::Timestamp::now().to_string()[..10].to_string();
    assert_eq!(log(db, &["--from", &today, "--to", &today]).len(), 8);
    assert_eq!(log(db, &["--to", "2020-01-01"]).len(), 0);
    let csv = db.ok(&["audit", "log", "--format", "csv"]);
    assert!(csv.starts_with(
        "seq,at,actor,origin,operation,target_kind,target_key,before,after,prev_hash,hash"
    ));
    assert_eq!(
        csv.lines().filter(|l| l.contains(",post_payment,")).count(),
        1
    );
    let table = db.ok(&["audit", "log", "--operation", "apply"]);
    assert!(
        table.contains("invoice A-1001") && table.contains("cli bob"),
        "{table}"
    );

    // The auditor pack carries the log and the chain's verification.
    let pack = db.dir.join("pack.tar");
    db.ok(&[
        "audit",
        "pack",
        "--period",
        "2026-07",
        "--out",
        pack.to_str().unwrap(),
    ]);
    let listing = db.ok(&["audit", "verify", "--format", "json"]);
    let verified: serde_json::Value = serde_json::from_str(&listing).unwrap();
    assert_eq!(verified["intact"], true);
    assert_eq!(verified["rows"], 8);
    let bytes = std::fs::read(&pack).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("audit-log.csv") && text.contains("audit-verification.json"));
    assert!(text.contains(verified["head_hash"].as_str().unwrap()));
}

fn a_changed_field_is_named(db: &Backend) {
    work(db);
    drop_guards(db);
    db.sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5");
    let error = verify_names(db, 5);
    assert!(error.contains("a field was changed"), "{error}");
}

fn a_deleted_row_is_named(db: &Backend) {
    work(db);
    drop_guards(db);
    db.sql("DELETE FROM audit_log WHERE seq = 4");
    let error = verify_names(db, 4);
    assert!(error.contains("expected row 4, found row 5"), "{error}");
}

fn an_added_row_is_named(db: &Backend) {
    work(db);
    let rows = log(db, &[]);
    let last = rows.last().unwrap();
    // A forged row hashed and linked as Settle would: only the chain's head row betrays it.
    let forged = AuditRecord::link(
        9,
        last["hash"].as_str().unwrap(),
        AuditEntry {
            at: last["at"].as_str().unwrap().to_string(),
            actor: "mallory".into(),
            origin: "cli".into(),
            operation: "write_off".into(),
            target: Target::new("invoice", "A-1002"),
            before: String::new(),
            after: String::new(),
        },
    );
    db.sql(&format!(
        "INSERT INTO audit_log (entity_id, seq, at, actor, origin, operation, target_kind, \
         target_key, before_json, after_json, prev_hash, hash) VALUES (1, 9, '{}', 'mallory', \
         'cli', 'write_off', 'invoice', 'A-1002', '', '', '{}', '{}')",
        forged.entry.at, forged.prev_hash, forged.hash
    ));
    let error = verify_names(db, 9);
    assert!(error.contains("the chain's head says row 8"), "{error}");
}

fn the_engine_refuses_to_change_rows(db: &Backend) {
    work(db);
    let update = try_sql(db, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2");
    assert!(update.unwrap_err().contains("append-only"));
    let delete = try_sql(db, "DELETE FROM audit_log WHERE seq = 2");
    assert!(delete.unwrap_err().contains("append-only"));
    if is_postgres(db) {
        let truncate = try_sql(db, "TRUNCATE audit_log");
        assert!(truncate.unwrap_err().contains("append-only"));
    }
    verify_ok(db);
}

fn a_refused_operation_leaves_no_row(db: &Backend) {
    work(db);
    let before = log(db, &[]).len();
    let refused = db.fails(&[
        "apply",
        "--payment",
        "1",
        "--invoice",
        "A-1002",
        "--amount",
        "5000.00",
        "--date",
        "2026-07-02",
    ]);
    assert!(refused.contains("exceeds"), "{refused}");
    let bad = db.file(
        "bad.csv",
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n\
         Z-1,ACME,2026-07-01,2026-07-31,USD,10.00,,,\n\
         Z-2,NOBODY,2026-07-01,2026-07-31,USD,10.00,,,\n",
    );
    db.fails(&["import", "invoices", &bad]);
    db.fails(&["user", "add", "mia", "--role", "clerk"]);
    assert_eq!(log(db, &[]).len(), before, "a refusal wrote an audit row");
    verify_ok(db);
}

/// Eight processes post a payment each at the same moment: every one that committed has its
/// row, and the rows form one chain.
fn racing_processes_leave_one_chain(db: &Backend) {
    db.load_fixture();
    let children: Vec<_> = (0..8)
        .map(|n| {
            let reference = format!("RACE-{n}");
            db.command(&[
                "payment",
                "post",
                "--customer",
                "ACME",
                "--amount",
                "10.00",
                "--date",
                "2026-07-01",
                "--reference",
                &reference,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("settle starts")
        })
        .collect();
    let mut posted = 0;
    for child in children {
        let output = child.wait_with_output().expect("settle ends");
        if output.status.success() {
            posted += 1;
        } else {
            let error = String::from_utf8_lossy(&output.stderr);
            assert!(error.contains("try it again"), "{error}");
        }
    }
    assert!(posted > 0);
    let intact = verify_ok(db);
    assert!(
        intact.contains(&format!("intact: {} rows", 3 + posted)),
        "{intact}"
    );
    assert_eq!(log(db, &["--operation", "post_payment"]).len(), posted);
}

fn a_restore_carries_and_checks_the_chain(db: &Backend) {
    work(db);
    let head = db.json(&["audit", "verify"])["head_hash"].clone();
    let file = db.dir.join("books.backup");
    db.ok(&["backup", "--out", file.to_str().unwrap()]);
    let fresh = || {
        if is_postgres(db) {
            Backend::postgres()
        } else {
            Backend::sqlite()
        }
    };
    let target = fresh();
    let restored = target.ok(&["--user", "mia", "restore", file.to_str().unwrap()]);
    assert!(
        restored.contains("audit chain of MAIN intact: 9 rows"),
        "{restored}"
    );
    let rows = log(&target, &[]);
    assert_eq!(rows.len(), 9);
    assert_eq!(
        rows[7]["hash"], head,
        "the backup's chain is kept as it was"
    );
    assert_eq!(rows[8]["operation"], "restore");
    assert_eq!(rows[8]["actor"], "mia");
    verify_ok(&target);

    // Tampered books are not restored: the broken row is named and nothing is loaded.
    drop_guards(db);
    db.sql("UPDATE audit_log SET after_json = '{}' WHERE seq = 6");
    let tampered = db.dir.join("tampered.backup");
    db.ok(&["backup", "--out", tampered.to_str().unwrap()]);
    let target = fresh();
    let error = target.fails(&["restore", tampered.to_str().unwrap()]);
    assert!(error.contains("broken at sequence 6"), "{error}");
    target.fails(&["audit", "verify"]);
}
