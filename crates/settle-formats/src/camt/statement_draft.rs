//! One `Stmt`, `Rpt` or `Ntfctn`: its account, balances and totals, and the checks between them.
//!
//! What is checked, and why only warned about: the bank's own figures must agree with the
//! entries it lists (opening booked balance + booked entries = closing booked balance, and the
//! `TxsSummry` counts and sums). When they do not, the file is still readable and each line is
//! still what the bank booked; the usual cause is a statement split over pages or a bank that
//! also lists pending entries. So a disagreement is a warning (the strict mode refuses it), while
//! anything unreadable (a garbled amount, an impossible date) is refused outright.

use jiff::civil::Date;
use settle_core::{Currency, Money};

use super::entry::{FinishedEntry, format_minor};
use crate::error::{FormatError, Location};
use crate::statement::{AccountRef, Balance, Direction, EntryStatus, Statement, StatementLine};

/// A `Bal` while it is read.
#[derive(Debug, Default)]
pub(super) struct BalanceDraft {
    pub code: Option<String>,
    pub amount: Option<Money>,
    pub direction: Option<Direction>,
    pub date: Option<Date>,
}

/// `TxsSummry` as stated. Sums carry no currency in camt: they are in the account's.
#[derive(Debug, Default)]
pub(super) struct Summary {
    pub credit_count: Option<u64>,
    pub credit_sum: Option<String>,
    pub debit_count: Option<u64>,
    pub debit_sum: Option<String>,
    pub entry_count: Option<u64>,
}

/// Running totals of the entries, by whether they are booked.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    credit_count: u64,
    credit_minor: i128,
    debit_count: u64,
    debit_minor: i128,
}

impl Tally {
    fn add(&mut self, amount: Money, direction: Direction) {
        let minor = i128::from(amount.minor());
        match direction {
            Direction::Credit => {
                self.credit_count += 1;
                self.credit_minor += minor;
            }
            Direction::Debit => {
                self.debit_count += 1;
                self.debit_minor += minor;
            }
        }
    }
}

#[derive(Debug)]
pub(super) struct StatementDraft {
    pub location: Location,
    pub id: Option<String>,
    pub account: AccountRef,
    pub owner_name: Option<String>,
    pub account_currency: Option<Currency>,
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    pub summary: Summary,
    balances: Vec<(BalanceDraft, Location)>,
    lines: Vec<StatementLine>,
    first_entry_currency: Option<Currency>,
    entries: Vec<(Money, Direction, EntryStatus, Location)>,
}

impl StatementDraft {
    pub fn new(location: Location) -> Self {
        StatementDraft {
            location,
            id: None,
            account: AccountRef::default(),
            owner_name: None,
            account_currency: None,
            from_date: None,
            to_date: None,
            summary: Summary::default(),
            balances: Vec::new(),
            lines: Vec::new(),
            first_entry_currency: None,
            entries: Vec::new(),
        }
    }

    pub fn add_balance(&mut self, balance: BalanceDraft, location: Location) {
        self.balances.push((balance, location));
    }

    pub fn add_entry(&mut self, entry: FinishedEntry, location: Location) {
        self.first_entry_currency
            .get_or_insert(entry.amount.currency());
        self.entries
            .push((entry.amount, entry.direction, entry.status, location));
        self.lines.extend(entry.lines);
    }

