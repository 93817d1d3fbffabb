//! The email outbox: messages queued by operations in their own transactions, and the state
//! the sender moves them through (queued → sending → sent, or back to queued with a later
//! attempt time, or failed; bounced when the recipient's server returns it later).
//!
//! The store does not send and does not decide when to retry: the service passes the times.
//! Times here are UTC instants written `YYYY-MM-DDTHH:MM:SSZ`, a fixed width, so that text
//! order is time order in both engines.

use settle_core::email::{Attachment, OutboxStatus, OutgoingEmail};
use settle_core::ids::{CustomerId, EntityId};
use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Row};

use crate::bulk::{BulkInsert, Value};
use crate::{Engine, Store, StoreResult, Tx, text_column};

/// `$2, $3, …`: the placeholders of an `IN (…)` list bound after the entity (`$1`).
fn placeholders(count: usize) -> String {
    (0..count)
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A message as the outbox lists it (without its bodies and attachments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub customer: Option<CustomerId>,
    pub customer_code: Option<String>,
    pub message_id: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: String,
    pub source: String,
    pub source_id: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attachments: i64,
}

/// A message the sender has claimed: its row and everything needed to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEmail {
    pub row: OutboxRow,
    pub email: OutgoingEmail,
}

/// Where mail to a customer may go, as stored: its billing contacts (role `billing`, any
/// case, with an address, in the order they were added), its own address, and the stops
/// collections keeps on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRouteRow {
    pub customer: CustomerId,
    pub code: String,
    pub name: String,
    pub email: String,
    /// (name, address) of each billing contact.
    pub billing_contacts: Vec<(String, String)>,
    pub do_not_contact: bool,
    pub cease_communication: bool,
}

