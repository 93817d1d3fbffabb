//! Entry points for the fuzz targets (`crates/settle-service/fuzz`) and the tests that replay
//! their corpora: each takes any bytes, runs one of the parsers that read a user's file exactly
//! as the import does (without a database: what an import would look up is fixed here), and
//! panics only when a parser breaks one of its own promises. Not an API.

use std::collections::HashMap;

use settle_core::accounts::ChartOfAccounts;
use settle_core::customer::check_customer_code;
use settle_core::ids::CustomerId;
use settle_core::period::{Calendar, Lock};
use settle_core::terms::PaymentTerms;
use settle_core::{Currency, Date};

use super::AmountBasis;
use crate::error::{RowError, ServiceError};

/// The name the parsers are told the file has; every error must carry it.
const FILE: &str = "fuzz.csv";

fn date(text: &str) -> Date {
    text.parse().expect("a fixed date")
}

/// Every error names the file, and a row error a field.
fn check_error(error: &ServiceError) {
    let rows: &[RowError] = match error {
        ServiceError::ImportRejected { file, errors }
        | ServiceError::GlFileRejected { file, errors }
        | ServiceError::FileRejected { file, errors } => {
            assert_eq!(file, FILE);
            assert!(!errors.is_empty(), "a refusal names at least one row");
            errors
        }
        ServiceError::BadFile { file, message } => {
            assert_eq!(file, FILE);
            assert!(!message.is_empty());
            &[]
        }
        other => panic!("a parser returned an error that is not about its file: {other}"),
    };
    check_rows(rows);
}

fn check_rows(rows: &[RowError]) {
    for row in rows {
        assert_eq!(row.file, FILE);
        assert!(!row.field.is_empty() && !row.message.is_empty(), "{row}");
    }
}

/// customers.csv, with one customer (`STORED`) stored already.
pub fn customers(data: &[u8]) {
    let existing = HashMap::from([("STORED".to_string(), CustomerId(1))]);
    match super::customers::read_customers(FILE, data, &existing, &|_, _| {}) {
        Ok(rows) => {
            check_rows(&rows.errors);
            let mut codes = std::collections::HashSet::new();
            for customer in &rows.good {
                assert!(check_customer_code(&customer.code).is_ok(), "{customer:?}");
                assert!(!customer.name.is_empty());
                assert!(codes.insert(customer.code.as_str()), "a code twice");
                assert!(customer.code != "STORED", "a stored customer again");
            }
            // Parents come first: every parent in the file precedes its subsidiaries.
            for (position, customer) in rows.good.iter().enumerate() {
                if let Some(parent) = &customer.parent
                    && let Some(at) = rows.good.iter().position(|c| &c.code == parent)
                {
                    assert!(at < position, "{parent} after its subsidiary");
                }
            }
        }
        Err(error) if matches!(error, ServiceError::BadFile { .. }) => check_error(&error),
        Err(other) => panic!("customers.csv refused otherwise than by its header: {other}"),
    }
}

/// invoices.csv against three customers (`C1` in USD on net 30, `C2` in EUR with a discount,
/// `C3` in JPY), books closed through 2020-12-31; read once gross and once net of tax.
pub fn invoices(data: &[u8]) {
    let customers = HashMap::from([
        (
            "C1".to_string(),
            (CustomerId(1), Currency::USD, PaymentTerms::Net { days: 30 }),
        ),
        (
            "C2".to_string(),
            (
                CustomerId(2),
                Currency::from_code("EUR").expect("EUR"),
                "2/10 net 30".parse().expect("fixed terms"),
            ),
        ),
        (
            "C3".to_string(),
            (
                CustomerId(3),
                Currency::from_code("JPY").expect("JPY"),
                PaymentTerms::Net { days: 0 },
            ),
        ),
    ]);
    let lock = Lock {
        period: "2020-12".to_string(),
        through: date("2020-12-31"),
    };
    let chart = ChartOfAccounts::default();
    for basis in [AmountBasis::Gross, AmountBasis::Net] {
        let read = super::invoices::read_invoices(
            FILE,
            data,
            customers.clone(),
            basis,
            Some((lock.clone(), Calendar::Months)),
            &chart,
        );
        match read {
            Ok((rows_read, documents, errors)) => {
                check_rows(&errors);
                assert!(documents.len() as u64 <= rows_read);
                for (line, document) in &documents {
                    assert!(*line >= 2, "a row before the header");
                    assert!(document.issue_date > lock.through, "{document:?}");
                    assert!(document.due_date >= document.issue_date, "{document:?}");
                    let total = document.total().expect("a parsed invoice has a total");
                    assert!(total.minor() > 0, "{document:?}");
                }
            }
            Err(error) => check_error(&error),
        }
    }
}

/// A general ledger's file (balances or detail) for the period ending 2026-10-31.
pub fn gl(data: &[u8]) {
    match super::gl::read_gl(FILE, data, date("2026-10-31")) {
        Ok(rows) => {
            assert!((rows.balances.len() + rows.lines.len()) as u64 <= rows.rows_read);
            for line in rows.lines.iter().filter(|l| l.opening) {
                assert!(line.date <= date("2026-10-31"));
            }
        }
        Err(error) => check_error(&error),
    }
}

/// A fiscal calendar's CSV; what it accepts, the core accepts.
pub fn calendar(data: &[u8]) {
    match super::calendar::parse_fiscal_calendar(FILE, data) {
        Ok(periods) => {
            assert!(Calendar::fiscal(periods).is_ok());
        }
        Err(error) => check_error(&error),
    }
}

