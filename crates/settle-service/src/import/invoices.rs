//! invoices.csv: `invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description`,
//! with the optional column `payment_terms`. An empty due date comes from the terms (the row's,
//! else the customer's), an empty currency from the customer.

use std::borrow::Borrow;
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
    AmountBasis, Columns, ImportOptions, ImportReport, Limits, Opened, Progress, parse_date,
    read_file,
};
use crate::Settle;
use crate::error::{RowError, ServiceError, ServiceResult};
use settle_store::PreparedWrites;

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

pub(crate) type CustomerDefaults = HashMap<String, (CustomerId, Currency, PaymentTerms)>;

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

/// Reads invoice rows: parses each, and refuses an invoice number the file already used.
struct InvoiceRows {
    file: String,
    columns: Columns,
    customers: CustomerDefaults,
    basis: AmountBasis,
    seen: HashMap<String, u64>,
    /// The books are closed through this day: an invoice dated inside is a bad row.
    lock: Option<(settle_core::period::Lock, settle_core::period::Calendar)>,
}

impl InvoiceRows {
    fn read<R: Borrow<StringRecord>>(
        &mut self,
        record: Result<R, csv::Error>,
    ) -> Result<(u64, NewDocument), Vec<RowError>> {
        let (line, row) = super::row_of(&self.file, &self.columns, record).map_err(|e| vec![e])?;
        let document = parse_invoice(
            &self.columns,
            line,
            row.borrow(),
            &self.customers,
            self.basis,
        )?;
        if let Some((lock, calendar)) = &self.lock
            && let Err(closed) =
                settle_core::period::check_open(Some(lock), calendar, document.issue_date)
        {
            return Err(vec![self.columns.error(
                line,
                "issue_date",
                closed.to_string(),
            )]);
        }
        if let Some(first) = self.seen.get(&document.number) {
            return Err(vec![self.columns.error(
                line,
                "invoice_number",
                format!("{:?} repeats line {first}", document.number),
            )]);
        }
        self.seen.insert(document.number.clone(), line);
        Ok((line, document))
    }
}

/// What [`read_invoices`] found: rows read, the invoices with their lines, the bad rows.
pub(crate) type ReadInvoices = (u64, Vec<(u64, NewDocument)>, Vec<RowError>);

/// Parses invoices.csv as an import into empty books does, without writing: every row read,
/// checked against `customers` and the lock, and issued with its journal entry by the core.
/// Returns how many rows were read, the invoices with their lines, and the bad rows.
pub(crate) fn read_invoices(
    file: &str,
    bytes: &[u8],
    customers: CustomerDefaults,
    basis: AmountBasis,
    lock: Option<(settle_core::period::Lock, settle_core::period::Calendar)>,
    chart: &settle_core::accounts::ChartOfAccounts,
) -> ServiceResult<ReadInvoices> {
    let (columns, mut reader) = super::header(file, bytes, KNOWN, REQUIRED)?;
    let mut rows = InvoiceRows {
        file: file.to_string(),
        columns,
        customers,
        basis,
        seen: HashMap::new(),
        lock,
    };
    let (mut read, mut documents, mut errors) = (0, Vec::new(), Vec::new());
    let mut reused = StringRecord::new();
    while let Some(record) = super::next_record(&mut reader, &mut reused) {
        read += 1;
        match rows.read(record) {
            Ok((line, document)) => {
                let item = ItemId(documents.len() as i64 + 1);
                match events::issue_document(chart, item, &document) {
                    Ok(_) => documents.push((line, document)),
                    Err(rejection) => {
                        errors.push(rows.columns.error(line, "amount", rejection.to_string()))
                    }
                }
            }
            Err(mut row_errors) => errors.append(&mut row_errors),
        }
    }
    Ok((read, documents, errors))
}

/// What the bulk path's preparing thread hands back when the file is read.
struct Prepared {
    rows_read: u64,
    stored: u64,
    errors: Vec<RowError>,
    next_ids: (i64, i64),
}

/// Everything the preparing thread needs, owned.
struct BulkLoad {
    bytes: Vec<u8>,
    rows: InvoiceRows,
    chart: settle_core::accounts::ChartOfAccounts,
    functional: settle_core::Currency,
    skip_invalid: bool,
    engine: settle_store::Engine,
    entity: settle_core::ids::EntityId,
    import: i64,
    first_ids: (i64, i64),
}

