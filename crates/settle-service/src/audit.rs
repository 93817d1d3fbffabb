//! What auditors ask for at a period end: the auditor pack (one archive with a manifest and
//! checksums) and balance-confirmation requests for a sample of customers.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use settle_core::Date;
use settle_core::period::Period;
use settle_core::sampling;

use crate::close::{close_aging_policy, snapshot_records};
use crate::journal_export::JournalFormat;
use crate::reports::{NamedAging, TrialBalanceRow};
use crate::{ServiceError, ServiceResult, Settle, sha256_hex};

/// One file of the pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFile {
    pub name: String,
    pub bytes: Vec<u8>,
    /// What it holds, for the manifest.
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestEntry {
    pub name: String,
    pub bytes: usize,
    pub sha256: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub entity: String,
    pub entity_name: String,
    pub functional_currency: String,
    pub period: Period,
    /// Whether the period was closed (then the aging is the one frozen at the close).
    pub closed: bool,
    pub generated_at: String,
    pub generated_by: String,
    pub files: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPack {
    pub manifest: Manifest,
    pub files: Vec<PackFile>,
}

fn csv_bytes<I, R>(header: &[&str], rows: I) -> ServiceResult<Vec<u8>>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| ServiceError::Refused(format!("cannot write CSV: {e}"));
    writer.write_record(header).map_err(failed)?;
    for row in rows {
        writer.write_record(row).map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|e| ServiceError::Refused(format!("cannot write CSV: {e}")))
}

