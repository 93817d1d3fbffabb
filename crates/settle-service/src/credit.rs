//! Credit management: holds by hand and by rule, order checks, credit reviews, a customer's
//! standing. The rules are the core's (`settle_core::credit`); this gathers their facts, keeps
//! what was decided, and records who decided it.

use serde::{Deserialize, Serialize};

use settle_core::audit_chain::Target;
use settle_core::credit::{
    self, CreditDecision, CreditFacts, HoldReason, RULE_HOLD_PREFIX, RuleVerdict,
};
use settle_core::money::SignPolicy;
use settle_core::{Date, Money};
use settle_store::{
    CreditHoldRow, CreditReviewRow, CustomerCreditRow, NewCreditReview, NewOrderCheck, Tx,
};

use crate::error::{invalid, not_found};
use crate::ops::parse_amount;
use crate::{SYSTEM_ACTOR, ServiceError, ServiceResult, Settle};

/// One reason to hold, by rule name and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonView {
    pub rule: String,
    pub reason: String,
}

fn reasons(decision: &CreditDecision) -> Vec<ReasonView> {
    decision
        .reasons
        .iter()
        .map(|r: &HoldReason| ReasonView {
            rule: r.rule().to_string(),
            reason: r.to_string(),
        })
        .collect()
}

/// The facts the rules judge, as of a day: days past due are counted to `as_of`.
fn facts(row: &CustomerCreditRow, as_of: Date) -> CreditFacts {
    let most_past_due = row.oldest_due.as_ref().and_then(|(number, due)| {
        let days = i64::from((as_of - *due).get_days());
        (days > 0).then(|| (number.clone(), days))
    });
    CreditFacts {
        limit: row.limit,
        open_receivables: row.open_receivables,
        most_past_due,
        hold: row.hold.clone(),
        bankrupt: row.bankrupt,
        agency: row.agency.clone(),
        status: row.status,
    }
}

fn credit_refused(error: credit::CreditError) -> ServiceError {
    ServiceError::Refused(error.to_string())
}

fn check_threshold(past_due_days: i64) -> ServiceResult<()> {
    if past_due_days < 1 {
        return Err(invalid(
            "past_due_days",
            format!("must be one day or more, not {past_due_days}"),
        ));
    }
    Ok(())
}

async fn locked(tx: &mut Tx, settle: &Settle, code: &str) -> ServiceResult<CustomerCreditRow> {
    tx.customer_credit(settle.entity().id, code)
        .await?
        .ok_or_else(|| not_found(format!("customer {code:?}")))
}

