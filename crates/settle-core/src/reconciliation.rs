//! Bank reconciliation rules: whether a statement's balances agree with its lines, and, per bank
//! account and day, the cash receipts Settle posted against what the bank's statements say, with
//! every variance given its cause.
//!
//! The Settle side is the journal: Dr Cash postings of payment receipts and the Cr Cash of their
//! reversal when the bank returned the item. The bank side is the statements' booked lines: every
//! credit, and the debits that hit A/R (returned items); other debits (fees charged, our own
//! payments) are not receipts and stay in the statements' balance check only. A receipt is paired
//! with the statement line it was posted from (or found to duplicate), a return's reversal with
//! the returned item's line. What is left unpaired, and pairs that disagree, are the variances;
//! each variance is signed as its effect on the day's difference (Settle − statement), so a day's
//! variances always add up to its difference.
//!
//! Pure: the caller reads the journal and the statements; nothing here does I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;
use serde::Serialize;

use crate::currency::Currency;
use crate::ids::PaymentId;
use crate::money::{Money, MoneyError};

/// Whether a statement's closing balance is its opening balance plus credits minus debits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    /// Opening + credits − debits = closing.
    Balanced,
    /// They differ by the statement's difference.
    OutOfBalance,
    /// The statement gave no opening or no closing balance: nothing to check.
    NoBalances,
}

impl StatementStatus {
    /// From the stored difference (closing − opening − (credits − debits)).
    pub fn of(difference: Option<Money>) -> StatementStatus {
        match difference {
            None => StatementStatus::NoBalances,
            Some(d) if d.is_zero() => StatementStatus::Balanced,
            Some(_) => StatementStatus::OutOfBalance,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatementStatus::Balanced => "balanced",
            StatementStatus::OutOfBalance => "out_of_balance",
            StatementStatus::NoBalances => "no_balances",
        }
    }
}

/// Which way a posting moved a bank account's cash for A/R.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CashMovement {
    /// A payment received: Dr Cash.
    Receipt,
    /// A returned item: the receipt reversed, Cr Cash.
    Return,
}

/// A posting of A/R to a bank account's cash account, as the journal has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedCash {
    pub payment: PaymentId,
    pub bank_reference: String,
    /// The entry's date.
    pub date: Date,
    /// Signed as the Cash posting: positive for a receipt, negative for a return.
    pub amount: Money,
    pub movement: CashMovement,
}

/// What the bank import made of a statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTreatment {
    /// Posted as a payment, or found to be a payment posted before (by hand or from an earlier
    /// file) with the same amount.
    Receipt,
    /// Its bank reference was posted before with another amount: nothing was posted.
    Conflict,
    /// A returned item whose payment Settle reversed.
    Return,
    /// A returned item Settle could not reverse: left to a clerk.
    ReturnNotReversed,
    /// Not a customer payment (fees, interest, transfers, other): kept out of A/R.
    HeldOut,
}

/// A booked statement line of one bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    pub line_id: i64,
    pub bank_reference: String,
    /// The booking date (the day it moved the statement's balance), else the value date.
    pub date: Date,
    /// Signed: a credit positive, a debit negative.
    pub amount: Money,
    /// The bank's kind of entry (`customer_payment`, `bank_fee`, `interest`, `transfer`, …).
    pub kind: String,
    pub treatment: LineTreatment,
    /// The payment the line posted, duplicated, conflicted with or returned.
    pub payment: Option<PaymentId>,
}

impl StatementEntry {
    /// Credits are all compared (a credit kept out of A/R is a variance); of the debits only
    /// returned items, which take cash back from A/R.
    fn compared(&self) -> bool {
        self.amount.is_positive()
            || matches!(
                self.treatment,
                LineTreatment::Return | LineTreatment::ReturnNotReversed
            )
    }
}

/// Why Settle's receipts and the statement differ on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VarianceCause {
    /// Posted in Settle (by hand, typically) with no statement line.
    NotOnStatement,
    /// A statement credit not posted to A/R: fees, interest, transfers, or a line not imported
    /// as a payment.
    HeldOut,
    /// The bank returned an item that Settle has not reversed.
    ReturnedItem,
    /// The same bank reference with another amount in Settle than on the statement.
    AmountDifference,
    /// Posted on one day, on the statement another (value date against booking date).
    Timing,
    /// Posted in another currency than the statement line's, or than the bank account's
    /// statements.
    Currency,
}

