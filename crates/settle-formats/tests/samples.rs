//! The real and specification sample files in `shared/samples` (see its SOURCES.md).
//!
//! Expected counts and sums were taken from the raw text of each file (record by record, with a
//! calculator), not from this crate's output. Well-formed files must parse; the files SOURCES.md
//! marks as bad input must be refused at the line named here.

use std::path::PathBuf;

use settle_core::Currency;
use settle_formats::{
    BankFile, Direction, EntryKind, Format, Location, ParseOptions, bai2, detect, mt940,
};

fn sample(relative: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "../../../shared/samples",
        relative,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// (statements, lines, sum of credits, sum of debits), amounts in minor units.
type Totals = (usize, usize, i64, i64);

/// A sample's name, its totals, and whether its own checks (trailers, balances) agree.
type Expected = (&'static str, Totals, bool);

fn totals(file: &BankFile) -> Totals {
    let lines = file.statements.iter().flat_map(|s| &s.lines);
    let (mut credits, mut debits, mut count) = (0, 0, 0);
    for line in lines {
        count += 1;
        match line.direction {
            Direction::Credit => credits += line.amount.minor(),
            Direction::Debit => debits += line.amount.minor(),
        }
    }
    (file.statements.len(), count, credits, debits)
}

/// File, expected totals, and whether its trailers agree (so that a strict read accepts it).
const BAI2_WELL_FORMED: &[Expected] = &[
    ("baimax__spec-example.bai2", (5, 4, 30_950_000, 0), true),
    ("moov-bai2__sample2.bai2", (5, 4, 30_950_000, 0), true),
    ("dnsbty-bai2__test.bai2", (1, 1, 0, 1_000), false),
    ("dnsbty-bai2__test2.bai2", (1, 1, 187_938, 0), false),
    ("moj-bai2__citi_example.bai2", (1, 1, 1, 0), true),
    ("moj-bai2__svb_us_example.bai2", (2, 2, 1_395_996, 0), true),
    (
        "moov-bai2__sample4-continuations-newline-delimited.bai2",
        (5, 17, 600_731, 31_349_055),
        false,
    ),
    (
        "moov-bai2__sample5-issue113.bai2",
        (5, 20, 3_798_602_119, 31_812_517),
        false,
    ),
    ("venturehacks-bai2__eod.bai2", (1, 1, 8_325_982, 0), true),
];

#[test]
fn well_formed_bai2_samples_parse_with_their_totals() {
    for (name, expected, trailers_agree) in BAI2_WELL_FORMED {
        let bytes = sample(&format!("bai2/{name}"));
        assert_eq!(detect(&bytes), Some(Format::Bai2), "{name}");
        let parsed = bai2::parse_with(&bytes, &ParseOptions::lenient())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(totals(&parsed.file), *expected, "{name}");
        assert_eq!(
            parsed.warnings.is_empty(),
            *trailers_agree,
            "{name}: {:?}",
            parsed.warnings
        );
        if *trailers_agree {
            let strict = settle_formats::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(strict, parsed.file, "{name}");
        } else {
            assert!(
                bai2::parse(&bytes).is_err(),
                "{name}: strict read accepts wrong trailers"
            );
        }
    }
}

#[test]
fn bai2_spec_example_fields() {
    let file = bai2::parse(&sample("bai2/baimax__spec-example.bai2")).unwrap();
    assert_eq!(file.version.as_deref(), Some("2"));
    assert_eq!(file.file_id.as_deref(), Some("1"));
    assert_eq!(file.created, Some(jiff::civil::date(2004, 6, 21)));
    let first = &file.statements[0];
    assert_eq!(first.account.number, "0123456789");
    assert_eq!(first.currency, Currency::USD);
    assert_eq!(
        first.opening_balance.as_ref().unwrap().amount.minor(),
        4_350_000
    );
    assert_eq!(first.from_date, Some(jiff::civil::date(2004, 6, 20)));
    let second = &file.statements[1];
    assert_eq!(
        second.opening_balance.as_ref().unwrap().amount.minor(),
        -500_000
    );
    assert_eq!(second.total_credits.unwrap().minor(), 1_000_000);
    assert_eq!(second.total_debits.unwrap().minor(), 2_000_000);
    assert_eq!(second.lines[0].remittance, vec!["LOCK BOX NO.68751"]);
    assert_eq!(second.lines[0].kind, EntryKind::CustomerPayment);
    // 16,218,20000000,V,040622,,SP4738,YRC065321/ and the text in the 88 below it.
    let letter_of_credit = &file.statements[2].lines[0];
    assert_eq!(
        letter_of_credit.value_date,
        Some(jiff::civil::date(2004, 6, 22))
    );
    assert_eq!(letter_of_credit.bank_reference.as_deref(), Some("SP4738"));
    assert_eq!(
        letter_of_credit.customer_reference.as_deref(),
        Some("YRC065321")
    );
    assert_eq!(
        letter_of_credit.remittance,
        vec!["PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO"]
    );
}

#[test]
fn bai2_real_exports_fields() {
    let file = bai2::parse(&sample("bai2/moj-bai2__citi_example.bai2")).unwrap();
    let statement = &file.statements[0];
    assert_eq!(statement.currency, Currency::GBP);
    assert_eq!(
        statement.closing_balance.as_ref().unwrap().amount.minor(),
        10_000
    );
    let line = &statement.lines[0];
    assert_eq!(line.bank_reference.as_deref(), Some("1234567890"));
    assert_eq!(line.customer_reference.as_deref(), Some("RP12312312312312"));
    assert!(line.remittance[0].starts_with("FR:FP SIP INCOMING ENDT:20150715"));
    assert_eq!(line.raw_text.as_deref().map(|t| t.lines().count()), Some(7));

    let file = bai2::parse(&sample("bai2/venturehacks-bai2__eod.bai2")).unwrap();
    let line = &file.statements[0].lines[0];
    assert_eq!(line.type_code.as_deref(), Some("195"));
    assert!(line.remittance[0].contains("OBI:=INVOICE 123456"));
    assert!(line.remittance[0].contains("ORG ADDRESS:=1995 SE. 57TH ST. NY, NY 10022"));

    // A customer reference with slashes in it (issue 113 of the file's origin).
    let parsed = bai2::parse_with(
        &sample("bai2/moov-bai2__sample5-issue113.bai2"),
        &ParseOptions::lenient(),
    )
    .unwrap();
    let line = &parsed.file.statements[1].lines[2];
    assert_eq!(
        line.customer_reference.as_deref(),
        Some("AB/GS/RPFILERP0001/RPBA0001")
    );
    // `88:` in place of `88,` is read, and reported.
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.field == "88 record code" && w.location == Location::Line(63))
    );
    let returned = &parsed.file.statements[2].lines[0];
    assert_eq!(
        (returned.type_code.as_deref(), returned.kind),
        (Some("557"), EntryKind::Return)
    );
}

