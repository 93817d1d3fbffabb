//! Subledger-to-general-ledger reconciliation: for one period and per currency, the general
//! ledger's A/R control balance against Settle's A/R control account and Settle's open items,
//! and every difference between the GL and Settle with its likely cause, down to the entry.
//!
//! Signs follow the journal (debit positive). A difference is signed as its effect on
//! Settle − GL, so a currency's differences add up to its difference exactly; whatever the
//! rules below cannot place is one `unexplained` remainder, never dropped.
//!
//! Pairing: a GL line whose reference is a number naming a Settle entry (the `entry_id` column of
//! `settle export journal`, which an ERP that imported the export keeps) belongs to that entry.
//! Its lines and the entry's A/R control postings are compared per entry and currency, as of the
//! period end. A GL line with no such reference is the GL's own: a manual journal, or a posting
//! from another subledger, which Settle can never have.
//!
//! Opening balance: a GL detail may begin with an opening line (reference `OPENING`), the
//! account's balance at the start of its date, instead of the account's whole history. Settle's
//! balance at that moment is its control balance at the period end less its entries from that
//! date on; the two openings are compared as one figure (`opening_balance`: a difference carried
//! from an earlier period), and only what was posted from that date on is compared entry by entry.
//!
//! Pure: the service reads the journal and the imported GL; nothing here does I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::civil::Date;
use serde::Serialize;

use crate::currency::Currency;
use crate::ids::EntryId;
use crate::journal::EntryKind;
use crate::money::{Money, MoneyError};
use crate::period::Period;

/// The reference that marks a detail file's opening-balance line.
pub const OPENING_REFERENCE: &str = "OPENING";

/// The Settle entry a GL reference names: digits only, as the journal export writes `entry_id`.
pub fn entry_reference(reference: &str) -> Option<EntryId> {
    let reference = reference.trim();
    if reference.is_empty() || !reference.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    reference.parse().ok().map(EntryId)
}

/// One posting of the GL to the A/R control account, as an imported detail file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlLine {
    /// The line of the imported file, so that a difference points back to it.
    pub line: u64,
    pub date: Date,
    /// Debit positive.
    pub amount: Money,
    pub reference: String,
    pub memo: String,
    /// Where the GL says the posting came from (`settle`, `manual`, `ap`, …).
    pub source: String,
}

/// A detail file's opening balance of the control account in one currency: the balance at the
/// start of `date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlOpening {
    pub line: u64,
    pub date: Date,
    pub amount: Money,
}

/// What the general ledger says.
#[derive(Debug, Clone, Copy)]
pub enum GlSide<'a> {
    /// Only the control account's balance at the period end, per currency.
    Balances(&'a [Money]),
    /// The control account's postings (all of them, or from an opening balance on), which may
    /// reach past the period end.
    Detail {
        openings: &'a [GlOpening],
        lines: &'a [GlLine],
    },
}

/// How one Settle entry moved A/R control in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleEntry {
    pub entry: EntryId,
    pub date: Date,
    pub kind: EntryKind,
    pub memo: String,
    /// The sum of its A/R control postings in this currency (may be zero: a credit memo
    /// applied to an invoice moves two items and not the control account).
    pub amount: Money,
}

/// A Settle entry that a GL line names but that posts nothing to A/R control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherEntry {
    pub entry: EntryId,
    pub date: Date,
    pub kind: EntryKind,
}

/// Settle's open items at the period end in one currency: the subledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OpenItems {
    /// Open invoices and debit memos (positive).
    pub debit_items: Money,
    /// Open credit memos (positive: what is owed back).
    pub credit_items: Money,
}

/// What Settle says.
#[derive(Debug, Clone, Copy)]
pub struct SettleSide<'a> {
    /// The A/R control account's balance at the period end, per currency.
    pub control: &'a [Money],
    pub open_items: &'a [OpenItems],
    /// Every entry moving A/R control dated from the GL detail's opening (or from the
    /// beginning, without one) to the period end, and any later one a GL line names.
    pub entries: &'a [SettleEntry],
    /// Entries that GL lines name and that post nothing to A/R control.
    pub elsewhere: &'a [OtherEntry],
}

