//! Maker-checker: credit memos, write-offs and refunds over a limit wait for a second person.
//!
//! The operation that would post them ([`Settle::issue_memo`], [`Settle::write_off`],
//! [`Settle::refund`]) decides the amount as usual, then [`hold`] compares it with the limit
//! for its kind and currency; over it, the request is stored as JSON (its amount made explicit,
//! so the checker approves a figure and not "whatever is open") and the maker is told it
//! awaits approval, in the same transaction that remembers the idempotency key, so a retried
//! request returns the same pending approval. [`Settle::approve`] posts the stored request in
//! the transaction that marks it approved, deciding against the ledger as it is then: if the
//! invoice was paid meanwhile, the posting is refused and the request stays pending. The
//! request row is locked first and its status is the guard, so two checkers post it once.
//!
//! A dispute resolution that posts a credit memo or a write-off waits like them, under the
//! limit of the operation it posts ([`Settle::resolve_dispute`]); its approval resolves the
//! dispute and posts in one transaction. Interest runs do not wait: the rate is a decision a
//! manager's process already made.

use serde::{Deserialize, Serialize};
use settle_core::audit_chain::Target;

use settle_core::Currency;
use settle_core::Money;
use settle_core::access::Role;
use settle_core::approval::{self, ApprovalOperation, ApprovalStatus};
use settle_core::money::SignPolicy;
use settle_store::{ApprovalRow, Decision, NewApproval, Tx};

use crate::disputes::{DisputeResolved, ResolutionRequest};
use crate::error::{invalid, not_found};
use crate::{
    Adjusted, DocumentIssued, MemoRequest, Outcome, RefundFrom, RefundRequest, Refunded,
    ServiceError, ServiceResult, Settle, WriteOffRequest,
};

/// What an operation that may wait did: posted at once, or stored to await approval. A posted
/// result serialises exactly as before approvals existed, so stored idempotent responses and
/// the CLI's JSON keep their shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Decided<T> {
    Posted(T),
    AwaitsApproval(PendingApproval),
}

impl<T> Decided<T> {
    pub fn posted(&self) -> Option<&T> {
        match self {
            Decided::Posted(value) => Some(value),
            Decided::AwaitsApproval(_) => None,
        }
    }

    pub fn pending(&self) -> Option<&PendingApproval> {
        match self {
            Decided::Posted(_) => None,
            Decided::AwaitsApproval(pending) => Some(pending),
        }
    }

    /// The posted value, or a refusal naming the approval it waits for (for callers that set
    /// no limits, such as the demo).
    pub fn into_posted(self) -> ServiceResult<T> {
        match self {
            Decided::Posted(value) => Ok(value),
            Decided::AwaitsApproval(pending) => Err(ServiceError::Refused(format!(
                "{} awaits approval {} ({} over the limit)",
                pending.summary, pending.approval_id, pending.amount
            ))),
        }
    }
}

/// A request stored to wait for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingApproval {
    pub approval_id: i64,
    #[serde(with = "crate::serde_text")]
    pub operation: ApprovalOperation,
    pub amount: Money,
    pub maker: String,
    pub summary: String,
}

/// A request as stored while it waits: everything needed to post it later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", content = "request", rename_all = "snake_case")]
pub enum ApprovalRequest {
    CreditMemo(MemoRequest),
    WriteOff(WriteOffRequest),
    Refund(RefundRequest),
    DisputeResolution(ResolutionRequest),
}

/// What an approval posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", content = "posted", rename_all = "snake_case")]
pub enum Posted {
    CreditMemo(DocumentIssued),
    WriteOff(Adjusted),
    Refund(Refunded),
    DisputeResolution(DisputeResolved),
}

impl Posted {
    /// The entries it booked.
    pub fn entries(&self) -> Vec<settle_core::ids::EntryId> {
        match self {
            Posted::CreditMemo(issued) => {
                let mut entries = vec![issued.entry_id];
                entries.extend(issued.application.as_ref().map(|a| a.entry_id));
                entries
            }
            Posted::WriteOff(adjusted) => vec![adjusted.entry_id],
            Posted::Refund(refunded) => vec![refunded.entry_id, refunded.payout_entry_id],
            Posted::DisputeResolution(resolved) => resolved.entry_id.into_iter().collect(),
        }
    }
}

