//! `:86:` information to the account owner: the layouts banks use for payer and remittance.
//!
//! Three generic decoders, chosen by the text's shape:
//! * German DK structured: `GVC?00booking text?20…?29 purpose?30 bank?31 account?32?33 name`,
//!   with SEPA keywords (`EREF+`, `KREF+`, `SVWZ+`, `ABWA+`…) opening purpose sections;
//! * slash-keyed (Dutch banks and others): `/NAME/…/IBAN/…/REMI/…/EREF/…`;
//! * free text, where lines that start with `NAME:`-style keys are picked out.
//!
//! SWIFT wraps `:86:` at 65 characters wherever it falls, so the structured layouts join their
//! lines with nothing between them; free text joins them with a space.

use crate::statement::{Party, ReferenceKind, StructuredReference};
use crate::text;

#[derive(Debug, Default)]
pub(crate) struct Info {
    /// The German business transaction code (Geschäftsvorfallcode), e.g. 166.
    pub(crate) gvc: Option<Gvc>,
    pub(crate) payer: Party,
    pub(crate) ultimate_payer: Option<Party>,
    pub(crate) end_to_end_id: Option<String>,
    pub(crate) customer_reference: Option<String>,
    pub(crate) remittance: Vec<String>,
    pub(crate) references: Vec<StructuredReference>,
    pub(crate) return_reason: Option<String>,
}

/// Buffers the decoders reuse from one `:86:` to the next.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// The lines joined without separators.
    joined: Vec<u8>,
    /// The text of the German purpose section being read.
    section: Vec<u8>,
    /// The German payer name (`?32` and `?33`).
    name: Vec<u8>,
}

/// The three characters of a business transaction code, kept inline: the code only goes into
/// the line's type code, and a `String` for it cost an allocation on every German line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gvc {
    /// UTF-8: up to three characters of up to three bytes each (Windows-1252 decoded).
    bytes: [u8; 9],
    len: u8,
}

impl Gvc {
    /// The code as [`text::non_empty`] would read it; `None` when only blanks.
    fn new(raw: &[u8]) -> Option<Gvc> {
        let trimmed = text::trim(raw);
        // At most three bytes in, so at most nine out.
        if trimmed.is_empty() || trimmed.len() > 3 {
            return None;
        }
        let mut code = Gvc {
            bytes: [0; 9],
            len: 0,
        };
        let mut push = |c: char| {
            let at = usize::from(code.len);
            if let Some(slot) = code.bytes.get_mut(at..at + c.len_utf8()) {
                c.encode_utf8(slot);
                code.len += c.len_utf8() as u8;
            }
        };
        match std::str::from_utf8(trimmed) {
            Ok(valid) => valid.chars().for_each(&mut push),
            Err(_) => trimmed.iter().for_each(|&b| push(text::windows_1252(b))),
        }
        Some(code)
    }
}

impl std::ops::Deref for Gvc {
    type Target = str;

    fn deref(&self) -> &str {
        self.bytes
            .get(..usize::from(self.len))
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }
}

/// Decodes `:86:` lines, with a description of what was broken in a structured layout (a `?`
/// that opens no subfield is then read as text) for the caller to report.
pub(crate) fn decode<'l>(
    lines: impl Iterator<Item = &'l [u8]> + Clone,
    scratch: &mut Scratch,
) -> (Info, Option<String>) {
    let Scratch {
        joined,
        section,
        name,
    } = scratch;
    joined.clear();
    for line in lines.clone() {
        joined.extend_from_slice(line);
    }
    if is_german_structured(joined) {
        german(joined, section, name)
    } else if is_slash_keyed(joined) {
        (slash_keyed(joined), None)
    } else {
        (free_text(lines), None)
    }
}

