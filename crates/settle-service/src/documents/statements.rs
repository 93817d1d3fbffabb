//! Customer statements: what is open as of a date (open-item), or a period's activity after
//! the balance brought forward (balance-forward); each currency closes with the customer's
//! aging, and the amount due must equal the aging's net or the statement is refused.
//!
//! A run reads the whole ledger in a few grouped queries (the aging, the open items, the
//! unapplied cash, the movements) — a run for a few named customers reads only theirs through
//! the customer index — builds every statement in memory, renders them on every
//! core with one shared printer, and can queue each to the customer by email with the PDF
//! attached — once per customer and statement date, however often the run is repeated.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::json;
use settle_core::aging::{self, AgingItem, AgingPolicy, AgingReport, AgingRow, OpenCredit};
use settle_core::audit_chain::Target;
use settle_core::customer::Customer;
use settle_core::document::ItemKind;
use settle_core::email::{Attachment, OutgoingEmail};
use settle_core::ids::CustomerId;
use settle_core::journal::EntryKind;
use settle_core::{Currency, Date, Money};
use settle_documents::model::{
    AgingSummary, DocumentBody, DocumentData, Statement, StatementKind, StatementLine,
    StatementSection,
};

use super::{Printer, file_name_part, render_each};
use crate::Change;
use crate::Settle;
use crate::error::{ServiceError, ServiceResult, invalid, not_found};
use crate::outbox::{email_route, queue_email};
use crate::templates::{StatementEmail, Templates};
use settle_documents::Rendered;
use settle_store::UnappliedAsOf;

/// Statements queued per transaction when emailing.
const EMAIL_BATCH: usize = 100;
/// The outbox source of statement emails; with the customer and the date as its id it keeps
/// a repeated run from queueing a statement twice.
const EMAIL_SOURCE: &str = "statement";

/// A run for at most this many named customers reads just theirs through the customer
/// index; a longer list is cheaper in one pass over the whole book.
const SCOPED_AT_MOST: usize = 50;

/// What a run's statements are built from.
struct BookAsOf {
    aging: AgingReport,
    /// Open items with their balances as of the statement date (open-item statements).
    items: Vec<AgingItem>,
    /// Payments' unapplied cash as of the statement date (open-item statements).
    cash: Vec<UnappliedAsOf>,
}

/// Which statements to make.
#[derive(Debug, Clone)]
pub struct StatementRequest {
    pub as_of: Date,
    pub kind: StatementKind,
    /// First day of the period (balance-forward).
    pub from: Option<Date>,
    /// Customer codes; empty for every customer with a balance (or, balance-forward, activity).
    pub customers: Vec<String>,
    pub policy: AgingPolicy,
}

/// The statements of a run, ready to render.
#[derive(Debug, Clone)]
pub struct StatementRun {
    pub as_of: Date,
    pub statements: Vec<DocumentData>,
}

/// A statement written to disk.
#[derive(Debug, Clone, Serialize)]
pub struct StatementFile {
    pub customer: String,
    pub customer_name: String,
    /// What the statement says is due, per currency.
    pub amounts_due: Vec<Money>,
    pub path: PathBuf,
    pub pages: usize,
    pub bytes: usize,
}

/// What `--email` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EmailSummary {
    pub queued: usize,
    /// Already queued by an earlier run for the same customer and date.
    pub already_queued: usize,
    /// Customers not written to, with the reason (no address, do-not-contact).
    pub skipped: Vec<(String, String)>,
}