/// Why the GL and Settle differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceCause {
    /// The balances at the start of the GL detail already differed: carried from before.
    OpeningBalance,
    /// A Settle entry with no GL line naming it (not exported or not posted in the GL yet).
    MissingInGl,
    /// A GL line naming no Settle entry, from another source than a manual journal.
    MissingInSettle,
    /// A GL line without a reference, or one its source calls manual: a journal made straight
    /// to the control account, which a subledger never has.
    ManualEntry,
    /// The same entry on both sides, dated on different sides of the cut-off.
    Timing,
    /// The same entry on both sides for another amount (or currency).
    AmountMismatch,
    /// What the rules could not place; with balances only, the whole difference.
    Unexplained,
}

impl DifferenceCause {
    pub fn as_str(self) -> &'static str {
        match self {
            DifferenceCause::OpeningBalance => "opening_balance",
            DifferenceCause::MissingInGl => "missing_in_gl",
            DifferenceCause::MissingInSettle => "missing_in_settle",
            DifferenceCause::ManualEntry => "manual_entry",
            DifferenceCause::Timing => "timing",
            DifferenceCause::AmountMismatch => "amount_mismatch",
            DifferenceCause::Unexplained => "unexplained",
        }
    }
}

/// One difference, with the entries and lines behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub cause: DifferenceCause,
    /// Effect on Settle − GL.
    pub amount: Money,
    /// The Settle entry involved.
    pub entry_id: Option<EntryId>,
    pub entry_kind: Option<String>,
    /// The GL's reference as written.
    pub reference: String,
    /// Lines of the imported file involved.
    pub gl_lines: Vec<u64>,
    pub settle_date: Option<Date>,
    pub gl_date: Option<Date>,
    /// The entry's whole effect on A/R control in Settle.
    pub settle_amount: Option<Money>,
    /// The GL lines' whole amount.
    pub gl_amount: Option<Money>,
    pub detail: String,
}

impl Difference {
    fn new(cause: DifferenceCause, amount: Money, detail: String) -> Self {
        Difference {
            cause,
            amount,
            entry_id: None,
            entry_kind: None,
            reference: String::new(),
            gl_lines: Vec::new(),
            settle_date: None,
            gl_date: None,
            settle_amount: None,
            gl_amount: None,
            detail,
        }
    }

    /// One line for a checklist or a log.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} {} {}",
            self.cause.as_str(),
            self.amount.to_decimal_string(),
            self.amount.currency()
        );
        if let Some(entry) = self.entry_id {
            text.push_str(&format!(" entry {entry}"));
        }
        if !self.gl_lines.is_empty() {
            let lines: Vec<String> = self.gl_lines.iter().map(u64::to_string).collect();
            text.push_str(&format!(" GL line {}", lines.join(",")));
        }
        text.push_str(": ");
        text.push_str(&self.detail);
        text
    }
}

/// One currency: the three figures and the differences between GL and Settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyReconciliation {
    pub currency: Currency,
    /// The GL's A/R control balance at the period end.
    pub gl_control: Money,
    /// Settle's A/R control account at the period end.
    pub settle_control: Money,
    pub open_debit_items: Money,
    pub open_credit_items: Money,
    /// Open debit items − open credit items.
    pub subledger: Money,
    /// Settle's control − its subledger: zero unless Settle's own books disagree.
    pub subledger_difference: Money,
    /// Settle's control − the GL's.
    pub difference: Money,
    /// The differences the rules placed (all but `unexplained`).
    pub explained: Money,
    pub unexplained: Money,
    pub differences: Vec<Difference>,
}

impl CurrencyReconciliation {
    pub fn agrees(&self) -> bool {
        self.difference.is_zero() && self.differences.is_empty()
    }
}

/// The lines a close checklist shows: each difference, and Settle's own disagreement if any.
/// Empty when everything agrees.
pub fn checklist_lines(currencies: &[CurrencyReconciliation]) -> Vec<String> {
    let mut lines = Vec::new();
    for currency in currencies {
        if !currency.subledger_difference.is_zero() {
            lines.push(format!(
                "Settle's A/R control ({}) differs from its open items ({}) by {} {}",
                currency.settle_control.to_decimal_string(),
                currency.subledger.to_decimal_string(),
                currency.subledger_difference.to_decimal_string(),
                currency.currency
            ));
        }
        lines.extend(currency.differences.iter().map(Difference::summary));
    }
    lines
}

