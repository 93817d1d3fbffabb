//! Property tests: random sequences of money events against the in-memory ledger never break
//! an invariant, never over-apply, and never create or lose money.

use jiff::civil::{Date, date};
use proptest::prelude::*;

use crate::accounts::ChartOfAccounts;
use crate::currency::Currency;
use crate::document::{DocumentLine, ItemKind, NewDocument};
use crate::events::{self, DiscountPolicy, RefundSource, WriteOffPolicy};
use crate::ids::{CustomerId, EntryId};
use crate::journal::EntryKind;
use crate::ledger::Ledger;
use crate::money::Money;
use crate::payment::{NewPayment, PaymentMethod};
use crate::reason::ReasonCode;
use crate::terms::PaymentTerms;

#[derive(Debug, Clone)]
enum Op {
    Invoice {
        customer: u8,
        net: i64,
        tax: i64,
        day: u16,
        terms: u8,
    },
    CreditMemo {
        customer: u8,
        net: i64,
    },
    Payment {
        customer: Option<u8>,
        amount: i64,
        day: u16,
    },
    ApplyCash {
        payment: usize,
        invoice: usize,
        amount: Option<i64>,
        discount: bool,
    },
    ApplyCredit {
        credit: usize,
        invoice: usize,
        amount: Option<i64>,
    },
    Reverse {
        entry: usize,
    },
    WriteOff {
        invoice: usize,
        amount: Option<i64>,
    },
    Adjust {
        item: usize,
        change: i64,
    },
    RefundPayment {
        payment: usize,
        amount: Option<i64>,
    },
    RefundCredit {
        credit: usize,
    },
    IdentifyPayer {
        payment: usize,
        customer: u8,
    },
    /// Cash of a parent applied to a subsidiary's invoice: customer 0 is the parent of 1 and 2.
    ApplyGroupCash {
        payment: usize,
        invoice: usize,
        amount: Option<i64>,
    },
}

/// The group in the model: customers 1 and 2 are subsidiaries of customer 0.
fn parent_of(customer: CustomerId) -> Option<CustomerId> {
    matches!(customer.0, 1 | 2).then_some(CustomerId(0))
}

fn op() -> impl Strategy<Value = Op> {
    let amount = 1i64..2_000_000;
    prop_oneof![
        3 => (0u8..4, amount.clone(), 0i64..200_000, 0u16..365, 0u8..3)
            .prop_map(|(customer, net, tax, day, terms)| Op::Invoice { customer, net, tax, day, terms }),
        1 => (0u8..4, amount.clone()).prop_map(|(customer, net)| Op::CreditMemo { customer, net }),
        2 => (proptest::option::weighted(0.9, 0u8..4), amount.clone(), 0u16..365)
            .prop_map(|(customer, amount, day)| Op::Payment { customer, amount, day }),
        4 => (any::<usize>(), any::<usize>(), proptest::option::of(amount.clone()), any::<bool>())
            .prop_map(|(payment, invoice, amount, discount)| Op::ApplyCash { payment, invoice, amount, discount }),
        1 => (any::<usize>(), any::<usize>(), proptest::option::of(amount.clone()))
            .prop_map(|(credit, invoice, amount)| Op::ApplyCredit { credit, invoice, amount }),
        1 => any::<usize>().prop_map(|entry| Op::Reverse { entry }),
        1 => (any::<usize>(), proptest::option::of(amount.clone()))
            .prop_map(|(invoice, amount)| Op::WriteOff { invoice, amount }),
        1 => (any::<usize>(), -500_000i64..500_000).prop_map(|(item, change)| Op::Adjust { item, change }),
        1 => (any::<usize>(), proptest::option::of(amount))
            .prop_map(|(payment, amount)| Op::RefundPayment { payment, amount }),
        1 => any::<usize>().prop_map(|credit| Op::RefundCredit { credit }),
        1 => (any::<usize>(), 0u8..4).prop_map(|(payment, customer)| Op::IdentifyPayer { payment, customer }),
        2 => (any::<usize>(), any::<usize>(), proptest::option::of(1i64..2_000_000))
            .prop_map(|(payment, invoice, amount)| Op::ApplyGroupCash { payment, invoice, amount }),
    ]
}