impl Settle {
    /// Builds the statements of a run; nothing is rendered yet.
    pub async fn prepare_statements(
        &self,
        printer: &Printer,
        request: &StatementRequest,
    ) -> ServiceResult<StatementRun> {
        let entity = self.entity().id;
        let store = self.store();
        let as_of = request.as_of;
        let from = match (request.kind, request.from) {
            (StatementKind::BalanceForward, Some(from)) if from <= as_of => Some(from),
            (StatementKind::BalanceForward, Some(from)) => {
                return Err(invalid(
                    "from",
                    format!("{from} is after the statement date {as_of}"),
                ));
            }
            (StatementKind::BalanceForward, None) => {
                return Err(invalid("from", "a balance-forward statement needs --from"));
            }
            (StatementKind::OpenItem, _) => None,
        };
        let scoped = !request.customers.is_empty() && request.customers.len() <= SCOPED_AT_MOST;
        let customers = if scoped {
            self.customers_by_code(&request.customers).await?
        } else {
            store.all_customers(entity).await?
        };
        let wanted = select_customers(&customers, &request.customers)?;
        let book = if scoped {
            self.customers_book(wanted.keys().copied(), &request.policy, as_of)
                .await?
        } else {
            self.whole_book(&request.policy, as_of, from.is_none())
                .await?
        };
        let mut aging_rows: HashMap<(CustomerId, Currency), &AgingRow> = HashMap::new();
        for row in &book.aging.rows {
            if let Some(customer) = row.customer {
                aging_rows.insert((customer, row.currency), row);
            }
        }
        let labels = book.aging.labels.clone();
        let mut sections: BTreeMap<CustomerId, BTreeMap<Currency, StatementSection>> =
            BTreeMap::new();
        match from {
            None => {
                let mut lines: BTreeMap<(CustomerId, Currency), Vec<StatementLine>> =
                    BTreeMap::new();
                for item in book.items {
                    let counted = if item.kind.is_debit() {
                        item.balance.is_positive()
                    } else {
                        item.balance.is_negative()
                    };
                    if !counted || item.issue_date > as_of {
                        continue;
                    }
                    let days = i64::from((as_of - item.due_date).get_days());
                    lines
                        .entry((item.customer, item.balance.currency()))
                        .or_default()
                        .push(StatementLine {
                            date: item.issue_date,
                            reference: item.number,
                            description: item_label(item.kind).to_string(),
                            due_date: item.kind.is_debit().then_some(item.due_date),
                            days_overdue: item.kind.is_debit().then_some(days),
                            amount: item.balance,
                            balance: item.balance,
                        });
                }
                for payment in book.cash {
                    lines
                        .entry((payment.customer, payment.amount.currency()))
                        .or_default()
                        .push(StatementLine {
                            date: payment.received_on,
                            reference: payment.reference,
                            description: "Payment not yet applied".to_string(),
                            due_date: None,
                            days_overdue: None,
                            amount: payment.amount.checked_neg()?,
                            balance: payment.amount,
                        });
                }
                for ((customer, currency), mut lines) in lines {
                    if !wanted.contains_key(&customer) {
                        continue;
                    }
                    lines.sort_by(|a, b| (a.date, &a.reference).cmp(&(b.date, &b.reference)));
                    let section = section(
                        currency,
                        None,
                        lines,
                        aging_rows.get(&(customer, currency)).copied(),
                        &labels,
                    )?;
                    sections
                        .entry(customer)
                        .or_default()
                        .insert(currency, section);
                }
            }
            Some(from) => {
                let before = from
                    .yesterday()
                    .map_err(|e| invalid("from", e.to_string()))?;
                let (opening, movements) = if scoped {
                    let mut opening = HashMap::new();
                    let mut movements = Vec::new();
                    for &customer in wanted.keys() {
                        opening.extend(
                            store
                                .customer_positions(entity, before, Some(customer))
                                .await?,
                        );
                        movements.extend(
                            store
                                .customer_movements(entity, from, as_of, Some(customer))
                                .await?,
                        );
                    }
                    (opening, movements)
                } else {
                    let (opening, movements) = futures_util::future::join(
                        store.customer_positions(entity, before, None),
                        store.customer_movements(entity, from, as_of, None),
                    )
                    .await;
                    (opening?, movements?)
                };
                let mut lines: BTreeMap<(CustomerId, Currency), Vec<StatementLine>> =
                    BTreeMap::new();
                for movement in movements {
                    lines
                        .entry((movement.customer, movement.amount.currency()))
                        .or_default()
                        .push(StatementLine {
                            date: movement.date,
                            reference: movement.reference,
                            description: entry_label(movement.kind).to_string(),
                            due_date: None,
                            days_overdue: None,
                            amount: movement.amount,
                            balance: movement.amount,
                        });
                }
                let mut keys: Vec<(CustomerId, Currency)> = lines.keys().copied().collect();
                keys.extend(
                    opening
                        .iter()
                        .filter(|(_, m)| !m.is_zero())
                        .map(|(k, _)| *k),
                );
                keys.extend(aging_rows.keys().copied());
                keys.sort();
                keys.dedup();
                for (customer, currency) in keys {
                    if !wanted.contains_key(&customer) {
                        continue;
                    }
                    let start = opening
                        .get(&(customer, currency))
                        .copied()
                        .unwrap_or(Money::zero(currency));
                    let lines = lines.remove(&(customer, currency)).unwrap_or_default();
                    let section = section(
                        currency,
                        Some(start),
                        lines,
                        aging_rows.get(&(customer, currency)).copied(),
                        &labels,
                    )?;
                    sections
                        .entry(customer)
                        .or_default()
                        .insert(currency, section);
                }
            }
        }
        let mut statements = Vec::new();
        for (id, customer) in &wanted {
            let sections = sections
                .remove(id)
                .map(|s| s.into_values().collect())
                .unwrap_or_default();
            let listed = !request.customers.is_empty();
            let sections: Vec<StatementSection> = sections;
            if sections.is_empty() && !listed {
                continue;
            }
            let code = &customer.details.code;
            check_against_aging(code, &sections)?;
            statements.push(DocumentData {
                letterhead: printer.letterhead(customer, as_of),
                body: DocumentBody::Statement(Statement {
                    kind: request.kind,
                    as_of,
                    from,
                    sections,
                }),
            });
        }
        statements.sort_by(|a, b| a.letterhead.customer.code.cmp(&b.letterhead.customer.code));
        Ok(StatementRun { as_of, statements })
    }

