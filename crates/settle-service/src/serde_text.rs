//! Core values that have a text form (`Display` and `FromStr`: item kinds, reason codes,
//! approval operations) serialised as that text, for requests stored as JSON while they wait
//! for approval. The core stays free of serde derives it does not need itself.

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: FromStr,
    T::Err: Display,
    D: Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// A write-off's policy as `allowance` or `direct_expense`.
pub mod write_off_policy {
    use serde::{Deserialize, Deserializer, Serializer};
    use settle_core::events::WriteOffPolicy;

    const ALLOWANCE: &str = "allowance";
    const DIRECT_EXPENSE: &str = "direct_expense";

    pub fn serialize<S: Serializer>(
        policy: &WriteOffPolicy,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match policy {
            WriteOffPolicy::Allowance => ALLOWANCE,
            WriteOffPolicy::DirectExpense => DIRECT_EXPENSE,
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<WriteOffPolicy, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            ALLOWANCE => Ok(WriteOffPolicy::Allowance),
            DIRECT_EXPENSE => Ok(WriteOffPolicy::DirectExpense),
            other => Err(serde::de::Error::custom(format!(
                "unknown write-off policy {other:?} (expected {ALLOWANCE} or {DIRECT_EXPENSE})"
            ))),
        }
    }
}
