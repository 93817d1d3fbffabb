//! The posting rules: each money event, checked against the state it acts on, becomes one
//! balanced journal entry, as ACCOUNTING.md lays out.
//!
//! These functions decide; they do not store. The service loads the states, calls a rule, and
//! writes the entry it returns in one transaction. Rejections are values, checked in the order
//! the variants of [`Rejection`] are listed, so the same bad request always gets the same answer.

use jiff::civil::Date;

use crate::accounts::{AccountRole, ChartError, ChartOfAccounts};
use crate::currency::Currency;
use crate::document::{ItemKind, ItemState, NewDocument};
use crate::ids::{CustomerId, ItemId, PaymentId};
use crate::journal::{EntryKind, JournalEntry, Posting};
use crate::money::{Money, MoneyError};
use crate::payment::{NewPayment, PaymentState};
use crate::reason::ReasonCode;
use crate::terms::TermsError;

/// Why an operation was refused. Listed in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the amount must be positive")]
    NotPositive,
    #[error("currency mismatch: expected {expected}, got {found}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("{what} belongs to another customer")]
    CustomerMismatch { what: String },
    #[error("{number} is a {found}, expected {expected}")]
    WrongKind {
        number: String,
        expected: &'static str,
        found: ItemKind,
    },
    #[error("{what} has nothing open")]
    NothingOpen { what: String },
    #[error("{requested} exceeds the open amount {open} of {what}")]
    ExceedsOpenAmount {
        what: String,
        open: Money,
        requested: Money,
    },
    #[error("{requested} exceeds the unapplied amount {unapplied} of the payment")]
    ExceedsUnapplied { unapplied: Money, requested: Money },
    #[error("the date {date} is before {what} ({earliest})")]
    DateTooEarly {
        date: Date,
        what: String,
        earliest: Date,
    },
    #[error("the document has no lines")]
    NoLines,
    #[error("a line has a negative amount or tax")]
    NegativeLine,
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Terms(#[from] TermsError),
}

fn require_positive(amount: Money) -> Result<(), Rejection> {
    if amount.is_positive() {
        Ok(())
    } else {
        Err(Rejection::NotPositive)
    }
}

fn require_currency(expected: Currency, found: Currency) -> Result<(), Rejection> {
    if expected == found {
        Ok(())
    } else {
        Err(Rejection::CurrencyMismatch { expected, found })
    }
}

/// Nothing is booked against a document before it exists.
fn require_not_before(
    date: Date,
    earliest: Date,
    what: impl FnOnce() -> String,
) -> Result<(), Rejection> {
    if date >= earliest {
        Ok(())
    } else {
        Err(Rejection::DateTooEarly {
            date,
            what: what(),
            earliest,
        })
    }
}

fn require_debit_item(item: &ItemState) -> Result<(), Rejection> {
    if item.kind.is_debit() {
        Ok(())
    } else {
        Err(Rejection::WrongKind {
            number: item.number.clone(),
            expected: "invoice or debit memo",
            found: item.kind,
        })
    }
}

/// The amount to move: what was asked for, or everything open when nothing was asked, never
/// more than `open`.
fn amount_within(requested: Option<Money>, open: Money, what: &str) -> Result<Money, Rejection> {
    if !open.is_positive() {
        return Err(Rejection::NothingOpen {
            what: what.to_string(),
        });
    }
    let amount = requested.unwrap_or(open);
    require_positive(amount)?;
    require_currency(open.currency(), amount.currency())?;
    if amount > open {
        return Err(Rejection::ExceedsOpenAmount {
            what: what.to_string(),
            open,
            requested: amount,
        });
    }
    Ok(amount)
}