    /// Customers by code, in one read transaction; an unknown code is left out (and reported
    /// by [`select_customers`]).
    async fn customers_by_code(&self, codes: &[String]) -> ServiceResult<Vec<Customer>> {
        let entity = self.entity().id;
        let mut tx = self.store().begin_read().await?;
        let mut customers = Vec::with_capacity(codes.len());
        for code in codes {
            if let Some(customer) = tx.customer_by_code(entity, code).await? {
                customers.push(customer);
            }
        }
        tx.commit().await?;
        Ok(customers)
    }

    /// The aging of every customer and, when the statements list open items, every open item
    /// and every payment's unapplied cash.
    async fn whole_book(
        &self,
        policy: &AgingPolicy,
        as_of: Date,
        with_lines: bool,
    ) -> ServiceResult<BookAsOf> {
        let entity = self.entity().id;
        let store = self.store();
        let aging = self.aging(policy, as_of).await?.report;
        if !with_lines {
            return Ok(BookAsOf {
                aging,
                items: Vec::new(),
                cash: Vec::new(),
            });
        }
        let (items, cash) = futures_util::future::join(
            store.aging_items(entity, as_of),
            store.unapplied_as_of(entity, as_of),
        )
        .await;
        Ok(BookAsOf {
            aging,
            items: items?,
            cash: cash?,
        })
    }

    /// The same for a few customers: their open items and unapplied cash read through the
    /// customer index and aged here, so that one customer's statement (the portal's) costs
    /// what that customer holds, not what the whole book does.
    async fn customers_book(
        &self,
        customers: impl Iterator<Item = CustomerId>,
        policy: &AgingPolicy,
        as_of: Date,
    ) -> ServiceResult<BookAsOf> {
        let entity = self.entity().id;
        let store = self.store();
        let mut items = Vec::new();
        let mut cash = Vec::new();
        for customer in customers {
            items.extend(store.customer_aging_items(entity, customer, as_of).await?);
            cash.extend(
                store
                    .customer_unapplied_as_of(entity, customer, as_of)
                    .await?,
            );
        }
        let credits: Vec<OpenCredit> = cash
            .iter()
            .map(|payment| OpenCredit {
                customer: payment.customer,
                amount: payment.amount,
            })
            .collect();
        let aging = aging::age(policy, as_of, items.iter().cloned(), credits)
            .map_err(|e| ServiceError::Refused(format!("aging out of range: {e}")))?;
        Ok(BookAsOf { aging, items, cash })
    }

