//! Email as collections sends it: the message an operation queues, the checks it must pass
//! before it is stored, the retry schedule of the outbox, Message-IDs, the data a dunning letter
//! is rendered from, and what a delivery status notification (a bounce) says.
//!
//! Pure like the rest of the core: no SMTP, no clock, no randomness. The service stamps times
//! and picks the Message-ID's unique part; the store keeps the outbox; the sender talks SMTP.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use jiff::civil::Date;

use crate::customer::text_enum;
use crate::ids::CustomerId;
use crate::money::{Money, MoneyError};

/// Limits that keep one message within what mail servers accept (most refuse 25–50 MB).
pub const MAX_RECIPIENTS: usize = 50;
pub const MAX_ADDRESS_LEN: usize = 254;
pub const MAX_SUBJECT_LEN: usize = 998;
pub const MAX_ATTACHMENTS: usize = 20;
pub const MAX_ATTACHMENT_BYTES_TOTAL: usize = 15 * 1024 * 1024;

text_enum!(
    /// Where a message is in the outbox. `Sending` is set, and committed, before the SMTP
    /// conversation starts: a message found `Sending` by a later run was in flight when its
    /// sender stopped, and may or may not have arrived.
    OutboxStatus, "outbox status" {
        Queued => "queued",
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
        Bounced => "bounced",
    }
);

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// A MIME type such as `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A message an operation wants sent. Queued in the outbox in the operation's own transaction,
/// so it is sent exactly when the operation committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// The account the message is about: failures and bounces are noted on its contact log.
    pub customer: Option<CustomerId>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Not to be sent before this instant (a reminder timed for the customer's morning).
    pub not_before: Option<jiff::Timestamp>,
    /// What queued it (`dunning`, `email`, …) and that source's own id for it.
    pub source: String,
    pub source_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("{field}: {address:?} is not an email address: {reason}")]
    BadAddress {
        field: &'static str,
        address: String,
        reason: &'static str,
    },
    #[error("the message has no recipient")]
    NoRecipient,
    #[error("the message has {0} recipients; at most {MAX_RECIPIENTS} are allowed")]
    TooManyRecipients(usize),
    #[error("subject: {0}")]
    BadSubject(&'static str),
    #[error("attachment {filename:?}: {reason}")]
    BadAttachment { filename: String, reason: String },
    #[error("the message has no text part")]
    NoText,
    #[error("Message-ID {0:?} is not of the form <unique@domain>")]
    BadMessageId(String),
}

