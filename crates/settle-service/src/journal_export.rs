//! The journal for a general ledger: CSV, hledger's journal format, or beancount.
//!
//! An export is prepared first ([`JournalExport::new`]: entries grouped, each checked to
//! balance in every currency, every account found in the chart) and written afterwards, so a
//! refusal leaves no half-written file behind. Every entry is one transaction in each format,
//! its postings in their stored order, amounts in their transaction currency at the currency's
//! ISO 4217 precision. Entries are single-currency today; one with postings in several
//! currencies is written as it is, which both tools accept as long as each currency balances on
//! its own. One that does not balance in a currency is refused: hledger would otherwise invent
//! an exchange rate between its two currencies and call it balanced.
//!
//! **CSV**: one row per posting: `entry_id, date, kind, memo, reverses_entry, account,
//! account_name, currency, debit, credit, functional_amount, customer_id, document,
//! payment_id`. Text is exact (the csv crate quotes); debit and credit are positive decimal
//! strings, one of them empty; `functional_amount` is signed, in the entity's functional
//! currency, empty until exchange rates exist for a foreign-currency posting.
//!
//! **ledger** (hledger 1.25's journal; `hledger check --strict` passes):
//! - `decimal-mark .`, then a `commodity` directive per currency used (and the functional
//!   one) whose sample amount has the currency's decimals (`commodity JPY 1000.`), so hledger
//!   shows amounts exactly; amounts are written `USD 1080.00`, `USD -80.00`.
//! - an `account` directive for every account of the chart, named `Kind:CODE Name` where the
//!   kind comes from the account's role ([`AccountRole::kind`]: Assets, Liabilities, Income,
//!   Expenses) and is declared as a type tag (`; type: A`, `C` for cash, `L`, `R`, `X`) so that
//!   `hledger bs` and `is` sort them. In the name, `:` (hledger's sub-account separator)
//!   becomes `-` and runs of spaces and control characters one space, because two spaces end
//!   an account name.
//! - each entry `DATE * (ENTRY_ID) MEMO  ; entry:ID, kind:KIND[, reverses:ID]`. The entry id
//!   is written as the transaction code so that a memo starting with `(` stays the
//!   description. hledger has no escape in a description: a `;` would start a comment, so it
//!   becomes `,`, and control characters become spaces (the CSV and beancount keep the memo
//!   exact).
//! - each posting `    ACCOUNT  AMOUNT  ; customer:CODE, document:NUMBER, payment:ID` with the
//!   tags it has. A tag value ends at a comma, so commas in values become `;`.
//!
//! **beancount** (beancount 3; `bean-check` passes):
//! - `option "title"` and `option "operating_currency"` (the functional currency).
//! - a `commodity` directive per currency and an `open` directive for every account of the
//!   chart, dated on the first entry's date (1970-01-01 for an empty export), with the
//!   account's `code`, `name` and `role` as metadata. Account names are `Kind:A<code>-<name>`:
//!   beancount allows only letters, digits and dashes in a component, starting with a capital
//!   letter or digit, so the `A` prefix makes any code a valid start, Latin letters lose their
//!   accents (`ü` → `u`, `ß` → `ss`) and anything else becomes a dash (runs of dashes fold
//!   into one).
//! - each entry `DATE * "MEMO"` with `entry`, `kind` and `reverses` metadata, each posting
//!   `ACCOUNT  1080.00 USD` with `customer`, `document` and `payment` metadata. Strings escape
//!   `"` and `\`; control characters become spaces.
//!
//! An export of a period has no opening balances: its balances are the period's movements.
//! Two accounts whose codes and names fold to the same name in a format are refused rather
//! than merged.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::ops::Range;

use settle_core::accounts::{Account, AccountKind, AccountRole, ChartOfAccounts};
use settle_core::ids::EntryId;
use settle_core::{Currency, Date, Money};
use settle_store::{EntityRow, JournalLine};

/// The format of `settle export journal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFormat {
    Csv,
    Ledger,
    Beancount,
}

