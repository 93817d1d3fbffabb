//! Email that is never lost: operations queue messages in the outbox inside their own
//! transaction ([`queue_email`]); the sender ([`Settle::send_outbox`]) delivers them over SMTP.
//!
//! The sender claims one message at a time and commits the claim (status `sending`, one more
//! attempt) before it opens the SMTP conversation, then marks the message sent. A crash between
//! the server's acceptance and that mark leaves the message `sending`; a later run sends it
//! again with the same Message-ID. That message — at most one per crashed sender — is the only
//! one that can arrive twice; a message never arrives zero times while it is queued. Transient
//! failures (4xx answers, an unreachable server) wait by [`RetryPolicy`]; a permanent refusal
//! (5xx) or running out of attempts fails the message and notes it on the customer's contact
//! log, as does a bounce reported later.
//!
//! Not here: which letters a dunning run sends (the run builds them and calls
//! [`queue_email`]), and receiving mail (bounces come in through `settle outbox bounce`).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use jiff::{SignedDuration, Timestamp};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};
use serde::{Deserialize, Serialize};
use serde_json::json;

use settle_core::audit_chain::Target;
use settle_core::contact::{ContactChannel, ContactDirection, NewContactEntry};
use settle_core::email::{
    Attachment, DunningLetter, LetterItem, OutboxStatus, OutgoingEmail, RetryPolicy,
    check_message_id, message_id, parse_bounce,
};
use settle_core::ids::CustomerId;
pub use settle_store::OutboxRow;
use settle_store::{ClaimedEmail, EmailRouteRow, EntityRow, Tx};

use crate::Change;
use crate::Settle;
use crate::error::{ServiceError, ServiceResult, invalid, not_found};
use crate::templates::{RenderedEmail, Templates, render_dunning_email};

/// How long the sender waits for the server at each step of the conversation.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// What the contact log names as the writer of the outbox's notes.
const OUTBOX_SOURCE: &str = "outbox";

/// Queues `email` in the caller's transaction and returns its outbox id. The message gets its
/// Message-ID now and keeps it through every retry. Any operation that sends mail calls this
/// before it commits: the message exists exactly when the operation's other writes do.
pub(crate) async fn queue_email(
    tx: &mut Tx,
    entity: &EntityRow,
    email: OutgoingEmail,
) -> ServiceResult<i64> {
    Ok(queue_emails(tx, entity, &[email]).await?[0])
}

/// Queues many messages in the caller's transaction at once; their outbox ids in order.
pub(crate) async fn queue_emails(
    tx: &mut Tx,
    entity: &EntityRow,
    emails: &[OutgoingEmail],
) -> ServiceResult<Vec<i64>> {
    let now = Timestamp::now();
    let unique = unique_part(now);
    let domain = message_id_domain(&entity.code);
    let mut ids = Vec::with_capacity(emails.len());
    for (n, email) in emails.iter().enumerate() {
        email
            .validate()
            .map_err(|e| invalid("email", e.to_string()))?;
        ids.push(
            message_id(&format!("{unique}.{n}"), &domain)
                .map_err(|e| invalid("email", e.to_string()))?,
        );
    }
    let rows: Vec<(&OutgoingEmail, &str)> = emails
        .iter()
        .zip(&ids)
        .map(|(email, id)| (email, id.as_str()))
        .collect();
    Ok(tx.enqueue_emails(entity.id, &rows, now).await?)
}

/// Time, process and a per-process random number: unique across runs and machines without a
/// counter in the database.
fn unique_part(now: Timestamp) -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!(
        "{}.{}.{random:016x}",
        now.as_microsecond(),
        std::process::id()
    )
}

/// Message-IDs are made when a message is queued, before any sender's address is known, so
/// their right-hand side names the legal entity under the reserved `.invalid` domain
/// (RFC 2606) rather than a host we do not own.
fn message_id_domain(entity_code: &str) -> String {
    let label: String = entity_code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{}.settle.invalid", label.trim_matches('-'))
}

/// Where mail to a customer goes: its billing contacts, else its own address. Refused for a
/// customer collections must not write to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRoute {
    pub customer: i64,
    pub customer_name: String,
    /// The first billing contact's name ("" without one): letters greet them.
    pub contact_name: String,
    pub to: Vec<String>,
}