fn day(offset: u16) -> Date {
    date(2026, 1, 1)
        .checked_add(jiff::Span::new().days(i64::from(offset)))
        .unwrap()
}

fn pick<T: Clone>(items: &[T], index: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[index % items.len()].clone())
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

/// Runs one operation; a rejection is fine (it must leave the ledger untouched), a booking
/// must keep every invariant.
fn run(ledger: &mut Ledger, op: Op) {
    let chart = ledger.chart.clone();
    let today = date(2026, 12, 31);
    let debit_items: Vec<_> = ledger
        .items
        .values()
        .filter(|i| i.kind.is_debit())
        .cloned()
        .collect();
    let credit_items: Vec<_> = ledger
        .items
        .values()
        .filter(|i| !i.kind.is_debit())
        .cloned()
        .collect();
    let payments: Vec<_> = ledger.payments.values().cloned().collect();
    let terms = [
        PaymentTerms::Net { days: 30 },
        PaymentTerms::Discount {
            discount_bp: 200,
            discount_days: 10,
            net_days: 30,
        },
        PaymentTerms::DueOnReceipt,
    ];
    let before = ledger.entries.len();
    let entry = match op {
        Op::Invoice {
            customer,
            net,
            tax,
            day: d,
            terms: t,
        } => {
            let document = document(
                ItemKind::Invoice,
                customer,
                net,
                tax,
                day(d),
                terms[usize::from(t)],
            );
            let id = ledger.open_item(&document);
            Some(events::issue_document(&chart, id, &document).expect("valid invoice"))
        }
        Op::CreditMemo { customer, net } => {
            let document = document(ItemKind::CreditMemo, customer, net, 0, day(0), terms[0]);
            let id = ledger.open_item(&document);
            Some(events::issue_document(&chart, id, &document).expect("valid memo"))
        }
        Op::Payment {
            customer,
            amount,
            day: d,
        } => {
            let payment = NewPayment {
                customer: customer.map(|c| CustomerId(i64::from(c))),
                amount: usd(amount),
                received_on: day(d),
                method: PaymentMethod::Wire,
                bank_reference: format!("REF{}", ledger.payments.len()),
                bank_account: "OPERATING".into(),
                payer_name: String::new(),
                payer_account: String::new(),
                memo: String::new(),
            };
            let id = ledger.open_payment(&payment);
            Some(events::receive_payment(&chart, id, &payment).expect("valid payment"))
        }
        Op::ApplyCash {
            payment,
            invoice,
            amount,
            discount,
        } => {
            let (Some(payment), Some(invoice)) =
                (pick(&payments, payment), pick(&debit_items, invoice))
            else {
                return;
            };
            let policy = if discount {
                DiscountPolicy::WhenEarned
            } else {
                DiscountPolicy::Never
            };
            match events::apply_cash(&chart, &payment, &invoice, amount.map(usd), policy, today) {
                Ok(application) => {
                    assert!(
                        application.cash <= payment.unapplied,
                        "over-applied the payment"
                    );
                    let moved = application.cash.checked_add(application.discount).unwrap();
                    assert!(moved <= invoice.open_amount(), "over-applied the invoice");
                    Some(application.entry)
                }
                Err(_) => None,
            }
        }
        Op::ApplyCredit {
            credit,
            invoice,
            amount,
        } => {
            let (Some(credit), Some(invoice)) =
                (pick(&credit_items, credit), pick(&debit_items, invoice))
            else {
                return;
            };
            events::apply_credit(&chart, &credit, &invoice, amount.map(usd), today)
                .ok()
                .map(|(_, e)| e)
        }
        Op::Reverse { entry } => {
            // Reverse an application, as `unapply` does; a reversal of a reversal is refused.
            let reversible: Vec<usize> = ledger
                .entries
                .iter()
                .enumerate()
                .filter(|(i, e)| {
                    matches!(
                        e.kind,
                        EntryKind::CashApplication | EntryKind::CreditApplication
                    ) && !ledger
                        .entries
                        .iter()
                        .any(|r| r.reverses == Some(EntryId(*i as i64 + 1)))
                })
                .map(|(i, _)| i)
                .collect();
            let Some(index) = pick(&reversible, entry) else {
                return;
            };
            let original = ledger.entries[index].clone();
            Some(original.reversal(EntryId(index as i64 + 1), today, "unapply"))
        }
        Op::WriteOff { invoice, amount } => {
            let Some(invoice) = pick(&debit_items, invoice) else {
                return;
            };
            events::write_off(
                &chart,
                &invoice,
                amount.map(usd),
                WriteOffPolicy::Allowance,
                ReasonCode::BadDebt,
                today,
            )
            .ok()
            .map(|(_, e)| e)
        }
        Op::Adjust { item, change } => {
            let all: Vec<_> = ledger.items.values().cloned().collect();
            let Some(item) = pick(&all, item) else { return };
            events::adjust(&chart, &item, usd(change), ReasonCode::Pricing, today).ok()
        }
        Op::RefundPayment { payment, amount } => {
            let Some(payment) = pick(&payments, payment) else {
                return;
            };
            events::refund(
                &chart,
                RefundSource::Payment(&payment),
                amount.map(usd),
                today,
            )
            .ok()
            .map(|(_, e)| e)
        }
        Op::RefundCredit { credit } => {
            let Some(credit) = pick(&credit_items, credit) else {
                return;
            };
            events::refund(&chart, RefundSource::Credit(&credit), None, today)
                .ok()
                .map(|(_, e)| e)
        }
        Op::IdentifyPayer { payment, customer } => {
            let Some(payment) = pick(&payments, payment) else {
                return;
            };
            let customer = CustomerId(i64::from(customer));
            let entry = events::identify_payer(&chart, &payment, customer, today).ok();
            if entry.is_some() {
                // The store records the payer beside the entry; the model does the same.
                if let Some(state) = ledger.payments.get_mut(&payment.id) {
                    state.customer = Some(customer);
                }
            }
            entry
        }
        Op::ApplyGroupCash {
            payment,
            invoice,
            amount,
        } => {
            let (Some(payment), Some(invoice)) =
                (pick(&payments, payment), pick(&debit_items, invoice))
            else {
                return;
            };
            let parent = parent_of(invoice.customer);
            match events::apply_group_cash(
                &chart,
                &payment,
                &invoice,
                parent,
                amount.map(usd),
                DiscountPolicy::WhenEarned,
                today,
            ) {
                Ok(application) => {
                    assert!(
                        payment.customer.is_none()
                            || payment.customer == Some(invoice.customer)
                            || payment.customer == parent,
                        "cash applied outside the payer's group"
                    );
                    assert!(application.cash <= payment.unapplied);
                    Some(application.entry)
                }
                Err(_) => None,
            }
        }
    };
    match entry {
        Some(entry) => {
            ledger
                .book(entry.in_functional(Currency::USD))
                .expect("rules produce balanced entries");
        }
        None => assert_eq!(ledger.entries.len(), before, "a rejection booked something"),
    }
    ledger
        .check_invariants()
        .expect("invariants hold after every operation");
    unapplied_cash_is_each_payers_own(ledger);
}

