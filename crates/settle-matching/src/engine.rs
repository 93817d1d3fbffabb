//! One payment against the index: find the payer, find the items the payment names, decide how
//! the money divides over them, score it, and keep the evidence.

use crate::fast_hash::FastMap as HashMap;

use settle_core::Money;
use settle_core::ids::{CustomerId, ItemId};

use crate::index::{ItemIndex, MatchIndex};
use crate::learning::{
    DUPLICATE_WINDOW_DAYS, HabitKind, POSSIBLE_DUPLICATE, cited_keys, cites_any, payer_keys,
};
use crate::normalize::{
    account_key, candidate_keys, digits_key, folded_key, name_similarity, name_tokens,
    reference_key,
};
use crate::subset::exact_subset;
use crate::{Allocation, Decision, Evidence, MatchPolicy, MatchResult, PaymentToMatch};

/// Points for each kind of evidence (a score is capped at 1000).
mod points {
    pub const NAMED_CUSTOMER: i32 = 400;
    pub const KNOWN_ACCOUNT: i32 = 450;
    pub const SHARED_ACCOUNT: i32 = 120;
    pub const NAME_CLOSE: i32 = 450;
    pub const NAME_LIKE: i32 = 120;
    pub const STRUCTURED_EXACT: i32 = 600;
    pub const TEXT_EXACT: i32 = 550;
    pub const FOLDED: i32 = 420;
    pub const TRANSPOSED: i32 = 380;
    pub const TRUNCATED: i32 = 330;
    pub const DIGITS_ONLY: i32 = 330;
    pub const PURCHASE_ORDER: i32 = 380;
    pub const AMOUNT_EXACT: i32 = 300;
    pub const AMOUNT_STATED: i32 = 300;
    pub const AMOUNT_DISCOUNT: i32 = 280;
    pub const AMOUNT_FEE: i32 = 300;
    pub const AMOUNT_SUBSET: i32 = 200;
    pub const AMOUNT_OVER: i32 = 300;
    pub const AMOUNT_SHORT: i32 = 300;
    pub const UNIQUE_AMOUNT: i32 = 400;
    pub const UNIQUE_AMOUNT_DISCOUNT: i32 = 250;
    pub const SAME_AMOUNT_TWICE: i32 = 150;
    pub const OTHER_PAYER: i32 = -250;
    pub const AMOUNT_FITS: i32 = 200;
    pub const AMOUNT_ALONE: i32 = 400;
    /// A reference read through the customer's learned habit: stronger than a guess from the
    /// digits, weaker than the number as written, so that it applies on its own only with a
    /// payer that is known too.
    pub const HABIT_PREFIX: i32 = 480;
    pub const HABIT_PURCHASE_ORDER: i32 = 470;
    /// A clerk said this payer is not this customer: enough to keep an amount-only or
    /// name-only guess below the suggestion threshold.
    pub const REJECTED_PAIRING: i32 = -350;
    /// From this much payer evidence (an account, a close name or alias, a payment already
    /// its), the payer is identified: as the parent of a group it pays for its subsidiaries.
    pub const IDENTIFIED_PAYER: i32 = 400;
    /// The payer is the parent company of the customers whose invoices it pays.
    pub const GROUP_PARENT: i32 = 100;
}

/// The rule of a payment from a parent that no reference places, paying the one open item of
/// its group that owes the amount. Automatic only when the payer is known by account.
const GROUP_AMOUNT: &str = "group-amount-unique";

/// An item the payment's references point at, with the strongest evidence for it.
#[derive(Debug, Clone)]
struct Hit {
    item: ItemIndex,
    points: i32,
    how: String,
    /// The amount the payer said they paid against it.
    stated: Option<Money>,
    /// The learned rule that found it, if one did.
    rule: Option<i64>,
}

/// How many invoices a truncated reference may complete to and still count (the amount picks
/// among them).
const MAX_COMPLETIONS: usize = 20;
/// How many invoices may share the digits of a prefix-less reference and still count.
const MAX_DIGIT_MATCHES: usize = 5;

/// Rules whose result a person should confirm, however high the score.
const NEVER_AUTOMATIC: &[&str] = &["amount-subset", "amount-repeated", "payer-only", "no-match"];

impl MatchIndex {
    /// What the index makes of one payment. A payment that looks like a duplicate of one
    /// applied already is never applied on its own: a person decides.
    pub fn match_payment(&self, payment: &PaymentToMatch, policy: &MatchPolicy) -> MatchResult {
        let mut result = self.decide(payment, policy);
        if let Some(duplicate) = self.possible_duplicate(payment) {
            if result.decision == Decision::Auto {
                result.decision = Decision::Suggest;
            }
            result.evidence.push(duplicate);
        }
        result
    }

