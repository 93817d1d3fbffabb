//! Every NACHA sample parses with the totals read off its raw records; the malformed ones are
//! refused at the record that is wrong.
//!
//! Expected figures come from the fixed columns of the raw `6` records (amount 30-39, or 28-39
//! in ADV batches; trace 80-94), summed by a separate script, not from this parser.

mod common;

use settle_formats::statement::EntryStatus;
use settle_formats::{Direction, EntryKind, Location, ReferenceKind, nacha};

/// (file, batches, entries, credit cents, debit cents, first trace number).
const SAMPLES: &[(&str, usize, usize, i64, i64, &str)] = &[
    (
        "moov-ach__20110805A.ach",
        4,
        48,
        200,
        5101000,
        "042000010000001",
    ),
    (
        "moov-ach__20180713-IAT.ach",
        2,
        2,
        100000,
        2000,
        "231380100000001",
    ),
    (
        "moov-ach__FISERV-ZEROFILE-PIMRET825324_032720_110221.ach",
        0,
        0,
        0,
        0,
        "",
    ),
    ("moov-ach__adv.ach", 1, 2, 50000, 250000, "011000010500001"),
    (
        "moov-ach__examples_atx-read.ach",
        1,
        2,
        0,
        0,
        "231380100000001",
    ),
    (
        "moov-ach__examples_cie-credit.ach",
        1,
        1,
        100000000,
        0,
        "121042880000001",
    ),
    (
        "moov-ach__examples_contested-return.ach",
        1,
        1,
        100000000,
        0,
        "121042880000001",
    ),
    (
        "moov-ach__examples_dishonored-return.ach",
        1,
        2,
        0,
        48000,
        "231380100000001",
    ),
    (
        "moov-ach__examples_dne-read.ach",
        1,
        1,
        0,
        0,
        "231380100000001",
    ),
    (
        "moov-ach__examples_enr-read.ach",
        1,
        1,
        0,
        0,
        "231380100000001",
    ),
    (
        "moov-ach__examples_pop-debit.ach",
        1,
        1,
        0,
        250500,
        "121042880000001",
    ),
    (
        "moov-ach__examples_ppd-credit.ach",
        1,
        1,
        100000000,
        0,
        "121042880000002",
    ),
    (
        "moov-ach__examples_ppd-debit.ach",
        1,
        1,
        0,
        200000000,
        "121042880000001",
    ),
    (
        "moov-ach__examples_segmentFile-ppd-credit.ach",
        1,
        2,
        200000000,
        0,
        "121042880000001",
    ),
    (
        "moov-ach__examples_shr-debit.ach",
        1,
        1,
        0,
        100000000,
        "121042880000001",
    ),
    (
        "moov-ach__examples_trx-debit.ach",
        1,
        1,
        0,
        250000,
        "121042880000001",
    ),
    (
        "moov-ach__iat-debit.ach",
        1,
        1,
        0,
        100000,
        "231380100000001",
    ),
    (
        "moov-ach__issues_issue1620.ach",
        1,
        1,
        1,
        0,
        "062000010000001",
    ),
    (
        "moov-ach__issues_issue1620_return.ach",
        1,
        1,
        1,
        0,
        "062000010000001",
    ),
    (
        "moov-ach__issues_issue702.ach",
        3,
        3,
        102,
        10102,
        "031101278009179",
    ),
    (
        "moov-ach__ppd-debit-fixedLength.ach",
        1,
        1,
        0,
        10500,
        "076401255655291",
    ),
    ("moov-ach__rck.ach", 1, 1, 0, 11500, "076401251660936"),
    (
        "moov-ach__skip-validation.ach",
        3,
        6,
        26820,
        15000,
        "000000000000000",
    ),
    (
        "moov-ach__txp-credit.ach",
        1,
        1,
        12345,
        0,
        "123456780000001",
    ),
    ("moov-ach__txp-debit.ach", 1, 1, 0, 12345, "123456780000001"),
    (
        "nacha-rs__large.ach",
        4,
        48,
        200,
        5101000,
        "042000010000001",
    ),
    (
        "nacha-rs__large_no_addenda.ach",
        4,
        48,
        200,
        5101000,
        "042000010000001",
    ),
];

