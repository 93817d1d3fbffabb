//! The demo company: a year of a wholesale supplier's receivables, built through the same
//! imports and operations a user runs, in a fresh SQLite file. Deterministic for a seed: the
//! generator is seeded and the calendar is an argument, never the clock.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::Span;
use jiff::civil::Date;

use settle_core::Currency;
use settle_core::Money;
use settle_core::audit_chain::Target;
use settle_core::document::ItemKind;
use settle_core::events::{DiscountPolicy, WriteOffPolicy};
use settle_core::ids::PaymentId;
use settle_core::payment::PaymentMethod;
use settle_core::reason::ReasonCode;
use settle_core::terms::PaymentTerms;

use crate::Change;
use crate::demo_bank::ReturnedPayment;
use crate::import::ImportOptions;
use crate::{
    ApplyRequest, ApplySource, DEFAULT_ENTITY, MemoRequest, PaymentRequest, RefundFrom,
    RefundRequest, ServiceError, ServiceResult, Settle, WriteOffRequest,
};

/// The settings key that marks a database as a demo, which `demo` may replace.
const DEMO_MARKER: &str = "demo";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub customers: usize,
    /// The demo's "today": the year of activity ends here.
    pub as_of: Date,
    /// Where the day's bank files are written (and kept, to look at or import again).
    pub bank_dir: PathBuf,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub customers: usize,
    pub invoices: usize,
    pub payments: usize,
    pub applications: usize,
    pub credit_memos: usize,
    pub debit_memos: usize,
    pub write_offs: usize,
    pub refunds: usize,
    pub unapplied_payments: usize,
    /// The last day's bank files and what cash application made of them.
    pub bank: crate::demo_bank::BankDaySummary,
}

