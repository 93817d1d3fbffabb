//! The company's letterhead as documents print it: name, address, contact details, tax id,
//! how to pay, and the paper size, kept as settings of the legal entity.

use std::fmt::Write as _;

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
    (
        "logo",
        "an image file (PNG, JPEG or SVG, at most 1 MB) for the letterhead; none removes it",
    ),
];

/// The largest logo kept.
const MAX_LOGO_BYTES: usize = 1024 * 1024;

/// The company's logo: an image file's kind and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `png`, `jpg` or `svg`.
    pub kind: &'static str,
    pub bytes: Vec<u8>,
}

impl Logo {
    /// The image's kind from its first bytes, so that a file named `.png` holding something
    /// else is refused rather than printed as a broken image.
    fn recognise(bytes: Vec<u8>) -> Option<Logo> {
        let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "jpg"
        } else {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
            let head = head.trim_start_matches('\u{feff}').trim_start();
            if head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg")) {
                "svg"
            } else {
                return None;
            }
        };
        Some(Logo { kind, bytes })
    }

    /// The file name templates load it by.
    pub fn file_name(&self) -> String {
        format!("logo.{}", self.kind)
    }

    /// As kept in the settings: `KIND:HEX`.
    fn encode(&self) -> String {
        let mut text = String::with_capacity(4 + self.bytes.len() * 2);
        text.push_str(self.kind);
        text.push(':');
        for byte in &self.bytes {
            let _ = write!(text, "{byte:02x}");
        }
        text
    }

    fn decode(text: &str) -> Option<Logo> {
        let (_, hex) = text.split_once(':')?;
        if hex.len() % 2 != 0 {
            return None;
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Logo::recognise(bytes)
    }
}

const PREFIX: &str = "company.";

/// The letterhead and the default paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyProfile {
    pub company: Company,
    pub paper: Paper,
    /// Set by `settle company set logo FILE`; a `logo.*` in the templates folder wins.
    pub logo: Option<Logo>,
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
        let logo = match values.get("logo") {
            Some(text) => Some(Logo::decode(text).ok_or_else(|| {
                invalid(
                    "company.logo",
                    "the stored logo is damaged: set it again with `settle company set logo FILE`",
                )
            })?),
            None => None,
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
            logo,
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
        let value = if key == "logo" {
            logo_setting(value.trim())?
        } else {
            Some(value.trim().to_string())
        };
        let mut tx = self.store().begin().await?;
        let name = format!("{PREFIX}{key}");
        self.change_setting(&mut tx, "set_company", &name, value.as_deref())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What `company set logo VALUE` keeps: the image file `VALUE` names, checked, or nothing for
/// `none`.
fn logo_setting(value: &str) -> ServiceResult<Option<String>> {
    if value.is_empty() || value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let path = std::path::Path::new(value);
    let bytes = std::fs::read(path).map_err(|source| crate::error::ServiceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(crate::error::ServiceError::BadFile {
            file: value.to_string(),
            message: format!(
                "{} bytes; a logo may have at most {MAX_LOGO_BYTES}",
                bytes.len()
            ),
        });
    }
    let logo = Logo::recognise(bytes).ok_or_else(|| crate::error::ServiceError::BadFile {
        file: value.to_string(),
        message: "not a PNG, JPEG or SVG image".to_string(),
    })?;
    Ok(Some(logo.encode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logo_is_kept_as_its_kind_and_bytes_and_read_back() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let logo = Logo::recognise(png.clone()).unwrap();
        assert_eq!(logo.file_name(), "logo.png");
        assert_eq!(Logo::decode(&logo.encode()), Some(logo));
        let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec();
        assert_eq!(Logo::recognise(svg).unwrap().kind, "svg");
        assert!(Logo::recognise(b"GIF89a".to_vec()).is_none());
        assert!(Logo::decode("png:0g").is_none());
    }
}