/// Invoice or debit memo: Dr A/R total · Cr Revenue (or Interest income) net · Cr Tax payable.
/// Credit memo: Dr Sales returns net · Dr Tax payable · Cr A/R total.
pub fn issue_document(
    chart: &ChartOfAccounts,
    item: ItemId,
    document: &NewDocument,
) -> Result<JournalEntry, Rejection> {
    if document.lines.is_empty() {
        return Err(Rejection::NoLines);
    }
    if document
        .lines
        .iter()
        .any(|l| l.net.is_negative() || l.tax.is_negative())
    {
        return Err(Rejection::NegativeLine);
    }
    for line in &document.lines {
        require_currency(document.currency, line.net.currency())?;
        require_currency(document.currency, line.tax.currency())?;
    }
    let total = document.total()?;
    require_positive(total)?;
    let net = document.net()?;
    let tax = document.tax()?;
    let (kind, income_role) = match document.kind {
        ItemKind::Invoice => (EntryKind::Invoice, AccountRole::Revenue),
        ItemKind::DebitMemo if document.reason == Some(ReasonCode::LateInterest) => {
            (EntryKind::DebitMemo, AccountRole::InterestIncome)
        }
        ItemKind::DebitMemo => (EntryKind::DebitMemo, AccountRole::Revenue),
        ItemKind::CreditMemo => (EntryKind::CreditMemo, AccountRole::SalesReturns),
    };
    // A debit item is booked as it stands; a credit memo is the mirror image.
    let sign = if document.kind.is_debit() { 1 } else { -1 };
    let signed = |m: Money| Money::new(sign * m.minor(), m.currency());
    let memo = format!("{} {}", document.kind, document.number);
    let mut entry = JournalEntry::new(kind, document.issue_date, memo);
    entry.post(
        Posting::new(chart.code(AccountRole::ArControl), signed(total))
            .for_item(document.customer, item),
    );
    entry.post(Posting::new(
        chart.code(income_role),
        signed(net.checked_neg()?),
    ));
    entry.post(Posting::new(
        chart.code(AccountRole::TaxPayable),
        signed(tax.checked_neg()?),
    ));
    Ok(entry)
}

/// Payment received: Dr Cash (its bank account) · Cr Unapplied cash (the payment).
pub fn receive_payment(
    chart: &ChartOfAccounts,
    payment: PaymentId,
    received: &NewPayment,
) -> Result<JournalEntry, Rejection> {
    require_positive(received.amount)?;
    let cash = chart.cash(&received.bank_account)?;
    let memo = format!("payment {} {}", received.method, received.bank_reference);
    let mut entry = JournalEntry::new(EntryKind::Payment, received.received_on, memo);
    entry.post(Posting::new(cash, received.amount));
    entry.post(
        Posting::new(
            chart.code(AccountRole::UnappliedCash),
            received.amount.checked_neg()?,
        )
        .for_payment(received.customer, payment),
    );
    Ok(entry)
}

/// Cash received from a payer not identified at the time is found to be `customer`'s: its
/// unapplied cash moves from the unidentified payer to the customer (Dr Unapplied cash,
/// unidentified · Cr Unapplied cash, customer). Nothing else moves: the cash was received
/// already.
pub fn identify_payer(
    chart: &ChartOfAccounts,
    payment: &PaymentState,
    customer: CustomerId,
    date: Date,
) -> Result<JournalEntry, Rejection> {
    if payment.customer.is_some() {
        return Err(Rejection::CustomerMismatch {
            what: format!("payment {}, whose payer is known already", payment.id),
        });
    }
    if !payment.unapplied.is_positive() {
        return Err(Rejection::NothingOpen {
            what: format!("payment {}", payment.id),
        });
    }
    require_not_before(date, payment.received_on, || {
        "the payment's value date".to_string()
    })?;
    let unapplied = chart.code(AccountRole::UnappliedCash);
    let memo = format!("payment {} identified as customer {customer}'s", payment.id);
    let mut entry = JournalEntry::new(EntryKind::PayerIdentified, date, memo);
    entry.post(Posting::new(unapplied, payment.unapplied).for_payment(None, payment.id));
    entry.post(
        Posting::new(unapplied, payment.unapplied.checked_neg()?)
            .for_payment(Some(customer), payment.id),
    );
    Ok(entry)
}

/// Whether an application takes an early-payment discount the terms offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountPolicy {
    /// Take the discount when it is earned (cash on or before the discount date) and the cash
    /// covers the rest of the invoice.
    WhenEarned,
    Never,
}

/// What a cash application books: the cash moved and any discount granted with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashApplication {
    pub cash: Money,
    pub discount: Money,
    pub entry: JournalEntry,
}

