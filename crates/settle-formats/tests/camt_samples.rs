//! Every camt sample parses with the totals read off the raw files; the malformed ones are
//! refused at the element that is wrong.
//!
//! The expected figures were taken from the XML text by hand and by a separate script over the
//! raw elements (one line per `TxDtls` of a batch, else one per `Ntry`), not from this parser.

mod common;

use settle_formats::statement::EntryStatus;
use settle_formats::{Direction, EntryKind, Format, Location, ReferenceKind, camt};

/// (file, statements, lines, credit minor units, debit minor units), summed over statements.
const SAMPLES: &[(&str, usize, usize, i64, i64)] = &[
    (
        "camt052/genkgo-camt__camt052.v2.other-account.xml",
        1,
        1,
        0,
        20000000,
    ),
    (
        "camt052/genkgo-camt__camt052.v2.with-account-name.xml",
        1,
        1,
        0,
        20000000,
    ),
    ("camt052/genkgo-camt__camt052.v4.xml", 1, 1, 0, 20000000),
    ("camt052/genkgo-camt__camt052.v6.xml", 1, 1, 0, 20000000),
    (
        "camt052/sr-camt053__business_sample_camt.052.001.04.xml",
        1,
        2,
        3000000,
        20000000,
    ),
    (
        "camt052/subite-camt2coda__LT809872649478701594_CAMT_052_2024-05-30.xml",
        1,
        0,
        0,
        0,
    ),
    (
        "camt052/subite-camt2coda__LT809872649478701594_CAMT_052_2024-07-09.xml",
        1,
        0,
        0,
        0,
    ),
    (
        "camt052/subite-camt2coda__LT809872649478701594_CAMT_052_2024-08-18.xml",
        1,
        0,
        0,
        0,
    ),
    (
        "camt053/camt053-rs__example-camt053-b.xml",
        1,
        19,
        14553,
        7006,
    ),
    ("camt053/camt053-rs__test-camt053.xml", 1, 2, 5000, 10000),
    (
        "camt053/genkgo-camt__camt053.v2.minimal.ultimate.xml",
        1,
        1,
        885,
        0,
    ),
    (
        "camt053/genkgo-camt__camt053.v2.multi.statement.xml",
        2,
        2,
        885,
        700,
    ),
    (
        "camt053/genkgo-camt__camt053.v2.with-party-ids.xml",
        1,
        1,
        885,
        0,
    ),
    ("camt053/genkgo-camt__camt053.v3.xml", 1, 1, 885, 0),
    ("camt053/genkgo-camt__camt053.v8.xml", 1, 1, 885, 0),
    (
        "camt053/sr-bankstatementparser__golden_camt053_no_namespace.xml",
        1,
        1,
        25000,
        0,
    ),
    ("camt053/sr-camt053__statement_ac04.xml", 1, 3, 248050, 4200),
    (
        "camt053/subite-camt2coda__LT625883379695428516_CAMT_053_2024-07-02.xml",
        2,
        14,
        60861110,
        255412022,
    ),
    (
        "camt053/subite-camt2coda__LT625883379695428516_CAMT_053_2024-07-30.xml",
        2,
        9,
        77359906,
        38291182,
    ),
    (
        "camt053/subite-camt2coda__LT625883379695428516_CAMT_053_2024-08-27.xml",
        2,
        6,
        87703698,
        78857180,
    ),
    (
        "camt053/subite-camt2coda__LT625883379695428516_CAMT_053_2024-09-24.xml",
        1,
        6,
        160959834,
        61413596,
    ),
    (
        "camt054/genkgo-camt__camt054.v2.with-account-name.xml",
        1,
        1,
        0,
        20000000,
    ),
    (
        "camt054/genkgo-camt__camt054.v8-with-UETR.xml",
        1,
        1,
        0,
        20000000,
    ),
    (
        "camt054/subite-camt2coda__LT809872649478701594_CAMT_054_2024-03-27.xml",
        1,
        91,
        2550918,
        2129601,
    ),
    (
        "camt054/subite-camt2coda__LT809872649478701594_CAMT_054_2024-04-16.xml",
        1,
        141,
        3286380,
        3019116,
    ),
    (
        "camt054/subite-camt2coda__LT809872649478701594_CAMT_054_2024-07-25.xml",
        1,
        172,
        4909047,
        2285691,
    ),
    (
        "camt054/subite-camt2coda__LT809872649478701594_CAMT_054_2024-09-03.xml",
        1,
        355,
        6291483,
        11284406,
    ),
    (
        "camt054/subite-camt2coda__LT809872649478701594_CAMT_054_2024-09-23.xml",
        1,
        178,
        3239428,
        2657946,
    ),
    (
        "camt054/subite-camt2coda__LT809872649478701594_CAMT_054_2024-10-13.xml",
        1,
        244,
        3070020,
        2498040,
    ),
];

