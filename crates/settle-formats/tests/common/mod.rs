//! Shared helpers of the sample tests: where the samples are, and reading them.

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared sample folder: the repository is cloned with `shared` beside it.
pub fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples")
}

pub fn sample(relative: &str) -> Vec<u8> {
    let path = samples_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every file of one sample folder, by name.
pub fn sample_names(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir().join(folder))
        .unwrap_or_else(|error| panic!("{folder}: {error}"))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
