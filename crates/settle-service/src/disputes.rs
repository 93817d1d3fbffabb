//! Disputes and deductions: opened by a clerk on an invoice or one of its lines, or by cash
//! application on a short payment; reviewed, annotated and resolved.
//!
//! A resolution and what it posts are one transaction: a credit memo applied to the disputed
//! invoice (`credited`), the invoice credited in full and replaced by another (`rebilled`), the
//! disputed amount written off (`written_off`), or nothing posted and the amount collected again
//! (`reinstated`). The postings go through the same operations as `settle credit-memo` and
//! `settle write-off`, so closed periods, currencies and balances are checked the same way.
//! A resolution whose credit memo or write-off exceeds its approval limit posts nothing: it
//! waits for a checker (`approvals.rs`), and the approval resolves the dispute and posts.

use serde::{Deserialize, Serialize};

use settle_core::audit_chain::Target;
use settle_core::dispute::{
    self, DisputeError, DisputeReason, DisputeStatus, DisputeTarget, check_transition,
};
use settle_core::document::ItemKind;
use settle_core::events::WriteOffPolicy;
use settle_core::ids::EntryId;
use settle_core::money::SignPolicy;
use settle_core::{Date, Money};
use settle_store::{DisputeFilter, DisputeNoteRow, DisputeResolution, DisputeRow, NewDispute, Tx};

use crate::approvals::{ApprovalRequest, Decided, hold};
use crate::error::{invalid, not_found};
use crate::ops::{issue_memo_in, parse_amount, write_off_in};
use crate::{MemoRequest, Outcome, ServiceError, ServiceResult, Settle, WriteOffRequest};

/// A dispute to open on an invoice (or debit memo), or on one of its lines.
#[derive(Debug, Clone)]
pub struct DisputeRequest {
    pub invoice: String,
    pub amount: String,
    pub reason: DisputeReason,
    pub line: Option<i64>,
    pub owner: String,
    pub due: Option<Date>,
    pub note: String,
    pub date: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeOpened {
    pub dispute_id: i64,
    pub invoice: String,
    pub customer: String,
    pub amount: Money,
    /// What active disputes hold on the invoice now, this one included.
    pub disputed_on_invoice: Money,
    pub invoice_open: Money,
}

/// How to end a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resolution {
    /// A credit memo applied to the invoice: the disputed amount, or less.
    CreditMemo { amount: Option<String> },
    /// The invoice is credited in full (what is open on it) and `replacement`, an invoice
    /// already issued to the same customer in the same currency, is what the customer owes.
    Rebill { replacement: String },
    /// The customer was wrong: the amount is collected again. Nothing is posted.
    Reinstate,
    /// The disputed amount is written off, from the allowance or (`direct`) to expense.
    WriteOff { direct: bool },
}

impl Resolution {
    /// A resolution named by its code (`credit_memo`, `rebill`, `reinstate`, `write_off`)
    /// with what that kind needs, as forms and the API send it; an empty text is absent.
    pub fn from_parts(
        kind: &str,
        amount: Option<String>,
        replacement: Option<String>,
        direct: bool,
    ) -> ServiceResult<Resolution> {
        let given = |text: Option<String>| text.filter(|t| !t.trim().is_empty());
        Ok(match kind {
            "credit_memo" => Resolution::CreditMemo {
                amount: given(amount),
            },
            "rebill" => Resolution::Rebill {
                replacement: given(replacement).ok_or_else(|| {
                    invalid(
                        "replacement",
                        "a rebill names the invoice that replaces the disputed one",
                    )
                })?,
            },
            "reinstate" => Resolution::Reinstate,
            "write_off" => Resolution::WriteOff { direct },
            other => {
                return Err(invalid(
                    "resolution",
                    format!("{other:?} is not credit_memo, rebill, reinstate or write_off"),
                ));
            }
        })
    }