/// The route of mail to the customer with this code: every billing contact (role `billing`,
/// any case) that has an address, else the customer's own address.
pub(crate) async fn email_route(
    tx: &mut Tx,
    entity: &EntityRow,
    code: &str,
) -> ServiceResult<EmailRoute> {
    let row = tx
        .email_route(entity.id, code)
        .await?
        .ok_or_else(|| not_found(format!("customer {code}")))?;
    route_of(row).map_err(ServiceError::Refused)
}

/// The routes of many customers (a dunning run's), each a route or the reason mail to that
/// customer is refused.
pub(crate) async fn email_routes(
    tx: &mut Tx,
    entity: &EntityRow,
    customers: &[CustomerId],
) -> ServiceResult<HashMap<CustomerId, Result<EmailRoute, String>>> {
    Ok(tx
        .email_routes(entity.id, customers)
        .await?
        .into_iter()
        .map(|(customer, row)| (customer, route_of(row)))
        .collect())
}

fn route_of(row: EmailRouteRow) -> Result<EmailRoute, String> {
    let code = &row.code;
    if row.cease_communication {
        return Err(format!(
            "customer {code} asked us to cease communication: no email is sent to it"
        ));
    }
    if row.do_not_contact {
        return Err(format!(
            "customer {code} is marked do-not-contact: no email is sent to it"
        ));
    }
    let mut to: Vec<String> = Vec::new();
    for (_, address) in &row.billing_contacts {
        if !to.iter().any(|a| a.eq_ignore_ascii_case(address)) {
            to.push(address.clone());
        }
    }
    if to.is_empty() && !row.email.is_empty() {
        to.push(row.email.clone());
    }
    if to.is_empty() {
        return Err(format!(
            "customer {code} has no billing contact with an email address and no email of its own"
        ));
    }
    Ok(EmailRoute {
        customer: row.customer.0,
        customer_name: row.name,
        contact_name: row
            .billing_contacts
            .first()
            .map(|(name, _)| name.clone())
            .unwrap_or_default(),
        to,
    })
}

/// Renders a dunning letter and queues it to the customer's billing contacts (`route`) in the
/// caller's transaction; the dunning run calls this for each letter it decides on and keeps the
/// returned outbox id with its action.
pub(crate) async fn queue_dunning_letter(
    tx: &mut Tx,
    entity: &EntityRow,
    templates: &Templates,
    letter: &DunningLetter,
    route: &EmailRoute,
    source_id: &str,
) -> ServiceResult<(i64, RenderedEmail)> {
    let rendered = render_dunning_email(templates, letter)?;
    let email = OutgoingEmail {
        customer: Some(CustomerId(route.customer)),
        to: route.to.clone(),
        cc: Vec::new(),
        subject: rendered.subject.clone(),
        text: rendered.text.clone(),
        html: rendered.html.clone(),
        attachments: Vec::new(),
        not_before: None,
        source: LETTER_SOURCE.to_string(),
        source_id: source_id.to_string(),
    };
    let id = queue_email(tx, entity, email).await?;
    Ok((id, rendered))
}

/// What queued a dunning letter, in the outbox's `source`.
const LETTER_SOURCE: &str = "dunning-letter";

/// A message a person writes to a customer (not a dunning letter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdHocEmail {
    pub customer_code: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// A message in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedEmail {
    pub outbox_id: i64,
    pub message_id: String,
    pub to: Vec<String>,
}

/// Where the sender delivers: an SMTP URL and the From address. The URL may carry a user and a
/// password; neither this type's `Debug` nor any error shows the password.
#[derive(Clone)]
pub struct SmtpSettings {
    url: String,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &settle_store::redact(&self.url))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl SmtpSettings {
    /// `smtp://[user:password@]host[:port]` (plain; `?tls=starttls` or `?tls=required` to
    /// require STARTTLS, `?tls=opportunistic` to use it when offered) or
    /// `smtps://[user:password@]host[:port]` (TLS from the start). `from` is an address, with
    /// or without a display name (`Acme AR <ar@acme.example>`).
    pub fn new(url: &str, from: &str) -> ServiceResult<SmtpSettings> {
        let url = url.replacen("tls=starttls", "tls=required", 1);
        SmtpTransport::from_url(&url).map_err(|e| {
            invalid(
                "smtp url",
                format!("{}: {}", settle_store::redact(&url), redact_error(&e, &url)),
            )
        })?;
        let from: Mailbox = from
            .parse()
            .map_err(|e| invalid("from", format!("{from:?} is not an address: {e}")))?;
        Ok(SmtpSettings { url, from })
    }

    fn transport(&self) -> ServiceResult<SmtpTransport> {
        Ok(SmtpTransport::from_url(&self.url)
            .map_err(|e| invalid("smtp url", redact_error(&e, &self.url)))?
            .timeout(Some(SMTP_TIMEOUT))
            .build())
    }
}