/// Compares the GL with Settle as of the period's end, per currency.
pub fn reconcile(
    period: &Period,
    settle: &SettleSide<'_>,
    gl: &GlSide<'_>,
) -> Result<Vec<CurrencyReconciliation>, MoneyError> {
    let mut currencies: BTreeSet<Currency> = BTreeSet::new();
    currencies.extend(settle.control.iter().map(Money::currency));
    currencies.extend(settle.open_items.iter().map(|o| o.debit_items.currency()));
    currencies.extend(settle.entries.iter().map(|e| e.amount.currency()));
    match gl {
        GlSide::Balances(balances) => currencies.extend(balances.iter().map(Money::currency)),
        GlSide::Detail { openings, lines } => {
            currencies.extend(openings.iter().map(|o| o.amount.currency()));
            currencies.extend(lines.iter().map(|l| l.amount.currency()));
        }
    }
    let (detail, balances): (_, &[Money]) = match gl {
        GlSide::Detail { openings, lines } => {
            (Some(DetailIndex::new(settle, openings, lines)?), &[])
        }
        GlSide::Balances(balances) => (None, balances),
    };
    let mut out = Vec::new();
    for currency in currencies {
        let settle_control = sum_of(currency, settle.control.iter().copied())?;
        let open_debit_items = sum_of(currency, settle.open_items.iter().map(|o| o.debit_items))?;
        let open_credit_items = sum_of(currency, settle.open_items.iter().map(|o| o.credit_items))?;
        let subledger = open_debit_items.checked_sub(open_credit_items)?;
        let (gl_control, mut differences) = match &detail {
            Some(index) => index.compare(period, currency, settle_control)?,
            None => (sum_of(currency, balances.iter().copied())?, Vec::new()),
        };
        let difference = settle_control.checked_sub(gl_control)?;
        let explained = Money::sum(currency, differences.iter().map(|d| d.amount))?;
        let unexplained = difference.checked_sub(explained)?;
        if !unexplained.is_zero() {
            let detail = match gl {
                GlSide::Balances(_) => {
                    let gl_said = if balances.iter().any(|b| b.currency() == currency) {
                        format!("the GL's {}", gl_control.to_decimal_string())
                    } else {
                        format!("the GL gave no balance in {currency}")
                    };
                    format!(
                        "Settle's A/R control is {}, {gl_said}: with balances only, the GL's \
                         postings to the control account for the period would explain it down \
                         to the entry",
                        settle_control.to_decimal_string()
                    )
                }
                GlSide::Detail { .. } => {
                    "not placed by any rule: Settle's entries do not add up to its control \
                     balance (run `settle verify`)"
                        .to_string()
                }
            };
            differences.push(Difference::new(
                DifferenceCause::Unexplained,
                unexplained,
                detail,
            ));
        }
        debug_assert_eq!(
            Money::sum(currency, differences.iter().map(|d| d.amount)),
            Ok(difference),
            "a currency's differences add up to its difference"
        );
        out.push(CurrencyReconciliation {
            currency,
            gl_control,
            settle_control,
            open_debit_items,
            open_credit_items,
            subledger,
            subledger_difference: settle_control.checked_sub(subledger)?,
            difference,
            explained,
            unexplained,
            differences,
        });
    }
    Ok(out)
}

fn sum_of(currency: Currency, amounts: impl Iterator<Item = Money>) -> Result<Money, MoneyError> {
    Money::sum(currency, amounts.filter(|m| m.currency() == currency))
}

/// Settle's entries and the GL's lines, grouped for pairing.
struct DetailIndex<'a> {
    openings: &'a [GlOpening],
    /// The earliest opening's date: a currency without an opening line starts there too.
    first_opening: Option<Date>,
    /// Per entry and currency: the Settle side.
    settle: BTreeMap<(EntryId, Currency), SettleGroup<'a>>,
    /// Per entry and currency: the GL lines naming it.
    gl: BTreeMap<(EntryId, Currency), Vec<&'a GlLine>>,
    /// Currencies each entry has on each side.
    settle_currencies: HashMap<EntryId, BTreeSet<Currency>>,
    gl_currencies: HashMap<EntryId, BTreeSet<Currency>>,
    elsewhere: HashMap<EntryId, &'a OtherEntry>,
    /// Lines naming no Settle entry.
    unpaired: Vec<&'a GlLine>,
}

