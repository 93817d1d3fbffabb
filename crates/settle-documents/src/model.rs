//! The data a document shows: plain values built by the caller from the ledger.
//!
//! Amounts are [`Money`] here and reach the template as text in the currency's precision with
//! thousands grouped (`12,345.60`): a template lays figures out and never adds them up, so
//! every total it prints is one the ledger computed. Dates reach it as ISO text.

use serde::{Serialize, Serializer};
use settle_core::{Currency, Date, Money};

/// Page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    #[default]
    A4,
    UsLetter,
}

impl Paper {
    /// `a4` or `letter`, as the command line and the company setting spell it.
    pub fn parse(text: &str) -> Option<Paper> {
        match text.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "letter" | "us-letter" => Some(Paper::UsLetter),
            _ => None,
        }
    }
}

impl Serialize for Paper {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Typst's own paper names.
        s.serialize_str(match self {
            Paper::A4 => "a4",
            Paper::UsLetter => "us-letter",
        })
    }
}

/// Who sends the document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Company {
    pub name: String,
    pub address: Vec<String>,
    pub email: String,
    pub phone: String,
    pub tax_id: String,
    pub website: String,
    /// How to pay: bank, account, reference to quote. One line each.
    pub remittance: Vec<String>,
}

/// Who receives it: the customer's address block.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Party {
    pub code: String,
    pub name: String,
    pub address: Vec<String>,
    pub email: String,
    pub tax_id: String,
}

/// What every document has: sender, recipient, date, paper, and an optional logo file (a
/// file name in the templates folder, such as `logo.svg`).
#[derive(Debug, Clone, Serialize)]
pub struct Letterhead {
    pub company: Company,
    pub customer: Party,
    pub date: Date,
    pub paper: Paper,
    pub logo: Option<String>,
}

/// An invoice, a credit memo or a debit memo.
#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    /// `invoice`, `credit_memo` or `debit_memo`.
    pub kind: String,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub terms: String,
    pub po_number: String,
    pub description: String,
    pub reason: String,
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    pub lines: Vec<InvoiceLine>,
    #[serde(serialize_with = "amount")]
    pub net: Money,
    #[serde(serialize_with = "amount")]
    pub tax: Money,
    #[serde(serialize_with = "amount")]
    pub total: Money,
    /// What has been paid or credited on it so far.
    #[serde(serialize_with = "amount")]
    pub settled: Money,
    #[serde(serialize_with = "amount")]
    pub balance: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceLine {
    pub description: String,
    #[serde(serialize_with = "amount")]
    pub net: Money,
    #[serde(serialize_with = "amount")]
    pub tax: Money,
    #[serde(serialize_with = "amount")]
    pub total: Money,
}

/// Open items as of a date, or the activity of a period after a balance brought forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementKind {
    OpenItem,
    BalanceForward,
}

/// A customer statement: one section per currency.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub kind: StatementKind,
    pub as_of: Date,
    /// The first day of the period (balance-forward statements).
    pub from: Option<Date>,
    pub sections: Vec<StatementSection>,
}

/// A statement's lines, totals and aging in one currency.
#[derive(Debug, Clone, Serialize)]
pub struct StatementSection {
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    /// Balance brought forward (balance-forward statements).
    #[serde(serialize_with = "optional_amount")]
    pub opening: Option<Money>,
    pub lines: Vec<StatementLine>,
    /// Sum of the charges (positive lines) and of the credits (negative lines, shown positive).
    #[serde(serialize_with = "amount")]
    pub charges: Money,
    #[serde(serialize_with = "amount")]
    pub credits: Money,
    /// What the customer owes in this currency as of the statement date: the aging's net.
    #[serde(serialize_with = "amount")]
    pub amount_due: Money,
    pub aging: AgingSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementLine {
    pub date: Date,
    pub reference: String,
    pub description: String,
    pub due_date: Option<Date>,
    pub days_overdue: Option<i64>,
    /// Signed: positive raises what the customer owes.
    #[serde(serialize_with = "amount")]
    pub amount: Money,
    /// The running balance after this line.
    #[serde(serialize_with = "amount")]
    pub balance: Money,
}

/// The aging of one customer in one currency, as `settle aging` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AgingSummary {
    pub labels: Vec<String>,
    #[serde(serialize_with = "amounts")]
    pub buckets: Vec<Money>,
    /// Open debit items.
    #[serde(serialize_with = "amount")]
    pub total: Money,
    /// Open credits: unapplied cash and unused credit memos.
    #[serde(serialize_with = "amount")]
    pub unapplied: Money,
    #[serde(serialize_with = "amount")]
    pub net: Money,
}

/// An overdue (or soon due) item on a dunning letter or a confirmation.
#[derive(Debug, Clone, Serialize)]
pub struct OpenItemLine {
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub days_overdue: i64,
    #[serde(serialize_with = "amount")]
    pub amount: Money,
    #[serde(serialize_with = "amount")]
    pub open: Money,
}

/// A dunning letter at one level.
#[derive(Debug, Clone, Serialize)]
pub struct DunningLetter {
    pub level: u32,
    /// The level's name: `first-reminder`, `final-notice`…
    pub stage: String,
    pub items: Vec<OpenItemLine>,
    #[serde(serialize_with = "amounts")]
    pub totals: Vec<Money>,
    pub pay_by: Date,
}

