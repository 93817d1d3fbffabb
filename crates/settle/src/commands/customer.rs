//! `settle customer show ID`: the account view.

use anyhow::Result;
use serde_json::json;

use settle_core::Money;
use settle_service::Settle;

use crate::cli::{CustomerShowArgs, Format};
use crate::render::{self, num};

pub async fn show(settle: &Settle, args: CustomerShowArgs) -> Result<()> {
    let view = settle.customer_view(&args.customer_id).await?;
    let disputes = settle.open_disputes(&args.customer_id).await?;
    let customer = &view.customer.details;
    // Balance per currency: open items less unapplied cash.
    let mut balances: std::collections::BTreeMap<String, Money> = Default::default();
    for item in &view.open_items {
        let slot = balances
            .entry(item.currency.code().to_string())
            .or_insert(Money::zero(item.currency));
        *slot = slot.checked_add(item.balance)?;
    }
    for payment in &view.unapplied_payments {
        let state = &payment.state;
        let slot = balances
            .entry(state.currency.code().to_string())
            .or_insert(Money::zero(state.currency));
        *slot = slot.checked_sub(state.unapplied)?;
    }
    if args.format.format == Format::Json {
        return render::json(&json!({
            "customer_id": customer.code,
            "name": customer.name,
            "status": customer.status.as_str(),
            "terms": customer.terms.to_string(),
            "currency": customer.currency.code(),
            "credit_limit": customer.credit_limit,
            "parent": customer.parent,
            "children": view.children.iter().map(|(code, name)| json!({
                "customer_id": code, "name": name,
            })).collect::<Vec<_>>(),
            "balance": balances.values().collect::<Vec<_>>(),
            "open_items": view.open_items.iter().map(|i| json!({
                "number": i.number, "kind": i.kind.as_str(), "issue_date": i.issue_date.to_string(),
                "due_date": i.due_date.to_string(), "total": i.total, "balance": i.balance,
            })).collect::<Vec<_>>(),
            "unapplied_payments": view.unapplied_payments.iter().map(|p| json!({
                "payment_id": p.state.id, "received_on": p.state.received_on.to_string(),
                "bank_reference": p.bank_reference, "amount": p.state.amount, "unapplied": p.state.unapplied,
            })).collect::<Vec<_>>(),
            "disputes": disputes.iter().map(|d| json!({
                "dispute_id": d.id, "item": d.item_number, "amount": d.amount, "reason": d.reason,
                "status": d.status, "opened_on": d.opened_on, "decision_id": d.decision, "note": d.note,
            })).collect::<Vec<_>>(),
            "activity": view.activity.iter().map(|a| json!({
                "date": a.date.to_string(), "entry_id": a.entry, "kind": a.kind.as_str(),
                "reference": a.reference, "memo": a.memo, "amount": a.amount,
            })).collect::<Vec<_>>(),
            "contact_log": view.contact_log.iter().map(|c| json!({
                "id": c.id, "occurred_at": c.occurred_at, "channel": c.channel.as_str(),
                "direction": c.direction.as_str(), "subject": c.subject, "body": c.body,
                "source": c.source, "source_id": c.source_id, "created_by": c.created_by,
            })).collect::<Vec<_>>(),
        }));
    }
    println!("{} — {}", customer.code, customer.name);
    println!(
        "status {} · terms {} · currency {} · credit limit {} · risk {}",
        customer.status,
        customer.terms,
        customer.currency,
        customer
            .credit_limit
            .map_or("none".to_string(), |l| l.to_string()),
        customer.risk_class
    );
    if let Some(parent) = &customer.parent {
        println!("parent: {parent}");
    }
    if !view.children.is_empty() {
        let children: Vec<String> = view
            .children
            .iter()
            .map(|(code, name)| format!("{code} ({name})"))
            .collect();
        println!("subsidiaries: {}", children.join(", "));
    }
    if balances.is_empty() {
        println!("balance: 0");
    }
    for balance in balances.values() {
        println!("balance: {balance}");
    }
    println!("\nOpen items");
    let mut items = render::table(&["document", "kind", "issued", "due", "total", "open"]);
    for item in &view.open_items {
        items.add_row(vec![
            comfy_table::Cell::new(&item.number),
            comfy_table::Cell::new(item.kind),
            comfy_table::Cell::new(item.issue_date),
            comfy_table::Cell::new(item.due_date),
            num(item.total.to_string()),
            num(item.balance.to_string()),
        ]);
    }
    println!("{items}");
    if !view.unapplied_payments.is_empty() {
        println!("\nUnapplied cash");
        let mut payments = render::table(&[
            "payment",
            "received",
            "method",
            "bank reference",
            "amount",
            "unapplied",
        ]);
        for p in &view.unapplied_payments {
            payments.add_row(vec![
                comfy_table::Cell::new(p.state.id),
                comfy_table::Cell::new(p.state.received_on),
                comfy_table::Cell::new(&p.method),
                comfy_table::Cell::new(&p.bank_reference),
                num(p.state.amount.to_string()),
                num(p.state.unapplied.to_string()),
            ]);
        }
        println!("{payments}");
    }
    if !disputes.is_empty() {
        println!("\nOpen disputes");
        let mut table =
            render::table(&["dispute", "document", "reason", "opened", "amount", "note"]);
        for d in &disputes {
            table.add_row(vec![
                comfy_table::Cell::new(d.id),
                comfy_table::Cell::new(&d.item_number),
                comfy_table::Cell::new(&d.reason),
                comfy_table::Cell::new(&d.opened_on),
                num(d.amount.to_string()),
                comfy_table::Cell::new(&d.note),
            ]);
        }
        println!("{table}");
    }
    if !view.contact_log.is_empty() {
        println!("\nContact log (latest first)");
        let mut table = render::table(&["when (UTC)", "channel", "direction", "subject", "note"]);
        for c in &view.contact_log {
            table.add_row(vec![
                comfy_table::Cell::new(&c.occurred_at),
                comfy_table::Cell::new(c.channel),
                comfy_table::Cell::new(c.direction),
                comfy_table::Cell::new(&c.subject),
                comfy_table::Cell::new(&c.body),
            ]);
        }
        println!("{table}");
    }
    println!("\nActivity");
    let mut activity = render::table(&["date", "entry", "event", "reference", "amount", "balance"]);
    let mut running: std::collections::BTreeMap<String, Money> = Default::default();
    for line in &view.activity {
        let slot = running
            .entry(line.amount.currency().code().to_string())
            .or_insert(Money::zero(line.amount.currency()));
        *slot = slot.checked_add(line.amount)?;
        activity.add_row(vec![
            comfy_table::Cell::new(line.date),
            comfy_table::Cell::new(line.entry),
            comfy_table::Cell::new(line.kind),
            comfy_table::Cell::new(&line.reference),
            num(line.amount.to_string()),
            num(slot.to_string()),
        ]);
    }
    println!("{activity}");
    Ok(())
}
