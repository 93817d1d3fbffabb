//! Realistic payments with known answers: the ground truth the engine is measured against,
//! and the demo's bank activity.
//!
//! A seeded generator makes customers (with the names banks print for them), their open
//! invoices, a few payer accounts already known, and payments drawn from the cases cash
//! application meets: exact references, several invoices at once, earned discounts, bank fees,
//! typos and OCR confusions, truncated and prefix-less references, purchase-order numbers
//! only, the payer's name only, over- and short payments, structured remittance, and cash
//! nobody can place. Each payment carries its [`Truth`]: the customer and the cash per
//! invoice a careful clerk would book.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;
use settle_core::Money;
use settle_core::currency::Currency;
use settle_core::ids::{CustomerId, ItemId, PaymentId};
use settle_core::terms::PaymentTerms;

use crate::{CustomerInfo, GivenReference, KnownPayer, OpenItem, PaymentToMatch};

/// The kinds of payment the generator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Case {
    Exact,
    MultiInvoice,
    Structured,
    Discount,
    Fee,
    Typo,
    Truncated,
    PrefixDropped,
    PurchaseOrderOnly,
    NameOnly,
    KnownAccountOnly,
    Overpayment,
    ShortPayment,
    Unidentifiable,
}

impl Case {
    pub const ALL: [Case; 14] = [
        Case::Exact,
        Case::MultiInvoice,
        Case::Structured,
        Case::Discount,
        Case::Fee,
        Case::Typo,
        Case::Truncated,
        Case::PrefixDropped,
        Case::PurchaseOrderOnly,
        Case::NameOnly,
        Case::KnownAccountOnly,
        Case::Overpayment,
        Case::ShortPayment,
        Case::Unidentifiable,
    ];

    /// How often each case occurs, per thousand payments (roughly what A/R teams see).
    fn weight(self) -> u32 {
        match self {
            Case::Exact => 330,
            Case::MultiInvoice => 120,
            Case::Structured => 90,
            Case::Discount => 50,
            Case::Fee => 40,
            Case::Typo => 60,
            Case::Truncated => 30,
            Case::PrefixDropped => 50,
            Case::PurchaseOrderOnly => 30,
            Case::NameOnly => 50,
            Case::KnownAccountOnly => 40,
            Case::Overpayment => 40,
            Case::ShortPayment => 40,
            Case::Unidentifiable => 30,
        }
    }
}

/// What a careful clerk would book for a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Truth {
    pub case: Case,
    pub customer: Option<CustomerId>,
    /// Cash per invoice, in minor units.
    pub cash: Vec<(ItemId, i64)>,
}

impl Truth {
    /// Whether the payment can be placed at all.
    pub fn matchable(&self) -> bool {
        !self.cash.is_empty()
    }
}

/// A generated ledger and the payments against it.
pub struct Scenario {
    pub customers: Vec<CustomerInfo>,
    pub items: Vec<OpenItem>,
    pub payers: Vec<KnownPayer>,
    pub payments: Vec<(PaymentToMatch, Truth)>,
}

/// How big a scenario to make.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioSize {
    pub customers: usize,
    pub items: usize,
    pub payments: usize,
}

/// A small, fast, seeded generator (SplitMix64): the same seed makes the same scenario.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, per_thousand: u32) -> bool {
        self.below(1000) < per_thousand as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIRST_WORDS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied",
    "Dunder",
    "Gringotts",
    "Oscorp",
    "Massive",
    "Aperture",
    "Black",
    "Blue",
    "Northern",
    "Southern",
    "Pacific",
    "Atlantic",
    "Summit",
    "Pioneer",
    "Liberty",
    "Granite",
    "Cedar",
    "Harbor",
    "Sterling",
    "Apex",
    "Vertex",
    "Nimbus",
    "Falcon",
    "Orion",
    "Helix",
    "Quantum",
    "Silver",
    "Golden",
];
const SECOND_WORDS: &[&str] = &[
    "Logistics",
    "Industries",
    "Foods",
    "Tools",
    "Systems",
    "Supply",
    "Motors",
    "Textiles",
    "Energy",
    "Pharma",
    "Labs",
    "Freight",
    "Brewing",
    "Paper",
    "Plastics",
    "Metals",
    "Media",
    "Farms",
    "Electric",
    "Optics",
];
const THIRD_WORDS: &[&str] = &[
    "Boston", "Denver", "Austin", "Berlin", "Lyon", "Leeds", "Osaka", "Quebec", "Porto", "Malmo",
    "Geneva", "Dublin", "Tucson", "Omaha", "Reno", "Tampa", "Akron", "Salem", "Provo", "Fargo",
    "Bergen", "Graz", "Turku", "Ghent", "Delft", "Split", "Cork", "Bath", "York", "Kent",
];
const LEGAL_FORMS: &[&str] = &["Inc", "LLC", "Ltd", "Corp", "GmbH", "Co"];