    pub fn status(&self) -> DisputeStatus {
        match self {
            Resolution::CreditMemo { .. } => DisputeStatus::Credited,
            Resolution::Rebill { .. } => DisputeStatus::Rebilled,
            Resolution::Reinstate => DisputeStatus::Reinstated,
            Resolution::WriteOff { .. } => DisputeStatus::WrittenOff,
        }
    }
}

/// A resolution stored to wait for approval, with the figure the checker approves: if the
/// ledger has moved so that the resolution would post another amount, the approval is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolutionRequest {
    pub dispute_id: i64,
    pub invoice: String,
    pub resolution: Resolution,
    pub date: Date,
    pub note: String,
    pub amount: Money,
}

impl ResolutionRequest {
    /// Whether the limit of write-offs or of credit memos applies.
    pub fn is_write_off(&self) -> bool {
        matches!(self.resolution, Resolution::WriteOff { .. })
    }

    pub fn summary(&self) -> String {
        let how = match &self.resolution {
            Resolution::CreditMemo { .. } => "a credit memo".to_string(),
            Resolution::Rebill { replacement } => format!("a rebill as {replacement}"),
            Resolution::Reinstate => "reinstating".to_string(),
            Resolution::WriteOff { .. } => "a write-off".to_string(),
        };
        format!(
            "resolution of dispute {} on {} by {how} of {}",
            self.dispute_id, self.invoice, self.amount
        )
    }
}

/// Whether a resolution may wait for approval, or was approved for a figure.
#[derive(Debug, Clone, Copy)]
enum Approving {
    MayWait,
    Approved(Money),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeResolved {
    pub dispute_id: i64,
    pub status: String,
    pub invoice: String,
    /// What was credited or written off (zero when reinstated).
    pub posted: Money,
    pub credit_memo: Option<String>,
    pub replacement: Option<String>,
    pub entry_id: Option<EntryId>,
    /// What is open on the disputed invoice afterwards.
    pub invoice_open: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeChanged {
    pub dispute_id: i64,
    pub status: String,
}

/// A dispute read back: its row, with the reason and status as codes. A stored reason that is
/// no code (rows from before the codes) is `other`, and its text is in `reason_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub row: DisputeRow,
    pub reason: DisputeReason,
    pub reason_text: Option<String>,
    pub status: DisputeStatus,
}

impl Dispute {
    /// The dispute as front ends show it.
    pub fn to_json(&self) -> serde_json::Value {
        let d = self;
        let row = &d.row;
        serde_json::json!({
            "dispute_id": row.id,
            "customer_id": row.customer_code,
            "invoice": row.item_number,
            "line": row.line_no,
            "amount": row.amount,
            "reason": d.reason.as_str(),
            "reason_text": d.reason_text,
            "status": d.status.as_str(),
            "active": d.status.is_active(),
            "owner": row.owner,
            "opened_on": row.opened_on,
            "due_on": row.due_on,
            "resolved_on": row.resolved_on,
            "resolved_by": row.resolved_by,
            "credit_memo": row.credit_memo,
            "replacement": row.replacement,
            "decision_id": row.decision,
            "note": row.note,
        })
    }
}

/// Which disputes to list; the customer by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisputeQuery {
    pub status: Option<DisputeStatus>,
    pub owner: Option<String>,
    pub customer: Option<String>,
    pub overdue_as_of: Option<Date>,
}

fn refused(error: DisputeError) -> ServiceError {
    ServiceError::Refused(error.to_string())
}

fn read(row: DisputeRow) -> ServiceResult<Dispute> {
    let (reason, reason_text) = DisputeReason::read_stored(&row.reason);
    let status = row.status.parse().map_err(|e| {
        ServiceError::Refused(format!("dispute {} has an unknown status: {e}", row.id))
    })?;
    Ok(Dispute {
        row,
        reason,
        reason_text,
        status,
    })
}

async fn locked(tx: &mut Tx, settle: &Settle, id: i64) -> ServiceResult<Dispute> {
    let row = tx
        .dispute_for_update(settle.entity().id, id)
        .await?
        .ok_or_else(|| not_found(format!("dispute {id}")))?;
    read(row)
}

