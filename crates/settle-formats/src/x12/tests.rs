//! Unit tests of the 820 reader on small hand-written interchanges.

use super::*;
use crate::statement::ReferenceKind;

const ISA: &str = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*PAYEE          *240105*1200*U*00401*000000042*0*P*>~";

/// An interchange of one group with the given transactions (each given without ST/SE).
fn interchange(transactions: &[&str]) -> String {
    let mut text = format!("{ISA}\nGS*RA*PAYER*PAYEE*20240105*1200*7*X*004010~\n");
    for (index, body) in transactions.iter().enumerate() {
        let control = format!("{:04}", index + 1);
        let count = body.matches('~').count() + 2;
        text.push_str(&format!("ST*820*{control}~\n{body}SE*{count}*{control}~\n"));
    }
    text.push_str(&format!("GE*{}*7~\nIEA*1*000000042~\n", transactions.len()));
    text
}

const PAYMENT: &str = "BPR*C*1500.00*C*ACH*CTX*01*011000015*DA*123456789*1234567890**01*021000021*DA*987654321*20240108~\
TRN*1*091000010000123*1234567890~\
CUR*PR*USD~\
N1*PR*GLOBEX CORP*91*C-100~\
N1*PE*ACME SUPPLY~\
ENT*1~\
RMR*IV*INV-1001*PI*1000.00*1020.00*20.00~\
DTM*003*20231201~\
RMR*IV*INV-1002*PI*600.00*600.00~\
RMR*CR*CM-77*PI*-100.00~\
ADX*-0.00*01~\
NTE*ZZZ*THANK YOU~";

#[test]
fn one_transaction_becomes_one_line_with_its_items() {
    let file = parse(interchange(&[PAYMENT]).as_bytes()).unwrap();
    assert_eq!(file.format, Format::X12_820);
    assert_eq!(file.file_id.as_deref(), Some("000000042"));
    assert_eq!(file.statements.len(), 1);
    let statement = &file.statements[0];
    assert_eq!(statement.account.number, "987654321");
    let line = &statement.lines[0];
    assert_eq!(line.amount, Money::new(150_000, Currency::USD));
    assert_eq!(line.status, EntryStatus::Information);
    assert_eq!(line.bank_reference.as_deref(), Some("091000010000123"));
    assert_eq!(line.payer.name.as_deref(), Some("GLOBEX CORP"));
    assert_eq!(line.payer.account.as_deref(), Some("123456789"));
    assert_eq!(line.booking_date, Some(jiff::civil::date(2024, 1, 8)));
    assert_eq!(line.type_code.as_deref(), Some("820/C/ACH/CTX"));
    let items = &line.references;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].kind, ReferenceKind::Invoice);
    assert_eq!(items[0].reference, "INV-1001");
    assert_eq!(items[0].paid, Some(Money::new(100_000, Currency::USD)));
    assert_eq!(
        items[0].document_amount,
        Some(Money::new(102_000, Currency::USD))
    );
    assert_eq!(items[0].discount, Some(Money::new(2_000, Currency::USD)));
    assert_eq!(items[0].date, Some(jiff::civil::date(2023, 12, 1)));
    assert_eq!(items[1].date, None);
    assert_eq!(items[2].kind, ReferenceKind::CreditNote);
    assert_eq!(items[2].paid, Some(Money::new(-10_000, Currency::USD)));
    assert!(line.remittance.contains(&"THANK YOU".to_string()));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
}

#[test]
fn other_separators_are_read_from_the_isa() {
    let text = interchange(&[PAYMENT]).replace('*', "|").replace('~', "\\");
    let file = parse(text.as_bytes()).unwrap();
    assert_eq!(file.statements[0].lines[0].references.len(), 3);
}

#[test]
fn wrong_control_counts_are_refused_with_their_segment() {
    let text = interchange(&[PAYMENT]).replace("SE*14*0001", "SE*13*0001");
    let error = parse(text.as_bytes()).unwrap_err();
    assert_eq!(error.field, "SE01");
    assert!(matches!(error.location, Location::Line(_)));
    let text = interchange(&[PAYMENT]).replace("GE*1*7", "GE*2*7");
    assert_eq!(parse(text.as_bytes()).unwrap_err().field, "GE01");
    let text = interchange(&[PAYMENT]).replace("IEA*1*000000042", "IEA*1*000000043");
    assert_eq!(parse(text.as_bytes()).unwrap_err().field, "IEA02");
}

#[test]
fn garbled_totals_and_cut_files_are_refused() {
    let text = interchange(&[PAYMENT]).replace("BPR*C*1500.00", "BPR*C*15,00.00");
    assert_eq!(parse(text.as_bytes()).unwrap_err().field, "BPR02");
    let text = interchange(&[PAYMENT]);
    let cut = text.replace("IEA*1*000000042~\n", "");
    assert_eq!(parse(cut.as_bytes()).unwrap_err().field, "IEA");
}

#[test]
fn items_that_do_not_add_up_are_a_warning() {
    let body = PAYMENT.replace("RMR*IV*INV-1002*PI*600.00", "RMR*IV*INV-1002*PI*650.00");
    let file = parse(interchange(&[&body]).as_bytes()).unwrap();
    assert_eq!(file.warnings.len(), 1);
    assert!(file.clone().strict().is_err());
}

#[test]
fn fragments_read_rmr_without_an_envelope() {
    let fragment = b"RMR*IV*INV123*PI*1250.00\\";
    let separators = Separators::guess(fragment).unwrap();
    let remittance =
        parse_fragment(fragment, separators, Currency::USD, &Location::Line(4)).unwrap();
    assert_eq!(remittance.references.len(), 1);
    assert_eq!(remittance.references[0].reference, "INV123");
    assert_eq!(
        remittance.references[0].paid,
        Some(Money::new(125_000, Currency::USD))
    );
}

#[test]
fn two_transactions_make_two_lines() {
    let second = PAYMENT.replace("091000010000123", "091000010000124");
    let file = parse(interchange(&[PAYMENT, &second]).as_bytes()).unwrap();
    assert_eq!(file.statements[0].lines.len(), 2);
    assert_eq!(
        file.statements[0].lines[1].bank_reference.as_deref(),
        Some("091000010000124")
    );
}
