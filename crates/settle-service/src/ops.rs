//! The write operations: payments, applications, memos, adjustments, write-offs, refunds.
//!
//! Each takes a request of plain values (amounts as the decimal text the user typed, read in
//! the currency of what they act on), runs in one transaction through [`Settle::write`], and
//! returns what it booked. Rejections come from the core's posting rules.

use serde::{Deserialize, Serialize};

use settle_core::audit_chain::Target;
use settle_core::customer::{Customer, NewCustomer};
use settle_core::document::{DocumentLine, ItemKind, ItemState, NewDocument};
use settle_core::events::{self, DiscountPolicy, RefundSource, WriteOffPolicy};
use settle_core::ids::{ApplicationId, CustomerId, EntryId, ItemId, PaymentId, RefundId};
use settle_core::journal::JournalEntry;
use settle_core::money::SignPolicy;
use settle_core::payment::{NewPayment, PaymentMethod, PaymentState};
use settle_core::reason::ReasonCode;
use settle_core::terms::PaymentTerms;
use settle_core::{Currency, Date, Money};
use settle_store::Tx;

use crate::approvals::{self, Decided};
use crate::error::{invalid, not_found};
use crate::{Outcome, ServiceError, ServiceResult, Settle};

/// Reads an amount typed by a user in the currency of what it applies to.
pub(crate) fn parse_amount(
    field: &str,
    text: &str,
    currency: Currency,
    sign: SignPolicy,
) -> ServiceResult<Money> {
    Money::parse(text, currency, sign).map_err(|e| invalid(field, e.to_string()))
}

fn parse_optional(
    field: &str,
    text: Option<&str>,
    currency: Currency,
) -> ServiceResult<Option<Money>> {
    text.map(|t| parse_amount(field, t, currency, SignPolicy::Unsigned))
        .transpose()
}

async fn customer(tx: &mut Tx, settle: &Settle, code: &str) -> ServiceResult<Customer> {
    tx.customer_by_code(settle.entity().id, code)
        .await?
        .ok_or_else(|| not_found(format!("customer {code:?}")))
}

async fn item(
    tx: &mut Tx,
    settle: &Settle,
    kind: Option<ItemKind>,
    number: &str,
) -> ServiceResult<ItemState> {
    let what = kind.map_or("document", |k| match k {
        ItemKind::Invoice => "invoice",
        ItemKind::DebitMemo => "debit memo",
        ItemKind::CreditMemo => "credit memo",
    });
    tx.item_by_number(settle.entity().id, kind, number)
        .await?
        .ok_or_else(|| not_found(format!("{what} {number:?}")))
}

async fn payment(tx: &mut Tx, settle: &Settle, id: PaymentId) -> ServiceResult<PaymentState> {
    tx.payment_by_id(settle.entity().id, id)
        .await?
        .ok_or_else(|| not_found(format!("payment {id}")))
}

/// Refuses a posting dated inside a closed period.
pub(crate) async fn check_postable(tx: &mut Tx, settle: &Settle, date: Date) -> ServiceResult<()> {
    let entity = settle.entity().id;
    match tx.period_lock(entity).await? {
        Some(lock) if date <= lock.through => {
            let calendar = tx.calendar(entity).await?;
            Err(
                settle_core::period::check_open(Some(&lock), &calendar, date)
                    .expect_err("the date lies inside the lock")
                    .into(),
            )
        }
        _ => Ok(()),
    }
}

/// Checks and books one entry in the entity's functional currency.
pub(crate) async fn book(
    tx: &mut Tx,
    settle: &Settle,
    entry: JournalEntry,
) -> ServiceResult<EntryId> {
    check_postable(tx, settle, entry.date).await?;
    let entry = entry.in_functional(settle.entity().functional_currency);
    debug_assert_eq!(entry.check_balanced(), Ok(()));
    entry
        .check_balanced()
        .map_err(|e| ServiceError::Refused(format!("unbalanced entry: {e}")))?;
    Ok(tx.insert_entry(settle.entity().id, &entry).await?)
}

// ---- customers and invoices -------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCreated {
    pub customer_id: CustomerId,
    pub code: String,
}