/// (file, line of the refusal or 0 for the whole file, field).
const REFUSED: &[(&str, usize, &str)] = &[
    ("moov-ach__20110729A-invalid.ach", 1, "record size"),
    ("moov-ach__adv-noFileControl.ach", 0, "9"),
    ("moov-ach__crashers_0.ach", 1, "5"),
    ("moov-ach__crashers_1.ach", 1, "5"),
    ("moov-ach__crashers_3.ach", 1, "5"),
    ("moov-ach__crashers_4.ach", 1, "record"),
    ("moov-ach__crashers_5.ach", 1, "record"),
    ("moov-ach__iat-addenda98.ach", 11, "change code"),
    ("moov-ach__iat-invalidBatchControl.ach", 11, "batch number"),
    (
        "moov-ach__iat-invalidEntryDetail.ach",
        3,
        "transaction code",
    ),
    ("moov-ach__issues_issue1378_no_control.ach", 0, "9"),
    ("moov-ach__issues_issue1600_1e5RecordBefore1or8.ach", 1, "5"),
    (
        "moov-ach__issues_issue1600_2lCompanyNameAllZeros.ach",
        2,
        "company name",
    ),
    (
        "moov-ach__issues_issue1600_2mCompanyEntryDescAllZeros.ach",
        2,
        "company entry description",
    ),
    ("moov-ach__long-line.ach", 3, "record"),
    ("moov-ach__nonascii-utf8.ach", 3, "record"),
    (
        "moov-ach__ppd-debit-invalid-entryDetail-checkDigit.ach",
        3,
        "RDFI routing number",
    ),
    ("moov-ach__return-no-batch-header.ach", 1, "6"),
    ("moov-ach__web-invalidNOCFile.ach", 4, "change code"),
];

/// Marked bad in SOURCES.md, but what is wrong with them (IAT addenda counts) changes no
/// amount: they are read with a warning, and the strict mode refuses them at that record.
const REFUSED_WHEN_STRICT: &[(&str, usize, &str)] = &[
    ("moov-ach__20180716-IAT-A17-A18.ach", 3, "number of addenda"),
    ("moov-ach__iat-invalidAddenda17.ach", 3, "number of addenda"),
];

fn at(line: usize) -> Location {
    if line == 0 {
        Location::File
    } else {
        Location::Line(line)
    }
}

#[test]
fn every_well_formed_sample_parses_with_its_totals() {
    for (file, batches, entries, credits, debits, first_trace) in SAMPLES {
        let parsed = nacha::parse(&common::sample(&format!("nacha/{file}")))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(parsed.statements.len(), *batches, "{file}: batches");
        let all = || parsed.statements.iter().flat_map(|s| s.lines.iter());
        assert_eq!(all().count(), *entries, "{file}: entries");
        let sum = |direction| -> i64 {
            all()
                .filter(|line| line.direction == direction)
                .map(|line| line.amount.minor())
                .sum()
        };
        assert_eq!(sum(Direction::Credit), *credits, "{file}: credits");
        assert_eq!(sum(Direction::Debit), *debits, "{file}: debits");
        let first = all().next().and_then(|line| line.bank_reference.clone());
        assert_eq!(
            first.unwrap_or_default(),
            *first_trace,
            "{file}: first trace"
        );
        for statement in &parsed.statements {
            let stated =
                statement.total_credits.unwrap().minor() - statement.total_debits.unwrap().minor();
            let net: i64 = statement.lines.iter().map(|line| line.signed_minor()).sum();
            assert_eq!(net, stated, "{file}: batch control totals");
        }
    }
}

#[test]
fn every_malformed_sample_is_refused_where_it_is_wrong() {
    for (file, line, field) in REFUSED {
        let error = nacha::parse(&common::sample(&format!("nacha/{file}")))
            .err()
            .unwrap_or_else(|| panic!("{file} was accepted"));
        assert_eq!(
            (&error.location, error.field.as_str()),
            (&at(*line), *field),
            "{file}: {error}"
        );
    }
    for (file, line, field) in REFUSED_WHEN_STRICT {
        let parsed = nacha::parse(&common::sample(&format!("nacha/{file}"))).unwrap();
        let error = parsed.strict().unwrap_err();
        assert_eq!(
            (&error.location, error.field.as_str()),
            (&at(*line), *field),
            "{file}: {error}"
        );
    }
}

