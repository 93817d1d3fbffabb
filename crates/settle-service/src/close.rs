//! Month-end close: periods, the checklist, closing (which freezes the period-end aging and
//! locks the period) and reopening (a manager's act, on record).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use serde_json::json;
use settle_core::accounts::AccountRole;
use settle_core::aging::{AgingBasis, AgingPolicy, AgingReport};
use settle_core::audit_chain::Target;
use settle_core::close::{self, CheckItem, OpenDispute, StatementSpan, UnappliedCash};
use settle_core::ids::CustomerId;
use settle_core::period::{self, Calendar, Lock, Period};
use settle_core::{Date, Money};
pub use settle_store::SnapshotItem;
use settle_store::{PeriodLogRow, UserRow};

use crate::reports::NamedAging;
use crate::{Change, ServiceError, ServiceResult, Settle, sha256_hex};

/// The roles a user can hold.
pub const ROLES: &[&str] = &["admin", "manager", "clerk", "collector", "sales", "auditor"];

/// Roles that may close, reopen and waive.
const CLOSERS: &[&str] = &["admin", "manager"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    pub period: Period,
    /// Closed already (the checklist is then the one recorded at the close).
    pub closed: bool,
    pub lock: Option<Lock>,
    pub items: Vec<CheckItem>,
}