/// Cash to an invoice: Dr Unapplied cash · Cr A/R, plus Dr Sales discounts · Cr A/R for an earned
/// discount. Never more than the invoice's open amount or the payment's unapplied amount; what
/// is left of an over-payment stays unapplied.
pub fn apply_cash(
    chart: &ChartOfAccounts,
    payment: &PaymentState,
    invoice: &ItemState,
    requested: Option<Money>,
    discount_policy: DiscountPolicy,
    date: Date,
) -> Result<CashApplication, Rejection> {
    if let Some(amount) = requested {
        require_positive(amount)?;
    }
    require_currency(invoice.currency, payment.currency)?;
    if payment.customer.is_some_and(|c| c != invoice.customer) {
        return Err(Rejection::CustomerMismatch {
            what: format!("invoice {}", invoice.number),
        });
    }
    require_debit_item(invoice)?;
    require_not_before(date, invoice.issue_date, || {
        format!("the issue date of {}", invoice.number)
    })?;
    require_not_before(date, payment.received_on, || {
        "the payment's value date".to_string()
    })?;
    let open = invoice.open_amount();
    if !open.is_positive() {
        return Err(Rejection::NothingOpen {
            what: format!("invoice {}", invoice.number),
        });
    }
    if !payment.unapplied.is_positive() {
        return Err(Rejection::NothingOpen {
            what: "the payment".to_string(),
        });
    }
    // The discount is on the document total, and only when this application settles the rest.
    let offered = match discount_policy {
        DiscountPolicy::WhenEarned => invoice
            .terms
            .earned_discount(invoice.total, invoice.issue_date, payment.received_on)?
            .unwrap_or(Money::zero(invoice.currency)),
        DiscountPolicy::Never => Money::zero(invoice.currency),
    };
    let offered = offered.min(open)?;
    let rest_after_discount = open.checked_sub(offered)?;
    let (cash, discount) = match requested {
        Some(amount) if amount > open => {
            return Err(Rejection::ExceedsOpenAmount {
                what: format!("invoice {}", invoice.number),
                open,
                requested: amount,
            });
        }
        Some(amount) if offered.is_positive() && amount >= rest_after_discount => {
            (rest_after_discount, offered)
        }
        Some(amount) => (amount, Money::zero(invoice.currency)),
        None if offered.is_positive() && payment.unapplied >= rest_after_discount => {
            (rest_after_discount, offered)
        }
        None => (payment.unapplied.min(open)?, Money::zero(invoice.currency)),
    };
    if cash > payment.unapplied {
        return Err(Rejection::ExceedsUnapplied {
            unapplied: payment.unapplied,
            requested: cash,
        });
    }
    let ar = chart.code(AccountRole::ArControl);
    let memo = format!("apply payment {} to {}", payment.id, invoice.number);
    let mut entry = JournalEntry::new(EntryKind::CashApplication, date, memo);
    entry.post(
        Posting::new(chart.code(AccountRole::UnappliedCash), cash)
            .for_payment(payment.customer, payment.id),
    );
    entry.post(Posting::new(ar, cash.checked_neg()?).for_item(invoice.customer, invoice.id));
    entry.post(Posting::new(
        chart.code(AccountRole::SalesDiscounts),
        discount,
    ));
    entry.post(Posting::new(ar, discount.checked_neg()?).for_item(invoice.customer, invoice.id));
    Ok(CashApplication {
        cash,
        discount,
        entry,
    })
}

/// Cash of a parent company applied to an invoice of one of its subsidiaries (a group payment;
/// `invoice_parent` is the invoice's customer's parent). The cash first moves from the parent's
/// unapplied cash to the subsidiary's (Dr Unapplied cash, parent · Cr Unapplied cash,
/// subsidiary), then applies as [`apply_cash`] does (Dr Unapplied cash, subsidiary · Cr A/R),
/// in one entry: every posting stays with its own customer, and reversing the entry (an unapply,
/// a returned item) restores both. Cash of the invoice's own customer, or of a payer not yet
/// identified, is an ordinary [`apply_cash`].
pub fn apply_group_cash(
    chart: &ChartOfAccounts,
    payment: &PaymentState,
    invoice: &ItemState,
    invoice_parent: Option<CustomerId>,
    requested: Option<Money>,
    discount_policy: DiscountPolicy,
    date: Date,
) -> Result<CashApplication, Rejection> {
    let payer = match payment.customer {
        Some(payer) if payer != invoice.customer => payer,
        _ => return apply_cash(chart, payment, invoice, requested, discount_policy, date),
    };
    if invoice_parent != Some(payer) {
        return Err(Rejection::CustomerMismatch {
            what: format!("invoice {}", invoice.number),
        });
    }
    let as_subsidiarys = PaymentState {
        customer: Some(invoice.customer),
        ..payment.clone()
    };
    let applied = apply_cash(
        chart,
        &as_subsidiarys,
        invoice,
        requested,
        discount_policy,
        date,
    )?;
    let unapplied = chart.code(AccountRole::UnappliedCash);
    let memo = format!(
        "apply payment {} of parent {payer} to {} (group of {})",
        payment.id, invoice.number, invoice.customer
    );
    let mut entry = JournalEntry::new(EntryKind::CashApplication, date, memo);
    entry.post(Posting::new(unapplied, applied.cash).for_payment(Some(payer), payment.id));
    entry.post(
        Posting::new(unapplied, applied.cash.checked_neg()?)
            .for_payment(Some(invoice.customer), payment.id),
    );
    for posting in applied.entry.postings {
        entry.post(posting);
    }
    Ok(CashApplication { entry, ..applied })
}