fn is_german_structured(text: &[u8]) -> bool {
    matches!(text, [a, b, c, b'?', ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit())
}

fn is_slash_keyed(text: &[u8]) -> bool {
    text.first() == Some(&b'/') && slash_key_at(text, 0).is_some()
}

fn non_empty(value: &[u8]) -> Option<String> {
    text::non_empty(value)
}

/// Whether a (trimmed) value is a placeholder for no reference. Checked on the bytes, before
/// anything is decoded: only ASCII can match.
fn is_placeholder(value: &[u8]) -> bool {
    value.eq_ignore_ascii_case(b"NOTPROVIDED") || value.eq_ignore_ascii_case(b"NONREF")
}

/// SEPA keywords that open a section of the German purpose text.
const SEPA_KEYWORDS: &[&[u8]] = &[
    b"EREF", b"KREF", b"MREF", b"CRED", b"DEBT", b"SVWZ", b"ABWA", b"ABWE", b"IBAN", b"BIC",
    b"COAM", b"OAMT",
];

/// `?NN` subfields in order. A `?` that is not followed by two digits stays in the text of the
/// subfield it stands in (or opens a subfield 0 when none has opened yet), and the first such
/// `?` is described in `problem`. Each value is a slice of the text: a stray `?` is inside it.
struct Subfields<'t> {
    /// The text after the `?` that opens the next subfield; `None` when all are read.
    rest: Option<&'t [u8]>,
    problem: Option<String>,
}

impl<'t> Subfields<'t> {
    /// Subfields of the text after the three-digit code, which starts with `?`.
    fn new(after_code: &'t [u8]) -> Self {
        Subfields {
            rest: after_code.get(1..),
            problem: None,
        }
    }

    fn number_at(text: &[u8]) -> Option<i8> {
        text.get(..2).and_then(text::two_digits)
    }

    /// Notes a `?` whose piece (the text up to the next `?`) opens no subfield.
    fn stray(&mut self, after_question_mark: &[u8]) {
        self.problem.get_or_insert_with(|| {
            let piece_end =
                memchr::memchr(b'?', after_question_mark).unwrap_or(after_question_mark.len());
            let piece = after_question_mark.get(..piece_end).unwrap_or_default();
            format!(
                "'?' must open a subfield with two digits, found {:?}",
                text::excerpt(piece)
            )
        });
    }
}

impl<'t> Iterator for Subfields<'t> {
    type Item = (i8, &'t [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest.take()?;
        let (number, value_start) = match Self::number_at(rest) {
            Some(number) => (number, 2),
            None => {
                self.stray(rest);
                (0, 0)
            }
        };
        let mut from = value_start;
        while let Some(offset) = memchr::memchr(b'?', rest.get(from..).unwrap_or_default()) {
            let question_mark = from + offset;
            let after = rest.get(question_mark + 1..).unwrap_or_default();
            if Self::number_at(after).is_some() {
                self.rest = Some(after);
                return Some((number, rest.get(value_start..question_mark)?));
            }
            self.stray(after);
            from = question_mark + 1;
        }
        Some((number, rest.get(value_start..).unwrap_or_default()))
    }
}

/// The SEPA keyword that opens a purpose subfield (`EREF+…`), if any.
fn sepa_keyword(value: &[u8]) -> Option<&'static [u8]> {
    SEPA_KEYWORDS
        .iter()
        .find(|k| value.starts_with(k) && value.get(k.len()) == Some(&b'+'))
        .copied()
}

fn german(joined: &[u8], section: &mut Vec<u8>, name: &mut Vec<u8>) -> (Info, Option<String>) {
    let mut info = Info {
        gvc: Gvc::new(joined.get(..3).unwrap_or_default()),
        ..Info::default()
    };
    // A purpose section runs from its keyword across the subfields that follow without one;
    // text before the first keyword is a section of its own (keyword "").
    let mut keyword: Option<&'static [u8]> = None;
    section.clear();
    name.clear();
    let mut subfields = Subfields::new(joined.get(3..).unwrap_or_default());
    for (number, value) in subfields.by_ref() {
        match number {
            20..=29 | 60..=63 => match sepa_keyword(value) {
                Some(opened) => {
                    if let Some(done) = keyword {
                        purpose_section(done, section, &mut info);
                    }
                    keyword = Some(opened);
                    section.clear();
                    section.extend_from_slice(value.get(opened.len() + 1..).unwrap_or_default());
                }
                None => {
                    keyword.get_or_insert(b"");
                    section.extend_from_slice(value);
                }
            },
            30 => info.payer.bank_id = non_empty(value),
            31 => info.payer.account = non_empty(value),
            32 | 33 => name.extend_from_slice(value),
            _ => {}
        }
    }
    if let Some(done) = keyword {
        purpose_section(done, section, &mut info);
    }
    info.payer.name = non_empty(name);
    (info, subfields.problem)
}

