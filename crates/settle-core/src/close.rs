//! The month-end close checklist: what must be true before a period is locked, judged from
//! facts the service gathers. Each item says whether it passes, what it found, and whether it
//! blocks the close; a blocking item can be waived only with a reason, which stays on record.

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::Money;
use crate::period::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// Worth a look; does not block.
    Attention,
    /// Blocks the close unless waived.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    pub key: String,
    pub title: String,
    pub status: CheckStatus,
    pub summary: String,
    /// What was found, one line each (statements missing, payments unapplied, …).
    pub lines: Vec<String>,
    /// The reason given to close despite a failure.
    pub waived: Option<String>,
}

impl CheckItem {
    fn new(key: &str, title: &str) -> Self {
        CheckItem {
            key: key.to_string(),
            title: title.to_string(),
            status: CheckStatus::Ok,
            summary: String::new(),
            lines: Vec::new(),
            waived: None,
        }
    }

    pub fn blocks(&self) -> bool {
        self.status == CheckStatus::Failed && self.waived.is_none()
    }
}

/// The keys of the checklist, in the order shown.
pub const CHECK_KEYS: &[&str] = &[
    "ledger",
    "bank_files",
    "statements",
    "suggestions",
    "unapplied_cash",
    "disputes",
    "reserve",
    "gl_reconciliation",
    "aging_snapshot",
];

/// One bank statement's span and balance check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSpan {
    pub bank_account: String,
    pub reference: String,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Closing − opening − lines; `None` when the statement gave no balances.
    pub difference: Option<Money>,
}

/// Weekdays of the period that no statement of the bank account covers. Banks report every
/// business day (an empty day still gets a statement in BAI2 and camt.053), so a weekday
/// without one is most likely a file not imported; a bank holiday is waived with its reason.
pub fn uncovered_weekdays(period: &Period, spans: &[(Date, Date)]) -> Vec<Date> {
    let mut missing = Vec::new();
    let mut day = period.start;
    while day <= period.end {
        let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
        if !weekend && !spans.iter().any(|(from, to)| *from <= day && day <= *to) {
            missing.push(day);
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    missing
}

/// Every bank account that has statements must have them for every weekday of the period.
pub fn check_bank_files(period: &Period, statements: &[StatementSpan]) -> CheckItem {
    let mut item = CheckItem::new("bank_files", "every bank file for the period imported");
    let mut accounts: Vec<&str> = statements.iter().map(|s| s.bank_account.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    if accounts.is_empty() {
        item.status = CheckStatus::Attention;
        item.summary = "no bank statements imported at all".into();
        return item;
    }
    for account in &accounts {
        let spans: Vec<(Date, Date)> = statements
            .iter()
            .filter(|s| s.bank_account == *account)
            .filter_map(|s| {
                let from = s.from.or(s.to)?;
                Some((from, s.to.unwrap_or(from)))
            })
            .collect();
        let missing = uncovered_weekdays(period, &spans);
        if !missing.is_empty() {
            item.lines.push(format!(
                "{account}: no statement for {} weekday(s): {}",
                missing.len(),
                compress_days(&missing)
            ));
        }
    }
    if item.lines.is_empty() {
        item.summary = format!(
            "{} bank account(s) covered for every weekday",
            accounts.len()
        );
    } else {
        item.status = CheckStatus::Failed;
        item.summary = format!("{} bank account(s) with days missing", item.lines.len());
    }
    item
}

/// Runs of consecutive missing days as `a..b`.
fn compress_days(days: &[Date]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut start = days[0];
    let mut end = days[0];
    for &day in &days[1..] {
        let gap_is_weekend = end
            .tomorrow()
            .ok()
            .into_iter()
            .chain(end.tomorrow().and_then(|d| d.tomorrow()).ok())
            .chain(
                end.tomorrow()
                    .and_then(|d| d.tomorrow())
                    .and_then(|d| d.tomorrow())
                    .ok(),
            )
            .any(|d| d == day);
        if gap_is_weekend {
            end = day;
        } else {
            parts.push(span_text(start, end));
            start = day;
            end = day;
        }
    }
    parts.push(span_text(start, end));
    parts.join(", ")
}

fn span_text(start: Date, end: Date) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}..{end}")
    }
}

