//! TACRED's scoring rule (Zhang et al. 2017, `score.py` of the TACRED release): micro
//! precision/recall/F1 over all labels except the negative one (`no_relation`, or `Other` for
//! SemEval-style data). A row with a negative gold label and a negative prediction is ignored.
//! Precision is 1.0 when nothing is predicted positive, as in score.py.
use super::semeval::Prf;

/// Scores parallel gold/predicted label lists.
pub fn micro(gold: &[&str], pred: &[&str], negative: &str) -> Prf {
    assert_eq!(gold.len(), pred.len(), "one prediction per gold label");
    let (mut correct, mut guessed, mut actual) = (0usize, 0usize, 0usize);
    for (g, p) in gold.iter().zip(pred) {
        if *p != negative {
            guessed += 1;
        }
        if *g != negative {
            actual += 1;
            if g == p {
                correct += 1;
            }
        }
    }
    let p = if guessed == 0 { 1.0 } else { correct as f64 / guessed as f64 };
    let r = if actual == 0 { 0.0 } else { correct as f64 / actual as f64 };
    let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
    Prf { p, r, f1 }
}

/// Share of rows predicted right (Wiki80 and ChemProt, which have no negative class).
pub fn accuracy(gold: &[&str], pred: &[&str]) -> f64 {
    assert_eq!(gold.len(), pred.len(), "one prediction per gold label");
    let right = gold.iter().zip(pred).filter(|(g, p)| g == p).count();
    right as f64 / gold.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_micro_scores() {
        let n = "no_relation";
        // gold:  A  A  B  n  n  B
        // pred:  A  B  n  n  A  B
        // guessed (pred != n): 4; actual (gold != n): 4; correct: rows 0 and 5 = 2.
        let gold = ["A", "A", "B", n, n, "B"];
        let pred = ["A", "B", n, n, "A", "B"];
        let s = micro(&gold, &pred, n);
        assert_eq!((s.p, s.r, s.f1), (0.5, 0.5, 0.5));
        // Nothing predicted positive: precision 1.0 (score.py), recall 0.
        let s = micro(&["A", "B"], &[n, n], n);
        assert_eq!((s.p, s.r, s.f1), (1.0, 0.0, 0.0));
        // Only negatives everywhere: the ignored rows leave recall 0.
        assert_eq!(micro(&[n], &[n], n).r, 0.0);
        assert_eq!(accuracy(&gold, &pred), 3.0 / 6.0);
    }
}