fn json_bytes(value: &impl Serialize) -> ServiceResult<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| ServiceError::Refused(format!("cannot write JSON: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

impl AuditPack {
    pub(crate) fn add(&mut self, name: &str, description: &str, bytes: Vec<u8>) {
        self.files.push(PackFile {
            name: name.to_string(),
            bytes,
            description: description.to_string(),
        });
    }

    /// Seals the manifest: every file with its size and SHA-256, and a `SHA256SUMS` that
    /// `sha256sum -c` checks.
    fn seal(&mut self) -> ServiceResult<()> {
        self.manifest.files = self
            .files
            .iter()
            .map(|f| ManifestEntry {
                name: f.name.clone(),
                bytes: f.bytes.len(),
                sha256: sha256_hex(&f.bytes),
                description: f.description.clone(),
            })
            .collect();
        let manifest = json_bytes(&self.manifest)?;
        let mut sums = String::new();
        for entry in &self.manifest.files {
            sums.push_str(&format!("{}  {}\n", entry.sha256, entry.name));
        }
        sums.push_str(&format!("{}  manifest.json\n", sha256_hex(&manifest)));
        self.add("manifest.json", "what the pack holds", manifest);
        self.add(
            "SHA256SUMS",
            "checksums (sha256sum -c SHA256SUMS)",
            sums.into_bytes(),
        );
        Ok(())
    }

    /// Writes the pack as a tar archive in a folder named after the entity and period,
    /// readable by its owner only; an existing file is not overwritten.
    pub fn write_tar(&self, path: &Path) -> ServiceResult<()> {
        let io = |source: std::io::Error| ServiceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(io)?;
        let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
        let folder = format!("{}-{}", self.manifest.entity, self.manifest.period.name);
        let mtime = jiff::Timestamp::now().as_second().max(0) as u64;
        for file in &self.files {
            let mut header = tar::Header::new_ustar();
            header.set_size(file.bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(
                    &mut header,
                    format!("{folder}/{}", file.name),
                    file.bytes.as_slice(),
                )
                .map_err(io)?;
        }
        let mut out = builder.into_inner().map_err(io)?;
        out.flush().map_err(io)?;
        out.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        Ok(())
    }
}

/// How the customers to confirm are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Sample {
    /// The `count` largest net balances in each currency.
    ByValue { count: usize },
    /// Uniformly at random; the seed makes the draw reproducible.
    AtRandom { count: usize, seed: u64 },
}

/// A balance-confirmation request for one customer: the letter and the email carrying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    pub customer: String,
    pub name: String,
    pub email: String,
    pub currency: String,
    pub balance: String,
    pub letter: String,
    /// An RFC 5322 message, ready for the outbox.
    pub email_message: String,
}

impl Settle {
    /// The period's journal in every export format, and the trial balance at its end.
    /// The whole audit trail (every row, so that its chain can be checked from the start)
    /// and what checking it found when the pack was made.
    async fn add_audit_trail(&self, pack: &mut AuditPack) -> ServiceResult<()> {
        let rows = self.audit_log(&crate::AuditQuery::default()).await?;
        pack.add(
            "audit-log.csv",
            "the audit trail: every change with who, when, from where, before and after, hash-chained",
            csv_bytes(
                &[
                    "seq", "at", "actor", "origin", "operation", "target_kind", "target_key",
                    "before", "after", "prev_hash", "hash",
                ],
                rows.iter().map(|r| {
                    [
                        r.seq.to_string(),
                        r.entry.at.clone(),
                        r.entry.actor.clone(),
                        r.entry.origin.clone(),
                        r.entry.operation.clone(),
                        r.entry.target.kind.clone(),
                        r.entry.target.key.clone(),
                        r.entry.before.clone(),
                        r.entry.after.clone(),
                        r.prev_hash.clone(),
                        r.hash.clone(),
                    ]
                }),
            )?,
        );
        let verification = match self.verify_audit().await? {
            Ok(summary) => serde_json::json!({
                "intact": true,
                "rows": summary.rows,
                "head_seq": summary.head.seq,
                "head_hash": summary.head.hash,
            }),
            Err(broken) => serde_json::json!({
                "intact": false,
                "first_bad_seq": broken.seq,
                "problem": broken.problem,
                "message": broken.to_string(),
            }),
        };
        pack.add(
            "audit-verification.json",
            "the audit trail's chain checked when the pack was made: intact with its head hash, or the first broken row",
            json_bytes(&verification)?,
        );
        Ok(())
    }

    async fn add_ledger_files(&self, pack: &mut AuditPack, period: &Period) -> ServiceResult<()> {
        let export = self.journal_export(period.start, period.end).await?;
        for (name, format, description) in [
            (
                "journal.csv",
                JournalFormat::Csv,
                "every posting dated in the period, one per row",
            ),
            (
                "journal.ledger",
                JournalFormat::Ledger,
                "the period's entries for hledger",
            ),
            (
                "journal.beancount",
                JournalFormat::Beancount,
                "the period's entries for beancount",
            ),
        ] {
            let mut bytes = Vec::new();
            export
                .write(format, &mut bytes)
                .map_err(|e| ServiceError::Refused(e.to_string()))?;
            pack.add(name, description, bytes);
        }
        if let Some(reconciliation) = self.gl_reconciliation(&period.name).await? {
            let (header, records) = reconciliation.records();
            pack.add(
                "gl-reconciliation.csv",
                "the subledger and A/R control against the general ledger's import, every difference with its cause",
                csv_bytes(&header, records)?,
            );
        }
        let trial = self.trial_balance(Some(period.end)).await?;
        pack.add(
            "trial-balance.csv",
            "every account's balance at the period end, per currency (debit positive)",
            csv_bytes(
                &TrialBalanceRow::COLUMNS,
                trial.rows.iter().map(TrialBalanceRow::cells),
            )?,
        );
        Ok(())
    }

    /// The period's auditor pack: aging at period end (frozen if closed), its items, the
    /// close checklist, the close log, adjustments with who made them, the reserve runs.
    pub async fn audit_pack(&self, name: &str, generated_at: &str) -> ServiceResult<AuditPack> {
        let period = self.period(name).await?;
        let entity = self.entity();
        let lock = self.period_lock().await?;
        let closed = lock.as_ref().is_some_and(|l| period.end <= l.through);
        let (aging, items): (NamedAging, _) = if closed {
            let frozen = self.frozen_aging(&period.name, true).await?;
            (frozen.aging, frozen.items)
        } else {
            let policy = close_aging_policy();
            let detail = self.aging_detail(&policy, period.end).await?;
            let items = crate::close::snapshot_items(&detail);
            (self.aging(&policy, period.end).await?, items)
        };
        let mut pack = AuditPack {
            manifest: Manifest {
                entity: entity.code.clone(),
                entity_name: entity.name.clone(),
                functional_currency: entity.functional_currency.code().to_string(),
                period: period.clone(),
                closed,
                generated_at: generated_at.to_string(),
                generated_by: self.actor().to_string(),
                files: Vec::new(),
            },
            files: Vec::new(),
        };

        let (header, records) = aging.records();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        pack.add(
            "aging-summary.csv",
            if closed {
                "aging per customer at the period end, as frozen at the close"
            } else {
                "aging per customer at the period end (period not closed: computed now)"
            },
            csv_bytes(&header, records)?,
        );
        let (header, rows) = snapshot_records(&items);
        pack.add(
            "aging-detail.csv",
            "every open item behind the aging",
            csv_bytes(&header, rows)?,
        );

        let checklist = self.close_checklist(&period.name).await?;
        pack.add(
            "close-checklist.json",
            "the close checklist (as recorded at the close when closed)",
            json_bytes(&checklist)?,
        );
        let log = self.period_log(None).await?;
        pack.add(
            "close-log.csv",
            "audit-trail extract: every close, reopening and calendar change, who and when",
            csv_bytes(
                &["id", "at", "period", "action", "actor", "reason", "detail"],
                log.iter().map(|r| {
                    [
                        r.id.to_string(),
                        r.at.clone(),
                        r.period.clone(),
                        r.action.clone(),
                        r.actor.clone(),
                        r.reason.clone(),
                        r.detail.clone(),
                    ]
                }),
            )?,
        );
        let adjustments = self
            .store()
            .adjustments_between(entity.id, period.start, period.end)
            .await?;
        pack.add(
            "adjustments.csv",
            "adjustments, write-offs, recoveries, credit memos and refunds in the period, with who made them",
            csv_bytes(
                &[
                    "kind",
                    "date",
                    "entry_id",
                    "customer_id",
                    "document",
                    "reason",
                    "currency",
                    "amount",
                    "memo",
                    "made_by",
                    "made_at",
                ],
                adjustments.iter().map(|a| {
                    [
                        a.kind.clone(),
                        a.date.to_string(),
                        a.entry.to_string(),
                        a.customer_code.clone(),
                        a.document.clone(),
                        a.reason.clone(),
                        a.amount.currency().code().to_string(),
                        a.amount.to_decimal_string(),
                        a.memo.clone(),
                        a.created_by.clone(),
                        a.created_at.clone(),
                    ]
                }),
            )?,
        );
        let runs = self
            .store()
            .reserve_runs(entity.id, Some(&period.name))
            .await?;
        pack.add(
            "reserve.csv",
            "bad-debt reserve runs for the period: required allowance, what it held, the adjustment",
            csv_bytes(
                &[
                    "run_id",
                    "as_of",
                    "method",
                    "currency",
                    "required",
                    "previous",
                    "adjustment",
                    "entry_id",
                    "by",
                    "at",
                ],
                runs.iter().map(|r| {
                    [
                        r.id.to_string(),
                        r.as_of.to_string(),
                        r.method.clone(),
                        r.required.currency().code().to_string(),
                        r.required.to_decimal_string(),
                        r.previous.to_decimal_string(),
                        r.adjustment.to_decimal_string(),
                        r.entry.map_or(String::new(), |e| e.to_string()),
                        r.created_by.clone(),
                        r.created_at.clone(),
                    ]
                }),
            )?,
        );
        self.add_audit_trail(&mut pack).await?;
        self.add_ledger_files(&mut pack, &period).await?;
        pack.seal()?;
        Ok(pack)
    }

    /// Balance-confirmation requests as of the period end for a sample of the customers with
    /// a balance.
    pub async fn confirmations(
        &self,
        name: &str,
        sample: Sample,
        reply_to: &str,
        today: Date,
    ) -> ServiceResult<Vec<Confirmation>> {
        let period = self.period(name).await?;
        let aging = self.aging(&close_aging_policy(), period.end).await?;
        let rows: Vec<_> = aging
            .rows_by_code()
            .into_iter()
            .filter(|(_, _, row)| !row.net.is_zero())
            .collect();
        let chosen = match sample {
            Sample::ByValue { count } => {
                // Balances in different currencies do not compare without rates: the largest
                // `count` of each currency.
                let mut chosen = Vec::new();
                let mut currencies: Vec<_> = rows.iter().map(|(_, _, row)| row.currency).collect();
                currencies.sort_by(|a, b| a.code().cmp(b.code()));
                currencies.dedup();
                for currency in currencies {
                    let members: Vec<usize> = (0..rows.len())
                        .filter(|&i| rows[i].2.currency == currency)
                        .collect();
                    let weights: Vec<i128> = members
                        .iter()
                        .map(|&i| i128::from(rows[i].2.net.minor()).abs())
                        .collect();
                    chosen.extend(
                        sampling::by_value(&weights, count)
                            .into_iter()
                            .map(|k| members[k]),
                    );
                }
                chosen.sort_unstable();
                chosen
            }
            Sample::AtRandom { count, seed } => sampling::at_random(rows.len(), count, seed),
        };
        let entity = self.entity();
        let detail = self.aging_detail(&close_aging_policy(), period.end).await?;
        let mut out = Vec::with_capacity(chosen.len());
        for index in chosen {
            let (code, customer_name, row) = rows[index];
            let customer = self
                .store()
                .customer_summary(entity.id, code)
                .await?
                .ok_or_else(|| crate::error::not_found(format!("customer {code:?}")))?
                .customer;
            let items: Vec<String> = detail
                .lines
                .iter()
                .map(|line| &line.item)
                .filter(|i| i.customer == customer.id && i.balance.currency() == row.currency)
                .map(|i| {
                    format!(
                        "  {:<20} issued {}  due {}  {:>16} {}",
                        i.number,
                        i.issue_date,
                        i.due_date,
                        i.balance.to_decimal_string(),
                        row.currency
                    )
                })
                .collect();
            let balance = row.net.to_decimal_string();
            let letter = format!(
                "{entity_name}\n\nTo: {customer_name}\n{address}\n\nDate: {today}\n\n\
                 Balance confirmation as of {as_of}\n\n\
                 Our auditors are examining our accounts. According to our records, your account \
                 {code} showed a balance owed to us of {balance} {currency} on {as_of}, made up as \
                 follows (open invoices less unapplied payments and credits of {credits} {currency}):\n\n\
                 {items}\n\n\
                 Please compare this with your records and reply directly to our auditors at \
                 {reply_to}, stating whether you agree. If you do not, please list the \
                 differences. This is not a request for payment.\n\n\
                 [ ] The balance of {balance} {currency} is correct.\n\
                 [ ] The balance is not correct; our records show ____________ (details attached).\n\n\
                 Signed ______________________   Name ______________________   Date __________\n",
                entity_name = entity.name,
                address = customer.details.billing_address,
                as_of = period.end,
                currency = row.currency,
                credits = row.unapplied.to_decimal_string(),
                items = if items.is_empty() {
                    "  (no open invoices)".to_string()
                } else {
                    items.join("\n")
                },
            );
            let subject = format!(
                "Balance confirmation as of {} — {}",
                period.end, entity.name
            );
            let email_message = email(
                &customer.details.email,
                customer_name,
                reply_to,
                &entity.name,
                &subject,
                &letter,
                &format!("{}.{}.{}", code, period.name, today),
                today,
            );
            out.push(Confirmation {
                customer: code.to_string(),
                name: customer_name.to_string(),
                email: customer.details.email.clone(),
                currency: row.currency.code().to_string(),
                balance,
                letter,
                email_message,
            });
        }
        Ok(out)
    }
}

/// An RFC 5322 message with a UTF-8 plain-text body. Header texts beyond ASCII are written as
/// RFC 2047 encoded words; the body goes as 8bit (every current mail system accepts UTF-8).
#[allow(clippy::too_many_arguments)]
fn email(
    to: &str,
    to_name: &str,
    from: &str,
    from_name: &str,
    subject: &str,
    body: &str,
    id: &str,
    date: Date,
) -> String {
    let domain = from.rsplit_once('@').map_or("settle.invalid", |(_, d)| d);
    let message_id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut text = String::new();
    text.push_str(&format!("From: {} <{from}>\r\n", encode_word(from_name)));
    text.push_str(&format!("To: {} <{to}>\r\n", encode_word(to_name)));
    text.push_str(&format!("Subject: {}\r\n", encode_word(subject)));
    text.push_str(&format!(
        "Date: {}\r\n",
        date.to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string())
            .unwrap_or_default()
    ));
    text.push_str(&format!(
        "Message-ID: <confirmation.{message_id}@{domain}>\r\n"
    ));
    text.push_str("MIME-Version: 1.0\r\n");
    text.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    text.push_str("Content-Transfer-Encoding: 8bit\r\n\r\n");
    for line in body.lines() {
        // A lone dot line would end an SMTP DATA section early.
        if line == "." {
            text.push_str("..\r\n");
        } else {
            text.push_str(line);
            text.push_str("\r\n");
        }
    }
    text
}