    fn decide(&self, payment: &PaymentToMatch, policy: &MatchPolicy) -> MatchResult {
        let payers = self.payer_evidence(payment);
        let hits = self.reference_hits(payment, policy);
        let rejected = self.rejected_pairings(payment);
        // A payer identified as the parent of customers the references cite pays for its group:
        // their items count as its own.
        let group = self.group_payer(&payers, &hits);
        let owner = |item: ItemIndex| {
            let customer = self.items[item].customer;
            match group {
                Some(parent) if self.parents.get(&customer) == Some(&parent) => parent,
                _ => customer,
            }
        };

        // The customer: the one the references point at most strongly (with what is known of
        // the payer), else the payer alone.
        let mut by_customer: HashMap<CustomerId, i32> = HashMap::default();
        let mut fitting: Vec<CustomerId> = Vec::new();
        for hit in &hits {
            let customer = owner(hit.item);
            let best = by_customer.entry(customer).or_insert(0);
            *best = (*best).max(hit.points);
            if self.fits(hit.item, payment, policy) {
                fitting.push(customer);
            }
        }
        for (customer, (score, _)) in &payers {
            *by_customer.entry(*customer).or_insert(0) += score;
            if !hits.iter().any(|h| owner(h.item) == *customer)
                && (self.unique_fitting_item(*customer, payment, policy)
                    || self.allocate_in_group(payment, *customer, policy).is_some())
            {
                fitting.push(*customer);
            }
        }
        for (customer, against) in &rejected {
            if let Some(score) = by_customer.get_mut(customer) {
                *score += against.points;
            }
        }
        // Among customers the evidence points at, one that is owed what was paid stands out.
        for customer in fitting {
            if let Some(score) = by_customer.get_mut(&customer) {
                *score += points::AMOUNT_FITS;
            }
        }
        let mut ranked: Vec<(CustomerId, i32)> = by_customer.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let Some(&(customer, _)) = ranked.first() else {
            return self.by_amount_alone(payment, policy, &rejected);
        };
        let ambiguous = ranked.get(1).is_some_and(|(_, s)| ranked[0].1 - s < 100);

        let mut evidence: Vec<Evidence> = Vec::new();
        let mut score = 0i32;
        if let Some((payer_points, payer_evidence)) = payers.get(&customer) {
            score += payer_points;
            evidence.extend(payer_evidence.iter().cloned());
        }
        if let Some(against) = rejected.get(&customer) {
            score += against.points;
            evidence.push(against.clone());
        }
        // A strongly known payer paying another customer's invoices: a third party, maybe.
        if let Some((other, _)) = payers
            .iter()
            .filter(|(c, (s, _))| **c != customer && *s >= points::KNOWN_ACCOUNT)
            .max_by_key(|(c, (s, _))| (*s, **c))
        {
            score += points::OTHER_PAYER;
            evidence.push(Evidence::new(
                points::OTHER_PAYER,
                format!(
                    "the payer is known as customer {} but the references are {}'s",
                    self.customer_code(*other),
                    self.customer_code(customer)
                ),
            ));
        }
        let mut own_hits: Vec<Hit> = hits
            .into_iter()
            .filter(|h| owner(h.item) == customer)
            .collect();
        own_hits.sort_by_key(|h| {
            let item = &self.items[h.item];
            (item.due_date, item.issue_date, item.id)
        });
        let proposal = if own_hits.is_empty() {
            self.allocate_by_amount(payment, customer, policy)
        } else {
            self.allocate_cited(payment, &own_hits, policy)
        };
        if proposal.rule == "payer-only" {
            // The payer looked like someone who is owed nothing of this amount: perhaps the
            // name misled; an amount only one item in the ledger owes is a better proposal.
            let alone = self.by_amount_alone(payment, policy, &rejected);
            if alone.decision == Decision::Suggest {
                return alone;
            }
        }
        // The references count for the items the money goes to, not for those left aside.
        let allocated: Vec<ItemId> = proposal.allocations.iter().map(|a| a.item).collect();
        let counted = own_hits
            .iter()
            .filter(|h| allocated.contains(&self.items[h.item].id))
            .map(|h| h.points)
            .max();
        score += counted.unwrap_or(0);
        for hit in &own_hits {
            let used = allocated.contains(&self.items[hit.item].id);
            evidence.push(Evidence {
                points: if used { hit.points } else { 0 },
                what: if used {
                    hit.how.clone()
                } else {
                    format!("{} (not paid by this payment)", hit.how)
                },
                rule: hit.rule,
            });
        }
        score += proposal.points;
        evidence.push(Evidence::new(proposal.points, proposal.why.clone()));
        let subsidiaries = self.subsidiaries_paid(customer, &proposal.allocations);
        if !subsidiaries.is_empty() {
            score += points::GROUP_PARENT;
            let codes: Vec<String> = subsidiaries
                .iter()
                .map(|c| self.customer_code(*c))
                .collect();
            evidence.push(Evidence::new(
                points::GROUP_PARENT,
                format!(
                    "paid by its parent {} (group of {})",
                    self.customer_code(customer),
                    codes.join(", ")
                ),
            ));
        }
        // Amounts coincide: a parent's cash goes to a subsidiary on the amount alone only
        // when the parent is known by its account.
        let confirm = proposal.rule == GROUP_AMOUNT && !self.known_by_account(payment, customer);
        if confirm {
            evidence.push(Evidence::new(
                0,
                "the parent is not known by its account: a person confirms".to_string(),
            ));
        }
        if ambiguous {
            evidence.push(Evidence::new(
                0,
                format!(
                    "another customer ({}) scores nearly as high",
                    self.customer_code(ranked[1].0)
                ),
            ));
        }
        let score = score.clamp(0, 1000) as u32;
        let allocated = Money::sum(
            payment.amount.currency(),
            proposal.allocations.iter().map(|a| a.cash),
        )
        .unwrap_or(payment.amount);
        let remainder = payment
            .amount
            .checked_sub(allocated)
            .unwrap_or(payment.amount);
        let decision = if score >= policy.auto_threshold
            && !ambiguous
            && !confirm
            && !NEVER_AUTOMATIC.contains(&proposal.rule)
        {
            Decision::Auto
        } else if score >= policy.suggest_threshold
            // Naming the payer of cash whose payer is already known proposes nothing.
            && !(proposal.allocations.is_empty() && payment.customer == Some(customer))
        {
            Decision::Suggest
        } else {
            Decision::Unapplied
        };
        if decision == Decision::Unapplied {
            return unmatched(payment, Some(customer), evidence, proposal.rule).with_score(score);
        }
        MatchResult {
            payment: payment.id,
            customer: Some(customer),
            decision,
            score,
            rule: proposal.rule,
            allocations: proposal.allocations,
            remainder,
            evidence,
        }
    }

