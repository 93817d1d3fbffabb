//! The demo's last day at the bank: a BAI2 file for the dollar account and a camt.053 for the
//! euro account, written with the formats crate's writers, imported like any bank file and
//! matched. The customer credits are drawn from the matching generator's cases (exact and
//! mangled references, several invoices at once, discounts, fees, purchase orders only, names
//! only, over- and short payments, cash nobody can place) against the demo's real open items,
//! so each line has a known right answer; the day also carries a returned item, a bank fee,
//! interest and a sweep, which stay out of A/R.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::Serialize;

use settle_core::ids::{CustomerId, ItemId};
use settle_core::{Currency, Money};
use settle_formats::write::{Bai2Header, CamtHeader};
use settle_formats::{
    AccountRef, Balance, BankFile, Direction, EntryKind, Format, Location, Party, ReferenceKind,
    Statement, StatementLine, StructuredReference,
};
use settle_matching::generator::{Ledger, Rng, Truth, payments_against};
use settle_matching::{CustomerInfo, Decision, KnownPayer, OpenItem, PaymentToMatch};

use crate::import::bank::{BankImportOptions, LineOutcome};
use crate::matching::{MatchOptions, open_item};
use crate::{ServiceError, ServiceResult, Settle};

/// The chart's bank account both statements post to.
const BANK_ACCOUNT: &str = "OPERATING";
const USD_ACCOUNT: &str = "000123456789";
const EUR_IBAN: &str = "DE44500105175407324931";

/// A payment already booked that the bank returns on the day (NSF).
#[derive(Debug, Clone)]
pub(crate) struct ReturnedPayment {
    pub bank_reference: String,
    pub amount: Money,
}

/// What the day's files held and what cash application made of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BankDaySummary {
    pub files: Vec<String>,
    pub lines: usize,
    pub payments_posted: usize,
    pub returns_reversed: usize,
    /// Fees, interest and transfers: kept and listed, not A/R.
    pub held_out: usize,
    pub auto: usize,
    /// Automatic applications that are exactly the known answer (customer, invoices, cash).
    pub auto_right: usize,
    pub suggested: usize,
    /// Suggestions whose proposal is the known answer.
    pub suggested_right: usize,
    pub unapplied: usize,
    /// Lines nobody could place (their right answer is to stay unapplied).
    pub unplaceable: usize,
}