#[derive(Debug, Clone)]
pub struct InvoiceRequest {
    pub customer: String,
    pub number: String,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub currency: Option<Currency>,
    /// (description, net amount, tax) per line, amounts as decimal text.
    pub lines: Vec<(String, String, String)>,
    pub po_number: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentIssued {
    pub item_id: ItemId,
    pub number: String,
    pub entry_id: EntryId,
    pub total: Money,
    pub due_date: Date,
    pub application: Option<Applied>,
}

// ---- payments ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct PaymentRequest {
    /// The payer's customer code; `None` for unidentified cash.
    pub customer: Option<String>,
    pub amount: String,
    /// Defaults to the customer's currency.
    pub currency: Option<Currency>,
    pub received_on: Date,
    pub method: PaymentMethod,
    pub bank_reference: String,
    pub bank_account: String,
    pub payer_name: String,
    pub payer_account: String,
    pub memo: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPosted {
    pub payment_id: PaymentId,
    /// `None` when the bank reference was already posted: nothing was booked this time.
    pub entry_id: Option<EntryId>,
    pub amount: Money,
    pub duplicate: bool,
}

// ---- applications -----------------------------------------------------------------------

#[derive(Debug, Clone)]
pub enum ApplySource {
    Payment(PaymentId),
    CreditMemo(String),
}

#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub source: ApplySource,
    pub invoice: String,
    /// Cash (or credit) to apply; everything that fits when `None`.
    pub amount: Option<String>,
    pub date: Date,
    pub discount: DiscountPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub application_id: ApplicationId,
    pub entry_id: EntryId,
    pub invoice: String,
    pub amount: Money,
    pub discount: Money,
    /// What is still open on the invoice afterwards.
    pub invoice_open: Money,
    /// What is left of the payment's unapplied cash or the memo's credit afterwards.
    pub source_remaining: Money,
    /// What the matcher learned from a clerk's application of a payment.
    #[serde(default)]
    pub learned: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unapplied {
    pub application_id: ApplicationId,
    pub reversal_entry_id: EntryId,
    pub amount: Money,
    pub discount: Money,
}

// ---- memos, adjustments, write-offs, refunds ----------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoRequest {
    #[serde(with = "crate::serde_text")]
    pub kind: ItemKind,
    pub customer: String,
    pub number: Option<String>,
    /// Total including tax.
    pub amount: String,
    /// The tax included in `amount`.
    pub tax: Option<String>,
    pub currency: Option<Currency>,
    #[serde(with = "crate::serde_text")]
    pub reason: ReasonCode,
    pub date: Date,
    pub due_date: Option<Date>,
    pub description: String,
    /// A credit memo can be applied to an invoice at once.
    pub apply_to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AdjustRequest {
    pub item: String,
    /// Signed: negative lowers what is owed.
    pub change: String,
    pub reason: ReasonCode,
    pub date: Date,
    pub memo: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjusted {
    pub entry_id: EntryId,
    pub item: String,
    pub amount: Money,
    pub balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOffRequest {
    pub invoice: String,
    pub amount: Option<String>,
    #[serde(with = "crate::serde_text")]
    pub reason: ReasonCode,
    pub date: Date,
    #[serde(with = "crate::serde_text::write_off_policy")]
    pub policy: WriteOffPolicy,
    pub memo: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFrom {
    Payment(PaymentId),
    CreditMemo(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub source: RefundFrom,
    pub amount: Option<String>,
    #[serde(with = "crate::serde_text")]
    pub reason: ReasonCode,
    pub date: Date,
    /// The bank account the refund is paid from.
    pub bank_account: String,
    pub memo: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refunded {
    pub refund_id: RefundId,
    pub entry_id: EntryId,
    pub payout_entry_id: EntryId,
    pub amount: Money,
}

impl Settle {
    pub async fn create_customer(
        &self,
        customer: NewCustomer,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<CustomerCreated>> {
        settle_core::customer::check_customer_code(&customer.code)
            .map_err(|m| invalid("customer_id", format!("{:?} {m}", customer.code)))?;
        let request = format!("{customer:?}");
        let code = customer.code.clone();
        let target = |_: &CustomerCreated| Target::new("customer", &code);
        self.write(
            idempotency_key,
            "create_customer",
            target,
            &request,
            async |tx| {
                let entity = self.entity().id;
                if tx.customer_by_code(entity, &customer.code).await?.is_some() {
                    return Err(ServiceError::Refused(format!(
                        "customer {:?} already exists",
                        customer.code
                    )));
                }
                if let Some(parent) = &customer.parent
                    && tx.customer_id(entity, parent).await?.is_none()
                {
                    return Err(invalid(
                        "parent",
                        format!("no customer {parent:?} (the parent must exist first)"),
                    ));
                }
                let ids = tx
                    .insert_customers(entity, std::slice::from_ref(&customer), None)
                    .await?;
                Ok(CustomerCreated {
                    customer_id: ids[0],
                    code: customer.code.clone(),
                })
            },
        )
        .await
    }

    pub async fn create_invoice(
        &self,
        request: InvoiceRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<DocumentIssued>> {
        let text = format!("{request:?}");
        let target = |issued: &DocumentIssued| Target::new("invoice", &issued.number);
        self.write(
            idempotency_key,
            "create_invoice",
            target,
            &text,
            async |tx| {
                let entity = self.entity().id;
                let customer = customer(tx, self, &request.customer).await?;
                let currency = request.currency.unwrap_or(customer.details.currency);
                let mut lines = Vec::new();
                for (description, net, tax) in &request.lines {
                    lines.push(DocumentLine {
                        description: description.clone(),
                        net: parse_amount("net", net, currency, SignPolicy::Unsigned)?,
                        tax: parse_amount("tax", tax, currency, SignPolicy::Unsigned)?,
                    });
                }
                let terms = customer.details.terms;
                let due_date = match request.due_date {
                    Some(due) => due,
                    None => terms
                        .due_date(request.issue_date)
                        .map_err(|e| invalid("due_date", e.to_string()))?,
                };
                if due_date < request.issue_date {
                    return Err(invalid("due_date", "is before the issue date"));
                }
                if tx
                    .item_by_number(entity, Some(ItemKind::Invoice), &request.number)
                    .await?
                    .is_some()
                {
                    return Err(ServiceError::Refused(format!(
                        "invoice {:?} already exists",
                        request.number
                    )));
                }
                let document = NewDocument {
                    kind: ItemKind::Invoice,
                    number: request.number.clone(),
                    customer: customer.id,
                    issue_date: request.issue_date,
                    due_date,
                    currency,
                    terms,
                    lines,
                    po_number: request.po_number.clone(),
                    description: request.description.clone(),
                    reason: None,
                };
                issue(tx, self, document, None).await
            },
        )
        .await
    }

    /// Posts a payment into Unapplied cash, exactly once per bank account and bank reference.
    pub async fn post_payment(
        &self,
        request: PaymentRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<PaymentPosted>> {
        if request.bank_reference.trim().is_empty() {
            return Err(invalid(
                "reference",
                "a bank reference is required: it is what makes posting exactly-once",
            ));
        }
        let text = format!("{request:?}");
        let target = |posted: &PaymentPosted| Target::new("payment", posted.payment_id);
        self.write(idempotency_key, "post_payment", target, &text, async |tx| {
            let entity = self.entity().id;
            let payer = match &request.customer {
                Some(code) => Some(customer(tx, self, code).await?),
                None => None,
            };
            let currency = request
                .currency
                .or(payer.as_ref().map(|c| c.details.currency))
                .unwrap_or(self.entity().functional_currency);
            let amount = parse_amount("amount", &request.amount, currency, SignPolicy::Unsigned)?;
            let customer_id = payer.as_ref().map(|c| c.id);
            if let Some(existing) = tx
                .payment_by_reference(entity, &request.bank_account, &request.bank_reference)
                .await?
            {
                if existing.amount == amount && existing.customer == customer_id {
                    return Ok(PaymentPosted {
                        payment_id: existing.id,
                        entry_id: None,
                        amount,
                        duplicate: true,
                    });
                }
                return Err(ServiceError::Conflict {
                    what: format!("payment with bank reference {:?}", request.bank_reference),
                    differences: format!(
                        "stored {} for customer id {:?}",
                        existing.amount, existing.customer
                    ),
                });
            }
            let payment = NewPayment {
                customer: customer_id,
                amount,
                received_on: request.received_on,
                method: request.method,
                bank_reference: request.bank_reference.clone(),
                bank_account: request.bank_account.clone(),
                payer_name: request.payer_name.clone(),
                payer_account: request.payer_account.clone(),
                memo: request.memo.clone(),
            };
            receive_in(tx, self, &payment).await
        })
        .await
    }

    /// Applies a payment's cash or a credit memo's credit to an invoice. A clerk applying a
    /// payment teaches the matcher: an unidentified payment becomes the invoice's customer's
    /// (so its payer account is known), and the payer's name and the way the invoice was
    /// cited are learned.
    pub async fn apply(
        &self,
        request: ApplyRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Applied>> {
        let text = format!("{request:?}");
        let target = |_: &Applied| Target::new("invoice", &request.invoice);
        self.write(idempotency_key, "apply", target, &text, async |tx| {
            let ApplySource::Payment(payment) = request.source else {
                return apply_in(tx, self, &request).await;
            };
            let invoice = item(tx, self, None, &request.invoice).await?;
            // Identified when the clerk applies it: until then the cash was nobody's.
            crate::matching::identify_payer(tx, self, payment, invoice.customer, request.date)
                .await?;
            let mut applied = apply_in(tx, self, &request).await?;
            applied.learned = crate::learning::learn_from_application(
                tx,
                self,
                payment,
                invoice.customer,
                std::slice::from_ref(&applied.invoice),
                None,
            )
            .await?;
            Ok(applied)
        })
        .await
    }

    /// Reverses an application: the exact opposite entry, linked to the original.
    pub async fn unapply(
        &self,
        application: ApplicationId,
        date: Date,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Unapplied>> {
        let text = format!("{application:?} {date}");
        let target = |_: &_| Target::new("application", application);
        self.write(idempotency_key, "unapply", target, &text, async |tx| {
            unapply_in(tx, self, application, date).await
        })
        .await
    }

    /// Issues a credit memo (optionally applied to an invoice at once) or a debit memo.
    pub async fn issue_memo(
        &self,
        request: MemoRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Decided<DocumentIssued>>> {
        let text = format!("{request:?}");
        let target = |decided: &Decided<DocumentIssued>| match decided {
            Decided::Posted(issued) => Target::new(request.kind.as_str(), &issued.number),
            Decided::AwaitsApproval(pending) => Target::new("approval", pending.approval_id),
        };
        self.write(idempotency_key, "issue_memo", target, &text, async |tx| {
            if request.kind == ItemKind::CreditMemo {
                let (total, currency) = memo_total(tx, self, &request).await?;
                let resolved = MemoRequest {
                    currency: Some(currency),
                    ..request.clone()
                };
                let held = approvals::ApprovalRequest::CreditMemo(resolved);
                if let Some(pending) = approvals::hold(tx, self, &held, total).await? {
                    return Ok(Decided::AwaitsApproval(pending));
                }
            }
            Ok(Decided::Posted(issue_memo_in(tx, self, &request).await?))
        })
        .await
    }

    /// Moves an open item's balance against the account its reason names.
    pub async fn adjust(
        &self,
        request: AdjustRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Adjusted>> {
        let text = format!("{request:?}");
        let target = |_: &Adjusted| Target::new("item", &request.item);
        self.write(idempotency_key, "adjust", target, &text, async |tx| {
            let entity = self.entity().id;
            let target = item(tx, self, None, &request.item).await?;
            let change = parse_amount(
                "amount",
                &request.change,
                target.currency,
                SignPolicy::Signed,
            )?;
            let chart = tx.chart(entity).await?;
            let entry = events::adjust(&chart, &target, change, request.reason, request.date)?;
            let (entry_id, balance) = record_adjustment(
                tx,
                self,
                "adjustment",
                &target,
                change,
                request.reason,
                &request.memo,
                entry,
            )
            .await?;
            Ok(Adjusted {
                entry_id,
                item: target.number.clone(),
                amount: change,
                balance,
            })
        })
        .await
    }

    /// Writes off what is open on an invoice (or part of it).
    pub async fn write_off(
        &self,
        request: WriteOffRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Decided<Adjusted>>> {
        let text = format!("{request:?}");
        let target = |_: &_| Target::new("invoice", &request.invoice);
        self.write(idempotency_key, "write_off", target, &text, async |tx| {
            let prepared = prepare_write_off(tx, self, &request).await?;
            let resolved = WriteOffRequest {
                amount: Some(prepared.amount.to_decimal_string()),
                ..request.clone()
            };
            let held = approvals::ApprovalRequest::WriteOff(resolved);
            if let Some(pending) = approvals::hold(tx, self, &held, prepared.amount).await? {
                return Ok(Decided::AwaitsApproval(pending));
            }
            Ok(Decided::Posted(
                record_write_off(tx, self, &request, prepared).await?,
            ))
        })
        .await
    }

    /// Refunds a customer's credit (unapplied cash or an unused credit memo) and pays it out.
    pub async fn refund(
        &self,
        request: RefundRequest,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Decided<Refunded>>> {
        let text = format!("{request:?}");
        let target = |decided: &Decided<Refunded>| match decided {
            Decided::Posted(refunded) => Target::new("refund", refunded.refund_id),
            Decided::AwaitsApproval(pending) => Target::new("approval", pending.approval_id),
        };
        self.write(idempotency_key, "refund", target, &text, async |tx| {
            let prepared = prepare_refund(tx, self, &request).await?;
            let resolved = RefundRequest {
                amount: Some(prepared.amount.to_decimal_string()),
                ..request.clone()
            };
            let held = approvals::ApprovalRequest::Refund(resolved);
            if let Some(pending) = approvals::hold(tx, self, &held, prepared.amount).await? {
                return Ok(Decided::AwaitsApproval(pending));
            }
            Ok(Decided::Posted(
                record_refund(tx, self, &request, prepared).await?,
            ))
        })
        .await
    }
}

/// A memo's customer, total and tax, in the memo's currency (the customer's unless named).
async fn memo_amounts(
    tx: &mut Tx,
    settle: &Settle,
    request: &MemoRequest,
) -> ServiceResult<(Customer, Money, Money)> {
    let customer = customer(tx, settle, &request.customer).await?;
    let currency = request.currency.unwrap_or(customer.details.currency);
    let total = parse_amount("amount", &request.amount, currency, SignPolicy::Unsigned)?;
    let tax =
        parse_optional("tax", request.tax.as_deref(), currency)?.unwrap_or(Money::zero(currency));
    if tax > total {
        return Err(invalid("tax", "is more than the amount it is part of"));
    }
    Ok((customer, total, tax))
}

/// What a credit memo would credit and in which currency, checked as far as it can be before
/// it is issued, so that a request refused anyway does not wait for a checker first.
async fn memo_total(
    tx: &mut Tx,
    settle: &Settle,
    request: &MemoRequest,
) -> ServiceResult<(Money, Currency)> {
    let (_, total, _) = memo_amounts(tx, settle, request).await?;
    if let Some(number) = &request.number
        && tx
            .item_by_number(settle.entity().id, Some(request.kind), number)
            .await?
            .is_some()
    {
        return Err(ServiceError::Refused(format!(
            "{} {number:?} already exists",
            request.kind
        )));
    }
    if let Some(invoice) = &request.apply_to {
        item(tx, settle, None, invoice).await?;
    }
    Ok((total, total.currency()))
}

/// Issues a memo inside an operation's transaction (a dispute's resolution issues one too).
pub(crate) async fn issue_memo_in(
    tx: &mut Tx,
    settle: &Settle,
    request: &MemoRequest,
) -> ServiceResult<DocumentIssued> {
    if request.kind == ItemKind::Invoice {
        return Err(invalid(
            "kind",
            "invoices are created or imported, not issued as memos",
        ));
    }
    if request.apply_to.is_some() && request.kind != ItemKind::CreditMemo {
        return Err(invalid(
            "apply_to",
            "only a credit memo can be applied to an invoice",
        ));
    }
    let entity = settle.entity().id;
    let (customer, total, tax) = memo_amounts(tx, settle, request).await?;
    let currency = total.currency();
    let item_id = ItemId(tx.allocate_items(1).await?);
    let prefix = if request.kind == ItemKind::CreditMemo {
        "CM"
    } else {
        "DM"
    };
    let number = request
        .number
        .clone()
        .unwrap_or_else(|| format!("{prefix}-{:06}", item_id.0));
    if tx
        .item_by_number(entity, Some(request.kind), &number)
        .await?
        .is_some()
    {
        return Err(ServiceError::Refused(format!(
            "{} {number:?} already exists",
            request.kind
        )));
    }
    let terms = if request.kind == ItemKind::CreditMemo {
        PaymentTerms::DueOnReceipt
    } else {
        customer.details.terms
    };
    let due_date = match request.due_date {
        Some(due) => due,
        None => terms
            .due_date(request.date)
            .map_err(|e| invalid("due_date", e.to_string()))?,
    };
    let document = NewDocument {
        kind: request.kind,
        number: number.clone(),
        customer: customer.id,
        issue_date: request.date,
        due_date,
        currency,
        terms,
        lines: vec![DocumentLine {
            description: request.description.clone(),
            net: total
                .checked_sub(tax)
                .map_err(|e| invalid("amount", e.to_string()))?,
            tax,
        }],
        po_number: String::new(),
        description: request.description.clone(),
        reason: Some(request.reason),
    };
    let mut issued = issue(tx, settle, document, Some(item_id)).await?;
    if let Some(invoice) = &request.apply_to {
        let apply = ApplyRequest {
            source: ApplySource::CreditMemo(number),
            invoice: invoice.clone(),
            amount: None,
            date: request.date,
            discount: DiscountPolicy::Never,
        };
        issued.application = Some(apply_in(tx, settle, &apply).await?);
    }
    Ok(issued)
}

/// A write-off as the core decided it, not booked yet.
struct PreparedWriteOff {
    target: ItemState,
    amount: Money,
    entry: JournalEntry,
}

/// Loads the invoice (locked) and lets the core decide the write-off: the amount (all that is
/// open when none is asked for) and its entry.
async fn prepare_write_off(
    tx: &mut Tx,
    settle: &Settle,
    request: &WriteOffRequest,
) -> ServiceResult<PreparedWriteOff> {
    let entity = settle.entity().id;
    let target = item(tx, settle, None, &request.invoice).await?;
    let amount = parse_optional("amount", request.amount.as_deref(), target.currency)?;
    let chart = tx.chart(entity).await?;
    let (amount, entry) = events::write_off(
        &chart,
        &target,
        amount,
        request.policy,
        request.reason,
        request.date,
    )?;
    Ok(PreparedWriteOff {
        target,
        amount,
        entry,
    })
}

async fn record_write_off(
    tx: &mut Tx,
    settle: &Settle,
    request: &WriteOffRequest,
    prepared: PreparedWriteOff,
) -> ServiceResult<Adjusted> {
    let PreparedWriteOff {
        target,
        amount,
        entry,
    } = prepared;
    let written_off = amount
        .checked_neg()
        .map_err(|e| invalid("amount", e.to_string()))?;
    let (entry_id, balance) = record_adjustment(
        tx,
        settle,
        "write_off",
        &target,
        written_off,
        request.reason,
        &request.memo,
        entry,
    )
    .await?;
    Ok(Adjusted {
        entry_id,
        item: target.number.clone(),
        amount,
        balance,
    })
}

/// Writes off inside an operation's transaction (a dispute's resolution writes off too).
pub(crate) async fn write_off_in(
    tx: &mut Tx,
    settle: &Settle,
    request: &WriteOffRequest,
) -> ServiceResult<Adjusted> {
    let prepared = prepare_write_off(tx, settle, request).await?;
    record_write_off(tx, settle, request, prepared).await
}

/// A refund as the core decided it, not booked yet.
struct PreparedRefund {
    paid: Option<PaymentState>,
    memo_item: Option<ItemState>,
    customer: Option<CustomerId>,
    amount: Money,
    entry: JournalEntry,
    payout: JournalEntry,
}

/// Loads the refund's source (locked) and lets the core decide the refund and its payout.
async fn prepare_refund(
    tx: &mut Tx,
    settle: &Settle,
    request: &RefundRequest,
) -> ServiceResult<PreparedRefund> {
    let entity = settle.entity().id;
    let chart = tx.chart(entity).await?;
    let (paid, memo_item) = match &request.source {
        RefundFrom::Payment(id) => (Some(payment(tx, settle, *id).await?), None),
        RefundFrom::CreditMemo(number) => (
            None,
            Some(item(tx, settle, Some(ItemKind::CreditMemo), number).await?),
        ),
    };
    let (source, currency, customer) = match (&paid, &memo_item) {
        (Some(p), _) => (RefundSource::Payment(p), p.currency, p.customer),
        (_, Some(m)) => (RefundSource::Credit(m), m.currency, Some(m.customer)),
        _ => unreachable!("one source is always loaded"),
    };
    let amount = parse_optional("amount", request.amount.as_deref(), currency)?;
    let (amount, entry) = events::refund(&chart, source, amount, request.date)?;
    let payout = events::pay_out_refund(
        &chart,
        amount,
        &request.bank_account,
        request.date,
        format!("refund paid: {}", request.memo),
    )?;
    Ok(PreparedRefund {
        paid,
        memo_item,
        customer,
        amount,
        entry,
        payout,
    })
}

async fn record_refund(
    tx: &mut Tx,
    settle: &Settle,
    request: &RefundRequest,
    prepared: PreparedRefund,
) -> ServiceResult<Refunded> {
    let PreparedRefund {
        paid,
        memo_item,
        customer,
        amount,
        entry,
        payout,
    } = prepared;
    let entry_id = book(tx, settle, entry).await?;
    let payout_entry_id = book(tx, settle, payout).await?;
    let refund_id = tx
        .insert_refund(
            settle.entity().id,
            customer,
            paid.as_ref().map(|p| p.id),
            memo_item.as_ref().map(|m| m.id),
            amount,
            request.reason,
            &request.memo,
            &request.bank_account,
            entry_id,
            Some(payout_entry_id),
        )
        .await?;
    Ok(Refunded {
        refund_id,
        entry_id,
        payout_entry_id,
        amount,
    })
}

/// Refunds inside an operation's transaction (an approval posts one).
pub(crate) async fn refund_in(
    tx: &mut Tx,
    settle: &Settle,
    request: &RefundRequest,
) -> ServiceResult<Refunded> {
    let prepared = prepare_refund(tx, settle, request).await?;
    record_refund(tx, settle, request, prepared).await
}

/// Books an adjustment's or write-off's entry and records it with its reason; returns the entry
/// and the item's balance afterwards. `change` is signed: what the item's balance moves by.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_adjustment(
    tx: &mut Tx,
    settle: &Settle,
    kind: &str,
    target: &ItemState,
    change: Money,
    reason: ReasonCode,
    memo: &str,
    entry: JournalEntry,
) -> ServiceResult<(EntryId, Money)> {
    let entry_id = book(tx, settle, entry).await?;
    tx.insert_adjustment(
        settle.entity().id,
        kind,
        target.id,
        reason,
        change,
        memo,
        entry_id,
        settle.actor(),
    )
    .await?;
    let balance = target
        .balance
        .checked_add(change)
        .map_err(|e| invalid("amount", e.to_string()))?;
    Ok((entry_id, balance))
}

/// Issues one document inside an operation's transaction.
async fn issue(
    tx: &mut Tx,
    settle: &Settle,
    document: NewDocument,
    id: Option<ItemId>,
) -> ServiceResult<DocumentIssued> {
    let entity = settle.entity().id;
    let item_id = match id {
        Some(id) => id,
        None => ItemId(tx.allocate_items(1).await?),
    };
    check_postable(tx, settle, document.issue_date).await?;
    let chart = tx.chart(entity).await?;
    let entry = events::issue_document(&chart, item_id, &document)?
        .in_functional(settle.entity().functional_currency);
    let entry_id = tx
        .insert_document(entity, item_id, &document, &entry)
        .await?;
    Ok(DocumentIssued {
        item_id,
        number: document.number.clone(),
        entry_id,
        total: document
            .total()
            .map_err(|e| invalid("amount", e.to_string()))?,
        due_date: document.due_date,
        application: None,
    })
}

pub(crate) async fn apply_in(
    tx: &mut Tx,
    settle: &Settle,
    request: &ApplyRequest,
) -> ServiceResult<Applied> {
    let entity = settle.entity().id;
    let chart = tx.chart(entity).await?;
    let invoice = item(tx, settle, None, &request.invoice).await?;
    let amount = parse_optional("amount", request.amount.as_deref(), invoice.currency)?;
    match &request.source {
        ApplySource::Payment(id) => {
            let paid = payment(tx, settle, *id).await?;
            // A parent's cash on a subsidiary's invoice is a group payment.
            let invoice_parent = match paid.customer {
                Some(payer) if payer != invoice.customer => {
                    tx.customer_parent(entity, invoice.customer).await?
                }
                _ => None,
            };
            let application = events::apply_group_cash(
                &chart,
                &paid,
                &invoice,
                invoice_parent,
                amount,
                request.discount,
                request.date,
            )?;
            let entry_id = book(tx, settle, application.entry).await?;
            let application_id = tx
                .insert_application(
                    entity,
                    Some(paid.id),
                    None,
                    invoice.id,
                    application.cash,
                    application.discount,
                    request.date,
                    entry_id,
                )
                .await?;
            let moved = application
                .cash
                .checked_add(application.discount)
                .map_err(|e| invalid("amount", e.to_string()))?;
            Ok(Applied {
                application_id,
                entry_id,
                invoice: invoice.number.clone(),
                amount: application.cash,
                discount: application.discount,
                invoice_open: invoice
                    .open_amount()
                    .checked_sub(moved)
                    .map_err(|e| invalid("amount", e.to_string()))?,
                source_remaining: paid
                    .unapplied
                    .checked_sub(application.cash)
                    .map_err(|e| invalid("amount", e.to_string()))?,
                learned: Vec::new(),
            })
        }
        ApplySource::CreditMemo(number) => {
            let credit = item(tx, settle, Some(ItemKind::CreditMemo), number).await?;
            let (applied, entry) =
                events::apply_credit(&chart, &credit, &invoice, amount, request.date)?;
            let entry_id = book(tx, settle, entry).await?;
            let application_id = tx
                .insert_application(
                    entity,
                    None,
                    Some(credit.id),
                    invoice.id,
                    applied,
                    Money::zero(applied.currency()),
                    request.date,
                    entry_id,
                )
                .await?;
            Ok(Applied {
                application_id,
                entry_id,
                invoice: invoice.number.clone(),
                amount: applied,
                discount: Money::zero(applied.currency()),
                invoice_open: invoice
                    .open_amount()
                    .checked_sub(applied)
                    .map_err(|e| invalid("amount", e.to_string()))?,
                source_remaining: credit
                    .open_amount()
                    .checked_sub(applied)
                    .map_err(|e| invalid("amount", e.to_string()))?,
                learned: Vec::new(),
            })
        }
    }
}

/// Posts a received payment into Unapplied cash (its bank reference not yet stored).
pub(crate) async fn receive_in(
    tx: &mut Tx,
    settle: &Settle,
    payment: &NewPayment,
) -> ServiceResult<PaymentPosted> {
    let entity = settle.entity().id;
    let chart = tx.chart(entity).await?;
    let id = tx.allocate_payment().await?;
    let entry = events::receive_payment(&chart, id, payment)?;
    tx.insert_payment(entity, id, payment).await?;
    let entry_id = book(tx, settle, entry).await?;
    Ok(PaymentPosted {
        payment_id: id,
        entry_id: Some(entry_id),
        amount: payment.amount,
        duplicate: false,
    })
}

/// Reverses an application with the exact opposite of its entry, dated `date`.
pub(crate) async fn unapply_in(
    tx: &mut Tx,
    settle: &Settle,
    application: ApplicationId,
    date: Date,
) -> ServiceResult<Unapplied> {
    let entity = settle.entity().id;
    let record = tx
        .application(entity, application)
        .await?
        .ok_or_else(|| not_found(format!("application {application}")))?;
    if let Some(reversal) = record.reversal_entry {
        return Err(ServiceError::Refused(format!(
            "application {application} was already reversed by entry {reversal}"
        )));
    }
    let original = tx
        .entry(entity, record.entry)
        .await?
        .ok_or_else(|| not_found(format!("entry {}", record.entry)))?;
    if date < original.date {
        return Err(invalid(
            "date",
            format!("is before the application's date {}", original.date),
        ));
    }
    let reversal = original.reversal(
        record.entry,
        date,
        format!("unapply application {application}"),
    );
    let reversal_id = book(tx, settle, reversal).await?;
    tx.mark_application_reversed(application, reversal_id)
        .await?;
    Ok(Unapplied {
        application_id: application,
        reversal_entry_id: reversal_id,
        amount: record.amount,
        discount: record.discount,
    })
}
