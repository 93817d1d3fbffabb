//! Sample documents with made-up data: for the benchmark, the template gallery in `docs/` and
//! tests that exercise the templates without a ledger. Names come in several scripts on
//! purpose.

use settle_core::{Currency, Date, Money};

use crate::model::*;

/// Customer names in the scripts the documents must show: accents, Greek, Cyrillic, CJK.
pub const NAMES: &[&str] = &[
    "Société Générale d'Équipement Müller & Søn",
    "Ελληνικά Εργαλεία Α.Ε.",
    "ООО «Северная Торговля»",
    "株式会社東京精密",
    "北京华联贸易有限公司",
    "주식회사 한빛상사",
    "Łódź Wytwórnia Sp. z o.o.",
    "Acme #set [Markup] $Test$ <Co>",
];

pub fn company() -> Company {
    Company {
        name: "Northwind Supply Ltd".to_string(),
        address: vec![
            "12 Harbour Road".to_string(),
            "Bristol BS1 5TY".to_string(),
            "United Kingdom".to_string(),
        ],
        email: "receivables@northwind.example".to_string(),
        phone: "+44 117 496 0000".to_string(),
        tax_id: "GB 123 4567 89".to_string(),
        website: "northwind.example".to_string(),
        remittance: vec![
            "Bank: Example Bank plc, Bristol".to_string(),
            "IBAN GB29 NWBK 6016 1331 9268 19 · BIC NWBKGB2L".to_string(),
            "Quote your customer number and the invoice numbers with every payment.".to_string(),
        ],
    }
}

pub fn party(index: usize) -> Party {
    Party {
        code: format!("C{:04}", index + 1),
        name: NAMES[index % NAMES.len()].to_string(),
        address: vec![
            format!("{} Market Street", 10 + index % 90),
            "Suite 4".to_string(),
            "75002 Paris".to_string(),
            "France".to_string(),
        ],
        email: "ap@example.com".to_string(),
        tax_id: String::new(),
    }
}

fn date(text: &str) -> Date {
    text.parse().expect("a sample date")
}

fn letterhead(index: usize, on: Date) -> Letterhead {
    Letterhead {
        company: company(),
        customer: party(index),
        date: on,
        paper: Paper::A4,
        logo: None,
    }
}

/// An open-item statement with `lines` open items (about 30 fill a page), whose totals
/// and aging add up as the ledger's would.
pub fn statement(index: usize, lines: usize) -> DocumentData {
    let eur = Currency::from_code("EUR").expect("EUR");
    let as_of = date("2026-10-31");
    let labels = ["Current", "1-30", "31-60", "61-90", "90+"]
        .map(String::from)
        .to_vec();
    let mut buckets = vec![Money::zero(eur); labels.len()];
    let mut balance = Money::zero(eur);
    let mut statement_lines = Vec::with_capacity(lines);
    let mut charges = Money::zero(eur);
    for line in 0..lines {
        let days_back = (line as i64 * 5) % 150;
        let issue = as_of
            .checked_sub(jiff::Span::new().days(days_back + 30))
            .expect("in range");
        let due = issue
            .checked_add(jiff::Span::new().days(30))
            .expect("in range");
        let amount = Money::new(
            10_000 + ((index * 7919 + line * 104_729) % 900_000) as i64,
            eur,
        );
        let overdue = (as_of - due).get_days() as i64;
        let bucket = match overdue {
            ..=0 => 0,
            1..=30 => 1,
            31..=60 => 2,
            61..=90 => 3,
            _ => 4,
        };
        buckets[bucket] = buckets[bucket].checked_add(amount).expect("small");
        balance = balance.checked_add(amount).expect("small");
        charges = charges.checked_add(amount).expect("small");
        statement_lines.push(StatementLine {
            date: issue,
            reference: format!("INV-{:06}", 100_000 + index * 1000 + line),
            description: if line % 3 == 0 {
                "Spare parts".to_string()
            } else {
                String::new()
            },
            due_date: Some(due),
            days_overdue: Some(overdue),
            amount,
            balance,
        });
    }
    let unapplied = Money::new(25_000, eur);
    balance = balance.checked_sub(unapplied).expect("small");
    statement_lines.push(StatementLine {
        date: as_of,
        reference: "Payment 7741".to_string(),
        description: "Unapplied cash".to_string(),
        due_date: None,
        days_overdue: None,
        amount: Money::new(-unapplied.minor(), eur),
        balance,
    });
    let total = charges;
    DocumentData {
        letterhead: letterhead(index, as_of),
        body: DocumentBody::Statement(Statement {
            kind: StatementKind::OpenItem,
            as_of,
            from: None,
            sections: vec![StatementSection {
                currency: eur,
                opening: None,
                lines: statement_lines,
                charges,
                credits: unapplied,
                amount_due: balance,
                aging: AgingSummary {
                    labels,
                    buckets,
                    total,
                    unapplied,
                    net: balance,
                },
            }],
        }),
    }
}