    /// Nothing names the payer or an invoice: if exactly one open item in the ledger owes the
    /// amount, propose it (a person confirms: amounts alone coincide).
    fn by_amount_alone(
        &self,
        payment: &PaymentToMatch,
        policy: &MatchPolicy,
        rejected: &HashMap<CustomerId, Evidence>,
    ) -> MatchResult {
        let candidates: Vec<ItemIndex> = self
            .by_amount
            .get(&payment.amount.minor())
            .map(|items| {
                items
                    .iter()
                    .copied()
                    .filter(|i| self.items[*i].open.currency() == payment.amount.currency())
                    .take(2)
                    .collect()
            })
            .unwrap_or_default();
        let [only] = candidates.as_slice() else {
            return unmatched(payment, None, Vec::new(), "no-match");
        };
        let item = &self.items[*only];
        let mut evidence = vec![Evidence::new(
            points::AMOUNT_ALONE,
            format!(
                "no payer or reference recognised; {} is the only open item owing {}",
                item.number, payment.amount
            ),
        )];
        let mut score = points::AMOUNT_ALONE;
        if let Some(against) = rejected.get(&item.customer) {
            score += against.points;
            evidence.push(against.clone());
        }
        let score = score.clamp(0, 1000) as u32;
        if score < policy.suggest_threshold {
            return unmatched(payment, Some(item.customer), evidence, "amount-alone")
                .with_score(score);
        }
        MatchResult {
            payment: payment.id,
            customer: Some(item.customer),
            decision: Decision::Suggest,
            score,
            rule: "amount-alone",
            allocations: self.pay_in_full(&[*only]),
            remainder: Money::zero(payment.amount.currency()),
            evidence,
        }
    }

    fn customer_code(&self, customer: CustomerId) -> String {
        self.customers
            .get(&customer)
            .map_or_else(|| customer.to_string(), |c| c.code.clone())
    }

    /// Who the payer may be, with points and evidence per customer.
    fn payer_evidence(
        &self,
        payment: &PaymentToMatch,
    ) -> HashMap<CustomerId, (i32, Vec<Evidence>)> {
        let mut found: HashMap<CustomerId, (i32, Vec<Evidence>)> = HashMap::default();
        let mut add = |customer: CustomerId, points: i32, what: String, rule: Option<i64>| {
            let entry = found.entry(customer).or_insert((0, Vec::new()));
            entry.0 += points;
            entry.1.push(Evidence { points, what, rule });
        };
        if let Some(customer) = payment.customer {
            add(
                customer,
                points::NAMED_CUSTOMER,
                format!("the payment is already {}'s", self.customer_code(customer)),
                None,
            );
        }
        let account = account_key(&payment.payer_account);
        if let Some(customers) = self.payers.get(&account) {
            let points = if customers.len() == 1 {
                points::KNOWN_ACCOUNT
            } else {
                points::SHARED_ACCOUNT
            };
            for customer in customers {
                add(
                    *customer,
                    points,
                    format!(
                        "learned: account {} paid for {} before",
                        payment.payer_account,
                        self.customer_code(*customer)
                    ),
                    None,
                );
            }
        }
        if payment.payer_name.trim().is_empty() {
            self.names_in_text(payment, &mut add);
        }
        let payer_words = name_tokens(&payment.payer_name);
        let (named, whole) = self.customers_named(&payer_words);
        if !named.is_empty() {
            let points = if named.len() == 1 {
                points::NAME_CLOSE
            } else {
                points::NAME_LIKE
            };
            let key = payer_words.join(" ");
            for customer in named {
                let code = self.customer_code(customer);
                let cut = if whole { "" } else { ", cut short" };
                match self.learned_alias(&key, whole, customer) {
                    Some((rule, source)) => add(
                        customer,
                        points,
                        format!(
                            "learned: payer name {:?} is an alias of {code}{cut} ({})",
                            payment.payer_name,
                            if source == "user" {
                                "entered by a user"
                            } else {
                                "from a clerk's decision"
                            }
                        ),
                        Some(rule),
                    ),
                    None => add(
                        customer,
                        points,
                        format!("payer name {:?} is {code}'s name{cut}", payment.payer_name),
                        None,
                    ),
                }
            }
            return found;
        }
        for customer in self.name_candidates(&payer_words) {
            let Some(names) = self.customers.get(&customer) else {
                continue;
            };
            let similarity = names
                .names
                .iter()
                .map(|n| name_similarity(&payer_words, n))
                .fold(0.0, f64::max);
            let points = if similarity >= 0.92 {
                points::NAME_CLOSE
            } else if similarity >= 0.8 {
                points::NAME_LIKE
            } else {
                continue;
            };
            add(
                customer,
                points,
                format!(
                    "payer name {:?} is like {}'s ({similarity:.2})",
                    payment.payer_name, names.code
                ),
                None,
            );
        }
        found
    }

