//! The content of one 820 transaction (ST…SE) or of a bare fragment: the payment (BPR, TRN,
//! CUR), the parties (N1), and the open items paid (RMR with its DTM, REF, ADX).

use jiff::civil::Date;
use settle_core::money::SignPolicy;
use settle_core::{Currency, Money};

use super::segments::Segment;
use crate::error::FormatError;
use crate::statement::{Party, ReferenceKind, StructuredReference};

/// What one 820 says about one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remittance {
    /// BPR02: the payment's total.
    pub total: Option<Money>,
    pub currency: Currency,
    /// BPR01 (C payment with remittance, I remittance only, D payment only…).
    pub handling: Option<String>,
    /// BPR04 (ACH, CHK, FWT…) and BPR05 (CCP, CTX…).
    pub method: Option<String>,
    pub payment_format: Option<String>,
    /// BPR16: the payment's effective date.
    pub effective_date: Option<Date>,
    /// TRN02: the reassociation trace that links the advice to the bank credit.
    pub trace: Option<String>,
    /// TRN04: a further reference of the originator.
    pub trace_reference: Option<String>,
    /// N1*PR with BPR07 (its bank) and BPR09 (its account).
    pub payer: Party,
    /// N1*PE, BPR13, BPR15: us, as the payer addressed us.
    pub payee: Party,
    pub references: Vec<StructuredReference>,
    /// NTE text and ADX adjustments, as written.
    pub notes: Vec<String>,
    /// REF and TRN03 identifiers, as (segment and qualifier, value).
    pub other_references: Vec<(String, String)>,
    /// Sum of the ADX adjustments, to reconcile the items with the total.
    pub adjustments_minor: i128,
}

impl Remittance {
    pub(super) fn new(currency: Currency) -> Self {
        Remittance {
            total: None,
            currency,
            handling: None,
            method: None,
            payment_format: None,
            effective_date: None,
            trace: None,
            trace_reference: None,
            payer: Party::default(),
            payee: Party::default(),
            references: Vec::new(),
            notes: Vec::new(),
            other_references: Vec::new(),
            adjustments_minor: 0,
        }
    }

    /// The sum of the items' paid amounts, when every item states one.
    pub fn items_paid_minor(&self) -> Option<i128> {
        self.references
            .iter()
            .map(|reference| reference.paid.map(|paid| i128::from(paid.minor())))
            .sum()
    }
}

/// Reads segments into a remittance. BPR amounts are read once the currency is known (CUR
/// follows BPR), so amounts are kept as text until [`RemittanceBuilder::finish`].
pub(super) struct RemittanceBuilder<'a> {
    remittance: Remittance,
    total_text: Option<&'a Segment<'a>>,
    /// Which N1 loop we are in (PR payer, PE payee, other).
    party: Option<Vec<u8>>,
    /// The RMR the following DTM/REF/ADX belong to, as (index in references, segment).
    items: Vec<PendingItem<'a>>,
    in_item: bool,
}

struct PendingItem<'a> {
    rmr: &'a Segment<'a>,
    date: Option<Date>,
}

impl<'a> RemittanceBuilder<'a> {
    pub fn new(default_currency: Currency) -> Self {
        RemittanceBuilder {
            remittance: Remittance::new(default_currency),
            total_text: None,
            party: None,
            items: Vec::new(),
            in_item: false,
        }
    }

