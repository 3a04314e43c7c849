//! The SemEval scorer against the official scorer's own example files and the numbers it
//! printed for them (tests/fixtures/semeval_scorer/, from the official v1.2 release).
use std::path::{Path, PathBuf};

use trainer::metrics::semeval::{read, score};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/semeval_scorer")
}

/// The (P, R, F1) percentages of the "MACRO-averaged" and "Micro-averaged" lines of
/// result_scoresN.txt, in the file's order of views.
fn printed(n: u32) -> (Vec<[f64; 3]>, Vec<[f64; 3]>) {
    let text = std::fs::read_to_string(dir().join(format!("result_scores{n}.txt"))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let pct = |s: &str| -> Vec<f64> {
        s.split('%')
            .filter_map(|part| part.rsplit([' ', '=', '\t']).next())
            .filter_map(|x| x.trim().parse::<f64>().ok())
            .collect()
    };
    let mut macro_ = vec![];
    let mut micro = vec![];
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("MACRO-averaged") {
            let v = pct(lines[i + 1]);
            macro_.push([v[0], v[1], v[2]]);
        }
        if l.starts_with("Micro-averaged") {
            let v = pct(lines[i + 1]);
            micro.push([v[0], v[1], v[2]]);
        }
    }
    (macro_, micro)
}

#[test]
fn the_three_views_equal_what_the_official_scorer_printed() {
    for n in [1, 3, 5] {
        let key = read(&dir().join(format!("answer_key{n}.txt")), None).unwrap();
        let answer = read(&dir().join(format!("proposed_answer{n}.txt")), Some(&key)).unwrap();
        let s = score(&key, &answer);
        let (macro_, micro) = printed(n);
        assert_eq!(macro_.len(), 3, "pair {n}");
        for (k, v) in [&s.directed_18, &s.undirected_9, &s.official].into_iter().enumerate() {
            let ours = |x: f64| (x * 10000.0).round() / 100.0;
            assert_eq!(
                [ours(v.macro_avg.p), ours(v.macro_avg.r), ours(v.macro_avg.f1)],
                macro_[k],
                "pair {n} view {k} macro"
            );
            assert_eq!(
                [ours(v.micro.p), ours(v.micro.r), ours(v.micro.f1)],
                micro[k],
                "pair {n} view {k} micro"
            );
        }
    }
}

#[test]
fn the_format_checkers_negative_example_is_rejected_with_its_lines() {
    let key = read(&dir().join("answer_key1.txt"), None).unwrap();
    let err = read(&dir().join("proposed_answer4.txt"), Some(&key)).unwrap_err().to_string();
    assert!(err.contains("proposed_answer4.txt"), "{err}");
    assert_eq!(err.matches("line ").count(), 4, "four errors: {err}");
    assert!(err.contains("unknown label \"Message-Topc(e1,e2)\""), "{err}");
    assert!(err.contains("duplicate id 1"), "{err}");
}
