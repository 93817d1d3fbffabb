//! invoices.csv: `invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description`,
//! with the optional column `payment_terms`. An empty due date comes from the terms (the row's,
//! else the customer's), an empty currency from the customer.

use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;

use settle_core::document::{DocumentLine, ItemKind, NewDocument};
use settle_core::events;
use settle_core::ids::{CustomerId, ItemId};
use settle_core::money::SignPolicy;
use settle_core::terms::PaymentTerms;
use settle_core::{Currency, Money};

use super::{
    AmountBasis, Columns, ImportOptions, ImportReport, Opened, Progress, parse_date, read_file,
};
use crate::Settle;
use crate::error::{RowError, ServiceError, ServiceResult};

const KNOWN: &[&str] = &[
    "invoice_number",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "tax_amount",
    "po_number",
    "description",
    "payment_terms",
];
const REQUIRED: &[&str] = &["invoice_number", "customer_id", "issue_date", "amount"];

/// Imports of at least this many rows may rebuild indexes instead of maintaining them.
const BULK_LOAD_ROWS: i64 = 50_000;

/// Longest document number we accept.
const MAX_NUMBER_LEN: usize = 64;

type CustomerDefaults = HashMap<String, (CustomerId, Currency, PaymentTerms)>;

fn money(
    columns: &Columns,
    line: u64,
    field: &str,
    text: &str,
    currency: Currency,
) -> Result<Money, RowError> {
    Money::parse(text, currency, SignPolicy::Unsigned)
        .map_err(|e| columns.error(line, field, e.to_string()))
}

fn parse_invoice(
    columns: &Columns,
    line: u64,
    row: &StringRecord,
    customers: &CustomerDefaults,
    basis: AmountBasis,
) -> Result<NewDocument, Vec<RowError>> {
    let mut errors = Vec::new();
    let number = columns.get(row, "invoice_number");
    if number.is_empty() || number.len() > MAX_NUMBER_LEN {
        errors.push(columns.error(line, "invoice_number", "must have 1 to 64 characters"));
    }
    let code = columns.get(row, "customer_id");
    let customer = customers.get(code);
    if customer.is_none() {
        errors.push(columns.error(
            line,
            "customer_id",
            format!("unknown customer {code:?} (import customers first)"),
        ));
    }
    let issue_date = parse_date(columns, line, "issue_date", columns.get(row, "issue_date"))
        .map_err(|e| errors.push(e))
        .ok();
    let currency_text = columns.get(row, "currency");
    let currency = if currency_text.is_empty() {
        customer.map(|c| c.1)
    } else {
        Currency::from_code(currency_text)
            .map_err(|e| errors.push(columns.error(line, "currency", e.to_string())))
            .ok()
    };
    let terms_text = columns.get(row, "payment_terms");
    let terms = if terms_text.is_empty() {
        customer.map(|c| c.2)
    } else {
        terms_text
            .parse::<PaymentTerms>()
            .map_err(|e| errors.push(columns.error(line, "payment_terms", e.to_string())))
            .ok()
    };
    let due_text = columns.get(row, "due_date");
    let due_date = match (due_text.is_empty(), terms, issue_date) {
        (false, _, _) => parse_date(columns, line, "due_date", due_text)
            .map_err(|e| errors.push(e))
            .ok(),
        (true, Some(terms), Some(issued)) => terms
            .due_date(issued)
            .map_err(|e| errors.push(columns.error(line, "due_date", e.to_string())))
            .ok(),
        _ => None,
    };
    if let (Some(issued), Some(due)) = (issue_date, due_date)
        && due < issued
    {
        errors.push(columns.error(
            line,
            "due_date",
            format!("{due} is before the issue date {issued}"),
        ));
    }
    let mut amounts = None;
    if let Some(currency) = currency {
        let amount = money(
            columns,
            line,
            "amount",
            columns.get(row, "amount"),
            currency,
        )
        .map_err(|e| errors.push(e))
        .ok();
        let tax_text = columns.get(row, "tax_amount");
        let tax = if tax_text.is_empty() {
            Some(Money::zero(currency))
        } else {
            money(columns, line, "tax_amount", tax_text, currency)
                .map_err(|e| errors.push(e))
                .ok()
        };
        if let (Some(amount), Some(tax)) = (amount, tax) {
            if amount.is_zero() {
                errors.push(columns.error(
                    line,
                    "amount",
                    "is zero (credits are issued as credit memos)",
                ));
            }
            let net = match basis {
                AmountBasis::Gross if tax > amount => {
                    errors.push(columns.error(
                        line,
                        "tax_amount",
                        format!("{tax} is more than the amount {amount} that includes it"),
                    ));
                    None
                }
                AmountBasis::Gross => amount.checked_sub(tax).ok(),
                AmountBasis::Net => match amount.checked_add(tax) {
                    Ok(_) => Some(amount),
                    Err(e) => {
                        errors.push(columns.error(line, "tax_amount", e.to_string()));
                        None
                    }
                },
            };
            amounts = net.map(|net| (net, tax));
        }
    }
    match (
        customer,
        issue_date,
        due_date,
        currency,
        terms,
        amounts,
        errors.is_empty(),
    ) {
        (
            Some(customer),
            Some(issue_date),
            Some(due_date),
            Some(currency),
            Some(terms),
            Some((net, tax)),
            true,
        ) => {
            let description = columns.get(row, "description").to_string();
            Ok(NewDocument {
                kind: ItemKind::Invoice,
                number: number.to_string(),
                customer: customer.0,
                issue_date,
                due_date,
                currency,
                terms,
                lines: vec![DocumentLine {
                    description: description.clone(),
                    net,
                    tax,
                }],
                po_number: columns.get(row, "po_number").to_string(),
                description,
                reason: None,
            })
        }
        _ => Err(errors),
    }
}

