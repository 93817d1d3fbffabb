//! The customer portal: a signed, expiring link per customer, through which the customer reads
//! their statement and invoices, disputes an invoice, promises a date and sends remittance
//! advice. Nothing else of the system is reachable through it.
//!
//! A link's secret is 256 random bits, kept only as its SHA-256 (a copy of the database lets
//! nobody in); each link has its own CSRF token for its forms. Everything a customer does
//! through a link is done by the same operations a clerk's would be, acting as
//! `customer CODE (portal link N)` from `portal <address>`, so the audit trail and the records
//! (a dispute's opener, a promise's maker) say that the customer raised it.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use settle_core::access::{Permission, Role};
use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_core::audit_chain::Target;
use settle_core::dispute::DisputeReason;
use settle_core::ids::{CustomerId, ItemId};
use settle_core::money::SignPolicy;
use settle_core::{Date, Money};
use settle_store::{NewAdvice, NewPortalLink, PortalLinkRow};

use crate::collections::promises::{PromiseRequest, PromiseView};
use crate::disputes::{DisputeOpened, DisputeRequest};
use crate::documents::{DocumentData, Printer, StatementKind, StatementRequest};
use crate::error::{invalid, not_found};
use crate::ops::parse_amount;
use crate::sessions::{random_hex, stamp};
use crate::{SYSTEM_ACTOR, ServiceError, ServiceResult, Settle, sha256_hex};

/// How long a link works when its maker does not say.
pub const DEFAULT_LINK_DAYS: u32 = 30;
/// The longest a link may work: a forgotten link should not stay open for years.
pub const MAX_LINK_DAYS: u32 = 365;
/// How often a link's last use is written: reading a page must not write on every request.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);
/// How a dispute's note begins when the customer raised it, so every list shows who did.
pub const RAISED_BY_CUSTOMER: &str = "raised by the customer through the portal";
/// The most invoices one remittance advice names.
const MAX_ADVICE_INVOICES: usize = 200;
/// The longest note a customer may leave on a dispute or an advice.
const MAX_NOTE_CHARS: usize = 2_000;

/// The portal's address for a link's secret, under the server's public address.
pub fn portal_url(public_url: &str, secret: &str) -> String {
    format!("{}/portal/{secret}", public_url.trim_end_matches('/'))
}

/// A link just made: its secret is shown this once and never stored.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedPortalLink {
    pub id: i64,
    pub customer: String,
    pub customer_name: String,
    pub expires_at: String,
    pub secret: String,
}

/// What the audit trail keeps of a new link: everything but the secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LinkCreated {
    id: i64,
    customer: String,
    expires_at: String,
}

/// A link as staff see it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalLink {
    pub id: i64,
    pub customer: String,
    pub customer_name: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub last_used_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
}

/// Why a presented link does not open the portal. The portal's answer says none of this to
/// the visitor; it only chooses between "not found" and "gone".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    Unknown,
    Expired,
    Revoked,
}

/// A link that opens the portal: whose it is and the token its forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalAccess {
    pub link_id: i64,
    pub customer: CustomerId,
    pub customer_code: String,
    pub customer_name: String,
    pub csrf_token: String,
    pub expires_at: String,
}

/// A dispute the customer raises on one of their invoices.
#[derive(Debug, Clone)]
pub struct PortalDispute {
    pub invoice: String,
    pub reason: String,
    pub note: String,
    /// What is disputed; empty for all that is open and not disputed yet.
    pub amount: String,
}

/// One invoice a coming payment covers; an empty amount for all that is open on it.
#[derive(Debug, Clone)]
pub struct AdviceLine {
    pub invoice: String,
    pub amount: String,
}

/// Remittance advice: the invoices a coming payment covers.
#[derive(Debug, Clone)]
pub struct AdviceRequest {
    pub lines: Vec<AdviceLine>,
    pub expected_on: Option<Date>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdviceInvoice {
    pub number: String,
    pub amount: String,
}

/// A remittance advice as the customer and the clerks see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdviceView {
    pub id: i64,
    pub currency: String,
    pub total: String,
    pub invoices: Vec<AdviceInvoice>,
    pub expected_on: Option<Date>,
    pub note: String,
    pub status: String,
    pub sent_at: String,
    pub payment_id: Option<i64>,
}