impl JournalFormat {
    pub fn name(self) -> &'static str {
        match self {
            JournalFormat::Csv => "csv",
            JournalFormat::Ledger => "ledger",
            JournalFormat::Beancount => "beancount",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "entry {entry} does not balance in {}: its postings add up to {residual}; nothing was exported (run `settle verify`)",
        residual.currency()
    )]
    Unbalanced { entry: EntryId, residual: Money },
    #[error(
        "entry {entry} posts to account {account:?}, which is not in the chart of accounts; nothing was exported"
    )]
    UnknownAccount { entry: EntryId, account: String },
    #[error(
        "accounts {first:?} and {second:?} would both be named {name:?} in the {format} export; map one of them to another code"
    )]
    NameClash {
        format: &'static str,
        first: String,
        second: String,
        name: String,
    },
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the export: {0}")]
    Csv(#[from] csv::Error),
}

/// The journal between two dates, checked and ready to be written in any format.
#[derive(Debug, Clone)]
pub struct JournalExport {
    pub(crate) entity: EntityRow,
    from: Date,
    to: Date,
    accounts: Vec<Account>,
    pub(crate) lines: Vec<JournalLine>,
    /// Each entry's postings: consecutive lines (the store orders by date, entry, line).
    entries: Vec<Range<usize>>,
}