#[test]
fn every_nacha_sample_is_covered() {
    let covered: Vec<&str> = SAMPLES
        .iter()
        .map(|s| s.0)
        .chain(REFUSED.iter().map(|s| s.0))
        .chain(REFUSED_WHEN_STRICT.iter().map(|s| s.0))
        .collect();
    for name in common::sample_names("nacha") {
        assert!(
            covered.contains(&name.as_str()),
            "{name} has no expectations"
        );
    }
}

#[test]
fn returns_keep_reason_and_original_trace() {
    let file = nacha::parse(&common::sample("nacha/moov-ach__issues_issue702.ach")).unwrap();
    let returned = &file.statements[0].lines[0];
    assert_eq!(returned.kind, EntryKind::Return);
    assert_eq!(returned.return_reason(), Some("R04"));
    assert_eq!(returned.original_reference(), Some("101206100000001"));
    assert_eq!(returned.direction, Direction::Credit);
    let debit_return = &file.statements[1].lines[0];
    assert_eq!(
        (debit_return.direction, debit_return.kind),
        (Direction::Debit, EntryKind::Return)
    );
    assert_eq!(debit_return.return_reason(), Some("R03"));
}

#[test]
fn ccd_plus_addenda_is_read_as_remittance() {
    let file = nacha::parse(&common::sample("nacha/moov-ach__examples_cie-credit.ach")).unwrap();
    let line = &file.statements[0].lines[0];
    assert_eq!(line.remittance, ["Credit Store Account"]);
    assert_eq!(line.payer.name.as_deref(), Some("Name on Account"));
    assert_eq!(line.type_code.as_deref(), Some("22 CIE"));
    let noc = nacha::parse(&common::sample("nacha/moov-ach__examples_dne-read.ach")).unwrap();
    assert_eq!(noc.statements[0].lines[0].status, EntryStatus::Information);
}

/// A CTX entry whose 820 is split over two addenda, given out of order.
#[test]
fn ctx_addenda_are_reassembled_in_sequence_and_read_as_x12() {
    let pad = |record: String| format!("{record:<94}");
    let addenda = |text: &str, sequence: u32| pad(format!("705{text:<80}{sequence:04}0000001"));
    // The 820 fills each addendum's 80 characters and goes on in the next (NACHA CTX rule).
    let x12 = "BPR*C*1500.00*C*ACH*CTX~TRN*1*091000010000001~N1*PR*GLOBEX CORP~ENT*1~RMR*IV*INV-1001*PI*1000.00*1000.00~RMR*IV*INV-1002*PI*500.00~";
    let pieces: Vec<&str> = [&x12[..80], &x12[80..]].into();
    let header = "101 231380104 1210428821908161055A094101BANK                   ACME";
    let batch = format!(
        "5220{:<16}{:<20}{:<10}CTX{:<10}190816190816{:<3}112104288{}",
        "GLOBEX CORP", "", "1234567890", "PAYMENT", "", "0000001"
    );
    let entry = format!(
        "622231380104{:<17}{:010}{:<15}{:04}{:<16}{:<4}1121042880000001",
        "12345678", 150_000, "INV-1001", 2, "ACME SUPPLY", ""
    );
    let control = format!(
        "8220{:06}{:010}{:012}{:012}{:<10}{:<25}121042880000001",
        3, 23_138_010, 0, 150_000, "1234567890", ""
    );
    let file_control = format!(
        "9{:06}{:06}{:08}{:010}{:012}{:012}",
        1, 1, 3, 23_138_010, 0, 150_000
    );
    let records = [
        pad(header.into()),
        pad(batch),
        pad(entry),
        addenda(pieces[1], 2),
        addenda(pieces[0], 1),
        pad(control),
        pad(file_control),
    ];
    let file = nacha::parse(records.join("\n").as_bytes()).unwrap();
    let line = &file.statements[0].lines[0];
    assert_eq!(line.amount.minor(), 150_000);
    assert_eq!(line.payer.name.as_deref(), Some("GLOBEX CORP"));
    assert_eq!(line.bank_reference.as_deref(), Some("121042880000001"));
    let numbers: Vec<&str> = line
        .references
        .iter()
        .map(|r| r.reference.as_str())
        .collect();
    assert_eq!(numbers, ["INV-1001", "INV-1002"]);
    assert_eq!(line.references[0].kind, ReferenceKind::Invoice);
    assert_eq!(line.references[1].paid.unwrap().minor(), 50_000);
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
}