/// A payment receipt.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub number: String,
    pub received_on: Date,
    pub method: String,
    pub reference: String,
    #[serde(serialize_with = "amount")]
    pub amount: Money,
    pub applications: Vec<ReceiptLine>,
    #[serde(serialize_with = "amount")]
    pub unapplied: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReceiptLine {
    pub number: String,
    pub date: Date,
    #[serde(serialize_with = "amount")]
    pub amount: Money,
}

/// A payment-plan agreement.
#[derive(Debug, Clone, Serialize)]
pub struct PlanAgreement {
    pub plan: String,
    pub agreed_on: Date,
    pub items: Vec<String>,
    pub instalments: Vec<Instalment>,
    #[serde(serialize_with = "amount")]
    pub total: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct Instalment {
    pub number: u32,
    pub due_date: Date,
    #[serde(serialize_with = "amount")]
    pub amount: Money,
}

/// A balance confirmation for the customer's auditors (or ours).
#[derive(Debug, Clone, Serialize)]
pub struct Confirmation {
    pub as_of: Date,
    pub reference: String,
    /// Who the reply goes to (the auditors), one line each.
    pub reply_to: Vec<String>,
    pub items: Vec<OpenItemLine>,
    /// Open credits (unapplied cash and credit memos), per currency, positive.
    #[serde(serialize_with = "amounts")]
    pub credits: Vec<Money>,
    /// The balance per currency: the aging's net.
    #[serde(serialize_with = "amounts")]
    pub balances: Vec<Money>,
}

/// One document to render: its letterhead and its body.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentData {
    #[serde(flatten)]
    pub letterhead: Letterhead,
    #[serde(flatten)]
    pub body: DocumentBody,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "document", content = "body", rename_all = "kebab-case")]
pub enum DocumentBody {
    Invoice(Invoice),
    Statement(Statement),
    Dunning(DunningLetter),
    Receipt(Receipt),
    Plan(PlanAgreement),
    Confirmation(Confirmation),
}

impl DocumentData {
    /// The template that lays this document out (`NAME.typ`).
    pub fn template(&self) -> &'static str {
        match &self.body {
            DocumentBody::Invoice(_) => "invoice",
            DocumentBody::Statement(_) => "statement",
            DocumentBody::Dunning(_) => "dunning",
            DocumentBody::Receipt(_) => "receipt",
            DocumentBody::Plan(_) => "plan",
            DocumentBody::Confirmation(_) => "confirmation",
        }
    }

    /// What the document is, for messages: `statement for C042`.
    pub fn describe(&self) -> String {
        let customer = &self.letterhead.customer.code;
        match &self.body {
            DocumentBody::Invoice(invoice) => format!("{} {}", invoice.kind, invoice.number),
            DocumentBody::Statement(_) => format!("statement for {customer}"),
            DocumentBody::Dunning(letter) => {
                format!("dunning letter (level {}) for {customer}", letter.level)
            }
            DocumentBody::Receipt(receipt) => format!("receipt {}", receipt.number),
            DocumentBody::Plan(plan) => format!("payment plan {}", plan.plan),
            DocumentBody::Confirmation(_) => format!("balance confirmation for {customer}"),
        }
    }
}

/// An amount as a template shows it: minus sign, thousands grouped with commas, the
/// currency's decimals (`-12,345.60`, `1,000` for JPY).
pub fn format_amount(money: Money) -> String {
    let plain = money.to_decimal_string();
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An amount as JSON: `{"text": "1,234.50", "currency": "EUR", "negative": false}`.
#[derive(Serialize)]
struct AmountView<'a> {
    text: String,
    currency: &'a str,
    negative: bool,
    zero: bool,
}

fn view(money: &Money) -> AmountView<'_> {
    AmountView {
        text: format_amount(*money),
        currency: "",
        negative: money.is_negative(),
        zero: money.is_zero(),
    }
}

fn amount<S: Serializer>(money: &Money, s: S) -> Result<S::Ok, S::Error> {
    let code = money.currency();
    let mut v = view(money);
    v.currency = code.code();
    v.serialize(s)
}

fn optional_amount<S: Serializer>(money: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
    match money {
        Some(money) => amount(money, s),
        None => s.serialize_none(),
    }
}

fn amounts<S: Serializer>(moneys: &[Money], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(moneys.len()))?;
    for money in moneys {
        let code = money.currency();
        let mut v = view(money);
        v.currency = code.code();
        seq.serialize_element(&v)?;
    }
    seq.end()
}

fn currency_code<S: Serializer>(currency: &Currency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(currency.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_in_the_currencys_precision() {
        let usd = Currency::from_code("USD").unwrap();
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(format_amount(Money::new(123_456_789, usd)), "1,234,567.89");
        assert_eq!(format_amount(Money::new(-100_000, usd)), "-1,000.00");
        assert_eq!(format_amount(Money::new(5, usd)), "0.05");
        assert_eq!(format_amount(Money::new(1_000, jpy)), "1,000");
        assert_eq!(format_amount(Money::new(999, jpy)), "999");
    }
}