#[test]
fn bad_bai2_samples_are_refused_where_they_break() {
    let lenient = ParseOptions::lenient();
    let cases: &[(&str, usize, &str, bool)] = &[
        // `00,`: not a record code.
        (
            "moov-bai2__errors_sample-parseError.bai2",
            1,
            "record code",
            true,
        ),
        // A wrapped text line that is not an 88 continuation.
        ("moov-bai2__sample3.bai2", 19, "record code", true),
        // The 01 header has no version.
        (
            "sr-bsp-loader-bai2__multi_group_multi_account.bai2",
            1,
            "01 version number",
            true,
        ),
        // 49 says 8325983, the 16 amount is 8325982: refused strictly, a warning leniently.
        (
            "venturehacks-bai2__invalid_checksum_eod.bai2",
            15,
            "49 account control total",
            false,
        ),
    ];
    for (name, line, field, lenient_refuses) in cases {
        let bytes = sample(&format!("bai2/{name}"));
        let error = bai2::parse(&bytes).expect_err(name);
        assert_eq!(
            (&error.location, error.field.as_str()),
            (&Location::Line(*line), *field),
            "{name}: {error}"
        );
        match bai2::parse_with(&bytes, &lenient) {
            Err(error) => {
                assert!(lenient_refuses, "{name}");
                assert_eq!(error.location, Location::Line(*line), "{name}");
            }
            Ok(parsed) => {
                assert!(!lenient_refuses, "{name}");
                assert_eq!(parsed.warnings[0].location, Location::Line(*line), "{name}");
            }
        }
    }
}

