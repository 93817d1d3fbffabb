//! The lookup structures the engine asks: references to items, names to customers, payer
//! accounts to customers. Built once per run; every lookup is a hash probe or a short range
//! scan, so matching a line costs the same with a thousand or a million open items.

use std::collections::BTreeMap;

use crate::fast_hash::FastMap;

use settle_core::ids::CustomerId;

use crate::normalize::{account_key, digits_key, folded_key, name_tokens, reference_key};
use crate::{CustomerInfo, KnownPayer, OpenItem};

/// Index of an item in [`MatchIndex::items`].
pub(crate) type ItemIndex = usize;

pub struct MatchIndex {
    pub(crate) items: Vec<OpenItem>,
    /// Invoice number keys → items.
    pub(crate) by_number: FastMap<String, Vec<ItemIndex>>,
    /// The same keys with OCR confusions folded.
    pub(crate) by_folded: FastMap<String, Vec<ItemIndex>>,
    /// The numbers' digits alone, for references whose prefix the payer dropped.
    pub(crate) by_digits: FastMap<String, Vec<ItemIndex>>,
    /// Number keys in order, for references the bank truncated.
    pub(crate) number_prefixes: BTreeMap<String, Vec<ItemIndex>>,
    /// Purchase-order keys → items.
    pub(crate) by_po: FastMap<String, Vec<ItemIndex>>,
    /// Each customer's open items, oldest due first.
    pub(crate) by_customer: FastMap<CustomerId, Vec<ItemIndex>>,
    pub(crate) customers: FastMap<CustomerId, CustomerNames>,
    /// Name word → customers whose names have it.
    pub(crate) name_words: FastMap<String, Vec<CustomerId>>,
    pub(crate) payers: FastMap<String, Vec<CustomerId>>,
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
            by_number: FastMap::with_capacity_and_hasher(items.len(), Default::default()),
            by_folded: FastMap::with_capacity_and_hasher(items.len(), Default::default()),
            by_digits: FastMap::with_capacity_and_hasher(items.len(), Default::default()),
            number_prefixes: BTreeMap::new(),
            by_po: FastMap::default(),
            by_customer: FastMap::default(),
            customers: FastMap::with_capacity_and_hasher(customers.len(), Default::default()),
            name_words: FastMap::default(),
            payers: FastMap::default(),
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
            index.by_number.entry(key).or_default().push(position);
            let po = reference_key(&item.po_number);
            if po.len() >= 3 {
                index.by_po.entry(po).or_default().push(position);
            }
            index
                .by_customer
                .entry(item.customer)
                .or_default()
                .push(position);
        }
        for positions in index.by_customer.values_mut() {
            let items = &index.items;
            positions.sort_by_key(|p| (items[*p].due_date, items[*p].issue_date, items[*p].id));
        }
        for customer in customers {
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
            index.customers.insert(
                customer.id,
                CustomerNames {
                    code: customer.code.clone(),
                    names,
                },
            );
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

    pub fn item_count(&self) -> usize {
        self.items.len()
    }
}