/// An error's text with the URL's password, should it appear, hidden.
fn redact_error(error: &dyn std::fmt::Display, url: &str) -> String {
    let text = error.to_string();
    match password_of(url) {
        Some(password) if !password.is_empty() => text.replace(password, "***"),
        _ => text,
    }
}

fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let credentials = rest.split_once('@')?.0;
    Some(credentials.split_once(':')?.1)
}

/// How a run of the sender goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendOptions {
    /// Stop after this many messages (sent, retried or failed).
    pub limit: Option<usize>,
    /// A message claimed this long ago and still `sending` is taken to be abandoned by a
    /// sender that stopped, and is sent again. Longer than any one conversation can take, so
    /// that two senders running at once never both send one message.
    pub reclaim_after: SignedDuration,
    pub policy: RetryPolicy,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            limit: None,
            reclaim_after: SignedDuration::from_secs(10 * 60),
            policy: RetryPolicy::DEFAULT,
        }
    }
}

/// What became of one message in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendOutcome {
    pub outbox_id: i64,
    pub message_id: String,
    /// `sent`, `retry` or `failed`.
    pub outcome: String,
    pub attempts: i64,
    pub error: String,
}

/// What a run of the sender did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SendReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Why the run stopped before the queue was empty (the server could not be reached).
    pub stopped: Option<String>,
    pub messages: Vec<SendOutcome>,
}

/// How one SMTP attempt ended.
enum Delivery {
    Sent,
    /// The server answered 4xx: try this message again later, go on with the next.
    Transient(String),
    /// The server answered 5xx, or the message cannot be built: it will never go.
    Permanent(String),
    /// No answer (connection refused, TLS, timeout): try later, and stop this run, since the
    /// next message would meet the same server.
    Unreachable(String),
}

impl Settle {
    /// Queues a message to a customer's billing contact and notes it on the customer's
    /// contact log, in one transaction.
    pub async fn email_customer(&self, request: AdHocEmail) -> ServiceResult<QueuedEmail> {
        let mut tx = self.store().begin().await?;
        let route = email_route(&mut tx, self.entity(), &request.customer_code).await?;
        let email = OutgoingEmail {
            customer: Some(CustomerId(route.customer)),
            to: route.to.clone(),
            cc: Vec::new(),
            subject: request.subject.clone(),
            text: request.text.clone(),
            html: request.html,
            attachments: request.attachments,
            not_before: None,
            source: "email".to_string(),
            source_id: String::new(),
        };
        let outbox_id = queue_email(&mut tx, self.entity(), email).await?;
        let row = tx
            .outbox_row(self.entity().id, Some(outbox_id), None)
            .await?
            .expect("the message was just queued");
        tx.insert_contact_entry(
            self.entity().id,
            &NewContactEntry {
                customer: CustomerId(route.customer),
                occurred_at: None,
                channel: ContactChannel::Email,
                direction: ContactDirection::Outbound,
                subject: request.subject,
                body: format!(
                    "to {} ({}, outbox {outbox_id})\n\n{}",
                    route.to.join(", "),
                    row.message_id,
                    request.text
                ),
                source: OUTBOX_SOURCE.to_string(),
                source_id: outbox_id.to_string(),
                created_by: self.actor().to_string(),
                outcome: String::new(),
                next_step_on: None,
            },
        )
        .await?;
        self.record_outbox(&mut tx, "queue_email", &row, "", "queued")
            .await?;
        tx.commit().await?;
        Ok(QueuedEmail {
            outbox_id,
            message_id: row.message_id,
            to: route.to,
        })
    }

