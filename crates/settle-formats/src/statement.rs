//! The one statement model every bank and remittance format is read into.
//!
//! A file holds one or more statements (BAI2 groups and accounts, camt `Stmt`/`Rpt`/`Ntfctn`,
//! MT940 messages, NACHA batches, X12 820 transactions). A statement holds lines: one per
//! movement of money that A/R may care about. A bank's batched entry (one camt `Ntry` with
//! several `TxDtls`, a NACHA batch) becomes one line per transaction, each keeping the batch's
//! reference, so that every payment can be matched on its own.

use jiff::civil::Date;
use settle_core::{Currency, Money};

use crate::error::{FormatError, Location};

/// The formats Settle reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Bai2,
    Camt052,
    Camt053,
    Camt054,
    Mt940,
    Nacha,
    X12_820,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Bai2 => "bai2",
            Format::Camt052 => "camt.052",
            Format::Camt053 => "camt.053",
            Format::Camt054 => "camt.054",
            Format::Mt940 => "mt940",
            Format::Nacha => "nacha",
            Format::X12_820 => "x12-820",
            Format::Csv => "csv",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed bank file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFile {
    pub format: Format,
    /// The format's own version where it has one (`camt.053.001.08`, BAI `2`, NACHA `094`).
    pub version: Option<String>,
    /// The file's identifier as the sender gave it (BAI2 file id, camt `GrpHdr/MsgId`,
    /// NACHA file id modifier with creation date, X12 interchange control number).
    pub file_id: Option<String>,
    pub created: Option<Date>,
    pub statements: Vec<Statement>,
    /// Problems the parser tolerated, each placed like an error: totals or balances that do
    /// not agree with the lines, figures it had to ignore. Empty for a clean file. A caller that
    /// wants strictness turns them into a refusal with [`BankFile::strict`].
    pub warnings: Vec<FormatError>,
}

impl BankFile {
    /// The file only if the parser had nothing to tolerate; otherwise its first warning as the
    /// error. "Warn and continue" is the default; this is the opt-in strict mode.
    pub fn strict(self) -> Result<BankFile, FormatError> {
        match self.warnings.into_iter().next() {
            Some(first) => Err(first),
            None => Ok(BankFile {
                warnings: Vec::new(),
                ..self
            }),
        }
    }
}

/// The bank account a statement is about (ours: the account the money arrived in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountRef {
    /// The account number as the bank writes it (IBAN when that is all there is).
    pub number: String,
    pub iban: Option<String>,
    /// The bank: routing number, BIC or sort code, as given.
    pub bank_id: Option<String>,
    pub name: Option<String>,
}

/// A balance on a date. Signed: negative is overdrawn (a debit balance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub amount: Money,
    pub date: Option<Date>,
}

/// One statement: an account over a period, with its balances and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub account: AccountRef,
    pub currency: Currency,
    /// The statement's own id (camt `Stmt/Id`, MT940 `:20:`/`:28C:`, BAI2 group and account).
    pub statement_id: Option<String>,
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    pub opening_balance: Option<Balance>,
    pub closing_balance: Option<Balance>,
    /// The bank's own totals of credits and debits when the file states them (BAI2 summary
    /// codes 100/400, camt `TxsSummry`), to reconcile the lines against.
    pub total_credits: Option<Money>,
    pub total_debits: Option<Money>,
    pub lines: Vec<StatementLine>,
    pub location: Location,
}

/// Which way money moved on our account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Credit,
    Debit,
}

/// What a line is, as far as its format's codes tell. Only customer payments become A/R
/// payments; returns reverse one; the rest stays out of A/R and is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Money in from a customer (lockbox, ACH credit, wire, check deposit, SEPA credit).
    CustomerPayment,
    /// A payment coming back: NSF check, ACH return, a reversed credit.
    Return,
    BankFee,
    Interest,
    /// Between our own accounts, sweeps, cash concentration.
    Transfer,
    /// Money out that is not a return (our own payments, direct debits we owe).
    Disbursement,
    Other,
}

/// Whether a line's money is on the account yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Booked: the money moved (camt `BOOK`, every BAI2/MT940 line, a NACHA live entry).
    Booked,
    /// Announced but not booked (camt `PDNG`): may be matched provisionally, never posted as
    /// cash, and left out of balance checks.
    Pending,
    /// Information only, no money moved by it (camt `INFO`, NACHA prenotes and notifications of
    /// change): listed, never posted.
    Information,
}