    /// Without a payer name: a remittance text that is a customer's name.
    fn names_in_text(
        &self,
        payment: &PaymentToMatch,
        add: &mut impl FnMut(CustomerId, i32, String, Option<i64>),
    ) {
        for text in &payment.text {
            let (named, _) = self.customers_named(&name_tokens(text));
            if let [customer] = named.as_slice() {
                add(
                    *customer,
                    points::NAME_LIKE,
                    format!(
                        "the remittance text names {}",
                        self.customer_code(*customer)
                    ),
                    None,
                );
            }
        }
    }

    /// The open items the payment's references point at, each with its best evidence.
    fn reference_hits(&self, payment: &PaymentToMatch, policy: &MatchPolicy) -> Vec<Hit> {
        let fits = |item: ItemIndex| self.fits(item, payment, policy);
        let mut best: HashMap<ItemIndex, Hit> = HashMap::default();
        let mut keep = |hit: Hit| {
            let entry = best.entry(hit.item).or_insert_with(|| hit.clone());
            if hit.points > entry.points {
                *entry = hit;
            }
        };
        for given in &payment.references {
            let key = reference_key(&given.reference);
            for (item, points, how) in self.look_up(&key, true, &fits) {
                keep(Hit {
                    item,
                    points,
                    how: format!("structured reference {:?} {how}", given.reference),
                    stated: given.paid,
                    rule: None,
                });
            }
        }
        // Exact forms of every key first; the forgiving forms only when they found nothing
        // the payment could be for (most text names its invoices as they are, and every
        // forgiving probe of words joined around a good reference would be wasted).
        let keys: Vec<String> = payment
            .text
            .iter()
            .flat_map(|t| candidate_keys(t))
            .collect();
        let mut unresolved = Vec::new();
        let mut exact_items = Vec::new();
        for key in &keys {
            let found = self.exact_look_up(key, false);
            if found.is_empty() {
                unresolved.push(key);
            }
            for (item, points, how) in found {
                exact_items.push(item);
                keep(Hit {
                    item,
                    points,
                    how: format!("remittance text {key:?} {how}"),
                    stated: None,
                    rule: None,
                });
            }
        }
        // A customer's habit of leaving out the prefix: the key with the prefix put back,
        // for that customer's invoices only.
        if !self.learning.prefixes.is_empty() {
            let structured = payment
                .references
                .iter()
                .map(|r| (reference_key(&r.reference), r.paid));
            let text = unresolved.iter().map(|k| ((*k).clone(), None));
            for (key, stated) in structured.chain(text) {
                for (item, how, rule) in self.habit_look_up(&key) {
                    keep(Hit {
                        item,
                        points: points::HABIT_PREFIX,
                        how,
                        stated,
                        rule: Some(rule),
                    });
                }
            }
        }
        let owed: i64 = exact_items
            .iter()
            .map(|i| self.items[*i].open.minor())
            .sum();
        let settled = exact_items.iter().any(|i| fits(*i)) || owed == payment.amount.minor();
        if !settled {
            for key in unresolved {
                for (item, points, how) in self.look_up(key, false, &fits) {
                    keep(Hit {
                        item,
                        points,
                        how: format!("remittance text {key:?} {how}"),
                        stated: None,
                        rule: None,
                    });
                }
            }
            // A typo that spells another real invoice: its neighbours, if one owes the amount.
            if !exact_items.is_empty() {
                for key in &keys {
                    for (item, points, how) in self.forgiving_look_up(key) {
                        if fits(item) {
                            keep(Hit {
                                item,
                                points,
                                how: format!("remittance text {key:?} {how}"),
                                stated: None,
                                rule: None,
                            });
                        }
                    }
                }
            }
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        // A purchase order cited by a customer who habitually does: the habit's rule.
        for hit in &mut hits {
            if hit.points == points::HABIT_PURCHASE_ORDER {
                hit.rule = self
                    .learning
                    .purchase_orders
                    .get(&self.items[hit.item].customer)
                    .map(|(rule, _)| *rule);
            }
        }
        hits
    }

    /// Items a key names once a customer's habitual missing prefix is put back.
    fn habit_look_up(&self, key: &str) -> Vec<(ItemIndex, String, i64)> {
        let mut found = Vec::new();
        if key.len() < 3 {
            return found;
        }
        for (prefix_key, prefix, customer, rule, times) in &self.learning.prefixes {
            let Some(items) = self.by_number.get(&format!("{prefix_key}{key}")) else {
                continue;
            };
            for item in items
                .iter()
                .filter(|i| self.items[**i].customer == *customer)
            {
                found.push((
                    *item,
                    format!(
                        "learned: {} ({}): {key:?} is invoice {}",
                        HabitKind::WithoutPrefix(prefix.clone())
                            .describe(&self.customer_code(*customer)),
                        seen(*times),
                        self.items[*item].number
                    ),
                    *rule,
                ));
            }
        }
        found
    }

    /// The alias (rule and source) a payer name matched a customer by, if it was an alias.
    fn learned_alias(&self, key: &str, whole: bool, customer: CustomerId) -> Option<(i64, &str)> {
        fn of_customer(
            rules: &[(CustomerId, i64, String)],
            customer: CustomerId,
        ) -> Option<(i64, &str)> {
            rules
                .iter()
                .find(|(c, _, _)| *c == customer)
                .map(|(_, rule, source)| (*rule, source.as_str()))
        }
        if whole {
            return self
                .learning
                .aliases
                .get(key)
                .and_then(|rules| of_customer(rules, customer));
        }
        // Cut short by the bank: the alias it is the start of (a few aliases at most).
        self.learning
            .aliases
            .iter()
            .filter(|(alias, _)| alias.starts_with(key))
            .find_map(|(_, rules)| of_customer(rules, customer))
    }

    /// Customers a clerk said this payer is not, with the evidence against each.
    fn rejected_pairings(&self, payment: &PaymentToMatch) -> HashMap<CustomerId, Evidence> {
        let mut against: HashMap<CustomerId, Evidence> = HashMap::default();
        if self.learning.rejections.is_empty() {
            return against;
        }
        for key in payer_keys(&payment.payer_account, &payment.payer_name) {
            let Some(rejections) = self.learning.rejections.get(&key) else {
                continue;
            };
            let payer = key.replacen(':', " ", 1);
            for (customer, rule, times) in rejections {
                against.entry(*customer).or_insert_with(|| {
                    Evidence::from_rule(
                        points::REJECTED_PAIRING,
                        format!(
                            "learned: a clerk rejected payer {payer} as customer {} ({times} time{})",
                            self.customer_code(*customer),
                            if *times == 1 { "" } else { "s" }
                        ),
                        *rule,
                    )
                });
            }
        }
        against
    }

    /// A payment applied already with the same payer, the same amount and the same invoice
    /// cited, within the window: this one may be the same money sent twice.
    fn possible_duplicate(&self, payment: &PaymentToMatch) -> Option<Evidence> {
        let earlier = self.learning.recent.get(&payment.amount.minor())?;
        let payer = payer_keys(&payment.payer_account, &payment.payer_name);
        let keys = cited_keys(payment);
        if payer.is_empty() || keys.is_empty() {
            return None;
        }
        earlier.iter().find_map(|other| {
            if other.id == payment.id || other.amount.currency() != payment.amount.currency() {
                return None;
            }
            let apart = payment
                .received_on
                .since(other.received_on)
                .map_or(i64::MAX, |span| i64::from(span.get_days()).abs());
            if apart > DUPLICATE_WINDOW_DAYS {
                return None;
            }
            let same_payer = payer_keys(&other.payer_account, &other.payer_name)
                .iter()
                .any(|k| payer.contains(k));
            if !same_payer {
                return None;
            }
            let invoice = cites_any(&keys, &other.invoices)?;
            Some(Evidence::new(
                0,
                format!(
                    "{POSSIBLE_DUPLICATE} {} (bank ref {}, received {}): same payer, \
                     same amount, cites {invoice} again; a person decides",
                    other.id, other.bank_reference, other.received_on
                ),
            ))
        })
    }

    /// Items a key names as it stands: an invoice number or a purchase order.
    fn exact_look_up(&self, key: &str, structured: bool) -> Vec<(ItemIndex, i32, String)> {
        let number = |item: ItemIndex| self.items[item].number.as_str();
        let mut exact: Vec<(ItemIndex, i32, String)> = Vec::new();
        if key.len() < 3 {
            return exact;
        }
        if let Some(items) = self.by_number.get(key) {
            let points = if structured {
                points::STRUCTURED_EXACT
            } else {
                points::TEXT_EXACT
            };
            exact.extend(
                items
                    .iter()
                    .map(|i| (*i, points, format!("is invoice {}", number(*i)))),
            );
        }
        if let Some(items) = self.by_po.get(key) {
            exact.extend(items.iter().map(|i| {
                let po = &self.items[*i].po_number;
                let customer = self.items[*i].customer;
                match self.learning.purchase_orders.get(&customer) {
                    Some((_, times)) => (
                        *i,
                        points::HABIT_PURCHASE_ORDER,
                        format!(
                            "is purchase order {po} of {} (learned: {} ({}))",
                            number(*i),
                            HabitKind::PurchaseOrder.describe(&self.customer_code(customer)),
                            seen(*times)
                        ),
                    ),
                    None => (
                        *i,
                        points::PURCHASE_ORDER,
                        format!("is purchase order {po} of {}", number(*i)),
                    ),
                }
            }));
        }
        exact
    }

    /// Items a reference key may name. Exact forms first; when none of those owes what was
    /// paid, the forgiving forms too (OCR folding, swapped neighbours, truncation, digits
    /// alone), keeping only candidates that owe the amount if any does: with dense invoice
    /// numbering a typo often spells another real invoice, and the amount tells them apart.
    fn look_up(
        &self,
        key: &str,
        structured: bool,
        fits: &dyn Fn(ItemIndex) -> bool,
    ) -> Vec<(ItemIndex, i32, String)> {
        if key.len() < 3 {
            return Vec::new();
        }
        let mut exact = self.exact_look_up(key, structured);
        if exact.iter().any(|(i, _, _)| fits(*i)) || !key.chars().any(|c| c.is_ascii_digit()) {
            return exact;
        }
        let fuzzy = self.forgiving_look_up(key);
        let fitting: Vec<_> = fuzzy.iter().filter(|(i, _, _)| fits(*i)).cloned().collect();
        if !fitting.is_empty() || !exact.is_empty() {
            exact.extend(fitting);
            return exact;
        }
        fuzzy
    }

    /// Candidates for a key that names no item as it stands.
    fn forgiving_look_up(&self, key: &str) -> Vec<(ItemIndex, i32, String)> {
        let number = |item: ItemIndex| self.items[item].number.as_str();
        let mut found: Vec<(ItemIndex, i32, String)> = Vec::new();
        // Folding and swapping keep a key's length: no number that long, nothing to find.
        let same_length = self.by_number.has_length(key.len());
        if same_length && let Some(items) = self.by_folded.get(&folded_key(key)) {
            found.extend(items.iter().map(|i| {
                (
                    *i,
                    points::FOLDED,
                    format!("reads as invoice {} (OCR confusion)", number(*i)),
                )
            }));
        }
        if same_length && key.len() >= 5 {
            // Keys are upper-case ASCII letters and digits (`reference_key`): swapping two
            // neighbouring bytes of one buffer spells each candidate without allocating.
            let mut swapped = key.as_bytes().to_vec();
            for position in 0..swapped.len() - 1 {
                if swapped[position] == swapped[position + 1] {
                    continue;
                }
                swapped.swap(position, position + 1);
                let candidate = std::str::from_utf8(&swapped)
                    .ok()
                    .map(|s| self.by_number.get(s));
                swapped.swap(position, position + 1);
                if let Some(Some(items)) = candidate {
                    found.extend(items.iter().map(|i| {
                        (
                            *i,
                            points::TRANSPOSED,
                            format!("is invoice {} with two characters swapped", number(*i)),
                        )
                    }));
                }
            }
        }
        if key.len() >= 6 {
            let completions: Vec<ItemIndex> = self
                .number_prefixes
                .range(key.to_string()..)
                .take_while(|(k, _)| k.starts_with(key))
                .flat_map(|(_, items)| items.iter().copied())
                .take(MAX_COMPLETIONS + 1)
                .collect();
            if completions.len() <= MAX_COMPLETIONS {
                found.extend(completions.into_iter().map(|i| {
                    (
                        i,
                        points::TRUNCATED,
                        format!("is the start of invoice {}", number(i)),
                    )
                }));
            }
        }
        if let Some(digits) = digits_key(key)
            && let Some(items) = self.by_digits.get(&digits)
            && items.len() <= MAX_DIGIT_MATCHES
        {
            found.extend(items.iter().map(|i| {
                (
                    *i,
                    points::DIGITS_ONLY,
                    format!("has the digits of invoice {}", number(*i)),
                )
            }));
        }
        found
    }

    /// The items the payment cites: how the money divides over them.
    fn allocate_cited(
        &self,
        payment: &PaymentToMatch,
        hits: &[Hit],
        policy: &MatchPolicy,
    ) -> Proposal {
        let amount = payment.amount;
        let items: Vec<ItemIndex> = hits.iter().map(|h| h.item).collect();
        let open: Vec<i64> = items.iter().map(|i| self.items[*i].open.minor()).collect();
        let total_open: i64 = open.iter().sum();
        let discounts: Vec<i64> = items
            .iter()
            .map(|i| self.earned_discount(*i, payment))
            .collect();

        // The payer said what they paid against each reference, and it adds up.
        if hits.iter().all(|h| h.stated.is_some()) {
            let stated: Vec<i64> = hits
                .iter()
                .map(|h| h.stated.map_or(0, |m| m.minor()))
                .collect();
            if stated.iter().sum::<i64>() == amount.minor()
                && stated.iter().zip(&open).all(|(s, o)| *s > 0 && s <= o)
            {
                let allocations = items
                    .iter()
                    .zip(&stated)
                    .zip(&discounts)
                    .map(|((item, paid), discount)| {
                        self.settle_item(*item, *paid, *discount, policy)
                    })
                    .collect();
                return Proposal::new(
                    "reference-stated-amounts",
                    points::AMOUNT_STATED,
                    "the amounts the payer stated per reference add up to the payment",
                    allocations,
                );
            }
        }
        if total_open == amount.minor() {
            return Proposal::new(
                "reference-exact-amount",
                points::AMOUNT_EXACT,
                "the payment equals what the cited items owe",
                self.pay_in_full(&items),
            );
        }
        let after_discount: i64 = open.iter().zip(&discounts).map(|(o, d)| o - d).sum();
        if discounts.iter().any(|d| *d > 0) && after_discount == amount.minor() {
            let allocations = items
                .iter()
                .zip(&open)
                .zip(&discounts)
                .map(|((item, o), d)| self.allocation(*item, o - d, *d, 0, 0))
                .collect();
            return Proposal::new(
                "reference-discount",
                points::AMOUNT_DISCOUNT,
                "the payment equals what the cited items owe less their earned discounts",
                allocations,
            );
        }
        if items.len() > 1
            && let Some(subset) = exact_subset(&open, amount.minor())
        {
            let chosen: Vec<ItemIndex> = subset.iter().map(|p| items[*p]).collect();
            return Proposal::new(
                "reference-subset",
                points::AMOUNT_SUBSET,
                "the payment equals what some of the cited items owe",
                self.pay_in_full(&chosen),
            );
        }
        if amount.minor() > total_open {
            return Proposal::new(
                "reference-overpayment",
                points::AMOUNT_OVER,
                "the payment is more than the cited items owe: the rest stays unapplied",
                self.pay_in_full(&items),
            );
        }
        let shortfall = total_open - amount.minor();
        if shortfall <= self.fee_tolerance(total_open, policy) {
            // The fee is taken from the largest item, which can always bear it.
            let mut allocations = self.pay_in_full(&items);
            if let Some(largest) = allocations.iter_mut().max_by_key(|a| a.cash.minor()) {
                largest.cash =
                    Money::new(largest.cash.minor() - shortfall, largest.cash.currency());
                largest.fee = Money::new(shortfall, largest.fee.currency());
            }
            return Proposal::new(
                "reference-fee",
                points::AMOUNT_FEE,
                "the payment is short of what the cited items owe by no more than the fee tolerance",
                allocations,
            );
        }
        // Short beyond tolerance: oldest first; what the last one lacks is a deduction.
        let mut left = amount.minor();
        let mut allocations = Vec::new();
        for (item, owed) in items.iter().zip(&open) {
            if left == 0 {
                break;
            }
            let cash = left.min(*owed);
            left -= cash;
            allocations.push(self.allocation(*item, cash, 0, 0, owed - cash));
        }
        Proposal::new(
            "reference-short-pay",
            points::AMOUNT_SHORT,
            "the payment is short of what the cited items owe: the rest is a deduction to dispute",
            allocations,
        )
    }

    /// The parent, among the payers identified, of a customer some reference cites (the
    /// strongest if several).
    fn group_payer(
        &self,
        payers: &HashMap<CustomerId, (i32, Vec<Evidence>)>,
        hits: &[Hit],
    ) -> Option<CustomerId> {
        if self.children.is_empty() {
            return None;
        }
        payers
            .iter()
            .filter(|(_, (score, _))| *score >= points::IDENTIFIED_PAYER)
            .filter(|(parent, _)| {
                hits.iter()
                    .any(|h| self.parents.get(&self.items[h.item].customer) == Some(*parent))
            })
            .max_by_key(|(parent, (score, _))| (*score, std::cmp::Reverse(**parent)))
            .map(|(parent, _)| *parent)
    }

    /// The subsidiaries of `parent` whose items the allocations pay, in order.
    fn subsidiaries_paid(&self, parent: CustomerId, allocations: &[Allocation]) -> Vec<CustomerId> {
        let Some(children) = self.children.get(&parent) else {
            return Vec::new();
        };
        let mut paid = Vec::new();
        for allocation in allocations {
            let subsidiary = children.iter().find(|child| {
                self.by_customer
                    .get(child)
                    .is_some_and(|items| items.iter().any(|i| self.items[*i].id == allocation.item))
            });
            if let Some(child) = subsidiary
                && !paid.contains(child)
            {
                paid.push(*child);
            }
        }
        paid
    }

    /// Whether the payer's account is known as this customer's alone.
    fn known_by_account(&self, payment: &PaymentToMatch, customer: CustomerId) -> bool {
        self.payers
            .get(&account_key(&payment.payer_account))
            .is_some_and(|customers| customers.as_slice() == [customer])
    }

    /// A parent that cites nothing: if exactly one open item of its group (its own and its
    /// subsidiaries') owes what was paid and it is a subsidiary's, that item.
    fn allocate_in_group(
        &self,
        payment: &PaymentToMatch,
        parent: CustomerId,
        policy: &MatchPolicy,
    ) -> Option<Proposal> {
        let children = self.children.get(&parent)?;
        let mut fitting = std::iter::once(&parent)
            .chain(children)
            .filter_map(|c| self.by_customer.get(c))
            .flatten()
            .copied()
            .filter(|i| self.fits(*i, payment, policy));
        let only = fitting.next()?;
        if fitting.next().is_some() || self.items[only].customer == parent {
            return None;
        }
        let item = &self.items[only];
        let discount = self.earned_discount(only, payment);
        Some(Proposal::new(
            GROUP_AMOUNT,
            points::UNIQUE_AMOUNT,
            &format!(
                "one open item of the payer's group owes the payment: {} of its subsidiary {}",
                item.number,
                self.customer_code(item.customer)
            ),
            vec![self.settle_item(only, payment.amount.minor(), discount, policy)],
        ))
    }

    /// No reference: the customer's open items by amount (a parent's: its group's).
    fn allocate_by_amount(
        &self,
        payment: &PaymentToMatch,
        customer: CustomerId,
        policy: &MatchPolicy,
    ) -> Proposal {
        if let Some(proposal) = self.allocate_in_group(payment, customer, policy) {
            return proposal;
        }
        let amount = payment.amount.minor();
        let items: Vec<ItemIndex> = self
            .by_customer
            .get(&customer)
            .map(|items| {
                items
                    .iter()
                    .copied()
                    .filter(|i| self.items[*i].open.currency() == payment.amount.currency())
                    .collect()
            })
            .unwrap_or_default();
        let exact: Vec<ItemIndex> = items
            .iter()
            .copied()
            .filter(|i| self.items[*i].open.minor() == amount)
            .collect();
        match exact.as_slice() {
            [only] => {
                return Proposal::new(
                    "amount-unique",
                    points::UNIQUE_AMOUNT,
                    "one open item of the payer owes exactly the payment",
                    self.pay_in_full(&[*only]),
                );
            }
            [oldest, ..] => {
                return Proposal::new(
                    "amount-repeated",
                    points::SAME_AMOUNT_TWICE,
                    "several open items of the payer owe exactly the payment: the oldest is proposed",
                    self.pay_in_full(&[*oldest]),
                );
            }
            [] => {}
        }
        let discounted: Vec<(ItemIndex, i64)> = items
            .iter()
            .map(|i| (*i, self.earned_discount(*i, payment)))
            .filter(|(i, d)| *d > 0 && self.items[*i].open.minor() - d == amount)
            .collect();
        if let [(item, discount)] = discounted.as_slice() {
            return Proposal::new(
                "amount-discount",
                points::UNIQUE_AMOUNT_DISCOUNT,
                "one open item of the payer owes exactly the payment after its earned discount",
                vec![self.allocation(*item, amount, *discount, 0, 0)],
            );
        }
        let window: Vec<ItemIndex> = items
            .iter()
            .copied()
            .take(policy.max_subset_items)
            .collect();
        let open: Vec<i64> = window.iter().map(|i| self.items[*i].open.minor()).collect();
        if let Some(subset) = exact_subset(&open, amount) {
            let chosen: Vec<ItemIndex> = subset.iter().map(|p| window[*p]).collect();
            return Proposal::new(
                "amount-subset",
                points::AMOUNT_SUBSET,
                "some of the payer's oldest open items add up to the payment",
                self.pay_in_full(&chosen),
            );
        }
        Proposal::new(
            "payer-only",
            0,
            "the payer is known but no open items add up to the payment",
            Vec::new(),
        )
    }

    /// Whether exactly one of a customer's open items owes what the payment paid.
    fn unique_fitting_item(
        &self,
        customer: CustomerId,
        payment: &PaymentToMatch,
        policy: &MatchPolicy,
    ) -> bool {
        self.by_customer.get(&customer).is_some_and(|items| {
            items
                .iter()
                .filter(|i| self.fits(**i, payment, policy))
                .take(2)
                .count()
                == 1
        })
    }

    /// Whether an item owes what the payment paid: exactly, less its earned discount, or
    /// less a fee within tolerance.
    fn fits(&self, item: ItemIndex, payment: &PaymentToMatch, policy: &MatchPolicy) -> bool {
        let owed = self.items[item].open;
        if owed.currency() != payment.amount.currency() {
            return false;
        }
        let (owed, paid) = (owed.minor(), payment.amount.minor());
        let short = owed - paid;
        short == 0
            || short == self.earned_discount(item, payment)
            || (short > 0 && short <= self.fee_tolerance(owed, policy))
    }

    fn earned_discount(&self, item: ItemIndex, payment: &PaymentToMatch) -> i64 {
        let item = &self.items[item];
        // Most terms offer none: skip the date arithmetic.
        if !matches!(
            item.terms,
            settle_core::terms::PaymentTerms::Discount { .. }
        ) {
            return 0;
        }
        item.terms
            .earned_discount(item.total, item.issue_date, payment.received_on)
            .ok()
            .flatten()
            .map_or(0, |d| d.minor().min(item.open.minor()))
    }

    fn fee_tolerance(&self, owed: i64, policy: &MatchPolicy) -> i64 {
        let share = i128::from(owed) * i128::from(policy.fee_tolerance_bp) / 10_000;
        i64::try_from(share)
            .unwrap_or(i64::MAX)
            .min(policy.fee_cap_minor)
    }

    /// Cash `paid` to an item, and what closes or stays of the rest.
    fn settle_item(
        &self,
        item: ItemIndex,
        paid: i64,
        discount: i64,
        policy: &MatchPolicy,
    ) -> Allocation {
        let owed = self.items[item].open.minor();
        let rest = owed - paid;
        if rest == 0 {
            self.allocation(item, paid, 0, 0, 0)
        } else if discount > 0 && rest == discount {
            self.allocation(item, paid, discount, 0, 0)
        } else if rest <= self.fee_tolerance(owed, policy) {
            self.allocation(item, paid, 0, rest, 0)
        } else {
            self.allocation(item, paid, 0, 0, rest)
        }
    }

    fn pay_in_full(&self, items: &[ItemIndex]) -> Vec<Allocation> {
        items
            .iter()
            .map(|i| self.allocation(*i, self.items[*i].open.minor(), 0, 0, 0))
            .collect()
    }

    fn allocation(
        &self,
        item: ItemIndex,
        cash: i64,
        discount: i64,
        fee: i64,
        deduction: i64,
    ) -> Allocation {
        let open = &self.items[item];
        let currency = open.open.currency();
        Allocation {
            item: open.id,
            number: open.number.clone(),
            cash: Money::new(cash, currency),
            discount: Money::new(discount, currency),
            fee: Money::new(fee, currency),
            deduction: Money::new(deduction, currency),
        }
    }
}

/// How the money divides, by which rule, and what that adds to the score.
struct Proposal {
    rule: &'static str,
    points: i32,
    why: String,
    allocations: Vec<Allocation>,
}

impl Proposal {
    fn new(rule: &'static str, points: i32, why: &str, allocations: Vec<Allocation>) -> Self {
        Proposal {
            rule,
            points,
            why: why.to_string(),
            allocations,
        }
    }
}

/// Where a habit comes from: the payments that showed it, or a user (none seen).
fn seen(times: i64) -> String {
    match times {
        0 => "entered by a user".to_string(),
        1 => "1 earlier payment".to_string(),
        n => format!("{n} earlier payments"),
    }
}

fn unmatched(
    payment: &PaymentToMatch,
    customer: Option<settle_core::ids::CustomerId>,
    evidence: Vec<Evidence>,
    rule: &'static str,
) -> MatchResult {
    MatchResult {
        payment: payment.id,
        customer,
        decision: Decision::Unapplied,
        score: 0,
        rule,
        allocations: Vec::new(),
        remainder: payment.amount,
        evidence,
    }
}

impl MatchResult {
    fn with_score(mut self, score: u32) -> Self {
        self.score = score;
        self
    }
}