/// A dispute as the audit trail keeps it before a change.
async fn dispute_state(tx: &mut Tx, settle: &Settle, id: i64) -> ServiceResult<serde_json::Value> {
    let dispute = locked(tx, settle, id).await?;
    Ok(serde_json::json!({
        "dispute": id,
        "invoice": dispute.row.item_number,
        "amount": dispute.row.amount,
        "status": dispute.status.to_string(),
        "owner": dispute.row.owner,
        "note": dispute.row.note,
    }))
}

impl Settle {
    /// Opens a dispute on an invoice or debit memo (or one of its lines). Under a request's
    /// idempotency key, a retry returns the first answer marked as replayed.
    pub async fn open_dispute(
        &self,
        request: DisputeRequest,
    ) -> ServiceResult<Outcome<DisputeOpened>> {
        if let Some(due) = request.due
            && due < request.date
        {
            return Err(invalid("due", "is before the day the dispute opens"));
        }
        let text = format!("{request:?}");
        let outcome = self
            .write(
                None,
                "open_dispute",
                |opened: &DisputeOpened| Target::new("dispute", opened.dispute_id),
                &text,
                async |tx| {
                    let entity = self.entity().id;
                    let item = tx
                        .item_by_number(entity, None, &request.invoice)
                        .await?
                        .ok_or_else(|| not_found(format!("invoice {:?}", request.invoice)))?;
                    if !item.kind.is_debit() {
                        return Err(invalid(
                            "invoice",
                            format!(
                                "{} is a credit memo: only invoices and debit memos are disputed",
                                item.number
                            ),
                        ));
                    }
                    let amount =
                        parse_amount("amount", &request.amount, item.currency, SignPolicy::Signed)?;
                    let disputed =
                        Money::new(tx.actively_disputed(entity, item.id).await?, item.currency);
                    let line = match request.line {
                        Some(line_no) => {
                            let (count, line) = tx.item_line(entity, item.id, line_no).await?;
                            let total = line.map(|(net, tax)| Money::new(net + tax, item.currency));
                            Some((line_no, count, total))
                        }
                        None => None,
                    };
                    let open = item.open_amount();
                    dispute::check_new(
                        amount,
                        &DisputeTarget {
                            number: &item.number,
                            open,
                            disputed,
                            line,
                        },
                    )
                    .map_err(refused)?;
                    let (customer, _) = tx
                        .customer_code_and_name(entity, item.customer)
                        .await?
                        .ok_or_else(|| not_found(format!("the customer of {}", item.number)))?;
                    let id = tx
                        .insert_dispute(
                            entity,
                            &NewDispute {
                                customer: item.customer,
                                item: item.id,
                                line_no: request.line,
                                amount,
                                reason: request.reason,
                                owner: &request.owner,
                                due_on: request.due,
                                opened_on: request.date,
                                decision: None,
                                note: &request.note,
                                opened_by: self.actor(),
                            },
                        )
                        .await?;
                    Ok(DisputeOpened {
                        dispute_id: id,
                        invoice: item.number.clone(),
                        customer,
                        amount,
                        disputed_on_invoice: disputed.checked_add(amount)?,
                        invoice_open: open,
                    })
                },
            )
            .await?;
        Ok(outcome)
    }

    /// Disputes by the query, by id.
    pub async fn disputes(&self, query: &DisputeQuery) -> ServiceResult<Vec<Dispute>> {
        let customer = match &query.customer {
            Some(code) => Some(self.customer_id(code).await?),
            None => None,
        };
        let filter = DisputeFilter {
            status: query.status,
            owner: query.owner.clone(),
            customer,
            overdue_as_of: query.overdue_as_of,
        };
        self.store()
            .disputes(self.entity().id, &filter)
            .await?
            .into_iter()
            .map(read)
            .collect()
    }

    /// A customer's active disputes (open or in review).
    pub async fn open_disputes(&self, customer: &str) -> ServiceResult<Vec<DisputeRow>> {
        let id = self.customer_id(customer).await?;
        Ok(self.store().open_disputes(self.entity().id, id).await?)
    }