/// A dunning policy's JSON, as `settle dunning policy set FILE` reads it.
pub fn dunning_policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(policy) = settle_core::dunning::DunningPolicy::from_json(text)
    {
        // What was accepted is stored as JSON and read back the same.
        let stored = serde_json::to_string(&policy).expect("a policy writes as JSON");
        let again = settle_core::dunning::DunningPolicy::from_json(&stored)
            .expect("a stored policy reads back");
        assert_eq!(again, policy);
    }
}

/// A delivery status notification, as `settle outbox bounce --report FILE` reads it.
pub fn bounce(data: &[u8]) {
    if let Some(bounce) = settle_core::email::parse_bounce(&String::from_utf8_lossy(data)) {
        assert!(!bounce.message_id.is_empty());
    }
}

/// A backup file (`settle restore`): its header, manifest, tables and checksums read as
/// `settle restore --check` reads them, and every row decoded as a restore decodes it. A refusal
/// names the file; a row line that decodes writes back to a line that decodes the same.
pub fn backup(data: &[u8]) {
    if let Err(error) = crate::backup::check_bytes(std::path::Path::new(FILE), data) {
        check_error(&error);
    }
    for line in data.split(|byte| *byte == b'\n') {
        if let Some((values, written)) = crate::backup::decode_and_encode(line) {
            let written = written.strip_suffix('\n').unwrap_or(&written);
            let (again, _) = crate::backup::decode_and_encode(written.as_bytes())
                .expect("a row written back decodes");
            assert_eq!(again, values, "a row changes on its way through a backup");
        }
    }
}

#[cfg(test)]
mod tests {
    //! The seeds reach past the header: each parser accepts the good rows of its seed and names
    //! the bad ones, so the fuzzer starts from inputs that exercise every check.

    use super::*;

    #[test]
    fn the_customer_seed_keeps_groups_and_refuses_a_loop() {
        let seed = include_bytes!("../../fuzz/corpus/customers/groups-and-options.csv");
        let existing = HashMap::from([("STORED".to_string(), CustomerId(1))]);
        let rows = super::super::customers::read_customers(FILE, seed, &existing, &|_, _| {})
            .expect("the header maps");
        let codes: Vec<&str> = rows.good.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["HOLD", "SUB1", "SUB2"]);
        assert_eq!(rows.duplicates, 1);
        let fields: Vec<(u64, &str)> = rows
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(fields, [(6, "parent_id")], "{:?}", rows.errors);
        customers(seed);
    }

    #[test]
    fn the_invoice_seed_issues_the_good_row_and_names_each_bad_one() {
        let seed = include_bytes!("../../fuzz/corpus/invoices/fixed-customers.csv");
        let customers = HashMap::from([(
            "C1".to_string(),
            (CustomerId(1), Currency::USD, PaymentTerms::Net { days: 30 }),
        )]);
        let (read, documents, errors) = super::super::invoices::read_invoices(
            FILE,
            seed,
            customers,
            AmountBasis::Gross,
            Some((
                Lock {
                    period: "2020-12".to_string(),
                    through: date("2020-12-31"),
                },
                Calendar::Months,
            )),
            &ChartOfAccounts::default(),
        )
        .expect("the header maps");
        assert_eq!(read, 11);
        let numbers: Vec<&str> = documents.iter().map(|(_, d)| d.number.as_str()).collect();
        assert_eq!(numbers, ["I-1"], "only C1 is known here: {errors:?}");
        let lines: std::collections::BTreeSet<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(
            lines.into_iter().collect::<Vec<_>>(),
            [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        );
        invoices(seed);
    }

    #[test]
    fn the_gl_and_calendar_seeds_read_and_refuse_as_documented() {
        let balances = include_bytes!("../../fuzz/corpus/gl/balances-split.csv");
        let rows = super::super::gl::read_gl(FILE, balances, date("2026-10-31"))
            .expect("a good balances file");
        assert_eq!(rows.balances.len(), 3);
        let detail = include_bytes!("../../fuzz/corpus/gl/detail.csv");
        let Err(ServiceError::GlFileRejected { errors, .. }) =
            super::super::gl::read_gl(FILE, detail, date("2026-10-31"))
        else {
            panic!("the detail seed has bad rows");
        };
        assert_eq!(errors.len(), 2, "{errors:?}");
        let fiscal = include_bytes!("../../fuzz/corpus/calendar/fiscal.csv");
        let periods = super::super::calendar::parse_fiscal_calendar(FILE, fiscal).unwrap();
        assert_eq!(periods.len(), 3);
        let gaps = include_bytes!("../../fuzz/corpus/calendar/gaps-and-repeats.csv");
        assert!(super::super::calendar::parse_fiscal_calendar(FILE, gaps).is_err());
    }

    #[test]
    fn the_backup_seeds_reach_their_rows_and_a_cut_file_is_refused() {
        let name = std::path::Path::new(FILE);
        let values = include_bytes!("../../fuzz/corpus/backup/values.settle-backup");
        let rows = crate::backup::check_bytes(name, values).expect("the seed reads");
        assert_eq!(rows.len(), 2);
        let small = include_bytes!("../../fuzz/corpus/backup/small.settle-backup");
        assert_eq!(
            crate::backup::check_bytes(name, small)
                .expect("reads")
                .len(),
            30
        );
        let cut = include_bytes!("../../fuzz/corpus/backup/truncated.settle-backup");
        let error = crate::backup::check_bytes(name, cut).expect_err("a cut file is refused");
        assert!(
            error.to_string().contains("table notes is damaged"),
            "{error}"
        );
        backup(values);
        backup(small);
    }
}