struct SettleGroup<'a> {
    first: &'a SettleEntry,
    amount: Money,
}

impl<'a> DetailIndex<'a> {
    fn new(
        settle: &SettleSide<'a>,
        openings: &'a [GlOpening],
        lines: &'a [GlLine],
    ) -> Result<Self, MoneyError> {
        let mut index = DetailIndex {
            openings,
            first_opening: openings.iter().map(|o| o.date).min(),
            settle: BTreeMap::new(),
            gl: BTreeMap::new(),
            settle_currencies: HashMap::new(),
            gl_currencies: HashMap::new(),
            elsewhere: settle.elsewhere.iter().map(|e| (e.entry, e)).collect(),
            unpaired: Vec::new(),
        };
        for entry in settle.entries {
            let currency = entry.amount.currency();
            match index.settle.get_mut(&(entry.entry, currency)) {
                // One entry has one date: a second row only adds its amount.
                Some(group) => group.amount = group.amount.checked_add(entry.amount)?,
                None => {
                    index.settle.insert(
                        (entry.entry, currency),
                        SettleGroup {
                            first: entry,
                            amount: entry.amount,
                        },
                    );
                }
            }
            index
                .settle_currencies
                .entry(entry.entry)
                .or_default()
                .insert(currency);
        }
        let known: HashSet<EntryId> = index
            .settle_currencies
            .keys()
            .chain(index.elsewhere.keys())
            .copied()
            .collect();
        for line in lines {
            match entry_reference(&line.reference).filter(|e| known.contains(e)) {
                Some(entry) => {
                    let currency = line.amount.currency();
                    index.gl.entry((entry, currency)).or_default().push(line);
                    index
                        .gl_currencies
                        .entry(entry)
                        .or_default()
                        .insert(currency);
                }
                None => index.unpaired.push(line),
            }
        }
        Ok(index)
    }

    /// The GL's balance at the period end and the differences, in one currency.
    fn compare(
        &self,
        period: &Period,
        currency: Currency,
        settle_control: Money,
    ) -> Result<(Money, Vec<Difference>), MoneyError> {
        let end = period.end;
        let opening: Vec<&GlOpening> = self
            .openings
            .iter()
            .filter(|o| o.amount.currency() == currency)
            .collect();
        let from = opening.iter().map(|o| o.date).min().or(self.first_opening);
        let in_range = |date: Date| from.is_none_or(|f| f <= date) && date <= end;
        let before_range = |date: Date| from.is_some_and(|f| date < f);
        let mut differences = Vec::new();

        // The GL's balance: its opening, what it posted before it (folded into the opening) and
        // what it posted from it to the period end.
        let gl_opening_lines = self
            .gl
            .iter()
            .filter(|((_, c), _)| *c == currency)
            .flat_map(|(_, lines)| lines.iter())
            .chain(self.unpaired.iter())
            .filter(|l| l.amount.currency() == currency && before_range(l.date));
        let gl_opening = Money::sum(
            currency,
            opening
                .iter()
                .map(|o| o.amount)
                .chain(gl_opening_lines.map(|l| l.amount)),
        )?;
        let gl_in_period = Money::sum(
            currency,
            self.gl
                .iter()
                .filter(|((_, c), _)| *c == currency)
                .flat_map(|(_, lines)| lines.iter())
                .chain(self.unpaired.iter())
                .filter(|l| l.amount.currency() == currency && in_range(l.date))
                .map(|l| l.amount),
        )?;
        let gl_control = gl_opening.checked_add(gl_in_period)?;

        if let Some(from) = from {
            let settle_from_opening = Money::sum(
                currency,
                self.settle
                    .iter()
                    .filter(|((_, c), g)| *c == currency && in_range(g.first.date))
                    .map(|(_, g)| g.amount),
            )?;
            let settle_opening = settle_control.checked_sub(settle_from_opening)?;
            let amount = settle_opening.checked_sub(gl_opening)?;
            if !amount.is_zero() {
                let detail = if opening.is_empty() {
                    format!(
                        "the GL detail has no {OPENING_REFERENCE} line in {currency}, so it starts \
                         at zero on {from}; Settle's balance then was {}",
                        settle_opening.to_decimal_string()
                    )
                } else {
                    format!(
                        "at the start of {from} Settle's A/R control was {}, the GL's {}: a \
                         difference carried from before (reconcile the earlier period)",
                        settle_opening.to_decimal_string(),
                        gl_opening.to_decimal_string()
                    )
                };
                let mut difference =
                    Difference::new(DifferenceCause::OpeningBalance, amount, detail);
                difference.reference = OPENING_REFERENCE.to_string();
                difference.gl_lines = opening.iter().map(|o| o.line).collect();
                difference.gl_date = Some(from);
                difference.settle_amount = Some(settle_opening);
                difference.gl_amount = Some(gl_opening);
                differences.push(difference);
            }
        }

        let keys: BTreeSet<EntryId> = self
            .settle
            .keys()
            .chain(self.gl.keys())
            .filter(|(_, c)| *c == currency)
            .map(|(e, _)| *e)
            .collect();
        for entry in keys {
            if let Some(difference) = self.pair(entry, currency, &in_range, period)? {
                differences.push(difference);
            }
        }
        for line in self
            .unpaired
            .iter()
            .filter(|l| l.amount.currency() == currency && in_range(l.date))
        {
            differences.push(unpaired(line)?);
        }
        differences.sort_by(|a, b| {
            (
                a.cause,
                a.settle_date.or(a.gl_date),
                a.entry_id,
                a.gl_lines.first(),
            )
                .cmp(&(
                    b.cause,
                    b.settle_date.or(b.gl_date),
                    b.entry_id,
                    b.gl_lines.first(),
                ))
        });
        Ok((gl_control, differences))
    }

