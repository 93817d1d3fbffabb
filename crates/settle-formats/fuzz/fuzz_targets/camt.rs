//! Feeds arbitrary bytes to the camt reader: it must return, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = settle_formats::camt::parse(data);
});
