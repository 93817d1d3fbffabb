//! The payer and the remittance in a `16` record's free text, for the keyed layouts banks use.
//!
//! BAI2 has no payer fields: each bank prints what it has into the text, as `KEY:value`,
//! `KEY:=value` or `KEY=value`, keys separated from the previous value by a blank. The layouts
//! read here:
//! * US ACH, as banks print the NACHA batch and entry: `ORIG CO NAME:` (the payer),
//!   `ORIG ID:` (the payer's company id), `DESC DATE:`, `CO ENTRY DESCR:`, `SEC:`, `TRACE#:`,
//!   `EED:`, `IND ID:`, `IND NAME:` (the name on the entry; the payer when nothing better is
//!   given), `ADDENDA:`/`REMARK:` (payment-related information);
//! * US wires (Fedwire tags as banks print them): `ORG` originator (`/account name` or a
//!   name), `OBI` originator-to-beneficiary information (usually invoice numbers), `BNF`,
//!   `OGB`, `BBI`, `SNDR REF`, `IMAD`, `OMAD`…;
//! * UK (Citi-style): `FR:` from, `PY:` the payer's reference, `BO:`/`BO1:` by order of
//!   (account, name), `TRID:`, `ENDT:`, `BI:`, `OB:`…
//!
//! A value runs to the next known key, so values may hold blanks, colons and slashes. Unknown
//! keys stay inside the value before them: a key is only what this table knows.

/// What a key's value is for the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    /// The payer's name, with its precedence (lower wins) among the keys that name the payer.
    PayerName(u8),
    PayerId,
    PayerAccount,
    /// A wire's originator: `/account name`, or a name.
    Originator,
    Remittance,
    /// Known, so that it ends the value before it, and not kept.
    Other,
}

/// The precedence of the keys that name the payer: the originating company of an ACH entry,
/// then a wire's originator, the UK by-order-of name, the UK from field, and the name on an
/// ACH entry (which for a credit we receive can be our own name as the payer wrote it).
const ORIG_CO_NAME: Meaning = Meaning::PayerName(0);
const ORIGINATOR_NAME: u8 = 1;
const BY_ORDER_NAME: Meaning = Meaning::PayerName(2);
const FROM: Meaning = Meaning::PayerName(3);
const IND_NAME: Meaning = Meaning::PayerName(4);

/// The payer and remittance found in a text. Empty when the text has no known keys.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TextFields {
    pub(crate) payer_name: Option<String>,
    pub(crate) payer_account: Option<String>,
    pub(crate) payer_id: Option<String>,
    /// Each remittance value (`OBI`, `PY`, `ADDENDA`, `REMARK`) as given.
    pub(crate) remittance: Vec<String>,
}

/// Reads the keyed fields of a 16 record's text (its pieces already joined with blanks).
pub(crate) fn read(text: &str) -> TextFields {
    let mut found = Found::default();
    let bytes = text.as_bytes();
    // The key whose value is being read: its meaning and where the value starts.
    let mut open: Option<(Meaning, usize)> = None;
    // Where the next key may end: past the `=` of a `:=` just read.
    let mut from = 0;
    for separator in memchr::memchr2_iter(b':', b'=', bytes) {
        if separator < from {
            continue;
        }
        from = separator + 1;
        let Some((key_start, meaning)) = key_ending_at(bytes, separator) else {
            continue;
        };
        if let Some((meaning, value_start)) = open {
            found.value(
                meaning,
                text.get(value_start..key_start).unwrap_or_default(),
            );
        }
        // `KEY:=value` writes both separators.
        let value_start = if bytes.get(from) == Some(&b'=') {
            from + 1
        } else {
            from
        };
        open = Some((meaning, value_start));
        from = value_start;
    }
    if let Some((meaning, value_start)) = open {
        found.value(meaning, text.get(value_start..).unwrap_or_default());
    }
    found.into_fields()
}

