//! camt.053 read speed on a generated ~50 MB statement. Run in release:
//! `cargo test --release -p settle-formats --test camt_throughput -- --ignored --nocapture`.

use std::time::Instant;

fn statement(entries: usize) -> String {
    let mut xml = String::with_capacity(entries * 1_300);
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>PERF</MsgId><CreDtTm>2024-05-01T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>PERF-1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-01</Dt></Dt></Bal>
"#);
    let mut total: i64 = 0;
    let mut entries_xml = String::new();
    for index in 0..entries {
        let cents = 1_000 + (index as i64 % 97_000);
        total += cents;
        entries_xml.push_str(&format!(r#"<Ntry><NtryRef>{index}</NtryRef><Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2024-05-01</Dt></BookgDt><ValDt><Dt>2024-05-01</Dt></ValDt><AcctSvcrRef>BANKREF{index:010}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><InstrId>INSTR{index}</InstrId><EndToEndId>E2E-{index}</EndToEndId><TxId>TX{index}</TxId></Refs>
<Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Pty><Nm>Customer Number {index} GmbH</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct></RltdPties>
<RltdAgts><DbtrAgt><FinInstnId><BICFI>BYLADEM1001</BICFI></FinInstnId></DbtrAgt></RltdAgts>
<RmtInf><Ustrd>Invoice INV-{index} and INV-{} thank you</Ustrd><Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-{index}</Nb><RltdDt>2024-04-01</RltdDt></RfrdDocInf>
<RfrdDocAmt><RmtdAmt Ccy="EUR">{}.{:02}</RmtdAmt></RfrdDocAmt></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
"#, cents / 100, cents % 100, cents / 100, cents % 100, index + 1, cents / 100, cents % 100));
    }
    xml.push_str(&format!(r#"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-01</Dt></Dt></Bal>
"#, total / 100, total % 100));
    xml.push_str(&entries_xml);
    xml.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    xml
}

#[test]
#[ignore = "a benchmark: run it in release with --ignored"]
fn camt053_reads_at_least_50_mb_per_second() {
    let xml = statement(49_000);
    let megabytes = xml.len() as f64 / 1_000_000.0;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let file = settle_formats::camt::parse(xml.as_bytes()).unwrap();
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(file.statements[0].lines.len(), 49_000);
        assert!(file.warnings.is_empty(), "{:?}", &file.warnings[..1]);
    }
    let rate = megabytes / best;
    println!(
        "camt.053: {megabytes:.1} MB in {:.3} s = {rate:.0} MB/s",
        best
    );
    assert!(rate >= 50.0, "{rate:.0} MB/s");
}
