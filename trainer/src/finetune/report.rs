//! `trainer report`: fine-tuning results next to the paper's numbers for the same cells.
//!
//! The paper's numbers (Peng et al. 2020, supervised RE table: BERT, MTB and CP encoders at
//! 1%/10%/100% of the training data, context+mention input, bert-base-uncased) are kept in
//! [`PAPER`]. They were transcribed for this table, not read from a machine-readable source:
//! check them against the paper before quoting them.
use std::fmt::Write as _;
use std::path::Path;

use super::modes::Mode;
use super::splits::Task;
use super::train::Summary;
use crate::error::{io, TrainerError};

/// (task, train ratio, [BERT, MTB, CP]) in the task's metric, as fractions.
pub const PAPER: &[(Task, f64, [f64; 3])] = &[
    (Task::Tacred, 0.01, [0.211, 0.304, 0.485]),
    (Task::Tacred, 0.1, [0.579, 0.608, 0.633]),
    (Task::Tacred, 1.0, [0.683, 0.692, 0.700]),
    (Task::Semeval, 0.01, [0.367, 0.362, 0.482]),
    (Task::Semeval, 0.1, [0.772, 0.799, 0.817]),
    (Task::Semeval, 1.0, [0.870, 0.872, 0.876]),
    (Task::Wiki80, 0.01, [0.559, 0.585, 0.722]),
    (Task::Wiki80, 0.1, [0.829, 0.842, 0.849]),
    (Task::Wiki80, 1.0, [0.913, 0.913, 0.921]),
    (Task::Chemprot, 0.01, [0.362, 0.362, 0.361]),
    (Task::Chemprot, 0.1, [0.634, 0.679, 0.708]),
    (Task::Chemprot, 1.0, [0.792, 0.796, 0.806]),
];

/// The paper's BERT/MTB/CP numbers for a cell (context+mention only).
pub fn paper(task: Task, ratio: f64, mode: Mode) -> Option<[f64; 3]> {
    if mode != Mode::Cm {
        return None;
    }
    PAPER.iter().find(|(t, r, _)| *t == task && (r - ratio).abs() < 1e-9).map(|c| c.2)
}

/// Reads `RUN/results.json`.
pub fn load(run: &Path) -> Result<Summary, TrainerError> {
    let path = run.join("results.json");
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|source| TrainerError::Json { path, source })
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// The markdown table of `runs` (name, summary).
pub fn markdown(runs: &[(String, Summary)]) -> String {
    let mut s = String::from(
        "| run | task | train | mode | model | metric | test per seed | median test | median dev | \
         paper BERT / MTB / CP | train seq/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (name, r) in runs {
        let seeds: Vec<String> =
            r.seeds.iter().map(|x| format!("{}: {}", x.seed, pct(x.test))).collect();
        let paper = paper(r.task, r.train_ratio, r.mode).map_or("n/a".to_string(), |p| {
            p.iter().map(|&x| pct(x)).collect::<Vec<_>>().join(" / ")
        });
        let model = Path::new(&r.model)
            .file_name()
            .map_or(r.model.clone(), |f| f.to_string_lossy().to_string());
        let _ = writeln!(
            s,
            "| {name} | {} | {}% | {} | {model} | {} | {} | **{}** | {} | {paper} | {:.1} |",
            r.task.name(),
            100.0 * r.train_ratio,
            r.mode.name(),
            r.metric,
            seeds.join(", "),
            pct(r.median_test),
            pct(r.median_dev),
            r.median_train_sequences_per_second,
        );
    }
    s
}
