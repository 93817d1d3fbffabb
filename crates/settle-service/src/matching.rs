//! `settle match`, accepting and rejecting suggestions, `match --explain`, and the
//! applications export.
//!
//! A run reads the open items, customers and known payer accounts once, builds the engine's
//! index, and matches every payment with unapplied cash that no person has set aside. Each
//! decision is stored with its rule and evidence; an automatic one is booked at once, in its
//! own transaction (identify the payer, apply the cash with any earned discount, absorb a
//! fee within tolerance). A short payment beyond tolerance leaves the rest open on the invoice
//! and opens a `deduction` dispute for it. Cash is applied as of the payment's value date (or
//! the invoice's issue date, if later). The index knows the enabled rules clerks taught and
//! the payments applied recently (see `learning.rs`).

use std::collections::HashMap;
use std::time::Instant;

use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;

use settle_core::Money;
use settle_core::audit_chain::Target;
use settle_core::dispute::DisputeReason;
use settle_core::events::{self, DiscountPolicy};
use settle_core::ids::{CustomerId, PaymentId};
use settle_core::reason::ReasonCode;
use settle_matching::learning::{DUPLICATE_WINDOW_DAYS, POSSIBLE_DUPLICATE};
pub use settle_matching::{Allocation, Decision, Evidence, MatchPolicy};
use settle_matching::{
    AppliedPayment, CustomerInfo, GivenReference, KnownPayer, Learning, MatchIndex, MatchResult,
    OpenItem, PaymentToMatch,
};
use settle_store::{MatchItemRow, NewDispute, NewMatchDecision, PaymentForMatch, Tx};

use crate::Change;
use crate::Settle;
use crate::error::{ServiceError, ServiceResult, not_found};
use crate::learning::{ENABLED, knowledge, learn_from_application, learn_from_rejection};
use crate::ops::{ApplyRequest, ApplySource, apply_in, book, record_adjustment};
use crate::remittance_advice;

#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    pub policy: MatchPolicy,
    /// Decide and report, but store and book nothing.
    pub dry_run: bool,
}

/// One payment's outcome in a run.
#[derive(Debug, Clone, Serialize)]
pub struct MatchOutcome {
    pub decision_id: Option<i64>,
    pub payment_id: PaymentId,
    pub bank_reference: String,
    pub amount: Money,
    pub customer: Option<String>,
    pub decision: Decision,
    pub score: u32,
    pub rule: &'static str,
    pub allocations: Vec<Allocation>,
    pub remainder: Money,
    pub evidence: Vec<settle_matching::Evidence>,
    /// Set when an automatic application could not be booked (it was left as a suggestion).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatchRunReport {
    pub payments: usize,
    pub auto: usize,
    pub suggested: usize,
    pub unapplied: usize,
    pub open_items: usize,
    /// Time to load and index the open items, apart from matching itself.
    pub index_ms: u128,
    pub match_ms: u128,
    pub outcomes: Vec<MatchOutcome>,
}

/// A suggestion a clerk accepted: what was booked and what the matcher learned.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Accepted {
    pub allocations: Vec<Allocation>,
    pub learned: Vec<String>,
}

/// A row of `settle export applications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicationExportRow {
    pub bank_ref: String,
    pub invoice_number: String,
    /// `cash` as decimal text.
    pub amount: String,
    pub status: &'static str,
    /// The amount with its currency, for exports that keep numbers as numbers.
    #[serde(skip)]
    pub cash: Money,
}