/// A customer's credit standing as the audit trail keeps it before a change.
async fn credit_state(
    tx: &mut Tx,
    settle: &Settle,
    code: &str,
) -> ServiceResult<serde_json::Value> {
    let row = locked(tx, settle, code).await?;
    Ok(serde_json::json!({
        "customer": row.code,
        "limit": row.limit,
        "hold": row.hold,
        "status": row.status.to_string(),
    }))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldChanged {
    pub customer: String,
    /// The hold now; empty once released.
    pub hold: String,
    /// The hold before.
    pub previous: String,
}

/// What `credit check` says about one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditCheckLine {
    pub customer: String,
    pub name: String,
    /// `hold` (rules call for a hold not set), `release` (a rule's hold no longer applies),
    /// `held` (a rule's hold that still applies) or `manual` (a person's hold, left alone).
    pub action: String,
    /// The hold standing before the check.
    pub hold: String,
    pub reasons: Vec<ReasonView>,
    /// Whether `--apply` set or lifted the hold.
    pub applied: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub customer: String,
    pub amount: String,
    pub reference: String,
    pub as_of: Date,
    pub past_due_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderChecked {
    pub check_id: i64,
    pub customer: String,
    pub reference: String,
    pub amount: Money,
    /// `released` or `held`.
    pub decision: String,
    /// Open receivables plus the order.
    pub exposure: Money,
    pub limit: Option<Money>,
    pub reasons: Vec<ReasonView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewed {
    pub review_id: i64,
    pub customer: String,
    pub reviewed_on: Date,
    pub reviewer: String,
    pub old_limit: Option<Money>,
    pub new_limit: Money,
    pub reason: String,
}

/// A customer's credit as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditStatus {
    pub customer: String,
    pub name: String,
    pub limit: Option<Money>,
    /// Open debit items in the customer's currency.
    pub exposure: Money,
    /// Use of the limit in tenths of a percent, rounded half up.
    pub use_permille: Option<i64>,
    pub hold: String,
    /// Every reason the rules give to hold now (the standing hold included).
    pub reasons: Vec<ReasonView>,
    pub last_review: Option<CreditReviewRow>,
    pub holds: Vec<CreditHoldRow>,
}

impl Settle {
    /// Puts a customer on credit hold by hand, with the reason.
    pub async fn credit_hold(
        &self,
        code: &str,
        reason: &str,
        on: Date,
    ) -> ServiceResult<HoldChanged> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "a hold needs a reason"));
        }
        if reason.starts_with(RULE_HOLD_PREFIX.trim_end()) {
            return Err(invalid(
                "reason",
                format!("{RULE_HOLD_PREFIX:?} starts the holds rules set; say why in other words"),
            ));
        }
        let text = format!("{code} {reason} {on}");
        let outcome = self
            .write_updating(
                None,
                "credit_hold",
                |_: &_| Target::new("customer", code),
                &text,
                async |tx| credit_state(tx, self, code).await,
                async |tx| {
                    let customer = locked(tx, self, code).await?;
                    tx.set_credit_hold(
                        self.entity().id,
                        customer.customer,
                        reason,
                        reason,
                        "manual",
                        on,
                        self.actor(),
                    )
                    .await?;
                    Ok(HoldChanged {
                        customer: customer.code,
                        hold: reason.to_string(),
                        previous: customer.hold,
                    })
                },
            )
            .await?;
        Ok(outcome.value)
    }

    /// Lifts a customer's credit hold (a person's or a rule's).
    pub async fn credit_release(&self, code: &str, on: Date) -> ServiceResult<HoldChanged> {
        let text = format!("{code} {on}");
        let outcome = self
            .write_updating(
                None,
                "credit_release",
                |_: &_| Target::new("customer", code),
                &text,
                async |tx| credit_state(tx, self, code).await,
                async |tx| {
                    let customer = locked(tx, self, code).await?;
                    if customer.hold.is_empty() {
                        return Err(ServiceError::Refused(format!(
                            "customer {code} is not on credit hold"
                        )));
                    }
                    tx.set_credit_hold(
                        self.entity().id,
                        customer.customer,
                        "",
                        &format!("released (was: {})", customer.hold),
                        "manual",
                        on,
                        self.actor(),
                    )
                    .await?;
                    Ok(HoldChanged {
                        customer: customer.code,
                        hold: String::new(),
                        previous: customer.hold,
                    })
                },
            )
            .await?;
        Ok(outcome.value)
    }

    /// Which customers the rules would hold or release as of a day; with `apply`, sets and lifts
    /// the rules' holds (a person's hold is never touched), in one transaction.
    pub async fn credit_check(
        &self,
        as_of: Date,
        past_due_days: i64,
        apply: bool,
    ) -> ServiceResult<Vec<CreditCheckLine>> {
        check_threshold(past_due_days)?;
        let text = format!("{as_of} {past_due_days} {apply}");
        let outcome = self
            .write(
                None,
                "credit_check",
                |_: &_| Target::new("customers", "all"),
                &text,
                async |tx| {
                    let entity = self.entity().id;
                    let mut lines = Vec::new();
                    for row in tx.all_customers_credit(entity).await? {
                        let facts = facts(&row, as_of);
                        let verdict =
                            credit::rule_verdict(&facts, past_due_days).map_err(credit_refused)?;
                        let without_hold = CreditFacts {
                            hold: String::new(),
                            ..facts.clone()
                        };
                        let decision = credit::judge(
                            &without_hold,
                            Money::zero(row.open_receivables.currency()),
                            past_due_days,
                        )
                        .map_err(credit_refused)?;
                        let (action, new_hold) = match &verdict {
                            RuleVerdict::Clear => continue,
                            RuleVerdict::Hold(text) => ("hold", Some(text.clone())),
                            RuleVerdict::Release => ("release", Some(String::new())),
                            RuleVerdict::KeepRuleHold => ("held", None),
                            RuleVerdict::KeepManualHold => ("manual", None),
                        };
                        let applied = apply && new_hold.is_some();
                        if let (true, Some(hold)) = (apply, &new_hold) {
                            let why = if hold.is_empty() {
                                format!("released: no rule applies any more (was: {})", row.hold)
                            } else {
                                format!("{hold} ({})", decision.reasons_text())
                            };
                            tx.set_credit_hold(
                                entity,
                                row.customer,
                                hold,
                                &why,
                                "rule",
                                as_of,
                                self.actor(),
                            )
                            .await?;
                        }
                        lines.push(CreditCheckLine {
                            customer: row.code.clone(),
                            name: row.name.clone(),
                            action: action.to_string(),
                            hold: row.hold.clone(),
                            reasons: reasons(&decision),
                            applied,
                        });
                    }
                    Ok(lines)
                },
            )
            .await?;
        Ok(outcome.value)
    }

    /// Judges a pending order and records the decision with every reason. Held or released,
    /// the check itself succeeds.
    pub async fn check_order(&self, request: OrderRequest) -> ServiceResult<OrderChecked> {
        check_threshold(request.past_due_days)?;
        let text = format!("{request:?}");
        let outcome = self
            .write(
                None,
                "check_order",
                |checked: &OrderChecked| {
                    Target::new(
                        "order",
                        format!("{} {}", checked.customer, checked.reference),
                    )
                },
                &text,
                async |tx| {
                    let customer = locked(tx, self, &request.customer).await?;
                    let amount = parse_amount(
                        "amount",
                        &request.amount,
                        customer.open_receivables.currency(),
                        SignPolicy::Signed,
                    )?;
                    let decision = credit::judge_order(
                        &facts(&customer, request.as_of),
                        amount,
                        request.past_due_days,
                    )
                    .map_err(credit_refused)?;
                    let held = decision.held();
                    let check_id = tx
                        .insert_order_check(
                            self.entity().id,
                            &NewOrderCheck {
                                customer: customer.customer,
                                reference: &request.reference,
                                amount,
                                checked_on: request.as_of,
                                held,
                                reasons: &decision.reasons_text(),
                                exposure: decision.exposure,
                                limit: decision.limit,
                                checked_by: self.actor(),
                            },
                        )
                        .await?;
                    Ok(OrderChecked {
                        check_id,
                        customer: customer.code,
                        reference: request.reference.clone(),
                        amount,
                        decision: if held { "held" } else { "released" }.to_string(),
                        exposure: decision.exposure,
                        limit: decision.limit,
                        reasons: reasons(&decision),
                    })
                },
            )
            .await?;
        Ok(outcome.value)
    }

    /// Records a credit review by the acting user and sets the new limit, in one transaction.
    pub async fn credit_review(
        &self,
        code: &str,
        limit: &str,
        reason: &str,
        on: Date,
    ) -> ServiceResult<Reviewed> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "a credit review says why"));
        }
        if self.actor() == SYSTEM_ACTOR {
            return Err(invalid(
                "user",
                "a credit review names its reviewer: pass --user (or set SETTLE_USER)",
            ));
        }
        let text = format!("{code} {limit} {reason} {on}");
        let outcome = self
            .write_updating(
                None,
                "credit_review",
                |_: &_| Target::new("customer", code),
                &text,
                async |tx| credit_state(tx, self, code).await,
                async |tx| {
                    let customer = locked(tx, self, code).await?;
                    let new_limit = parse_amount(
                        "limit",
                        limit,
                        customer.open_receivables.currency(),
                        SignPolicy::Unsigned,
                    )?;
                    let review_id = tx
                        .insert_credit_review(
                            self.entity().id,
                            &NewCreditReview {
                                customer: customer.customer,
                                reviewed_on: on,
                                reviewer: self.actor(),
                                old_limit: customer.limit,
                                new_limit,
                                reason,
                            },
                        )
                        .await?;
                    Ok(Reviewed {
                        review_id,
                        customer: customer.code,
                        reviewed_on: on,
                        reviewer: self.actor().to_string(),
                        old_limit: customer.limit,
                        new_limit,
                        reason: reason.to_string(),
                    })
                },
            )
            .await?;
        Ok(outcome.value)
    }

    /// A customer's credit reviews, oldest first.
    pub async fn credit_reviews(&self, code: &str) -> ServiceResult<Vec<CreditReviewRow>> {
        let id = self.customer_id(code).await?;
        Ok(self.store().credit_reviews(self.entity().id, id).await?)
    }

    /// A customer's limit, exposure, use of the limit, hold and why, and last review.
    pub async fn credit_status(
        &self,
        code: &str,
        as_of: Date,
        past_due_days: i64,
    ) -> ServiceResult<CreditStatus> {
        check_threshold(past_due_days)?;
        let row = self
            .store()
            .customer_credit(self.entity().id, code)
            .await?
            .ok_or_else(|| not_found(format!("customer {code:?}")))?;
        let decision = credit::judge(
            &facts(&row, as_of),
            Money::zero(row.open_receivables.currency()),
            past_due_days,
        )
        .map_err(credit_refused)?;
        let entity = self.entity().id;
        let reviews = self.store().credit_reviews(entity, row.customer).await?;
        let holds = self.store().credit_hold_log(entity, row.customer).await?;
        Ok(CreditStatus {
            customer: row.code.clone(),
            name: row.name.clone(),
            limit: row.limit,
            exposure: row.open_receivables,
            use_permille: credit::use_permille(row.open_receivables, row.limit),
            hold: row.hold.clone(),
            reasons: reasons(&decision),
            last_review: reviews.into_iter().last(),
            holds,
        })
    }
}