/// Statements to run, and how far into the file they reach (for the progress bar).
type Batch = (PreparedWrites, u64);

impl BulkLoad {
    /// Parses every row, issues each invoice with its entry and builds the insert statements,
    /// handing them over as they fill. Runs on its own thread, beside the one that writes.
    /// After the first bad row (unless bad rows are skipped) it only reads on, to report them all.
    fn prepare(mut self, sender: tokio::sync::mpsc::Sender<Batch>) -> Prepared {
        let mut reader = super::csv_reader(std::io::Cursor::new(std::mem::take(&mut self.bytes)));
        let mut documents = settle_store::DocumentRows::new(self.engine, self.entity);
        let (mut next_item, mut next_entry) = self.first_ids;
        let mut prepared = Prepared {
            rows_read: 0,
            stored: 0,
            errors: Vec::new(),
            next_ids: self.first_ids,
        };
        let mut reused = StringRecord::new();
        while let Some(record) = super::next_record(&mut reader, &mut reused) {
            prepared.rows_read += 1;
            let position = record
                .as_ref()
                .ok()
                .and_then(|r| r.position())
                .map_or(0, csv::Position::byte);
            let (line, document) = match self.rows.read(record) {
                Ok(row) => row,
                Err(mut errors) => {
                    prepared.errors.append(&mut errors);
                    continue;
                }
            };
            if !prepared.errors.is_empty() && !self.skip_invalid {
                continue;
            }
            let (item, entry_id) = (ItemId(next_item), settle_core::ids::EntryId(next_entry));
            match events::issue_document(&self.chart, item, &document) {
                Ok(entry) => {
                    let entry = entry.in_functional(self.functional);
                    documents.push_document_owned(
                        item,
                        entry_id,
                        document,
                        entry,
                        Some(self.import),
                    );
                    next_item += 1;
                    next_entry += 1;
                    prepared.stored += 1;
                }
                Err(rejection) => {
                    prepared.errors.push(self.rows.columns.error(
                        line,
                        "amount",
                        rejection.to_string(),
                    ));
                    continue;
                }
            }
            let ready = documents.ready();
            if !ready.is_empty() && sender.blocking_send((ready, position)).is_err() {
                // The writer stopped (it failed); nothing more to do.
                return prepared;
            }
        }
        if prepared.errors.is_empty() || self.skip_invalid {
            let _ = sender.blocking_send((documents.finish(), u64::MAX));
        }
        prepared.next_ids = (next_item, next_entry);
        prepared
    }
}

impl Settle {
    /// Imports invoices.csv: each new invoice is issued with its journal entry; invoices already
    /// stored with the same details are counted as duplicates; an invoice number stored with
    /// other details is a bad row.
    ///
    /// Runs again from the start when it loses to a concurrent writer ([`crate::retry`]).
    pub async fn import_invoices(
        &self,
        path: &Path,
        options: ImportOptions,
        progress: Progress<'_>,
    ) -> ServiceResult<ImportReport> {
        crate::retry::retrying("import_invoices", || {
            self.import_invoices_once(path, options, progress)
        })
        .await
    }