/// File, (statements, lines, credits, debits), whether the balances add up.
const MT940_WELL_FORMED: &[Expected] = &[
    ("jejik-mt940__deutschebank.sta", (1, 1, 0, 1_235), false),
    ("jejik-mt940__generic.sta", (2, 2, 0, 2_000), true),
    ("jejik-mt940__knab.sta", (2, 3, 100_000, 726_000), false),
    (
        "jejik-mt940__oldenburgischelandesbank.sta",
        (1, 1, 10_450, 0),
        false,
    ),
    ("jejik-mt940__postfinance.sta", (2, 4, 23_930, 7_990), false),
    ("jejik-mt940__rabobank.sta", (4, 5, 0, 158_909), false),
    ("jejik-mt940__sparkasse.sta", (2, 2, 0, 4_000), true),
    ("jejik-mt940__sparkasse2.sta", (1, 1, 102_725, 0), false),
    ("mt940-js__abn-amro-1.sta", (1, 1, 541, 0), false),
    ("mt940-js__base-1.sta", (3, 9, 14_500_000, 5_000_000), true),
    ("mt940-js__ing-2.sta", (1, 0, 0, 0), true),
    (
        "mt940-rs__mt940_full_betterplace_sepa_mt9401.sta",
        (26, 97, 518_847_494, 1_445_761_084),
        true,
    ),
    (
        "mt940-rs__mt940_full_cmxl_mt940_2.sta",
        (1, 3, 2_004_000, 1_000_000),
        true,
    ),
    (
        "mt940-rs__mt940_full_danskebank_MT940_DK_Example.sta",
        (15, 89, 391_088_635, 253_843_358),
        true,
    ),
    ("mt940-rs__mt940_full_jejik_sns.sta", (2, 2, 0, 2_500), true),
    (
        "mt940-rs__mt940_full_sparkasse_buxtehude.sta",
        (1, 3, 0, 14_104),
        false,
    ),
    ("php-mt940__Asn_sample.sta", (7, 3, 0, 208_178), true),
    ("php-mt940__Bunq_sample.sta", (1, 111, 76_166, 78_833), true),
    ("php-mt940__Kbs_sample.sta", (1, 3, 225_000, 38_000), true),
    ("php-mt940__Knab_sample.sta", (1, 5, 0, 15_184), false),
    ("php-mt940__Knab_sample2.sta", (1, 1, 56_742, 0), true),
    ("php-mt940__Rabo_sample4.sta", (1, 3, 0, 177_939), false),
    (
        "sr-bankstatementparser__sample.sta",
        (1, 2, 125_050, 8_025),
        true,
    ),
    (
        "wolph-mt940__ASNB_mt940.sta",
        (31, 8, 282_890, 277_196),
        true,
    ),
    (
        "wolph-mt940__cmxl_mt940.sta",
        (3, 16, 7_243_674, 6_010_944),
        true,
    ),
    (
        "wolph-mt940__jejik_rabobank-iban.sta",
        (2, 4, 0, 7_000),
        true,
    ),
    ("wolph-mt940__jejik_sns.sta", (2, 2, 0, 2_500), true),
    ("wolph-mt940__mBank_mt942.sta", (1, 3, 3, 0), true),
    (
        "zilverline-mt940__abn_abn_sepa_overboeking.sta",
        (1, 1, 1_050, 0),
        false,
    ),
    (
        "zilverline-mt940__abn_anb_sepa_overboeking_belastingdienst.sta",
        (1, 2, 0, 65_000),
        false,
    ),
    ("zilverline-mt940__deutsche_bank.sta", (1, 2, 400, 0), false),
    (
        "zilverline-mt940__ing_cntp_without_description.sta",
        (1, 1, 0, 150_000),
        true,
    ),
    (
        "zilverline-mt940__ing_eu_incasso.sta",
        (1, 1, 0, 5_000),
        true,
    ),
    (
        "zilverline-mt940__ing_ing_00_00.sta",
        (1, 1, 0, 10_000),
        true,
    ),
    (
        "zilverline-mt940__ing_ing_references_fix.sta",
        (1, 1, 0, 10_000),
        true,
    ),
    (
        "zilverline-mt940__ing_structured.sta",
        (1, 7, 70_000, 751_600),
        false,
    ),
    (
        "zilverline-mt940__ing_unstructured_remi_2.sta",
        (1, 1, 0, 1_000),
        true,
    ),
    ("zilverline-mt940__knab_knab.sta", (1, 2, 101_000, 0), true),
    (
        "zilverline-mt940__knab_knab_sepa_acceptgiro.sta",
        (1, 1, 0, 1_000),
        true,
    ),
    (
        "zilverline-mt940__knab_knab_sepa_doorlopend_incasso.sta",
        (1, 1, 0, 1_000),
        true,
    ),
    (
        "zilverline-mt940__knab_knab_sepa_ideal.sta",
        (1, 1, 0, 100),
        true,
    ),
    (
        "zilverline-mt940__knab_knab_sepa_overboeking.sta",
        (1, 1, 1_000, 0),
        true,
    ),
    (
        "zilverline-mt940__rabobank_dash_as_start_of_line.sta",
        (1, 1, 100_000, 0),
        true,
    ),
    (
        "zilverline-mt940__rabobank_mt940_structured.sta",
        (2, 9, 1_921_651, 151_812),
        true,
    ),
    (
        "zilverline-mt940__rabobank_mt940_structured_savings_account.sta",
        (1, 1, 10_000, 0),
        true,
    ),
    (
        "zilverline-mt940__sns_sns_customer_reference.sta",
        (1, 1, 0, 10_000),
        true,
    ),
    (
        "zilverline-mt940__two_accounts.sta",
        (4, 3, 25_000, 659_875),
        true,
    ),
    ("zilverline-mt940__unknown.sta", (1, 6, 368, 5_027), false),
    (
        "zilverline-mt940__van_lanschot_unspecified_contra_account.sta",
        (1, 1, 0, 2_092),
        true,
    ),
    (
        "zilverline-mt940__van_lanschot_van_lanschot.sta",
        (3, 4, 271_676, 292_075),
        true,
    ),
];

