//! The official SemEval-2010 Task 8 scorer (semeval2010_task8_scorer-v1.2.pl), its three
//! views:
//! (i) 18+1-way with directionality, (ii) 9+1-way ignoring directionality, and (iii) 9+1-way
//! with directionality taken into account, whose macro-F1 is the official score.
//!
//! As the Perl scorer does:
//! - the relations averaged over are those that occur in the key, Other excluded;
//! - a key id missing from the answers ("skipped") counts against recall;
//! - in view (iii) a relation's predicted count includes its predictions in either direction,
//!   and a wrong direction is wrong;
//! - macro P/R/F1 are means of the per-relation values;
//! - micro sums over the same relations.
//!
//! Key and answer files are `id<TAB>label` lines. Unknown labels, duplicate ids and ids not in
//! the key are rejected with the file and line, as the scorer's format checker does.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::TrainerError;

pub const OTHER: &str = "Other";

/// The 19 labels.
pub fn labels() -> Vec<String> {
    let rel = [
        "Cause-Effect",
        "Component-Whole",
        "Content-Container",
        "Entity-Destination",
        "Entity-Origin",
        "Instrument-Agency",
        "Member-Collection",
        "Message-Topic",
        "Product-Producer",
    ];
    let mut out: Vec<String> =
        rel.iter().flat_map(|r| [format!("{r}(e1,e2)"), format!("{r}(e2,e1)")]).collect();
    out.push(OTHER.into());
    out
}

fn undirected(label: &str) -> &str {
    label.split_once('(').map_or(label, |(r, _)| r)
}

/// Reads an `id<TAB>label` file; with `key`, also rejects ids the key does not have.
pub fn read(
    path: &Path,
    key: Option<&BTreeMap<u64, String>>,
) -> Result<BTreeMap<u64, String>, TrainerError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| TrainerError::Io { path: path.to_path_buf(), source })?;
    parse(&text, path, key)
}

pub fn parse(
    text: &str,
    origin: &Path,
    key: Option<&BTreeMap<u64, String>>,
) -> Result<BTreeMap<u64, String>, TrainerError> {
    let known: BTreeSet<String> = labels().into_iter().collect();
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let Some((id, label)) = line.split_once('\t') else {
            errors.push(format!("line {n}: expected id<TAB>label: {line:?}"));
            continue;
        };
        let Ok(id) = id.trim().parse::<u64>() else {
            errors.push(format!("line {n}: bad id {id:?}"));
            continue;
        };
        if !known.contains(label) {
            errors.push(format!("line {n}: unknown label {label:?}"));
            continue;
        }
        if key.is_some_and(|k| !k.contains_key(&id)) {
            errors.push(format!("line {n}: id {id} is not in the key"));
            continue;
        }
        if out.insert(id, label.to_string()).is_some() {
            errors.push(format!("line {n}: duplicate id {id}"));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(TrainerError::Data { path: origin.to_path_buf(), msg: errors.join("; ") })
    }
}

/// Precision, recall and F1 as fractions.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Prf {
    pub p: f64,
    pub r: f64,
    pub f1: f64,
}

fn prf(tp: usize, predicted: usize, gold: usize) -> Prf {
    let p = if predicted == 0 { 0.0 } else { tp as f64 / predicted as f64 };
    let r = if gold == 0 { 0.0 } else { tp as f64 / gold as f64 };
    let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
    Prf { p, r, f1 }
}

/// One view: per-relation scores, micro and macro averages (Other excluded).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct View {
    pub per_relation: BTreeMap<String, Prf>,
    pub micro: Prf,
    pub macro_avg: Prf,
}

/// The scorer's three views.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scores {
    pub directed_18: View,
    pub undirected_9: View,
    /// The official score is `official.macro_avg.f1`.
    pub official: View,
}

fn view(
    key: &BTreeMap<u64, String>,
    answer: &BTreeMap<u64, String>,
    group: fn(&str) -> &str,
    correct: fn(&str, &str) -> bool,
) -> View {
    let rels: BTreeSet<&str> = key.values().map(|l| group(l)).filter(|&l| l != OTHER).collect();
    let mut per_relation = BTreeMap::new();
    let (mut tp_sum, mut pred_sum, mut gold_sum) = (0, 0, 0);
    for &r in &rels {
        let gold = key.values().filter(|l| group(l) == r).count();
        let predicted = answer.values().filter(|l| group(l) == r).count();
        let tp = key
            .iter()
            .filter(|(id, g)| group(g) == r && answer.get(id).is_some_and(|p| correct(g, p)))
            .count();
        per_relation.insert(r.to_string(), prf(tp, predicted, gold));
        (tp_sum, pred_sum, gold_sum) = (tp_sum + tp, pred_sum + predicted, gold_sum + gold);
    }
    let n = per_relation.len().max(1) as f64;
    let mean = |f: fn(&Prf) -> f64| per_relation.values().map(f).sum::<f64>() / n;
    let macro_avg = Prf { p: mean(|x| x.p), r: mean(|x| x.r), f1: mean(|x| x.f1) };
    View { micro: prf(tp_sum, pred_sum, gold_sum), macro_avg, per_relation }
}

/// Scores `answer` against `key`.
pub fn score(key: &BTreeMap<u64, String>, answer: &BTreeMap<u64, String>) -> Scores {
    Scores {
        directed_18: view(key, answer, |l| l, |g, p| g == p),
        undirected_9: view(key, answer, undirected, |g, p| undirected(g) == undirected(p)),
        official: view(key, answer, undirected, |g, p| g == p),
    }
}