impl JournalExport {
    /// Groups the lines into entries and checks them; `lines` must come ordered by entry, as
    /// [`settle_store::Store::journal`] returns them.
    pub fn new(
        entity: EntityRow,
        from: Date,
        to: Date,
        chart: &ChartOfAccounts,
        lines: Vec<JournalLine>,
    ) -> Result<JournalExport, ExportError> {
        let mut entries: Vec<Range<usize>> = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            match entries.last_mut() {
                Some(range) if lines[range.start].entry == line.entry => range.end = index + 1,
                _ => entries.push(index..index + 1),
            }
        }
        for range in &entries {
            let mut sums: BTreeMap<Currency, i128> = BTreeMap::new();
            for line in &lines[range.clone()] {
                if chart.role_of(&line.account).is_none() {
                    return Err(ExportError::UnknownAccount {
                        entry: line.entry,
                        account: line.account.clone(),
                    });
                }
                *sums.entry(line.amount.currency()).or_default() += i128::from(line.amount.minor());
            }
            if let Some((currency, residual)) = sums.into_iter().find(|(_, sum)| *sum != 0) {
                // A residual beyond i64 is reported at the edge of the range; it is wrong anyway.
                let minor = i64::try_from(residual).unwrap_or(if residual > 0 {
                    i64::MAX
                } else {
                    i64::MIN
                });
                return Err(ExportError::Unbalanced {
                    entry: lines[range.start].entry,
                    residual: Money::new(minor, currency),
                });
            }
        }
        Ok(JournalExport {
            entity,
            from,
            to,
            accounts: chart.accounts().to_vec(),
            lines,
            entries,
        })
    }

    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    pub fn posting_count(&self) -> usize {
        self.lines.len()
    }

    pub fn write(&self, format: JournalFormat, out: &mut dyn Write) -> Result<(), ExportError> {
        match format {
            JournalFormat::Csv => self.write_csv(out),
            JournalFormat::Ledger => {
                let names = self.account_names(format, ledger_account)?;
                self.write_ledger(&names, out)
            }
            JournalFormat::Beancount => {
                let names = self.account_names(format, beancount_account)?;
                self.write_beancount(&names, out)
            }
        }
    }

    /// Every account's name in a format, refusing two accounts with one name.
    fn account_names(
        &self,
        format: JournalFormat,
        name: fn(&Account) -> String,
    ) -> Result<HashMap<&str, String>, ExportError> {
        let mut taken: HashMap<String, &str> = HashMap::new();
        let mut names = HashMap::new();
        for account in &self.accounts {
            let full = name(account);
            if let Some(first) = taken.insert(full.clone(), &account.code) {
                return Err(ExportError::NameClash {
                    format: format.name(),
                    first: first.to_string(),
                    second: account.code.clone(),
                    name: full,
                });
            }
            names.insert(account.code.as_str(), full);
        }
        Ok(names)
    }

    /// The currencies to declare: those posted, and the functional one.
    fn currencies(&self) -> BTreeSet<Currency> {
        self.lines
            .iter()
            .map(|line| line.amount.currency())
            .chain([self.entity.functional_currency])
            .collect()
    }

    pub(crate) fn account_name(&self, code: &str) -> &str {
        self.accounts
            .iter()
            .find(|a| a.code == code)
            .map_or("", |a| a.name.as_str())
    }

    fn write_csv(&self, out: &mut dyn Write) -> Result<(), ExportError> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record([
            "entry_id",
            "date",
            "kind",
            "memo",
            "reverses_entry",
            "account",
            "account_name",
            "currency",
            "debit",
            "credit",
            "functional_amount",
            "customer_id",
            "document",
            "payment_id",
        ])?;
        let functional = self.entity.functional_currency;
        for line in &self.lines {
            let amount = line.amount;
            let text = amount.to_decimal_string();
            let (debit, credit) = match text.strip_prefix('-') {
                Some(magnitude) => (String::new(), magnitude.to_string()),
                None => (text, String::new()),
            };
            csv.write_record([
                line.entry.to_string(),
                line.date.to_string(),
                line.kind.to_string(),
                line.memo.clone(),
                line.reverses.map_or(String::new(), |e| e.to_string()),
                line.account.clone(),
                self.account_name(&line.account).to_string(),
                amount.currency().code().to_string(),
                debit,
                credit,
                line.functional_minor.map_or(String::new(), |m| {
                    Money::new(m, functional).to_decimal_string()
                }),
                line.customer_code.clone().unwrap_or_default(),
                line.item_number.clone().unwrap_or_default(),
                line.payment.map_or(String::new(), |p| p.to_string()),
            ])?;
        }
        csv.flush()?;
        Ok(())
    }

    fn write_ledger(
        &self,
        names: &HashMap<&str, String>,
        out: &mut dyn Write,
    ) -> Result<(), ExportError> {
        let mut text = String::new();
        writeln!(
            text,
            "; Settle journal of {} ({}), {} to {}: {} entries, {} postings.",
            one_line(&self.entity.code),
            one_line(&self.entity.name),
            self.from,
            self.to,
            self.entry_count(),
            self.posting_count()
        )
        .expect("writing to a String");
        text.push_str("\ndecimal-mark .\n\n");
        for currency in self.currencies() {
            writeln!(text, "commodity {currency} {}", ledger_sample(currency))
                .expect("writing to a String");
        }
        text.push('\n');
        for account in &self.accounts {
            writeln!(
                text,
                "account {}  ; type: {}",
                names[account.code.as_str()],
                ledger_type(account.role)
            )
            .expect("writing to a String");
        }
        out.write_all(text.as_bytes())?;
        for range in &self.entries {
            let lines = &self.lines[range.clone()];
            let head = &lines[0];
            text.clear();
            let mut tags = format!("entry:{}, kind:{}", head.entry, head.kind);
            if let Some(reversed) = head.reverses {
                write!(tags, ", reverses:{reversed}").expect("writing to a String");
            }
            writeln!(
                text,
                "\n{} * ({}) {}  ; {tags}",
                head.date,
                head.entry,
                ledger_description(&head.memo)
            )
            .expect("writing to a String");
            for line in lines {
                let mut tags = Vec::new();
                if let Some(customer) = &line.customer_code {
                    tags.push(format!("customer:{}", ledger_tag_value(customer)));
                }
                if let Some(document) = &line.item_number {
                    tags.push(format!("document:{}", ledger_tag_value(document)));
                }
                if let Some(payment) = line.payment {
                    tags.push(format!("payment:{payment}"));
                }
                let comment = if tags.is_empty() {
                    String::new()
                } else {
                    format!("  ; {}", tags.join(", "))
                };
                writeln!(
                    text,
                    "    {}  {} {}{comment}",
                    names[line.account.as_str()],
                    line.amount.currency(),
                    line.amount.to_decimal_string()
                )
                .expect("writing to a String");
            }
            out.write_all(text.as_bytes())?;
        }
        out.flush()?;
        Ok(())
    }

    fn write_beancount(
        &self,
        names: &HashMap<&str, String>,
        out: &mut dyn Write,
    ) -> Result<(), ExportError> {
        let opened = self
            .lines
            .first()
            .map_or_else(|| "1970-01-01".to_string(), |line| line.date.to_string());
        let mut text = String::new();
        writeln!(
            text,
            "; Settle journal of {} ({}), {} to {}: {} entries, {} postings.\n",
            one_line(&self.entity.code),
            one_line(&self.entity.name),
            self.from,
            self.to,
            self.entry_count(),
            self.posting_count()
        )
        .expect("writing to a String");
        writeln!(
            text,
            "option \"title\" {}",
            bean_string(&format!("{} journal", self.entity.name))
        )
        .expect("writing to a String");
        writeln!(
            text,
            "option \"operating_currency\" \"{}\"\n",
            self.entity.functional_currency
        )
        .expect("writing to a String");
        for currency in self.currencies() {
            writeln!(text, "{opened} commodity {currency}").expect("writing to a String");
        }
        for account in &self.accounts {
            writeln!(
                text,
                "\n{opened} open {}\n  code: {}\n  name: {}\n  role: \"{}\"",
                names[account.code.as_str()],
                bean_string(&account.code),
                bean_string(&account.name),
                account.role
            )
            .expect("writing to a String");
        }
        out.write_all(text.as_bytes())?;
        for range in &self.entries {
            let lines = &self.lines[range.clone()];
            let head = &lines[0];
            text.clear();
            writeln!(
                text,
                "\n{} * {}\n  entry: \"{}\"\n  kind: \"{}\"",
                head.date,
                bean_string(&head.memo),
                head.entry,
                head.kind
            )
            .expect("writing to a String");
            if let Some(reversed) = head.reverses {
                writeln!(text, "  reverses: \"{reversed}\"").expect("writing to a String");
            }
            for line in lines {
                writeln!(
                    text,
                    "  {}  {} {}",
                    names[line.account.as_str()],
                    line.amount.to_decimal_string(),
                    line.amount.currency()
                )
                .expect("writing to a String");
                if let Some(customer) = &line.customer_code {
                    writeln!(text, "    customer: {}", bean_string(customer))
                        .expect("writing to a String");
                }
                if let Some(document) = &line.item_number {
                    writeln!(text, "    document: {}", bean_string(document))
                        .expect("writing to a String");
                }
                if let Some(payment) = line.payment {
                    writeln!(text, "    payment: \"{payment}\"").expect("writing to a String");
                }
            }
            out.write_all(text.as_bytes())?;
        }
        out.flush()?;
        Ok(())
    }
}