impl VarianceCause {
    pub fn as_str(self) -> &'static str {
        match self {
            VarianceCause::NotOnStatement => "not_on_statement",
            VarianceCause::HeldOut => "held_out",
            VarianceCause::ReturnedItem => "returned_item",
            VarianceCause::AmountDifference => "amount_difference",
            VarianceCause::Timing => "timing",
            VarianceCause::Currency => "currency",
        }
    }
}

/// One variance: its cause and its effect on the day's difference (Settle − statement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variance {
    pub cause: VarianceCause,
    pub amount: Money,
    pub bank_reference: String,
    pub payment_id: Option<PaymentId>,
    pub line_id: Option<i64>,
    pub detail: String,
}

/// One bank account, day and currency: Settle's receipts against the statement's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayComparison {
    pub bank_account: String,
    pub date: Date,
    pub currency: Currency,
    /// Dr Cash of payments received that day.
    pub posted_receipts: Money,
    /// Cr Cash of returned items reversed that day (positive).
    pub posted_returns: Money,
    /// Booked statement credits that day, all kinds.
    pub statement_credits: Money,
    /// Returned items debited that day (positive).
    pub statement_returns: Money,
    /// (posted receipts − posted returns) − (statement credits − statement returns).
    pub difference: Money,
    pub variances: Vec<Variance>,
}

impl DayComparison {
    fn new(bank_account: &str, date: Date, currency: Currency) -> Self {
        let zero = Money::zero(currency);
        DayComparison {
            bank_account: bank_account.to_string(),
            date,
            currency,
            posted_receipts: zero,
            posted_returns: zero,
            statement_credits: zero,
            statement_returns: zero,
            difference: zero,
            variances: Vec::new(),
        }
    }

    /// `reconciled` when nothing differs, else `variances`.
    pub fn status(&self) -> &'static str {
        if self.variances.is_empty() {
            "reconciled"
        } else {
            "variances"
        }
    }
}

/// Compares one bank account's posted cash with its statement lines, day by day, for the days
/// from `from` to `to` (inclusive). `posted` and `lines` may reach outside those days (so that
/// a receipt can be paired with a line of the next day); only days inside appear.
/// `statement_currencies` are the currencies of the account's statements, to tell a payment
/// posted in a currency the bank account does not hold.
pub fn compare_days(
    bank_account: &str,
    statement_currencies: &[Currency],
    posted: &[PostedCash],
    lines: &[StatementEntry],
    from: Date,
    to: Date,
) -> Result<Vec<DayComparison>, MoneyError> {
    let lines = distinct_compared_lines(lines);
    let pairs = pair(posted, &lines);
    let mut days: BTreeMap<(Date, Currency), DayComparison> = BTreeMap::new();
    fn day<'a>(
        days: &'a mut BTreeMap<(Date, Currency), DayComparison>,
        bank_account: &str,
        date: Date,
        currency: Currency,
    ) -> &'a mut DayComparison {
        days.entry((date, currency))
            .or_insert_with(|| DayComparison::new(bank_account, date, currency))
    }
    let in_range = |date: Date| from <= date && date <= to;
    for cash in posted.iter().filter(|c| in_range(c.date)) {
        let row = day(&mut days, bank_account, cash.date, cash.amount.currency());
        match cash.movement {
            CashMovement::Receipt => {
                row.posted_receipts = row.posted_receipts.checked_add(cash.amount)?
            }
            CashMovement::Return => {
                row.posted_returns = row.posted_returns.checked_sub(cash.amount)?;
            }
        }
    }
    for line in lines.iter().filter(|l| in_range(l.date)) {
        let row = day(&mut days, bank_account, line.date, line.amount.currency());
        if line.amount.is_positive() {
            row.statement_credits = row.statement_credits.checked_add(line.amount)?;
        } else {
            row.statement_returns = row.statement_returns.checked_sub(line.amount)?;
        }
    }
    let mut variances = Vec::new();
    let mut paired_lines = HashSet::new();
    for (index, cash) in posted.iter().enumerate() {
        match pairs.get(&index) {
            Some(&line_index) => {
                let line = lines[line_index];
                paired_lines.insert(line.line_id);
                pair_variances(cash, line, &mut variances)?;
            }
            None => variances.push(unpaired_posting(cash, statement_currencies)),
        }
    }
    for line in lines.iter().filter(|l| !paired_lines.contains(&l.line_id)) {
        variances.push(unpaired_line(line)?);
    }
    for (date, variance) in variances {
        if in_range(date) {
            day(&mut days, bank_account, date, variance.amount.currency())
                .variances
                .push(variance);
        }
    }
    let mut rows: Vec<DayComparison> = days.into_values().collect();
    for row in &mut rows {
        let posted_net = row.posted_receipts.checked_sub(row.posted_returns)?;
        let statement_net = row.statement_credits.checked_sub(row.statement_returns)?;
        row.difference = posted_net.checked_sub(statement_net)?;
        row.variances.sort_by(|a, b| {
            (a.cause, &a.bank_reference, a.line_id).cmp(&(b.cause, &b.bank_reference, b.line_id))
        });
        debug_assert_eq!(
            Money::sum(row.currency, row.variances.iter().map(|v| v.amount)),
            Ok(row.difference),
            "a day's variances explain its whole difference"
        );
    }
    Ok(rows)
}