/// `text` as is when it is plain printable ASCII without specials, else as RFC 2047 encoded
/// words (base64 of UTF-8), split so that each stays within 75 characters.
fn encode_word(text: &str) -> String {
    let plain = text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !b"\"(),:;<>@[\\]".contains(&b));
    if plain {
        return text.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        // 45 bytes of UTF-8 become 60 base64 characters: with `=?utf-8?B?` and `?=`, 72.
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?utf-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?utf-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn headers_beyond_ascii_become_encoded_words() {
        assert_eq!(encode_word("Acme Corporation"), "Acme Corporation");
        assert_eq!(encode_word("Müller GmbH"), "=?utf-8?B?TcO8bGxlciBHbWJI?=");
        let long = encode_word(&"Ωμέγα ".repeat(12));
        assert!(long.split("\r\n ").all(|w| w.len() <= 75), "{long}");
        let message = email(
            "ap@acme.example",
            "Acme, Inc.",
            "audit@firm.example",
            "Settle Demo",
            "Balance confirmation",
            "line\n.\nend",
            "ACME.2026-10.2026-11-05",
            Date::constant(2026, 11, 5),
        );
        assert!(message.contains("To: =?utf-8?B?"), "{message}");
        assert!(message.contains("\r\n..\r\n"), "{message}");
        assert!(
            message.contains("Message-ID: <confirmation.ACME.2026-10.2026-11-05@firm.example>")
        );
        assert!(
            message.contains("Date: Thu, 05 Nov 2026 00:00:00 +0000"),
            "{message}"
        );
    }
}