/// Statements ending in the period must balance: opening + credits − debits = closing.
pub fn check_statements(
    period: &Period,
    statements: &[StatementSpan],
    receipt_differences: &[String],
) -> CheckItem {
    let mut item = CheckItem::new("statements", "statement balances reconciled");
    let in_period: Vec<&StatementSpan> = statements
        .iter()
        .filter(|s| s.to.or(s.from).is_some_and(|d| period.contains(d)))
        .collect();
    let mut unbalanced = 0;
    let mut no_balances = 0;
    for statement in &in_period {
        match statement.difference {
            Some(difference) if !difference.is_zero() => {
                unbalanced += 1;
                item.lines.push(format!(
                    "{} statement {} ({}): out of balance by {} {}",
                    statement.bank_account,
                    statement.reference,
                    statement
                        .to
                        .or(statement.from)
                        .map_or(String::new(), |d| d.to_string()),
                    difference.to_decimal_string(),
                    difference.currency()
                ));
            }
            Some(_) => {}
            None => no_balances += 1,
        }
    }
    for line in receipt_differences {
        item.lines.push(format!("receipts: {line}"));
    }
    item.summary = format!(
        "{} statement(s) in the period, {unbalanced} out of balance, {no_balances} without balances; {} day(s) where receipts and statements differ",
        in_period.len(),
        receipt_differences.len()
    );
    item.status = if unbalanced > 0 {
        CheckStatus::Failed
    } else if !receipt_differences.is_empty() {
        CheckStatus::Attention
    } else {
        CheckStatus::Ok
    };
    item
}

/// A payment's unapplied cash at the period's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnappliedCash {
    pub bank_reference: String,
    pub customer: Option<String>,
    pub received_on: Date,
    pub amount: Money,
}

/// Unapplied cash at the period end, each payment with its age. Cash identified to a customer
/// is that customer's credit (explained); cash whose payer nobody has identified blocks.
pub fn check_unapplied(period: &Period, payments: &[UnappliedCash]) -> CheckItem {
    let mut item = CheckItem::new("unapplied_cash", "unapplied cash explained");
    let mut unidentified = 0;
    for payment in payments {
        let age = (period.end - payment.received_on).get_days();
        let whose = match &payment.customer {
            Some(code) => format!("credit of {code}"),
            None => {
                unidentified += 1;
                "payer not identified".to_string()
            }
        };
        item.lines.push(format!(
            "{} {} received {} ({age} days): {whose}, bank ref {}",
            payment.amount.to_decimal_string(),
            payment.amount.currency(),
            payment.received_on,
            payment.bank_reference
        ));
    }
    item.summary = format!(
        "{} payment(s) with unapplied cash at {}, {unidentified} not identified",
        payments.len(),
        period.end
    );
    item.status = if unidentified > 0 {
        CheckStatus::Failed
    } else if payments.is_empty() {
        CheckStatus::Ok
    } else {
        CheckStatus::Attention
    };
    item
}

