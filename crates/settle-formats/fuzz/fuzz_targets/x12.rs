//! Feeds arbitrary bytes to the x12 reader: it must return, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = settle_formats::x12::parse(data);
});