impl Settle {
    pub async fn run_matching(&self, options: &MatchOptions) -> ServiceResult<MatchRunReport> {
        let entity = self.entity().id;
        let started = Instant::now();
        let store = self.store();
        let items = store.open_items_for_matching(entity).await?;
        let names = store.customer_names(entity).await?;
        let parents = store.customer_parents(entity).await?;
        let payers = store.known_payer_accounts(entity).await?;
        let payments = store.payments_to_match(entity).await?;
        let advices = store.open_advices(entity).await?;
        let rules = store.match_rules(entity, None).await?;
        let (aliases, mut learning) = knowledge(&rules, |r| r.status == ENABLED);
        // Payments applied within the duplicate window of the earliest one to match.
        if let Some(earliest) = payments.iter().map(|p| p.received_on).min() {
            let since = earliest
                .checked_sub(jiff::Span::new().days(DUPLICATE_WINDOW_DAYS))
                .unwrap_or(Date::MIN);
            learning.recent_payments = store
                .applied_payments(entity, since)
                .await?
                .into_iter()
                .map(|applied| AppliedPayment {
                    id: applied.payment.id,
                    bank_reference: applied.payment.bank_reference,
                    received_on: applied.payment.received_on,
                    amount: applied.payment.amount,
                    payer_name: applied.payment.payer_name,
                    payer_account: applied.payment.payer_account,
                    invoices: applied.invoices,
                })
                .collect();
        }
        let open_items = items.len();
        let customers = Customers {
            names: &names,
            aliases: &aliases,
            parents: &parents,
        };
        let index = build_index(items, &customers, &payers, learning);
        let index_ms = started.elapsed().as_millis();
        let matching = Instant::now();
        let payer_accounts: HashMap<&str, CustomerId> = payers
            .iter()
            .map(|(account, customer)| (account.as_str(), *customer))
            .collect();
        let results: Vec<(PaymentForMatch, MatchResult)> = payments
            .into_iter()
            .map(|payment| {
                let mut given = to_match(&payment);
                let advice = remittance_advice::advice_for(&payment, &advices, &payer_accounts);
                if let Some(advice) = advice {
                    remittance_advice::add_references(&mut given, advice);
                }
                let mut result = index.match_payment(&given, &options.policy);
                if let Some(advice) = advice {
                    result
                        .evidence
                        .insert(0, remittance_advice::evidence(advice));
                }
                (payment, result)
            })
            .collect();
        let match_ms = matching.elapsed().as_millis();
        let mut report = MatchRunReport {
            payments: results.len(),
            auto: 0,
            suggested: 0,
            unapplied: 0,
            open_items,
            index_ms,
            match_ms,
            outcomes: Vec::with_capacity(results.len()),
        };
        for (payment, result) in results {
            let customer = result
                .customer
                .and_then(|c| names.get(&c))
                .map(|(code, _)| code.clone());
            let mut outcome = MatchOutcome {
                decision_id: None,
                payment_id: payment.id,
                bank_reference: payment.bank_reference.clone(),
                amount: payment.unapplied,
                customer,
                decision: result.decision,
                score: result.score,
                rule: result.rule,
                allocations: result.allocations.clone(),
                remainder: result.remainder,
                evidence: result.evidence.clone(),
                error: None,
            };
            if !options.dry_run {
                match self.record(&payment, &result).await {
                    Ok(id) => outcome.decision_id = Some(id),
                    Err(error) if result.decision == Decision::Auto => {
                        // The books moved under the engine (or a rule refused): a person decides.
                        outcome.error = Some(error.to_string());
                        outcome.decision = Decision::Suggest;
                        outcome.decision_id = Some(
                            self.store_decision_alone(&payment, &result, "suggested")
                                .await?,
                        );
                    }
                    Err(error) => return Err(error),
                }
            }
            match outcome.decision {
                Decision::Auto => report.auto += 1,
                Decision::Suggest => report.suggested += 1,
                Decision::Unapplied => report.unapplied += 1,
            }
            report.outcomes.push(outcome);
        }
        Ok(report)
    }

    /// Stores a decision and, for an automatic one, books it: one transaction.
    async fn record(&self, payment: &PaymentForMatch, result: &MatchResult) -> ServiceResult<i64> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        // A payment still nobody's by the same rule: the earlier decision stands, not a copy.
        if result.decision == Decision::Unapplied
            && let Some(latest) = tx.latest_decision(entity, payment.id).await?
            && latest.status == "unapplied"
            && latest.rule == result.rule
            && latest.customer == result.customer
        {
            return Ok(latest.id);
        }
        let (decision, status) = match result.decision {
            Decision::Auto => ("auto", "applied"),
            Decision::Suggest => ("suggested", "open"),
            Decision::Unapplied => ("unapplied", "unapplied"),
        };
        let id = insert_decision(&mut tx, entity, payment.id, result, decision, status).await?;
        if result.decision == Decision::Auto {
            book_allocations(
                &mut tx,
                self,
                payment.id,
                result.customer,
                &result.allocations,
                id,
            )
            .await?;
        }
        self.record_decision(&mut tx, payment, result, id, decision)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One match decision in the audit trail: the engine's choice, by the acting user's run.
    async fn record_decision(
        &self,
        tx: &mut Tx,
        payment: &PaymentForMatch,
        result: &MatchResult,
        id: i64,
        decision: &str,
    ) -> ServiceResult<()> {
        let change = Change::new("match", Target::new("payment", payment.id)).after(&json!({
            "decision_id": id,
            "decision": decision,
            "rule": result.rule,
            "customer": result.customer,
            "allocations": result.allocations,
        }));
        self.record_change(tx, change).await?;
        Ok(())
    }