    /// One attempt of [`Settle::import_invoices`].
    async fn import_invoices_once(
        &self,
        path: &Path,
        options: ImportOptions,
        progress: Progress<'_>,
    ) -> ServiceResult<ImportReport> {
        let mut file = read_file(path, Limits::CSV)?;
        let entity = self.entity().id;
        let rows_estimate = file.bytes.iter().filter(|b| **b == b'\n').count() as i64;
        let Opened { mut tx, mut report } =
            match super::open(self, &file, "invoices", rows_estimate >= BULK_LOAD_ROWS).await? {
                Ok(opened) => opened,
                Err(already_imported) => return Ok(already_imported),
            };
        let (columns, reader) = super::header(&file.name, &file.bytes, KNOWN, REQUIRED)?;
        let customers = tx.customer_defaults(entity).await?;
        let lock = match tx.period_lock(entity).await? {
            Some(lock) => Some((lock, tx.calendar(entity).await?)),
            None => None,
        };
        let chart = tx.chart(entity).await?;
        let functional = self.entity().functional_currency;
        let check_stored = tx.has_items(entity).await?;
        // A load at least as large as what is stored builds its indexes afresh afterwards.
        let rebuild_indexes = rows_estimate >= BULK_LOAD_ROWS
            && rows_estimate >= tx.item_count().await?
            && tx.suspend_bulk_indexes().await?;
        let import = tx
            .start_import(entity, "invoices", &file.fingerprint, &file.name)
            .await?;
        let mut rows = InvoiceRows {
            file: file.name.clone(),
            columns: columns.clone(),
            customers,
            basis: options.amount_basis,
            seen: HashMap::with_capacity(rows_estimate.clamp(0, 1 << 24) as usize),
            lock,
        };
        let total = file.bytes.len() as u64;
        let mut errors: Vec<RowError> = Vec::new();

        if !check_stored {
            // Nothing stored to compare with: prepare rows on a second thread while this one
            // writes. The ids are reserved up front and the unused rest given back.
            drop(reader);
            let count = rows_estimate.max(1);
            let first_ids = tx.reserve_document_ids(count).await?;
            let load = BulkLoad {
                bytes: std::mem::take(&mut file.bytes),
                rows,
                chart,
                functional,
                skip_invalid: options.skip_invalid,
                engine: self.store().engine(),
                entity,
                import,
                first_ids,
            };
            let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(4);
            let worker = std::thread::spawn(move || load.prepare(sender));
            while let Some((statements, position)) = receiver.recv().await {
                tx.execute(statements).await?;
                progress(position.min(total), total);
            }
            let prepared = worker.join().map_err(|_| {
                ServiceError::Refused("the import's preparing thread failed".to_string())
            })?;
            report.rows_read = prepared.rows_read;
            report.stored = prepared.stored;
            errors = prepared.errors;
            if errors.is_empty() || options.skip_invalid {
                tx.release_document_ids(
                    prepared.next_ids,
                    (first_ids.0 + count, first_ids.1 + count),
                )
                .await?;
            }
        } else {
            let mut documents = tx.document_rows(entity);
            let mut batch: Vec<(u64, NewDocument)> = Vec::with_capacity(super::BATCH_ROWS);
            let mut reader = reader;
            let mut records = reader.records();
            loop {
                let record = records.next();
                let end = record.is_none();
                if let Some(record) = record {
                    report.rows_read += 1;
                    match rows.read(record) {
                        Ok(row) => batch.push(row),
                        Err(mut row_errors) => errors.append(&mut row_errors),
                    }
                }
                if batch.len() < super::BATCH_ROWS && !end {
                    continue;
                }
                // A bad row dooms the import (unless skipped): parsing goes on, writing stops.
                let batch_rows = std::mem::take(&mut batch);
                if errors.is_empty() || options.skip_invalid {
                    let numbers: Vec<&str> =
                        batch_rows.iter().map(|(_, d)| d.number.as_str()).collect();
                    let stored = tx
                        .existing_documents(entity, ItemKind::Invoice, &numbers)
                        .await?;
                    let mut fresh = Vec::with_capacity(batch_rows.len());
                    for (line, document) in batch_rows {
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
                        let mut issued = Vec::with_capacity(fresh.len());
                        for (offset, document) in fresh.into_iter().enumerate() {
                            let id = ItemId(first + offset as i64);
                            let entry = events::issue_document(&chart, id, &document)?
                                .in_functional(functional);
                            issued.push((id, document, entry));
                        }
                        tx.write_documents(&mut documents, &issued, Some(import))
                            .await?;
                        report.stored += issued.len() as u64;
                    }
                }
                if end {
                    break;
                }
            }
            if errors.is_empty() || options.skip_invalid {
                let rest = documents.finish();
                tx.execute(rest).await?;
            }
        }
        progress(total, total);
        if !errors.is_empty() && !options.skip_invalid {
            errors.sort_by_key(|e| e.line);
            // Dropping the transaction rolls back everything already written.
            return Err(ServiceError::ImportRejected {
                file: file.name,
                errors,
            });
        }
        if rebuild_indexes {
            tx.rebuild_bulk_indexes().await?;
        }
        errors.sort_by_key(|e| e.line);
        report.rejected = errors;
        super::finish(self, tx, "invoices", import, &report).await?;
        Ok(report)
    }
}
