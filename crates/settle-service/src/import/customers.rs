//! customers.csv: `customer_id,name,email,phone,payment_terms,credit_limit,currency,country,tax_id,address`,
//! with the optional columns `risk_class`, `sales_rep`, `status`, `contact_name`, `parent_id`.
//!
//! `parent_id` is the code of the customer's parent company: stored already, or a row of the
//! same file (before or after); a customer cannot be its own ancestor. Parents are stored before
//! their subsidiaries.

use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;

use settle_core::customer::{Contact, NewCustomer, ancestry_cycle, check_customer_code};
use settle_core::ids::CustomerId;
use settle_core::money::SignPolicy;
use settle_core::terms::PaymentTerms;
use settle_core::{Currency, Money};

use super::{Columns, ImportOptions, ImportReport, Limits, Opened, Progress, read_file};
use crate::Settle;
use crate::error::{RowError, ServiceError, ServiceResult};

const KNOWN: &[&str] = &[
    "customer_id",
    "name",
    "email",
    "phone",
    "payment_terms",
    "credit_limit",
    "currency",
    "country",
    "tax_id",
    "address",
    "risk_class",
    "sales_rep",
    "status",
    "contact_name",
    "parent_id",
];
const REQUIRED: &[&str] = &["customer_id", "name", "currency"];

/// Terms of a customer whose file leaves them empty.
pub const DEFAULT_TERMS: PaymentTerms = PaymentTerms::Net { days: 30 };

fn parse_customer(
    columns: &Columns,
    line: u64,
    row: &StringRecord,
) -> Result<NewCustomer, Vec<RowError>> {
    let mut errors = Vec::new();
    let code = columns.get(row, "customer_id");
    if let Err(message) = check_customer_code(code) {
        errors.push(columns.error(line, "customer_id", message));
    }
    let name = columns.get(row, "name");
    if name.is_empty() {
        errors.push(columns.error(line, "name", "is empty"));
    }
    let currency = match Currency::from_code(columns.get(row, "currency")) {
        Ok(currency) => Some(currency),
        Err(e) => {
            errors.push(columns.error(line, "currency", e.to_string()));
            None
        }
    };
    let terms_text = columns.get(row, "payment_terms");
    let terms = if terms_text.is_empty() {
        DEFAULT_TERMS
    } else {
        terms_text
            .parse()
            .unwrap_or_else(|e: settle_core::terms::TermsError| {
                errors.push(columns.error(line, "payment_terms", e.to_string()));
                DEFAULT_TERMS
            })
    };
    let limit_text = columns.get(row, "credit_limit");
    let credit_limit = match (currency, limit_text.is_empty()) {
        (Some(currency), false) => match Money::parse(limit_text, currency, SignPolicy::Unsigned) {
            Ok(limit) => Some(limit),
            Err(e) => {
                errors.push(columns.error(line, "credit_limit", e.to_string()));
                None
            }
        },
        _ => None,
    };
    let parse_or_default = |field: &str| -> String { columns.get(row, field).to_string() };
    let mut customer = NewCustomer::new(code, name, currency.unwrap_or(Currency::USD), terms);
    customer.email = parse_or_default("email");
    customer.phone = parse_or_default("phone");
    customer.credit_limit = credit_limit;
    customer.country = parse_or_default("country");
    customer.tax_id = parse_or_default("tax_id");
    customer.billing_address = parse_or_default("address");
    customer.sales_rep = parse_or_default("sales_rep");
    let risk = columns.get(row, "risk_class");
    if !risk.is_empty() {
        match risk.parse() {
            Ok(risk) => customer.risk_class = risk,
            Err(e) => errors.push(columns.error(line, "risk_class", e.to_string())),
        }
    }
    let status = columns.get(row, "status");
    if !status.is_empty() {
        match status.parse() {
            Ok(status) => customer.status = status,
            Err(e) => errors.push(columns.error(line, "status", e.to_string())),
        }
    }
    let parent = columns.get(row, "parent_id");
    if !parent.is_empty() {
        match check_customer_code(parent) {
            Ok(()) => customer.parent = Some(parent.to_string()),
            Err(message) => errors.push(columns.error(line, "parent_id", message)),
        }
    }
    let contact_name = columns.get(row, "contact_name");
    if !contact_name.is_empty() || !customer.email.is_empty() {
        customer.contacts.push(Contact {
            name: contact_name.to_string(),
            role: "billing".to_string(),
            email: customer.email.clone(),
            phone: customer.phone.clone(),
        });
    }
    if errors.is_empty() {
        Ok(customer)
    } else {
        Err(errors)
    }
}

