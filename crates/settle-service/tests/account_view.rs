//! The account view read in one SQLite statement (its lists built as JSON by SQLite) equals the
//! view read part by part, for accounts with every kind of row the view shows: open items and
//! credits, unapplied cash, activity, subsidiaries, a contact log longer than the view keeps,
//! active and resolved disputes, and names that JSON must escape.

use jiff::civil::date;
use settle_core::Currency;
use settle_core::contact::{ContactChannel, ContactDirection};
use settle_core::customer::NewCustomer;
use settle_core::dispute::DisputeReason;
use settle_core::document::ItemKind;
use settle_core::events::DiscountPolicy;
use settle_core::payment::PaymentMethod;
use settle_core::reason::ReasonCode;
use settle_core::terms::PaymentTerms;
use settle_service::collections::ContactRequest;
use settle_service::disputes::DisputeRequest;
use settle_service::{
    ApplyRequest, ApplySource, InvoiceRequest, MemoRequest, PaymentRequest, Settle,
};

const PARENT: &str = "GROUP";
/// Quotes, a backslash, a tab, a newline, and scripts other than Latin.
const AWKWARD_NAME: &str = "O'Brien \"Ltd\" \\ Ελληνικά\tДело\n株式会社";

async fn ledger(location: &str) -> Settle {
    let (settle, _) = Settle::init(location, "MAIN", "Main", Currency::USD)
        .await
        .unwrap();
    let net30 = PaymentTerms::Net { days: 30 };
    let mut parent = NewCustomer::new(PARENT, AWKWARD_NAME, Currency::USD, net30);
    parent.email = "ap@example.com".into();
    parent.credit_limit = Some(settle_core::Money::new(5_000_000, Currency::USD));
    parent.billing_address = "1 Main St\nSpringfield".into();
    settle.create_customer(parent, None).await.unwrap();
    for (code, name, currency) in [
        ("SUB-B", "Zeta subsidiary", Currency::EUR),
        ("SUB-A", "Ärger GmbH", Currency::USD),
        ("LONE", "Lone \u{1F600} Co", Currency::USD),
    ] {
        let mut customer = NewCustomer::new(code, name, currency, net30);
        if code != "LONE" {
            customer.parent = Some(PARENT.into());
        }
        settle.create_customer(customer, None).await.unwrap();
    }
    for (n, customer, day) in [
        (1, PARENT, 3),
        (2, PARENT, 3),
        (3, PARENT, 10),
        (4, "SUB-A", 4),
        (5, "SUB-B", 5),
    ] {
        let request = InvoiceRequest {
            customer: customer.into(),
            number: format!("INV-{n}"),
            issue_date: date(2026, 3, day),
            due_date: None,
            currency: None,
            lines: vec![
                ("goods \"A\"".into(), format!("{n}00.00"), "10.00".into()),
                ("services".into(), "50.00".into(), "0.00".into()),
            ],
            po_number: format!("PO-{n}"),
            description: String::new(),
        };
        settle.create_invoice(request, None).await.unwrap();
    }
    for (reference, amount, day) in [("WIRE-1", "500.00", 20), ("WIRE-2", "75.25", 21)] {
        let request = PaymentRequest {
            customer: Some(PARENT.into()),
            amount: amount.into(),
            currency: None,
            received_on: date(2026, 4, day),
            method: PaymentMethod::Wire,
            bank_reference: reference.into(),
            bank_account: "OPERATING".into(),
            payer_name: String::new(),
            payer_account: String::new(),
            memo: String::new(),
        };
        let posted = settle.post_payment(request, None).await.unwrap().value;
        if reference == "WIRE-1" {
            let apply = ApplyRequest {
                source: ApplySource::Payment(posted.payment_id),
                invoice: "INV-1".into(),
                amount: Some("120.00".into()),
                date: date(2026, 4, day),
                discount: DiscountPolicy::WhenEarned,
            };
            settle.apply(apply, None).await.unwrap();
        }
    }
    let memo = MemoRequest {
        kind: ItemKind::CreditMemo,
        customer: PARENT.into(),
        number: Some("CM-1".into()),
        amount: "30.00".into(),
        tax: None,
        currency: None,
        reason: ReasonCode::Pricing,
        date: date(2026, 4, 2),
        due_date: None,
        description: "price fix".into(),
        apply_to: None,
    };
    settle.issue_memo(memo, None).await.unwrap();
    for (invoice, amount) in [("INV-2", "40.00"), ("INV-3", "12.50")] {
        let request = DisputeRequest {
            invoice: invoice.into(),
            amount: amount.into(),
            reason: DisputeReason::Pricing,
            line: None,
            owner: "ann".into(),
            due: Some(date(2026, 5, 1)),
            note: "customer says \"wrong price\"".into(),
            date: date(2026, 4, 3),
        };
        settle.open_dispute(request).await.unwrap();
    }
    // More entries than the view shows, several at the same moment (the id breaks the tie).
    for n in 0..14 {
        let request = ContactRequest {
            customer: PARENT.into(),
            channel: ContactChannel::Phone,
            direction: ContactDirection::Outbound,
            subject: format!("call {n}"),
            body: "left a message: \"call back\"".into(),
            outcome: String::new(),
            next_step_on: (n % 3 == 0).then(|| date(2026, 5, 1)),
            occurred_at: Some(
                format!("2026-04-{:02}T10:00:00Z", 5 + n / 3)
                    .parse()
                    .unwrap(),
            ),
        };
        settle.log_contact(&request).await.unwrap();
    }
    settle
}

#[tokio::test(flavor = "current_thread")]
async fn one_statement_reads_what_the_parts_read() {
    let dir = std::env::temp_dir().join(format!(
        "settle-account-view-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let location = dir.join("view.db").display().to_string();
    let settle = ledger(&location).await;
    let entity = settle.entity().id;
    let store = settle.store();
    for code in [PARENT, "SUB-A", "SUB-B", "LONE", "NOBODY"] {
        let one = store.account_rows(entity, code).await.unwrap();
        let parts = store.account_rows_by_parts(entity, code).await.unwrap();
        assert_eq!(one, parts, "account view of {code}");
    }
    let (summary, disputes) = store.account_rows(entity, PARENT).await.unwrap().unwrap();
    // The fixture holds what the comparison is meant to cover.
    assert_eq!(summary.customer.details.name, AWKWARD_NAME);
    assert_eq!(
        summary.children,
        vec![
            ("SUB-A".to_string(), "Ärger GmbH".to_string()),
            ("SUB-B".to_string(), "Zeta subsidiary".to_string())
        ]
    );
    assert_eq!(
        summary.open_items.len(),
        4,
        "three invoices and a credit memo"
    );
    assert_eq!(summary.unapplied_payments.len(), 2);
    assert!(summary.activity.len() >= 6, "{:?}", summary.activity);
    assert_eq!(
        summary.contact_log.len(),
        10,
        "the view keeps the latest ten"
    );
    assert_eq!(summary.contact_log[0].subject, "call 13");
    assert_eq!(disputes.len(), 2);
    assert!(
        store
            .account_rows(entity, "NOBODY")
            .await
            .unwrap()
            .is_none()
    );
    settle.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