/// The values kept so far: the payer's as slices of the text, each a `String` once at the end
/// (a better-ranked name may replace a name), the remittance values as they come.
#[derive(Default)]
struct Found<'t> {
    name: Option<(u8, &'t str)>,
    account: Option<&'t str>,
    id: Option<&'t str>,
    remittance: Vec<String>,
}

impl<'t> Found<'t> {
    fn value(&mut self, meaning: Meaning, value: &'t str) {
        let value = value.trim_matches(' ');
        if value.is_empty() {
            return;
        }
        match meaning {
            Meaning::PayerName(rank) => self.name(rank, value),
            Meaning::PayerId => {
                self.id.get_or_insert(value);
            }
            Meaning::PayerAccount => {
                self.account.get_or_insert(value);
            }
            Meaning::Originator => {
                // `/123456789 ACME CORP`: the account, then the name.
                match value.strip_prefix('/') {
                    Some(rest) => {
                        let (account, name) = rest.split_once(' ').unwrap_or((rest, ""));
                        if !account.is_empty() {
                            self.account.get_or_insert(account);
                        }
                        self.name(ORIGINATOR_NAME, name.trim_matches(' '));
                    }
                    None => self.name(ORIGINATOR_NAME, value),
                }
            }
            Meaning::Remittance => self.remittance.push(value.to_owned()),
            Meaning::Other => {}
        }
    }

    fn name(&mut self, rank: u8, name: &'t str) {
        if !name.is_empty() && self.name.is_none_or(|(kept, _)| rank < kept) {
            self.name = Some((rank, name));
        }
    }

    fn into_fields(self) -> TextFields {
        TextFields {
            payer_name: self.name.map(|(_, name)| name.to_owned()),
            payer_account: self.account.map(str::to_owned),
            payer_id: self.id.map(str::to_owned),
            remittance: self.remittance,
        }
    }
}

