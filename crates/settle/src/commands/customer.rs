//! `settle customer show ID`: the account view.

use anyhow::Result;

use settle_core::Money;
use settle_service::Settle;
use settle_service::listing::AccountView;

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
        return render::json(&AccountView::new(&view, &disputes)?);
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