/// Somebody on the other side of a line: the payer of a credit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub name: Option<String>,
    /// Their account: IBAN or account number as given.
    pub account: Option<String>,
    /// Their bank: BIC, routing number.
    pub bank_id: Option<String>,
    /// An identifier of the party itself (camt `Id/OrgId`, NACHA individual id, X12 `N1*PR` id).
    pub id: Option<String>,
}

/// What a structured reference refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// A commercial invoice (camt `CINV`, X12 `RMR*IV`).
    Invoice,
    CreditNote,
    DebitNote,
    PurchaseOrder,
    /// A creditor reference (ISO 11649 `RF…`, camt `CdtrRefInf`).
    CreditorReference,
    Other,
}

/// A reference the payer gave in a structured field, with the amounts they said they paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructuredReference {
    pub kind: ReferenceKind,
    pub reference: String,
    /// The amount the payer remitted against this reference.
    pub paid: Option<Money>,
    /// The document's amount as the payer has it.
    pub document_amount: Option<Money>,
    /// A discount the payer took.
    pub discount: Option<Money>,
    /// The document's date as the payer has it.
    pub date: Option<Date>,
}

/// One movement of money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// Always positive; `direction` says which way.
    pub amount: Money,
    pub direction: Direction,
    pub kind: EntryKind,
    pub status: EntryStatus,
    /// A reversal of an earlier line (camt `RvslInd`, MT940 `RC`/`RD`).
    pub reversal: bool,
    pub booking_date: Option<Date>,
    pub value_date: Option<Date>,
    /// The bank's reference: unique per account, the key that makes re-imports post nothing
    /// (BAI2 16-record bank reference, camt `AcctSvcrRef` of the transaction or else the entry,
    /// MT940 `:61:` bank reference, NACHA trace number).
    pub bank_reference: Option<String>,
    /// The payer's reference (BAI2 customer reference, MT940 `:61:` reference for the account
    /// owner, camt `InstrId`).
    pub customer_reference: Option<String>,
    pub end_to_end_id: Option<String>,
    /// The format's own type code: BAI2 type code, camt bank transaction code, MT940 `:61:`
    /// transaction type with the `:86:` code, NACHA transaction code and SEC code.
    pub type_code: Option<String>,
    pub payer: Party,
    /// Whom the payer paid on behalf of, or who ultimately owes (camt `UltmtDbtr`).
    /// Boxed because few lines have one: inline it would add a `Party`'s 96 bytes to every
    /// line, and a large file's lines are most of a parse's memory (and of its time).
    pub ultimate_payer: Option<Box<Party>>,
    /// Free remittance text, each piece as given (BAI2 text with its 88 continuations joined,
    /// camt `RmtInf/Ustrd`, MT940 `:86:` purpose, NACHA `RMR` and free addenda).
    pub remittance: Vec<String>,
    pub references: Vec<StructuredReference>,
    /// The line's free text exactly as the file gave it, before any decoding (BAI2 16 text and
    /// its 88 continuations one per line; MT940 `:61:` supplementary details and the `:86:`
    /// lines as they stand), so that better per-bank decoders can run later without a re-import.
    pub raw_text: Option<String>,
    /// The fields few lines fill (batch reference, return details, further identifiers), read
    /// with [`StatementLine::batch_reference`] and its siblings and set with their setters.
    /// `None` until one of them is set: boxed apart, they cost a line 8 bytes instead of 96,
    /// and a large file's lines are most of a parse's memory (and of its time).
    pub extras: Option<Box<LineExtras>>,
    pub location: Location,
}

/// The parts of a [`StatementLine`] that most lines leave empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineExtras {
    /// The reference of the batch this line came in, when it was one of several.
    pub batch_reference: Option<String>,
    /// For returns: the reason code the bank gave (NACHA `R01`, camt `RtrInf/Rsn`).
    pub return_reason: Option<String>,
    /// For returns: the reference of the original payment, when given.
    pub original_reference: Option<String>,
    /// Further identifiers the format gives that have no field of their own, as (the format's
    /// name for the field, value): camt `TxId`, `UETR`, `MndtId`; NACHA receiver name; X12 `REF`s.
    /// Kept so that matching rules can use them later without a re-import.
    pub other_references: Vec<(String, String)>,
}

