#![no_main]

use libfuzzer_sys::fuzz_target;
use settle_formats::{ParseOptions, mt940};

fuzz_target!(|data: &[u8]| {
    let _ = mt940::read_fields(data);
    let lenient = mt940::parse_with(data, &ParseOptions::lenient());
    if let Ok(file) = mt940::parse(data) {
        let lenient = lenient.expect("lenient read refuses what the strict read accepts");
        assert!(lenient.warnings.is_empty());
        assert_eq!(lenient.file, file);
    }
});