/// Checks an address as written in a To or Cc field: a plain `local@domain` (no display name,
/// no comments), the domain made of letters, digits, hyphens and dots. Stricter than RFC 5322
/// on purpose: an address we cannot vouch for is refused before it is queued, not bounced
/// days later.
pub fn check_address(field: &'static str, address: &str) -> Result<(), EmailError> {
    let bad = |reason| EmailError::BadAddress {
        field,
        address: address.to_string(),
        reason,
    };
    if address.is_empty() {
        return Err(bad("it is empty"));
    }
    if address.len() > MAX_ADDRESS_LEN {
        return Err(bad("it is longer than 254 characters"));
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(bad("it has no @"));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(bad("the part before @ must have 1 to 64 characters"));
    }
    const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    if !local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return Err(bad(
            "the part before @ may hold letters, digits and !#$%&'*+-/=?^_`{|}~ and single dots",
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(bad(
            "the domain must be dot-separated names of letters, digits and hyphens",
        ));
    }
    Ok(())
}

impl OutgoingEmail {
    /// Every check a message must pass before it is queued: recipients, subject, text and
    /// attachments. The first problem found is returned.
    pub fn validate(&self) -> Result<(), EmailError> {
        if self.to.is_empty() {
            return Err(EmailError::NoRecipient);
        }
        let count = self.to.len() + self.cc.len();
        if count > MAX_RECIPIENTS {
            return Err(EmailError::TooManyRecipients(count));
        }
        for address in &self.to {
            check_address("to", address)?;
        }
        for address in &self.cc {
            check_address("cc", address)?;
        }
        if self.subject.trim().is_empty() {
            return Err(EmailError::BadSubject("it is empty"));
        }
        if self.subject.contains(['\r', '\n']) {
            return Err(EmailError::BadSubject("it must be one line"));
        }
        if self.subject.len() > MAX_SUBJECT_LEN {
            return Err(EmailError::BadSubject("it is longer than 998 bytes"));
        }
        if self.text.trim().is_empty() {
            return Err(EmailError::NoText);
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(EmailError::BadAttachment {
                filename: self.attachments[MAX_ATTACHMENTS].filename.clone(),
                reason: format!("at most {MAX_ATTACHMENTS} attachments are allowed"),
            });
        }
        let mut total = 0usize;
        for attachment in &self.attachments {
            check_attachment(attachment)?;
            total += attachment.bytes.len();
        }
        if total > MAX_ATTACHMENT_BYTES_TOTAL {
            return Err(EmailError::BadAttachment {
                filename: self.attachments[self.attachments.len() - 1]
                    .filename
                    .clone(),
                reason: format!(
                    "the attachments add up to {total} bytes; at most {MAX_ATTACHMENT_BYTES_TOTAL} are allowed"
                ),
            });
        }
        Ok(())
    }
}

fn check_attachment(attachment: &Attachment) -> Result<(), EmailError> {
    let bad = |reason: &str| EmailError::BadAttachment {
        filename: attachment.filename.clone(),
        reason: reason.to_string(),
    };
    let name = &attachment.filename;
    if name.is_empty() || name.len() > 255 {
        return Err(bad("the file name must have 1 to 255 bytes"));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(bad(
            "the file name may not hold control characters or slashes",
        ));
    }
    let (kind, subtype) = attachment
        .content_type
        .split_once('/')
        .ok_or_else(|| bad("the content type must be of the form type/subtype"))?;
    let token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    if !token(kind) || !token(subtype) {
        return Err(bad("the content type must be of the form type/subtype"));
    }
    Ok(())
}

/// The MIME type a file is sent as, from its extension; unknown kinds are plain bytes.
pub fn content_type_for(filename: &str) -> &'static str {
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "json" => "application/json",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// The outbox's retry schedule: after the n-th failed attempt the next waits `base · 2^(n−1)`,
/// never more than `cap`; after `max_attempts` attempts the message has failed for good.
/// Exponential, so a server that is down for hours is not hammered; capped, so a message
/// still goes out within hours of the server coming back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: SignedDuration,
    pub cap: SignedDuration,
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// One minute, then 2, 4, 8 … capped at 4 hours; 10 attempts in all, which spans about
    /// 12.5 hours from the first.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        base: SignedDuration::from_secs(60),
        cap: SignedDuration::from_secs(4 * 3600),
        max_attempts: 10,
    };

    /// How long to wait after the `attempts`-th failed attempt, or `None` when no attempt is
    /// left.
    pub fn delay_after(&self, attempts: u32) -> Option<SignedDuration> {
        if attempts == 0 {
            return Some(SignedDuration::ZERO);
        }
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = (attempts - 1).min(30);
        let factor = 1_i64 << doublings;
        let base_secs = self.base.as_secs();
        let secs = base_secs.saturating_mul(factor).min(self.cap.as_secs());
        Some(SignedDuration::from_secs(secs))
    }
}

/// A Message-ID as RFC 5322 writes it, `<unique@domain>`, from its two parts. The unique part
/// is chosen by the caller (the service: time, process and a random number) and checked here.
pub fn message_id(unique: &str, domain: &str) -> Result<String, EmailError> {
    let id = format!("<{unique}@{domain}>");
    check_message_id(&id)?;
    Ok(id)
}

/// Accepts `<left@right>` made of printable ASCII without spaces, brackets or a second `@`.
pub fn check_message_id(id: &str) -> Result<(), EmailError> {
    let bad = || EmailError::BadMessageId(id.to_string());
    let inner = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .ok_or_else(bad)?;
    let (left, right) = inner.split_once('@').ok_or_else(bad)?;
    let part_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_graphic() && !"<>@()[]\\,;:\"".contains(c))
    };
    if id.len() > 250 || !part_ok(left) || !part_ok(right) {
        return Err(bad());
    }
    Ok(())
}

/// One open item in a dunning letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterItem {
    pub number: String,
    pub issue_date: Date,
    pub due_date: Date,
    /// Days past the due date on the letter's as-of date; negative while not yet due.
    pub days_overdue: i64,
    pub open_balance: Money,
}