impl ApprovalRequest {
    pub fn operation(&self) -> ApprovalOperation {
        match self {
            ApprovalRequest::CreditMemo(_) => ApprovalOperation::CreditMemo,
            ApprovalRequest::WriteOff(_) => ApprovalOperation::WriteOff,
            ApprovalRequest::Refund(_) => ApprovalOperation::Refund,
            ApprovalRequest::DisputeResolution(request) if request.is_write_off() => {
                ApprovalOperation::WriteOff
            }
            ApprovalRequest::DisputeResolution(_) => ApprovalOperation::CreditMemo,
        }
    }

    /// What it does, in words, for the checker's queue.
    pub fn summary(&self, amount: Money) -> String {
        match self {
            ApprovalRequest::CreditMemo(memo) => {
                let applied = memo
                    .apply_to
                    .as_ref()
                    .map(|invoice| format!(", applied to {invoice}"))
                    .unwrap_or_default();
                format!(
                    "credit memo of {amount} to {} ({}){applied}",
                    memo.customer, memo.reason
                )
            }
            ApprovalRequest::WriteOff(write_off) => format!(
                "write-off of {amount} on {} ({})",
                write_off.invoice, write_off.reason
            ),
            ApprovalRequest::Refund(refund) => {
                let source = match &refund.source {
                    RefundFrom::Payment(id) => format!("payment {id}"),
                    RefundFrom::CreditMemo(number) => format!("credit memo {number}"),
                };
                format!(
                    "refund of {amount} from {source} ({}), paid from {}",
                    refund.reason, refund.bank_account
                )
            }
            ApprovalRequest::DisputeResolution(request) => request.summary(),
        }
    }

    /// Posts the request inside `tx`, deciding against the ledger as it is now.
    async fn post(&self, tx: &mut Tx, settle: &Settle) -> ServiceResult<Posted> {
        Ok(match self {
            ApprovalRequest::CreditMemo(memo) => {
                Posted::CreditMemo(crate::ops::issue_memo_in(tx, settle, memo).await?)
            }
            ApprovalRequest::WriteOff(write_off) => {
                Posted::WriteOff(crate::ops::write_off_in(tx, settle, write_off).await?)
            }
            ApprovalRequest::Refund(refund) => {
                Posted::Refund(crate::ops::refund_in(tx, settle, refund).await?)
            }
            ApprovalRequest::DisputeResolution(request) => Posted::DisputeResolution(
                crate::disputes::resolve_approved(tx, settle, request).await?,
            ),
        })
    }
}

/// One request in the approvals queue, as a checker sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub id: i64,
    #[serde(with = "crate::serde_text")]
    pub operation: ApprovalOperation,
    #[serde(with = "crate::serde_text")]
    pub status: ApprovalStatus,
    pub summary: String,
    pub amount: Money,
    pub maker: String,
    pub created_at: String,
    pub checker: Option<String>,
    pub decided_at: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub request: ApprovalRequest,
    /// What it posted, once approved.
    pub posted: Option<Posted>,
}

/// The limit over which an operation in a currency waits for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalLimit {
    #[serde(with = "crate::serde_text")]
    pub operation: ApprovalOperation,
    pub limit: Money,
    pub set_by: String,
    pub set_at: String,
}

/// An approval's outcome: what it posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approved {
    pub approval_id: i64,
    pub checker: String,
    pub posted: Posted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub approval_id: i64,
    pub checker: String,
    pub reason: String,
}

/// How long a rejection's reason may be.
pub const MAX_REASON_CHARS: usize = 2_000;

/// Stores `request` to await approval when `amount` exceeds its limit, inside the operation's
/// transaction; `None` when it may post at once.
pub(crate) async fn hold(
    tx: &mut Tx,
    settle: &Settle,
    request: &ApprovalRequest,
    amount: Money,
) -> ServiceResult<Option<PendingApproval>> {
    let entity = settle.entity().id;
    let operation = request.operation();
    let limit = tx
        .approval_limit(entity, operation.as_str(), amount.currency())
        .await?;
    if !approval::needs_approval(amount, limit) {
        return Ok(None);
    }
    let json = serde_json::to_string(request)
        .map_err(|e| ServiceError::Refused(format!("cannot store the request: {e}")))?;
    let summary = request.summary(amount);
    let approval_id = tx
        .insert_approval(
            entity,
            &NewApproval {
                operation: operation.as_str(),
                request: &json,
                summary: &summary,
                maker: settle.actor(),
                amount,
            },
        )
        .await?;
    Ok(Some(PendingApproval {
        approval_id,
        operation,
        amount,
        maker: settle.actor().to_string(),
        summary,
    }))
}

