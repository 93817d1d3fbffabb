#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| settle_service::import::fuzzing::backup(data));