/// Keeps what a finished purpose section says; sections are read in order, so a later one of
/// the same keyword wins, as the bank's last word.
fn purpose_section(keyword: &[u8], value: &[u8], info: &mut Info) {
    let value = text::trim(value);
    if value.is_empty() {
        return;
    }
    match keyword {
        b"EREF" if !is_placeholder(value) => info.end_to_end_id = Some(text::decode(value)),
        b"KREF" if !is_placeholder(value) => info.customer_reference = Some(text::decode(value)),
        b"SVWZ" | b"" => info.remittance.push(text::decode(value)),
        b"ABWA" => {
            info.ultimate_payer = Some(Party {
                name: Some(text::decode(value)),
                ..Party::default()
            })
        }
        _ => {}
    }
}

/// Top-level keys of the slash-keyed layout. Sub-keys (`USTD`, `STRD`, `CUR`, `ISSR`) stay
/// inside their key's value. Kept as arrays by length, so that looking a key up compares
/// integers rather than calling `memcmp` for every key (a Dutch `:86:` has a dozen slashes).
static SLASH_KEYS_4: [[u8; 4]; 25] = [
    *b"TRTP", *b"IBAN", *b"NAME", *b"REMI", *b"EREF", *b"ORDP", *b"BENM", *b"CNTP", *b"MARF",
    *b"CSID", *b"PREF", *b"RTRN", *b"ISDT", *b"ADDR", *b"ACCW", *b"PURP", *b"ULTC", *b"ULTD",
    *b"ULTB", *b"BUSP", *b"SVCL", *b"CHGS", *b"OCMT", *b"EXCH", *b"TRCD",
];
static SLASH_KEYS_3: [[u8; 3]; 2] = [*b"BIC", *b"SUM"];

fn known_slash_key(candidate: &[u8]) -> Option<&'static [u8]> {
    if let Ok(candidate) = <[u8; 4]>::try_from(candidate) {
        SLASH_KEYS_4
            .iter()
            .find(|key| **key == candidate)
            .map(|key| key.as_slice())
    } else if let Ok(candidate) = <[u8; 3]>::try_from(candidate) {
        SLASH_KEYS_3
            .iter()
            .find(|key| **key == candidate)
            .map(|key| key.as_slice())
    } else {
        None
    }
}

/// The key at `slash` (`/KEY/`), with the index after its closing slash.
fn slash_key_at(text: &[u8], slash: usize) -> Option<(&'static [u8], usize)> {
    let after = text.get(slash + 1..)?;
    // No key holds a `/`, so the key, if any, is exactly the text up to the next `/`.
    let window = after.get(..after.len().min(5)).unwrap_or_default();
    let end = window.iter().position(|&b| b == b'/')?;
    let key = known_slash_key(window.get(..end)?)?;
    Some((key, slash + 1 + end + 1))
}

/// `/KEY/value` pairs in order. A `/` that opens no known key stays in the value.
struct SlashPairs<'t> {
    text: &'t [u8],
    /// Where to look for the next `/`.
    index: usize,
    /// The key being read, with where its value starts.
    current: Option<(&'static [u8], usize)>,
}

impl<'t> SlashPairs<'t> {
    fn new(text: &'t [u8]) -> Self {
        SlashPairs {
            text,
            index: 0,
            current: None,
        }
    }
}

