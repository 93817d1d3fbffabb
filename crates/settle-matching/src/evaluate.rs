//! How right the engine is, measured against generated truth, per case and per invoice.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::generator::{Case, Truth};
use crate::{Decision, MatchResult};

/// Counts for one case (or all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub lines: usize,
    /// Lines a clerk could place (all but unidentifiable cash).
    pub matchable: usize,
    pub auto: usize,
    /// Automatic lines whose every allocation is right (invoice and cash) and complete.
    pub auto_right: usize,
    /// Invoice-level: allocations made automatically, and how many were right.
    pub auto_allocations: usize,
    pub auto_allocations_right: usize,
    pub suggested: usize,
    /// Suggestions whose allocations are exactly the right answer.
    pub suggested_right: usize,
    pub unapplied: usize,
    /// Unidentifiable lines left unapplied (the right answer for them).
    pub correctly_unapplied: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.lines += other.lines;
        self.matchable += other.matchable;
        self.auto += other.auto;
        self.auto_right += other.auto_right;
        self.auto_allocations += other.auto_allocations;
        self.auto_allocations_right += other.auto_allocations_right;
        self.suggested += other.suggested;
        self.suggested_right += other.suggested_right;
        self.unapplied += other.unapplied;
        self.correctly_unapplied += other.correctly_unapplied;
    }

    /// Of automatic applications (per invoice), the share with the right invoice and amount.
    pub fn auto_precision(&self) -> f64 {
        ratio(self.auto_allocations_right, self.auto_allocations)
    }

    /// Of matchable lines, the share applied automatically and correctly.
    pub fn auto_rate(&self) -> f64 {
        ratio(self.auto_right, self.matchable)
    }

    /// Of matchable lines not applied automatically and correctly, the share whose first
    /// suggestion is the right answer.
    pub fn first_suggestion_rate(&self) -> f64 {
        ratio(
            self.suggested_right,
            self.matchable.saturating_sub(self.auto_right),
        )
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    pub by_case: BTreeMap<Case, Tally>,
    pub total: Tally,
}

/// Scores the engine's results against the truth, line by line.
pub fn evaluate<'a>(results: impl IntoIterator<Item = (&'a MatchResult, &'a Truth)>) -> Evaluation {
    let mut evaluation = Evaluation::default();
    for (result, truth) in results {
        let tally = evaluation.by_case.entry(truth.case).or_default();
        tally.lines += 1;
        let mut proposed: Vec<(i64, i64)> = result
            .allocations
            .iter()
            .filter(|a| a.cash.is_positive())
            .map(|a| (a.item.0, a.cash.minor()))
            .collect();
        proposed.sort_unstable();
        let mut right: Vec<(i64, i64)> = truth.cash.iter().map(|(i, c)| (i.0, *c)).collect();
        right.sort_unstable();
        let exact = truth.matchable() && proposed == right && result.customer == truth.customer;
        if truth.matchable() {
            tally.matchable += 1;
        }
        match result.decision {
            Decision::Auto => {
                tally.auto += 1;
                tally.auto_allocations += proposed.len();
                tally.auto_allocations_right +=
                    proposed.iter().filter(|p| right.contains(p)).count();
                if exact {
                    tally.auto_right += 1;
                }
            }
            Decision::Suggest => {
                tally.suggested += 1;
                if exact {
                    tally.suggested_right += 1;
                }
            }
            Decision::Unapplied => {
                tally.unapplied += 1;
                if !truth.matchable() {
                    tally.correctly_unapplied += 1;
                }
            }
        }
    }
    let mut total = Tally::default();
    for tally in evaluation.by_case.values() {
        total.add(tally);
    }
    evaluation.total = total;
    evaluation
}