fn approval_of(row: ApprovalRow) -> ServiceResult<Approval> {
    let id = row.id;
    let corrupt = |what: &str, e: String| {
        ServiceError::Refused(format!(
            "approval {id}: the stored {what} is unreadable: {e}"
        ))
    };
    let operation = row
        .operation
        .parse()
        .map_err(|e: settle_core::customer::UnknownValue| corrupt("operation", e.to_string()))?;
    let status = row
        .status
        .parse()
        .map_err(|e: settle_core::customer::UnknownValue| corrupt("status", e.to_string()))?;
    let request =
        serde_json::from_str(&row.request).map_err(|e| corrupt("request", e.to_string()))?;
    let posted = row
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("result", e.to_string()))?;
    Ok(Approval {
        id: row.id,
        operation,
        status,
        summary: row.summary,
        amount: row.amount,
        maker: row.maker,
        created_at: row.created_at,
        checker: row.checker,
        decided_at: row.decided_at,
        reason: row.reason,
        request,
        posted,
    })
}

impl Settle {
    /// Sets the limit over which `operation` in `currency` (the entity's functional currency
    /// when none is named) waits for approval. A manager's or admin's act.
    pub async fn set_approval_limit(
        &self,
        operation: ApprovalOperation,
        amount: &str,
        currency: Option<Currency>,
    ) -> ServiceResult<ApprovalLimit> {
        let currency = currency.unwrap_or(self.entity().functional_currency);
        let limit = Money::parse(amount, currency, SignPolicy::Unsigned)
            .map_err(|e| invalid("amount", e.to_string()))?;
        let entity = self.entity().id;
        let target = |_: &_| {
            Target::new(
                "approval_limit",
                format!("{} {}", operation.as_str(), currency.code()),
            )
        };
        self.write(None, "set_approval_limit", target, "", async |tx| {
            let user = self
                .require_role(tx, &["manager", "admin"], "set an approval limit")
                .await?;
            tx.set_approval_limit(entity, operation.as_str(), limit, &user.name)
                .await?;
            Ok(())
        })
        .await?;
        self.approval_limits()
            .await?
            .into_iter()
            .find(|l| l.operation == operation && l.limit.currency() == currency)
            .ok_or_else(|| not_found(format!("the {} limit just set", operation.describe())))
    }

    /// Removes a limit: the operation in that currency then posts whatever its amount.
    pub async fn remove_approval_limit(
        &self,
        operation: ApprovalOperation,
        currency: Option<Currency>,
    ) -> ServiceResult<bool> {
        let currency = currency.unwrap_or(self.entity().functional_currency);
        let entity = self.entity().id;
        let removed = self
            .write(
                None,
                "remove_approval_limit",
                |_: &_| {
                    Target::new(
                        "approval_limit",
                        format!("{} {}", operation.as_str(), currency.code()),
                    )
                },
                "",
                async |tx| {
                    self.require_role(tx, &["manager", "admin"], "remove an approval limit")
                        .await?;
                    Ok(tx
                        .remove_approval_limit(entity, operation.as_str(), currency)
                        .await?)
                },
            )
            .await?;
        Ok(removed.value)
    }

    pub async fn approval_limits(&self) -> ServiceResult<Vec<ApprovalLimit>> {
        self.store()
            .approval_limits(self.entity().id)
            .await?
            .into_iter()
            .map(|row| {
                Ok(ApprovalLimit {
                    operation: row.operation.parse().map_err(
                        |e: settle_core::customer::UnknownValue| {
                            ServiceError::Refused(format!("an approval limit is unreadable: {e}"))
                        },
                    )?,
                    limit: row.limit,
                    set_by: row.set_by,
                    set_at: row.set_at,
                })
            })
            .collect()
    }

    /// Requests, oldest first; only those of `status` when given.
    pub async fn approvals(&self, status: Option<ApprovalStatus>) -> ServiceResult<Vec<Approval>> {
        self.store()
            .approvals(self.entity().id, status.map(ApprovalStatus::as_str))
            .await?
            .into_iter()
            .map(approval_of)
            .collect()
    }

    /// The checkers' queue: what waits for approval, oldest first.
    pub async fn pending_approvals(&self) -> ServiceResult<Vec<Approval>> {
        self.approvals(Some(ApprovalStatus::Pending)).await
    }

    pub async fn approval(&self, id: i64) -> ServiceResult<Approval> {
        let row = self
            .store()
            .approval(self.entity().id, id)
            .await?
            .ok_or_else(|| not_found(format!("approval {id}")))?;
        approval_of(row)
    }