impl StatementLine {
    /// A line with only its amount, direction, kind and place; the parsers fill in the rest.
    pub fn new(amount: Money, direction: Direction, kind: EntryKind, location: Location) -> Self {
        StatementLine {
            amount,
            direction,
            kind,
            status: EntryStatus::Booked,
            reversal: false,
            booking_date: None,
            value_date: None,
            bank_reference: None,
            customer_reference: None,
            end_to_end_id: None,
            type_code: None,
            payer: Party::default(),
            ultimate_payer: None,
            remittance: Vec::new(),
            references: Vec::new(),
            raw_text: None,
            extras: None,
            location,
        }
    }

    /// The reference of the batch this line came in, when it was one of several.
    pub fn batch_reference(&self) -> Option<&str> {
        self.extras.as_ref()?.batch_reference.as_deref()
    }

    /// For returns: the reason code the bank gave (NACHA `R01`, camt `RtrInf/Rsn`).
    pub fn return_reason(&self) -> Option<&str> {
        self.extras.as_ref()?.return_reason.as_deref()
    }

    /// For returns: the reference of the original payment, when given.
    pub fn original_reference(&self) -> Option<&str> {
        self.extras.as_ref()?.original_reference.as_deref()
    }

    /// Further identifiers as (the format's name for the field, value); see [`LineExtras`].
    pub fn other_references(&self) -> &[(String, String)] {
        match &self.extras {
            Some(extras) => &extras.other_references,
            None => &[],
        }
    }

    pub fn set_batch_reference(&mut self, reference: Option<String>) {
        if let Some(extras) = self.extras_for(reference.is_some()) {
            extras.batch_reference = reference;
        }
        self.drop_empty_extras();
    }

    pub fn set_return_reason(&mut self, reason: Option<String>) {
        if let Some(extras) = self.extras_for(reason.is_some()) {
            extras.return_reason = reason;
        }
        self.drop_empty_extras();
    }

    pub fn set_original_reference(&mut self, reference: Option<String>) {
        if let Some(extras) = self.extras_for(reference.is_some()) {
            extras.original_reference = reference;
        }
        self.drop_empty_extras();
    }

    /// Adds a further identifier under the format's name for its field.
    pub fn push_other_reference(&mut self, name: impl Into<String>, value: String) {
        self.extras
            .get_or_insert_default()
            .other_references
            .push((name.into(), value));
    }

    /// Adds further identifiers; an empty list leaves the line as it is.
    pub fn extend_other_references(
        &mut self,
        references: impl IntoIterator<Item = (String, String)>,
    ) {
        for (name, value) in references {
            self.push_other_reference(name, value);
        }
    }

    /// A line whose extras were all cleared again keeps none, so that it compares equal to a
    /// line that never had any.
    fn drop_empty_extras(&mut self) {
        if self
            .extras
            .as_deref()
            .is_some_and(|extras| *extras == LineExtras::default())
        {
            self.extras = None;
        }
    }

    /// The extras to write to: made when there is something to store, so that a line
    /// without any keeps `extras` at `None` (and compares equal to one never touched).
    fn extras_for(&mut self, storing: bool) -> Option<&mut LineExtras> {
        if storing {
            Some(self.extras.get_or_insert_default())
        } else {
            self.extras.as_deref_mut()
        }
    }

    /// The amount signed as it moved our balance: credits positive, debits negative.
    pub fn signed_minor(&self) -> i64 {
        match self.direction {
            Direction::Credit => self.amount.minor(),
            Direction::Debit => -self.amount.minor(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> StatementLine {
        let usd = Currency::from_code("USD").unwrap();
        StatementLine::new(
            Money::new(100, usd),
            Direction::Credit,
            EntryKind::CustomerPayment,
            Location::Line(1),
        )
    }

    #[test]
    fn rare_fields_live_apart_and_a_cleared_line_equals_an_untouched_one() {
        let mut returned = line();
        returned.set_return_reason(Some("R01".to_string()));
        returned.set_original_reference(Some("BNK1".to_string()));
        returned.push_other_reference("TxId", "T-9".to_string());
        assert_eq!(returned.return_reason(), Some("R01"));
        assert_eq!(returned.original_reference(), Some("BNK1"));
        assert_eq!(
            returned.other_references(),
            &[("TxId".to_string(), "T-9".to_string())]
        );
        assert_eq!(line().batch_reference(), None);
        assert!(line().other_references().is_empty());

        let mut cleared = line();
        cleared.set_batch_reference(Some("B-7".to_string()));
        cleared.set_batch_reference(None);
        assert_eq!(cleared, line());
        assert!(cleared.extras.is_none());
        // Clearing a field never set makes nothing either.
        let mut untouched = line();
        untouched.set_return_reason(None);
        assert!(untouched.extras.is_none());
    }
}
