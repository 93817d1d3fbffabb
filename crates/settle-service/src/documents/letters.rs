//! One document at a time: an invoice or memo, a dunning letter, a payment receipt, a
//! payment-plan agreement and a balance confirmation, each from the ledger as it stands.

use settle_core::aging::AgingPolicy;
use settle_core::customer::Customer;
use settle_core::{Date, Money};
use settle_documents::model::{
    Confirmation, DocumentBody, DocumentData, DunningLetter, Instalment, Invoice, InvoiceLine,
    OpenItemLine, PlanAgreement, Receipt, ReceiptLine,
};

use super::Printer;
use crate::Settle;
use crate::error::{ServiceResult, invalid, not_found};

/// What a balance confirmation asks.
#[derive(Debug, Clone)]
pub struct ConfirmationRequest {
    pub customer: String,
    pub as_of: Date,
    /// The auditors the customer replies to, one line each.
    pub reply_to: Vec<String>,
}

impl Settle {
    /// An invoice, debit memo or credit memo by number.
    pub async fn invoice_document(
        &self,
        printer: &Printer,
        number: &str,
    ) -> ServiceResult<DocumentData> {
        let item = self
            .store()
            .item_document(self.entity().id, number)
            .await?
            .ok_or_else(|| not_found(format!("invoice {number}")))?;
        let customer = self.customer_by_id(item.customer).await?;
        let currency = item.total.currency();
        let mut lines = Vec::with_capacity(item.lines.len());
        for (description, net, tax) in &item.lines {
            lines.push(InvoiceLine {
                description: description.clone(),
                net: *net,
                tax: *tax,
                total: net.checked_add(*tax)?,
            });
        }
        if lines.is_empty() {
            // Imported whole from an ERP: the document is its one line.
            lines.push(InvoiceLine {
                description: if item.description.is_empty() {
                    item.number.clone()
                } else {
                    item.description.clone()
                },
                net: item.net,
                tax: item.tax,
                total: item.total,
            });
        }
        // What has been paid, credited or written off: the total less what is still open.
        let open = Money::new(item.balance.minor().abs(), currency);
        let settled = item.total.checked_sub(open)?;
        Ok(DocumentData {
            letterhead: printer.letterhead(&customer, item.issue_date),
            body: DocumentBody::Invoice(Invoice {
                kind: item.kind.to_string(),
                number: item.number,
                issue_date: item.issue_date,
                due_date: item.due_date,
                terms: item.terms,
                po_number: item.po_number,
                description: item.description,
                reason: item.reason,
                currency,
                lines,
                net: item.net,
                tax: item.tax,
                total: item.total,
                settled,
                balance: open,
            }),
        })
    }

    /// A dunning letter at `level` for what the customer has overdue as of `as_of`.
    pub async fn dunning_document(
        &self,
        printer: &Printer,
        code: &str,
        level: u32,
        as_of: Date,
        pay_within_days: i64,
    ) -> ServiceResult<DocumentData> {
        if !(1..=9).contains(&level) {
            return Err(invalid("level", "a dunning level is 1 to 9"));
        }
        let customer = self.customer_by_code(code).await?;
        let items = self.open_item_lines(&customer, as_of).await?;
        let items: Vec<OpenItemLine> = items.into_iter().filter(|i| i.days_overdue > 0).collect();
        if items.is_empty() {
            return Err(invalid(
                "customer",
                format!("{code} has nothing overdue as of {as_of}"),
            ));
        }
        let pay_by = as_of
            .checked_add(jiff::Span::new().days(pay_within_days))
            .map_err(|e| invalid("pay-within", e.to_string()))?;
        dunning_letter_of(printer, &customer, level, items, as_of, pay_by)
    }

    /// A receipt for a payment, by id or bank reference.
    pub async fn receipt_document(
        &self,
        printer: &Printer,
        payment: &str,
    ) -> ServiceResult<DocumentData> {
        let found = self
            .store()
            .payment_document(self.entity().id, payment)
            .await?
            .ok_or_else(|| not_found(format!("payment {payment}")))?;
        let customer_id = found.customer.ok_or_else(|| {
            invalid(
                "payment",
                format!("payment {payment}'s payer is not identified yet"),
            )
        })?;
        let customer = self.customer_by_id(customer_id).await?;
        Ok(DocumentData {
            letterhead: printer.letterhead(&customer, found.received_on),
            body: DocumentBody::Receipt(Receipt {
                number: format!("R-{}", found.id.0),
                received_on: found.received_on,
                method: found.method,
                reference: found.reference,
                amount: found.amount,
                applications: found
                    .applications
                    .into_iter()
                    .map(|(number, date, amount)| ReceiptLine {
                        number,
                        date,
                        amount,
                    })
                    .collect(),
                unapplied: found.unapplied,
            }),
        })
    }