/// What a dunning letter says: who it is to, at which level, and the open items it is about.
/// The dunning run fills it; [`crate::email`] has no opinion on which items belong in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningLetter {
    pub customer_code: String,
    pub customer_name: String,
    /// The billing contact's name ("" when the customer has none).
    pub contact_name: String,
    /// 0 for the friendly reminder before the due date, then 1, 2, 3 …
    pub level: u32,
    /// The template to render; "" picks the built-in for the level.
    pub template: String,
    /// Our company (the legal entity) signing the letter.
    pub company_name: String,
    pub items: Vec<LetterItem>,
    pub as_of: Date,
}

impl DunningLetter {
    /// The open balance per currency, in currency order: amounts in different currencies are
    /// never added together.
    pub fn totals(&self) -> Result<Vec<Money>, MoneyError> {
        let mut totals: BTreeMap<String, Money> = BTreeMap::new();
        for item in &self.items {
            let code = item.open_balance.currency().code().to_string();
            match totals.get_mut(&code) {
                Some(total) => *total = total.checked_add(item.open_balance)?,
                None => {
                    totals.insert(code, item.open_balance);
                }
            }
        }
        Ok(totals.into_values().collect())
    }

    /// The built-in template of a level: 0 the friendly reminder before the due date, 1 the
    /// first reminder, 2 the second notice, 3 and above the final notice.
    pub fn template_name(&self) -> &str {
        if !self.template.is_empty() {
            return &self.template;
        }
        match self.level {
            0 => "pre-due",
            1 => "first-reminder",
            2 => "second-notice",
            _ => "final-notice",
        }
    }
}

/// What a delivery status notification (RFC 3464) says about the message it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The returned message's Message-ID, with its angle brackets.
    pub message_id: String,
    /// The status code of the first failed recipient, such as `5.1.1`.
    pub status: String,
    /// The remote server's words, or the action when it gave none.
    pub reason: String,
}