#[test]
fn well_formed_mt940_samples_parse_with_their_totals() {
    for (name, expected, balanced) in MT940_WELL_FORMED {
        let bytes = sample(&format!("mt940/{name}"));
        assert_eq!(detect(&bytes), Some(Format::Mt940), "{name}");
        let parsed = mt940::parse_with(&bytes, &ParseOptions::lenient())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(totals(&parsed.file), *expected, "{name}");
        let balance_findings = parsed
            .warnings
            .iter()
            .filter(|w| w.field.ends_with("closing balance"))
            .count();
        assert_eq!(
            balance_findings == 0,
            *balanced,
            "{name}: {:?}",
            parsed.warnings
        );
        if parsed.warnings.is_empty() {
            assert_eq!(
                settle_formats::parse(&bytes).as_ref(),
                Ok(&parsed.file),
                "{name}"
            );
        } else {
            assert!(mt940::parse(&bytes).is_err(), "{name}");
        }
    }
}

#[test]
fn mt940_sample_fields() {
    // Sparkasse: German ?-subfields, a year-end entry date, balances that add up.
    let file = mt940::parse(&sample("mt940/jejik-mt940__sparkasse.sta")).unwrap();
    let statement = &file.statements[0];
    assert_eq!(statement.account.bank_id.as_deref(), Some("87052000"));
    assert_eq!(
        statement.opening_balance.as_ref().unwrap().amount.minor(),
        19_457
    );
    assert_eq!(
        statement.closing_balance.as_ref().unwrap().amount.minor(),
        17_457
    );
    let line = &statement.lines[0];
    assert_eq!(line.type_code.as_deref(), Some("N037/106"));
    assert_eq!(line.payer.name.as_deref(), Some("ARAL AG"));
    assert_eq!(
        line.payer.account.as_deref(),
        Some("DE95430800830802029200")
    );
    assert_eq!(line.payer.bank_id.as_deref(), Some("DRESDEFF430"));
    assert!(
        line.ultimate_payer
            .as_ref()
            .unwrap()
            .name
            .as_deref()
            .unwrap()
            .starts_with("Aral Tankstelle")
    );

    // Knab: Dutch slash keys.
    let file = mt940::parse(&sample("mt940/zilverline-mt940__knab_knab_sepa_ideal.sta")).unwrap();
    let line = &file.statements[0].lines[0];
    assert_eq!(line.payer.account.as_deref(), Some("NL51ABNA0393939393"));
    assert_eq!(line.payer.name.as_deref(), Some("ABSCS"));
    assert_eq!(line.bank_reference.as_deref(), Some("FHFHFHFHFHFHFHFH"));
    assert_eq!(line.customer_reference.as_deref(), Some("25-04-2016 16:21"));

    // Reversals (RC with funds code R) in the betterplace file.
    let file = mt940::parse(&sample(
        "mt940/mt940-rs__mt940_full_betterplace_sepa_mt9401.sta",
    ))
    .unwrap();
    let reversals: Vec<_> = file
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter(|l| l.reversal)
        .collect();
    assert_eq!(reversals.len(), 2);
    assert!(
        reversals
            .iter()
            .all(|l| l.direction == Direction::Debit && l.amount.minor() == 20_488)
    );

    // MT942 from mBank: no balances, sums from :90C:, supplementary details kept raw.
    let file = mt940::parse(&sample("mt940/wolph-mt940__mBank_mt942.sta")).unwrap();
    assert_eq!(file.version.as_deref(), Some("942"));
    let statement = &file.statements[0];
    assert_eq!(statement.currency.code(), "PLN");
    assert_eq!(statement.total_credits.unwrap().minor(), 3);
    assert!(
        statement.lines[0]
            .raw_text
            .as_deref()
            .unwrap()
            .starts_with("911-TRANSAKCJA IPH\n:86:911")
    );

    // An empty statement (no movements, the same balance) is a statement.
    let file = mt940::parse(&sample("mt940/zilverline-mt940__knab_knab_empty.sta")).unwrap();
    assert_eq!(totals(&file), (1, 0, 0, 0));
}