/// The compared lines, each bank transaction once: the same line in an intraday and an
/// end-of-day statement (or two overlapping files) has the same bank reference and amount.
fn distinct_compared_lines(lines: &[StatementEntry]) -> Vec<&StatementEntry> {
    let mut sorted: Vec<&StatementEntry> = lines.iter().filter(|l| l.compared()).collect();
    sorted.sort_by_key(|l| l.line_id);
    let mut seen = HashSet::new();
    sorted
        .into_iter()
        .filter(|l| {
            seen.insert((
                l.bank_reference.clone(),
                l.amount.minor(),
                l.amount.currency(),
            ))
        })
        .collect()
}

/// Posting index → line index. A receipt pairs with the first line that posted or duplicated its
/// payment, else with a line that conflicted with it; a return's reversal with the first
/// returned item of its payment. Each line pairs once.
fn pair(posted: &[PostedCash], lines: &[&StatementEntry]) -> HashMap<usize, usize> {
    let mut receipt_lines: HashMap<PaymentId, usize> = HashMap::new();
    let mut conflict_lines: HashMap<PaymentId, usize> = HashMap::new();
    let mut return_lines: HashMap<PaymentId, usize> = HashMap::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(payment) = line.payment else {
            continue;
        };
        let map = match line.treatment {
            LineTreatment::Receipt => &mut receipt_lines,
            LineTreatment::Conflict => &mut conflict_lines,
            LineTreatment::Return => &mut return_lines,
            LineTreatment::ReturnNotReversed | LineTreatment::HeldOut => continue,
        };
        map.entry(payment).or_insert(index);
    }
    let mut taken = HashSet::new();
    let mut pairs = HashMap::new();
    for (index, cash) in posted.iter().enumerate() {
        let found = match cash.movement {
            CashMovement::Receipt => receipt_lines
                .get(&cash.payment)
                .or_else(|| conflict_lines.get(&cash.payment)),
            CashMovement::Return => return_lines.get(&cash.payment),
        };
        if let Some(&line) = found
            && taken.insert(line)
        {
            pairs.insert(index, line);
        }
    }
    pairs
}

fn variance(
    cause: VarianceCause,
    amount: Money,
    bank_reference: &str,
    payment: Option<PaymentId>,
    line: Option<i64>,
    detail: String,
) -> Variance {
    Variance {
        cause,
        amount,
        bank_reference: bank_reference.to_string(),
        payment_id: payment,
        line_id: line,
        detail,
    }
}

/// A posting and its line: nothing when they agree; else the variances on each one's day.
fn pair_variances(
    cash: &PostedCash,
    line: &StatementEntry,
    out: &mut Vec<(Date, Variance)>,
) -> Result<(), MoneyError> {
    let payment = Some(cash.payment);
    let line_id = Some(line.line_id);
    let reference = line.bank_reference.as_str();
    if cash.amount.currency() != line.amount.currency() {
        out.push((
            cash.date,
            variance(
                VarianceCause::Currency,
                cash.amount,
                reference,
                payment,
                line_id,
                format!(
                    "posted in {}; the statement line is in {}",
                    cash.amount.currency(),
                    line.amount.currency()
                ),
            ),
        ));
        out.push((
            line.date,
            variance(
                VarianceCause::Currency,
                line.amount.checked_neg()?,
                reference,
                payment,
                line_id,
                format!(
                    "on the statement in {}; posted in {}",
                    line.amount.currency(),
                    cash.amount.currency()
                ),
            ),
        ));
        return Ok(());
    }
    if cash.date == line.date {
        if cash.amount != line.amount {
            out.push((
                cash.date,
                variance(
                    VarianceCause::AmountDifference,
                    cash.amount.checked_sub(line.amount)?,
                    reference,
                    payment,
                    line_id,
                    format!(
                        "posted {}; the statement says {}",
                        cash.amount.to_decimal_string(),
                        line.amount.to_decimal_string()
                    ),
                ),
            ));
        }
        return Ok(());
    }
    out.push((
        cash.date,
        variance(
            VarianceCause::Timing,
            cash.amount,
            reference,
            payment,
            line_id,
            format!("posted {}; on the statement {}", cash.date, line.date),
        ),
    ));
    let (cause, detail) = if cash.amount == line.amount {
        (
            VarianceCause::Timing,
            format!("on the statement {}; posted {}", line.date, cash.date),
        )
    } else {
        (
            VarianceCause::AmountDifference,
            format!(
                "on the statement {} for {}; posted {} for {}",
                line.date,
                line.amount.to_decimal_string(),
                cash.date,
                cash.amount.to_decimal_string()
            ),
        )
    };
    out.push((
        line.date,
        variance(
            cause,
            line.amount.checked_neg()?,
            reference,
            payment,
            line_id,
            detail,
        ),
    ));
    Ok(())
}