    async fn store_decision_alone(
        &self,
        payment: &PaymentForMatch,
        result: &MatchResult,
        decision: &str,
    ) -> ServiceResult<i64> {
        let mut tx = self.store().begin().await?;
        let id = insert_decision(
            &mut tx,
            self.entity().id,
            payment.id,
            result,
            decision,
            "open",
        )
        .await?;
        self.record_decision(&mut tx, payment, result, id, decision)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A clerk accepts a suggestion: it is booked as proposed, and the matcher learns from it
    /// (the payer's account, the payer's name as an alias, how the invoices were cited): the
    /// next run knows it.
    ///
    /// Runs again from the start when it loses to a concurrent writer ([`crate::retry`]).
    pub async fn accept_match(&self, decision: i64, by: &str) -> ServiceResult<Accepted> {
        crate::retry::retrying("accept_match", || self.accept_match_once(decision, by)).await
    }

    /// One attempt of [`Settle::accept_match`].
    async fn accept_match_once(&self, decision: i64, by: &str) -> ServiceResult<Accepted> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let row = tx
            .match_decision(entity, decision)
            .await?
            .ok_or_else(|| not_found(format!("match decision {decision}")))?;
        if row.status != "open" {
            return Err(ServiceError::Refused(format!(
                "match decision {decision} is {}, not open",
                row.status
            )));
        }
        let allocations: Vec<Allocation> = serde_json::from_str(&row.allocations)
            .map_err(|e| ServiceError::Refused(format!("match decision {decision}: {e}")))?;
        book_allocations(
            &mut tx,
            self,
            row.payment,
            row.customer,
            &allocations,
            decision,
        )
        .await?;
        let learned = match row.customer {
            Some(customer) => {
                let invoices: Vec<String> = allocations
                    .iter()
                    .filter(|a| a.cash.is_positive())
                    .map(|a| a.number.clone())
                    .collect();
                learn_from_application(
                    &mut tx,
                    self,
                    row.payment,
                    customer,
                    &invoices,
                    Some(decision),
                )
                .await?
            }
            None => Vec::new(),
        };
        tx.set_decision_status(decision, "accepted", by).await?;
        let change = Change::new("accept_match", Target::new("match_decision", decision))
            .before(&json!({ "status": row.status }))
            .after(&json!({ "status": "accepted", "by": by, "allocations": allocations, "learned": learned }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(Accepted {
            allocations,
            learned,
        })
    }

    /// A clerk rejects a suggestion: nothing is booked, the payment is not proposed again
    /// until a person applies it, and the pairing of its payer with that customer weighs
    /// against proposing it for the payer's other payments. Returns what was learned.
    ///
    /// Runs again from the start when it loses to a concurrent writer ([`crate::retry`]).
    pub async fn reject_match(&self, decision: i64, by: &str) -> ServiceResult<Vec<String>> {
        crate::retry::retrying("reject_match", || self.reject_match_once(decision, by)).await
    }

    /// One attempt of [`Settle::reject_match`].
    async fn reject_match_once(&self, decision: i64, by: &str) -> ServiceResult<Vec<String>> {
        let entity = self.entity().id;
        let mut tx = self.store().begin().await?;
        let row = tx
            .match_decision(entity, decision)
            .await?
            .ok_or_else(|| not_found(format!("match decision {decision}")))?;
        if row.status != "open" {
            return Err(ServiceError::Refused(format!(
                "match decision {decision} is {}, not open",
                row.status
            )));
        }
        // Refusing a suspected duplicate says nothing about who the payer is.
        let evidence: Vec<Evidence> = serde_json::from_str(&row.evidence).unwrap_or_default();
        let duplicate = evidence
            .iter()
            .any(|e| e.what.starts_with(POSSIBLE_DUPLICATE));
        let learned = match row.customer {
            Some(customer) if !duplicate => {
                learn_from_rejection(&mut tx, self, row.payment, customer, decision).await?
            }
            _ => Vec::new(),
        };
        tx.set_decision_status(decision, "rejected", by).await?;
        let change = Change::new("reject_match", Target::new("match_decision", decision))
            .before(&json!({ "status": row.status }))
            .after(&json!({ "status": "rejected", "by": by, "learned": learned }));
        self.record_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(learned)
    }

    /// Every decision taken on the payment a bank reference posted, oldest first.
    pub async fn explain_match(
        &self,
        bank_reference: &str,
    ) -> ServiceResult<Vec<settle_store::MatchDecisionRow>> {
        Ok(self
            .store()
            .match_decisions(self.entity().id, Some(bank_reference))
            .await?)
    }

    /// `bank_ref,invoice_number,amount,status`, one row per application of cash from a
    /// statement line (ACCOUNTING.md): open suggestions as `suggested`, the unapplied rest as
    /// a row without an invoice, and a returned item's reversals as negative rows on the
    /// return's line. The rows of a line add up to the line's amount (negative for a return).
    pub async fn export_applications(&self) -> ServiceResult<Vec<ApplicationExportRow>> {
        let entity = self.entity().id;
        let store = self.store();
        let lines = store.application_export_rows(entity).await?;
        let decisions = store.match_decisions(entity, None).await?;
        let mut open_suggestions: HashMap<PaymentId, Vec<Allocation>> = HashMap::new();
        for decision in decisions.iter().filter(|d| d.status == "open") {
            if let Ok(allocations) = serde_json::from_str(&decision.allocations) {
                open_suggestions.insert(decision.payment, allocations);
            }
        }
        let returned: Vec<settle_core::ids::ApplicationId> = lines
            .iter()
            .filter(|l| l.outcome == "return")
            .flat_map(|l| l.reversed.iter().copied())
            .collect();
        let returned_payments: Vec<PaymentId> = lines
            .iter()
            .filter(|l| l.outcome == "return")
            .map(|l| l.payment)
            .collect();
        let mut rows = Vec::new();
        for line in &lines {
            let applications = store.payment_applications(entity, line.payment).await?;
            let status_of = |decision: &str| {
                if decision == "auto" {
                    "auto"
                } else {
                    "suggested"
                }
            };
            if line.outcome == "return" {
                let mut reversed_cash = 0;
                for application in applications
                    .iter()
                    .filter(|a| line.reversed.contains(&a.id))
                {
                    reversed_cash += application.cash.minor();
                    rows.push(ApplicationExportRow {
                        bank_ref: line.bank_reference.clone(),
                        invoice_number: application.invoice.clone(),
                        amount: negative(application.cash).to_decimal_string(),
                        cash: negative(application.cash),
                        status: status_of(&application.decision),
                    });
                }
                let rest = line.amount.minor() - reversed_cash;
                if rest != 0 {
                    rows.push(ApplicationExportRow {
                        bank_ref: line.bank_reference.clone(),
                        invoice_number: String::new(),
                        amount: negative(Money::new(rest, line.amount.currency()))
                            .to_decimal_string(),
                        cash: negative(Money::new(rest, line.amount.currency())),
                        status: "unapplied",
                    });
                }
                continue;
            }
            // Applications a return took back stay here (and come off on the return's line);
            // those a person undid are not applications any more.
            let shown: Vec<_> = applications
                .iter()
                .filter(|a| !a.reversed || returned.contains(&a.id))
                .collect();
            for application in &shown {
                rows.push(ApplicationExportRow {
                    bank_ref: line.bank_reference.clone(),
                    invoice_number: application.invoice.clone(),
                    amount: application.cash.to_decimal_string(),
                    cash: application.cash,
                    status: status_of(&application.decision),
                });
            }
            let mut suggested_cash = 0;
            if let Some(suggested) = open_suggestions.get(&line.payment) {
                for allocation in suggested.iter().filter(|a| a.cash.is_positive()) {
                    suggested_cash += allocation.cash.minor();
                    rows.push(ApplicationExportRow {
                        bank_ref: line.bank_reference.clone(),
                        invoice_number: allocation.number.clone(),
                        amount: allocation.cash.to_decimal_string(),
                        cash: allocation.cash,
                        status: "suggested",
                    });
                }
            }
            // A returned payment's unapplied cash left with the return: show what it was.
            let unapplied = if returned_payments.contains(&line.payment) {
                line.amount.minor() - shown.iter().map(|a| a.cash.minor()).sum::<i64>()
            } else {
                line.unapplied.minor() - suggested_cash
            };
            if unapplied > 0 {
                rows.push(ApplicationExportRow {
                    bank_ref: line.bank_reference.clone(),
                    invoice_number: String::new(),
                    amount: Money::new(unapplied, line.amount.currency()).to_decimal_string(),
                    cash: Money::new(unapplied, line.amount.currency()),
                    status: "unapplied",
                });
            }
        }
        Ok(rows)
    }
}

fn negative(amount: Money) -> Money {
    Money::new(-amount.minor(), amount.currency())
}

/// What matching knows of the customers: code and name, the names they pay under, and their
/// parent companies.
pub(crate) struct Customers<'a> {
    pub(crate) names: &'a HashMap<CustomerId, (String, String)>,
    pub(crate) aliases: &'a HashMap<CustomerId, Vec<String>>,
    pub(crate) parents: &'a HashMap<CustomerId, CustomerId>,
}

/// The engine's index over items, customers with their aliases and parents, payer accounts
/// and what clerks taught.
pub(crate) fn build_index(
    items: Vec<MatchItemRow>,
    customers: &Customers<'_>,
    payers: &[(String, CustomerId)],
    learning: Learning,
) -> MatchIndex {
    let customers: Vec<CustomerInfo> = customers
        .names
        .iter()
        .map(|(id, (code, name))| CustomerInfo {
            id: *id,
            code: code.clone(),
            name: name.clone(),
            aliases: customers.aliases.get(id).cloned().unwrap_or_default(),
            parent: customers.parents.get(id).copied(),
        })
        .collect();
    let payers: Vec<KnownPayer> = payers
        .iter()
        .map(|(account, customer)| KnownPayer {
            account: account.clone(),
            customer: *customer,
        })
        .collect();
    let items = items.into_iter().map(open_item).collect();
    MatchIndex::build(items, &customers, &payers).with_learning(learning)
}

/// An item as the engine sees it.
pub(crate) fn open_item(item: settle_store::MatchItemRow) -> OpenItem {
    OpenItem {
        id: item.id,
        customer: item.customer,
        number: item.number,
        po_number: item.po_number,
        open: item.open,
        total: item.total,
        issue_date: item.issue_date,
        due_date: item.due_date,
        terms: item.terms,
    }
}

/// What the engine needs of a stored payment.
pub(crate) fn to_match(payment: &PaymentForMatch) -> PaymentToMatch {
    let mut text: Vec<String> = payment
        .remittance
        .lines()
        .map(str::to_string)
        .filter(|l| !l.trim().is_empty())
        .collect();
    if text.is_empty() && !payment.memo.trim().is_empty() {
        text.push(payment.memo.clone());
    }
    for reference in [&payment.customer_reference, &payment.end_to_end_id] {
        if !reference.trim().is_empty() && reference != "NOTPROVIDED" {
            text.push(reference.clone());
        }
    }
    let references = serde_json::from_str::<Vec<serde_json::Value>>(&payment.structured)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| {
            let reference = r.get("reference")?.as_str()?.to_string();
            let paid = r
                .get("paid")
                .and_then(serde_json::Value::as_i64)
                .map(|minor| Money::new(minor, payment.unapplied.currency()));
            Some(GivenReference { reference, paid })
        })
        .collect();
    PaymentToMatch {
        id: payment.id,
        amount: payment.unapplied,
        received_on: payment.received_on,
        customer: payment.customer,
        payer_name: payment.payer_name.clone(),
        payer_account: payment.payer_account.clone(),
        text,
        references,
    }
}