/// Reads a bounce: the returned message's Message-ID (from `Original-Message-ID` or the
/// returned headers' `Message-ID`, never the DSN's own, which comes first), the first failed
/// recipient's `Status` and `Diagnostic-Code`. `None` when the text is no DSN of a failure.
pub fn parse_bounce(text: &str) -> Option<Bounce> {
    let unfolded = unfold(text);
    let lines: Vec<&str> = unfolded.lines().collect();
    let field = |line: &str, name: &str| -> Option<String> {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    };
    // The DSN's own header block ends at the first empty line; its Message-ID is not the one
    // returned.
    let body_start = lines.iter().position(|l| l.trim().is_empty())?;
    let body = &lines[body_start..];
    let original = body
        .iter()
        .find_map(|l| field(l, "Original-Message-ID"))
        .or_else(|| body.iter().find_map(|l| field(l, "Message-ID")))?;
    let failed = body.iter().any(|l| {
        field(l, "Action").is_some_and(|a| a.eq_ignore_ascii_case("failed"))
            || field(l, "Status").is_some_and(|s| s.starts_with('5'))
    });
    if !failed {
        return None;
    }
    let status = body
        .iter()
        .find_map(|l| field(l, "Status"))
        .unwrap_or_default();
    let reason = body
        .iter()
        .find_map(|l| field(l, "Diagnostic-Code"))
        .map(|d| {
            d.split_once(';')
                .map_or(d.as_str(), |(_, words)| words)
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "delivery failed".to_string());
    let message_id = original.split_whitespace().next()?.to_string();
    check_message_id(&message_id).ok()?;
    Some(Bounce {
        message_id,
        status,
        reason,
    })
}

/// Joins folded header lines (RFC 5322 §2.2.3: a line starting with white space continues the
/// one before).
fn unfold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if (line.starts_with(' ') || line.starts_with('\t')) && !line.trim().is_empty() {
            out.push(' ');
            out.push_str(line.trim());
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            customer: None,
            to: vec!["ap@acme.example".into()],
            cc: vec![],
            subject: "Statement".into(),
            text: "Hello".into(),
            html: None,
            attachments: vec![],
            not_before: None,
            source: "email".into(),
            source_id: "1".into(),
        }
    }

    #[test]
    fn addresses_are_plain_and_checked() {
        for good in [
            "ap@acme.example",
            "first.last+ar@sub.acme-corp.co.uk",
            "x@a.b",
        ] {
            assert_eq!(check_address("to", good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "acme.example",
            "ap@",
            "@acme.example",
            "ap@localhost",
            "a p@acme.example",
            "ap@acme..example",
            ".ap@acme.example",
            "ap@-acme.example",
            "Acme <ap@acme.example>",
            "ap@acme.example\r\nBcc: x@evil.example",
        ] {
            assert!(check_address("to", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_message_is_refused_before_it_is_queued() {
        assert_eq!(email().validate(), Ok(()));
        let mut no_one = email();
        no_one.to.clear();
        assert_eq!(no_one.validate(), Err(EmailError::NoRecipient));
        let mut injected = email();
        injected.subject = "Hi\r\nBcc: x@evil.example".into();
        assert!(matches!(
            injected.validate(),
            Err(EmailError::BadSubject(_))
        ));
        let mut bad_cc = email();
        bad_cc.cc.push("nobody".into());
        assert!(matches!(
            bad_cc.validate(),
            Err(EmailError::BadAddress { field: "cc", .. })
        ));
        let mut bad_file = email();
        bad_file.attachments.push(Attachment {
            filename: "../etc/passwd".into(),
            content_type: "text/plain".into(),
            bytes: vec![],
        });
        assert!(matches!(
            bad_file.validate(),
            Err(EmailError::BadAttachment { .. })
        ));
        let mut bad_type = email();
        bad_type.attachments.push(Attachment {
            filename: "a.pdf".into(),
            content_type: "pdf".into(),
            bytes: vec![1],
        });
        assert!(bad_type.validate().is_err());
    }

    #[test]
    fn retries_double_up_to_the_cap_and_stop() {
        let policy = RetryPolicy::DEFAULT;
        let minutes: Vec<i64> = (1..policy.max_attempts)
            .map(|n| policy.delay_after(n).unwrap().as_secs() / 60)
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 240]);
        assert_eq!(policy.delay_after(policy.max_attempts), None);
        assert_eq!(policy.delay_after(u32::MAX), None);
        let long = RetryPolicy {
            max_attempts: u32::MAX,
            ..policy
        };
        assert_eq!(long.delay_after(1_000).unwrap(), policy.cap);
    }

    #[test]
    fn message_ids_are_bracketed_and_plain() {
        assert_eq!(
            message_id("abc.1", "main.settle.invalid").unwrap(),
            "<abc.1@main.settle.invalid>"
        );
        assert!(message_id("a b", "x").is_err());
        assert!(message_id("a", "x>y").is_err());
        assert!(check_message_id("abc@x").is_err());
    }

    #[test]
    fn totals_stay_per_currency() {
        let usd = Currency::from_code("USD").unwrap();
        let eur = Currency::from_code("EUR").unwrap();
        let item = |number: &str, minor, currency| LetterItem {
            number: number.into(),
            issue_date: Date::constant(2026, 1, 1),
            due_date: Date::constant(2026, 1, 31),
            days_overdue: 10,
            open_balance: Money::new(minor, currency),
        };
        let letter = DunningLetter {
            customer_code: "ACME".into(),
            customer_name: "Acme".into(),
            contact_name: String::new(),
            level: 2,
            template: String::new(),
            company_name: "Main".into(),
            items: vec![item("1", 100, usd), item("2", 250, eur), item("3", 5, usd)],
            as_of: Date::constant(2026, 2, 10),
        };
        assert_eq!(
            letter.totals().unwrap(),
            vec![Money::new(250, eur), Money::new(105, usd)]
        );
        assert_eq!(letter.template_name(), "second-notice");
    }

    #[test]
    fn a_bounce_names_the_returned_message() {
        let dsn = "From: MAILER-DAEMON@mx.example\r\nMessage-ID: <dsn-1@mx.example>\r\n\
                   Content-Type: multipart/report; report-type=delivery-status\r\n\r\n\
                   --b\r\nContent-Type: message/delivery-status\r\n\r\n\
                   Reporting-MTA: dns; mx.example\r\n\r\n\
                   Final-Recipient: rfc822; ap@acme.example\r\nAction: failed\r\n\
                   Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user\r\n unknown\r\n\r\n\
                   --b\r\nContent-Type: text/rfc822-headers\r\n\r\n\
                   Message-ID: <abc.1@main.settle.invalid>\r\nSubject: Statement\r\n";
        assert_eq!(
            parse_bounce(dsn),
            Some(Bounce {
                message_id: "<abc.1@main.settle.invalid>".into(),
                status: "5.1.1".into(),
                reason: "550 5.1.1 user unknown".into(),
            })
        );
        let delayed = dsn
            .replace("Action: failed", "Action: delayed")
            .replace("5.1.1", "4.4.1");
        assert_eq!(parse_bounce(&delayed), None);
    }
}
