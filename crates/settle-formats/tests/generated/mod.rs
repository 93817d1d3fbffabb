//! The generated ~50 MB BAI2, MT940 and camt.053 files that the throughput tests read, shared
//! with the `bench_formats` example so that `scripts/bench-formats.sh` times the same bytes.

// Each test crate that includes this module uses only some of the generators.
#![allow(dead_code)]

use std::fmt::Write as _;

pub const TARGET_BYTES: usize = 50 << 20;

/// One group of accounts with 500 details each: ACH credits with text and an 88
/// continuation, wires with a value date, checks paid. Trailers are right, so a strict read
/// accepts it.
pub fn generate_bai2() -> Vec<u8> {
    let mut out = String::with_capacity(TARGET_BYTES + 4096);
    out.push_str("01,BANK,SETTLE,240115,0800,7,,,2/\n02,SETTLE,BANK,1,240115,2400,USD,2/\n");
    let (mut group_total, mut group_records, mut accounts) = (0i64, 1u64, 0u64);
    let mut account = 0u64;
    while out.len() < TARGET_BYTES {
        account += 1;
        accounts += 1;
        let mut total = 125_000i64 + 100_000;
        let mut records = 1u64;
        writeln!(out, "03,{account:010},USD,010,125000,,,015,100000,,/").unwrap();
        for item in 0..500u64 {
            let amount = 1_000 + (item * 7919 % 100_000) as i64;
            total += amount;
            match item % 3 {
                0 => {
                    writeln!(out, "16,165,{amount},Z,B{account}{item:05},INV-{item:06},ORIG CO NAME:ACME CORPORATION ORIG ID:1234567890 DESC DATE:240115 CO ENTRY DESCR:PAYMENT SEC:CCD TRACE#:091000019{item:07}").unwrap();
                    writeln!(
                        out,
                        "88,RMR*IV*INV-{item:06}*PI*{amount}\\ IND NAME:ACME CORP"
                    )
                    .unwrap();
                    records += 2;
                }
                1 => {
                    writeln!(out, "16,195,{amount},V,240115,1200,W{account}{item:05},REF{item},ORG=GLOBEX LTD OBI=INVOICE {item} BNF=SETTLE INC/").unwrap();
                    records += 1;
                }
                _ => {
                    writeln!(
                        out,
                        "16,475,{amount},0,C{account}{item:05},{item:08},CHECK PAID/"
                    )
                    .unwrap();
                    records += 1;
                }
            }
        }
        records += 1;
        writeln!(out, "49,{total},{records}/").unwrap();
        group_total += total;
        group_records += records;
    }
    group_records += 1;
    writeln!(out, "98,{group_total},{accounts},{group_records}/").unwrap();
    writeln!(out, "99,{group_total},1,{}/", group_records + 2).unwrap();
    out.into_bytes()
}

/// Messages of 200 lines each, half German structured `:86:`, half Dutch slash-keyed, with
/// balances that add up.
pub fn generate_mt940() -> Vec<u8> {
    let mut out = String::with_capacity(TARGET_BYTES + 4096);
    let mut message = 0u64;
    while out.len() < TARGET_BYTES {
        message += 1;
        let mut balance = 1_000_000i64;
        write!(out, "{{1:F01BANKDEFFAXXX0000000000}}{{2:I940BANKDEFFXXXXN}}{{4:\r\n:20:STMT{message}\r\n:25:DE02120300000000202051\r\n:28C:{message}/1\r\n:60F:C240115EUR{},{:02}\r\n", balance / 100, balance % 100).unwrap();
        for item in 0..200i64 {
            let amount = 100 + item * 37 % 50_000;
            let credit = item % 4 != 3;
            balance += if credit { amount } else { -amount };
            let mark = if credit { "C" } else { "D" };
            write!(
                out,
                ":61:2401150115{mark}{},{:02}NTRFREF{item}//B{message}X{item}\r\n",
                amount / 100,
                amount % 100
            )
            .unwrap();
            if item % 2 == 0 {
                write!(out, ":86:166?00SEPA-GUTSCHRIFT?109310?20EREF+E2E-{message}-{item}?21SVWZ+RE 2024-{item:05} KUNDE 4711\r\n?22 DANKE?30COBADEFFXXX?31DE89370400440532013000\r\n?32ACME GMBH?33NIEDERLASSUNG SUED\r\n").unwrap();
            } else {
                write!(out, ":86:/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/ACME BV\r\n/REMI/USTD//FACTUUR 2024-{item:05}/EREF/E2E{message}{item}\r\n").unwrap();
            }
        }
        let sign = if balance < 0 { "D" } else { "C" };
        write!(
            out,
            ":62F:{sign}240115EUR{},{:02}\r\n-}}\r\n",
            balance.abs() / 100,
            balance.abs() % 100
        )
        .unwrap();
    }
    out.into_bytes()
}