    /// One dispute with its history.
    pub async fn dispute(&self, id: i64) -> ServiceResult<(Dispute, Vec<DisputeNoteRow>)> {
        let entity = self.entity().id;
        let row = self
            .store()
            .dispute(entity, id)
            .await?
            .ok_or_else(|| not_found(format!("dispute {id}")))?;
        let notes = self.store().dispute_notes(entity, id).await?;
        Ok((read(row)?, notes))
    }

    /// Puts an open dispute into review.
    pub async fn review_dispute(
        &self,
        id: i64,
        date: Date,
        note: &str,
    ) -> ServiceResult<DisputeChanged> {
        let text = format!("{id} {date} {note}");
        let outcome = self
            .write_updating(
                None,
                "review_dispute",
                |_: &_| Target::new("dispute", id),
                &text,
                async |tx| dispute_state(tx, self, id).await,
                async |tx| {
                    let dispute = locked(tx, self, id).await?;
                    check_transition(id, dispute.status, DisputeStatus::InReview)
                        .map_err(refused)?;
                    let entity = self.entity().id;
                    tx.set_dispute_status(entity, id, DisputeStatus::InReview)
                        .await?;
                    let body = if note.is_empty() {
                        "in review".to_string()
                    } else {
                        format!("in review: {note}")
                    };
                    tx.add_dispute_note(entity, id, date, self.actor(), "in_review", &body)
                        .await?;
                    Ok(DisputeChanged {
                        dispute_id: id,
                        status: DisputeStatus::InReview.to_string(),
                    })
                },
            )
            .await?;
        Ok(outcome.value)
    }

    /// Adds a note to a dispute's history (in any status).
    pub async fn note_dispute(
        &self,
        id: i64,
        date: Date,
        note: &str,
    ) -> ServiceResult<DisputeChanged> {
        if note.trim().is_empty() {
            return Err(invalid("text", "a note needs some text"));
        }
        let text = format!("{id} {date} {note}");
        let outcome = self
            .write(
                None,
                "note_dispute",
                |_: &_| Target::new("dispute", id),
                &text,
                async |tx| {
                    let dispute = locked(tx, self, id).await?;
                    tx.add_dispute_note(self.entity().id, id, date, self.actor(), "note", note)
                        .await?;
                    Ok(DisputeChanged {
                        dispute_id: id,
                        status: dispute.status.to_string(),
                    })
                },
            )
            .await?;
        Ok(outcome.value)
    }

    /// Resolves an active dispute and posts what the resolution posts, in one transaction; a
    /// credit memo or write-off over its approval limit posts nothing and waits for approval.
    pub async fn resolve_dispute(
        &self,
        id: i64,
        resolution: Resolution,
        date: Date,
        note: &str,
    ) -> ServiceResult<Outcome<Decided<DisputeResolved>>> {
        let text = format!("{id} {resolution:?} {date} {note}");
        self.write_updating(
            None,
            "resolve_dispute",
            |_: &_| Target::new("dispute", id),
            &text,
            async |tx| dispute_state(tx, self, id).await,
            async |tx| resolve_in(tx, self, id, &resolution, date, note, Approving::MayWait).await,
        )
        .await
    }
}

/// Posts an approved resolution inside the approval's transaction, refusing if the ledger
/// moved so that it would post another figure than the one approved.
pub(crate) async fn resolve_approved(
    tx: &mut Tx,
    settle: &Settle,
    request: &ResolutionRequest,
) -> ServiceResult<DisputeResolved> {
    let decided = resolve_in(
        tx,
        settle,
        request.dispute_id,
        &request.resolution,
        request.date,
        &request.note,
        Approving::Approved(request.amount),
    )
    .await?;
    match decided {
        Decided::Posted(resolved) => Ok(resolved),
        Decided::AwaitsApproval(_) => Err(ServiceError::Refused(format!(
            "dispute {}: an approved resolution cannot wait again",
            request.dispute_id
        ))),
    }
}

