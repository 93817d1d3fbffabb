//! The lookup structures the engine asks: references to items, names to customers, payer
//! accounts to customers. Built once per run; every lookup is a hash probe or a short range
//! scan, so matching a line costs the same with a thousand or a million open items.

use std::collections::BTreeMap;

use crate::fast_hash::FastMap;

use settle_core::ids::CustomerId;

use crate::learning::{Learning, LearningIndex};
use crate::normalize::{account_key, digits_key, folded_key, name_tokens, reference_key};
use crate::{CustomerInfo, KnownPayer, OpenItem};

/// Index of an item in [`MatchIndex::items`].
pub(crate) type ItemIndex = usize;

pub struct MatchIndex {
    pub(crate) items: Vec<OpenItem>,
    /// Invoice number keys → items.
    pub(crate) by_number: KeyTable,
    /// The same keys with OCR confusions folded.
    pub(crate) by_folded: FastMap<String, Vec<ItemIndex>>,
    /// The numbers' digits alone, for references whose prefix the payer dropped.
    pub(crate) by_digits: FastMap<String, Vec<ItemIndex>>,
    /// Number keys in order, for references the bank truncated.
    pub(crate) number_prefixes: BTreeMap<String, Vec<ItemIndex>>,
    /// Purchase-order keys → items.
    pub(crate) by_po: KeyTable,
    /// Open amounts (minor units) → items, for cash no reference or payer places.
    pub(crate) by_amount: FastMap<i64, Vec<ItemIndex>>,
    /// Each customer's open items, oldest due first.
    pub(crate) by_customer: FastMap<CustomerId, Vec<ItemIndex>>,
    pub(crate) customers: FastMap<CustomerId, CustomerNames>,
    /// Name word → customers whose names have it (rare words only).
    pub(crate) name_words: FastMap<String, Vec<CustomerId>>,
    /// A name's words joined by spaces (legal forms left out) → customers, and the same keys
    /// in order, for names the bank cut short.
    pub(crate) name_keys: FastMap<String, Vec<CustomerId>>,
    pub(crate) name_prefixes: BTreeMap<String, Vec<CustomerId>>,
    pub(crate) payers: FastMap<String, Vec<CustomerId>>,
    /// Customer → its parent company, and parent → its subsidiaries (by id).
    pub(crate) parents: FastMap<CustomerId, CustomerId>,
    pub(crate) children: FastMap<CustomerId, Vec<CustomerId>>,
    /// What clerks taught: aliases' origins, reference habits, rejected pairings, payments
    /// applied recently.
    pub(crate) learning: LearningIndex,
}

/// Reference keys → items, knowing which key lengths it holds: remittance text is mostly words
/// that are no invoice or purchase-order number, and a probe of a length no key has is answered
/// without hashing.
#[derive(Default)]
pub(crate) struct KeyTable {
    map: FastMap<String, Vec<ItemIndex>>,
    /// Bit n set when some key is n bytes long (keys from 127 bytes on share the last bit, so
    /// the set never says no wrongly).
    lengths: u128,
}

impl KeyTable {
    fn with_capacity(capacity: usize) -> Self {
        KeyTable {
            map: FastMap::with_capacity_and_hasher(capacity, Default::default()),
            lengths: 0,
        }
    }

    fn insert(&mut self, key: String, item: ItemIndex) {
        self.lengths |= Self::bit(key.len());
        self.map.entry(key).or_default().push(item);
    }

    fn bit(length: usize) -> u128 {
        1u128 << length.min(127)
    }

