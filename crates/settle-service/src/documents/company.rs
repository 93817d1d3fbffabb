//! The company's letterhead as documents print it: name, address, contact details, tax id,
//! how to pay, and the paper size, kept as settings of the legal entity.

use settle_documents::model::{Company, Paper};

use crate::Settle;
use crate::error::{ServiceResult, invalid};

/// The settings a letterhead is made of, with what each holds. Multi-line values (address,
/// remittance) separate lines with `|` or a line break.
pub const COMPANY_KEYS: &[(&str, &str)] = &[
    (
        "name",
        "the name printed on documents (default: the entity's name)",
    ),
    ("address", "postal address, lines separated by |"),
    ("email", "accounts-receivable email address"),
    ("phone", "telephone number"),
    ("tax_id", "VAT or tax registration number"),
    ("website", "web address"),
    (
        "remittance",
        "how to pay: bank, account, reference; lines separated by |",
    ),
    ("paper", "a4 or letter"),
];

const PREFIX: &str = "company.";

/// The letterhead and the default paper.
#[derive(Debug, Clone)]
pub struct CompanyProfile {
    pub company: Company,
    pub paper: Paper,
}

fn lines(value: &str) -> Vec<String> {
    value
        .split(['|', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

impl Settle {
    /// The company's letterhead from its settings.
    pub async fn company_profile(&self) -> ServiceResult<CompanyProfile> {
        let entity = self.entity();
        let mut values = std::collections::HashMap::new();
        for (key, _) in COMPANY_KEYS {
            if let Some(value) = self
                .store()
                .setting(entity.id, &format!("{PREFIX}{key}"))
                .await?
            {
                values.insert(*key, value);
            }
        }
        let get = |key: &str| values.get(key).cloned().unwrap_or_default();
        let name = get("name");
        let paper = match values.get("paper") {
            Some(text) => Paper::parse(text).ok_or_else(|| {
                invalid(
                    "company.paper",
                    format!("{text:?} is neither a4 nor letter"),
                )
            })?,
            None => Paper::A4,
        };
        Ok(CompanyProfile {
            company: Company {
                name: if name.is_empty() {
                    entity.name.clone()
                } else {
                    name
                },
                address: lines(&get("address")),
                email: get("email"),
                phone: get("phone"),
                tax_id: get("tax_id"),
                website: get("website"),
                remittance: lines(&get("remittance")),
            },
            paper,
        })
    }

    /// Sets one letterhead detail (see [`COMPANY_KEYS`]).
    pub async fn set_company_detail(&self, key: &str, value: &str) -> ServiceResult<()> {
        if !COMPANY_KEYS.iter().any(|(k, _)| *k == key) {
            let known: Vec<&str> = COMPANY_KEYS.iter().map(|(k, _)| *k).collect();
            return Err(invalid(
                "key",
                format!(
                    "{key:?} is not a company detail; use one of {}",
                    known.join(", ")
                ),
            ));
        }
        if key == "paper" && Paper::parse(value).is_none() {
            return Err(invalid(
                "paper",
                format!("{value:?} is neither a4 nor letter"),
            ));
        }
        let mut tx = self.store().begin().await?;
        tx.set_setting(self.entity().id, &format!("{PREFIX}{key}"), value.trim())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
