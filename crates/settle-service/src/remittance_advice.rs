//! Remittance advice in cash application: what a customer said through the portal that a
//! coming payment covers reaches the matching engine as the payer's own structured references
//! (with the amounts stated), and the evidence names the advice. An advice is used up when a
//! payment is applied to all of its invoices.
//!
//! Which advice a payment takes: of the customer the payment is known to come from (its payer
//! identified, or the payer's account known), the one whose total is the amount, else that
//! customer's only open advice; of an unknown payer, the one open advice in the ledger whose
//! total is the amount. Two advices that fit equally are no evidence at all, and neither is used.

use std::collections::HashMap;

use serde_json::json;
use settle_core::audit_chain::Target;
use settle_core::ids::{CustomerId, ItemId, PaymentId};
use settle_matching::{Allocation, Evidence, GivenReference, PaymentToMatch};
use settle_store::{AdviceRow, PaymentForMatch, Tx};

use crate::{Change, ServiceResult, Settle};

/// The open advice a payment most likely settles, if one stands out.
pub(crate) fn advice_for<'a>(
    payment: &PaymentForMatch,
    advices: &'a [AdviceRow],
    payer_accounts: &HashMap<&str, CustomerId>,
) -> Option<&'a AdviceRow> {
    let amount = payment.unapplied;
    let in_currency = advices
        .iter()
        .filter(|a| a.status == "open" && a.total.currency() == amount.currency());
    let account = payment.payer_account.trim();
    let known = payment.customer.or_else(|| {
        if account.is_empty() {
            None
        } else {
            payer_accounts.get(account).copied()
        }
    });
    let only = |candidates: Vec<&'a AdviceRow>| match candidates.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    match known {
        Some(customer) => {
            let own: Vec<&AdviceRow> = in_currency.filter(|a| a.customer == customer).collect();
            let exact: Vec<&AdviceRow> =
                own.iter().copied().filter(|a| a.total == amount).collect();
            only(exact).or_else(|| only(own))
        }
        None => only(in_currency.filter(|a| a.total == amount).collect()),
    }
}

/// The advice's invoices as references the payer gave, with what they said they pay.
pub(crate) fn add_references(payment: &mut PaymentToMatch, advice: &AdviceRow) {
    for item in &advice.items {
        if !payment
            .references
            .iter()
            .any(|r| r.reference == item.number)
        {
            payment.references.push(GivenReference {
                reference: item.number.clone(),
                paid: Some(item.amount),
            });
        }
    }
}

/// What the evidence says of an advice: where it came from, when, and what it named.
pub(crate) fn evidence(advice: &AdviceRow) -> Evidence {
    let day = advice.created_at.get(..10).unwrap_or(&advice.created_at);
    let numbers: Vec<&str> = advice.items.iter().map(|i| i.number.as_str()).collect();
    Evidence::new(
        0,
        format!(
            "remittance advice from the portal, {day}: {}",
            numbers.join(", ")
        ),
    )
}

/// Marks used, in the applying transaction, each open advice whose invoices all received cash
/// from this payment.
pub(crate) async fn use_up(
    tx: &mut Tx,
    settle: &Settle,
    payment: PaymentId,
    allocations: &[Allocation],
) -> ServiceResult<()> {
    let paid: Vec<ItemId> = allocations
        .iter()
        .filter(|a| a.cash.is_positive())
        .map(|a| a.item)
        .collect();
    if paid.is_empty() {
        return Ok(());
    }
    let advices = tx.open_advices_naming(settle.entity().id, &paid).await?;
    for advice in advices {
        if advice.items.iter().all(|i| paid.contains(&i.item)) {
            tx.mark_advice_used(advice.id, payment).await?;
            let change = Change::new(
                "use_remittance_advice",
                Target::new("remittance_advice", advice.id),
            )
            .before(&json!({ "status": advice.status }))
            .after(&json!({ "status": "used", "payment": payment.0 }));
            settle.record_change(tx, change).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_core::{Currency, Money};
    use settle_store::AdviceItemRow;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::from_code("USD").unwrap())
    }

    fn advice(id: i64, customer: i64, total: i64) -> AdviceRow {
        AdviceRow {
            id,
            customer: CustomerId(customer),
            link_id: 1,
            total: usd(total),
            expected_on: None,
            note: String::new(),
            status: "open".into(),
            created_at: "2026-07-20T10:00:00Z".into(),
            payment: None,
            used_at: None,
            items: vec![AdviceItemRow {
                item: ItemId(id * 10),
                number: format!("A-{id}"),
                amount: usd(total),
            }],
        }
    }

    fn payment(customer: Option<i64>, amount: i64, account: &str) -> PaymentForMatch {
        PaymentForMatch {
            id: PaymentId(1),
            customer: customer.map(CustomerId),
            amount: usd(amount),
            unapplied: usd(amount),
            received_on: jiff::civil::date(2026, 7, 21),
            bank_reference: "B1".into(),
            payer_name: String::new(),
            payer_account: account.into(),
            memo: String::new(),
            remittance: String::new(),
            customer_reference: String::new(),
            end_to_end_id: String::new(),
            structured: String::new(),
        }
    }

    #[test]
    fn an_unknown_payer_takes_the_one_advice_of_its_amount() {
        let advices = vec![advice(1, 1, 500), advice(2, 2, 700)];
        let none = HashMap::new();
        let found = advice_for(&payment(None, 700, ""), &advices, &none);
        assert_eq!(found.map(|a| a.id), Some(2));
        assert!(advice_for(&payment(None, 600, ""), &advices, &none).is_none());
        let twins = vec![advice(1, 1, 700), advice(2, 2, 700)];
        assert!(advice_for(&payment(None, 700, ""), &twins, &none).is_none());
    }

    #[test]
    fn a_known_payer_takes_its_own_advice_even_for_another_amount() {
        let advices = vec![advice(1, 1, 500), advice(2, 2, 700)];
        let accounts: HashMap<&str, CustomerId> = [("DE01", CustomerId(1))].into();
        let found = advice_for(&payment(None, 450, "DE01"), &advices, &accounts);
        assert_eq!(found.map(|a| a.id), Some(1));
        let found = advice_for(&payment(Some(2), 100, ""), &advices, &accounts);
        assert_eq!(found.map(|a| a.id), Some(2));
    }

    #[test]
    fn the_evidence_names_day_and_invoices() {
        let text = evidence(&advice(7, 1, 500)).what;
        assert_eq!(text, "remittance advice from the portal, 2026-07-20: A-7");
    }
}