pub(crate) async fn bank_day(
    settle: &Settle,
    seed: u64,
    day: Date,
    dir: &Path,
    returned: Option<ReturnedPayment>,
) -> ServiceResult<BankDaySummary> {
    let store = settle.store();
    let entity = settle.entity().id;
    let items = store.open_items_for_matching(entity).await?;
    let names = store.customer_names(entity).await?;
    let payers: Vec<KnownPayer> = store
        .known_payer_accounts(entity)
        .await?
        .into_iter()
        .map(|(account, customer)| KnownPayer { account, customer })
        .collect();
    let mut rng = Rng::new(seed ^ 0xBA2C_A7F0);
    let mut truths: HashMap<String, Truth> = HashMap::new();

    let mut draw = |currency: Currency, count: usize, prefix: &str| {
        let open: Vec<OpenItem> = items
            .iter()
            .filter(|i| i.open.currency() == currency)
            .cloned()
            .map(open_item)
            .collect();
        let owing: HashSet<CustomerId> = open.iter().map(|i| i.customer).collect();
        let mut customers: Vec<CustomerInfo> = names
            .iter()
            .filter(|(id, _)| owing.contains(id))
            .map(|(id, (code, name))| CustomerInfo {
                id: *id,
                code: code.clone(),
                name: name.clone(),
                aliases: Vec::new(),
                parent: None,
            })
            .collect();
        customers.sort_by_key(|c| c.id);
        let ledger = Ledger {
            customers: &customers,
            items: &open,
            payers: &payers,
            currency,
        };
        payments_against(&mut rng, &ledger, count, day)
            .into_iter()
            .enumerate()
            .map(|(n, (payment, truth))| {
                let reference = format!("{prefix}{}{:04}", day.strftime("%y%m%d"), n + 1);
                truths.insert(reference.clone(), truth);
                credit_line(&payment, reference, day, currency == Currency::USD)
            })
            .collect::<Vec<_>>()
    };
    let mut usd_lines = draw(Currency::USD, 48, "B");
    let mut eur_lines = draw(Currency::EUR, 16, "C");

    let usd = |minor: i64| Money::new(minor, Currency::USD);
    usd_lines.push(other_line(
        usd(4_500),
        Direction::Debit,
        EntryKind::BankFee,
        day,
        "ACCOUNT ANALYSIS FEE",
    ));
    usd_lines.push(other_line(
        usd(1_234),
        Direction::Credit,
        EntryKind::Interest,
        day,
        "INTEREST PAID",
    ));
    usd_lines.push(other_line(
        usd(25_000_000),
        Direction::Debit,
        EntryKind::Transfer,
        day,
        "SWEEP TO INVESTMENT ACCOUNT",
    ));
    if let Some(returned) = returned
        && returned.amount.currency() == Currency::USD
    {
        let mut line = other_line(
            returned.amount,
            Direction::Debit,
            EntryKind::Return,
            day,
            "RETURNED ITEM NSF",
        );
        line.set_return_reason(Some("R01".to_string()));
        // BAI2 has no field of its own for the original item: banks put its reference in the
        // customer-reference field of the return's 16 record.
        line.customer_reference = Some(returned.bank_reference.clone());
        line.set_original_reference(Some(returned.bank_reference));
        usd_lines.push(line);
    }
    eur_lines.push(other_line(
        Money::new(1_500, Currency::EUR),
        Direction::Debit,
        EntryKind::BankFee,
        day,
        "ENTGELT KONTOFUEHRUNG",
    ));
    for (n, line) in usd_lines.iter_mut().chain(eur_lines.iter_mut()).enumerate() {
        if line.bank_reference.is_none() {
            line.bank_reference = Some(format!("X{}{:04}", day.strftime("%y%m%d"), n + 1));
        }
    }

    std::fs::create_dir_all(dir).map_err(|source| ServiceError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let created = day.at(18, 0, 0, 0);
    let usd_file = bank_file(
        Format::Bai2,
        statement(USD_ACCOUNT, None, usd(125_000_000), day, usd_lines),
    );
    let bai2 = settle_formats::write::bai2(
        &usd_file,
        &Bai2Header {
            sender_id: "021000021".to_string(),
            receiver_id: "NORTHWIND".to_string(),
            created,
            file_id: day.strftime("%y%m%d1").to_string(),
        },
    )
    .map_err(|e| ServiceError::Refused(format!("writing the demo's BAI2 file: {e}")))?;
    let eur_file = bank_file(
        Format::Camt053,
        statement(
            EUR_IBAN,
            Some(EUR_IBAN),
            Money::new(48_000_000, Currency::EUR),
            day,
            eur_lines,
        ),
    );
    let camt = settle_formats::write::camt053(
        &eur_file,
        &CamtHeader {
            message_id: format!("NWSTMT{}", day.strftime("%Y%m%d")),
            created,
        },
    )
    .map_err(|e| ServiceError::Refused(format!("writing the demo's camt.053 file: {e}")))?;

    let mut summary = BankDaySummary::default();
    let written = [
        (format!("{}-operating-usd.bai2", day), bai2),
        (format!("{}-operating-eur.camt053.xml", day), camt),
    ];
    let mut paths: Vec<PathBuf> = Vec::new();
    for (name, text) in written {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| ServiceError::Io {
            path: path.clone(),
            source,
        })?;
        paths.push(path);
    }
    let options = BankImportOptions {
        bank_account: Some(BANK_ACCOUNT.to_string()),
        ..BankImportOptions::default()
    };
    for path in &paths {
        let report = settle.import_bank(path, &options).await?;
        summary.files.push(path.display().to_string());
        summary.lines += report.lines.len();
        summary.payments_posted += report.count(LineOutcome::Payment);
        summary.returns_reversed += report.count(LineOutcome::Return);
        summary.held_out += report.count(LineOutcome::NotReceivable);
    }

    let run = settle.run_matching(&MatchOptions::default()).await?;
    for outcome in &run.outcomes {
        let Some(truth) = truths.get(&outcome.bank_reference) else {
            continue;
        };
        let proposed: HashSet<(ItemId, i64)> = outcome
            .allocations
            .iter()
            .map(|a| (a.item, a.cash.minor()))
            .collect();
        let customer = truth
            .customer
            .and_then(|id| names.get(&id))
            .map(|(code, _)| code.as_str());
        let right = truth.cash.iter().copied().collect::<HashSet<_>>() == proposed
            && customer == outcome.customer.as_deref();
        match outcome.decision {
            Decision::Auto => {
                summary.auto += 1;
                summary.auto_right += usize::from(right);
            }
            Decision::Suggest => {
                summary.suggested += 1;
                summary.suggested_right += usize::from(right);
            }
            Decision::Unapplied => summary.unapplied += 1,
        }
        summary.unplaceable += usize::from(!truth.matchable());
    }
    Ok(summary)
}

