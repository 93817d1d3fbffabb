#![no_main]

use libfuzzer_sys::fuzz_target;
use settle_formats::{ParseOptions, bai2};

fuzz_target!(|data: &[u8]| {
    let lenient = bai2::parse_with(data, &ParseOptions::lenient());
    // A file the strict read accepts, the lenient read accepts too, without warnings.
    if let Ok(file) = bai2::parse(data) {
        let lenient = lenient.expect("lenient read refuses what the strict read accepts");
        assert!(lenient.warnings.is_empty());
        assert_eq!(lenient.file, file);
    }
});
