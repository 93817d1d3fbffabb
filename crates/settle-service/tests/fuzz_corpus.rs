//! Replays every fuzz seed, and every input the fuzzer once crashed on, through the parsers of
//! the files a user hands the service (`fuzz/corpus/<target>/`), on stable: each input must be
//! read or refused naming the file, never panic.

use std::path::PathBuf;

use settle_service::import::fuzzing;

fn replay(target: &str, run: fn(&[u8])) {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fuzz/corpus", target]
        .iter()
        .collect();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    for path in files {
        let bytes = std::fs::read(&path).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| run(&bytes));
        assert!(outcome.is_ok(), "{} panicked", path.display());
    }
}

#[test]
fn customers_corpus() {
    replay("customers", fuzzing::customers);
}

#[test]
fn invoices_corpus() {
    replay("invoices", fuzzing::invoices);
}

#[test]
fn gl_corpus() {
    replay("gl", fuzzing::gl);
}

#[test]
fn calendar_corpus() {
    replay("calendar", fuzzing::calendar);
}

#[test]
fn dunning_policy_corpus() {
    replay("dunning_policy", fuzzing::dunning_policy);
}

#[test]
fn bounce_corpus() {
    replay("bounce", fuzzing::bounce);
}

#[test]
fn backup_corpus() {
    replay("backup", fuzzing::backup);
}
