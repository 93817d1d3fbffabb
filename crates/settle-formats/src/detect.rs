//! Which format a file is in, from its first bytes, never from its name.
//!
//! CSV is never guessed: a bank CSV needs its column map (see [`crate::csv`]).

use crate::statement::Format;
use crate::text;

/// How far into a file the sniffing looks: enough for an XML prolog and a SWIFT envelope.
const SNIFF_BYTES: usize = 4096;

/// The format of a bank file, or `None` when it is none that Settle can detect.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let head = text::strip_bom(bytes);
    let head = head.get(..SNIFF_BYTES).unwrap_or(head);
    let start = head.iter().position(|&b| b > b' ').unwrap_or(head.len());
    let head = head.get(start..).unwrap_or_default();

    if head.starts_with(b"01,") {
        return Some(Format::Bai2);
    }
    if head.starts_with(b"ISA") && head.len() > 3 {
        return Some(Format::X12_820);
    }
    if head.first() == Some(&b'<') {
        return camt_kind(head);
    }
    if is_nacha(head) {
        return Some(Format::Nacha);
    }
    if is_mt940(head) {
        return Some(Format::Mt940);
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// camt by its namespace (`camt.05x`), or, for files without one, by the root's child element.
fn camt_kind(head: &[u8]) -> Option<Format> {
    let by_namespace = [
        (&b"camt.052"[..], Format::Camt052),
        (b"camt.053", Format::Camt053),
        (b"camt.054", Format::Camt054),
    ];
    let by_element = [
        (&b"BkToCstmrAcctRpt"[..], Format::Camt052),
        (b"BkToCstmrStmt", Format::Camt053),
        (b"BkToCstmrDbtCdtNtfctn", Format::Camt054),
    ];
    by_namespace
        .iter()
        .chain(by_element.iter())
        .find(|(marker, _)| contains(head, marker))
        .map(|(_, format)| *format)
}

/// A NACHA file header: record type `1`, priority code `01`, in a record of at most 94
/// characters (real files strip trailing blanks).
fn is_nacha(head: &[u8]) -> bool {
    let first_line = head
        .split(|&b| b == b'\n' || b == b'\r')
        .next()
        .unwrap_or_default();
    first_line.starts_with(b"101") && (40..=94).contains(&first_line.len())
}

/// A SWIFT envelope, or the `:20:` and `:25:` tags of an unwrapped statement (or Rabobank's
/// `:940:` header line).
fn is_mt940(head: &[u8]) -> bool {
    head.starts_with(b"{1:")
        || head.starts_with(b":940:")
        || (contains(head, b":20:") && (contains(head, b":25:") || contains(head, b":60F:")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_format() {
        assert_eq!(
            detect(b"\xEF\xBB\xBF01,A,B,240101,0000,1,,,2/"),
            Some(Format::Bai2)
        );
        assert_eq!(detect(b"\r\n:20:X\r\n:25:Y\r\n"), Some(Format::Mt940));
        assert_eq!(detect(b"{1:F01X}{2:I940X}{4:\n:20:X"), Some(Format::Mt940));
        assert_eq!(
            detect(b"ISA*00*          *00*          *ZZ*A"),
            Some(Format::X12_820)
        );
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">"),
            Some(Format::Camt053)
        );
        assert_eq!(
            detect(b"<Document><BkToCstmrDbtCdtNtfctn>"),
            Some(Format::Camt054)
        );
        let nacha = format!("101 091000019 1234567891807130000A094101{:<53}", "BANK");
        assert_eq!(detect(nacha.as_bytes()), Some(Format::Nacha));
        assert_eq!(detect(b"date;amount\n2024-01-01;1,00"), None);
        assert_eq!(detect(b""), None);
    }
}
