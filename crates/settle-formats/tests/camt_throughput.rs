//! camt.053 read speed on a generated ~50 MB statement. Run in release:
//! `cargo test --release -p settle-formats --test camt_throughput -- --ignored --nocapture`.

mod generated;

// The allocator the `settle` binary parses with (see tests/throughput.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use generated::{CAMT053_ENTRIES, generate_camt053};

#[test]
#[ignore = "a benchmark: run it in release with --ignored"]
fn camt053_reads_at_least_50_mb_per_second() {
    let xml = generate_camt053(CAMT053_ENTRIES);
    let megabytes = xml.len() as f64 / 1_000_000.0;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let file = settle_formats::camt::parse(xml.as_bytes()).unwrap();
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(file.statements[0].lines.len(), CAMT053_ENTRIES);
        assert!(file.warnings.is_empty(), "{:?}", &file.warnings[..1]);
    }
    let rate = megabytes / best;
    println!(
        "camt.053: {megabytes:.1} MB in {:.3} s = {rate:.0} MB/s",
        best
    );
    assert!(rate >= 50.0, "{rate:.0} MB/s");
}