    /// Queues each written statement to its customer's billing contacts with the PDF attached
    /// and the `statement` email template's message, [`EMAIL_BATCH`] customers per
    /// transaction. A customer already sent this date's statement is left out, so a repeated
    /// run queues nothing twice (and the outbox's unique key on the statement's source keeps
    /// two runs at once from both queuing it).
    pub async fn email_statements(
        &self,
        files: &[StatementFile],
        as_of: Date,
        templates: &Templates,
    ) -> ServiceResult<EmailSummary> {
        let entity = self.entity().clone();
        let company = self.company_profile().await?.company.name;
        let renderer = templates.renderer()?;
        let mut summary = EmailSummary::default();
        for batch in files.chunks(EMAIL_BATCH) {
            let mut tx = self.store().begin().await?;
            let mut queued = Vec::new();
            for file in batch {
                let source_id = format!("{}:{as_of}", file.customer);
                if tx
                    .outbox_has_source(entity.id, EMAIL_SOURCE, &source_id)
                    .await?
                {
                    summary.already_queued += 1;
                    continue;
                }
                let route = match email_route(&mut tx, &entity, &file.customer).await {
                    Ok(route) => route,
                    Err(ServiceError::Refused(reason)) => {
                        summary.skipped.push((file.customer.clone(), reason));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let bytes = std::fs::read(&file.path).map_err(|source| ServiceError::Io {
                    path: file.path.clone(),
                    source,
                })?;
                let attachment = file
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("statement.pdf")
                    .to_string();
                let message = renderer.render_statement(&StatementEmail {
                    customer_code: file.customer.clone(),
                    customer_name: file.customer_name.clone(),
                    contact_name: route.contact_name.clone(),
                    company_name: company.clone(),
                    as_of,
                    attachment: attachment.clone(),
                    amounts_due: file.amounts_due.clone(),
                })?;
                let email = OutgoingEmail {
                    customer: Some(CustomerId(route.customer)),
                    to: route.to,
                    cc: Vec::new(),
                    subject: message.subject,
                    text: message.text,
                    html: message.html,
                    attachments: vec![Attachment {
                        filename: attachment,
                        content_type: "application/pdf".to_string(),
                        bytes,
                    }],
                    not_before: None,
                    source: EMAIL_SOURCE.to_string(),
                    source_id,
                };
                queue_email(&mut tx, &entity, email).await?;
                queued.push(file.customer.clone());
                summary.queued += 1;
            }
            // One row per batch, like an import: the messages themselves are in the outbox.
            if !queued.is_empty() {
                let change = Change::new("email_statements", Target::new("statements", as_of))
                    .after(&json!({ "queued": queued }));
                self.record_change(&mut tx, change).await?;
            }
            tx.commit().await?;
        }
        Ok(summary)
    }
}

/// The customers asked for by code (all of them when none is named), by id.
fn select_customers<'a>(
    customers: &'a [Customer],
    codes: &[String],
) -> ServiceResult<BTreeMap<CustomerId, &'a Customer>> {
    if codes.is_empty() {
        return Ok(customers.iter().map(|c| (c.id, c)).collect());
    }
    let by_code: HashMap<&str, &Customer> = customers
        .iter()
        .map(|c| (c.details.code.as_str(), c))
        .collect();
    codes
        .iter()
        .map(|code| {
            by_code
                .get(code.as_str())
                .map(|c| (c.id, *c))
                .ok_or_else(|| not_found(format!("customer {code}")))
        })
        .collect()
}