/// An instant as the outbox stores it: to the second, fixed width, UTC.
pub fn outbox_time(instant: jiff::Timestamp) -> String {
    instant.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const ROW_COLUMNS: &str = "o.id, o.customer_id, c.code AS customer_code, o.message_id, \
     o.recipients, o.cc, o.subject, o.status, o.attempts, o.next_attempt_at, o.last_error, \
     o.source, o.source_id, o.created_at, o.sent_at, \
     (SELECT COUNT(*) FROM outbox_attachments a WHERE a.outbox_id = o.id) AS attachment_count";

const ROW_FROM: &str = "FROM outbox o LEFT JOIN customers c ON c.id = o.customer_id";

fn addresses(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn outbox_row(row: &sqlx::any::AnyRow) -> StoreResult<OutboxRow> {
    Ok(OutboxRow {
        id: row.try_get("id")?,
        customer: row
            .try_get::<Option<i64>, _>("customer_id")?
            .map(CustomerId),
        customer_code: row.try_get("customer_code")?,
        message_id: row.try_get("message_id")?,
        to: addresses(&row.try_get::<String, _>("recipients")?),
        cc: addresses(&row.try_get::<String, _>("cc")?),
        subject: row.try_get("subject")?,
        status: text_column(row, "outbox", "status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        source: row.try_get("source")?,
        source_id: row.try_get("source_id")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        attachments: row.try_get("attachment_count")?,
    })
}

impl Store {
    /// The outbox, newest first, optionally of one status.
    pub async fn outbox(
        &self,
        entity: EntityId,
        status: Option<OutboxStatus>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} {ROW_FROM} WHERE o.entity_id = $1 AND ($2 = '' OR o.status = $2) \
             ORDER BY o.id DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(status.map_or("", |s| s.as_str()))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(outbox_row).collect()
    }
}

impl Tx {
    /// What [`EmailRouteRow`] says of the customer with this code, if there is one.
    pub async fn email_route(
        &mut self,
        entity: EntityId,
        code: &str,
    ) -> StoreResult<Option<EmailRouteRow>> {
        let customer: Option<i64> =
            sqlx::query_scalar("SELECT id FROM customers WHERE entity_id = $1 AND code = $2")
                .bind(entity.0)
                .bind(code.to_string())
                .fetch_optional(self.conn())
                .await?;
        let Some(customer) = customer else {
            return Ok(None);
        };
        Ok(self
            .email_routes(entity, &[CustomerId(customer)])
            .await?
            .remove(&CustomerId(customer)))
    }

    /// The routes of many customers at once (a dunning run's), read a few hundred at a time.
    pub async fn email_routes(
        &mut self,
        entity: EntityId,
        customers: &[CustomerId],
    ) -> StoreResult<HashMap<CustomerId, EmailRouteRow>> {
        const CHUNK: usize = 500;
        let mut routes = HashMap::with_capacity(customers.len());
        for chunk in customers.chunks(CHUNK) {
            let ids = placeholders(chunk.len());
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "SELECT id, code, name, email, do_not_contact, cease_communication FROM customers \
                 WHERE entity_id = $1 AND id IN ({ids})"
            )))
            .bind(entity.0);
            for customer in chunk {
                query = query.bind(customer.0);
            }
            let rows = query.fetch_all(self.conn()).await?;
            for row in &rows {
                let customer = CustomerId(row.try_get("id")?);
                routes.insert(
                    customer,
                    EmailRouteRow {
                        customer,
                        code: row.try_get("code")?,
                        name: row.try_get("name")?,
                        email: row.try_get("email")?,
                        billing_contacts: Vec::new(),
                        do_not_contact: row.try_get::<i64, _>("do_not_contact")? != 0,
                        cease_communication: row.try_get::<i64, _>("cease_communication")? != 0,
                    },
                );
            }
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "SELECT customer_id, name, email FROM contacts WHERE entity_id = $1 \
                 AND customer_id IN ({ids}) AND LOWER(role) = 'billing' AND email <> '' ORDER BY id"
            )))
            .bind(entity.0);
            for customer in chunk {
                query = query.bind(customer.0);
            }
            let contacts = query.fetch_all(self.conn()).await?;
            for contact in &contacts {
                let customer = CustomerId(contact.try_get("customer_id")?);
                if let Some(route) = routes.get_mut(&customer) {
                    route
                        .billing_contacts
                        .push((contact.try_get("name")?, contact.try_get("email")?));
                }
            }
        }
        Ok(routes)
    }

    /// Queues a message in this transaction: it is sent if and only if the transaction
    /// commits. Returns the outbox id. The message must have passed
    /// [`OutgoingEmail::validate`]; `message_id` must be unique (the column is).
    pub async fn enqueue_email(
        &mut self,
        entity: EntityId,
        email: &OutgoingEmail,
        message_id: &str,
        now: jiff::Timestamp,
    ) -> StoreResult<i64> {
        let ids = self
            .enqueue_emails(entity, &[(email, message_id)], now)
            .await?;
        Ok(ids[0])
    }

    /// Queues many messages in this transaction with multi-row inserts (a dunning run queues
    /// thousands); their outbox ids in order. The same conditions as [`Tx::enqueue_email`].
    pub async fn enqueue_emails(
        &mut self,
        entity: EntityId,
        emails: &[(&OutgoingEmail, &str)],
        now: jiff::Timestamp,
    ) -> StoreResult<Vec<i64>> {
        if emails.is_empty() {
            return Ok(Vec::new());
        }
        let first = self.allocate("outbox", emails.len() as i64).await?;
        let mut rows = BulkInsert::new(
            self.engine,
            "outbox",
            &[
                "id",
                "entity_id",
                "customer_id",
                "message_id",
                "recipients",
                "cc",
                "subject",
                "body_text",
                "body_html",
                "source",
                "source_id",
                "status",
                "attempts",
                "next_attempt_at",
                "claimed_at",
                "last_error",
                "created_at",
                "sent_at",
            ],
        );
        let created_at = outbox_time(now);
        let ids: Vec<i64> = (first..first + emails.len() as i64).collect();
        for (id, (email, message_id)) in ids.iter().zip(emails) {
            let due = email.not_before.map_or(now, |t| t.max(now));
            rows.push([
                Value::Int(*id),
                Value::Int(entity.0),
                Value::OptInt(email.customer.map(|c| c.0)),
                Value::Text(message_id.to_string()),
                Value::Text(email.to.join("\n")),
                Value::Text(email.cc.join("\n")),
                Value::Text(email.subject.clone()),
                Value::Text(email.text.clone()),
                Value::OptText(email.html.clone()),
                Value::Text(email.source.clone()),
                Value::Text(email.source_id.clone()),
                Value::Text("queued".to_string()),
                Value::Int(0),
                Value::Text(outbox_time(due)),
                Value::OptText(None),
                Value::Text(String::new()),
                Value::Text(created_at.clone()),
                Value::OptText(None),
            ]);
        }
        rows.flush(self.conn()).await?;
        for (id, (email, _)) in ids.iter().zip(emails) {
            for (seq, attachment) in email.attachments.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO outbox_attachments (outbox_id, seq, filename, content_type, content) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(*id)
                .bind(seq as i64)
                .bind(attachment.filename.clone())
                .bind(attachment.content_type.clone())
                .bind(attachment.bytes.clone())
                .execute(self.conn())
                .await?;
            }
        }
        Ok(ids)
    }

    /// Claims the next message due: queued with its attempt time reached, or left `sending`
    /// since `reclaim_claimed_before` (its sender stopped mid-conversation). The message
    /// becomes `sending` with one more attempt; the caller commits before talking SMTP, so a
    /// crash leaves it marked as in flight. On PostgreSQL concurrent senders skip each
    /// other's rows; SQLite's write transaction serialises them.
    pub async fn claim_next_email(
        &mut self,
        entity: EntityId,
        now: jiff::Timestamp,
        reclaim_claimed_before: jiff::Timestamp,
    ) -> StoreResult<Option<ClaimedEmail>> {
        let lock = match self.engine {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "SELECT id FROM outbox WHERE entity_id = $1 AND \
             ((status = 'queued' AND next_attempt_at <= $2) OR (status = 'sending' AND claimed_at <= $3)) \
             ORDER BY next_attempt_at, id LIMIT 1{lock}"
        );
        let id: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(outbox_time(now))
            .bind(outbox_time(reclaim_claimed_before))
            .fetch_optional(self.conn())
            .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_at = $1 \
             WHERE id = $2",
        )
        .bind(outbox_time(now))
        .bind(id)
        .execute(self.conn())
        .await?;
        self.claimed_email(entity, id).await.map(Some)
    }

    async fn claimed_email(&mut self, entity: EntityId, id: i64) -> StoreResult<ClaimedEmail> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}, o.body_text, o.body_html {ROW_FROM} WHERE o.entity_id = $1 AND o.id = $2"
        );
        let record = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(entity.0)
            .bind(id)
            .fetch_one(self.conn())
            .await?;
        let row = outbox_row(&record)?;
        let attachments = sqlx::query(
            "SELECT filename, content_type, content FROM outbox_attachments \
             WHERE outbox_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(|a| {
            Ok(Attachment {
                filename: a.try_get("filename")?,
                content_type: a.try_get("content_type")?,
                bytes: a.try_get("content")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let email = OutgoingEmail {
            customer: row.customer,
            to: row.to.clone(),
            cc: row.cc.clone(),
            subject: row.subject.clone(),
            text: record.try_get("body_text")?,
            html: record.try_get("body_html")?,
            attachments,
            not_before: None,
            source: row.source.clone(),
            source_id: row.source_id.clone(),
        };
        Ok(ClaimedEmail { row, email })
    }

    /// The outbox row with this id or Message-ID, locked for the rest of the transaction.
    pub async fn outbox_row(
        &mut self,
        entity: EntityId,
        id: Option<i64>,
        message_id: Option<&str>,
    ) -> StoreResult<Option<OutboxRow>> {
        let lock = self.engine.for_update();
        // Row locks cannot be taken through the outer join; lock the outbox row alone first.
        let locked: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM outbox WHERE entity_id = $1 AND (id = $2 OR message_id = $3){lock}"
        )))
        .bind(entity.0)
        .bind(id.unwrap_or(-1))
        .bind(message_id.unwrap_or("").to_string())
        .fetch_optional(self.conn())
        .await?;
        let Some(locked) = locked else {
            return Ok(None);
        };
        let sql = format!("SELECT {ROW_COLUMNS} {ROW_FROM} WHERE o.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(locked)
            .fetch_one(self.conn())
            .await?;
        outbox_row(&row).map(Some)
    }

    /// The message reached the server.
    pub async fn mark_email_sent(&mut self, id: i64, now: jiff::Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, last_error = '', claimed_at = NULL \
             WHERE id = $2",
        )
        .bind(outbox_time(now))
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Undoes a claim that never reached the message's own SMTP conversation (the server
    /// refused the session itself): queued again as it was, the attempt not counted.
    pub async fn release_email_claim(&mut self, id: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'queued', attempts = attempts - 1, claimed_at = NULL \
             WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Back to the queue, to be tried again at `next_attempt_at`.
    pub async fn mark_email_retry(
        &mut self,
        id: i64,
        next_attempt_at: jiff::Timestamp,
        error: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'queued', next_attempt_at = $1, last_error = $2, \
             claimed_at = NULL WHERE id = $3",
        )
        .bind(outbox_time(next_attempt_at))
        .bind(error.to_string())
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Failed for good (refused by the server, bounced, or out of attempts).
    pub async fn mark_email_final(
        &mut self,
        id: i64,
        status: OutboxStatus,
        error: &str,
    ) -> StoreResult<()> {
        assert!(
            matches!(status, OutboxStatus::Failed | OutboxStatus::Bounced),
            "only failures are final this way"
        );
        sqlx::query(
            "UPDATE outbox SET status = $1, last_error = $2, claimed_at = NULL WHERE id = $3",
        )
        .bind(status.as_str())
        .bind(error.to_string())
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Queues a message again now with a fresh count of attempts (after the address or the
    /// server was fixed). Its Message-ID stays.
    pub async fn requeue_email(&mut self, id: i64, now: jiff::Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = $1, \
             claimed_at = NULL WHERE id = $2",
        )
        .bind(outbox_time(now))
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
