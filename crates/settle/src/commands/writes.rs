//! The write commands: payment post, apply, unapply, memos, adjust, refund, write-off.

use anyhow::{Result, anyhow};
use serde::Serialize;

use settle_core::Currency;
use settle_core::document::ItemKind;
use settle_core::events::{DiscountPolicy, WriteOffPolicy};
use settle_core::ids::{ApplicationId, PaymentId};
use settle_core::reason::ReasonCode;
use settle_service::{
    AdjustRequest, ApplyRequest, ApplySource, Decided, MemoRequest, Outcome, PaymentRequest,
    RefundFrom, RefundRequest, Settle, WriteOffRequest,
};

use super::{date_or_today, parse_date};
use crate::cli::{
    AdjustArgs, ApplyArgs, CustomerAddArgs, Format, InvoiceAddArgs, MemoArgs, PaymentArgs,
    RefundArgs, UnapplyArgs, WriteArgs, WriteOffArgs,
};
use crate::render;

fn reason(text: &str) -> Result<ReasonCode> {
    text.parse().map_err(|e| anyhow!("--reason: {e}"))
}

fn currency(text: Option<&str>) -> Result<Option<Currency>> {
    text.map(|t| Currency::from_code(t).map_err(|e| anyhow!("--currency: {e}")))
        .transpose()
}