/// Suggestions the matcher made that no person has accepted or rejected.
pub fn check_suggestions(period: &Period, open: &[(String, Date, Money)]) -> CheckItem {
    let mut item = CheckItem::new("suggestions", "match suggestions worked");
    for (reference, received_on, amount) in open {
        item.lines.push(format!(
            "bank ref {reference}, received {received_on}, {} {} waiting for a decision",
            amount.to_decimal_string(),
            amount.currency()
        ));
    }
    item.summary = format!(
        "{} suggestion(s) open on payments received by {}",
        open.len(),
        period.end
    );
    if !open.is_empty() {
        item.status = CheckStatus::Failed;
    }
    item
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDispute {
    pub customer: String,
    pub item: String,
    pub amount: Money,
    pub reason: String,
    pub opened_on: Date,
}

/// Disputes open longer than `min_age_days` at the period end: listed for the controller.
pub fn check_disputes(period: &Period, disputes: &[OpenDispute], min_age_days: i32) -> CheckItem {
    let mut item = CheckItem::new("disputes", "old disputes listed");
    for dispute in disputes {
        let age = (period.end - dispute.opened_on).get_days();
        if age < min_age_days {
            continue;
        }
        item.lines.push(format!(
            "{} {}: {} {} ({}), open {age} days since {}",
            dispute.customer,
            dispute.item,
            dispute.amount.to_decimal_string(),
            dispute.amount.currency(),
            dispute.reason,
            dispute.opened_on
        ));
    }
    item.summary = format!(
        "{} dispute(s) open more than {min_age_days} days",
        item.lines.len()
    );
    if !item.lines.is_empty() {
        item.status = CheckStatus::Attention;
    }
    item
}

/// The reserve must have been computed as of the period end (a run that posted nothing
/// because nothing changed counts).
pub fn check_reserve(period: &Period, runs: &[(Date, Money, Money)]) -> CheckItem {
    let mut item = CheckItem::new("reserve", "bad-debt reserve booked");
    let at_end: Vec<_> = runs
        .iter()
        .filter(|(as_of, ..)| *as_of == period.end)
        .collect();
    for (_, required, adjustment) in &at_end {
        item.lines.push(format!(
            "allowance {} {} (adjusted by {})",
            required.to_decimal_string(),
            required.currency(),
            adjustment.to_decimal_string()
        ));
    }
    if at_end.is_empty() {
        item.status = CheckStatus::Failed;
        item.summary = format!(
            "no reserve computed as of {}: run `settle reserve --period {}`",
            period.end, period.name
        );
    } else {
        item.summary = format!("reserve booked as of {}", period.end);
    }
    item
}

/// The books themselves: every entry balances and the subledger equals the control account.
pub fn check_ledger(problems: &[String]) -> CheckItem {
    let mut item = CheckItem::new("ledger", "journal balanced, subledger equals A/R control");
    item.lines = problems.to_vec();
    if problems.is_empty() {
        item.summary = "verified".into();
    } else {
        item.status = CheckStatus::Failed;
        item.summary = format!("{} problem(s) found by verify", problems.len());
    }
    item
}

/// The general ledger's A/R balance compared with Settle's, when one was imported.
pub fn check_gl(differences: Option<&[String]>) -> CheckItem {
    let mut item = CheckItem::new(
        "gl_reconciliation",
        "subledger agrees with the general ledger",
    );
    match differences {
        None => {
            item.status = CheckStatus::Attention;
            item.summary = "no general-ledger balance imported for the period".into();
        }
        Some([]) => item.summary = "the general ledger agrees to the cent".into(),
        Some(lines) => {
            item.status = CheckStatus::Attention;
            item.summary = format!("{} difference(s) with the general ledger", lines.len());
            item.lines = lines.to_vec();
        }
    }
    item
}

/// The aging at the period end is frozen when the period closes.
pub fn check_aging_snapshot(period: &Period, frozen_items: Option<i64>) -> CheckItem {
    let mut item = CheckItem::new("aging_snapshot", "period-end aging frozen");
    item.summary = match frozen_items {
        Some(items) => format!("frozen with {items} open item(s)"),
        None => format!("taken as of {} when the period closes", period.end),
    };
    item
}

/// Marks waived items; a waiver must name a checklist item and give a reason.
pub fn waive(items: &mut [CheckItem], key: &str, reason: &str) -> Result<(), String> {
    if reason.trim().is_empty() {
        return Err(format!("waiving {key} needs a reason"));
    }
    let item = items.iter_mut().find(|i| i.key == key).ok_or_else(|| {
        format!(
            "no checklist item {key:?} (items: {})",
            CHECK_KEYS.join(", ")
        )
    })?;
    if item.status == CheckStatus::Failed {
        item.waived = Some(reason.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;
    use crate::period::month;
    use jiff::civil::date;

    #[test]
    fn weekdays_without_a_statement_are_missing() {
        let october = month("2026-10").unwrap();
        // Statements for every weekday but the 14th and 15th; one statement spans a week.
        let mut spans = vec![(date(2026, 10, 1), date(2026, 10, 13))];
        spans.push((date(2026, 10, 16), date(2026, 10, 31)));
        assert_eq!(
            uncovered_weekdays(&october, &spans),
            vec![date(2026, 10, 14), date(2026, 10, 15)]
        );
        let statement = |to: Date| StatementSpan {
            bank_account: "OPERATING".into(),
            reference: to.to_string(),
            from: Some(to),
            to: Some(to),
            difference: Some(Money::new(0, Currency::USD)),
        };
        let daily: Vec<_> = (1..=31)
            .map(|d| statement(date(2026, 10, d)))
            .filter(|s| s.to != Some(date(2026, 10, 9)) && s.to != Some(date(2026, 10, 12)))
            .collect();
        let item = check_bank_files(&october, &daily);
        assert_eq!(item.status, CheckStatus::Failed);
        // Friday the 9th and Monday the 12th are one run across the weekend.
        assert_eq!(
            item.lines,
            ["OPERATING: no statement for 2 weekday(s): 2026-10-09..2026-10-12"]
        );
    }

    #[test]
    fn unidentified_cash_blocks_and_customer_credit_is_listed() {
        let october = month("2026-10").unwrap();
        let credit = UnappliedCash {
            bank_reference: "B1".into(),
            customer: Some("C1".into()),
            received_on: date(2026, 10, 1),
            amount: Money::new(1250, Currency::USD),
        };
        let item = check_unapplied(&october, std::slice::from_ref(&credit));
        assert_eq!(item.status, CheckStatus::Attention);
        assert!(
            item.lines[0].contains("(30 days): credit of C1"),
            "{:?}",
            item.lines
        );
        let unknown = UnappliedCash {
            customer: None,
            ..credit
        };
        let mut items = vec![check_unapplied(&october, &[unknown])];
        assert!(items[0].blocks());
        assert!(waive(&mut items, "unapplied_cash", " ").is_err());
        assert!(waive(&mut items, "nonsense", "because").is_err());
        waive(
            &mut items,
            "unapplied_cash",
            "wire from the tax office, booked by GL",
        )
        .unwrap();
        assert!(!items[0].blocks());
    }

    #[test]
    fn only_disputes_older_than_the_limit_are_listed() {
        let october = month("2026-10").unwrap();
        let dispute = |opened_on| OpenDispute {
            customer: "C1".into(),
            item: "INV-1".into(),
            amount: Money::new(500, Currency::EUR),
            reason: "pricing".into(),
            opened_on,
        };
        let item = check_disputes(
            &october,
            &[dispute(date(2026, 9, 1)), dispute(date(2026, 10, 20))],
            30,
        );
        assert_eq!(item.lines.len(), 1);
        assert_eq!(item.status, CheckStatus::Attention);
        assert!(!item.blocks());
    }
}