/// Per-tag fixtures: single tags, not whole messages. Their tags read; as statements they are
/// refused, since they hold no complete message.
#[test]
fn tag_level_fixtures_read_as_fields() {
    let cases = [
        ("wolph-mt940__betterplace_amount_formats.sta", 6),
        ("wolph-mt940__betterplace_empty_entry_date.sta", 1),
        ("wolph-mt940__cmxl_account_identification_legacy.sta", 1),
        ("wolph-mt940__cmxl_available_balance.sta", 1),
        ("wolph-mt940__cmxl_reference.sta", 1),
        ("wolph-mt940__cmxl_statement_details.sta", 2),
    ];
    for (name, tags) in cases {
        let bytes = sample(&format!("mt940/{name}"));
        let fields = mt940::read_fields(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(fields.len(), tags, "{name}");
        assert!(mt940::parse(&bytes).is_err(), "{name}");
    }
}

#[test]
fn bad_mt940_samples_are_refused_where_they_break() {
    // (file, line, field, also refused by a lenient read)
    let cases: &[(&str, usize, &str, bool)] = &[
        // No :62F:; `:65F:Dnullnull…` is no tag, so it is read as text of the :86: above.
        (
            "jejik-mt940__oldenburgischelandesbank2.sta",
            10,
            ":62F:",
            true,
        ),
        // No :25: (the `:12:11` line is the end of a wrapped time in the :86:).
        (
            "mt940-rs__mt940_special-cases_unexpected_tag.sta",
            10,
            ":25:",
            true,
        ),
        // 0,00 + 100000,00 is not 0,00.
        (
            "php-mt940__Knab_sample3.sta",
            9,
            ":62M: closing balance",
            false,
        ),
        // Two lines of later dates slipped into the first message; its balance is off.
        (
            "php-mt940__Rabo_sample3.sta",
            28,
            ":62F: closing balance",
            false,
        ),
        // Only a :20:.
        ("wolph-mt940__betterplace_empty_line.sta", 2, ":25:", true),
        // `:NS:` outside any message.
        (
            "wolph-mt940__self-provided_empty_non_swift.sta",
            1,
            ":NS:",
            true,
        ),
        // A `?` that opens no subfield (and a balance that is off).
        (
            "wolph-mt940__self-provided_malformed_details.sta",
            6,
            ":86: information",
            false,
        ),
        (
            "wolph-mt940__self-provided_overly_long_details.sta",
            15,
            ":62F: closing balance",
            false,
        ),
        // The first message stops without a closing balance where the next one starts.
        ("zilverline-mt940__knab_knab_invalid.sta", 9, ":62F:", true),
    ];
    for (name, line, field, lenient_refuses) in cases {
        let bytes = sample(&format!("mt940/{name}"));
        let error = mt940::parse(&bytes).expect_err(name);
        assert_eq!(
            (&error.location, error.field.as_str()),
            (&Location::Line(*line), *field),
            "{name}: {error}"
        );
        let lenient = mt940::parse_with(&bytes, &ParseOptions::lenient());
        assert_eq!(lenient.is_err(), *lenient_refuses, "{name}");
    }
}