    /// Sends a customer the dunning letter of `level` now, listing its open debit items as of
    /// `as_of`, and notes it on its contact log: what a collector does between dunning runs.
    pub async fn email_letter(
        &self,
        customer_code: &str,
        level: u32,
        templates: &Templates,
        as_of: settle_core::Date,
    ) -> ServiceResult<QueuedEmail> {
        let summary = self
            .store()
            .customer_summary(self.entity().id, customer_code)
            .await?
            .ok_or_else(|| not_found(format!("customer {customer_code}")))?;
        let items: Vec<LetterItem> = summary
            .open_items
            .iter()
            .filter(|item| item.balance.minor() > 0 && item.issue_date <= as_of)
            .map(|item| LetterItem {
                number: item.number.clone(),
                issue_date: item.issue_date,
                due_date: item.due_date,
                days_overdue: i64::from((as_of - item.due_date).get_days()),
                open_balance: item.balance,
            })
            .collect();
        if items.is_empty() {
            return Err(ServiceError::Refused(format!(
                "customer {customer_code} owes nothing: there is no letter to send"
            )));
        }
        let mut tx = self.store().begin().await?;
        let route = email_route(&mut tx, self.entity(), customer_code).await?;
        let letter = DunningLetter {
            customer_code: customer_code.to_string(),
            customer_name: route.customer_name.clone(),
            contact_name: route.contact_name.clone(),
            level,
            template: String::new(),
            company_name: self.entity().name.clone(),
            items,
            as_of,
        };
        let (outbox_id, rendered) = queue_dunning_letter(
            &mut tx,
            self.entity(),
            templates,
            &letter,
            &route,
            &format!("level {level}"),
        )
        .await?;
        let row = tx
            .outbox_row(self.entity().id, Some(outbox_id), None)
            .await?
            .expect("the letter was just queued");
        tx.insert_contact_entry(
            self.entity().id,
            &NewContactEntry {
                customer: CustomerId(route.customer),
                occurred_at: None,
                channel: ContactChannel::Email,
                direction: ContactDirection::Outbound,
                subject: rendered.subject,
                body: format!(
                    "dunning letter, level {level} ({}), to {} ({}, outbox {outbox_id})",
                    letter.template_name(),
                    route.to.join(", "),
                    row.message_id
                ),
                source: OUTBOX_SOURCE.to_string(),
                source_id: outbox_id.to_string(),
                created_by: self.actor().to_string(),
                outcome: String::new(),
                next_step_on: None,
            },
        )
        .await?;
        self.record_outbox(&mut tx, "queue_email", &row, "", "queued")
            .await?;
        tx.commit().await?;
        Ok(QueuedEmail {
            outbox_id,
            message_id: row.message_id,
            to: route.to,
        })
    }