    /// One entry in one currency: nothing when both sides agree as of the period end.
    fn pair(
        &self,
        entry: EntryId,
        currency: Currency,
        in_range: &dyn Fn(Date) -> bool,
        period: &Period,
    ) -> Result<Option<Difference>, MoneyError> {
        let zero = Money::zero(currency);
        let settle = self.settle.get(&(entry, currency));
        let lines: &[&GlLine] = self
            .gl
            .get(&(entry, currency))
            .map_or(&[], |lines| lines.as_slice());
        let settle_in = settle.is_some_and(|s| in_range(s.first.date));
        let settle_in_amount = if settle_in {
            settle.map_or(zero, |s| s.amount)
        } else {
            zero
        };
        let gl_in_amount = Money::sum(
            currency,
            lines.iter().filter(|l| in_range(l.date)).map(|l| l.amount),
        )?;
        let amount = settle_in_amount.checked_sub(gl_in_amount)?;
        if amount.is_zero() {
            return Ok(None);
        }
        let gl_total = Money::sum(currency, lines.iter().map(|l| l.amount))?;
        let gl_in = lines.iter().any(|l| in_range(l.date));
        let gl_out = lines.iter().any(|l| !in_range(l.date));
        let gl_date = lines
            .iter()
            .filter(|l| in_range(l.date))
            .map(|l| l.date)
            .min()
            .or_else(|| lines.iter().map(|l| l.date).min());
        let mut difference = Difference::new(DifferenceCause::Unexplained, amount, String::new());
        difference.entry_id = Some(entry);
        difference.reference = entry.to_string();
        difference.gl_lines = lines.iter().map(|l| l.line).collect();
        difference.gl_date = gl_date;
        if !lines.is_empty() {
            difference.gl_amount = Some(gl_total);
        }
        let side = |date: Date| {
            if in_range(date) {
                format!("in {}", period.name)
            } else if date > period.end {
                format!("after {}", period.name)
            } else {
                "before the GL detail's opening".to_string()
            }
        };
        let gl_currencies = self.gl_currencies.get(&entry);
        let Some(settle) = settle else {
            // The GL names the entry in this currency; Settle did not post it here.
            difference.cause = DifferenceCause::AmountMismatch;
            difference.detail = if let Some(other) = self.elsewhere.get(&entry) {
                difference.entry_kind = Some(other.kind.to_string());
                difference.settle_date = Some(other.date);
                difference.settle_amount = Some(zero);
                format!(
                    "Settle's entry {entry} ({}, {}) posts nothing to A/R control; the GL \
                     posted {} to it",
                    other.kind,
                    other.date,
                    gl_total.to_decimal_string()
                )
            } else {
                let theirs: Vec<&str> = self
                    .settle_currencies
                    .get(&entry)
                    .into_iter()
                    .flatten()
                    .map(Currency::code)
                    .collect();
                format!(
                    "the GL posted entry {entry} in {currency}; Settle posted it in {}",
                    theirs.join(", ")
                )
            };
            return Ok(Some(difference));
        };
        difference.entry_kind = Some(settle.first.kind.to_string());
        difference.settle_date = Some(settle.first.date);
        difference.settle_amount = Some(settle.amount);
        let settle_date = settle.first.date;
        let what = format!("{} of {}", settle.first.kind, settle_date);
        if gl_currencies.is_none() {
            difference.cause = DifferenceCause::MissingInGl;
            difference.detail = format!(
                "{what} ({}) has no GL line naming it: not exported or not posted in the GL yet",
                settle.first.memo
            );
        } else if lines.is_empty() {
            let theirs: Vec<&str> = gl_currencies
                .into_iter()
                .flatten()
                .map(Currency::code)
                .collect();
            difference.cause = DifferenceCause::AmountMismatch;
            difference.detail = format!(
                "{what} is in {currency} in Settle; the GL posted it in {}",
                theirs.join(", ")
            );
        } else if settle_in != gl_in || (gl_out && gl_total == settle.amount) {
            difference.cause = DifferenceCause::Timing;
            let gl_dates: BTreeSet<Date> = lines.iter().map(|l| l.date).collect();
            let gl_dates: Vec<String> = gl_dates
                .into_iter()
                .map(|d| format!("{d} ({})", side(d)))
                .collect();
            difference.detail = format!(
                "{what}: Settle dated it {settle_date} ({}), the GL {}",
                side(settle_date),
                gl_dates.join(", ")
            );
            if gl_total != settle.amount {
                difference.detail.push_str(&format!(
                    "; the amounts differ too (Settle {}, GL {})",
                    settle.amount.to_decimal_string(),
                    gl_total.to_decimal_string()
                ));
            }
        } else {
            difference.cause = DifferenceCause::AmountMismatch;
            difference.detail = format!(
                "{what}: Settle posted {} to A/R control, the GL {}",
                settle.amount.to_decimal_string(),
                gl_total.to_decimal_string()
            );
        }
        Ok(Some(difference))
    }
}