/// A credit memo to an invoice of the same customer: Dr A/R (credit item) · Cr A/R (invoice).
/// The control account does not move.
pub fn apply_credit(
    chart: &ChartOfAccounts,
    credit: &ItemState,
    invoice: &ItemState,
    requested: Option<Money>,
    date: Date,
) -> Result<(Money, JournalEntry), Rejection> {
    if let Some(amount) = requested {
        require_positive(amount)?;
    }
    require_currency(invoice.currency, credit.currency)?;
    if credit.customer != invoice.customer {
        return Err(Rejection::CustomerMismatch {
            what: format!("credit memo {}", credit.number),
        });
    }
    if credit.kind != ItemKind::CreditMemo {
        return Err(Rejection::WrongKind {
            number: credit.number.clone(),
            expected: "credit memo",
            found: credit.kind,
        });
    }
    require_debit_item(invoice)?;
    require_not_before(date, invoice.issue_date, || {
        format!("the issue date of {}", invoice.number)
    })?;
    require_not_before(date, credit.issue_date, || {
        format!("the issue date of {}", credit.number)
    })?;
    let invoice_open = invoice.open_amount();
    let credit_open = credit.open_amount();
    let amount = match requested {
        Some(amount) => amount,
        None => invoice_open.min(credit_open)?,
    };
    amount_within(
        Some(amount),
        invoice_open,
        &format!("invoice {}", invoice.number),
    )?;
    amount_within(
        Some(amount),
        credit_open,
        &format!("credit memo {}", credit.number),
    )?;
    let ar = chart.code(AccountRole::ArControl);
    let memo = format!("apply {} to {}", credit.number, invoice.number);
    let mut entry = JournalEntry::new(EntryKind::CreditApplication, date, memo);
    entry.post(Posting::new(ar, amount).for_item(credit.customer, credit.id));
    entry.post(Posting::new(ar, amount.checked_neg()?).for_item(invoice.customer, invoice.id));
    Ok((amount, entry))
}

/// The account that takes the other side of an adjustment, by its reason.
pub fn adjustment_account(reason: ReasonCode) -> AccountRole {
    match reason {
        ReasonCode::BankFee => AccountRole::BankFees,
        ReasonCode::SmallBalance | ReasonCode::Rounding => AccountRole::Rounding,
        ReasonCode::LateInterest => AccountRole::InterestIncome,
        ReasonCode::BadDebt | ReasonCode::Bankruptcy => AccountRole::BadDebtExpense,
        _ => AccountRole::SalesReturns,
    }
}

/// An adjustment of an open item's balance by `change` (negative lowers what is owed), against
/// the account its reason names. It can close an item but never push it past zero.
pub fn adjust(
    chart: &ChartOfAccounts,
    item: &ItemState,
    change: Money,
    reason: ReasonCode,
    date: Date,
) -> Result<JournalEntry, Rejection> {
    if change.is_zero() {
        return Err(Rejection::NotPositive);
    }
    require_currency(item.currency, change.currency())?;
    require_not_before(date, item.issue_date, || {
        format!("the issue date of {}", item.number)
    })?;
    let after = item.balance.checked_add(change)?;
    let crosses_zero = if item.kind.is_debit() {
        after.is_negative()
    } else {
        after.is_positive()
    };
    if crosses_zero {
        return Err(Rejection::ExceedsOpenAmount {
            what: format!("{} {}", item.kind, item.number),
            open: item.open_amount(),
            requested: change.checked_abs()?,
        });
    }
    let memo = format!("adjust {} ({reason})", item.number);
    let mut entry = JournalEntry::new(EntryKind::Adjustment, date, memo);
    entry.post(
        Posting::new(chart.code(AccountRole::ArControl), change).for_item(item.customer, item.id),
    );
    entry.post(Posting::new(
        chart.code(adjustment_account(reason)),
        change.checked_neg()?,
    ));
    Ok(entry)
}

