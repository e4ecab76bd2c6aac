//! Candidate significance against simulated χ² powers: the trials correction.

use palfa_search::stats::{candidate_sigma, normal_logq, power_for_sigma};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The maximum of K independent sums of H exponential powers, given the
/// significance `candidate_sigma(max, H, K)`, exceeds s as often as a
/// Gaussian deviate exceeds s: 1 − (1 − Q(s)/K)^K ≈ Q(s).
#[test]
fn sigma_of_the_best_of_k_trials_follows_the_trials_correction() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
    let (k, groups) = (1000usize, 4000usize);
    for h in [1usize, 4, 16] {
        let mut exceed = [0usize; 2];
        for _ in 0..groups {
            let max = (0..k)
                .map(|_| (0..h).map(|_| -> f64 { Exp1.sample(&mut rng) }).sum::<f64>())
                .fold(0.0, f64::max);
            let s = candidate_sigma(max, h, k as f64);
            exceed[0] += usize::from(s >= 1.0);
            exceed[1] += usize::from(s >= 2.0);
            // Same thing seen through the threshold the search uses.
            assert_eq!(s >= 2.0, max >= power_for_sigma(2.0, h, k as f64) - 1e-9);
        }
        for (i, s) in [1.0, 2.0].into_iter().enumerate() {
            let q = normal_logq(s).exp();
            let expect = 1.0 - (1.0 - q / k as f64).powi(k as i32);
            let frac = exceed[i] as f64 / groups as f64;
            // Binomial standard error with 4000 groups: 0.0058 (1σ) and 0.0023 (2σ); allow 3.5 of them.
            let se = (expect * (1.0 - expect) / groups as f64).sqrt();
            eprintln!("H={h} s={s}: {frac:.4} vs {expect:.4} (±{se:.4})");
            assert!((frac - expect).abs() < 3.5 * se, "H={h}, {s}σ: {frac} vs {expect}");
        }
    }
}