    /// A payment plan's agreement, by plan id.
    pub async fn plan_document(&self, printer: &Printer, plan: i64) -> ServiceResult<DocumentData> {
        let entity = self.entity().id;
        let row = self
            .store()
            .plans(entity, None, None)
            .await?
            .into_iter()
            .find(|p| p.id == plan)
            .ok_or_else(|| not_found(format!("payment plan {plan}")))?;
        let currency = settle_core::Currency::from_code(&row.currency)
            .map_err(|e| invalid("currency", e.to_string()))?;
        let customer = self.customer_by_id(row.customer).await?;
        let summary = self.customer_view(&customer.details.code).await?;
        let items = row
            .items
            .iter()
            .map(|id| {
                summary
                    .open_items
                    .iter()
                    .find(|i| i.id == *id)
                    .map_or_else(|| format!("item {}", id.0), |i| i.number.clone())
            })
            .collect();
        Ok(DocumentData {
            letterhead: printer.letterhead(&customer, row.created_on),
            body: DocumentBody::Plan(PlanAgreement {
                plan: format!("P-{}", row.id),
                agreed_on: row.created_on,
                items,
                instalments: row
                    .instalments
                    .iter()
                    .map(|(number, due_date, minor)| Instalment {
                        number: *number,
                        due_date: *due_date,
                        amount: Money::new(*minor, currency),
                    })
                    .collect(),
                total: Money::new(row.total_minor, currency),
            }),
        })
    }

    /// A balance confirmation: the customer's open items and credits as of a date, whose
    /// balance is the aging's net.
    pub async fn confirmation_document(
        &self,
        printer: &Printer,
        request: &ConfirmationRequest,
    ) -> ServiceResult<DocumentData> {
        let customer = self.customer_by_code(&request.customer).await?;
        let items = self.open_item_lines(&customer, request.as_of).await?;
        let policy = AgingPolicy::standard(settle_core::aging::AgingBasis::DueDate);
        let aging = self.aging(&policy, request.as_of).await?;
        let rows: Vec<_> = aging
            .report
            .rows
            .iter()
            .filter(|r| r.customer == Some(customer.id))
            .collect();
        Ok(DocumentData {
            letterhead: printer.letterhead(&customer, request.as_of),
            body: DocumentBody::Confirmation(Confirmation {
                as_of: request.as_of,
                reference: format!("BC-{}-{}", customer.details.code, request.as_of),
                reply_to: request.reply_to.clone(),
                items,
                credits: rows.iter().map(|r| r.unapplied).collect(),
                // Nothing open: the customer confirms a nil balance in its own currency.
                balances: if rows.is_empty() {
                    vec![Money::zero(customer.details.currency)]
                } else {
                    rows.iter().map(|r| r.net).collect()
                },
            }),
        })
    }

    /// The customer's open debit items as of a date, oldest due first.
    async fn open_item_lines(
        &self,
        customer: &Customer,
        as_of: Date,
    ) -> ServiceResult<Vec<OpenItemLine>> {
        let items = self.store().aging_items(self.entity().id, as_of).await?;
        let summary = self.customer_view(&customer.details.code).await?;
        let totals: std::collections::HashMap<_, _> =
            summary.open_items.iter().map(|i| (i.id, i.total)).collect();
        Ok(items
            .into_iter()
            .filter(|i| i.customer == customer.id && i.kind.is_debit() && i.balance.is_positive())
            .map(|i| OpenItemLine {
                days_overdue: i64::from((as_of - i.due_date).get_days()),
                amount: totals.get(&i.item).copied().unwrap_or(i.balance),
                open: i.balance,
                number: i.number,
                issue_date: i.issue_date,
                due_date: i.due_date,
            })
            .collect())
    }
}

/// The name of a dunning level's letter.
fn stage(level: u32) -> &'static str {
    match level {
        0 => "pre-due",
        1 => "first-reminder",
        2 => "second-notice",
        _ => "final-notice",
    }
}

/// The letter a dunning run attaches to an action's email: the items it chases, each with its
/// open balance and the amount chased (the balance less disputes and promises).
pub(crate) fn dunning_letter(
    printer: &Printer,
    customer: &Customer,
    level: u32,
    currency: settle_core::Currency,
    chased: &[crate::collections::letters::ChasedItem],
    as_of: Date,
    pay_by: Date,
) -> ServiceResult<DocumentData> {
    let items: Vec<OpenItemLine> = chased
        .iter()
        .map(|item| OpenItemLine {
            number: item.number.clone(),
            issue_date: item.issue_date,
            due_date: item.due_date,
            days_overdue: i64::from((as_of - item.due_date).get_days()),
            amount: Money::new(item.balance, currency),
            open: Money::new(item.amount, currency),
        })
        .collect();
    dunning_letter_of(printer, customer, level, items, as_of, pay_by)
}

/// A dunning letter over these items, with their total per currency.
fn dunning_letter_of(
    printer: &Printer,
    customer: &Customer,
    level: u32,
    items: Vec<OpenItemLine>,
    as_of: Date,
    pay_by: Date,
) -> ServiceResult<DocumentData> {
    let totals = totals_per_currency(items.iter().map(|i| i.open))?;
    Ok(DocumentData {
        letterhead: printer.letterhead(customer, as_of),
        body: DocumentBody::Dunning(DunningLetter {
            level,
            stage: stage(level).to_string(),
            items,
            totals,
            pay_by,
        }),
    })
}

/// Amounts summed per currency, by currency code.
fn totals_per_currency(amounts: impl Iterator<Item = Money>) -> ServiceResult<Vec<Money>> {
    let mut totals: std::collections::BTreeMap<settle_core::Currency, Money> =
        std::collections::BTreeMap::new();
    for amount in amounts {
        let total = totals
            .entry(amount.currency())
            .or_insert(Money::zero(amount.currency()));
        *total = total.checked_add(amount)?;
    }
    Ok(totals.into_values().collect())
}