/// Stores the resolution to wait for a checker when `amount` exceeds its limit; `None` when it
/// may post now. An approved one checks that it still posts the approved figure.
#[allow(clippy::too_many_arguments)]
async fn wait_or_check(
    tx: &mut Tx,
    settle: &Settle,
    approving: Approving,
    dispute: &Dispute,
    resolution: &Resolution,
    date: Date,
    note: &str,
    amount: Money,
) -> ServiceResult<Option<crate::approvals::PendingApproval>> {
    let id = dispute.row.id;
    match approving {
        Approving::Approved(approved) if approved == amount => Ok(None),
        Approving::Approved(approved) => Err(ServiceError::Refused(format!(
            "dispute {id}: it was approved for {approved} but would now post {amount}; reject it and resolve it again"
        ))),
        Approving::MayWait => {
            let request = ApprovalRequest::DisputeResolution(ResolutionRequest {
                dispute_id: id,
                invoice: dispute.row.item_number.clone(),
                resolution: resolution.clone(),
                date,
                note: note.to_string(),
                amount,
            });
            let pending = hold(tx, settle, &request, amount).await?;
            if let Some(pending) = &pending {
                let body = format!(
                    "{} awaits approval {}",
                    resolution.status(),
                    pending.approval_id
                );
                tx.add_dispute_note(settle.entity().id, id, date, settle.actor(), "note", &body)
                    .await?;
            }
            Ok(pending)
        }
    }
}

/// The approval a resolution of dispute `id` waits on, if one does. The dispute's row is locked
/// by the caller, so two clerks resolving it at once take turns and the second sees the first's
/// request.
async fn awaiting_approval(tx: &mut Tx, settle: &Settle, id: i64) -> ServiceResult<Option<i64>> {
    let pending = tx.pending_approvals(settle.entity().id).await?;
    Ok(pending.into_iter().find_map(|row| {
        match serde_json::from_str::<ApprovalRequest>(&row.request) {
            Ok(ApprovalRequest::DisputeResolution(request)) if request.dispute_id == id => {
                Some(row.id)
            }
            _ => None,
        }
    }))
}

