//! Scores of a prediction list in the task's metric, plus the per-relation view and the
//! confusion matrix written into the run directory.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::splits::Task;
use crate::metrics::semeval::{self, Prf};
use crate::metrics::tacred;

/// The paper's score for `task` (a fraction): TACRED micro-F1, SemEval official macro-F1,
/// accuracy otherwise. `gold`/`pred` index `labels`.
pub fn primary(task: Task, labels: &[String], gold: &[usize], pred: &[usize]) -> f64 {
    let g: Vec<&str> = gold.iter().map(|&i| labels[i].as_str()).collect();
    let p: Vec<&str> = pred.iter().map(|&i| labels[i].as_str()).collect();
    match task {
        Task::Semeval => {
            let (key, answer) = semeval_maps(&g, &p);
            semeval::score(&key, &answer).official.macro_avg.f1
        }
        Task::Tacred => tacred::micro(&g, &p, "no_relation").f1,
        Task::Wiki80 | Task::Chemprot => tacred::accuracy(&g, &p),
    }
}

/// Key and answer maps with ids 1..n (the row order), as the SemEval scorer reads them.
pub fn semeval_maps(
    gold: &[&str],
    pred: &[&str],
) -> (BTreeMap<u64, String>, BTreeMap<u64, String>) {
    let m = |v: &[&str]| v.iter().enumerate().map(|(i, l)| (i as u64 + 1, l.to_string())).collect();
    (m(gold), m(pred))
}

/// One relation's row: gold count, predicted count, P/R/F1.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RelationRow {
    pub label: String,
    pub gold: usize,
    pub predicted: usize,
    pub correct: usize,
    #[serde(flatten)]
    pub prf: Prf,
}

/// Per-label precision/recall/F1 (every label, negative included).
pub fn per_relation(labels: &[String], gold: &[usize], pred: &[usize]) -> Vec<RelationRow> {
    let n = labels.len();
    let (mut g, mut p, mut c) = (vec![0; n], vec![0; n], vec![0; n]);
    for (&a, &b) in gold.iter().zip(pred) {
        g[a] += 1;
        p[b] += 1;
        if a == b {
            c[a] += 1;
        }
    }
    (0..n)
        .map(|i| {
            let pr = if p[i] == 0 { 0.0 } else { c[i] as f64 / p[i] as f64 };
            let re = if g[i] == 0 { 0.0 } else { c[i] as f64 / g[i] as f64 };
            let f1 = if pr + re == 0.0 { 0.0 } else { 2.0 * pr * re / (pr + re) };
            RelationRow {
                label: labels[i].clone(),
                gold: g[i],
                predicted: p[i],
                correct: c[i],
                prf: Prf { p: pr, r: re, f1 },
            }
        })
        .collect()
}

/// `counts[gold][pred]`.
pub fn confusion(n: usize, gold: &[usize], pred: &[usize]) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; n]; n];
    for (&a, &b) in gold.iter().zip(pred) {
        m[a][b] += 1;
    }
    m
}

/// The confusion matrix as TSV: a header of predicted labels, one row per gold label.
pub fn confusion_tsv(labels: &[String], m: &[Vec<usize>]) -> String {
    let mut s = String::from("gold\\pred");
    for l in labels {
        let _ = write!(s, "\t{l}");
    }
    s.push('\n');
    for (l, row) in labels.iter().zip(m) {
        s.push_str(l);
        for v in row {
            let _ = write!(s, "\t{v}");
        }
        s.push('\n');
    }
    s
}

/// Per-relation rows as TSV.
pub fn per_relation_tsv(rows: &[RelationRow]) -> String {
    let mut s = String::from("label\tgold\tpredicted\tcorrect\tprecision\trecall\tf1\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}\t{:.4}\t{:.4}\t{:.4}",
            r.label, r.gold, r.predicted, r.correct, r.prf.p, r.prf.r, r.prf.f1
        );
    }
    s
}

/// The median of `xs` (mean of the middle two for an even count).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_rows_confusion_and_median() {
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        // gold a a b c c c ; pred a b b c a c
        let gold = [0, 0, 1, 2, 2, 2];
        let pred = [0, 1, 1, 2, 0, 2];
        let rows = per_relation(&labels, &gold, &pred);
        assert_eq!((rows[0].gold, rows[0].predicted, rows[0].correct), (2, 2, 1));
        assert!((rows[1].prf.p - 0.5).abs() < 1e-12 && (rows[1].prf.r - 1.0).abs() < 1e-12);
        assert!((rows[2].prf.f1 - 0.8).abs() < 1e-12);
        let m = confusion(3, &gold, &pred);
        assert_eq!(m, vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 2]]);
        assert!(confusion_tsv(&labels, &m).starts_with("gold\\pred\ta\tb\tc\na\t1\t1\t0\n"));
        assert!((primary(Task::Wiki80, &labels, &gold, &pred) - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