/// The known key that ends just before the separator at `separator`, with where it starts.
/// A key starts the text or follows a blank. Matched on its last word first, so that a text
/// costs one comparison per `:` or `=`, not one per key.
fn key_ending_at(text: &[u8], separator: usize) -> Option<(usize, Meaning)> {
    let before = text.get(..separator)?;
    let word_start = before
        .iter()
        .rposition(|&b| b == b' ')
        .map_or(0, |blank| blank + 1);
    let word = before.get(word_start..)?;
    let single = |meaning| Some((word_start, meaning));
    // A key of several words: the words before the last one, each with its meaning.
    let qualified = |qualifiers: &[(&[u8], Meaning)]| {
        let head = before.get(..word_start)?;
        qualifiers.iter().find_map(|(qualifier, meaning)| {
            let start = head.len().checked_sub(qualifier.len())?;
            let at_boundary = start == 0 || head.get(start - 1) == Some(&b' ');
            (head.ends_with(qualifier) && at_boundary).then_some((start, *meaning))
        })
    };
    match word {
        b"NAME" => qualified(&[
            (b"ORIG CO ", ORIG_CO_NAME),
            (b"IND ", IND_NAME),
            (b"BNF ", Meaning::Other),
        ]),
        b"ID" => qualified(&[
            (b"ORIG ", Meaning::PayerId),
            (b"IND ", Meaning::Other),
            (b"BNF ", Meaning::Other),
            (b"SENDER ", Meaning::Other),
            (b"REC ", Meaning::Other),
        ]),
        b"DATE" => qualified(&[(b"DESC ", Meaning::Other)]),
        b"DESCR" => qualified(&[(b"CO ENTRY ", Meaning::Other)]),
        b"ADDRESS" => qualified(&[(b"ORG ", Meaning::Other), (b"BNF ", Meaning::Other)]),
        b"FI" => qualified(&[(b"REC ", Meaning::Other)]),
        b"REF" => qualified(&[(b"SNDR ", Meaning::Other)]),
        b"ORG" => single(Meaning::Originator),
        b"OBI" | b"PY" | b"ADDENDA" | b"REMARK" | b"ADDENDA/REMARK" => single(Meaning::Remittance),
        b"FR" => single(FROM),
        b"BO" => single(Meaning::PayerAccount),
        b"BO1" => single(BY_ORDER_NAME),
        b"SEC" | b"TRACE#" | b"EED" | b"OGB" | b"BNF" | b"BBI" | b"IMAD" | b"OMAD" | b"RFB"
        | b"TRID" | b"ENDT" | b"BI" | b"OB" | b"OB1" | b"OB2" | b"OB3" | b"BO2" | b"BO3" => {
            single(Meaning::Other)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ach_credit() {
        let fields = read(
            "ORIG CO NAME:ACME CORPORATION ORIG ID:1234567890 DESC DATE:240115 CO ENTRY \
             DESCR:PAYMENT SEC:CCD TRACE#:091000010000001 EED:240115 IND ID:C-4711 IND \
             NAME:SETTLE INC ADDENDA:RMR*IV*INV-1001*PI*125000\\",
        );
        assert_eq!(fields.payer_name.as_deref(), Some("ACME CORPORATION"));
        assert_eq!(fields.payer_id.as_deref(), Some("1234567890"));
        assert_eq!(fields.payer_account, None);
        assert_eq!(fields.remittance, vec!["RMR*IV*INV-1001*PI*125000\\"]);
    }

    #[test]
    fn individual_name_only_when_no_company() {
        let fields = read("IND ID:0042 IND NAME:JANE DOE");
        assert_eq!(fields.payer_name.as_deref(), Some("JANE DOE"));
        assert_eq!(fields.payer_id, None);
    }

    #[test]
    fn wire_with_originator_account() {
        let fields = read("ORG=/987654321 GLOBEX LTD OBI=INV 2024-17 AND 2024-18 BNF=SETTLE INC");
        assert_eq!(fields.payer_name.as_deref(), Some("GLOBEX LTD"));
        assert_eq!(fields.payer_account.as_deref(), Some("987654321"));
        assert_eq!(fields.remittance, vec!["INV 2024-17 AND 2024-18"]);
    }

    #[test]
    fn wire_with_colon_equals() {
        let fields = read(
            "SENDER ID:=056073573 ORG:=OPTIONS LINK WIRE CLEARING ORG ADDRESS:=1995 SE. 57TH \
             ST. NY, NY 10022 BNF ID:=3300333333 BNF NAME:=YOUR NAME HERE INC REC FI:=SIL VLY \
             BK SCLA OBI:=INVOICE 123456",
        );
        assert_eq!(
            fields.payer_name.as_deref(),
            Some("OPTIONS LINK WIRE CLEARING")
        );
        assert_eq!(fields.remittance, vec!["INVOICE 123456"]);
    }

    #[test]
    fn uk_by_order_of_wins_over_from() {
        let fields = read(concat!(
            "FR:FP SIP INCOMING ENDT:20150715 TRID:RP12312312312312 ",
            "PY:RP1231231231231200                 A1234BC 22/03/66 BI:22222222 ",
            "OB:111111 BUCKINGHAM PALACE OB3:BARCLAYS BANK PLC BO:11111111 BO1:DOE JO",
        ));
        assert_eq!(fields.payer_name.as_deref(), Some("DOE JO"));
        assert_eq!(fields.payer_account.as_deref(), Some("11111111"));
        assert_eq!(
            fields.remittance,
            vec!["RP1231231231231200                 A1234BC 22/03/66"]
        );
        let fields = read("FR:ACME LTD PY:INV 77");
        assert_eq!(fields.payer_name.as_deref(), Some("ACME LTD"));
        assert_eq!(fields.remittance, vec!["INV 77"]);
    }

    #[test]
    fn text_without_known_keys() {
        assert_eq!(read("LOCK BOX NO.68751"), TextFields::default());
        assert_eq!(read("PAID 12:30 REF:X"), TextFields::default());
        // A key glued to the word before it is no key.
        assert_eq!(read("XORIG ID:5"), TextFields::default());
        assert_eq!(read(""), TextFields::default());
        assert_eq!(read("OBI:"), TextFields::default());
    }
}
