//! Replays every fuzz seed and every crash the fuzzer once found through the parsers, on
//! stable: each input must be read or refused, never panic.

use std::path::PathBuf;

use settle_formats::{ColumnMap, ParseOptions, bai2, detect, mt940, parse_csv, parse_with};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fuzz/corpus", target]
        .iter()
        .collect();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("corpus file");
            (path.display().to_string(), bytes)
        })
        .collect()
}

#[test]
fn bai2_corpus() {
    for (name, bytes) in corpus("bai2") {
        let lenient = bai2::parse_with(&bytes, &ParseOptions::lenient());
        if let Ok(file) = bai2::parse(&bytes) {
            assert_eq!(lenient.map(|p| p.file), Ok(file), "{name}");
        }
    }
}

#[test]
fn mt940_corpus() {
    for (name, bytes) in corpus("mt940") {
        let _ = mt940::read_fields(&bytes);
        let lenient = mt940::parse_with(&bytes, &ParseOptions::lenient());
        if let Ok(file) = mt940::parse(&bytes) {
            assert_eq!(lenient.map(|p| p.file), Ok(file), "{name}");
        }
    }
}

/// The same split as the fuzz target: a column map, NUL, the CSV; or only CSV with a fixed map.
#[test]
fn csv_corpus() {
    const FIXED_MAP: &str = "delimiter = ;\ndate = #1\ndate_format = %d.%m.%Y\namount = #2\n\
                             decimal = comma\nthousands = .\ncurrency = EUR\nheader = no\n\
                             remittance = #3, #4\n";
    let fixed = ColumnMap::parse(FIXED_MAP).expect("the fixed map reads");
    for (_name, bytes) in corpus("csv") {
        let (map, csv) = match bytes.iter().position(|&b| b == 0) {
            Some(split) => (
                std::str::from_utf8(&bytes[..split])
                    .ok()
                    .and_then(|text| ColumnMap::parse(text).ok()),
                &bytes[split + 1..],
            ),
            None => (None, &bytes[..]),
        };
        let _ = parse_csv(csv, map.as_ref().unwrap_or(&fixed));
    }
}

#[test]
fn detect_corpus() {
    for (_name, bytes) in corpus("detect") {
        let _ = detect(&bytes);
        let _ = parse_with(&bytes, &ParseOptions::lenient());
    }
}