/// Every new customer's parent is stored already or a good row of the file, and no customer is
/// its own ancestor; rows that fail (and then rows whose parent failed) become errors. What
/// stays is ordered so that parents come before their subsidiaries.
fn check_parents(
    columns: &Columns,
    good: &mut Vec<NewCustomer>,
    lines: &HashMap<String, u64>,
    existing: &HashMap<String, CustomerId>,
    errors: &mut Vec<RowError>,
) {
    loop {
        let in_file: HashMap<&str, Option<&str>> = good
            .iter()
            .map(|c| (c.code.as_str(), c.parent.as_deref()))
            .collect();
        let parent_of = |code: &str| in_file.get(code).copied().flatten();
        let mut refused: Vec<(usize, RowError)> = Vec::new();
        for (position, customer) in good.iter().enumerate() {
            let Some(parent) = customer.parent.as_deref() else {
                continue;
            };
            let line = lines.get(&customer.code).copied().unwrap_or(0);
            let message = if in_file.contains_key(parent) {
                ancestry_cycle(&customer.code, parent_of).map(|chain| {
                    format!(
                        "customer {:?} would be its own ancestor ({})",
                        customer.code,
                        chain.join(" → ")
                    )
                })
            } else if existing.contains_key(parent) {
                None
            } else if let Some(parent_line) = lines.get(parent) {
                Some(format!(
                    "parent {parent:?} is not stored: its row (line {parent_line}) has errors"
                ))
            } else {
                Some(format!(
                    "no customer {parent:?} in this file or stored already"
                ))
            };
            if let Some(message) = message {
                refused.push((position, columns.error(line, "parent_id", message)));
            }
        }
        if refused.is_empty() {
            break;
        }
        for (position, error) in refused.into_iter().rev() {
            good.remove(position);
            errors.push(error);
        }
    }
    errors.sort_by_key(|e| e.line);
    // Parents first: a customer's depth is how many of its ancestors are new in this file.
    let in_file: HashMap<String, Option<String>> = good
        .iter()
        .map(|c| (c.code.clone(), c.parent.clone()))
        .collect();
    let depth = |code: &str| {
        let mut depth = 0usize;
        let mut current = code;
        while let Some(Some(parent)) = in_file.get(current) {
            if !in_file.contains_key(parent.as_str()) {
                break;
            }
            depth += 1;
            current = parent;
        }
        depth
    };
    good.sort_by_cached_key(|c| depth(&c.code));
}

/// What customers.csv says, read without the database.
#[derive(Debug, Default)]
pub(crate) struct CustomerRows {
    pub rows_read: u64,
    /// New customers, parents before their subsidiaries.
    pub good: Vec<NewCustomer>,
    /// Rows naming a customer stored already.
    pub duplicates: u64,
    pub errors: Vec<RowError>,
}

/// Parses customers.csv against the customers stored already (`existing`, by code): the whole
/// of the import but its writes. A header without the required columns refuses the file.
pub(crate) fn read_customers(
    file: &str,
    bytes: &[u8],
    existing: &HashMap<String, CustomerId>,
    progress: Progress<'_>,
) -> ServiceResult<CustomerRows> {
    let (columns, mut reader) = super::header(file, bytes, KNOWN, REQUIRED)?;
    let mut rows = CustomerRows::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let total = bytes.len() as u64;
    for record in reader.records() {
        rows.rows_read += 1;
        if rows.rows_read.is_multiple_of(10_000) {
            progress(
                record
                    .as_ref()
                    .ok()
                    .and_then(|r| r.position())
                    .map_or(0, csv::Position::byte),
                total,
            );
        }
        let (line, row) = match super::row_of(file, &columns, record) {
            Ok(row) => row,
            Err(e) => {
                rows.errors.push(e);
                continue;
            }
        };
        match parse_customer(&columns, line, &row) {
            Err(mut row_errors) => rows.errors.append(&mut row_errors),
            Ok(customer) => {
                if let Some(first) = seen.insert(customer.code.clone(), line) {
                    rows.errors.push(columns.error(
                        line,
                        "customer_id",
                        format!("{:?} repeats line {first}", customer.code),
                    ));
                } else if existing.contains_key(&customer.code) {
                    rows.duplicates += 1;
                } else {
                    rows.good.push(customer);
                }
            }
        }
    }
    progress(total, total);
    check_parents(&columns, &mut rows.good, &seen, existing, &mut rows.errors);
    Ok(rows)
}

impl Settle {
    /// Imports customers.csv. Customers whose code is already stored are counted as duplicates
    /// and left as they are.
    ///
    /// Runs again from the start when it loses to a concurrent writer ([`crate::retry`]).
    pub async fn import_customers(
        &self,
        path: &Path,
        options: ImportOptions,
        progress: Progress<'_>,
    ) -> ServiceResult<ImportReport> {
        crate::retry::retrying("import_customers", || {
            self.import_customers_once(path, options, progress)
        })
        .await
    }

    /// One attempt of [`Settle::import_customers`].
    async fn import_customers_once(
        &self,
        path: &Path,
        options: ImportOptions,
        progress: Progress<'_>,
    ) -> ServiceResult<ImportReport> {
        let file = read_file(path, Limits::CSV)?;
        let entity = self.entity().id;
        let Opened { mut tx, mut report } =
            match super::open(self, &file, "customers", false).await? {
                Ok(opened) => opened,
                Err(already_imported) => return Ok(already_imported),
            };
        let existing = tx.customer_ids(entity).await?;
        let CustomerRows {
            rows_read,
            good,
            duplicates,
            errors,
        } = read_customers(&file.name, &file.bytes, &existing, progress)?;
        report.rows_read = rows_read;
        report.duplicates = duplicates;
        if !errors.is_empty() && !options.skip_invalid {
            return Err(ServiceError::ImportRejected {
                file: file.name,
                errors,
            });
        }
        let import = tx
            .start_import(entity, "customers", &file.fingerprint, &file.name)
            .await?;
        for chunk in good.chunks(super::BATCH_ROWS) {
            tx.insert_customers(entity, chunk, Some(import)).await?;
        }
        report.stored = good.len() as u64;
        report.rejected = errors;
        super::finish(self, tx, "customers", import, &report).await?;
        Ok(report)
    }
}