    /// The outbox, newest first.
    pub async fn outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: i64,
    ) -> ServiceResult<Vec<OutboxRow>> {
        Ok(self.store().outbox(self.entity().id, status, limit).await?)
    }

    /// Queues a failed, bounced or waiting message again, due now, with a fresh count of
    /// attempts and its Message-ID unchanged. A sent message or one in flight is refused.
    pub async fn retry_email(&self, outbox_id: i64) -> ServiceResult<OutboxRow> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let row = tx
            .outbox_row(entity, Some(outbox_id), None)
            .await?
            .ok_or_else(|| not_found(format!("outbox message {outbox_id}")))?;
        match row.status {
            OutboxStatus::Sent | OutboxStatus::Sending => {
                return Err(ServiceError::Refused(format!(
                    "outbox message {outbox_id} is {}: only queued, failed or bounced messages are retried",
                    row.status
                )));
            }
            OutboxStatus::Queued | OutboxStatus::Failed | OutboxStatus::Bounced => {}
        }
        tx.requeue_email(row.id, Timestamp::now()).await?;
        self.record_outbox(
            &mut tx,
            "retry_email",
            &row,
            &row.status.to_string(),
            "queued",
        )
        .await?;
        let row = tx.outbox_row(entity, Some(outbox_id), None).await?;
        tx.commit().await?;
        Ok(row.expect("the row was just read"))
    }

    /// Records that a sent message came back: it is marked bounced and the bounce is noted on
    /// the customer's contact log. The same bounce reported twice changes nothing the second
    /// time.
    pub async fn bounce_email(&self, message_id: &str, reason: &str) -> ServiceResult<OutboxRow> {
        let message_id = message_id.trim();
        check_message_id(message_id).map_err(|e| invalid("message id", e.to_string()))?;
        if reason.trim().is_empty() {
            return Err(invalid("reason", "is empty"));
        }
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let row = tx
            .outbox_row(entity, None, Some(message_id))
            .await?
            .ok_or_else(|| not_found(format!("outbox message {message_id}")))?;
        match row.status {
            OutboxStatus::Bounced => return Ok(row),
            OutboxStatus::Sent | OutboxStatus::Sending | OutboxStatus::Failed => {}
            OutboxStatus::Queued => {
                return Err(ServiceError::Refused(format!(
                    "outbox message {message_id} was never sent: it cannot have bounced"
                )));
            }
        }
        tx.mark_email_final(row.id, OutboxStatus::Bounced, reason)
            .await?;
        if let Some(customer) = row.customer {
            let note =
                undelivered_note(customer, &row, &format!("bounced: {reason}"), self.actor());
            tx.insert_contact_entry(entity, &note).await?;
        }
        self.record_outbox(
            &mut tx,
            "bounce_email",
            &row,
            &row.status.to_string(),
            "bounced",
        )
        .await?;
        let row = tx.outbox_row(entity, Some(row.id), None).await?;
        tx.commit().await?;
        Ok(row.expect("the row was just read"))
    }

    /// [`Settle::bounce_email`] from a delivery status notification (an `.eml` file's text).
    pub async fn bounce_from_report(&self, file: &str, text: &str) -> ServiceResult<OutboxRow> {
        let bounce = parse_bounce(text).ok_or_else(|| ServiceError::BadFile {
            file: file.to_string(),
            message: "no delivery failure found: a bounce is a delivery status notification \
                      (RFC 3464) with Action: failed and the returned message's Message-ID"
                .to_string(),
        })?;
        let reason = if bounce.status.is_empty() {
            bounce.reason
        } else {
            format!("{} ({})", bounce.reason, bounce.status)
        };
        self.bounce_email(&bounce.message_id, &reason).await
    }

    /// Sends what is due in the outbox, one message at a time, until the queue has nothing due,
    /// `limit` messages were handled, or the server cannot be reached.
    pub async fn send_outbox(
        &self,
        smtp: &SmtpSettings,
        options: &SendOptions,
    ) -> ServiceResult<SendReport> {
        let transport = smtp.transport()?;
        let mut report = SendReport::default();
        let mut session_checked = false;
        while options
            .limit
            .is_none_or(|limit| report.messages.len() < limit)
        {
            let Some(claimed) = self.claim(options).await? else {
                break;
            };
            let delivery = if session_checked {
                deliver(&transport, &smtp.from, &claimed, &smtp.url).await
            } else {
                match check_session(&transport, &smtp.url).await {
                    Session::Open => {
                        session_checked = true;
                        deliver(&transport, &smtp.from, &claimed, &smtp.url).await
                    }
                    Session::Refused(why) => {
                        // Our credentials or the server's policy, not this message: it goes
                        // back as it was, and the run ends before it fails anything.
                        let mut tx = self.store().begin().await?;
                        tx.release_email_claim(claimed.row.id).await?;
                        self.record_outbox(
                            &mut tx,
                            "release_email",
                            &claimed.row,
                            "sending",
                            "queued",
                        )
                        .await?;
                        tx.commit().await?;
                        return Err(ServiceError::Refused(format!(
                            "the SMTP server refused the session: {why}"
                        )));
                    }
                    Session::Unreachable(why) => Delivery::Unreachable(why),
                }
            };
            let outcome = self.settle_attempt(&claimed, delivery, options).await?;
            match outcome.outcome.as_str() {
                "sent" => report.sent += 1,
                "retry" => report.retried += 1,
                _ => report.failed += 1,
            }
            let stop = outcome.outcome == "retry" && outcome.error.starts_with(UNREACHABLE);
            if stop {
                report.stopped = Some(outcome.error.clone());
            }
            report.messages.push(outcome);
            if stop {
                break;
            }
        }
        Ok(report)
    }

    /// Claims the next message due, in a transaction of its own that commits before any SMTP.
    async fn claim(&self, options: &SendOptions) -> ServiceResult<Option<ClaimedEmail>> {
        let now = Timestamp::now();
        let reclaim_before = now
            .checked_sub(options.reclaim_after)
            .map_err(|e| invalid("reclaim after", e.to_string()))?;
        let mut tx = self.store().begin().await?;
        let claimed = tx
            .claim_next_email(self.entity().id, now, reclaim_before)
            .await?;
        if let Some(claimed) = &claimed {
            self.record_outbox(&mut tx, "claim_email", &claimed.row, "queued", "sending")
                .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records how an attempt ended.
    async fn settle_attempt(
        &self,
        claimed: &ClaimedEmail,
        delivery: Delivery,
        options: &SendOptions,
    ) -> ServiceResult<SendOutcome> {
        let row = &claimed.row;
        let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
        let now = Timestamp::now();
        let mut tx = self.store().begin().await?;
        let (outcome, error) = match delivery {
            Delivery::Sent => {
                tx.mark_email_sent(row.id, now).await?;
                ("sent", String::new())
            }
            Delivery::Transient(error) | Delivery::Unreachable(error)
                if options.policy.delay_after(attempts).is_some() =>
            {
                let delay = options
                    .policy
                    .delay_after(attempts)
                    .expect("checked by the guard");
                let next = now
                    .checked_add(delay)
                    .map_err(|e| invalid("retry", e.to_string()))?;
                tx.mark_email_retry(row.id, next, &error).await?;
                ("retry", error)
            }
            Delivery::Transient(error) | Delivery::Unreachable(error) => {
                let error = format!("{error} (gave up after {attempts} attempts)");
                self.fail(&mut tx, row, &error).await?;
                ("failed", error)
            }
            Delivery::Permanent(error) => {
                self.fail(&mut tx, row, &error).await?;
                ("failed", error)
            }
        };
        let change = Change::new("send_email", Target::new("email", row.id))
            .before(&json!({ "status": "sending", "attempts": row.attempts }))
            .after(&json!({ "status": outcome, "error": error }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(SendOutcome {
            outbox_id: row.id,
            message_id: row.message_id.clone(),
            outcome: outcome.to_string(),
            attempts: row.attempts,
            error,
        })
    }

    /// An outbox message's change of state in the audit trail (`from` empty for a new one).
    async fn record_outbox(
        &self,
        tx: &mut Tx,
        operation: &str,
        row: &OutboxRow,
        from: &str,
        to: &str,
    ) -> ServiceResult<()> {
        let mut change = Change::new(operation, Target::new("email", row.id)).after(&json!({
            "status": to,
            "message_id": row.message_id,
            "subject": row.subject,
            "customer": row.customer,
        }));
        if !from.is_empty() {
            change = change.before(&json!({ "status": from }));
        }
        self.record_change(tx, change).await?;
        Ok(())
    }

    async fn fail(&self, tx: &mut Tx, row: &OutboxRow, error: &str) -> ServiceResult<()> {
        tx.mark_email_final(row.id, OutboxStatus::Failed, error)
            .await?;
        if let Some(customer) = row.customer {
            let note = undelivered_note(customer, row, error, self.actor());
            tx.insert_contact_entry(self.entity().id, &note).await?;
        }
        Ok(())
    }
}

/// The contact-log note of a message that did not reach the customer.
fn undelivered_note(
    customer: CustomerId,
    row: &OutboxRow,
    why: &str,
    actor: &str,
) -> NewContactEntry {
    NewContactEntry {
        customer,
        occurred_at: None,
        channel: ContactChannel::System,
        direction: ContactDirection::Internal,
        subject: format!("Email not delivered: {}", row.subject),
        body: format!(
            "{} to {} (outbox {}, {} attempt(s)): {why}",
            row.message_id,
            row.to.join(", "),
            row.id,
            row.attempts
        ),
        source: OUTBOX_SOURCE.to_string(),
        source_id: row.id.to_string(),
        created_by: actor.to_string(),
        outcome: String::new(),
        next_step_on: None,
    }
}

/// The start of the error text of an attempt that found no server to talk to.
const UNREACHABLE: &str = "server unreachable: ";

/// Whether the server lets us in at all.
enum Session {
    Open,
    /// It answered, and refused: authentication, TLS policy, our host.
    Refused(String),
    /// It did not answer.
    Unreachable(String),
}

/// Opens one session (connect, EHLO, STARTTLS, AUTH) before a run's first message, so that a
/// wrong password or a refused session is not blamed on — and does not fail — the messages.
async fn check_session(transport: &SmtpTransport, url: &str) -> Session {
    let transport = transport.clone();
    match tokio::task::spawn_blocking(move || transport.test_connection()).await {
        Ok(Ok(true)) => Session::Open,
        Ok(Ok(false)) => {
            Session::Unreachable(format!("{UNREACHABLE}the server did not answer NOOP"))
        }
        Ok(Err(error)) if error.is_permanent() || error.is_transient() => {
            Session::Refused(redact_error(&error, url))
        }
        Ok(Err(error)) => {
            Session::Unreachable(format!("{UNREACHABLE}{}", redact_error(&error, url)))
        }
        Err(join) => {
            Session::Unreachable(format!("{UNREACHABLE}the sending thread failed: {join}"))
        }
    }
}

/// One SMTP attempt, on a blocking thread: the transport is synchronous.
async fn deliver(
    transport: &SmtpTransport,
    from: &Mailbox,
    claimed: &ClaimedEmail,
    url: &str,
) -> Delivery {
    let message = match build_message(from, claimed) {
        Ok(message) => message,
        Err(error) => return Delivery::Permanent(format!("cannot build the message: {error}")),
    };
    let transport = transport.clone();
    let sent = tokio::task::spawn_blocking(move || transport.send(&message)).await;
    match sent {
        Ok(Ok(_)) => Delivery::Sent,
        Ok(Err(error)) => {
            let text = redact_error(&error, url);
            if error.is_permanent() {
                Delivery::Permanent(text)
            } else if error.is_transient() {
                Delivery::Transient(text)
            } else {
                Delivery::Unreachable(format!("{UNREACHABLE}{text}"))
            }
        }
        Err(join) => {
            Delivery::Unreachable(format!("{UNREACHABLE}the sending thread failed: {join}"))
        }
    }
}

/// The RFC 5322 message: its stored Message-ID, dated when it was queued (so every retry is
/// the same message), text and HTML as alternatives, attachments beside them.
fn build_message(from: &Mailbox, claimed: &ClaimedEmail) -> Result<Message, String> {
    let email = &claimed.email;
    let created: Timestamp = claimed
        .row
        .created_at
        .parse()
        .map_err(|e| format!("created_at {:?}: {e}", claimed.row.created_at))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(email.subject.clone())
        .message_id(Some(claimed.row.message_id.clone()))
        .date(SystemTime::from(created));
    for to in &email.to {
        builder = builder.to(to.parse().map_err(|e| format!("to {to:?}: {e}"))?);
    }
    for cc in &email.cc {
        builder = builder.cc(cc.parse().map_err(|e| format!("cc {cc:?}: {e}"))?);
    }
    let body = match &email.html {
        Some(html) => MultiPart::alternative_plain_html(email.text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(SinglePart::plain(email.text.clone())),
    };
    let message = if email.attachments.is_empty() {
        builder.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for attachment in &email.attachments {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|e| format!("attachment {}: {e}", attachment.filename))?;
            mixed = mixed.singlepart(
                lettre::message::Attachment::new(attachment.filename.clone())
                    .body(attachment.bytes.clone(), content_type),
            );
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_name_the_entity_under_invalid() {
        assert_eq!(message_id_domain("MAIN"), "main.settle.invalid");
        assert_eq!(message_id_domain("ACME_US"), "acme-us.settle.invalid");
        let now = Timestamp::now();
        assert_ne!(unique_part(now), unique_part(now));
    }

    #[test]
    fn passwords_never_reach_messages() {
        let settings =
            SmtpSettings::new("smtp://ar:s3cret@127.0.0.1:2525", "AR <ar@acme.example>").unwrap();
        assert!(!format!("{settings:?}").contains("s3cret"));
        let error = SmtpSettings::new("ftp://ar:s3cret@host", "ar@acme.example")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("s3cret"), "{error}");
        assert_eq!(
            redact_error(&"auth failed for s3cret", "smtp://ar:s3cret@h"),
            "auth failed for ***"
        );
        assert!(SmtpSettings::new("smtp://h:25?tls=starttls", "not an address").is_err());
    }
}