async fn resolve_in(
    tx: &mut Tx,
    settle: &Settle,
    id: i64,
    resolution: &Resolution,
    date: Date,
    note: &str,
    approving: Approving,
) -> ServiceResult<Decided<DisputeResolved>> {
    let entity = settle.entity().id;
    let dispute = locked(tx, settle, id).await?;
    let status = resolution.status();
    check_transition(id, dispute.status, status).map_err(refused)?;
    if matches!(approving, Approving::MayWait)
        && let Some(waiting) = awaiting_approval(tx, settle, id).await?
    {
        return Err(ServiceError::Refused(format!(
            "dispute {id}: a resolution already awaits approval {waiting}; approve or reject it first"
        )));
    }
    let row = &dispute.row;
    let item = tx
        .item_by_id(entity, row.item)
        .await?
        .ok_or_else(|| not_found(format!("the item of dispute {id}")))?;
    let open = item.open_amount();
    let reason = dispute.reason.reason_code();
    let credit = |amount: Money, what: &str| MemoRequest {
        kind: ItemKind::CreditMemo,
        customer: row.customer_code.clone(),
        number: None,
        amount: amount.to_decimal_string(),
        tax: None,
        currency: Some(item.currency),
        reason,
        date,
        due_date: None,
        description: format!("dispute {id} ({}): {what}", dispute.reason),
        apply_to: Some(item.number.clone()),
    };
    let mut resolved = DisputeResolution {
        status,
        on: date,
        by: settle.actor().to_string(),
        credit_item: None,
        replacement_item: None,
        entry: None,
    };
    let mut credit_memo = None;
    let mut replacement_number = None;
    let posted = match resolution {
        Resolution::CreditMemo { amount } => {
            let requested = amount
                .as_deref()
                .map(|text| parse_amount("amount", text, item.currency, SignPolicy::Signed))
                .transpose()?;
            let amount = dispute::credit_amount(id, &item.number, row.amount, requested, open)
                .map_err(refused)?;
            let explicit = Resolution::CreditMemo {
                amount: Some(amount.to_decimal_string()),
            };
            if let Some(pending) = wait_or_check(
                tx, settle, approving, &dispute, &explicit, date, note, amount,
            )
            .await?
            {
                return Ok(Decided::AwaitsApproval(pending));
            }
            let issued = issue_memo_in(tx, settle, &credit(amount, "credited")).await?;
            resolved.credit_item = Some(issued.item_id);
            resolved.entry = Some(issued.entry_id.0);
            credit_memo = Some(issued.number);
            amount
        }
        Resolution::Rebill { replacement } => {
            let new = tx
                .item_by_number(entity, Some(ItemKind::Invoice), replacement)
                .await?
                .ok_or_else(|| {
                    invalid(
                        "rebill",
                        format!(
                            "no invoice {replacement:?}: issue or import the replacement invoice first"
                        ),
                    )
                })?;
            if new.id == item.id {
                return Err(invalid(
                    "rebill",
                    format!("{replacement} is the disputed invoice itself"),
                ));
            }
            if new.customer != item.customer || new.currency != item.currency {
                return Err(invalid(
                    "rebill",
                    format!(
                        "{replacement} is not billed to {} in {}",
                        row.customer_code, item.currency
                    ),
                ));
            }
            if !open.is_positive() {
                return Err(ServiceError::Refused(format!(
                    "dispute {id}: nothing is open on {} to credit",
                    item.number
                )));
            }
            if let Some(pending) = wait_or_check(
                tx, settle, approving, &dispute, resolution, date, note, open,
            )
            .await?
            {
                return Ok(Decided::AwaitsApproval(pending));
            }
            let what = format!("rebilled as {replacement}");
            let issued = issue_memo_in(tx, settle, &credit(open, &what)).await?;
            resolved.credit_item = Some(issued.item_id);
            resolved.replacement_item = Some(new.id);
            resolved.entry = Some(issued.entry_id.0);
            credit_memo = Some(issued.number);
            replacement_number = Some(new.number.clone());
            open
        }
        Resolution::Reinstate => Money::zero(item.currency),
        Resolution::WriteOff { direct } => {
            dispute::check_still_open(id, &item.number, row.amount, open, "write off")
                .map_err(refused)?;
            if let Some(pending) = wait_or_check(
                tx, settle, approving, &dispute, resolution, date, note, row.amount,
            )
            .await?
            {
                return Ok(Decided::AwaitsApproval(pending));
            }
            let adjusted = write_off_in(
                tx,
                settle,
                &WriteOffRequest {
                    invoice: item.number.clone(),
                    amount: Some(row.amount.to_decimal_string()),
                    reason,
                    date,
                    policy: if *direct {
                        WriteOffPolicy::DirectExpense
                    } else {
                        WriteOffPolicy::Allowance
                    },
                    memo: format!("dispute {id} ({})", dispute.reason),
                },
            )
            .await?;
            resolved.entry = Some(adjusted.entry_id.0);
            row.amount
        }
    };
    tx.resolve_dispute(entity, id, &resolved).await?;
    let mut body = match (&credit_memo, &replacement_number) {
        (Some(memo), Some(new)) => format!("{status}: {memo} credits {posted}, replaced by {new}"),
        (Some(memo), None) => format!("{status}: {memo} credits {posted}"),
        _ if posted.is_positive() => format!("{status}: {posted} written off"),
        _ => format!("{status}: {} returns to collection", row.amount),
    };
    if !note.is_empty() {
        body.push_str(&format!(" ({note})"));
    }
    tx.add_dispute_note(entity, id, date, settle.actor(), status.as_str(), &body)
        .await?;
    Ok(Decided::Posted(DisputeResolved {
        dispute_id: id,
        status: status.to_string(),
        invoice: item.number.clone(),
        posted,
        credit_memo,
        replacement: replacement_number,
        entry_id: resolved.entry.map(EntryId),
        invoice_open: open.checked_sub(posted)?,
    }))
}