/// Where a write-off is charged, by policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOffPolicy {
    /// Draw on the reserve (the allowance method).
    Allowance,
    /// Charge the expense directly (the direct write-off method).
    DirectExpense,
}

/// Write-off: Dr Allowance (or Bad debt expense) · Cr A/R (the invoice), at most its open amount.
pub fn write_off(
    chart: &ChartOfAccounts,
    item: &ItemState,
    requested: Option<Money>,
    policy: WriteOffPolicy,
    reason: ReasonCode,
    date: Date,
) -> Result<(Money, JournalEntry), Rejection> {
    if let Some(amount) = requested {
        require_positive(amount)?;
        require_currency(item.currency, amount.currency())?;
    }
    require_debit_item(item)?;
    require_not_before(date, item.issue_date, || {
        format!("the issue date of {}", item.number)
    })?;
    let what = format!("{} {}", item.kind, item.number);
    let amount = amount_within(requested, item.open_amount(), &what)?;
    let role = match policy {
        WriteOffPolicy::Allowance => AccountRole::Allowance,
        WriteOffPolicy::DirectExpense => AccountRole::BadDebtExpense,
    };
    let memo = format!("write off {} ({reason})", item.number);
    let mut entry = JournalEntry::new(EntryKind::WriteOff, date, memo);
    entry.post(Posting::new(chart.code(role), amount));
    entry.post(
        Posting::new(chart.code(AccountRole::ArControl), amount.checked_neg()?)
            .for_item(item.customer, item.id),
    );
    Ok((amount, entry))
}

/// Whose credit a refund pays back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundSource<'a> {
    /// Unapplied cash of a payment (an over-payment).
    Payment(&'a PaymentState),
    /// The unused part of a credit memo.
    Credit(&'a ItemState),
}

/// Refund approved: Dr Unapplied cash (or the credit item) · Cr Refunds clearing.
pub fn refund(
    chart: &ChartOfAccounts,
    source: RefundSource<'_>,
    requested: Option<Money>,
    date: Date,
) -> Result<(Money, JournalEntry), Rejection> {
    if let Some(amount) = requested {
        require_positive(amount)?;
    }
    let clearing = chart.code(AccountRole::RefundsClearing);
    let (amount, debit, memo) = match source {
        RefundSource::Payment(payment) => {
            require_not_before(date, payment.received_on, || {
                "the payment's value date".to_string()
            })?;
            let amount = amount_within(requested, payment.unapplied, "the payment")?;
            let debit = Posting::new(chart.code(AccountRole::UnappliedCash), amount)
                .for_payment(payment.customer, payment.id);
            (amount, debit, format!("refund of payment {}", payment.id))
        }
        RefundSource::Credit(credit) => {
            if credit.kind != ItemKind::CreditMemo {
                return Err(Rejection::WrongKind {
                    number: credit.number.clone(),
                    expected: "credit memo",
                    found: credit.kind,
                });
            }
            require_not_before(date, credit.issue_date, || {
                format!("the issue date of {}", credit.number)
            })?;
            let what = format!("credit memo {}", credit.number);
            let amount = amount_within(requested, credit.open_amount(), &what)?;
            let debit = Posting::new(chart.code(AccountRole::ArControl), amount)
                .for_item(credit.customer, credit.id);
            (amount, debit, format!("refund of {}", credit.number))
        }
    };
    let mut entry = JournalEntry::new(EntryKind::Refund, date, memo);
    entry.post(debit);
    entry.post(Posting::new(clearing, amount.checked_neg()?));
    Ok((amount, entry))
}

/// Refund paid out of a bank account: Dr Refunds clearing · Cr Cash.
pub fn pay_out_refund(
    chart: &ChartOfAccounts,
    amount: Money,
    bank_account: &str,
    date: Date,
    memo: impl Into<String>,
) -> Result<JournalEntry, Rejection> {
    require_positive(amount)?;
    let mut entry = JournalEntry::new(EntryKind::RefundPayout, date, memo);
    entry.post(Posting::new(
        chart.code(AccountRole::RefundsClearing),
        amount,
    ));
    entry.post(Posting::new(
        chart.cash(bank_account)?,
        amount.checked_neg()?,
    ));
    Ok(entry)
}