/// One currency's section: running balances, charges and credits, and the aging beside them.
fn section(
    currency: Currency,
    opening: Option<Money>,
    mut lines: Vec<StatementLine>,
    aging: Option<&AgingRow>,
    labels: &[String],
) -> ServiceResult<StatementSection> {
    let zero = Money::zero(currency);
    let mut balance = opening.unwrap_or(zero);
    let mut charges = zero;
    let mut credits = zero;
    for line in &mut lines {
        balance = balance.checked_add(line.amount)?;
        line.balance = balance;
        if line.amount.is_negative() {
            credits = credits.checked_sub(line.amount)?;
        } else {
            charges = charges.checked_add(line.amount)?;
        }
    }
    let aging = match aging {
        Some(row) => AgingSummary {
            labels: labels.to_vec(),
            buckets: row.buckets.clone(),
            total: row.total,
            unapplied: row.unapplied,
            net: row.net,
        },
        None => AgingSummary {
            labels: labels.to_vec(),
            buckets: vec![zero; labels.len()],
            total: zero,
            unapplied: zero,
            net: zero,
        },
    };
    Ok(StatementSection {
        currency,
        opening,
        lines,
        charges,
        credits,
        amount_due: balance,
        aging,
    })
}

/// A statement whose amount due differs from the aging's net would tell the customer two
/// different balances on one page: refused, naming both.
fn check_against_aging(code: &str, sections: &[StatementSection]) -> ServiceResult<()> {
    for section in sections {
        if section.amount_due != section.aging.net {
            return Err(ServiceError::Refused(format!(
                "statement for {code} in {}: its lines come to {} but the aging's net is {}",
                section.currency.code(),
                section.amount_due.to_decimal_string(),
                section.aging.net.to_decimal_string()
            )));
        }
    }
    Ok(())
}

fn item_label(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Invoice => "",
        ItemKind::DebitMemo => "Debit memo",
        ItemKind::CreditMemo => "Credit memo",
    }
}

fn entry_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Invoice => "Invoice",
        EntryKind::DebitMemo => "Debit memo",
        EntryKind::CreditMemo => "Credit memo",
        EntryKind::Payment => "Payment received",
        EntryKind::CashApplication => "Discount allowed",
        EntryKind::CreditApplication => "Credit applied",
        EntryKind::Adjustment => "Adjustment",
        EntryKind::WriteOff => "Written off",
        EntryKind::Refund => "Refund",
        EntryKind::RefundPayout => "Refund paid",
        EntryKind::Reversal => "Reversal",
        EntryKind::PayerIdentified => "Payment identified",
        EntryKind::Recovery => "Recovery",
        EntryKind::ReserveAdjustment => "Adjustment",
    }
}

/// Renders every statement of a run into `out`, one PDF per customer, on `threads` threads
/// sharing the printer. Each file is written under a temporary name and renamed when
/// complete. `progress` is called after each statement. Stops at the first error.
pub fn render_statements(
    printer: &Printer,
    run: &StatementRun,
    out: &Path,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> ServiceResult<Vec<StatementFile>> {
    std::fs::create_dir_all(out).map_err(|source| ServiceError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let files: Mutex<Vec<StatementFile>> = Mutex::new(Vec::with_capacity(run.statements.len()));
    render_each(printer, &run.statements, threads, &|index, rendered| {
        let file = write_statement(&run.statements[index], &rendered, run.as_of, out)?;
        if let Ok(mut files) = files.lock() {
            files.push(file);
        }
        progress();
        Ok(())
    })?;
    let mut files = files.into_inner().unwrap_or_default();
    files.sort_by(|a, b| a.customer.cmp(&b.customer));
    Ok(files)
}

fn write_statement(
    data: &DocumentData,
    rendered: &Rendered,
    as_of: Date,
    out: &Path,
) -> ServiceResult<StatementFile> {
    let code = &data.letterhead.customer.code;
    let path = out.join(format!("statement-{}-{as_of}.pdf", file_name_part(code)));
    crate::private_files::replace(&path, &rendered.pdf).map_err(|source| ServiceError::Io {
        path: path.clone(),
        source,
    })?;
    let amounts_due = match &data.body {
        DocumentBody::Statement(statement) => statement
            .sections
            .iter()
            .map(|section| section.amount_due)
            .filter(|amount| !amount.is_zero())
            .collect(),
        _ => Vec::new(),
    };
    Ok(StatementFile {
        customer: code.clone(),
        customer_name: data.letterhead.customer.name.clone(),
        amounts_due,
        path,
        pages: rendered.pages,
        bytes: rendered.pdf.len(),
    })
}