/// A distinct name for customer `n` while the word lists last (24,000 names), then numbered.
fn company_name(rng: &mut Rng, n: usize) -> String {
    let (first, rest) = (n % FIRST_WORDS.len(), n / FIRST_WORDS.len());
    let (second, rest) = (rest % SECOND_WORDS.len(), rest / SECOND_WORDS.len());
    let (third, lap) = (rest % THIRD_WORDS.len(), rest / THIRD_WORDS.len());
    let mut name = format!(
        "{} {} {}",
        FIRST_WORDS[first], SECOND_WORDS[second], THIRD_WORDS[third]
    );
    if lap > 0 {
        name.push_str(&format!(" {lap}"));
    }
    name.push(' ');
    let legal_form = rng.pick::<&str>(LEGAL_FORMS);
    name.push_str(legal_form);
    name
}

/// Makes a scenario.
pub fn generate(seed: u64, size: ScenarioSize, received_on: Date) -> Scenario {
    let mut rng = Rng::new(seed);
    let usd = Currency::from_code("USD").expect("USD is known");
    let customers: Vec<CustomerInfo> = (0..size.customers.max(1))
        .map(|n| {
            let name = company_name(&mut rng, n);
            CustomerInfo {
                id: CustomerId(n as i64 + 1),
                code: format!("C{:06}", n + 1),
                name,
                aliases: Vec::new(),
                parent: None,
            }
        })
        .collect();
    let terms = ["NET30", "NET30", "NET45", "2/10 NET30"];
    let mut items = Vec::with_capacity(size.items);
    for n in 0..size.items {
        let customer = &customers[rng.below(customers.len())];
        let age = rng.below(120) as i64;
        let issue_date = received_on
            .checked_sub(jiff::Span::new().days(age))
            .expect("in range");
        let terms: PaymentTerms = rng.pick(&terms).parse().expect("valid terms");
        let due_date = terms.due_date(issue_date).unwrap_or(issue_date);
        // Amounts from tens to tens of thousands, cents included.
        let magnitude = [1_000, 10_000, 100_000, 1_000_000][rng.below(4)];
        let total = (magnitude + rng.below(magnitude as usize * 9) as i64).max(100);
        items.push(OpenItem {
            id: ItemId(n as i64 + 1),
            customer: customer.id,
            number: format!("INV-{:07}", 1_000_000 + n),
            po_number: format!("PO{:06}", 100_000 + rng.below(900_000)),
            open: Money::new(total, usd),
            total: Money::new(total, usd),
            issue_date,
            due_date,
            terms,
        });
    }
    let payers: Vec<KnownPayer> = customers
        .iter()
        .filter(|_| rng.chance(300))
        .map(|c| KnownPayer {
            account: account_of(c.id),
            customer: c.id,
        })
        .collect();
    let payments = payments_against(
        &mut rng,
        &Ledger {
            customers: &customers,
            items: &items,
            payers: &payers,
            currency: usd,
        },
        size.payments,
        received_on,
    );
    Scenario {
        customers,
        items,
        payers,
        payments,
    }
}

/// What payments are drawn against: the customers, their open items (all in `currency`), and
/// the payer accounts already known.
pub struct Ledger<'a> {
    pub customers: &'a [CustomerInfo],
    pub items: &'a [OpenItem],
    pub payers: &'a [KnownPayer],
    /// The currency of the payments (the items' currency; cash nobody can place is in it too).
    pub currency: Currency,
}

/// Up to `count` payments drawn from the cases against an existing ledger, each with its truth;
/// no invoice is paid twice. Fewer come back when the ledger runs out of fitting items.
pub fn payments_against(
    rng: &mut Rng,
    ledger: &Ledger<'_>,
    count: usize,
    received_on: Date,
) -> Vec<(PaymentToMatch, Truth)> {
    let position: HashMap<CustomerId, usize> = ledger
        .customers
        .iter()
        .enumerate()
        .map(|(n, c)| (c.id, n))
        .collect();
    // Each customer's items, to draw payments from.
    let mut by_customer: Vec<Vec<usize>> = vec![Vec::new(); ledger.customers.len()];
    for (at, item) in ledger.items.iter().enumerate() {
        if let Some(n) = position.get(&item.customer) {
            by_customer[*n].push(at);
        }
    }
    let known: HashMap<CustomerId, &str> = ledger
        .payers
        .iter()
        .map(|p| (p.customer, p.account.as_str()))
        .collect();
    let total_weight: u32 = Case::ALL.iter().map(|c| c.weight()).sum();
    let mut used = vec![false; ledger.items.len()];
    let mut payments = Vec::with_capacity(count);
    let mut attempts = 0;
    while payments.len() < count && attempts < count * 20 && !ledger.customers.is_empty() {
        attempts += 1;
        let mut roll = rng.below(total_weight as usize) as u32;
        let case = *Case::ALL
            .iter()
            .find(|c| {
                if roll < c.weight() {
                    true
                } else {
                    roll -= c.weight();
                    false
                }
            })
            .unwrap_or(&Case::Exact);
        let id = PaymentId(payments.len() as i64 + 1);
        let drawn = Draw {
            ledger,
            by_customer: &by_customer,
            known: &known,
            received_on,
        };
        if let Some(payment) = drawn.payment(rng, case, id, &mut used) {
            payments.push(payment);
        }
    }
    payments
}