impl<'t> Iterator for SlashPairs<'t> {
    type Item = (&'static [u8], &'t [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let text = self.text;
        while let Some(offset) = memchr::memchr(b'/', text.get(self.index..).unwrap_or_default()) {
            let slash = self.index + offset;
            if let Some((key, value_start)) = slash_key_at(text, slash) {
                self.index = value_start;
                if let Some((previous, start)) = self.current.replace((key, value_start)) {
                    return Some((previous, text.get(start..slash).unwrap_or_default()));
                }
            } else {
                self.index = slash + 1;
            }
        }
        self.index = text.len();
        let (key, start) = self.current.take()?;
        Some((key, text.get(start..).unwrap_or_default()))
    }
}

fn slash_keyed(joined: &[u8]) -> Info {
    let mut info = Info::default();
    for (key, value) in SlashPairs::new(joined) {
        let value = trim_slashes(value);
        match key {
            b"NAME" if info.payer.name.is_none() => info.payer.name = non_empty(value),
            b"IBAN" if info.payer.account.is_none() => info.payer.account = non_empty(value),
            b"BIC" if info.payer.bank_id.is_none() => info.payer.bank_id = non_empty(value),
            b"EREF" => {
                let value = text::trim(value);
                info.end_to_end_id = (!is_placeholder(value)).then(|| non_empty(value)).flatten();
            }
            b"RTRN" => info.return_reason = non_empty(value),
            b"ULTD" => {
                let name = value.split(|&b| b == b'/').next().unwrap_or_default();
                info.ultimate_payer = non_empty(name).map(|name| Party {
                    name: Some(name),
                    ..Party::default()
                });
            }
            b"CNTP" => {
                // Positional: account/BIC/name/city.
                let mut parts = value.split(|&b| b == b'/');
                let account = parts.next().and_then(non_empty);
                let bank = parts.next().and_then(non_empty);
                let name = parts.next().and_then(non_empty);
                info.payer.account = info.payer.account.take().or(account);
                info.payer.bank_id = info.payer.bank_id.take().or(bank);
                info.payer.name = info.payer.name.take().or(name);
            }
            b"ACCW" => {
                let mut parts = value.split(|&b| b == b',');
                info.payer.account = info
                    .payer
                    .account
                    .take()
                    .or_else(|| parts.next().and_then(non_empty));
                info.payer.bank_id = info
                    .payer
                    .bank_id
                    .take()
                    .or_else(|| parts.next().and_then(non_empty));
            }
            b"REMI" => remittance_info(value, &mut info),
            _ => {}
        }
    }
    info
}

/// `/REMI/` holds free text, `USTD//free text`, or `STRD/CUR/creditor reference`.
fn remittance_info(value: &[u8], info: &mut Info) {
    if let Some(structured) = value.strip_prefix(b"STRD/") {
        let reference = structured
            .rsplit(|&b| b == b'/')
            .find(|part| !text::trim(part).is_empty())
            .unwrap_or_default();
        if let Some(reference) = non_empty(reference) {
            info.references.push(StructuredReference {
                kind: ReferenceKind::CreditorReference,
                reference,
                paid: None,
                document_amount: None,
                discount: None,
                date: None,
            });
        }
        return;
    }
    let free = value
        .strip_prefix(b"USTD//")
        .or_else(|| value.strip_prefix(b"USTD/"))
        .unwrap_or(value);
    if let Some(text) = non_empty(trim_slashes(free)) {
        info.remittance.push(text);
    }
}

fn trim_slashes(value: &[u8]) -> &[u8] {
    let value = text::trim(value);
    let end = value
        .iter()
        .rposition(|&b| b != b'/')
        .map_or(0, |last| last + 1);
    value.get(..end).unwrap_or_default()
}

/// Free text: lines that open with a known key give the payer's fields; the rest is the
/// remittance, its lines joined with a space.
pub(crate) fn free_text<'l>(lines: impl Iterator<Item = &'l [u8]>) -> Info {
    let mut info = Info::default();
    let mut remaining = String::new();
    for line in lines {
        let line = text::trim(line);
        if line.is_empty() {
            continue;
        }
        let keyed = memchr::memchr(b':', line).and_then(|colon| {
            let key = text::trim(line.get(..colon)?);
            let value = line.get(colon + 1..)?;
            Some((key, value))
        });
        let taken = match keyed {
            Some((b"NAAM" | b"NAME" | b"NAMN" | b"NOM", value)) if info.payer.name.is_none() => {
                info.payer.name = non_empty(value);
                true
            }
            Some((b"IBAN", value)) if info.payer.account.is_none() => {
                info.payer.account = non_empty(value);
                true
            }
            Some((b"BIC", value)) if info.payer.bank_id.is_none() => {
                info.payer.bank_id = non_empty(value);
                true
            }
            Some((b"EREF" | b"KENMERK", value)) if info.end_to_end_id.is_none() => {
                let value = text::trim(value);
                info.end_to_end_id = (!is_placeholder(value)).then(|| non_empty(value)).flatten();
                true
            }
            _ => false,
        };
        if !taken {
            // A decoded line is never empty, so an empty text means this is the first.
            if !remaining.is_empty() {
                remaining.push(' ');
            }
            text::decode_into(&mut remaining, line);
        }
    }
    if !remaining.is_empty() {
        info.remittance.push(remaining);
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> (Info, Option<String>) {
        super::decode(text.lines().map(str::as_bytes), &mut Scratch::default())
    }

    #[test]
    fn german_subfields_with_sepa_keywords() {
        let info = decode(
            "166?00GUTSCHRIFT?100004772?20EREF+SCP 100 / 0082002528?21SVWZ+D 8\n\
             03020001000145464 +?221000145463 XXXXXXX,XXXXXX?30OLBODEH2XXX?31D\n\
             E59280200501000000000?32EWE VERTRIEB GmbH?35EWE VERTRIEB powerclo\n\
             ud",
        )
        .0;
        assert_eq!(info.gvc.as_deref(), Some("166"));
        assert_eq!(info.end_to_end_id.as_deref(), Some("SCP 100 / 0082002528"));
        assert_eq!(
            info.remittance,
            vec!["D 803020001000145464 +1000145463 XXXXXXX,XXXXXX"]
        );
        assert_eq!(info.payer.bank_id.as_deref(), Some("OLBODEH2XXX"));
        assert_eq!(
            info.payer.account.as_deref(),
            Some("DE59280200501000000000")
        );
        assert_eq!(info.payer.name.as_deref(), Some("EWE VERTRIEB GmbH"));
    }

    #[test]
    fn german_ultimate_payer_and_broken_subfield() {
        let info = decode(
            "106?00KARTENZAHLUNG?20SVWZ+Apple Pay?21 DATUM 19.?22ABWA+Aral Tankstelle?32ARAL AG",
        )
        .0;
        assert_eq!(info.remittance, vec!["Apple Pay DATUM 19."]);
        assert_eq!(
            info.ultimate_payer.and_then(|p| p.name).as_deref(),
            Some("Aral Tankstelle")
        );
        let (info, problem) = decode("105?20SVWZ+Steuer?21 2017?Q1?32Finanzamt?");
        assert!(problem.is_some());
        assert_eq!(info.remittance, vec!["Steuer 2017?Q1"]);
        assert_eq!(info.payer.name.as_deref(), Some("Finanzamt?"));
    }

    #[test]
    fn slash_keys() {
        let info = decode(
            "/TRTP/SEPA OVERBOEKING/IBAN/NL51ABNA0393939393/BIC/ABNANL2AXXX\n\
             /NAME/ABSCS/REMI/USTD//INV 2024-001 AND 2024-002/EREF/NOTPROVIDED",
        )
        .0;
        assert_eq!(info.payer.account.as_deref(), Some("NL51ABNA0393939393"));
        assert_eq!(info.payer.bank_id.as_deref(), Some("ABNANL2AXXX"));
        assert_eq!(info.payer.name.as_deref(), Some("ABSCS"));
        assert_eq!(info.remittance, vec!["INV 2024-001 AND 2024-002"]);
        assert_eq!(info.end_to_end_id, None);

        let info = decode(
            "/CNTP/NL12RABO0123456789/RABONL2U/J JANSEN/UTRECHT/REMI/STRD/CUR/1234567890123456/",
        )
        .0;
        assert_eq!(info.payer.name.as_deref(), Some("J JANSEN"));
        assert_eq!(info.references[0].reference, "1234567890123456");
    }

    #[test]
    fn free_text_with_keys() {
        let info = decode("TUINDORP 13-07-2015 16:30 PAS: 2222\nNAAM: BLOEMIST").0;
        assert_eq!(info.payer.name.as_deref(), Some("BLOEMIST"));
        assert_eq!(info.remittance, vec!["TUINDORP 13-07-2015 16:30 PAS: 2222"]);
    }
}