impl Settle {
    /// Imports invoices.csv: each new invoice is issued with its journal entry; invoices already
    /// stored with the same details are counted as duplicates; an invoice number stored with
    /// other details is a bad row.
    pub async fn import_invoices(
        &self,
        path: &Path,
        options: ImportOptions,
        progress: Progress<'_>,
    ) -> ServiceResult<ImportReport> {
        let file = read_file(path)?;
        let entity = self.entity().id;
        let Opened {
            mut tx,
            mut report,
            columns,
            mut reader,
        } = match super::open(self, &file, "invoices", KNOWN, REQUIRED).await? {
            Ok(opened) => opened,
            Err(already_imported) => return Ok(already_imported),
        };
        let customers = tx.customer_defaults(entity).await?;
        let chart = tx.chart(entity).await?;
        let functional = self.entity().functional_currency;
        let check_stored = tx.has_items(entity).await?;
        // A load at least as large as what is stored builds its indexes afresh afterwards.
        let rows_estimate = file.bytes.iter().filter(|b| **b == b'\n').count() as i64;
        let rebuild_indexes = rows_estimate >= BULK_LOAD_ROWS
            && rows_estimate >= tx.item_count().await?
            && tx.suspend_bulk_indexes().await?;
        let import = tx
            .start_import(entity, "invoices", &file.fingerprint, &file.name)
            .await?;
        let mut writer = tx.document_writer();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut errors: Vec<RowError> = Vec::new();
        let mut batch: Vec<(u64, NewDocument)> = Vec::with_capacity(super::BATCH_ROWS);
        let total = file.bytes.len() as u64;

        // Writes a batch unless a bad row already dooms the import (then parsing goes on, to
        // report every bad row at once).
        macro_rules! write_batch {
            () => {{
                let rows = std::mem::take(&mut batch);
                if errors.is_empty() || options.skip_invalid {
                    let stored = if check_stored {
                        let numbers: Vec<&str> = rows.iter().map(|(_, d)| d.number.as_str()).collect();
                        tx.existing_documents(entity, ItemKind::Invoice, &numbers).await?
                    } else {
                        HashMap::new()
                    };
                    let mut fresh = Vec::with_capacity(rows.len());
                    for (line, document) in rows {
                        match stored.get(&document.number) {
                            Some(existing) if document.same_as(existing) => report.duplicates += 1,
                            Some(existing) => errors.push(columns.error(
                                line,
                                "invoice_number",
                                format!(
                                    "{:?} is already stored with other details ({} for customer id {}, issued {}, due {})",
                                    document.number, existing.total, existing.customer, existing.issue_date, existing.due_date
                                ),
                            )),
                            None => fresh.push(document),
                        }
                    }
                    if !fresh.is_empty() {
                        let first = tx.allocate_items(fresh.len()).await?;
                        let mut prepared = Vec::with_capacity(fresh.len());
                        for (offset, document) in fresh.into_iter().enumerate() {
                            let id = ItemId(first + offset as i64);
                            let entry = events::issue_document(&chart, id, &document)?.in_functional(functional);
                            prepared.push((id, document, entry));
                        }
                        tx.write_documents(&mut writer, entity, &prepared, Some(import)).await?;
                        report.stored += prepared.len() as u64;
                    }
                }
            }};
        }

        for record in reader.records() {
            report.rows_read += 1;
            let (line, row) = match super::row_of(&file.name, &columns, record) {
                Ok(row) => row,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            match parse_invoice(&columns, line, &row, &customers, options.amount_basis) {
                Err(mut row_errors) => errors.append(&mut row_errors),
                Ok(document) => match seen.get(&document.number) {
                    Some(first) => errors.push(columns.error(
                        line,
                        "invoice_number",
                        format!("{:?} repeats line {first}", document.number),
                    )),
                    None => {
                        seen.insert(document.number.clone(), line);
                        batch.push((line, document));
                    }
                },
            }
            if batch.len() >= super::BATCH_ROWS {
                write_batch!();
                progress(row.position().map_or(0, csv::Position::byte), total);
            }
        }
        write_batch!();
        progress(total, total);
        if !errors.is_empty() && !options.skip_invalid {
            errors.sort_by_key(|e| e.line);
            // Dropping the transaction rolls back every batch already written.
            return Err(ServiceError::ImportRejected {
                file: file.name,
                errors,
            });
        }
        tx.finish_documents(writer).await?;
        if rebuild_indexes {
            tx.rebuild_bulk_indexes().await?;
        }
        errors.sort_by_key(|e| e.line);
        report.rejected = errors;
        super::finish(tx, import, &report).await?;
        Ok(report)
    }
}