/// The fixed context of one draw.
struct Draw<'a> {
    ledger: &'a Ledger<'a>,
    by_customer: &'a [Vec<usize>],
    known: &'a HashMap<CustomerId, &'a str>,
    received_on: Date,
}

fn account_of(customer: CustomerId) -> String {
    format!("US{:012}", 400_000_000 + customer.0 * 7)
}

impl Draw<'_> {
    fn payment(
        &self,
        rng: &mut Rng,
        case: Case,
        id: PaymentId,
        used: &mut [bool],
    ) -> Option<(PaymentToMatch, Truth)> {
        let (customers, items, by_customer, known, received_on) = (
            self.ledger.customers,
            self.ledger.items,
            self.by_customer,
            self.known,
            self.received_on,
        );
        let usd = self.ledger.currency;
        let mut payment = PaymentToMatch {
            id,
            amount: Money::zero(usd),
            received_on,
            customer: None,
            payer_name: String::new(),
            payer_account: String::new(),
            text: Vec::new(),
            references: Vec::new(),
        };
        if case == Case::Unidentifiable {
            payment.amount = Money::new(100 + rng.below(500_000) as i64, usd);
            payment.payer_name = format!("PRIVATE PERSON {}", rng.below(10_000));
            payment.text = vec!["TRANSFER".to_string()];
            return Some((
                payment,
                Truth {
                    case,
                    customer: None,
                    cash: Vec::new(),
                },
            ));
        }
        let at = rng.below(customers.len());
        let customer = &customers[at];
        let mut open: Vec<usize> = by_customer[at]
            .iter()
            .copied()
            .filter(|p| !used[*p])
            .collect();
        if case == Case::KnownAccountOnly && !known.contains_key(&customer.id) {
            return None;
        }
        let wanted = match case {
            Case::MultiInvoice => 2 + rng.below(3),
            _ => 1,
        };
        if open.len() < wanted {
            return None;
        }
        // Payments for a customer's amount-only cases must be unambiguous to a careful clerk.
        let chosen: Vec<usize> = (0..wanted)
            .map(|_| open.swap_remove(rng.below(open.len())))
            .collect();
        if matches!(case, Case::NameOnly | Case::KnownAccountOnly) {
            let amount = items[chosen[0]].open;
            let same = by_customer[at]
                .iter()
                .filter(|p| !used[**p] && items[**p].open == amount)
                .count();
            if same > 1 {
                return None;
            }
        }
        if case == Case::Discount {
            let item = &items[chosen[0]];
            let earned = item
                .terms
                .earned_discount(item.total, item.issue_date, received_on)
                .ok()
                .flatten();
            if earned.is_none_or(|d| d.is_zero()) {
                return None;
            }
        }
        for p in &chosen {
            used[*p] = true;
        }
        let numbers: Vec<&str> = chosen.iter().map(|p| items[*p].number.as_str()).collect();
        let owed: i64 = chosen.iter().map(|p| items[*p].open.minor()).sum();
        let mut cash: Vec<(ItemId, i64)> = chosen
            .iter()
            .map(|p| (items[*p].id, items[*p].open.minor()))
            .collect();
        // Check deposits and many transfers come without the payer's name.
        if case == Case::NameOnly || rng.chance(700) {
            payment.payer_name = bank_name(rng, &customer.name);
        }
        let known_account = known.get(&customer.id).copied();
        if let Some(account) = known_account
            && rng.chance(500)
        {
            payment.payer_account = account.to_string();
        }
        let mut amount = owed;
        match case {
            Case::Exact => payment.text = vec![reference_text(rng, &numbers)],
            Case::MultiInvoice => payment.text = vec![reference_text(rng, &numbers)],
            Case::Structured => {
                payment.references = numbers
                    .iter()
                    .map(|n| GivenReference {
                        reference: (*n).to_string(),
                        paid: None,
                    })
                    .collect();
            }
            Case::Discount => {
                let item = &items[chosen[0]];
                let discount = item
                    .terms
                    .earned_discount(item.total, item.issue_date, received_on)
                    .ok()
                    .flatten()
                    .map_or(0, |d| d.minor());
                amount = owed - discount;
                cash = vec![(item.id, amount)];
                payment.text = vec![reference_text(rng, &numbers)];
            }
            Case::Fee => {
                // Wire fees: a few dollars, within tolerance of the invoice.
                let fee = (owed * 30 / 10_000).clamp(1, 2_000);
                amount = owed - fee;
                cash = vec![(cash[0].0, amount)];
                payment.text = vec![reference_text(rng, &numbers)];
            }
            Case::Typo => payment.text = vec![format!("INV {}", garble(rng, numbers[0]))],
            Case::Truncated => {
                let number = numbers[0];
                payment.text = vec![format!("REF {}", &number[..number.len() - 1])];
            }
            Case::PrefixDropped => {
                let digits: String = numbers[0].chars().filter(char::is_ascii_digit).collect();
                payment.text = vec![format!("INVOICE {}", digits.trim_start_matches('0'))];
            }
            Case::PurchaseOrderOnly => {
                payment.text = vec![format!("OUR PO {}", items[chosen[0]].po_number)];
            }
            Case::NameOnly => payment.text = vec!["PAYMENT THANK YOU".to_string()],
            Case::KnownAccountOnly => {
                payment.payer_account = known_account.unwrap_or_default().to_string();
                payment.payer_name = String::new();
                payment.text = vec!["SEPA CREDIT".to_string()];
            }
            Case::Overpayment => {
                let extra = 100 + rng.below(50_000) as i64;
                amount = owed + extra;
                payment.text = vec![reference_text(rng, &numbers)];
            }
            Case::ShortPayment => {
                // Well beyond any fee tolerance: a deduction.
                let short = (owed / 5).max(3_000);
                if short >= owed {
                    return None;
                }
                amount = owed - short;
                cash = vec![(cash[0].0, amount)];
                payment.text = vec![reference_text(rng, &numbers)];
            }
            Case::Unidentifiable => {}
        }
        payment.amount = Money::new(amount, usd);
        Some((
            payment,
            Truth {
                case,
                customer: Some(customer.id),
                cash,
            },
        ))
    }
}

