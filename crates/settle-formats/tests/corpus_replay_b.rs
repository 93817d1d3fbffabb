//! Replays the fuzz corpora of the camt, NACHA and X12 readers (seeds and every crasher the
//! fuzzer found) on stable Rust: each file must be read or refused, never panic.

use std::path::PathBuf;

fn replay(
    folder: &str,
    parse: fn(&[u8]) -> Result<settle_formats::BankFile, settle_formats::FormatError>,
) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(folder);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let _ = parse(&bytes);
        // Every prefix too: truncated files are the commonest damage.
        for cut in (0..bytes.len()).step_by(7) {
            let _ = parse(&bytes[..cut]);
        }
        count += 1;
    }
    assert!(count > 0, "{folder} corpus is empty");
}

#[test]
fn camt_corpus_never_panics() {
    replay("camt", settle_formats::camt::parse);
}

#[test]
fn nacha_corpus_never_panics() {
    replay("nacha", settle_formats::nacha::parse);
}

#[test]
fn x12_corpus_never_panics() {
    replay("x12", settle_formats::x12::parse);
}
