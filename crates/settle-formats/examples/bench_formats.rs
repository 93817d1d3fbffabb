//! Times and summarises our BAI2, MT940 and camt parsers on files, for
//! `scripts/bench-formats.sh`.
//!
//! ```text
//! bench_formats generate <dir>                  writes the throughput tests' files to <dir>
//! bench_formats generate-simple <dir>           writes simpler files of about the same size,
//!                                               for a peer that refuses or crawls on the full ones
//! bench_formats time <format> <file> <runs>     parses once untimed, then <runs> times, and
//!                                               prints each and the median
//! bench_formats totals <format> <file>          prints lines, credit lines and credit sum
//! bench_formats lines camt <file>               prints each line's references, for comparing
//! ```
//!
//! `<format>` is `bai2`, `mt940` or `camt` (camt.052, camt.053 and camt.054 alike).
//!
//! `time` prints one `run <seconds>` line per run and a last line `median <seconds> <MB/s>`
//! (MB = 10^6 bytes). `totals` prints `lines <n> credits <n> credit_sum_minor <minor units>
//! credit_sum <decimal>` (camt adds `entries <n>`, the `Ntry` elements the lines came from), or
//! `error <message>` when the file is refused. Both read leniently (control totals that do not
//! agree are warnings), as a peer parser that checks less would.
//!
//! `lines` prints one tab-separated row per line, in file order: the entry it came from
//! (`Stmt[1]/Ntry[3]`), `C` or `D`, the amount, the bank reference (`AcctSvcrRef`), the
//! end-to-end id, and the remittance as the line keeps it (its texts, then the numbers of its
//! structured references), with tabs and line breaks in values turned into spaces.

#[path = "../tests/generated/mod.rs"]
mod generated;

// The allocator the `settle` binary parses with (see tests/throughput.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;
use std::time::Instant;

