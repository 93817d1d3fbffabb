#![no_main]

use libfuzzer_sys::fuzz_target;
use settle_formats::{ParseOptions, detect, parse_with};

fuzz_target!(|data: &[u8]| {
    let _ = detect(data);
    let _ = parse_with(data, &ParseOptions::lenient());
});
