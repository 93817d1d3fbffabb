//! Placing an account with a collection agency and recalling it: the export file the agency
//! works from, the placed / recalled status (the customer's `agency` is set while placed, and
//! in-house dunning skips such customers), and the report of what was recovered while placed
//! with the agency's commission.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use settle_core::audit_chain::Target;
use settle_core::interest::{parse_percent, percent_text};
use settle_core::money::{Rounding, round_div};
use settle_core::{Currency, Date, Money};

use crate::Change;
use crate::error::{invalid, not_found};
use crate::{ServiceError, ServiceResult, Settle};

/// Commission rates are basis points of the cash recovered: 25 % is 2,500.
const FULL_COMMISSION: i64 = 10_000;

#[derive(Debug, Clone)]
pub struct PlacementRequest {
    pub customer: String,
    pub agency: String,
    /// A percentage of what the agency recovers ("25%", "12.5").
    pub commission: String,
    pub date: Date,
    /// Where the export file is written.
    pub out: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub placement_id: i64,
    pub customer: String,
    pub agency: String,
    pub placed_on: Date,
    pub commission_bp: i64,
    pub items: usize,
    /// What was handed over, per currency.
    pub placed: Vec<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recalled {
    pub placement_id: i64,
    pub customer: String,
    pub agency: String,
    pub recalled_on: Date,
}

/// One placement in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementLine {
    pub placement_id: i64,
    pub customer: String,
    pub agency: String,
    pub status: String,
    pub placed_on: Date,
    pub recalled_on: Option<Date>,
    /// The commission rate in percent, two decimals.
    pub commission_rate: String,
    pub placed: Money,
    /// Cash applied to the placed items while placed.
    pub recovered: Money,
    /// Recoveries × rate, rounded half up to the minor unit.
    pub commission: Money,
}

/// The commission on what was recovered, rounded half up.
pub fn commission(recovered: Money, rate_bp: i64) -> Money {
    let minor = round_div(
        i128::from(recovered.minor()) * i128::from(rate_bp),
        i128::from(FULL_COMMISSION),
        Rounding::HalfUp,
    );
    Money::new(
        i64::try_from(minor).expect("a commission is at most the recovery"),
        recovered.currency(),
    )
}

fn temporary_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