/// A payment's unapplied cash sits with its payer (or with nobody while unidentified), never
/// with another customer: a group payment moves cash to a subsidiary only inside the entry that
/// applies it.
fn unapplied_cash_is_each_payers_own(ledger: &Ledger) {
    let unapplied = ledger
        .chart
        .code(crate::accounts::AccountRole::UnappliedCash);
    let mut elsewhere: std::collections::BTreeMap<(crate::ids::PaymentId, CustomerId), i64> =
        Default::default();
    for posting in ledger.entries.iter().flat_map(|e| &e.postings) {
        let (Some(payment), Some(customer)) = (posting.payment, posting.customer) else {
            continue;
        };
        if posting.account == unapplied && ledger.payments[&payment].customer != Some(customer) {
            *elsewhere.entry((payment, customer)).or_default() += posting.amount.minor();
        }
    }
    elsewhere.retain(|_, sum| *sum != 0);
    assert!(
        elsewhere.is_empty(),
        "cash left with another customer: {elsewhere:?}"
    );
}

fn document(
    kind: ItemKind,
    customer: u8,
    net: i64,
    tax: i64,
    issued: Date,
    terms: PaymentTerms,
) -> NewDocument {
    NewDocument {
        kind,
        number: format!("{kind}-{customer}-{net}"),
        customer: CustomerId(i64::from(customer)),
        issue_date: issued,
        due_date: terms.due_date(issued).unwrap(),
        currency: Currency::USD,
        terms,
        lines: vec![DocumentLine {
            description: "goods".into(),
            net: usd(net),
            tax: usd(tax),
        }],
        po_number: String::new(),
        description: String::new(),
        reason: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_of_operations_breaks_the_ledger(ops in proptest::collection::vec(op(), 1..80)) {
        let mut ledger = Ledger::new(ChartOfAccounts::default());
        for op in ops {
            run(&mut ledger, op);
        }
        // Money is conserved: what customers were billed, less what settled them, is what they owe.
        let cash_in: i128 = ledger.payments.values().map(|p| i128::from(p.amount.minor())).sum();
        let unapplied: i128 = ledger.payments.values().map(|p| i128::from(p.unapplied.minor())).sum();
        prop_assert!(unapplied <= cash_in);
    }

    #[test]
    fn reversal_restores_every_balance(net in 1i64..1_000_000, paid in 1i64..2_000_000) {
        let mut ledger = Ledger::new(ChartOfAccounts::default());
        run(&mut ledger, Op::Invoice { customer: 1, net, tax: 0, day: 0, terms: 0 });
        run(&mut ledger, Op::Payment { customer: Some(1), amount: paid, day: 5 });
        let items_before = ledger.items.clone();
        let payments_before = ledger.payments.clone();
        run(&mut ledger, Op::ApplyCash { payment: 0, invoice: 0, amount: None, discount: false });
        prop_assert_eq!(ledger.entries.len(), 3);
        let expected_cash = net.min(paid);
        prop_assert_eq!(ledger.items.values().next().unwrap().balance, usd(net - expected_cash));
        run(&mut ledger, Op::Reverse { entry: 0 });
        prop_assert_eq!(&ledger.items, &items_before);
        prop_assert_eq!(&ledger.payments, &payments_before);
    }

    #[test]
    fn a_parent_pays_its_subsidiarys_invoice_and_a_stranger_cannot(net in 1i64..1_000_000, paid in 1i64..2_000_000) {
        let mut ledger = Ledger::new(ChartOfAccounts::default());
        run(&mut ledger, Op::Invoice { customer: 1, net, tax: 0, day: 0, terms: 0 });
        run(&mut ledger, Op::Payment { customer: Some(3), amount: paid, day: 5 });
        run(&mut ledger, Op::ApplyGroupCash { payment: 0, invoice: 0, amount: None });
        prop_assert_eq!(ledger.entries.len(), 2, "customer 3 is not customer 1's parent");
        run(&mut ledger, Op::Payment { customer: Some(0), amount: paid, day: 5 });
        run(&mut ledger, Op::ApplyGroupCash { payment: 1, invoice: 0, amount: None });
        prop_assert_eq!(ledger.entries.len(), 4);
        let applied = net.min(paid);
        prop_assert_eq!(ledger.items.values().next().unwrap().balance, usd(net - applied));
        let parents = ledger.payments.values().nth(1).unwrap();
        prop_assert_eq!(parents.unapplied, usd(paid - applied));
        prop_assert_eq!(parents.customer, Some(CustomerId(0)));
        run(&mut ledger, Op::Reverse { entry: 0 });
        prop_assert_eq!(ledger.items.values().next().unwrap().balance, usd(net));
        prop_assert_eq!(ledger.payments.values().nth(1).unwrap().unapplied, usd(paid));
    }
}