    /// Takes one segment of the transaction body; envelope segments are the caller's.
    pub fn segment(&mut self, segment: &'a Segment<'a>) -> Result<(), FormatError> {
        let r = &mut self.remittance;
        match segment.id {
            b"BPR" => {
                r.handling = segment.text(1);
                self.total_text = Some(segment);
                r.method = segment.text(4);
                r.payment_format = segment.text(5);
                r.payer.bank_id = segment.text(7);
                r.payer.account = segment.text(9);
                r.payee.bank_id = segment.text(13);
                r.payee.account = segment.text(15);
                if !segment.element(16).is_empty() {
                    r.effective_date = Some(date(segment, 16)?);
                }
            }
            b"TRN" => {
                r.trace = segment.text(2);
                r.trace_reference = segment.text(4);
                if let Some(originator) = segment.text(3) {
                    r.other_references.push(("TRN03".into(), originator));
                }
            }
            b"CUR" => {
                if let Some(code) = segment.text(2) {
                    r.currency = Currency::from_code(code.trim())
                        .map_err(|error| segment.error(2, error.to_string()))?;
                }
            }
            b"N1" => {
                self.in_item = false;
                let qualifier = segment.element(1).to_vec();
                let party = match qualifier.as_slice() {
                    b"PR" => Some(&mut r.payer),
                    b"PE" => Some(&mut r.payee),
                    _ => None,
                };
                if let Some(party) = party {
                    party.name = segment.text(2);
                    party.id = segment.text(4).or(party.id.take());
                }
                self.party = Some(qualifier);
            }
            b"ENT" => {
                self.in_item = false;
                self.party = None;
            }
            b"RMR" => {
                self.items.push(PendingItem {
                    rmr: segment,
                    date: None,
                });
                self.in_item = true;
            }
            b"DTM" if self.in_item => {
                // DTM*003 is the invoice date of the item just read.
                if segment.element(1) == b"003"
                    && let Some(item) = self.items.last_mut()
                {
                    item.date = Some(date(segment, 2)?);
                }
            }
            b"REF" => {
                if let (Some(qualifier), Some(value)) = (segment.text(1), segment.text(2)) {
                    r.other_references.push((format!("REF*{qualifier}"), value));
                }
            }
            b"ADX" => {
                let amount = self.amount(segment, 1, SignPolicy::Signed)?;
                if let Some(amount) = amount {
                    self.remittance.adjustments_minor += i128::from(amount.minor());
                }
                let reason = segment.text(2).unwrap_or_default();
                let shown = amount
                    .map(|amount| amount.to_decimal_string())
                    .unwrap_or_default();
                self.remittance
                    .notes
                    .push(format!("ADX {shown} {reason}").trim_end().to_string());
            }
            b"NTE" => {
                if let Some(note) = segment.text(2) {
                    r.notes.push(note);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn amount(
        &self,
        segment: &Segment<'_>,
        element: usize,
        sign: SignPolicy,
    ) -> Result<Option<Money>, FormatError> {
        let raw = segment.element(element);
        if raw.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(raw)
            .map_err(|_| segment.error(element, "an amount must be ASCII digits"))?;
        let exact = drop_redundant_zeros(text, self.remittance.currency.exponent());
        Money::parse(exact, self.remittance.currency, sign)
            .map(Some)
            .map_err(|error| segment.error(element, error.to_string()))
    }

    pub fn finish(mut self) -> Result<Remittance, FormatError> {
        if let Some(bpr) = self.total_text {
            self.remittance.total = self.amount(bpr, 2, SignPolicy::Unsigned)?;
        }
        let items = std::mem::take(&mut self.items);
        for item in items {
            let rmr = item.rmr;
            let Some(reference) = rmr.text(2) else {
                continue;
            };
            let kind = match rmr.element(1) {
                b"IV" | b"IK" | b"OI" => ReferenceKind::Invoice,
                b"PO" => ReferenceKind::PurchaseOrder,
                b"CR" | b"CM" => ReferenceKind::CreditNote,
                b"DM" => ReferenceKind::DebitNote,
                _ => ReferenceKind::Other,
            };
            let reference = StructuredReference {
                kind,
                reference,
                paid: self.amount(rmr, 4, SignPolicy::Signed)?,
                document_amount: self.amount(rmr, 5, SignPolicy::Signed)?,
                discount: self.amount(rmr, 6, SignPolicy::Signed)?,
                date: item.date,
            };
            self.remittance.references.push(reference);
        }
        Ok(self.remittance)
    }
}

fn drop_redundant_zeros(text: &str, exponent: u8) -> &str {
    let text = text.trim();
    let Some((_, fraction)) = text.split_once('.') else {
        return text;
    };
    let redundant = fraction
        .bytes()
        .rev()
        .take_while(|&b| b == b'0')
        .count()
        .min(fraction.len().saturating_sub(usize::from(exponent)));
    let shortened = text.get(..text.len() - redundant).unwrap_or(text);
    shortened.strip_suffix('.').unwrap_or(shortened)
}

/// A CCYYMMDD date element.
pub(super) fn date(segment: &Segment<'_>, element: usize) -> Result<Date, FormatError> {
    let raw = segment.element(element);
    let bad = || {
        segment.error(
            element,
            format!("{:?} is not a CCYYMMDD date", String::from_utf8_lossy(raw)),
        )
    };
    if raw.len() != 8 || !raw.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| {
        raw.get(range)
            .unwrap_or_default()
            .iter()
            .fold(0i16, |acc, digit| acc * 10 + i16::from(digit - b'0'))
    };
    let month = i8::try_from(number(4..6)).map_err(|_| bad())?;
    let day = i8::try_from(number(6..8)).map_err(|_| bad())?;
    Date::new(number(0..4), month, day).map_err(|_| bad())
}

/// An ISA09 YYMMDD date (the interchange date), read in this century.
pub(super) fn yymmdd(raw: &[u8]) -> Option<Date> {
    if raw.len() != 6 || !raw.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let pair = |at: usize| -> i16 {
        raw.get(at..at + 2)
            .unwrap_or_default()
            .iter()
            .fold(0i16, |acc, digit| acc * 10 + i16::from(digit - b'0'))
    };
    Date::new(
        2000 + pair(0),
        i8::try_from(pair(2)).ok()?,
        i8::try_from(pair(4)).ok()?,
    )
    .ok()
}