    /// The statement, once its closing tag is reached.
    pub fn finish(mut self, warnings: &mut Vec<FormatError>) -> Result<Statement, FormatError> {
        let currency = self.currency()?;
        let mut opening: Option<(Balance, &Location)> = None;
        let mut closing: Option<(Balance, &Location)> = None;
        let mut interim: Option<(Balance, &Location)> = None;
        for (draft, location) in &self.balances {
            let (Some(code), Some(amount)) = (draft.code.as_deref(), draft.amount) else {
                return Err(FormatError::new(
                    location.clone(),
                    "Bal",
                    "a balance needs its type code and amount",
                ));
            };
            let slot = match code {
                "OPBD" => &mut opening,
                // The previous statement's closing balance, used as this one's opening.
                "PRCD" if opening.is_none() => &mut opening,
                "CLBD" => &mut closing,
                "ITBD" => &mut interim,
                _ => continue,
            };
            if amount.currency() != currency {
                warnings.push(FormatError::new(
                    location.clone(),
                    "Bal/Amt/@Ccy",
                    format!(
                        "the {code} balance is in {} but the account is in {currency}; it is ignored",
                        amount.currency()
                    ),
                ));
                continue;
            }
            let signed = match draft.direction {
                Some(Direction::Debit) => amount.checked_neg().map_err(|_| {
                    FormatError::new(location.clone(), "Bal/Amt", "balance out of range")
                })?,
                _ => amount,
            };
            *slot = Some((
                Balance {
                    amount: signed,
                    date: draft.date,
                },
                location,
            ));
        }
        // An intraday report (camt.052) or a statement page carries its current booked balance
        // as ITBD instead of a closing balance.
        if closing.is_none() {
            closing = interim;
        }
        let mut booked = Tally::default();
        let mut all = Tally::default();
        for (amount, direction, status, location) in &self.entries {
            if amount.currency() != currency {
                warnings.push(FormatError::new(
                    location.clone(),
                    "Ntry/Amt/@Ccy",
                    format!(
                        "entry in {} on an account in {currency}; it is left out of the totals",
                        amount.currency()
                    ),
                ));
                continue;
            }
            all.add(*amount, *direction);
            if *status == EntryStatus::Booked {
                booked.add(*amount, *direction);
            }
        }
        if let (Some((open, _)), Some((close, close_at))) = (&opening, &closing) {
            let expected =
                i128::from(open.amount.minor()) + booked.credit_minor - booked.debit_minor;
            if expected != i128::from(close.amount.minor()) {
                warnings.push(FormatError::new(
                    (*close_at).clone(),
                    "Bal",
                    format!(
                        "opening balance {} plus booked entries makes {}, but the closing balance is {}",
                        open.amount,
                        format_minor(expected, close.amount),
                        close.amount
                    ),
                ));
            }
        }
        let (total_credits, total_debits) = self.check_summary(currency, booked, all, warnings)?;
        if self.account.name.is_none() {
            self.account.name = self.owner_name.take();
        }
        if self.account.number.is_empty() {
            self.account.number = self.account.iban.clone().unwrap_or_default();
        }
        Ok(Statement {
            account: self.account,
            currency,
            statement_id: self.id,
            from_date: self.from_date,
            to_date: self.to_date,
            opening_balance: opening.map(|(balance, _)| balance),
            closing_balance: closing.map(|(balance, _)| balance),
            total_credits,
            total_debits,
            lines: self.lines,
            location: self.location,
        })
    }

    /// `Acct/Ccy`, else the currency the bank reports balances and entries in.
    fn currency(&self) -> Result<Currency, FormatError> {
        let from_balances = || {
            self.balances
                .iter()
                .find(|(draft, _)| matches!(draft.code.as_deref(), Some("OPBD" | "CLBD")))
                .and_then(|(draft, _)| draft.amount.map(|amount| amount.currency()))
        };
        self.account_currency
            .or_else(from_balances)
            .or(self.first_entry_currency)
            .or_else(|| {
                self.balances
                    .iter()
                    .find_map(|(draft, _)| draft.amount.map(|amount| amount.currency()))
            })
            .ok_or_else(|| {
                FormatError::new(
                    self.location.clone(),
                    "Acct/Ccy",
                    "no currency: the account has none and there is no balance or entry to take it from",
                )
            })
    }

    fn check_summary(
        &self,
        currency: Currency,
        booked: Tally,
        all: Tally,
        warnings: &mut Vec<FormatError>,
    ) -> Result<(Option<Money>, Option<Money>), FormatError> {
        let parse = |text: &Option<String>, field: &str| -> Result<Option<Money>, FormatError> {
            text.as_deref()
                .map(|text| {
                    super::values::decimal(text, currency)
                        .map_err(|message| FormatError::new(self.location.clone(), field, message))
                })
                .transpose()
        };
        let credit_sum = parse(&self.summary.credit_sum, "TxsSummry/TtlCdtNtries/Sum")?;
        let debit_sum = parse(&self.summary.debit_sum, "TxsSummry/TtlDbtNtries/Sum")?;
        let agrees = |tally: Tally| {
            credit_sum.is_none_or(|sum| i128::from(sum.minor()) == tally.credit_minor)
                && debit_sum.is_none_or(|sum| i128::from(sum.minor()) == tally.debit_minor)
                && self
                    .summary
                    .credit_count
                    .is_none_or(|count| count == tally.credit_count)
                && self
                    .summary
                    .debit_count
                    .is_none_or(|count| count == tally.debit_count)
                && self
                    .summary
                    .entry_count
                    .is_none_or(|count| count == tally.credit_count + tally.debit_count)
        };
        // Banks count either the booked entries or every entry listed; either is consistent.
        if !agrees(booked) && !agrees(all) {
            warnings.push(FormatError::new(
                self.location.clone(),
                "TxsSummry",
                format!(
                    "the summary does not match the entries: it states {} credits / {} debits ({} / {}), the entries are {} credits / {} debits ({} / {})",
                    show(self.summary.credit_count),
                    show(self.summary.debit_count),
                    show(credit_sum),
                    show(debit_sum),
                    all.credit_count,
                    all.debit_count,
                    format_minor(all.credit_minor, Money::zero(currency)),
                    format_minor(all.debit_minor, Money::zero(currency)),
                ),
            ));
        }
        Ok((credit_sum, debit_sum))
    }
}

fn show<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |value| value.to_string())
}