fn today() -> Date {
    jiff::Zoned::now().date()
}

fn state_of(row: &PortalLinkRow, now: &str) -> &'static str {
    if row.revoked_at.is_some() {
        "revoked"
    } else if row.expires_at.as_str() < now {
        "expired"
    } else {
        "active"
    }
}

fn link_view(row: PortalLinkRow, now: &str) -> PortalLink {
    let state = state_of(&row, now);
    PortalLink {
        id: row.id,
        customer: row.customer_code,
        customer_name: row.customer_name,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        revoked_by: row.revoked_by,
        last_used_at: row.last_used_at,
        state,
    }
}

/// Whether a presented secret has the shape of ours (64 lowercase hex digits), checked before
/// anything is looked up.
fn well_formed(secret: &str) -> bool {
    secret.len() == 64
        && secret
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_note(field: &str, note: &str) -> ServiceResult<()> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(
            field,
            format!("at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A link as the audit trail keeps it, locked for the change.
async fn link_state(
    tx: &mut settle_store::Tx,
    entity: settle_core::ids::EntityId,
    id: i64,
) -> ServiceResult<serde_json::Value> {
    let row = tx
        .portal_link_for_update(entity, id)
        .await?
        .ok_or_else(|| not_found(format!("portal link {id}")))?;
    Ok(serde_json::json!({
        "customer": row.customer_code,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
        "revoked_by": row.revoked_by,
    }))
}

pub(crate) fn advice_view(row: settle_store::AdviceRow) -> AdviceView {
    AdviceView {
        id: row.id,
        currency: row.total.currency().code().to_string(),
        total: row.total.to_decimal_string(),
        invoices: row
            .items
            .iter()
            .map(|i| AdviceInvoice {
                number: i.number.clone(),
                amount: i.amount.to_decimal_string(),
            })
            .collect(),
        expected_on: row.expected_on,
        note: row.note,
        status: row.status,
        sent_at: row.created_at,
        payment_id: row.payment.map(|p| p.0),
    }
}

impl Settle {
    /// Refuses unless the acting user may hand out portal links (a manager, clerk or collector,
    /// or an admin). The command line acting as nobody in particular is the operator.
    async fn require_link_maker(&self) -> ServiceResult<()> {
        if self.actor() == SYSTEM_ACTOR {
            return Ok(());
        }
        let mut tx = self.store().begin().await?;
        let user = tx.user(self.actor()).await?;
        drop(tx);
        let user = user.ok_or_else(|| {
            ServiceError::NotPermitted(format!(
                "{} is no user: portal links are made by a manager, clerk or collector",
                self.actor()
            ))
        })?;
        let role: Option<Role> = user.role.parse().ok();
        let allowed = user.disabled_at.is_none()
            && role.is_some_and(|r| r.may(Permission::WriteMoney) || r.may(Permission::Collect));
        if allowed {
            Ok(())
        } else {
            Err(ServiceError::NotPermitted(format!(
                "portal links are made by a manager, clerk or collector; {} is {}",
                user.name, user.role
            )))
        }
    }

    /// Makes a portal link for a customer, working `days` days (default
    /// [`DEFAULT_LINK_DAYS`]). The secret is in the answer only.
    pub async fn create_portal_link(
        &self,
        customer: &str,
        days: Option<u32>,
    ) -> ServiceResult<CreatedPortalLink> {
        let days = days.unwrap_or(DEFAULT_LINK_DAYS);
        if days == 0 || days > MAX_LINK_DAYS {
            return Err(invalid(
                "days",
                format!("a link works from 1 to {MAX_LINK_DAYS} days, not {days}"),
            ));
        }
        self.require_link_maker().await?;
        let secret = random_hex()?;
        let csrf_token = random_hex()?;
        let secret_sha256 = sha256_hex(secret.as_bytes());
        let expires_at = stamp(Timestamp::now() + SignedDuration::from_hours(24 * i64::from(days)));
        let request = format!("customer {customer}, {days} days");
        let created = self
            .write(
                None,
                "create_portal_link",
                |made: &LinkCreated| Target::new("portal_link", made.id),
                &request,
                async |tx| {
                    let entity = self.entity().id;
                    let id = tx
                        .customer_id(entity, customer)
                        .await?
                        .ok_or_else(|| not_found(format!("customer {customer:?}")))?;
                    let link = tx
                        .insert_portal_link(
                            entity,
                            &NewPortalLink {
                                customer: id,
                                secret_sha256: &secret_sha256,
                                csrf_token: &csrf_token,
                                created_by: self.actor(),
                                expires_at: &expires_at,
                            },
                        )
                        .await?;
                    Ok(LinkCreated {
                        id: link,
                        customer: customer.to_string(),
                        expires_at: expires_at.clone(),
                    })
                },
            )
            .await?
            .value;
        let name = self
            .store()
            .portal_link(&secret_sha256)
            .await?
            .map(|row| row.customer_name)
            .unwrap_or_default();
        Ok(CreatedPortalLink {
            id: created.id,
            customer: created.customer,
            customer_name: name,
            expires_at: created.expires_at,
            secret,
        })
    }

    /// The entity's portal links, newest first; with a customer code, that customer's.
    pub async fn portal_links(&self, customer: Option<&str>) -> ServiceResult<Vec<PortalLink>> {
        let customer = match customer {
            Some(code) => Some(self.customer_id(code).await?),
            None => None,
        };
        let now = stamp(Timestamp::now());
        Ok(self
            .store()
            .portal_links(self.entity().id, customer)
            .await?
            .into_iter()
            .map(|row| link_view(row, &now))
            .collect())
    }

    /// Revokes a link: it stops working at once. Revoking a revoked link changes nothing.
    pub async fn revoke_portal_link(&self, id: i64) -> ServiceResult<PortalLink> {
        self.require_link_maker().await?;
        let entity = self.entity().id;
        self.write_updating(
            None,
            "revoke_portal_link",
            |_: &serde_json::Value| Target::new("portal_link", id),
            &id.to_string(),
            async |tx| link_state(tx, entity, id).await,
            async |tx| {
                tx.revoke_portal_link(id, self.actor()).await?;
                link_state(tx, entity, id).await
            },
        )
        .await?;
        let now = stamp(Timestamp::now());
        self.store()
            .portal_links(entity, None)
            .await?
            .into_iter()
            .find(|row| row.id == id)
            .map(|row| link_view(row, &now))
            .ok_or_else(|| not_found(format!("portal link {id}")))
    }

    /// The customer a presented secret opens the portal for, or why it does not.
    pub async fn portal_access(
        &self,
        secret: &str,
    ) -> ServiceResult<Result<PortalAccess, LinkRefused>> {
        if !well_formed(secret) {
            return Ok(Err(LinkRefused::Unknown));
        }
        let Some(row) = self
            .store()
            .portal_link(&sha256_hex(secret.as_bytes()))
            .await?
        else {
            return Ok(Err(LinkRefused::Unknown));
        };
        if row.entity_id != self.entity().id {
            return Ok(Err(LinkRefused::Unknown));
        }
        let now = Timestamp::now();
        match state_of(&row, &stamp(now)) {
            "revoked" => return Ok(Err(LinkRefused::Revoked)),
            "expired" => return Ok(Err(LinkRefused::Expired)),
            _ => {}
        }
        let seen: Option<Timestamp> = row.last_used_at.as_deref().and_then(|t| t.parse().ok());
        if seen.is_none_or(|seen| now.duration_since(seen) >= TOUCH_EVERY) {
            self.store().touch_portal_link(row.id, &stamp(now)).await?;
        }
        Ok(Ok(PortalAccess {
            link_id: row.id,
            customer: row.customer,
            customer_code: row.customer_code,
            customer_name: row.customer_name,
            csrf_token: row.csrf_token,
            expires_at: row.expires_at,
        }))
    }

    /// The same database acting as the customer of a link, from a client's address.
    pub fn as_portal_customer(&self, access: &PortalAccess, address: &str) -> Settle {
        self.clone()
            .acting_as(&format!(
                "customer {} (portal link {})",
                access.customer_code, access.link_id
            ))
            .with_origin(&format!("portal {address}"))
    }

    /// The customer's open-item statement as of `as_of`: the same data as its PDF.
    pub async fn portal_statement(
        &self,
        printer: &Printer,
        access: &PortalAccess,
        as_of: Date,
    ) -> ServiceResult<DocumentData> {
        let run = self
            .prepare_statements(
                printer,
                &StatementRequest {
                    as_of,
                    kind: StatementKind::OpenItem,
                    from: None,
                    customers: vec![access.customer_code.clone()],
                    policy: AgingPolicy::standard(AgingBasis::DueDate),
                },
            )
            .await?;
        run.statements
            .into_iter()
            .next()
            .ok_or_else(|| not_found(format!("the statement of {}", access.customer_code)))
    }

    /// One of the customer's own invoices (or memos) as a document; another customer's is
    /// "not found", like one that does not exist.
    pub async fn portal_invoice(
        &self,
        printer: &Printer,
        access: &PortalAccess,
        number: &str,
    ) -> ServiceResult<DocumentData> {
        let own = self
            .store()
            .item_document(self.entity().id, number)
            .await?
            .is_some_and(|item| item.customer == access.customer);
        if !own {
            return Err(not_found(format!("invoice {number}")));
        }
        self.invoice_document(printer, number).await
    }

    /// The customer disputes one of their invoices: a real dispute, opened by the customer.
    pub async fn portal_dispute(
        &self,
        access: &PortalAccess,
        request: &PortalDispute,
    ) -> ServiceResult<DisputeOpened> {
        let reason: DisputeReason = request
            .reason
            .parse()
            .map_err(|e: settle_core::customer::UnknownValue| invalid("reason", e.to_string()))?;
        if reason == DisputeReason::Deduction {
            return Err(invalid(
                "reason",
                "a deduction is what cash application records; choose the reason for it",
            ));
        }
        check_note("note", &request.note)?;
        let invoice = request.invoice.trim();
        let amount = if request.amount.trim().is_empty() {
            let entity = self.entity().id;
            let mut tx = self.store().begin().await?;
            let item = tx
                .item_by_number(entity, None, invoice)
                .await?
                .filter(|item| item.customer == access.customer)
                .ok_or_else(|| not_found(format!("invoice {invoice:?}")))?;
            let disputed = tx.actively_disputed(entity, item.id).await?;
            drop(tx);
            let free = item.open_amount().minor() - disputed;
            if free <= 0 {
                return Err(invalid(
                    "invoice",
                    format!("{invoice} is disputed already for all that is open on it"),
                ));
            }
            Money::new(free, item.currency).to_decimal_string()
        } else {
            self.own_open_item(access, invoice).await?;
            request.amount.trim().to_string()
        };
        self.open_dispute(DisputeRequest {
            invoice: invoice.to_string(),
            amount,
            reason,
            line: None,
            owner: String::new(),
            due: None,
            note: match request.note.trim() {
                "" => RAISED_BY_CUSTOMER.to_string(),
                note => format!("{RAISED_BY_CUSTOMER}: {note}"),
            },
            date: today(),
        })
        .await
        .map(|opened| opened.value)
    }

    /// The customer promises to pay `amount` on `promised_on`: a real promise, which pauses
    /// dunning like one a collector records.
    pub async fn portal_promise(
        &self,
        access: &PortalAccess,
        amount: &str,
        promised_on: Date,
    ) -> ServiceResult<PromiseView> {
        self.promise(&PromiseRequest {
            customer: access.customer_code.clone(),
            amount: amount.trim().to_string(),
            promised_on,
            invoices: Vec::new(),
            grace_days: 0,
            recorded_on: today(),
            note: "promised by the customer through the portal".to_string(),
        })
        .await
    }

    /// An invoice of the link's customer, or "not found" (another customer's included).
    async fn own_open_item(&self, access: &PortalAccess, number: &str) -> ServiceResult<()> {
        let mut tx = self.store().begin().await?;
        let item = tx.item_by_number(self.entity().id, None, number).await?;
        drop(tx);
        match item {
            Some(item) if item.customer == access.customer => Ok(()),
            _ => Err(not_found(format!("invoice {number:?}"))),
        }
    }

    /// The customer says which of their open invoices a coming payment covers (and how much
    /// of each); cash application uses it when the money arrives.
    pub async fn portal_advice(
        &self,
        access: &PortalAccess,
        request: &AdviceRequest,
    ) -> ServiceResult<AdviceView> {
        if request.lines.is_empty() {
            return Err(invalid("invoices", "tick at least one invoice"));
        }
        if request.lines.len() > MAX_ADVICE_INVOICES {
            return Err(invalid(
                "invoices",
                format!("at most {MAX_ADVICE_INVOICES} invoices in one advice"),
            ));
        }
        if let Some(expected) = request.expected_on
            && expected < today()
        {
            return Err(invalid("expected_on", format!("{expected} is in the past")));
        }
        check_note("note", &request.note)?;
        let text = format!("{request:?}");
        let created = self
            .write(
                None,
                "portal_advice",
                |view: &AdviceView| Target::new("remittance_advice", view.id),
                &text,
                async |tx| {
                    let entity = self.entity().id;
                    let mut items: Vec<(ItemId, Money)> = Vec::new();
                    let mut currency = None;
                    for line in &request.lines {
                        let number = line.invoice.trim();
                        let item = tx
                            .item_by_number(entity, None, number)
                            .await?
                            .filter(|item| item.customer == access.customer)
                            .ok_or_else(|| not_found(format!("invoice {number:?}")))?;
                        let open = item.open_amount();
                        if !item.kind.is_debit() || !open.is_positive() {
                            return Err(invalid("invoices", format!("{number} is not open")));
                        }
                        if items.iter().any(|(id, _)| *id == item.id) {
                            return Err(invalid("invoices", format!("{number} is named twice")));
                        }
                        if currency.is_some_and(|c| c != item.currency) {
                            return Err(invalid(
                                "invoices",
                                "one payment covers invoices of one currency: send one advice per currency",
                            ));
                        }
                        currency = Some(item.currency);
                        let amount = if line.amount.trim().is_empty() {
                            open
                        } else {
                            parse_amount(
                                &format!("amount for {number}"),
                                &line.amount,
                                item.currency,
                                SignPolicy::Unsigned,
                            )?
                        };
                        if !amount.is_positive() || amount.minor() > open.minor() {
                            return Err(invalid(
                                &format!("amount for {number}"),
                                format!(
                                    "between 0 and the {} open on it",
                                    open.to_decimal_string()
                                ),
                            ));
                        }
                        items.push((item.id, amount));
                    }
                    let Some(currency) = currency else {
                        return Err(invalid("invoices", "tick at least one invoice"));
                    };
                    let id = tx
                        .insert_advice(
                            entity,
                            &NewAdvice {
                                customer: access.customer,
                                currency,
                                link_id: access.link_id,
                                items: &items,
                                expected_on: request.expected_on,
                                note: request.note.trim(),
                            },
                        )
                        .await?;
                    let total = Money::sum(currency, items.iter().map(|(_, m)| *m))?;
                    Ok(AdviceView {
                        id,
                        currency: currency.code().to_string(),
                        total: total.to_decimal_string(),
                        invoices: request
                            .lines
                            .iter()
                            .zip(&items)
                            .map(|(line, (_, amount))| AdviceInvoice {
                                number: line.invoice.trim().to_string(),
                                amount: amount.to_decimal_string(),
                            })
                            .collect(),
                        expected_on: request.expected_on,
                        note: request.note.trim().to_string(),
                        status: "open".to_string(),
                        sent_at: stamp(Timestamp::now()),
                        payment_id: None,
                    })
                },
            )
            .await?;
        Ok(created.value)
    }

    /// The remittance advice a customer sent, newest first.
    pub async fn customer_advices(&self, customer: CustomerId) -> ServiceResult<Vec<AdviceView>> {
        Ok(self
            .store()
            .customer_advices(self.entity().id, customer)
            .await?
            .into_iter()
            .map(advice_view)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_the_public_address_once() {
        assert_eq!(
            portal_url("https://ar.example.com/", "ab12"),
            "https://ar.example.com/portal/ab12"
        );
        assert_eq!(
            portal_url("http://127.0.0.1:8080", "ab12"),
            "http://127.0.0.1:8080/portal/ab12"
        );
    }

    #[test]
    fn only_our_shape_of_secret_is_looked_up() {
        assert!(well_formed(&"a1".repeat(32)));
        assert!(!well_formed(&"A1".repeat(32)));
        assert!(!well_formed("stl_abc"));
        assert!(!well_formed(&"a".repeat(65)));
    }
}