    /// Whether some key has this length.
    pub(crate) fn has_length(&self, length: usize) -> bool {
        self.lengths & Self::bit(length) != 0
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Vec<ItemIndex>> {
        if self.has_length(key.len()) {
            self.map.get(key)
        } else {
            None
        }
    }
}

pub(crate) struct CustomerNames {
    pub(crate) code: String,
    /// The name and each alias as words.
    pub(crate) names: Vec<Vec<String>>,
}

/// Words so common in names that they select nobody.
const MAX_CUSTOMERS_PER_WORD: usize = 50;

impl MatchIndex {
    pub fn build(items: Vec<OpenItem>, customers: &[CustomerInfo], payers: &[KnownPayer]) -> Self {
        let mut index = MatchIndex {
            by_number: KeyTable::with_capacity(items.len()),
            by_folded: FastMap::with_capacity_and_hasher(items.len(), Default::default()),
            by_digits: FastMap::with_capacity_and_hasher(items.len(), Default::default()),
            number_prefixes: BTreeMap::new(),
            by_po: KeyTable::default(),
            by_amount: FastMap::default(),
            by_customer: FastMap::default(),
            customers: FastMap::with_capacity_and_hasher(customers.len(), Default::default()),
            name_words: FastMap::default(),
            name_keys: FastMap::default(),
            name_prefixes: BTreeMap::new(),
            payers: FastMap::default(),
            parents: FastMap::default(),
            children: FastMap::default(),
            learning: LearningIndex::default(),
            items,
        };
        for (position, item) in index.items.iter().enumerate() {
            let key = reference_key(&item.number);
            if key.is_empty() {
                continue;
            }
            index
                .by_folded
                .entry(folded_key(&key))
                .or_default()
                .push(position);
            if let Some(digits) = digits_key(&key) {
                index.by_digits.entry(digits).or_default().push(position);
            }
            index
                .number_prefixes
                .entry(key.clone())
                .or_default()
                .push(position);
            index.by_number.insert(key, position);
            let po = reference_key(&item.po_number);
            if po.len() >= 3 {
                index.by_po.insert(po, position);
            }
            index
                .by_customer
                .entry(item.customer)
                .or_default()
                .push(position);
            index
                .by_amount
                .entry(item.open.minor())
                .or_default()
                .push(position);
        }
        for positions in index.by_customer.values_mut() {
            let items = &index.items;
            positions.sort_by_key(|p| (items[*p].due_date, items[*p].issue_date, items[*p].id));
        }
        for customer in customers {
            if let Some(parent) = customer.parent {
                index.parents.insert(customer.id, parent);
                index.children.entry(parent).or_default().push(customer.id);
            }
            let names: Vec<Vec<String>> = std::iter::once(&customer.name)
                .chain(&customer.aliases)
                .map(|n| name_tokens(n))
                .filter(|t| !t.is_empty())
                .collect();
            for word in names.iter().flatten() {
                let entry = index.name_words.entry(word.clone()).or_default();
                if entry.last() != Some(&customer.id) {
                    entry.push(customer.id);
                }
            }
            for name in &names {
                let key = name.join(" ");
                let entry = index.name_keys.entry(key.clone()).or_default();
                if entry.last() != Some(&customer.id) {
                    entry.push(customer.id);
                }
                let entry = index.name_prefixes.entry(key).or_default();
                if entry.last() != Some(&customer.id) {
                    entry.push(customer.id);
                }
            }
            index.customers.insert(
                customer.id,
                CustomerNames {
                    code: customer.code.clone(),
                    names,
                },
            );
        }
        for children in index.children.values_mut() {
            children.sort_unstable();
        }
        index
            .name_words
            .retain(|_, customers| customers.len() <= MAX_CUSTOMERS_PER_WORD);

        for payer in payers {
            let key = account_key(&payer.account);
            if key.len() >= 4 {
                let entry = index.payers.entry(key).or_default();
                if !entry.contains(&payer.customer) {
                    entry.push(payer.customer);
                }
            }
        }
        index
    }

    /// The index with what clerks taught. A learned alias's name must also be among its
    /// customer's `aliases` given to [`MatchIndex::build`].
    pub fn with_learning(mut self, learning: Learning) -> Self {
        self.learning = LearningIndex::build(learning);
        self
    }

    pub fn item_count(&self) -> usize {
        self.items.len()
    }
}

/// How many customers a cut-short name may complete to and still count.
const MAX_NAME_COMPLETIONS: usize = 3;
/// Shorter than this, a cut name says too little.
const MIN_NAME_PREFIX: usize = 8;

impl MatchIndex {
    /// Customers whose whole name (legal form aside) is `words`, or starts so when the bank
    /// cut it; with whether the match is whole.
    pub(crate) fn customers_named(&self, words: &[String]) -> (Vec<CustomerId>, bool) {
        let key = words.join(" ");
        if key.is_empty() {
            return (Vec::new(), false);
        }
        if let Some(customers) = self.name_keys.get(&key) {
            return (customers.clone(), true);
        }
        // Cut in the middle of a word (often the legal form): the words before it.
        if let [whole_words @ .., _] = words
            && !whole_words.is_empty()
            && let Some(customers) = self.name_keys.get(&whole_words.join(" "))
        {
            return (customers.clone(), false);
        }
        if key.len() < MIN_NAME_PREFIX {
            return (Vec::new(), false);
        }
        let completions: Vec<CustomerId> = self
            .name_prefixes
            .range(key.clone()..)
            .take_while(|(k, _)| k.starts_with(&key))
            .flat_map(|(_, customers)| customers.iter().copied())
            .take(MAX_NAME_COMPLETIONS + 1)
            .collect();
        if completions.len() <= MAX_NAME_COMPLETIONS {
            (completions, false)
        } else {
            (Vec::new(), false)
        }
    }

    /// Customers a name's rarer words point at, for a fuzzy comparison.
    pub(crate) fn name_candidates(&self, words: &[String]) -> Vec<CustomerId> {
        let mut candidates: Vec<CustomerId> = words
            .iter()
            .filter_map(|w| self.name_words.get(w))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates.truncate(MAX_FUZZY_CANDIDATES);
        candidates
    }
}

/// At most this many customers are compared letter by letter with a payer's name.
const MAX_FUZZY_CANDIDATES: usize = 20;