/// SplitMix64: small, fast, and the same on every machine, which is all a demo needs.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..high`.
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low).max(1)
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Acme",
    "Blue River",
    "Northwind",
    "Harbor",
    "Summit",
    "Cedar",
    "Pioneer",
    "Granite",
    "Silver Lake",
    "Redwood",
    "Atlas",
    "Beacon",
    "Crescent",
    "Evergreen",
    "Falcon",
    "Golden Gate",
    "Horizon",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Oakridge",
    "Pinnacle",
    "Riverbend",
    "Sterling",
    "Trident",
    "Union",
    "Valley",
    "Westfield",
];
const SECOND: &[&str] = &[
    "Foods",
    "Hardware",
    "Logistics",
    "Builders",
    "Medical",
    "Electric",
    "Textiles",
    "Farms",
    "Motors",
    "Outfitters",
    "Printing",
    "Plastics",
    "Marine",
    "Supply",
    "Bakery",
    "Pharma",
    "Tools",
    "Interiors",
    "Packaging",
    "Labs",
];
const SUFFIX: &[&str] = &["Inc.", "LLC", "Corp.", "Co.", "Ltd."];
/// Customers abroad, with names in their own scripts.
const FOREIGN: &[(&str, &str, &str, u64)] = &[
    ("Müller Maschinenbau GmbH", "DE", "EUR", 1900),
    ("Société Générale des Eaux Côte d'Azur", "FR", "EUR", 2000),
    ("Øresund Shipping ApS", "DK", "EUR", 2500),
    ("Ελληνικά Τρόφιμα Α.Ε.", "GR", "EUR", 2400),
    ("ООО «Северный Ветер»", "AM", "EUR", 0),
    ("Hartley & Sons Ltd", "GB", "GBP", 2000),
    ("Thames Valley Components plc", "GB", "GBP", 2000),
    ("Maple Leaf Outfitters", "CA", "CAD", 1300),
    ("東京精密工業株式会社", "JP", "JPY", 1000),
    ("Zürcher Präzisionstechnik AG", "CH", "CHF", 810),
];
/// The demo company's letterhead on documents (`settle company show`).
const DEMO_LETTERHEAD: &[(&str, &str)] = &[
    (
        "address",
        "2200 Harbor Boulevard | Oakland, CA 94607 | United States",
    ),
    ("email", "receivables@northwind.example"),
    ("phone", "+1 510 555 0142"),
    ("tax_id", "EIN 94-1234567"),
    ("website", "northwind.example"),
    (
        "remittance",
        "ACH or wire: First Example Bank, routing 121000358, account 4471 0023 9910 | \
         Checks payable to Northwind Supply Co., PO Box 4410, Oakland, CA 94623 | \
         Quote your customer number and the invoice numbers with every payment.",
    ),
    ("paper", "letter"),
];
const REPS: &[&str] = &["Ana Ruiz", "Ben Okafor", "Chloe Martin", "Dev Patel"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Habit {
    /// Pays around the due date.
    Prompt,
    /// Takes the early-payment discount.
    DiscountTaker,
    /// Pays two to six weeks late.
    Slow,
    /// Pays months late, sometimes in part.
    Late,
    /// Stopped paying.
    Delinquent,
}

struct DemoCustomer {
    code: String,
    currency: Currency,
    terms: PaymentTerms,
    habit: Habit,
    tax_bp: u64,
}

/// One thing that happens on a day.
enum Event {
    Pay {
        customer: usize,
        invoices: Vec<(String, Money, Date)>,
        day: Date,
        amount: Money,
        method: PaymentMethod,
    },
    CreditMemo {
        customer: usize,
        invoice: String,
        amount: Money,
        day: Date,
        reason: ReasonCode,
    },
    LateInterest {
        customer: usize,
        amount: Money,
        day: Date,
    },
    WriteOff {
        invoice: String,
        day: Date,
    },
}

impl Event {
    fn day(&self) -> Date {
        match self {
            Event::Pay { day, .. }
            | Event::CreditMemo { day, .. }
            | Event::LateInterest { day, .. }
            | Event::WriteOff { day, .. } => *day,
        }
    }
}

fn days(n: i64) -> Span {
    Span::new().days(n)
}

fn add(date: Date, n: i64) -> Date {
    date.checked_add(days(n))
        .expect("demo dates stay within the calendar")
}

/// Refuses to replace anything but an earlier demo.
async fn prepare_file(location: &str) -> ServiceResult<()> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return Err(ServiceError::Refused(
            "the demo builds a fresh SQLite file; give --db a file path".to_string(),
        ));
    }
    let path = PathBuf::from(
        location
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:"),
    );
    if !path.exists() {
        return Ok(());
    }
    let is_demo = match Settle::open(location, DEFAULT_ENTITY).await {
        Ok(settle) => {
            let marker = settle
                .store()
                .setting(settle.entity().id, DEMO_MARKER)
                .await?;
            settle.close().await;
            marker.is_some()
        }
        Err(_) => false,
    };
    if !is_demo {
        return Err(ServiceError::Refused(format!(
            "{} exists and is not a Settle demo database; choose another --db",
            path.display()
        )));
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file).map_err(|source| ServiceError::Io {
                path: file.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

fn customers(rng: &mut Rng, count: usize) -> (Vec<DemoCustomer>, String) {
    let mut csv = String::from(
        "customer_id,name,email,phone,payment_terms,credit_limit,currency,country,tax_id,address,risk_class,sales_rep\n",
    );
    let mut list = Vec::with_capacity(count);
    for index in 0..count {
        let code = format!("C{:05}", index + 1);
        let (name, country, currency, tax_bp) = if index % 17 == 5 {
            let (name, country, currency, tax) = FOREIGN[(index / 17) % FOREIGN.len()];
            (name.to_string(), country, currency, tax)
        } else {
            let name = format!(
                "{} {} {}",
                rng.pick(FIRST),
                rng.pick(SECOND),
                rng.pick(SUFFIX)
            );
            (name, "US", "USD", *rng.pick(&[0u64, 0, 600, 725, 825]))
        };
        let currency = Currency::from_code(currency).expect("demo currencies are known");
        let habit = match rng.range(0, 100) {
            0..=44 => Habit::Prompt,
            45..=59 => Habit::DiscountTaker,
            60..=86 => Habit::Slow,
            87..=96 => Habit::Late,
            _ => Habit::Delinquent,
        };
        let terms = match habit {
            Habit::DiscountTaker => PaymentTerms::Discount {
                discount_bp: 200,
                discount_days: 10,
                net_days: 30,
            },
            _ => *rng.pick(&[
                PaymentTerms::Net { days: 30 },
                PaymentTerms::Net { days: 30 },
                PaymentTerms::Net { days: 45 },
                PaymentTerms::Net { days: 60 },
                PaymentTerms::EndOfMonth { days: 30 },
                PaymentTerms::DueOnReceipt,
            ]),
        };
        let risk = match habit {
            Habit::Prompt | Habit::DiscountTaker => "low",
            Habit::Slow => "medium",
            Habit::Late => "high",
            Habit::Delinquent => "critical",
        };
        let limit = Money::new(
            rng.range(5, 200) as i64 * 5_000 * currency.minor_per_major(),
            currency,
        );
        let slug: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect::<String>()
            .to_lowercase();
        let email = format!(
            "ap@{}.example",
            if slug.is_empty() {
                code.to_lowercase()
            } else {
                slug
            }
        );
        let _ = writeln!(
            csv,
            "{code},\"{}\",{email},+1-555-{:04},{terms},{},{currency},{country},TAX{:07},\"{} Commerce Way, Suite {}\",{risk},{}",
            name.replace('"', "\"\""),
            rng.range(0, 10_000),
            limit.to_decimal_string(),
            rng.range(0, 10_000_000),
            rng.range(1, 999),
            rng.range(100, 999),
            rng.pick(REPS),
        );
        list.push(DemoCustomer {
            code,
            currency,
            terms,
            habit,
            tax_bp,
        });
    }
    (list, csv)
}

/// Invoice amounts: mostly modest, a long tail of large orders (in major units).
fn invoice_amount(rng: &mut Rng, currency: Currency) -> Money {
    let major = match rng.range(0, 100) {
        0..=59 => rng.range(150, 2_500),
        60..=89 => rng.range(2_500, 15_000),
        _ => rng.range(15_000, 80_000),
    };
    let scale = match currency.code() {
        "JPY" => 150,
        _ => 1,
    };
    let minor = (major * scale) as i64 * currency.minor_per_major()
        + rng.range(0, currency.minor_per_major() as u64) as i64;
    Money::new(minor, currency)
}

pub async fn build(
    location: &str,
    options: &DemoOptions,
    work_dir: &Path,
) -> ServiceResult<(Settle, DemoSummary)> {
    prepare_file(location).await?;
    let (settle, _) = Settle::init(
        location,
        DEFAULT_ENTITY,
        "Northwind Supply Co.",
        Currency::USD,
    )
    .await?;
    {
        let mut tx = settle.store().begin().await?;
        tx.set_setting(settle.entity().id, DEMO_MARKER, &options.seed.to_string())
            .await?;
        for (key, value) in DEMO_LETTERHEAD {
            tx.set_setting(settle.entity().id, &format!("company.{key}"), value)
                .await?;
        }
        let change = Change::new("demo", Target::new("entity", DEFAULT_ENTITY))
            .after(&serde_json::json!({ "seed": options.seed }));
        settle.record_change(&mut tx, change).await?;
        tx.commit().await?;
    }
    let mut rng = Rng::new(options.seed);
    let mut summary = DemoSummary::default();
    let (customers, customers_csv) = customers(&mut rng, options.customers);
    let start = add(options.as_of, -365);

    // A year of invoices, and what each customer's habit makes of them.
    let mut invoices_csv = String::from(
        "invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description\n",
    );
    let mut events: Vec<Event> = Vec::new();
    let mut number = 0;
    for (index, customer) in customers.iter().enumerate() {
        let per_year = match rng.range(0, 10) {
            0..=5 => rng.range(8, 20),
            6..=8 => rng.range(20, 40),
            _ => rng.range(40, 70),
        };
        let mut pending: Vec<(String, Money, Date)> = Vec::new();
        for _ in 0..per_year {
            number += 1;
            let issued = add(start, rng.range(0, 366) as i64);
            let due = customer
                .terms
                .due_date(issued)
                .expect("demo terms are in range");
            let total = invoice_amount(&mut rng, customer.currency);
            let tax = Money::new(
                settle_core::money::round_div(
                    i128::from(total.minor()) * i128::from(customer.tax_bp),
                    10_000 + i128::from(customer.tax_bp),
                    settle_core::money::Rounding::HalfUp,
                ) as i64,
                customer.currency,
            );
            let invoice = format!("INV-{:06}", number);
            let _ = writeln!(
                invoices_csv,
                "{invoice},{},{issued},{due},{},{},{},PO-{},\"{}\"",
                customer.code,
                customer.currency,
                total.to_decimal_string(),
                tax.to_decimal_string(),
                rng.range(10_000, 99_999),
                rng.pick(&[
                    "Monthly supply order",
                    "Spare parts",
                    "Installation service",
                    "Consumables",
                    "Freight and handling"
                ]),
            );
            if rng.chance(3) {
                let amount = Money::new(total.minor() / rng.range(5, 20) as i64, customer.currency);
                let reason = *rng.pick(&[
                    ReasonCode::Pricing,
                    ReasonCode::Damaged,
                    ReasonCode::ShortShipment,
                ]);
                events.push(Event::CreditMemo {
                    customer: index,
                    invoice: invoice.clone(),
                    amount,
                    day: add(issued, rng.range(3, 25) as i64),
                    reason,
                });
            }
            let paid_on = match customer.habit {
                Habit::Prompt => Some(add(due, rng.range(0, 8) as i64 - 5)),
                Habit::DiscountTaker if rng.chance(85) => {
                    Some(add(issued, rng.range(3, 11) as i64))
                }
                Habit::DiscountTaker => Some(add(due, rng.range(0, 10) as i64)),
                Habit::Slow => Some(add(due, rng.range(10, 45) as i64)),
                Habit::Late if rng.chance(85) => Some(add(due, rng.range(30, 100) as i64)),
                Habit::Late => None,
                Habit::Delinquent if issued < add(start, 120) && rng.chance(60) => {
                    Some(add(due, rng.range(30, 90) as i64))
                }
                Habit::Delinquent => None,
            };
            // Nobody pays an invoice before it is issued.
            let paid_on = paid_on.map(|day| day.max(issued));
            match paid_on {
                Some(day) if day <= options.as_of => pending.push((invoice, total, day)),
                Some(_) => {}
                None if add(due, 150) <= options.as_of && rng.chance(50) => {
                    events.push(Event::WriteOff {
                        invoice,
                        day: add(due, 150),
                    });
                }
                None => {}
            }
        }
        // Some customers pay several invoices with one remittance; others one by one.
        pending.sort_by_key(|p| p.2);
        let mut batch: Vec<(String, Money, Date)> = Vec::new();
        for invoice in pending {
            let combine = customer.habit != Habit::DiscountTaker && rng.chance(35);
            if let Some(last) = batch.last()
                && !(combine && invoice.2 <= add(last.2, 10))
            {
                push_payment(
                    &mut events,
                    &mut rng,
                    index,
                    customer,
                    std::mem::take(&mut batch),
                );
            }
            batch.push(invoice);
        }
        push_payment(&mut events, &mut rng, index, customer, batch);
        if customer.habit == Habit::Late && rng.chance(40) {
            let amount = Money::new(
                rng.range(25, 400) as i64 * customer.currency.minor_per_major(),
                customer.currency,
            );
            events.push(Event::LateInterest {
                customer: index,
                amount,
                day: add(options.as_of, -(rng.range(5, 60) as i64)),
            });
        }
    }

    std::fs::create_dir_all(work_dir).map_err(|source| ServiceError::Io {
        path: work_dir.to_path_buf(),
        source,
    })?;
    let customers_path = work_dir.join("demo-customers.csv");
    let invoices_path = work_dir.join("demo-invoices.csv");
    for (path, text) in [
        (&customers_path, &customers_csv),
        (&invoices_path, &invoices_csv),
    ] {
        std::fs::write(path, text).map_err(|source| ServiceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    let quiet = |_: u64, _: u64| {};
    let imported = settle
        .import_customers(&customers_path, ImportOptions::default(), &quiet)
        .await?;
    summary.customers = imported.stored as usize;
    let imported = settle
        .import_invoices(&invoices_path, ImportOptions::default(), &quiet)
        .await?;
    summary.invoices = imported.stored as usize;
    let _ = std::fs::remove_file(&customers_path);
    let _ = std::fs::remove_file(&invoices_path);

    events.sort_by_key(Event::day);
    let mut reference = 0;
    // A dollar payment applied in the last days, for the bank to return on the last one.
    let mut returnable: Option<ReturnedPayment> = None;
    let mut payments_by_customer: HashMap<usize, Vec<PaymentId>> = HashMap::new();
    for event in events {
        match event {
            Event::Pay {
                customer,
                invoices,
                day,
                amount,
                method,
            } => {
                reference += 1;
                let bank_reference = format!("BNK{:08}", 10_000_000 + reference * 7);
                let request = PaymentRequest {
                    customer: Some(customers[customer].code.clone()),
                    amount: amount.to_decimal_string(),
                    currency: Some(amount.currency()),
                    received_on: day,
                    method,
                    bank_reference: bank_reference.clone(),
                    bank_account: "OPERATING".to_string(),
                    payer_name: String::new(),
                    // Some customers always pay from the same account: matching learns it.
                    payer_account: if customer % 10 < 3 {
                        format!("US{:010}", 4_000_000_000u64 + customer as u64 * 7)
                    } else {
                        String::new()
                    },
                    memo: invoices
                        .iter()
                        .map(|i| i.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                let posted = settle.post_payment(request, None).await?.value;
                summary.payments += 1;
                payments_by_customer
                    .entry(customer)
                    .or_default()
                    .push(posted.payment_id);
                // Some of the last weeks' payments arrived without usable remittance: they wait
                // for a clerk.
                if day > add(options.as_of, -21) && rng.chance(25) {
                    summary.unapplied_payments += 1;
                    continue;
                }
                if amount.currency() == Currency::USD && day > add(options.as_of, -10) {
                    returnable = Some(ReturnedPayment {
                        bank_reference,
                        amount,
                    });
                }
                for (invoice, _, _) in &invoices {
                    let apply = ApplyRequest {
                        source: ApplySource::Payment(posted.payment_id),
                        invoice: invoice.clone(),
                        amount: None,
                        date: day,
                        discount: DiscountPolicy::WhenEarned,
                    };
                    match settle.apply(apply, None).await {
                        Ok(_) => summary.applications += 1,
                        // The invoice may be settled already by a credit memo; the cash stays unapplied.
                        Err(ServiceError::Rejected(_)) => {}
                        Err(other) => return Err(other),
                    }
                }
            }
            Event::CreditMemo {
                customer,
                invoice,
                amount,
                day,
                reason,
            } => {
                let request = MemoRequest {
                    kind: ItemKind::CreditMemo,
                    customer: customers[customer].code.clone(),
                    number: None,
                    amount: amount.to_decimal_string(),
                    tax: None,
                    currency: Some(amount.currency()),
                    reason,
                    date: day,
                    due_date: None,
                    description: format!("credit on {invoice}"),
                    apply_to: Some(invoice),
                };
                match settle.issue_memo(request, None).await {
                    Ok(_) => summary.credit_memos += 1,
                    Err(ServiceError::Rejected(_)) => {}
                    Err(other) => return Err(other),
                }
            }
            Event::LateInterest {
                customer,
                amount,
                day,
            } => {
                let request = MemoRequest {
                    kind: ItemKind::DebitMemo,
                    customer: customers[customer].code.clone(),
                    number: None,
                    amount: amount.to_decimal_string(),
                    tax: None,
                    currency: Some(amount.currency()),
                    reason: ReasonCode::LateInterest,
                    date: day,
                    due_date: None,
                    description: "late-payment interest".to_string(),
                    apply_to: None,
                };
                settle.issue_memo(request, None).await?;
                summary.debit_memos += 1;
            }
            Event::WriteOff { invoice, day } => {
                let request = WriteOffRequest {
                    invoice,
                    amount: None,
                    reason: ReasonCode::BadDebt,
                    date: day,
                    policy: WriteOffPolicy::Allowance,
                    memo: "uncollectible after 150 days past due".to_string(),
                };
                match settle.write_off(request, None).await {
                    Ok(_) => summary.write_offs += 1,
                    Err(ServiceError::Rejected(_)) => {}
                    Err(other) => return Err(other),
                }
            }
        }
    }

    // Refund part of the over-payments of a few customers.
    let mut refunded = 0;
    let mut ordered: Vec<_> = payments_by_customer.into_iter().collect();
    ordered.sort_by_key(|(customer, _)| *customer);
    for (_, payments) in ordered {
        for payment in payments {
            if refunded >= 5 {
                break;
            }
            let Some(state) = settle.store().payment(settle.entity().id, payment).await? else {
                continue;
            };
            if state.unapplied.is_positive() && state.unapplied < state.amount && rng.chance(30) {
                let request = RefundRequest {
                    source: RefundFrom::Payment(payment),
                    amount: None,
                    reason: ReasonCode::Overpayment,
                    date: add(state.received_on, 14).min(options.as_of),
                    bank_account: "OPERATING".to_string(),
                    memo: "over-payment returned".to_string(),
                };
                settle.refund(request, None).await?;
                refunded += 1;
            }
        }
    }
    summary.refunds = refunded;
    // A collections team of four splits the book; a few accounts carry stops.
    let team = ["amara", "bruno", "chen", "dana"].map(String::from);
    let mut tx = settle.store().begin().await?;
    tx.spread_collectors(settle.entity().id, &team).await?;
    let change = Change::new("spread_collectors", Target::new("customers", "all"))
        .after(&serde_json::json!({ "collectors": team }));
    settle.record_change(&mut tx, change).await?;
    tx.commit().await?;
    for (index, customer) in customers.iter().enumerate() {
        let settings = match index % 60 {
            17 => crate::collections::CollectionSettings {
                do_not_contact: Some(true),
                ..Default::default()
            },
            41 => crate::collections::CollectionSettings {
                time_zone: Some("Europe/Berlin".into()),
                segment: Some("export".into()),
                ..Default::default()
            },
            _ => continue,
        };
        settle
            .set_collection_settings(&customer.code, &settings)
            .await?;
    }
    summary.bank = crate::demo_bank::bank_day(
        &settle,
        options.seed,
        options.as_of,
        &options.bank_dir,
        returnable,
    )
    .await?;
    Ok((settle, summary))
}

fn push_payment(
    events: &mut Vec<Event>,
    rng: &mut Rng,
    index: usize,
    customer: &DemoCustomer,
    invoices: Vec<(String, Money, Date)>,
) {
    let Some(last) = invoices.last() else { return };
    let day = last.2;
    let mut cents: i64 = invoices.iter().map(|i| i.1.minor()).sum();
    if customer.habit == Habit::DiscountTaker && invoices.len() == 1 {
        // The remitter deducts the 2 % discount itself.
        cents -= settle_core::money::round_div(
            i128::from(cents) * 200,
            10_000,
            settle_core::money::Rounding::HalfUp,
        ) as i64;
    } else if customer.habit == Habit::Late && rng.chance(30) {
        cents = cents * rng.range(40, 90) as i64 / 100;
    } else if rng.chance(3) {
        cents += rng.range(1, 50) as i64 * customer.currency.minor_per_major();
    }
    let method = *rng.pick(&[
        PaymentMethod::Ach,
        PaymentMethod::Ach,
        PaymentMethod::Wire,
        PaymentMethod::Check,
        PaymentMethod::Card,
    ]);
    events.push(Event::Pay {
        customer: index,
        invoices,
        day,
        amount: Money::new(cents, customer.currency),
        method,
    });
}
