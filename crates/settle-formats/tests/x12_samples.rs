//! The X12 sample is the 820 carried by a CTX file's addenda, written with a two-byte (UTF-8)
//! element separator, which shifts the fixed-width ISA header: refused at the ISA.

mod common;

use settle_formats::{Location, x12};

#[test]
fn every_x12_sample_is_refused_at_its_isa() {
    for name in common::sample_names("x12_820") {
        let error = x12::parse(&common::sample(&format!("x12_820/{name}"))).unwrap_err();
        assert_eq!(error.location, Location::Line(1), "{name}");
        assert_eq!(error.field, "ISA", "{name}");
    }
}
