//! Which of a customer's open items add up to a payment: a bounded search.
//!
//! Items come oldest first and the search takes them in that order, so the first exact subset
//! found prefers older items (customers mostly pay their oldest invoices). The search visits at
//! most [`MAX_NODES`] states; when it gives up it says so, and the engine proposes rather than
//! guesses.

/// Search states visited at most per payment.
const MAX_NODES: usize = 20_000;

/// Positions (into `amounts`) of a subset summing to `target`, or `None`. All amounts are
/// positive minor units.
pub(crate) fn exact_subset(amounts: &[i64], target: i64) -> Option<Vec<usize>> {
    if target <= 0 || amounts.iter().any(|a| *a <= 0) {
        return None;
    }
    // What the items from position i on can add up to at most.
    let mut rest = vec![0i64; amounts.len() + 1];
    for i in (0..amounts.len()).rev() {
        rest[i] = rest[i + 1].saturating_add(amounts[i]);
    }
    if rest[0] < target {
        return None;
    }
    let mut chosen = Vec::new();
    let mut nodes = 0;
    search(amounts, &rest, 0, target, &mut chosen, &mut nodes).then_some(chosen)
}

fn search(
    amounts: &[i64],
    rest: &[i64],
    from: usize,
    needed: i64,
    chosen: &mut Vec<usize>,
    nodes: &mut usize,
) -> bool {
    if needed == 0 {
        return true;
    }
    *nodes += 1;
    if from >= amounts.len() || rest[from] < needed || *nodes > MAX_NODES {
        return false;
    }
    for i in from..amounts.len() {
        if rest[i] < needed {
            return false;
        }
        if amounts[i] <= needed {
            chosen.push(i);
            if search(amounts, rest, i + 1, needed - amounts[i], chosen, nodes) {
                return true;
            }
            chosen.pop();
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_the_oldest_subset() {
        assert_eq!(exact_subset(&[100, 250, 150, 400], 250), Some(vec![0, 2]));
        assert_eq!(
            exact_subset(&[100, 250, 150, 400], 650),
            Some(vec![0, 2, 3])
        );
        assert_eq!(exact_subset(&[100, 250], 120), None);
        assert_eq!(exact_subset(&[], 10), None);
        assert_eq!(exact_subset(&[10], 0), None);
    }

    proptest! {
        #[test]
        fn a_found_subset_sums_to_the_target(
            amounts in proptest::collection::vec(1i64..100_000, 0..16),
            pick in proptest::collection::vec(any::<bool>(), 16),
        ) {
            let target: i64 = amounts.iter().zip(&pick).filter(|(_, p)| **p).map(|(a, _)| *a).sum();
            let found = exact_subset(&amounts, target);
            if target > 0 {
                // A subset exists (the one picked), and the search finds it within its budget.
                let found = found.expect("a subset exists");
                let sum: i64 = found.iter().map(|i| amounts[*i]).sum();
                prop_assert_eq!(sum, target);
                let mut sorted = found.clone();
                sorted.dedup();
                prop_assert_eq!(sorted.len(), found.len());
            } else {
                prop_assert!(found.is_none());
            }
        }
    }
}