fn kind_root(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Asset => "Assets",
        AccountKind::Liability => "Liabilities",
        AccountKind::Income => "Income",
        AccountKind::Expense => "Expenses",
    }
}

/// hledger's account type tag: cash gets its own (`C`, an asset) for the cash-flow report.
fn ledger_type(role: AccountRole) -> &'static str {
    if role == AccountRole::Cash {
        return "C";
    }
    match role.kind() {
        AccountKind::Asset => "A",
        AccountKind::Liability => "L",
        AccountKind::Income => "R",
        AccountKind::Expense => "X",
    }
}

/// An amount with the currency's decimals, for a `commodity` directive. hledger wants a
/// decimal mark even without decimals (`1000.`), or it cannot tell `1,000` from `1,000.00`.
fn ledger_sample(currency: Currency) -> String {
    format!("1000.{}", "0".repeat(usize::from(currency.exponent())))
}

/// Text on one line: control characters (newlines, tabs) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `Kind:CODE Name`, one component below the kind.
fn ledger_account(account: &Account) -> String {
    let component = |text: &str| -> String {
        one_line(text)
            .replace(':', "-")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let code = component(&account.code);
    let name = component(&account.name);
    let root = kind_root(account.role.kind());
    if name.is_empty() {
        format!("{root}:{code}")
    } else {
        format!("{root}:{code} {name}")
    }
}

fn ledger_description(memo: &str) -> String {
    one_line(memo).replace(';', ",").trim().to_string()
}

fn ledger_tag_value(value: &str) -> String {
    one_line(value).replace(',', ";").trim().to_string()
}

/// `Kind:A<code>-<name>` in letters, digits and dashes.
fn beancount_account(account: &Account) -> String {
    let mut letters = String::new();
    for c in format!("{} {}", account.code, account.name).chars() {
        if c.is_ascii_alphanumeric() {
            letters.push(c);
        } else if let Some(ascii) = fold_latin(c) {
            letters.push_str(ascii);
        } else {
            letters.push('-');
        }
    }
    let words: Vec<&str> = letters.split('-').filter(|w| !w.is_empty()).collect();
    format!("{}:A{}", kind_root(account.role.kind()), words.join("-"))
}

/// A Latin letter with a diacritic (or a ligature) as ASCII letters; `None` for anything else.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'à'..='å' | 'ā' | 'ă' | 'ą' | 'ª' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'Ð' | 'Ď' | 'Đ' => "D",
        'ð' | 'ď' | 'đ' => "d",
        'È'..='Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĥ' | 'Ħ' => "H",
        'ĥ' | 'ħ' => "h",
        'Ì'..='Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ĵ' => "J",
        'ĵ' => "j",
        'Ķ' => "K",
        'ķ' => "k",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "N",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'º' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'Þ' => "TH",
        'þ' => "th",
        'Ù'..='Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ŵ' => "W",
        'ŵ' => "w",
        'Ý' | 'Ŷ' | 'Ÿ' => "Y",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// A beancount string literal.
fn bean_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push(' '),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_core::ids::EntityId;
    use settle_core::journal::EntryKind;

    fn entity() -> EntityRow {
        EntityRow {
            id: EntityId(1),
            code: "MAIN".into(),
            name: "Main \"company\"".into(),
            functional_currency: Currency::USD,
        }
    }

    fn line(entry: i64, account: &str, amount: Money, memo: &str) -> JournalLine {
        JournalLine {
            entry: EntryId(entry),
            date: Date::constant(2026, 7, 1),
            kind: EntryKind::Invoice,
            memo: memo.into(),
            reverses: None,
            account: account.into(),
            amount,
            functional_minor: None,
            customer_code: None,
            item_number: None,
            payment: None,
        }
    }

    fn export(lines: Vec<JournalLine>) -> Result<JournalExport, ExportError> {
        JournalExport::new(
            entity(),
            Date::constant(2026, 7, 1),
            Date::constant(2026, 7, 31),
            &ChartOfAccounts::default(),
            lines,
        )
    }

    fn written(export: &JournalExport, format: JournalFormat) -> String {
        let mut out = Vec::new();
        export.write(format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn account(code: &str, name: &str, role: AccountRole) -> Account {
        Account {
            code: code.into(),
            name: name.into(),
            role,
            bank_account: None,
        }
    }

    #[test]
    fn account_names_are_readable_and_safe_in_both_formats() {
        let ar = account("1200", "Accounts receivable", AccountRole::ArControl);
        assert_eq!(ledger_account(&ar), "Assets:1200 Accounts receivable");
        assert_eq!(beancount_account(&ar), "Assets:A1200-Accounts-receivable");
        let odd = account(
            "4000",
            "Umsätze: Straße  & Co;\tÆrø 東京",
            AccountRole::Revenue,
        );
        assert_eq!(
            ledger_account(&odd),
            "Income:4000 Umsätze- Straße & Co; Ærø 東京"
        );
        assert_eq!(
            beancount_account(&odd),
            "Income:A4000-Umsatze-Strasse-Co-AEro"
        );
        let bare = account("#7", "", AccountRole::Rounding);
        assert_eq!(ledger_account(&bare), "Expenses:#7");
        assert_eq!(beancount_account(&bare), "Expenses:A7");
        let allowance = account("1290", "x", AccountRole::Allowance);
        assert_eq!(ledger_type(allowance.role), "A");
        assert_eq!(ledger_type(AccountRole::Cash), "C");
        assert_eq!(ledger_type(AccountRole::SalesDiscounts), "R");
    }

    #[test]
    fn text_is_escaped_for_each_format() {
        assert_eq!(bean_string("a \"b\" \\c\nd"), r#""a \"b\" \\c d""#);
        assert_eq!(ledger_description(" (x; y)  two\tz "), "(x, y)  two z");
        assert_eq!(ledger_tag_value("A,B"), "A;B");
        assert_eq!(ledger_sample(Currency::JPY), "1000.");
        assert_eq!(ledger_sample(Currency::KWD), "1000.000");
    }

    #[test]
    fn an_entry_that_does_not_balance_or_posts_outside_the_chart_is_refused() {
        let usd = |minor| Money::new(minor, Currency::USD);
        let eur = |minor| Money::new(minor, Currency::EUR);
        let error = export(vec![
            line(1, "1200", usd(100), ""),
            line(1, "4000", usd(-100), ""),
            line(2, "1200", usd(100), ""),
            line(2, "4000", eur(-100), ""),
        ])
        .unwrap_err();
        assert!(
            matches!(error, ExportError::Unbalanced { entry: EntryId(2), residual } if residual == eur(-100)),
            "{error}"
        );
        let error = export(vec![line(3, "9999", usd(0), "")]).unwrap_err();
        assert!(
            matches!(error, ExportError::UnknownAccount { .. }),
            "{error}"
        );
    }

    #[test]
    fn an_entry_in_two_currencies_each_balanced_is_written_as_one_transaction() {
        let usd = |minor| Money::new(minor, Currency::USD);
        let jpy = |minor| Money::new(minor, Currency::JPY);
        let export = export(vec![
            line(7, "1200", usd(150), "two; currencies"),
            line(7, "4000", usd(-150), "two; currencies"),
            line(7, "1200", jpy(1500), "two; currencies"),
            line(7, "4000", jpy(-1500), "two; currencies"),
        ])
        .unwrap();
        assert_eq!((export.entry_count(), export.posting_count()), (1, 4));
        let ledger = written(&export, JournalFormat::Ledger);
        assert!(ledger.contains("commodity JPY 1000.\n"), "{ledger}");
        assert!(
            ledger.contains("\n2026-07-01 * (7) two, currencies  ; entry:7, kind:invoice\n"),
            "{ledger}"
        );
        assert!(
            ledger.contains("    Income:4000 Revenue  JPY -1500\n"),
            "{ledger}"
        );
        let beancount = written(&export, JournalFormat::Beancount);
        assert!(beancount.contains("option \"title\" \"Main \\\"company\\\" journal\"\n"));
        assert!(
            beancount
                .contains("\n2026-07-01 open Assets:A1200-Accounts-receivable\n  code: \"1200\"\n")
        );
        assert!(
            beancount.contains("  Assets:A1200-Accounts-receivable  1.50 USD\n"),
            "{beancount}"
        );
        let csv = written(&export, JournalFormat::Csv);
        assert!(
            csv.contains("7,2026-07-01,invoice,two; currencies,,4000,Revenue,JPY,,1500,,,,\n"),
            "{csv}"
        );
    }

    #[test]
    fn two_accounts_that_fold_to_one_name_are_refused() {
        let mut accounts = ChartOfAccounts::default().accounts().to_vec();
        for a in &mut accounts {
            if a.role == AccountRole::BankFees {
                a.code = "6100 x".into();
                a.name = String::new();
            } else if a.role == AccountRole::BadDebtExpense {
                a.code = "6100".into();
                a.name = "x".into();
            }
        }
        let chart = ChartOfAccounts::new(accounts).unwrap();
        let export = JournalExport::new(
            entity(),
            Date::constant(2026, 1, 1),
            Date::constant(2026, 1, 1),
            &chart,
            Vec::new(),
        )
        .unwrap();
        for format in [JournalFormat::Ledger, JournalFormat::Beancount] {
            let error = export.write(format, &mut Vec::new()).unwrap_err();
            assert!(matches!(error, ExportError::NameClash { .. }), "{error}");
        }
    }

    #[test]
    fn an_empty_export_still_declares_the_chart() {
        let export = export(Vec::new()).unwrap();
        let beancount = written(&export, JournalFormat::Beancount);
        assert!(
            beancount.contains("1970-01-01 commodity USD\n"),
            "{beancount}"
        );
        assert!(beancount.contains("option \"operating_currency\" \"USD\"\n"));
        let ledger = written(&export, JournalFormat::Ledger);
        assert!(ledger.contains("account Liabilities:2150 Unapplied cash  ; type: L\n"));
    }
}