/// A customer name as a bank prints it: upper case, sometimes without its legal form,
/// sometimes cut at the field's width.
fn bank_name(rng: &mut Rng, name: &str) -> String {
    let mut words: Vec<String> = name.split(' ').map(str::to_uppercase).collect();
    if rng.chance(400) && words.len() > 2 {
        words.pop();
    }
    let mut text = words.join(" ");
    if rng.chance(200) && text.len() > 22 {
        text.truncate(22);
    }
    text
}

/// References as people write them.
fn reference_text(rng: &mut Rng, numbers: &[&str]) -> String {
    let style = rng.below(5);
    let written: Vec<String> = numbers
        .iter()
        .map(|n| match style {
            0 => (*n).to_string(),
            1 => n.replace('-', ""),
            2 => n.replace('-', " "),
            3 => n.to_lowercase(),
            _ => format!("#{}", n.replace("INV-", "INV")),
        })
        .collect();
    match rng.below(3) {
        0 => format!("PAYMENT {}", written.join(" ")),
        1 => format!("INVOICES {} THANK YOU", written.join(", ")),
        _ => written.join("/"),
    }
}

/// An OCR confusion or two swapped digits.
fn garble(rng: &mut Rng, number: &str) -> String {
    let mut chars: Vec<char> = number.chars().collect();
    let digits: Vec<usize> = (0..chars.len())
        .filter(|i| chars[*i].is_ascii_digit())
        .collect();
    if rng.chance(500) {
        let confusable: Vec<usize> = digits
            .iter()
            .copied()
            .filter(|i| matches!(chars[*i], '0' | '1' | '5' | '8'))
            .collect();
        if let Some(position) = confusable.get(rng.below(confusable.len().max(1))) {
            chars[*position] = match chars[*position] {
                '0' => 'O',
                '1' => 'I',
                '5' => 'S',
                _ => 'B',
            };
            return chars.into_iter().collect();
        }
    }
    // Swap two neighbouring digits that differ.
    let pairs: Vec<usize> = digits
        .windows(2)
        .filter(|w| w[1] == w[0] + 1 && chars[w[0]] != chars[w[1]])
        .map(|w| w[0])
        .collect();
    if let Some(position) = pairs.get(rng.below(pairs.len().max(1))) {
        chars.swap(*position, position + 1);
    }
    chars.into_iter().collect()
}