fn unpaired_posting(cash: &PostedCash, statement_currencies: &[Currency]) -> (Date, Variance) {
    let currency = cash.amount.currency();
    let (cause, detail) =
        if !statement_currencies.is_empty() && !statement_currencies.contains(&currency) {
            let held: Vec<&str> = statement_currencies.iter().map(Currency::code).collect();
            (
                VarianceCause::Currency,
                format!(
                    "posted in {currency}; this bank account's statements are in {}",
                    held.join(", ")
                ),
            )
        } else {
            let what = match cash.movement {
                CashMovement::Receipt => "payment posted with no statement line",
                CashMovement::Return => "return reversed with no returned item on the statement",
            };
            (VarianceCause::NotOnStatement, what.to_string())
        };
    (
        cash.date,
        variance(
            cause,
            cash.amount,
            &cash.bank_reference,
            Some(cash.payment),
            None,
            detail,
        ),
    )
}

fn unpaired_line(line: &StatementEntry) -> Result<(Date, Variance), MoneyError> {
    let (cause, detail) = match line.treatment {
        LineTreatment::HeldOut => (
            VarianceCause::HeldOut,
            format!("{} credit, not posted to A/R", line.kind),
        ),
        LineTreatment::Receipt => (
            VarianceCause::HeldOut,
            "posted as a payment, but not to this bank account's cash".to_string(),
        ),
        LineTreatment::Conflict => (
            VarianceCause::AmountDifference,
            format!(
                "its reference was posted before{} with another amount: nothing posted",
                line.payment
                    .map(|p| format!(" as payment {p}"))
                    .unwrap_or_default()
            ),
        ),
        LineTreatment::Return | LineTreatment::ReturnNotReversed => (
            VarianceCause::ReturnedItem,
            "returned by the bank; not reversed in Settle".to_string(),
        ),
    };
    Ok((
        line.date,
        variance(
            cause,
            line.amount.checked_neg()?,
            &line.bank_reference,
            line.payment,
            Some(line.line_id),
            detail,
        ),
    ))
}

/// Totals of the compared days of one bank account and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonTotal {
    pub bank_account: String,
    pub currency: Currency,
    pub posted_receipts: Money,
    pub posted_returns: Money,
    pub statement_credits: Money,
    pub statement_returns: Money,
    pub difference: Money,
    pub variances: usize,
}

/// One total per bank account and currency, in that order; never across currencies.
pub fn totals(days: &[DayComparison]) -> Result<Vec<ComparisonTotal>, MoneyError> {
    let mut totals: BTreeMap<(String, Currency), ComparisonTotal> = BTreeMap::new();
    for day in days {
        let zero = Money::zero(day.currency);
        let total = totals
            .entry((day.bank_account.clone(), day.currency))
            .or_insert_with(|| ComparisonTotal {
                bank_account: day.bank_account.clone(),
                currency: day.currency,
                posted_receipts: zero,
                posted_returns: zero,
                statement_credits: zero,
                statement_returns: zero,
                difference: zero,
                variances: 0,
            });
        total.posted_receipts = total.posted_receipts.checked_add(day.posted_receipts)?;
        total.posted_returns = total.posted_returns.checked_add(day.posted_returns)?;
        total.statement_credits = total.statement_credits.checked_add(day.statement_credits)?;
        total.statement_returns = total.statement_returns.checked_add(day.statement_returns)?;
        total.difference = total.difference.checked_add(day.difference)?;
        total.variances += day.variances.len();
    }
    Ok(totals.into_values().collect())
}

#[cfg(test)]
mod tests;