use settle_core::Money;
use settle_formats::{BankFile, Direction, FormatError, Location, ParseOptions, bai2, camt, mt940};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", dir] => generate(dir),
        ["generate-simple", dir] => generate_simple(dir),
        ["time", format, file, runs] => time(format, file, runs),
        ["totals", format, file] => totals(format, file),
        ["lines", "camt", file] => camt_lines(file),
        _ => Err(
            "usage: bench_formats generate <dir> | generate-simple <dir> | \
             time <bai2|mt940|camt> <file> <runs> | totals <bai2|mt940|camt> <file> | \
             lines camt <file>"
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

fn write(dir: &str, name: &str, bytes: &[u8]) -> Result<(), String> {
    let path = std::path::Path::new(dir).join(name);
    std::fs::write(&path, bytes).map_err(|error| format!("{}: {error}", path.display()))
}

fn generate(dir: &str) -> Result<(), String> {
    write(dir, "generated.bai2", &generated::generate_bai2())?;
    write(dir, "generated.sta", &generated::generate_mt940())?;
    write(
        dir,
        "generated.camt053.xml",
        generated::generate_camt053(generated::CAMT053_ENTRIES).as_bytes(),
    )
}

/// BAI2 without continuations or value-dated funds, and MT940 without the SWIFT envelope and
/// with one-line free-text `:86:`: the constructs a simple parser is most likely to lack; and
/// the generated camt.053's entries in statements of 100 instead of one.
fn generate_simple(dir: &str) -> Result<(), String> {
    use std::fmt::Write as _;
    let target = generated::TARGET_BYTES;

    let mut bai2 = String::with_capacity(target + 4096);
    bai2.push_str("01,BANK,SETTLE,240115,0800,7,,,2/\n02,SETTLE,BANK,1,240115,2400,USD,2/\n");
    let (mut group_total, mut group_records, mut accounts) = (0i64, 1u64, 0u64);
    while bai2.len() < target {
        accounts += 1;
        let mut total = 0i64;
        let _ = writeln!(bai2, "03,{accounts:010},USD,010,0,,/");
        for item in 0..500i64 {
            let amount = 1_000 + item * 7919 % 100_000;
            total += amount;
            let code = if item % 3 == 2 { 475 } else { 165 };
            let _ = writeln!(
                bai2,
                "16,{code},{amount},Z,B{accounts}{item:05},INV-{item:06},ACME CORPORATION PAYMENT INV-{item:06}/"
            );
        }
        let _ = writeln!(bai2, "49,{total},502/");
        group_total += total;
        group_records += 502;
    }
    let _ = writeln!(bai2, "98,{group_total},{accounts},{}/", group_records + 1);
    let _ = writeln!(bai2, "99,{group_total},1,{}/", group_records + 3);
    write(dir, "simple.bai2", bai2.as_bytes())?;

    let mut mt940 = String::with_capacity(target + 4096);
    let mut message = 0u64;
    while mt940.len() < target {
        message += 1;
        let mut balance = 1_000_000i64;
        let _ = write!(
            mt940,
            ":20:STMT{message}\r\n:25:DE02120300000000202051\r\n:28C:{message}/1\r\n:60F:C240115EUR10000,00\r\n"
        );
        for item in 0..200i64 {
            let amount = 100 + item * 37 % 50_000;
            let credit = item % 4 != 3;
            balance += if credit { amount } else { -amount };
            let mark = if credit { "C" } else { "D" };
            let _ = write!(
                mt940,
                ":61:240115{mark}{},{:02}NTRFREF{item}//B{message}X{item}\r\n:86:ACME GMBH RE 2024-{item:05}\r\n",
                amount / 100,
                amount % 100
            );
        }
        let sign = if balance < 0 { "D" } else { "C" };
        let _ = write!(
            mt940,
            ":62F:{sign}240115EUR{},{:02}\r\n-\r\n",
            balance.abs() / 100,
            balance.abs() % 100
        );
    }
    write(dir, "simple.sta", mt940.as_bytes())?;

    // camt: the same entries in statements of 100. pycamt searches the whole statement for its
    // account once per entry, which makes it quadratic in one statement's entries.
    write(
        dir,
        "simple.camt053.xml",
        generated::generate_camt053_statements(generated::CAMT053_ENTRIES, 100).as_bytes(),
    )
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
        // The camt reader is lenient already: disagreeing balances and sums are warnings.
        "camt" => Ok(camt::parse),
        other => Err(format!("unknown format {other:?} (bai2, mt940 or camt)")),
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
    // One untimed run first: a fresh process's first parses also time the allocator growing
    // its heap (page faults), which a long-running service has done long before.
    drop(parse(&bytes).map_err(|error| error.to_string())?);
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
            let credits: Vec<Money> = lines
                .clone()
                .filter(|line| line.direction == Direction::Credit)
                .map(|line| line.amount)
                .collect();
            let minor: i64 = credits.iter().map(Money::minor).sum();
            // In units with four decimals, so that currencies with different exponents add up
            // and compare with a peer that reads decimal amounts.
            let scaled: i128 = credits
                .iter()
                .map(|money| {
                    let exponent = u32::from(money.currency().exponent()).min(4);
                    i128::from(money.minor()) * 10i128.pow(4 - exponent)
                })
                .sum();
            let mut summary = format!(
                "lines {} credits {} credit_sum_minor {minor} credit_sum {}.{:04}",
                lines.clone().count(),
                credits.len(),
                scaled / 10_000,
                scaled % 10_000
            );
            if format == "camt" {
                let mut entries: Vec<&str> = lines.map(|line| entry_of(&line.location)).collect();
                entries.dedup();
                summary.push_str(&format!(" entries {}", entries.len()));
            }
            println!("{summary}");
        }
        Err(error) => println!("error {error}"),
    }
    Ok(())
}

/// The `Stmt[n]/Ntry[n]` (or `Rpt`, `Ntfctn`) part of a camt line's location: the entry it was
/// read from. Lines of one entry follow each other, so counting changes counts entries.
fn entry_of(location: &Location) -> &str {
    let Location::Xml { path, .. } = location else {
        return "";
    };
    let Some(start) = ["/Stmt[", "/Rpt[", "/Ntfctn["]
        .iter()
        .find_map(|name| path.find(name))
    else {
        return path;
    };
    let entry = &path[start + 1..];
    match entry
        .find("/Ntry[")
        .and_then(|at| entry[at + 1..].find(']').map(|close| at + 1 + close + 1))
    {
        Some(end) => &entry[..end],
        None => entry,
    }
}

fn camt_lines(file: &str) -> Result<(), String> {
    use std::fmt::Write as _;
    let bytes = read(file)?;
    let parsed = match camt::parse(&bytes) {
        Ok(parsed) => parsed,
        Err(error) => {
            println!("error {error}");
            return Ok(());
        }
    };
    let clean = |value: &str| value.replace(['\t', '\n', '\r'], " ");
    let mut out = String::new();
    for line in parsed.statements.iter().flat_map(|s| &s.lines) {
        let mut remittance: Vec<&str> = line.remittance.iter().map(String::as_str).collect();
        remittance.extend(line.references.iter().map(|r| r.reference.as_str()));
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            entry_of(&line.location),
            if line.direction == Direction::Credit {
                "C"
            } else {
                "D"
            },
            line.amount.to_decimal_string(),
            clean(line.bank_reference.as_deref().unwrap_or_default()),
            clean(line.end_to_end_id.as_deref().unwrap_or_default()),
            clean(&remittance.join(" ")),
        );
    }
    print!("{out}");
    Ok(())
}