impl Checklist {
    pub fn blocking(&self) -> Vec<&CheckItem> {
        self.items.iter().filter(|i| i.blocks()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    pub period: Period,
    pub lock: Lock,
    pub frozen_items: usize,
    /// SHA-256 of the frozen summary and of its items.
    pub checksum: String,
    pub items_checksum: String,
    pub checklist: Checklist,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopened {
    pub period: Period,
    pub lock: Option<Lock>,
}

/// A period-end aging as frozen at the close: the summary exactly as it printed then (names
/// included, so a later rename does not change it) and every open item behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenSummary {
    pub report: AgingReport,
    pub names: Vec<(CustomerId, String, String)>,
    pub unidentified_cash: Vec<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenAging {
    pub period: String,
    pub as_of: Date,
    pub taken_at: String,
    pub aging: NamedAging,
    /// Empty unless asked for.
    pub items: Vec<SnapshotItem>,
    pub checksum: String,
    pub items_checksum: String,
}

/// A frozen aging's items as records: a header and one row each, amounts as decimal text.
pub fn snapshot_records(items: &[SnapshotItem]) -> ([&'static str; 9], Vec<[String; 9]>) {
    let header = [
        "customer_id",
        "kind",
        "number",
        "currency",
        "issue_date",
        "due_date",
        "days_past_due",
        "bucket",
        "balance",
    ];
    let rows = items
        .iter()
        .map(|i| {
            [
                i.customer_code.clone(),
                i.kind.clone(),
                i.number.clone(),
                i.balance.currency().code().to_string(),
                i.issue_date.to_string(),
                i.due_date.to_string(),
                i.days_past.to_string(),
                i.bucket.clone(),
                i.balance.to_decimal_string(),
            ]
        })
        .collect();
    (header, rows)
}

/// The detail aging's lines as the items a frozen aging keeps.
pub(crate) fn snapshot_items(detail: &crate::reports::AgingDetail) -> Vec<SnapshotItem> {
    detail
        .lines
        .iter()
        .map(|line| SnapshotItem {
            customer_code: detail.names.get(&line.item.customer).map_or_else(
                || line.item.customer.0.to_string(),
                |(code, _)| code.clone(),
            ),
            kind: line.item.kind.to_string(),
            number: line.item.number.clone(),
            issue_date: line.item.issue_date,
            due_date: line.item.due_date,
            days_past: line.days_past_due,
            bucket: detail.labels[line.bucket].clone(),
            balance: line.item.balance,
        })
        .collect()
}

/// How many days a dispute may stay open before the checklist lists it.
pub const DISPUTE_AGE_DAYS: i32 = 30;

/// The policy the period-end aging is frozen with: due-date buckets 1–30, 31–60, 61–90, 90+.
pub fn close_aging_policy() -> AgingPolicy {
    AgingPolicy::standard(AgingBasis::DueDate)
}

/// The summary as stored (JSON) with its SHA-256, and the SHA-256 of the items: kept apart so
/// that printing the summary need not read a million items back.
fn frozen_text(
    summary: &FrozenSummary,
    items: &[SnapshotItem],
) -> ServiceResult<(String, String, String)> {
    let report = serde_json::to_string(summary)
        .map_err(|e| ServiceError::Refused(format!("cannot serialise the aging: {e}")))?;
    let summary_checksum = sha256_hex(report.as_bytes());
    Ok((report, summary_checksum, items_checksum(items)))
}

fn items_checksum(items: &[SnapshotItem]) -> String {
    let mut text = String::with_capacity(items.len() * 64);
    for item in items {
        text.push_str(&format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}\n",
            item.customer_code,
            item.kind,
            item.number,
            item.issue_date,
            item.due_date,
            item.days_past,
            item.bucket,
            item.balance.currency(),
            item.balance.minor()
        ));
    }
    sha256_hex(text.as_bytes())
}

impl Settle {
    pub async fn calendar(&self) -> ServiceResult<Calendar> {
        Ok(self.store().calendar(self.entity().id).await?)
    }

    pub async fn period(&self, name: &str) -> ServiceResult<Period> {
        Ok(self.calendar().await?.named(name)?)
    }

    pub async fn period_lock(&self) -> ServiceResult<Option<Lock>> {
        Ok(self.store().period_lock(self.entity().id).await?)
    }

    pub async fn period_log(&self, period: Option<&str>) -> ServiceResult<Vec<PeriodLogRow>> {
        Ok(self.store().period_log(self.entity().id, period).await?)
    }

    /// Replaces calendar months by a fiscal calendar (or, with none, goes back to months).
    /// Refused once any period is closed: the closed periods' bounds must not move.
    pub async fn set_fiscal_calendar(&self, periods: Vec<Period>) -> ServiceResult<Calendar> {
        let calendar = if periods.is_empty() {
            Calendar::Months
        } else {
            Calendar::fiscal(periods.clone())?
        };
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        self.require_role(&mut tx, CLOSERS, "change the fiscal calendar")
            .await?;
        let lock = tx.period_lock(entity).await?;
        tx.set_period_lock(entity, lock.as_ref()).await?;
        if let Some(lock) = lock {
            return Err(ServiceError::Refused(format!(
                "the books are closed through {} ({}): reopen every closed period before changing the calendar",
                lock.through, lock.period
            )));
        }
        tx.set_calendar(entity, &periods).await?;
        let detail = match periods.first().zip(periods.last()) {
            Some((first, last)) => format!(
                "{} periods, {} ({}) to {} ({})",
                periods.len(),
                first.name,
                first.start,
                last.name,
                last.end
            ),
            None => "calendar months".to_string(),
        };
        tx.log_period_action(entity, "", "calendar", self.actor(), "", &detail)
            .await?;
        let change = Change::new("set_fiscal_calendar", Target::new("calendar", entity))
            .after(&json!({ "calendar": detail }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(calendar)
    }

    /// Registers a user with a role, and a password when one is given (hashed before the
    /// transaction, so the user and the password are stored together or not at all).
    pub async fn add_user(
        &self,
        name: &str,
        full_name: &str,
        role: &str,
        password: Option<&str>,
    ) -> ServiceResult<i64> {
        if !ROLES.contains(&role) {
            return Err(crate::error::invalid(
                "role",
                format!("{role:?} is not a role ({})", ROLES.join(", ")),
            ));
        }
        if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
            return Err(crate::error::invalid(
                "name",
                format!("{name:?}: a user name is one word"),
            ));
        }
        let hash = match password {
            Some(password) => Some(crate::access::hash_password(password).await?),
            None => None,
        };
        let mut tx = self.store().begin().await?;
        if tx.user(name).await?.is_some() {
            return Err(ServiceError::Conflict {
                what: format!("user {name:?}"),
                differences: "the name is taken".into(),
            });
        }
        let id = tx.insert_user(name, full_name, role).await?;
        if let Some(hash) = &hash {
            tx.set_password_hash(id, Some(hash)).await?;
        }
        let change = Change::new("add_user", Target::new("user", name)).after(&json!({
            "id": id, "name": name, "full_name": full_name, "role": role,
        }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn users(&self) -> ServiceResult<Vec<UserRow>> {
        Ok(self.store().users().await?)
    }

    pub(crate) async fn require_role(
        &self,
        tx: &mut settle_store::Tx,
        roles: &[&str],
        action: &str,
    ) -> ServiceResult<UserRow> {
        let user = tx.user(self.actor()).await?.ok_or_else(|| {
            ServiceError::NotPermitted(format!(
                "to {action} you must be a registered user with the role {}; {:?} is not registered (`settle user add NAME --role manager`, then --user NAME)",
                roles.join(" or "),
                self.actor()
            ))
        })?;
        if !roles.contains(&user.role.as_str()) {
            return Err(ServiceError::NotPermitted(format!(
                "to {action} needs the role {}; {} is {}",
                roles.join(" or "),
                user.name,
                user.role
            )));
        }
        Ok(user)
    }

    /// The close checklist of a period, as it stands now (or as recorded, once closed).
    pub async fn close_checklist(&self, name: &str) -> ServiceResult<Checklist> {
        let period = self.period(name).await?;
        let lock = self.period_lock().await?;
        let entity = self.entity().id;
        if lock.as_ref().is_some_and(|l| period.end <= l.through)
            && let Some(closed) = self
                .store()
                .period_closes(entity)
                .await?
                .into_iter()
                .find(|c| c.period.name == period.name)
        {
            let items: Vec<CheckItem> = serde_json::from_str(&closed.checklist).map_err(|e| {
                ServiceError::Refused(format!("the recorded checklist is unreadable: {e}"))
            })?;
            return Ok(Checklist {
                period,
                closed: true,
                lock,
                items,
            });
        }
        let items = self.check_items(&period).await?;
        Ok(Checklist {
            period,
            closed: false,
            lock,
            items,
        })
    }

    async fn check_items(&self, period: &Period) -> ServiceResult<Vec<CheckItem>> {
        let entity = self.entity().id;
        let store = self.store();
        let chart = store.chart(entity).await?;
        let unapplied_account = chart.code(AccountRole::UnappliedCash).to_string();

        let verify = self.verify().await?;
        let statements: Vec<StatementSpan> = store
            .statements_between(entity, "", Date::MIN, Date::MAX)
            .await?
            .into_iter()
            .map(|s| StatementSpan {
                bank_account: s.bank_account,
                reference: s.statement_ref,
                from: s.from_date,
                to: s.to_date,
                difference: s.difference,
            })
            .collect();
        let reconciliation = self
            .bank_reconciliation(None, period.start, period.end)
            .await?;
        let receipt_differences: Vec<String> = reconciliation
            .days
            .iter()
            .filter(|d| !d.difference.is_zero())
            .map(|d| {
                format!(
                    "{} {}: posted and statement differ by {} {} (`settle report bank-reconciliation` explains it)",
                    d.bank_account,
                    d.date,
                    d.difference.to_decimal_string(),
                    d.currency
                )
            })
            .collect();
        let suggestions: Vec<(String, Date, Money)> = store
            .open_suggestions(entity, period.end)
            .await?
            .into_iter()
            .map(|s| (s.bank_reference, s.received_on, s.unapplied))
            .collect();
        let unapplied: Vec<UnappliedCash> = store
            .unapplied_payments_as_of(entity, &unapplied_account, period.end)
            .await?
            .into_iter()
            .map(|p| UnappliedCash {
                bank_reference: p.bank_reference,
                customer: p.customer_code,
                received_on: p.received_on,
                amount: p.unapplied,
            })
            .collect();
        let disputes: Vec<OpenDispute> = store
            .disputes_open_since(entity, period.end)
            .await?
            .into_iter()
            .map(|d| OpenDispute {
                customer: d.customer_code,
                item: d.item_number,
                amount: d.amount,
                reason: d.reason,
                opened_on: d.opened_on,
            })
            .collect();
        let runs: Vec<(Date, Money, Money)> = store
            .reserve_runs(entity, Some(&period.name))
            .await?
            .into_iter()
            .map(|r| (r.as_of, r.required, r.adjustment))
            .collect();
        let frozen = store
            .aging_snapshot(entity, &period.name)
            .await?
            .map(|s| s.items);
        let gl = self.gl_differences(period).await?;

        Ok(vec![
            close::check_ledger(&verify.problems),
            close::check_bank_files(period, &statements),
            close::check_statements(period, &statements, &receipt_differences),
            close::check_suggestions(period, &suggestions),
            close::check_unapplied(period, &unapplied),
            close::check_disputes(period, &disputes, DISPUTE_AGE_DAYS),
            close::check_reserve(period, &runs),
            close::check_gl(gl.as_deref()),
            close::check_aging_snapshot(period, frozen),
        ])
    }

    /// Differences with the general ledger's balance for the period, when one was imported.
    async fn gl_differences(&self, period: &Period) -> ServiceResult<Option<Vec<String>>> {
        Ok(self
            .gl_reconciliation(&period.name)
            .await?
            .map(|r| r.checklist_lines()))
    }

    /// Closes a period: checks it (failed items block unless waived with a reason), freezes
    /// its period-end aging and moves the lock to its end, all in one transaction.
    pub async fn close_period(
        &self,
        name: &str,
        today: Date,
        waivers: &[(String, String)],
    ) -> ServiceResult<Closed> {
        let entity = self.entity().id;
        let period = self.period(name).await?;
        {
            let mut tx = self.store().begin().await?;
            self.require_role(&mut tx, CLOSERS, "close a period")
                .await?;
            let calendar = tx.calendar(entity).await?;
            let lock = tx.period_lock(entity).await?;
            period::check_close(&calendar, lock.as_ref(), &period, today)?;
        }
        let mut items = self.check_items(&period).await?;
        for (key, reason) in waivers {
            close::waive(&mut items, key, reason)
                .map_err(|m| crate::error::invalid("--waive", m))?;
        }
        let blocking: Vec<String> = items
            .iter()
            .filter(|i| i.blocks())
            .map(|i| format!("{} ({}): {}", i.key, i.title, i.summary))
            .collect();
        if !blocking.is_empty() {
            return Err(ServiceError::Refused(format!(
                "period {} cannot close; nothing was changed. Failed: {}. Fix them, or waive one with --waive KEY=REASON",
                period.name,
                blocking.join("; ")
            )));
        }

        // Freeze what the books say at the period end, then lock; if anything was posted
        // dated inside the period meanwhile, the frozen aging may be stale: refuse.
        let last_entry = self.store().last_entry_id(entity).await?;
        let policy = close_aging_policy();
        let aging = self.aging(&policy, period.end).await?;
        let detail = self.aging_detail(&policy, period.end).await?;
        let mut names: Vec<(CustomerId, String, String)> = aging
            .names
            .iter()
            .filter(|(id, _)| aging.report.rows.iter().any(|r| r.customer == Some(**id)))
            .map(|(id, (code, name))| (*id, code.clone(), name.clone()))
            .collect();
        names.sort();
        let summary = FrozenSummary {
            report: aging.report.clone(),
            names,
            unidentified_cash: aging.unidentified_cash.clone(),
        };
        let snapshot = snapshot_items(&detail);
        let (report, checksum, items_checksum) = frozen_text(&summary, &snapshot)?;

        let mut tx = self.store().begin().await?;
        let user = self
            .require_role(&mut tx, CLOSERS, "close a period")
            .await?;
        let calendar = tx.calendar(entity).await?;
        let lock = tx.period_lock(entity).await?;
        period::check_close(&calendar, lock.as_ref(), &period, today)?;
        let new_lock = Lock {
            period: period.name.clone(),
            through: period.end,
        };
        tx.set_period_lock(entity, Some(&new_lock)).await?;
        let late = tx.entries_since(entity, last_entry, period.end).await?;
        if late > 0 {
            return Err(ServiceError::Refused(format!(
                "{late} entr(y/ies) dated in or before {} were posted while the close was running; nothing was changed: run the close again",
                period.name
            )));
        }
        tx.insert_aging_snapshot(
            entity,
            &period.name,
            period.end,
            &report,
            &snapshot,
            (&checksum, &items_checksum),
        )
        .await?;
        let checklist = Checklist {
            period: period.clone(),
            closed: true,
            lock: Some(new_lock.clone()),
            items,
        };
        let recorded = serde_json::to_string(&checklist.items)
            .map_err(|e| ServiceError::Refused(format!("cannot record the checklist: {e}")))?;
        tx.insert_period_close(entity, &period, &user.name, &recorded)
            .await?;
        let waived: Vec<String> = checklist
            .items
            .iter()
            .filter_map(|i| i.waived.as_ref().map(|r| format!("{} waived: {r}", i.key)))
            .collect();
        tx.log_period_action(
            entity,
            &period.name,
            "close",
            &user.name,
            &waived.join("; "),
            &format!(
                "closed through {}; aging frozen with {} item(s), sha256 {checksum} (items {items_checksum})",
                period.end,
                snapshot.len()
            ),
        )
        .await?;
        let change = Change::new("close_period", Target::new("period", &period.name))
            .before(&json!({ "lock": lock_text(lock.as_ref()) }))
            .after(&json!({
                "lock": lock_text(Some(&new_lock)),
                "frozen_items": snapshot.len(),
                "aging_sha256": checksum,
                "items_sha256": items_checksum,
                "waived": waived,
            }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(Closed {
            period,
            lock: new_lock,
            frozen_items: snapshot.len(),
            checksum,
            items_checksum,
            checklist,
        })
    }

    /// Reopens the latest closed period; a manager's act with a reason, on record.
    pub async fn reopen_period(&self, name: &str, reason: &str) -> ServiceResult<Reopened> {
        if reason.trim().is_empty() {
            return Err(crate::error::invalid(
                "--reason",
                "reopening a period needs a reason",
            ));
        }
        let entity = self.entity().id;
        let period = self.period(name).await?;
        let mut tx = self.store().begin().await?;
        let user = self
            .require_role(&mut tx, CLOSERS, "reopen a period")
            .await?;
        let calendar = tx.calendar(entity).await?;
        let lock = tx.period_lock(entity).await?;
        let first = tx.first_closed_period(entity).await?;
        let new_lock = period::reopen(&calendar, lock.as_ref(), &period, first.as_ref())?;
        tx.set_period_lock(entity, new_lock.as_ref()).await?;
        tx.delete_period_close(entity, &period.name).await?;
        tx.log_period_action(
            entity,
            &period.name,
            "reopen",
            &user.name,
            reason,
            &match &new_lock {
                Some(lock) => format!("closed through {} ({})", lock.through, lock.period),
                None => "no period closed".to_string(),
            },
        )
        .await?;
        let change = Change::new("reopen_period", Target::new("period", &period.name))
            .before(&json!({ "lock": lock_text(lock.as_ref()) }))
            .after(&json!({ "lock": lock_text(new_lock.as_ref()), "reason": reason }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(Reopened {
            period,
            lock: new_lock,
        })
    }

    /// The aging frozen when the period closed, checked against its checksums; its items too
    /// when `with_items`.
    pub async fn frozen_aging(&self, name: &str, with_items: bool) -> ServiceResult<FrozenAging> {
        let entity = self.entity().id;
        let snapshot = self
            .store()
            .aging_snapshot(entity, name)
            .await?
            .ok_or_else(|| {
                crate::error::not_found(format!(
                    "a frozen aging for period {name:?} (a period's aging is frozen when it closes)"
                ))
            })?;
        let changed = |what: &str, stored: &str, computed: &str| {
            ServiceError::Refused(format!(
                "the frozen aging of {name} ({what}) does not match its checksum (stored {stored}, computed {computed}): it was changed after the close"
            ))
        };
        let computed = sha256_hex(snapshot.report.as_bytes());
        if computed != snapshot.checksum {
            return Err(changed("summary", &snapshot.checksum, &computed));
        }
        let items = if with_items {
            let items = self.store().aging_snapshot_items(entity, name).await?;
            let computed = items_checksum(&items);
            if computed != snapshot.items_checksum {
                return Err(changed("items", &snapshot.items_checksum, &computed));
            }
            items
        } else {
            Vec::new()
        };
        let summary: FrozenSummary = serde_json::from_str(&snapshot.report)
            .map_err(|e| ServiceError::Refused(format!("the frozen aging is unreadable: {e}")))?;
        let names: HashMap<CustomerId, (String, String)> = summary
            .names
            .into_iter()
            .map(|(id, code, name)| (id, (code, name)))
            .collect();
        Ok(FrozenAging {
            period: snapshot.period,
            as_of: snapshot.as_of,
            taken_at: snapshot.taken_at,
            aging: NamedAging {
                report: summary.report,
                names,
                unidentified_cash: summary.unidentified_cash,
            },
            items,
            checksum: snapshot.checksum,
            items_checksum: snapshot.items_checksum,
        })
    }
}

/// A correction posted: the reversal and the entry it reverses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corrected {
    pub entry_id: settle_core::ids::EntryId,
    pub reverses: settle_core::ids::EntryId,
    pub date: Date,
}

impl Settle {
    /// Corrects a posted entry by its exact opposite, dated `date` (in an open period) and
    /// naming the original: the way to put right an entry inside a closed period.
    pub async fn correct_entry(
        &self,
        entry: settle_core::ids::EntryId,
        date: Date,
        reason: &str,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<crate::Outcome<Corrected>> {
        let text = format!("{entry} {date} {reason}");
        let target = |_: &Corrected| Target::new("entry", entry);
        self.write(idempotency_key, "correct", target, &text, async |tx| {
            let entity = self.entity().id;
            let original = tx
                .entry(entity, entry)
                .await?
                .ok_or_else(|| crate::error::not_found(format!("entry {entry}")))?;
            let reversed_by = tx.reversal_of(entity, entry).await?;
            let mut items = Vec::new();
            for id in original.item_deltas().into_keys() {
                items.extend(tx.item_by_id(entity, id).await?);
            }
            let mut payments = Vec::new();
            for id in original.payment_deltas().into_keys() {
                payments.extend(tx.payment_by_id(entity, id).await?);
            }
            let reversal = settle_core::correction::correction(
                entry,
                &original,
                reversed_by,
                &items,
                &payments,
                date,
                reason,
            )
            .map_err(|e| ServiceError::Refused(e.to_string()))?;
            let entry_id = crate::ops::book(tx, self, reversal).await?;
            Ok(Corrected {
                entry_id,
                reverses: entry,
                date,
            })
        })
        .await
    }
}

/// A period lock as the audit trail records it.
fn lock_text(lock: Option<&Lock>) -> String {
    match lock {
        Some(lock) => format!("closed through {} ({})", lock.through, lock.period),
        None => "no period closed".to_string(),
    }
}
