//! Times and summarises our BAI2 and MT940 parsers on files, for `scripts/bench-formats.sh`.
//!
//! ```text
//! bench_formats generate <dir>                 writes the throughput tests' files to <dir>
//! bench_formats time <bai2|mt940> <file> <runs> parses <runs> times, prints each and the median
//! bench_formats totals <bai2|mt940> <file>      prints lines, credit lines and credit sum
//! ```
//!
//! `time` prints one `run <seconds>` line per run and a last line `median <seconds> <MB/s>`
//! (MB = 10^6 bytes). `totals` prints `lines <n> credits <n> credit_sum <minor units>`, or
//! `error <message>` when the file is refused. Both read leniently (control totals that do not
//! agree are warnings), as a peer parser that checks less would.

#[path = "../tests/generated/mod.rs"]
mod generated;

use std::process::ExitCode;
use std::time::Instant;

use settle_formats::{BankFile, Direction, FormatError, ParseOptions, bai2, mt940};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", dir] => generate(dir),
        ["time", format, file, runs] => time(format, file, runs),
        ["totals", format, file] => totals(format, file),
        _ => Err(
            "usage: bench_formats generate <dir> | time <bai2|mt940> <file> <runs> | \
                  totals <bai2|mt940> <file>"
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(dir: &str) -> Result<(), String> {
    let write = |name: &str, bytes: Vec<u8>| {
        let path = std::path::Path::new(dir).join(name);
        std::fs::write(&path, bytes).map_err(|error| format!("{}: {error}", path.display()))
    };
    write("generated.bai2", generated::generate_bai2())?;
    write("generated.sta", generated::generate_mt940())
}

/// A parser of one format, reading leniently.
type Parser = fn(&[u8]) -> Result<BankFile, FormatError>;

fn parser(format: &str) -> Result<Parser, String> {
    fn lenient_bai2(bytes: &[u8]) -> Result<BankFile, FormatError> {
        bai2::parse_with(bytes, &ParseOptions::lenient()).map(|parsed| parsed.file)
    }
    fn lenient_mt940(bytes: &[u8]) -> Result<BankFile, FormatError> {
        mt940::parse_with(bytes, &ParseOptions::lenient()).map(|parsed| parsed.file)
    }
    match format {
        "bai2" => Ok(lenient_bai2),
        "mt940" => Ok(lenient_mt940),
        other => Err(format!("unknown format {other:?} (bai2 or mt940)")),
    }
}

fn read(file: &str) -> Result<Vec<u8>, String> {
    std::fs::read(file).map_err(|error| format!("{file}: {error}"))
}

fn time(format: &str, file: &str, runs: &str) -> Result<(), String> {
    let parse = parser(format)?;
    let runs: usize = runs
        .parse()
        .map_err(|_| format!("{runs:?} is not a number of runs"))?;
    let bytes = read(file)?;
    let mut seconds = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        // Dropping the model is part of the cost of reading a file, as it is in the service.
        let file = parse(&bytes).map_err(|error| error.to_string())?;
        drop(file);
        let elapsed = start.elapsed().as_secs_f64();
        println!("run {elapsed:.4}");
        seconds.push(elapsed);
    }
    seconds.sort_by(f64::total_cmp);
    let median = seconds.get(seconds.len() / 2).copied().unwrap_or_default();
    println!(
        "median {median:.4} {:.1}",
        bytes.len() as f64 / 1e6 / median
    );
    Ok(())
}

fn totals(format: &str, file: &str) -> Result<(), String> {
    let parse = parser(format)?;
    let bytes = read(file)?;
    match parse(&bytes) {
        Ok(file) => {
            let lines = file.statements.iter().flat_map(|s| &s.lines);
            let credits: Vec<i64> = lines
                .clone()
                .filter(|line| line.direction == Direction::Credit)
                .map(|line| line.amount.minor())
                .collect();
            println!(
                "lines {} credits {} credit_sum {}",
                lines.count(),
                credits.len(),
                credits.iter().sum::<i64>()
            );
        }
        Err(error) => println!("error {error}"),
    }
    Ok(())
}
