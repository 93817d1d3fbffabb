//! The SQLite row writer: what it writes reads back as written, and a row it cannot write
//! fails the operation with SQLite's reason and leaves nothing behind.

use settle_core::Money;
use settle_core::currency::Currency;
use settle_core::ids::EntryId;
use settle_core::journal::{EntryKind, JournalEntry, Posting};
use settle_store::Store;

const FROM: jiff::civil::Date = jiff::civil::date(2026, 1, 1);
const TO: jiff::civil::Date = jiff::civil::date(2026, 12, 31);

fn temporary_database(name: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "settle-store-{name}-{}-{}.db",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    path.to_string_lossy().into_owned()
}

fn entry(day: i8, cents: i64) -> JournalEntry {
    let usd = Currency::from_code("USD").unwrap();
    JournalEntry {
        kind: "adjustment".parse::<EntryKind>().unwrap(),
        date: jiff::civil::date(2026, 3, day),
        memo: format!("memo {day} — ünïcode"),
        reverses: None,
        postings: vec![
            Posting::new("1010", Money::new(cents, usd)),
            Posting::new("4000", Money::new(-cents, usd)),
        ],
    }
}

#[tokio::test(flavor = "current_thread")]
async fn rows_round_trip_and_a_failed_batch_leaves_nothing() {
    let location = temporary_database("rows");
    let store = Store::connect(&location).await.unwrap();
    store.migrate().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let usd = Currency::from_code("USD").unwrap();
    let entity = tx.create_entity("MAIN", "Main", usd).await.unwrap().id;
    // Enough entries for several statements, and a partial last one.
    let mut rows = tx.document_rows(entity);
    for id in 1..=700 {
        rows.push_entry(EntryId(id), &entry((id % 28 + 1) as i8, id));
    }
    tx.execute(rows.finish()).await.unwrap();
    tx.commit().await.unwrap();

    let journal = store.journal(entity, FROM, TO).await.unwrap();
    assert_eq!(journal.len(), 1400);
    let first = journal.iter().find(|l| l.entry == EntryId(1)).unwrap();
    assert_eq!(first.date, jiff::civil::date(2026, 3, 2));
    assert_eq!(first.memo, "memo 2 — ünïcode");
    assert_eq!(first.amount.minor(), 1);
    let total: i64 = journal.iter().map(|l| l.amount.minor()).sum();
    assert_eq!(total, 0);

    // Entry 350 exists: the batch fails on it, after writing the rows before it.
    let mut tx = store.begin().await.unwrap();
    let mut rows = tx.document_rows(entity);
    for id in [701, 702, 350, 703] {
        rows.push_entry(EntryId(id), &entry(1, id));
    }
    let error = tx.execute(rows.finish()).await.unwrap_err().to_string();
    assert!(error.contains("journal_entries"), "{error}");
    assert!(error.contains("UNIQUE"), "{error}");
    drop(tx);
    assert_eq!(store.journal(entity, FROM, TO).await.unwrap().len(), 1400);
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{location}{suffix}"));
    }
}

/// A bulk load runs on a connection of its own without foreign-key enforcement: dropped
/// without a commit it leaves nothing, committed it stays, and `verify` still finds a row whose
/// reference is missing.
#[tokio::test(flavor = "current_thread")]
async fn a_bulk_transaction_rolls_back_when_dropped_and_verify_checks_its_references() {
    let location = temporary_database("bulk");
    let store = Store::connect(&location).await.unwrap();
    store.migrate().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let usd = Currency::from_code("USD").unwrap();
    let entity = tx.create_entity("MAIN", "Main", usd).await.unwrap().id;
    tx.commit().await.unwrap();

    let mut tx = store.begin_bulk().await.unwrap();
    let mut rows = tx.document_rows(entity);
    for id in 1..=10 {
        rows.push_entry(EntryId(id), &entry(3, id));
    }
    tx.execute(rows.finish()).await.unwrap();
    drop(tx);
    // The dropped connection's transaction is gone: the write lock is free and nothing stayed.
    let mut tx = store.begin().await.unwrap();
    let mut rows = tx.document_rows(entity);
    rows.push_entry(EntryId(1), &entry(3, 1));
    tx.execute(rows.finish()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.journal(entity, FROM, TO).await.unwrap().len(), 2);
    assert!(store.verify(entity).await.unwrap().problems.is_empty());

    // An entry of an entity that does not exist passes the bulk load, not the check.
    let mut tx = store.begin_bulk().await.unwrap();
    let mut rows = tx.document_rows(settle_core::ids::EntityId(99));
    rows.push_entry(EntryId(2), &entry(4, 2));
    tx.execute(rows.finish()).await.unwrap();
    tx.commit().await.unwrap();
    let problems = store.verify(entity).await.unwrap().problems;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("journal_entries row 2 names a missing entities")),
        "{problems:?}"
    );
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{location}{suffix}"));
    }
}