    /// Approves a waiting request and posts it, in one transaction, as its maker asked for it
    /// and against the ledger as it is now. The acting user must be a manager or admin other
    /// than the maker. If the posting is refused (the invoice was paid meanwhile, the period
    /// closed), nothing changes and the request stays pending.
    pub async fn approve(
        &self,
        id: i64,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Approved>> {
        let text = format!("approve {id}");
        self.write(
            idempotency_key,
            "approve",
            |_: &_| Target::new("approval", id),
            &text,
            async |tx| {
                let (row, checker) = self.lock_for_decision(tx, id, "approve").await?;
                let request: ApprovalRequest = serde_json::from_str(&row.request).map_err(|e| {
                    ServiceError::Refused(format!(
                        "approval {id}: the stored request is unreadable: {e}"
                    ))
                })?;
                // Posted as the maker's act (adjustments record who made them); the approval
                // records the checker.
                let maker = self.clone().acting_as(&row.maker);
                let posted = request.post(tx, &maker).await.map_err(|error| {
                    if error.is_retryable() {
                        error
                    } else {
                        ServiceError::ApprovalNotPosted {
                            id,
                            source: Box::new(error),
                        }
                    }
                })?;
                let result = serde_json::to_string(&posted).map_err(|e| {
                    ServiceError::Refused(format!("cannot record the posting: {e}"))
                })?;
                tx.decide_approval(
                    self.entity().id,
                    id,
                    &Decision {
                        status: ApprovalStatus::Approved.as_str(),
                        checker: &checker,
                        reason: None,
                        result: Some(&result),
                    },
                )
                .await?;
                Ok(Approved {
                    approval_id: id,
                    checker: checker.clone(),
                    posted,
                })
            },
        )
        .await
    }

    /// Rejects a waiting request: nothing is posted. A manager or admin other than the maker
    /// rejects; the maker may also withdraw their own request this way.
    pub async fn reject(
        &self,
        id: i64,
        reason: &str,
        idempotency_key: Option<&str>,
    ) -> ServiceResult<Outcome<Rejected>> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "say why the request is rejected"));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(invalid(
                "reason",
                format!("at most {MAX_REASON_CHARS} characters"),
            ));
        }
        let text = format!("reject {id}\n{reason}");
        self.write(
            idempotency_key,
            "reject",
            |_: &_| Target::new("approval", id),
            &text,
            async |tx| {
                let (_, checker) = self.lock_for_decision(tx, id, "reject").await?;
                tx.decide_approval(
                    self.entity().id,
                    id,
                    &Decision {
                        status: ApprovalStatus::Rejected.as_str(),
                        checker: &checker,
                        reason: Some(reason),
                        result: None,
                    },
                )
                .await?;
                Ok(Rejected {
                    approval_id: id,
                    checker: checker.clone(),
                    reason: reason.to_string(),
                })
            },
        )
        .await
    }

    /// Locks a request and checks that the acting user may decide it (`verb`: approve or
    /// reject); returns the request and the checker's name.
    async fn lock_for_decision(
        &self,
        tx: &mut Tx,
        id: i64,
        verb: &str,
    ) -> ServiceResult<(ApprovalRow, String)> {
        let row = tx
            .approval_for_update(self.entity().id, id)
            .await?
            .ok_or_else(|| not_found(format!("approval {id}")))?;
        let status: ApprovalStatus =
            row.status
                .parse()
                .map_err(|e: settle_core::customer::UnknownValue| {
                    ServiceError::Refused(format!("approval {id}: {e}"))
                })?;
        let user = tx.user(self.actor()).await?;
        let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
            return Err(ServiceError::NotPermitted(format!(
                "to {verb} approval {id} you must be an active registered user with the role manager or admin; {:?} is not (`--user NAME`)",
                self.actor()
            )));
        };
        let role: Role = user
            .role
            .parse()
            .map_err(|e: settle_core::customer::UnknownValue| {
                ServiceError::Refused(format!("user {}: {e}", user.name))
            })?;
        let withdrawal = verb == "reject" && user.name == row.maker;
        let checked = if withdrawal {
            approval::check_withdrawal(status)
        } else {
            approval::check_checker(&row.maker, &user.name, role, status)
        };
        checked.map_err(|refused| {
            let decided = row
                .checker
                .as_deref()
                .map(|c| format!(" by {c}"))
                .unwrap_or_default();
            match refused {
                approval::CheckerRefused::Decided { .. } => ServiceError::Refused(format!(
                    "approval {id}: {refused}{decided}; nothing was posted this time"
                )),
                _ => ServiceError::NotPermitted(format!("to {verb} approval {id}: {refused}")),
            }
        })?;
        Ok((row, user.name))
    }
}
