//! Unit tests of the camt reader on small hand-written documents.

use super::*;
use crate::statement::EntryStatus;

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

const BATCH: &str = r#"<Ntry><Amt Ccy="EUR">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-05-02</Dt></BookgDt><AcctSvcrRef>BATCH-1</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
<TxDtls><Refs><AcctSvcrRef>TX-A</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<Amt Ccy="EUR">100.00</Amt><RltdPties><Dbtr><Nm>Alpha</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>INV-1</Ustrd><Ustrd>INV-2</Ustrd></RmtInf></TxDtls>
<TxDtls><Refs><EndToEndId>E2E-B</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">200.00</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Pty><Nm>Beta</Nm></Pty></Dbtr><UltmtDbtr><Nm>Beta Holding</Nm></UltmtDbtr></RltdPties>
<RmtInf><Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-9</Nb><RltdDt>2024-04-01</RltdDt></RfrdDocInf>
<RfrdDocAmt><DuePyblAmt Ccy="EUR">210.00</DuePyblAmt><DscntApldAmt Ccy="EUR">10.00</DscntApldAmt><RmtdAmt Ccy="EUR">200.00</RmtdAmt></RfrdDocAmt></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry>"#;

#[test]
fn a_batch_entry_becomes_one_line_per_transaction() {
    let file = parse(document("02", BATCH).as_bytes()).unwrap();
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let lines = &file.statements[0].lines;
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].amount.minor(), 10_000);
    assert_eq!(lines[0].bank_reference.as_deref(), Some("TX-A"));
    assert_eq!(lines[0].batch_reference(), Some("BATCH-1"));
    assert_eq!(lines[0].end_to_end_id, None, "NOTPROVIDED is a placeholder");
    assert_eq!(lines[0].remittance, ["INV-1", "INV-2"]);
    assert_eq!(lines[1].amount.minor(), 20_000);
    // Without its own AcctSvcrRef a transaction takes the entry's.
    assert_eq!(lines[1].bank_reference.as_deref(), Some("BATCH-1"));
    assert_eq!(lines[1].payer.name.as_deref(), Some("Beta"));
    assert_eq!(
        lines[1]
            .ultimate_payer
            .as_ref()
            .and_then(|p| p.name.as_deref()),
        Some("Beta Holding")
    );
    let invoice = &lines[1].references[0];
    assert_eq!(invoice.reference, "INV-9");
    assert_eq!(invoice.paid.map(|m| m.minor()), Some(20_000));
    assert_eq!(invoice.document_amount.map(|m| m.minor()), Some(21_000));
    assert_eq!(invoice.discount.map(|m| m.minor()), Some(1_000));
    assert_eq!(lines[1].kind, crate::statement::EntryKind::CustomerPayment);
}

#[test]
fn a_batch_that_does_not_add_up_is_a_warning() {
    let body = BATCH.replace(
        r#"<Amt Ccy="EUR">100.00</Amt><RltdPties>"#,
        r#"<Amt Ccy="EUR">90.00</Amt><RltdPties>"#,
    );
    let file = parse(document("02", &body).as_bytes()).unwrap();
    assert_eq!(file.warnings.len(), 1);
    assert_eq!(file.warnings[0].field, "NtryDtls/TxDtls");
}

#[test]
fn balances_that_disagree_are_a_warning_located_at_the_closing_balance() {
    let balances = r#"<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-05-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">290.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-02</Dt></Dt></Bal>"#;
    let file = parse(document("02", &format!("{balances}{BATCH}")).as_bytes()).unwrap();
    assert!(
        file.warnings.is_empty(),
        "-10 + 300 = 290: {:?}",
        file.warnings
    );
    let wrong = balances.replace("290.00", "300.00");
    let file = parse(document("02", &format!("{wrong}{BATCH}")).as_bytes()).unwrap();
    let warning = &file.warnings[0];
    assert!(matches!(&warning.location, Location::Xml { path, .. } if path.ends_with("Bal[2]")));
}

#[test]
fn prefixed_elements_and_v8_status_are_read() {
    let xml = r#"<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><c:BkToCstmrDbtCdtNtfctn>
<c:GrpHdr><c:MsgId>P</c:MsgId></c:GrpHdr><c:Ntfctn><c:Acct><c:Id><c:IBAN>X</c:IBAN></c:Id></c:Acct>
<c:Ntry><c:Amt Ccy="CHF">1.50</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts><c:Cd>PDNG</c:Cd></c:Sts></c:Ntry>
</c:Ntfctn></c:BkToCstmrDbtCdtNtfctn></c:Document>"#;
    let file = parse(xml.as_bytes()).unwrap();
    assert_eq!(file.format, Format::Camt054);
    let line = &file.statements[0].lines[0];
    assert_eq!(line.status, EntryStatus::Pending);
    assert_eq!(file.statements[0].currency.code(), "CHF");
}

#[test]
fn dtds_entities_and_wrong_namespaces_are_refused() {
    let dtd = r#"<!DOCTYPE Document [<!ENTITY x "y">]><Document></Document>"#;
    assert_eq!(parse(dtd.as_bytes()).unwrap_err().field, "DOCTYPE");
    let entity = document("02", "<AddtlStmtInf>&x;</AddtlStmtInf>");
    assert!(
        parse(entity.as_bytes())
            .unwrap_err()
            .message
            .contains("undeclared entity")
    );
    let pain = document("02", "").replace("camt.053.001.02", "pain.001.001.03");
    assert_eq!(parse(pain.as_bytes()).unwrap_err().field, "Document/@xmlns");
    assert!(parse(b"\xFF\xFE<\x00").is_err());
    assert!(parse(b"").is_err());
}

#[test]
fn impossible_dates_and_unknown_currencies_are_refused_at_their_element() {
    let body = r#"<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-02-30</Dt></BookgDt></Ntry>"#;
    let error = parse(document("02", body).as_bytes()).unwrap_err();
    assert!(
        matches!(&error.location, Location::Xml { path, line: 5 } if path == "Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt/Dt"),
        "{error}"
    );
    let body = r#"<Ntry><Amt Ccy="XXQ">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>"#;
    assert_eq!(
        parse(document("02", body).as_bytes()).unwrap_err().field,
        "@Ccy"
    );
}

#[test]
fn v8_discount_nests_its_amount() {
    let body = r#"<Ntry><Amt Ccy="EUR">98.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<NtryDtls><TxDtls><RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></RfrdDocInf>
<RfrdDocAmt><DscntApldAmt>
  <Amt Ccy="EUR">2.00</Amt>
</DscntApldAmt><RmtdAmt Ccy="EUR">98.00</RmtdAmt></RfrdDocAmt></Strd></RmtInf></TxDtls></NtryDtls></Ntry>"#;
    let file = parse(document("08", body).as_bytes()).unwrap();
    let reference = &file.statements[0].lines[0].references[0];
    assert_eq!(reference.discount.map(|d| d.minor()), Some(200));
    assert_eq!(reference.paid.map(|d| d.minor()), Some(9800));
}
