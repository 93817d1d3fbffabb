//! The engine against generated payments with known answers: the accuracy targets hold on a
//! mid-sized ledger (the benchmark measures them at scale: `settle bench matching`).

use jiff::civil::date;
use settle_matching::evaluate::evaluate;
use settle_matching::generator::{ScenarioSize, generate};
use settle_matching::{MatchIndex, MatchPolicy};

#[test]
fn accuracy_targets_hold_on_generated_payments() {
    let size = ScenarioSize {
        customers: 2_000,
        items: 40_000,
        payments: 5_000,
    };
    let scenario = generate(7, size, date(2026, 10, 15));
    let index = MatchIndex::build(
        scenario.items.clone(),
        &scenario.customers,
        &scenario.payers,
    );
    let policy = MatchPolicy::default();
    let results: Vec<_> = scenario
        .payments
        .iter()
        .map(|(payment, _)| index.match_payment(payment, &policy))
        .collect();
    let evaluation = evaluate(results.iter().zip(scenario.payments.iter().map(|(_, t)| t)));
    for (case, tally) in &evaluation.by_case {
        println!(
            "{case:?}: {} lines, auto {} ({} right), suggested {} ({} right), unapplied {}",
            tally.lines,
            tally.auto,
            tally.auto_right,
            tally.suggested,
            tally.suggested_right,
            tally.unapplied
        );
    }
    let total = &evaluation.total;
    println!(
        "auto precision {:.4}, auto rate {:.4}, first suggestion {:.4}",
        total.auto_precision(),
        total.auto_rate(),
        total.first_suggestion_rate()
    );
    assert!(total.lines >= 4_500, "{total:?}");
    assert!(total.auto_precision() >= 0.995, "{total:?}");
    assert!(total.auto_rate() >= 0.95, "{total:?}");
    assert!(total.first_suggestion_rate() >= 0.95, "{total:?}");
}