impl Settle {
    /// Places a customer's account with an agency: records the placement and its open items,
    /// marks the customer as placed and writes the export file, which appears only if the
    /// placement is committed.
    pub async fn place_with_agency(&self, request: PlacementRequest) -> ServiceResult<Placed> {
        let agency = request.agency.trim();
        if agency.is_empty() {
            return Err(invalid("agency", "name the agency"));
        }
        let rate =
            parse_percent(&request.commission).map_err(|e| invalid("commission", e.to_string()))?;
        if !(0..=FULL_COMMISSION).contains(&rate) {
            return Err(invalid("commission", "must be between 0 % and 100 %"));
        }
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let customer = tx
            .customer_by_code(entity, &request.customer)
            .await?
            .ok_or_else(|| not_found(format!("customer {:?}", request.customer)))?;
        if let Some(placement) = tx.active_placement(entity, customer.id).await? {
            return Err(ServiceError::Refused(format!(
                "customer {:?} is already placed with {} since {}: recall it first",
                request.customer, placement.agency, placement.placed_on
            )));
        }
        let items = tx.open_debit_items(entity, customer.id, None).await?;
        if items.is_empty() {
            return Err(ServiceError::Refused(format!(
                "customer {:?} owes nothing: there is nothing to place",
                request.customer
            )));
        }
        let contacts = tx.customer_contacts(entity, customer.id).await?;
        let placement_id = tx
            .insert_placement(
                entity,
                &settle_store::NewPlacement {
                    customer: customer.id,
                    agency,
                    placed_on: request.date,
                    commission_bp: rate,
                    by: self.actor(),
                },
                &items,
            )
            .await?;
        let mut placed: Vec<Money> = Vec::new();
        for item in &items {
            match placed.iter_mut().find(|m| m.currency() == item.currency) {
                Some(total) => *total = total.checked_add(item.balance)?,
                None => placed.push(item.balance),
            }
        }
        placed.sort_by_key(|a| a.currency());

        let mut csv = csv::Writer::from_writer(Vec::new());
        let write = |csv: &mut csv::Writer<Vec<u8>>, record: &[String]| {
            csv.write_record(record)
                .map_err(|e| ServiceError::Refused(format!("cannot write the export: {e}")))
        };
        write(
            &mut csv,
            &[
                "record",
                "customer",
                "name",
                "number",
                "kind",
                "issue_date",
                "due_date",
                "currency",
                "total",
                "balance",
                "days_past_due",
                "contact",
                "role",
                "email",
                "phone",
                "address",
                "country",
                "agency",
                "placed_on",
            ]
            .map(String::from),
        )?;
        let details = &customer.details;
        let blank = String::new;
        write(
            &mut csv,
            &[
                "customer".into(),
                details.code.clone(),
                details.name.clone(),
                blank(),
                blank(),
                blank(),
                blank(),
                details.currency.code().to_string(),
                blank(),
                blank(),
                blank(),
                blank(),
                blank(),
                details.email.clone(),
                details.phone.clone(),
                details.billing_address.clone(),
                details.country.clone(),
                agency.to_string(),
                request.date.to_string(),
            ],
        )?;
        for item in &items {
            let days_past_due = i64::from((request.date - item.due_date).get_days()).max(0);
            write(
                &mut csv,
                &[
                    "item".into(),
                    details.code.clone(),
                    details.name.clone(),
                    item.number.clone(),
                    item.kind.to_string(),
                    item.issue_date.to_string(),
                    item.due_date.to_string(),
                    item.currency.code().to_string(),
                    item.total.to_decimal_string(),
                    item.balance.to_decimal_string(),
                    days_past_due.to_string(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    agency.to_string(),
                    request.date.to_string(),
                ],
            )?;
        }
        for contact in &contacts {
            write(
                &mut csv,
                &[
                    "contact".into(),
                    details.code.clone(),
                    details.name.clone(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    contact.name.clone(),
                    contact.role.clone(),
                    contact.email.clone(),
                    contact.phone.clone(),
                    blank(),
                    blank(),
                    agency.to_string(),
                    request.date.to_string(),
                ],
            )?;
        }
        let bytes = csv
            .into_inner()
            .map_err(|e| ServiceError::Refused(format!("cannot write the export: {e}")))?;
        // The file appears under its name only once the placement is committed.
        let change = Change::new(
            "place_with_agency",
            Target::new("customer", &request.customer),
        )
        .after(&json!({
            "placement": placement_id,
            "agency": agency,
            "placed_on": request.date.to_string(),
            "commission_bp": rate,
            "items": items.len(),
        }));
        self.record_change(&mut tx, change).await?;
        let partial = temporary_path(&request.out);
        crate::private_files::write(&partial, &bytes).map_err(|source| ServiceError::Io {
            path: partial.clone(),
            source,
        })?;
        if let Err(error) = tx.commit().await {
            let _ = std::fs::remove_file(&partial);
            return Err(error.into());
        }
        std::fs::rename(&partial, &request.out).map_err(|source| ServiceError::Io {
            path: request.out.clone(),
            source,
        })?;
        Ok(Placed {
            placement_id,
            customer: request.customer,
            agency: agency.to_string(),
            placed_on: request.date,
            commission_bp: rate,
            items: items.len(),
            placed,
        })
    }

    /// Recalls a customer's account from its agency: in-house collection resumes.
    pub async fn recall_from_agency(&self, customer: &str, date: Date) -> ServiceResult<Recalled> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let id = tx
            .customer_id(entity, customer)
            .await?
            .ok_or_else(|| not_found(format!("customer {customer:?}")))?;
        let placement = tx.active_placement(entity, id).await?.ok_or_else(|| {
            ServiceError::Refused(format!(
                "customer {customer:?} is not placed with an agency"
            ))
        })?;
        if date < placement.placed_on {
            return Err(invalid(
                "date",
                format!("is before the placement of {}", placement.placed_on),
            ));
        }
        tx.recall_placement(entity, &placement, date).await?;
        let change = Change::new("recall_from_agency", Target::new("customer", customer))
            .before(&json!({ "placement": placement.id, "agency": placement.agency }))
            .after(&json!({ "recalled_on": date.to_string() }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(Recalled {
            placement_id: placement.id,
            customer: customer.to_string(),
            agency: placement.agency,
            recalled_on: date,
        })
    }

    /// Every placement per currency: what was placed, recovered while placed, and the
    /// commission on the recoveries.
    pub async fn agency_report(&self) -> ServiceResult<Vec<PlacementLine>> {
        let entity = self.entity().id;
        let store = self.store();
        let placements = store.placements(entity).await?;
        let placed = store.placed_balances(entity).await?;
        let recovered = store.placement_recoveries(entity).await?;
        let mut lines = Vec::new();
        for placement in placements {
            let mut currencies: Vec<Currency> = placed
                .iter()
                .chain(&recovered)
                .filter(|s| s.placement == placement.id)
                .map(|s| s.currency)
                .collect();
            currencies.sort();
            currencies.dedup();
            for currency in currencies {
                let sum = |sums: &[settle_store::PlacementSum]| {
                    Money::new(
                        sums.iter()
                            .filter(|s| s.placement == placement.id && s.currency == currency)
                            .map(|s| s.minor)
                            .sum(),
                        currency,
                    )
                };
                let recovered_here = sum(&recovered);
                lines.push(PlacementLine {
                    placement_id: placement.id,
                    customer: placement.customer_code.clone(),
                    agency: placement.agency.clone(),
                    status: placement.status.clone(),
                    placed_on: placement.placed_on,
                    recalled_on: placement.recalled_on,
                    commission_rate: percent_text(placement.commission_bp),
                    placed: sum(&placed),
                    recovered: recovered_here,
                    commission: commission(recovered_here, placement.commission_bp),
                });
            }
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_rounds_half_up() {
        let eur = Currency::from_code("EUR").unwrap();
        // 25 % of 10.02 = 2.505 → 2.51
        assert_eq!(commission(Money::new(1_002, eur), 2_500).minor(), 251);
        // 12.5 % of 0.04 = 0.005 → 0.01
        assert_eq!(commission(Money::new(4, eur), 1_250).minor(), 1);
        assert_eq!(commission(Money::new(0, eur), 2_500).minor(), 0);
    }
}
