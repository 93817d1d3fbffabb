#![no_main]

//! The input is a column map and a CSV file separated by a NUL byte; without one, the whole
//! input is read as CSV with a fixed map.

use libfuzzer_sys::fuzz_target;
use settle_formats::{ColumnMap, parse_csv};

const FIXED_MAP: &str = "delimiter = ;\ndate = #1\ndate_format = %d.%m.%Y\namount = #2\n\
                         decimal = comma\nthousands = .\ncurrency = EUR\nheader = no\n\
                         remittance = #3, #4\n";

fuzz_target!(|data: &[u8]| {
    let (map, csv) = match data.iter().position(|&b| b == 0) {
        Some(split) => (
            std::str::from_utf8(&data[..split]).ok().and_then(|text| ColumnMap::parse(text).ok()),
            &data[split + 1..],
        ),
        None => (None, data),
    };
    let map = map.unwrap_or_else(|| ColumnMap::parse(FIXED_MAP).expect("the fixed map reads"));
    let _ = parse_csv(csv, &map);
});
