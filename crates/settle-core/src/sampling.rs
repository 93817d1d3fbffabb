//! Choosing the customers an auditor asks to confirm their balance: the largest balances, or a
//! random sample that the same seed reproduces exactly (so the auditor can re-perform it).

/// Indices of the `n` largest weights (ties keep the earlier one), largest first.
pub fn by_value(weights: &[i128], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then(a.cmp(&b)));
    order.truncate(n);
    order
}

/// `n` distinct indices out of `0..count`, chosen uniformly by a seeded generator, in
/// ascending order. The same seed and count always give the same sample.
pub fn at_random(count: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut pool: Vec<usize> = (0..count).collect();
    let n = n.min(count);
    // A partial Fisher–Yates shuffle: the first n places end up a uniform sample.
    for i in 0..n {
        let remaining = (count - i) as u64;
        let j = i + bounded(&mut state, remaining) as usize;
        pool.swap(i, j);
    }
    let mut sample = pool[..n].to_vec();
    sample.sort_unstable();
    sample
}

/// SplitMix64: small, well-mixed, and fully specified, so a sample can be re-drawn anywhere.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in `0..bound` without modulo bias (rejection of the short last stretch).
fn bounded(state: &mut u64, bound: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let value = next(state);
        if value < zone {
            return value % bound;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_largest_balances_come_first() {
        assert_eq!(by_value(&[5, 90, -3, 90, 40], 3), vec![1, 3, 4]);
        assert_eq!(by_value(&[1, 2], 5), vec![1, 0]);
    }

    #[test]
    fn a_seed_reproduces_its_sample() {
        let first = at_random(1000, 25, 42);
        assert_eq!(first, at_random(1000, 25, 42));
        assert_ne!(first, at_random(1000, 25, 43));
        assert_eq!(at_random(3, 10, 7), vec![0, 1, 2]);
    }

    proptest! {
        #[test]
        fn samples_are_distinct_sorted_and_in_range(count in 0usize..500, n in 0usize..600, seed: u64) {
            let sample = at_random(count, n, seed);
            prop_assert_eq!(sample.len(), n.min(count));
            prop_assert!(sample.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(sample.iter().all(|&i| i < count));
        }
    }

    #[test]
    fn every_customer_is_about_as_likely_to_be_drawn() {
        // 20,000 draws of 1 out of 10: each index should appear about 2,000 times.
        let mut counts = [0u32; 10];
        for seed in 0..20_000u64 {
            counts[at_random(10, 1, seed)[0]] += 1;
        }
        assert!(
            counts.iter().all(|&c| (1_800..=2_200).contains(&c)),
            "{counts:?}"
        );
    }
}