/// A GL line naming no Settle entry, dated in the compared range.
fn unpaired(line: &GlLine) -> Result<Difference, MoneyError> {
    let reference = line.reference.trim();
    let source = line.source.trim();
    let manual = source.to_ascii_lowercase().contains("manual");
    let cause = if reference.is_empty() || manual {
        DifferenceCause::ManualEntry
    } else {
        DifferenceCause::MissingInSettle
    };
    let said = if source.is_empty() {
        "no source".to_string()
    } else {
        format!("source {source:?}")
    };
    let detail = match (reference.is_empty(), entry_reference(reference)) {
        (true, _) if source.eq_ignore_ascii_case("settle") => format!(
            "{said} but no reference: the GL lost the entry id, or the line was keyed by hand"
        ),
        (true, _) => {
            format!("no reference, {said}: a journal made in the GL to the control account")
        }
        (false, Some(entry)) => format!(
            "reference {reference:?} names no Settle entry ({said}); Settle has no entry {entry} \
             (another entity's or database's?)"
        ),
        (false, None) if manual => {
            format!("reference {reference:?}, {said}: a manual journal to the control account")
        }
        (false, None) => format!(
            "reference {reference:?}, {said}: posted to the control account from outside Settle"
        ),
    };
    let detail = if line.memo.trim().is_empty() {
        detail
    } else {
        format!("{detail} (memo {:?})", line.memo.trim())
    };
    let mut difference = Difference::new(cause, line.amount.checked_neg()?, detail);
    difference.reference = reference.to_string();
    difference.gl_lines = vec![line.line];
    difference.gl_date = Some(line.date);
    difference.gl_amount = Some(line.amount);
    Ok(difference)
}

#[cfg(test)]
mod tests;