/// Prints an outcome: JSON for programs, else `line` and a note when it was replayed.
pub(super) fn print<T: Serialize>(
    outcome: &Outcome<T>,
    write: &WriteArgs,
    line: String,
) -> Result<()> {
    if write.format.format == Format::Json {
        return render::json(outcome);
    }
    println!("{line}");
    if outcome.replayed {
        println!(
            "(replayed: idempotency key {:?} was used before; nothing posted this time)",
            write.idempotency_key.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// Prints the outcome of an operation that may wait for approval: `line` of what was posted, or
/// which approval it waits for.
fn print_decided<T: Serialize>(
    outcome: &Outcome<Decided<T>>,
    write: &WriteArgs,
    line: impl FnOnce(&T) -> String,
) -> Result<()> {
    let text = match &outcome.value {
        Decided::Posted(value) => line(value),
        Decided::AwaitsApproval(pending) => format!(
            "awaits approval {}: {} is over the limit; nothing was posted. A manager or admin \
             other than {} approves it with `settle approvals approve {}`",
            pending.approval_id, pending.summary, pending.maker, pending.approval_id
        ),
    };
    print(outcome, write, text)
}

pub async fn payment(settle: &Settle, args: PaymentArgs) -> Result<()> {
    let request = PaymentRequest {
        customer: args.customer,
        amount: args.amount,
        currency: currency(args.currency.as_deref())?,
        received_on: date_or_today("--date", args.date.as_deref())?,
        method: args.method.parse().map_err(|e| anyhow!("--method: {e}"))?,
        bank_reference: args.reference,
        bank_account: args.bank_account,
        payer_name: args.payer_name,
        payer_account: args.payer_account,
        memo: args.memo,
    };
    let outcome = settle
        .post_payment(request, args.write.idempotency_key.as_deref())
        .await?;
    let posted = &outcome.value;
    let line = if posted.duplicate {
        format!(
            "payment {} with this bank reference was already posted; nothing posted",
            posted.payment_id
        )
    } else {
        format!(
            "posted payment {} for {} (entry {})",
            posted.payment_id,
            posted.amount,
            posted.entry_id.map_or(0, |e| e.0)
        )
    };
    print(&outcome, &args.write, line)
}

pub async fn apply(settle: &Settle, args: ApplyArgs) -> Result<()> {
    if let Some(decision) = args.accept {
        return crate::commands::matching::accept(settle, decision, &args.write).await;
    }
    if let Some(decision) = args.reject {
        return crate::commands::matching::reject(settle, decision, &args.write).await;
    }
    let source = match (args.payment, args.credit_memo) {
        (Some(id), None) => ApplySource::Payment(PaymentId(id)),
        (None, Some(number)) => ApplySource::CreditMemo(number),
        _ => return Err(anyhow!("name either --payment or --credit-memo")),
    };
    let Some(invoice) = args.invoice else {
        return Err(anyhow!("name the invoice with --invoice"));
    };
    let request = ApplyRequest {
        source,
        invoice,
        amount: args.amount,
        date: date_or_today("--date", args.date.as_deref())?,
        discount: if args.no_discount {
            DiscountPolicy::Never
        } else {
            DiscountPolicy::WhenEarned
        },
    };
    let outcome = settle
        .apply(request, args.write.idempotency_key.as_deref())
        .await?;
    let a = &outcome.value;
    let discount = if a.discount.is_zero() {
        String::new()
    } else {
        format!(" with a discount of {}", a.discount)
    };
    let mut line = format!(
        "application {}: {} applied to {}{discount}; {} still open on it, {} left to apply",
        a.application_id, a.amount, a.invoice, a.invoice_open, a.source_remaining
    );
    for learned in &a.learned {
        line.push_str(&format!("\n{learned}"));
    }
    print(&outcome, &args.write, line)
}

pub async fn unapply(settle: &Settle, args: UnapplyArgs) -> Result<()> {
    let date = date_or_today("--date", args.date.as_deref())?;
    let outcome = settle
        .unapply(
            ApplicationId(args.application),
            date,
            args.write.idempotency_key.as_deref(),
        )
        .await?;
    let u = &outcome.value;
    let line = format!(
        "application {} reversed by entry {} ({} back to open)",
        u.application_id, u.reversal_entry_id, u.amount
    );
    print(&outcome, &args.write, line)
}

pub async fn memo(settle: &Settle, args: MemoArgs, credit: bool) -> Result<()> {
    let request = MemoRequest {
        kind: if credit {
            ItemKind::CreditMemo
        } else {
            ItemKind::DebitMemo
        },
        customer: args.customer,
        number: args.number,
        amount: args.amount,
        tax: args.tax,
        currency: currency(args.currency.as_deref())?,
        reason: reason(&args.reason)?,
        date: date_or_today("--date", args.date.as_deref())?,
        due_date: args
            .due_date
            .as_deref()
            .map(|d| parse_date("--due-date", d))
            .transpose()?,
        description: args.description,
        apply_to: args.apply_to,
    };
    let outcome = settle
        .issue_memo(request, args.write.idempotency_key.as_deref())
        .await?;
    let what = if credit { "credit memo" } else { "debit memo" };
    print_decided(&outcome, &args.write, |issued| {
        let mut line = format!(
            "issued {what} {} for {} (entry {})",
            issued.number, issued.total, issued.entry_id
        );
        if let Some(a) = &issued.application {
            line.push_str(&format!(
                "; applied {} to {} ({} still open on it)",
                a.amount, a.invoice, a.invoice_open
            ));
        }
        line
    })
}

pub async fn adjust(settle: &Settle, args: AdjustArgs) -> Result<()> {
    let request = AdjustRequest {
        item: args.invoice,
        change: args.amount,
        reason: reason(&args.reason)?,
        date: date_or_today("--date", args.date.as_deref())?,
        memo: args.memo,
    };
    let outcome = settle
        .adjust(request, args.write.idempotency_key.as_deref())
        .await?;
    let a = &outcome.value;
    let line = format!(
        "adjusted {} by {} (entry {}); balance now {}",
        a.item, a.amount, a.entry_id, a.balance
    );
    print(&outcome, &args.write, line)
}

pub async fn refund(settle: &Settle, args: RefundArgs) -> Result<()> {
    let source = match (args.payment, args.credit_memo) {
        (Some(id), None) => RefundFrom::Payment(PaymentId(id)),
        (None, Some(number)) => RefundFrom::CreditMemo(number),
        _ => return Err(anyhow!("name either --payment or --credit-memo")),
    };
    let request = RefundRequest {
        source,
        amount: args.amount,
        reason: reason(&args.reason)?,
        date: date_or_today("--date", args.date.as_deref())?,
        bank_account: args.bank_account,
        memo: args.memo,
    };
    let outcome = settle
        .refund(request, args.write.idempotency_key.as_deref())
        .await?;
    print_decided(&outcome, &args.write, |r| {
        format!(
            "refund {} of {} booked (entry {}) and paid out (entry {})",
            r.refund_id, r.amount, r.entry_id, r.payout_entry_id
        )
    })
}

pub async fn write_off(settle: &Settle, args: WriteOffArgs) -> Result<()> {
    let request = WriteOffRequest {
        invoice: args.invoice,
        amount: args.amount,
        reason: reason(&args.reason)?,
        date: date_or_today("--date", args.date.as_deref())?,
        policy: if args.direct {
            WriteOffPolicy::DirectExpense
        } else {
            WriteOffPolicy::Allowance
        },
        memo: args.memo,
    };
    let outcome = settle
        .write_off(request, args.write.idempotency_key.as_deref())
        .await?;
    print_decided(&outcome, &args.write, |w| {
        format!(
            "wrote off {} of {} (entry {}); balance now {}",
            w.amount, w.item, w.entry_id, w.balance
        )
    })
}

pub async fn add_customer(settle: &Settle, args: CustomerAddArgs) -> Result<()> {
    let currency = Currency::from_code(&args.currency).map_err(|e| anyhow!("--currency: {e}"))?;
    let terms = args.terms.parse().map_err(|e| anyhow!("--terms: {e}"))?;
    let mut customer =
        settle_core::customer::NewCustomer::new(&args.customer_id, &args.name, currency, terms);
    customer.credit_limit = args
        .credit_limit
        .as_deref()
        .map(|limit| {
            settle_core::Money::parse(limit, currency, settle_core::money::SignPolicy::Unsigned)
                .map_err(|e| anyhow!("--credit-limit: {e}"))
        })
        .transpose()?;
    customer.email = args.email;
    customer.phone = args.phone;
    customer.country = args.country;
    customer.tax_id = args.tax_id;
    customer.billing_address = args.address;
    customer.risk_class = args
        .risk_class
        .parse()
        .map_err(|e| anyhow!("--risk-class: {e}"))?;
    customer.sales_rep = args.sales_rep;
    customer.parent = args.parent;
    let outcome = settle
        .create_customer(customer, args.write.idempotency_key.as_deref())
        .await?;
    let line = format!(
        "created customer {} (id {})",
        outcome.value.code, outcome.value.customer_id
    );
    print(&outcome, &args.write, line)
}

/// Reads `DESCRIPTION=NET` or `DESCRIPTION=NET+TAX`.
fn invoice_line(text: &str) -> Result<(String, String, String)> {
    let (description, amounts) = text.rsplit_once('=').ok_or_else(|| {
        anyhow!("--line {text:?}: expected DESCRIPTION=NET or DESCRIPTION=NET+TAX")
    })?;
    let (net, tax) = amounts.split_once('+').unwrap_or((amounts, "0"));
    Ok((
        description.trim().to_string(),
        net.trim().to_string(),
        tax.trim().to_string(),
    ))
}

pub async fn add_invoice(settle: &Settle, args: InvoiceAddArgs) -> Result<()> {
    let request = settle_service::InvoiceRequest {
        customer: args.customer,
        number: args.number,
        issue_date: date_or_today("--date", args.date.as_deref())?,
        due_date: args
            .due_date
            .as_deref()
            .map(|d| parse_date("--due-date", d))
            .transpose()?,
        currency: None,
        lines: args
            .lines
            .iter()
            .map(|l| invoice_line(l))
            .collect::<Result<_>>()?,
        po_number: args.po_number,
        description: args.description,
    };
    let outcome = settle
        .create_invoice(request, args.write.idempotency_key.as_deref())
        .await?;
    let issued = &outcome.value;
    let line = format!(
        "issued invoice {} for {}, due {} (entry {})",
        issued.number, issued.total, issued.due_date, issued.entry_id
    );
    print(&outcome, &args.write, line)
}