async fn insert_decision(
    tx: &mut Tx,
    entity: settle_core::ids::EntityId,
    payment: PaymentId,
    result: &MatchResult,
    decision: &str,
    status: &str,
) -> ServiceResult<i64> {
    let allocations = serde_json::to_string(&result.allocations)
        .map_err(|e| ServiceError::Refused(e.to_string()))?;
    let evidence = serde_json::to_string(&result.evidence)
        .map_err(|e| ServiceError::Refused(e.to_string()))?;
    Ok(tx
        .insert_match_decision(
            entity,
            &NewMatchDecision {
                payment,
                decision,
                status,
                rule: result.rule,
                score: i64::from(result.score),
                customer: result.customer,
                allocations: &allocations,
                remainder: result.remainder.minor(),
                evidence: &evidence,
                decided_by: "settle match",
            },
        )
        .await?)
}

/// Books allocations for a payment: identifies the payer if needed, applies each allocation's
/// cash (with its earned discount), and absorbs a fee within tolerance.
async fn book_allocations(
    tx: &mut Tx,
    settle: &Settle,
    payment_id: PaymentId,
    customer: Option<CustomerId>,
    allocations: &[Allocation],
    decision: i64,
) -> ServiceResult<()> {
    let entity = settle.entity().id;
    let chart = tx.chart(entity).await?;
    let payment = tx
        .payment_by_id(entity, payment_id)
        .await?
        .ok_or_else(|| not_found(format!("payment {payment_id}")))?;
    if let Some(customer) = customer {
        identify_payer(tx, settle, payment_id, customer, payment.received_on).await?;
    }
    for allocation in allocations {
        let invoice = tx
            .item_by_number(entity, None, &allocation.number)
            .await?
            .ok_or_else(|| not_found(format!("invoice {}", allocation.number)))?;
        if invoice.id != allocation.item {
            return Err(ServiceError::Refused(format!(
                "invoice {} is no longer the item the match named",
                allocation.number
            )));
        }
        let date: Date = payment.received_on.max(invoice.issue_date);
        if allocation.cash.is_positive() {
            let applied = apply_in(
                tx,
                settle,
                &ApplyRequest {
                    source: ApplySource::Payment(payment.id),
                    invoice: allocation.number.clone(),
                    amount: Some(allocation.cash.to_decimal_string()),
                    date,
                    discount: if allocation.discount.is_positive() {
                        DiscountPolicy::WhenEarned
                    } else {
                        DiscountPolicy::Never
                    },
                },
            )
            .await?;
            if applied.discount != allocation.discount {
                return Err(ServiceError::Refused(format!(
                    "the discount on {} would be {}, not the {} the match expected",
                    allocation.number, applied.discount, allocation.discount
                )));
            }
            tx.link_application(applied.application_id, decision)
                .await?;
        }
        if allocation.deduction.is_positive() {
            // Short beyond tolerance: the rest stays open on the invoice, under a dispute.
            tx.insert_dispute(
                entity,
                &NewDispute {
                    customer: invoice.customer,
                    item: invoice.id,
                    line_no: None,
                    amount: allocation.deduction,
                    reason: DisputeReason::Deduction,
                    owner: "",
                    due_on: None,
                    opened_on: date,
                    decision: Some(decision),
                    note: &format!(
                        "payment {} paid {} less than {} owed",
                        payment.id, allocation.deduction, allocation.number
                    ),
                    opened_by: settle.actor(),
                },
            )
            .await?;
        }
        if allocation.fee.is_positive() {
            let target = tx
                .item_by_number(entity, None, &allocation.number)
                .await?
                .ok_or_else(|| not_found(format!("invoice {}", allocation.number)))?;
            let change = Money::new(-allocation.fee.minor(), allocation.fee.currency());
            let entry = events::adjust(&chart, &target, change, ReasonCode::BankFee, date)?;
            record_adjustment(
                tx,
                settle,
                "adjustment",
                &target,
                change,
                ReasonCode::BankFee,
                &format!("bank fee absorbed on payment {}", payment.id),
                entry,
            )
            .await?;
        }
    }
    remittance_advice::use_up(tx, settle, payment.id, allocations).await?;
    Ok(())
}

/// Cash from a payer not identified yet is found to be `customer`'s on `date`: its unapplied
/// cash moves to the customer, and the payer's account is known from then on. Nothing when the
/// payer is known already.
pub(crate) async fn identify_payer(
    tx: &mut Tx,
    settle: &Settle,
    payment_id: PaymentId,
    customer: CustomerId,
    date: Date,
) -> ServiceResult<()> {
    let entity = settle.entity().id;
    let payment = tx
        .payment_by_id(entity, payment_id)
        .await?
        .ok_or_else(|| not_found(format!("payment {payment_id}")))?;
    if payment.customer.is_some() {
        return Ok(());
    }
    let chart = tx.chart(entity).await?;
    let entry = events::identify_payer(&chart, &payment, customer, date)?;
    book(tx, settle, entry).await?;
    tx.set_payment_customer(entity, payment.id, customer, date)
        .await?;
    Ok(())
}