#[test]
fn every_well_formed_sample_parses_with_its_totals() {
    for (file, statements, lines, credits, debits) in SAMPLES {
        let parsed = camt::parse(&common::sample(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(parsed.statements.len(), *statements, "{file}: statements");
        let all = || parsed.statements.iter().flat_map(|s| s.lines.iter());
        assert_eq!(all().count(), *lines, "{file}: lines");
        let sum = |direction| -> i64 {
            all()
                .filter(|line| line.direction == direction)
                .map(|line| line.amount.minor())
                .sum()
        };
        assert_eq!(sum(Direction::Credit), *credits, "{file}: credits");
        assert_eq!(sum(Direction::Debit), *debits, "{file}: debits");
    }
}

#[test]
fn every_camt_sample_is_listed_or_known_bad() {
    let listed: Vec<&str> = SAMPLES.iter().map(|(file, ..)| *file).collect();
    for folder in ["camt052", "camt053", "camt054"] {
        for name in common::sample_names(folder) {
            let path = format!("{folder}/{name}");
            assert!(
                listed.contains(&path.as_str()) || path.contains("garbled_amount"),
                "{path} has no expectations"
            );
        }
    }
}

#[test]
fn garbled_amount_is_refused_at_its_element() {
    let bytes = common::sample("camt053/sr-bankstatementparser__golden_camt053_garbled_amount.xml");
    let error = camt::parse(&bytes).unwrap_err();
    assert_eq!(
        error.location,
        Location::Xml {
            path: "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt".into(),
            line: 17
        }
    );
    assert_eq!(error.field, "Ntry/Amt");
    assert!(error.message.contains("12..34"), "{}", error.message);
}

/// SOURCES.md lists this file as bad input because its origin's parser demands a namespace.
/// Banks do send camt without one (FORMATS.md), and the file is otherwise consistent: its
/// balances agree with its entry, so it is read.
#[test]
fn the_file_without_namespace_is_read_and_balances() {
    let bytes = common::sample("camt053/sr-bankstatementparser__golden_camt053_no_namespace.xml");
    let file = camt::parse(&bytes).unwrap();
    assert_eq!(file.format, Format::Camt053);
    assert_eq!(file.version, None);
    assert_eq!(file.file_id.as_deref(), Some("GOLDEN-NONS-001"));
    let statement = &file.statements[0];
    assert_eq!(statement.currency.code(), "GBP");
    assert_eq!(
        statement.opening_balance.as_ref().unwrap().amount.minor(),
        10_000
    );
    assert_eq!(
        statement.closing_balance.as_ref().unwrap().amount.minor(),
        35_000
    );
    assert_eq!(
        statement.lines[0].payer.name.as_deref(),
        Some("JANE CLIENT")
    );
    assert_eq!(statement.lines[0].remittance, ["Consulting fee"]);
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
}

#[test]
fn dutch_style_statement_keeps_references_and_balances() {
    let file = camt::parse(&common::sample("camt053/camt053-rs__test-camt053.xml")).unwrap();
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let statement = &file.statements[0];
    assert_eq!(
        statement.opening_balance.as_ref().unwrap().amount.minor(),
        100_000
    );
    assert_eq!(
        statement.closing_balance.as_ref().unwrap().amount.minor(),
        95_000
    );
    let debit = &statement.lines[0];
    assert_eq!(debit.bank_reference.as_deref(), Some("REF001"));
    assert_eq!(debit.end_to_end_id.as_deref(), Some("E2E-001"));
    assert_eq!(debit.type_code.as_deref(), Some("PMNT/ICDT/ESCT"));
    assert_eq!(debit.kind, EntryKind::Disbursement);
    let credit = &statement.lines[1];
    assert_eq!(credit.bank_reference.as_deref(), Some("REF002"));
    assert_eq!(credit.references[0].kind, ReferenceKind::CreditorReference);
    assert_eq!(credit.references[0].reference, "RF123456");
}

#[test]
fn bank_figures_that_disagree_are_warnings_not_refusals() {
    // The bank's balances include a EUR entry on a USD account as if it were USD.
    let file = camt::parse(&common::sample("camt053/camt053-rs__example-camt053-b.xml")).unwrap();
    let fields: Vec<&str> = file.warnings.iter().map(|w| w.field.as_str()).collect();
    assert!(fields.contains(&"Ntry/Amt/@Ccy"), "{fields:?}");
    assert!(fields.contains(&"Bal"), "{fields:?}");
    assert!(file.strict().is_err());
}

#[test]
fn v8_statement_reads_pty_nesting_and_uses_the_booked_amount() {
    let file = camt::parse(&common::sample("camt053/genkgo-camt__camt053.v8.xml")).unwrap();
    assert_eq!(file.version.as_deref(), Some("camt.053.001.08"));
    let line = &file.statements[0].lines[0];
    assert_eq!(line.payer.name.as_deref(), Some("NAME NAME"));
    assert_eq!(line.payer.account.as_deref(), Some("NL56AGDH9619008421"));
    assert_eq!(line.amount.minor(), 885);
    assert_eq!(
        line.bank_reference.as_deref(),
        Some("AAAASESS-FP-CN_98765/01")
    );
    assert_eq!(line.type_code.as_deref(), Some("PMNT/RCDT/BOOK"));
    assert_eq!(line.end_to_end_id.as_deref(), Some("MUELL/FINP/RA12345"));
    // The closing balance is in SEK on a EUR account: ignored, with a warning.
    assert!(file.statements[0].closing_balance.is_none());
    assert_eq!(file.warnings.len(), 1);
}

#[test]
fn returns_carry_their_reason_and_original_reference() {
    let file = camt::parse(&common::sample("camt053/sr-camt053__statement_ac04.xml")).unwrap();
    assert_eq!(file.version.as_deref(), Some("camt.053.001.14"));
    let lines = &file.statements[0].lines;
    assert_eq!(lines[0].kind, EntryKind::Return);
    assert_eq!(lines[0].return_reason(), Some("AC04"));
    assert_eq!(lines[0].original_reference(), Some("E2E-0001"));
    assert_eq!(lines[0].payer.name.as_deref(), Some("Globex SA"));
    assert_eq!(lines[1].return_reason(), Some("AC06"));
    assert_eq!(lines[2].kind, EntryKind::Disbursement);
}

#[test]
fn notification_batch_splits_into_transactions_with_uetr() {
    let file = camt::parse(&common::sample(
        "camt054/genkgo-camt__camt054.v8-with-UETR.xml",
    ))
    .unwrap();
    let line = &file.statements[0].lines[0];
    assert!(
        line.other_references()
            .contains(&("UETR".into(), "255ae394-9965-4438-ac86-f406feada396".into()))
    );
    let file = camt::parse(&common::sample(
        "camt054/subite-camt2coda__LT809872649478701594_CAMT_054_2024-03-27.xml",
    ))
    .unwrap();
    let lines = &file.statements[0].lines;
    assert!(
        lines
            .iter()
            .all(|line| line.status == EntryStatus::Information)
    );
    // The entry books 4213.17 net, and its 91 transactions net to that: no warning.
    let net: i64 = lines.iter().map(|line| line.signed_minor()).sum();
    assert_eq!(net, 421_317);
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
}

#[test]
fn lithuanian_statements_balance() {
    let file = camt::parse(&common::sample(
        "camt053/subite-camt2coda__LT625883379695428516_CAMT_053_2024-09-24.xml",
    ))
    .unwrap();
    let statement = &file.statements[0];
    let opening = statement.opening_balance.as_ref().unwrap().amount.minor();
    let closing = statement.closing_balance.as_ref().unwrap().amount.minor();
    let net: i64 = statement.lines.iter().map(|line| line.signed_minor()).sum();
    assert_eq!(opening + net, closing);
    assert_eq!((opening, closing), (1_959_229_121, 2_058_775_359));
}
