//! Unit tests of the camt reader on small hand-written documents.

use super::*;

fn document(version: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-05-01T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
{body}
</Stmt></BkToCstmrStmt></Document>"#
    )
}

#[test]
fn minimal_statement_reads_header_and_account() {
    let file = parse(document("02", "").as_bytes()).unwrap();
    assert_eq!(file.format, Format::Camt053);
    assert_eq!(file.version.as_deref(), Some("camt.053.001.02"));
    assert_eq!(file.file_id.as_deref(), Some("M1"));
    assert_eq!(file.statements.len(), 1);
    assert_eq!(
        file.statements[0].account.iban.as_deref(),
        Some("DE89370400440532013000")
    );
    assert!(file.warnings.is_empty());
}