/// A customer's credit as the bank reports it. BAI2 has no structured remittance: there the
/// payer's references travel as the `RMR` segments of an addenda, as CTX payments carry them.
fn credit_line(
    payment: &PaymentToMatch,
    bank_reference: String,
    day: Date,
    bai2: bool,
) -> StatementLine {
    let mut line = StatementLine::new(
        payment.amount,
        Direction::Credit,
        EntryKind::CustomerPayment,
        Location::File,
    );
    line.booking_date = Some(day);
    line.value_date = Some(day);
    line.bank_reference = Some(bank_reference);
    line.payer = Party {
        name: Some(payment.payer_name.clone()).filter(|n| !n.is_empty()),
        account: Some(payment.payer_account.clone()).filter(|a| !a.is_empty()),
        ..Party::default()
    };
    line.remittance = payment.text.clone();
    for given in &payment.references {
        if bai2 {
            let paid = given.paid.unwrap_or(payment.amount).minor();
            line.remittance
                .push(format!("RMR*IV*{}*PI*{paid}\\", given.reference));
        } else {
            line.references.push(StructuredReference {
                kind: ReferenceKind::Invoice,
                reference: given.reference.clone(),
                paid: given.paid,
                document_amount: None,
                discount: None,
                date: None,
            });
        }
    }
    line
}

fn other_line(
    amount: Money,
    direction: Direction,
    kind: EntryKind,
    day: Date,
    text: &str,
) -> StatementLine {
    let mut line = StatementLine::new(amount, direction, kind, Location::File);
    line.booking_date = Some(day);
    line.value_date = Some(day);
    line.remittance = vec![text.to_string()];
    line
}

fn statement(
    number: &str,
    iban: Option<&str>,
    opening: Money,
    day: Date,
    lines: Vec<StatementLine>,
) -> Statement {
    let moved: i64 = lines.iter().map(StatementLine::signed_minor).sum();
    let closing = Money::new(opening.minor() + moved, opening.currency());
    Statement {
        account: AccountRef {
            number: number.to_string(),
            iban: iban.map(str::to_string),
            bank_id: None,
            name: Some("Northwind Supply Co. operating".to_string()),
        },
        currency: opening.currency(),
        statement_id: Some(format!("{number}-{day}")),
        from_date: Some(day),
        to_date: Some(day),
        opening_balance: Some(Balance {
            amount: opening,
            date: Some(day),
        }),
        closing_balance: Some(Balance {
            amount: closing,
            date: Some(day),
        }),
        total_credits: None,
        total_debits: None,
        lines,
        location: Location::File,
    }
}

fn bank_file(format: Format, statement: Statement) -> BankFile {
    BankFile {
        format,
        version: None,
        file_id: None,
        created: statement.to_date,
        statements: vec![statement],
        warnings: Vec::new(),
    }
}