/// How many entries the generated camt.053 has: about 50 MB.
pub const CAMT053_ENTRIES: usize = 49_000;

/// One camt.053 statement (version 08) of `entries` booked single-transaction credits, each with
/// its references, debtor, debtor agent, unstructured and structured remittance; balances add
/// up, so a strict read accepts it.
pub fn generate_camt053(entries: usize) -> String {
    generate_camt053_statements(entries, entries.max(1))
}

/// The same entries as [`generate_camt053`], in statements of `per_statement` entries, each with
/// its own balances (`generate_camt053(n)` is `generate_camt053_statements(n, n)`).
pub fn generate_camt053_statements(entries: usize, per_statement: usize) -> String {
    let mut xml = String::with_capacity(entries * 1_300);
    xml.push_str(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>PERF</MsgId><CreDtTm>2024-05-01T10:00:00</CreDtTm></GrpHdr>
"#,
    );
    let mut opening: i64 = 0;
    let mut first = 0;
    let mut statement = 0;
    while first < entries || statement == 0 {
        statement += 1;
        if statement > 1 {
            xml.push('\n');
        }
        let last = entries.min(first + per_statement.max(1));
        writeln!(xml, r#"<Stmt><Id>PERF-{statement}</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-01</Dt></Dt></Bal>"#, opening / 100, opening % 100).unwrap();
        let mut total = opening;
        let mut entries_xml = String::new();
        for index in first..last {
            let cents = 1_000 + (index as i64 % 97_000);
            total += cents;
            writeln!(entries_xml, r#"<Ntry><NtryRef>{index}</NtryRef><Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2024-05-01</Dt></BookgDt><ValDt><Dt>2024-05-01</Dt></ValDt><AcctSvcrRef>BANKREF{index:010}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><InstrId>INSTR{index}</InstrId><EndToEndId>E2E-{index}</EndToEndId><TxId>TX{index}</TxId></Refs>
<Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Pty><Nm>Customer Number {index} GmbH</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct></RltdPties>
<RltdAgts><DbtrAgt><FinInstnId><BICFI>BYLADEM1001</BICFI></FinInstnId></DbtrAgt></RltdAgts>
<RmtInf><Ustrd>Invoice INV-{index} and INV-{} thank you</Ustrd><Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-{index}</Nb><RltdDt>2024-04-01</RltdDt></RfrdDocInf>
<RfrdDocAmt><RmtdAmt Ccy="EUR">{}.{:02}</RmtdAmt></RfrdDocAmt></Strd></RmtInf></TxDtls></NtryDtls></Ntry>"#, cents / 100, cents % 100, cents / 100, cents % 100, index + 1, cents / 100, cents % 100).unwrap();
        }
        writeln!(xml, r#"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-05-01</Dt></Dt></Bal>"#, total / 100, total % 100).unwrap();
        xml.push_str(&entries_xml);
        xml.push_str("</Stmt>");
        opening = total;
        first = last;
    }
    xml.push_str("</BkToCstmrStmt></Document>\n");
    xml
}
