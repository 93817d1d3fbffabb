//! Parse throughput on generated ~50 MB files. Ignored by default; run in release:
//! `cargo test -p settle-formats --release --test throughput -- --ignored --nocapture`.

mod generated;

// The allocator the `settle` binary parses with: the parsers allocate a few strings per line,
// and what that costs depends on the allocator as much as on the parser.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use generated::{generate_bai2, generate_mt940};
use settle_formats::{bai2, mt940};

fn measure(name: &str, bytes: &[u8], parse: impl Fn(&[u8]) -> usize) {
    let mut best = Duration::MAX;
    let mut lines = 0;
    for _ in 0..3 {
        let start = Instant::now();
        lines = parse(bytes);
        best = best.min(start.elapsed());
    }
    let megabytes = bytes.len() as f64 / (1 << 20) as f64;
    println!(
        "{name}: {megabytes:.1} MiB, {lines} lines, best of 3 {:.0} ms = {:.0} MiB/s",
        best.as_secs_f64() * 1000.0,
        megabytes / best.as_secs_f64()
    );
}

#[test]
#[ignore = "throughput: run in release with --ignored"]
fn bai2_throughput() {
    let bytes = generate_bai2();
    measure("BAI2", &bytes, |bytes| {
        let file = bai2::parse(bytes).expect("the generated file reads strictly");
        file.statements.iter().map(|s| s.lines.len()).sum()
    });
}

#[test]
#[ignore = "throughput: run in release with --ignored"]
fn mt940_throughput() {
    let bytes = generate_mt940();
    measure("MT940", &bytes, |bytes| {
        let file = mt940::parse(bytes).expect("the generated file reads strictly");
        file.statements.iter().map(|s| s.lines.len()).sum()
    });
}
