//! Which files make a task's train/dev/test, the label set, the low-resource subset and the
//! dev/test split when a dataset ships no test file.
//!
//! In `--data DIR` the files are found by the names of the CP repository and the datasets'
//! releases: `train.txt`/`cp_train.txt`/`train.json` (the 1% and 10% subsets:
//! `train_0.01.txt`/`cp_train_0.01.txt`, ...), `dev.*`/`cp_dev.*`/`val.*`, `test.*`/`cp_test.*`;
//! labels from `rel2id.json`/`cp_rel2id.json`, types from `type2id.json`/`cp_type2id.json`.
//! `--train/--dev/--test` name files directly.
//!
//! - A ratio below 1 uses the shipped subset file when there is one (the paper's subsets: the
//!   original sampler had no seed). Otherwise it samples `ceil(n * ratio)` records of each
//!   relation from the full training file with `subset_seed` and writes the chosen ids to
//!   `RUN/train_subset.txt`.
//! - Without a test file (CP's Wiki80 test set is not public) the dev file is split in two
//!   halves per relation with a fixed seed: the first half selects the epoch, the second is
//!   reported as test. The split is written to `RUN/dev_test_split.json`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::data::{self, Record};
use super::modes::{type_ids, TypeIds};
use crate::error::{io, TrainerError};
use crate::run_dir::write_atomic;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Tacred,
    Semeval,
    Wiki80,
    Chemprot,
}

impl Task {
    /// The negative label, for datasets that have one.
    pub fn negative(self) -> Option<&'static str> {
        match self {
            Task::Tacred => Some("no_relation"),
            Task::Semeval => Some("Other"),
            Task::Wiki80 | Task::Chemprot => None,
        }
    }

    /// The score the paper reports.
    pub fn metric(self) -> &'static str {
        match self {
            Task::Tacred => "micro-F1 (TACRED rule)",
            Task::Semeval => "macro-F1 (official SemEval scorer)",
            Task::Wiki80 | Task::Chemprot => "accuracy",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Task::Tacred => "tacred",
            Task::Semeval => "semeval",
            Task::Wiki80 => "wiki80",
            Task::Chemprot => "chemprot",
        }
    }
}

/// Where the data comes from.
#[derive(Debug, Clone, Default)]
pub struct DataSpec {
    pub dir: Option<PathBuf>,
    pub train: Option<PathBuf>,
    pub dev: Option<PathBuf>,
    pub test: Option<PathBuf>,
    pub ratio: f64,
    pub subset_seed: u64,
    pub skip_bad: bool,
}

/// The loaded splits with label and type vocabularies.
#[derive(Debug, Clone)]
pub struct Splits {
    pub train: Vec<Record>,
    pub dev: Vec<Record>,
    pub test: Vec<Record>,
    pub labels: Vec<String>,
    pub types: TypeIds,
    /// Files, counts, skipped records, subset and split decisions (written to the run).
    pub provenance: serde_json::Value,
}

fn find(dir: &Path, names: &[String]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

fn candidates(stem: &str) -> Vec<String> {
    let mut names: Vec<String> = ["", "cp_"]
        .iter()
        .flat_map(|pre| ["txt", "json", "jsonl"].map(|ext| format!("{pre}{stem}.{ext}")))
        .collect();
    // The official SemEval-2010 Task 8 release (it has no dev file: give --dev).
    let semeval: &[&str] = match stem {
        "train" => &["TRAIN_FILE.TXT", "SemEval2010_task8_training__TRAIN_FILE.TXT"],
        "test" => &["TEST_FILE_FULL.TXT", "SemEval2010_task8_testing_keys__TEST_FILE_FULL.TXT"],
        _ => &[],
    };
    names.extend(semeval.iter().map(|s| s.to_string()));
    names
}

fn missing(what: &str, dir: Option<&Path>) -> TrainerError {
    TrainerError::Data {
        path: dir.map(Path::to_path_buf).unwrap_or_default(),
        msg: format!("no {what} file: give --{what} FILE or a --data directory that has one"),
    }
}

/// Loads and checks the task's splits; writes subset/split decisions into `out`.
pub fn load(spec: &DataSpec, out: &Path) -> Result<Splits, TrainerError> {
    let dir = spec.dir.as_deref();
    let look = |given: &Option<PathBuf>, stems: &[&str]| -> Option<PathBuf> {
        given
            .clone()
            .or_else(|| dir.and_then(|d| stems.iter().find_map(|s| find(d, &candidates(s)))))
    };
    let mut prov = serde_json::json!({"ratio": spec.ratio});
    let ratio_name = format!("train_{}", spec.ratio);
    let subset_file =
        if spec.ratio < 1.0 && spec.train.is_none() { look(&None, &[&ratio_name]) } else { None };
    let train_path = match &subset_file {
        Some(p) => p.clone(),
        None => look(&spec.train, &["train"]).ok_or_else(|| missing("train", dir))?,
    };
    let dev_path = look(&spec.dev, &["dev", "val"]).ok_or_else(|| missing("dev", dir))?;
    let test_path = look(&spec.test, &["test"]);

    let mut read = |path: &Path, role: &str| -> Result<Vec<Record>, TrainerError> {
        let l = data::read(path, spec.skip_bad)?;
        prov[role] = serde_json::json!({
            "file": path.display().to_string(),
            "format": l.format,
            "records": l.records.len(),
            "skipped": l.skipped.iter().map(|(line, why)| format!("line {line}: {why}"))
                .collect::<Vec<_>>(),
        });
        if !l.skipped.is_empty() {
            eprintln!("{}: skipped {} bad record(s)", path.display(), l.skipped.len());
        }
        Ok(l.records)
    };
    let mut train = read(&train_path, "train")?;
    let mut dev = read(&dev_path, "dev")?;
    let mut test = match &test_path {
        Some(p) => read(p, "test")?,
        None => Vec::new(),
    };

    if spec.ratio < 1.0 {
        if subset_file.is_some() {
            prov["subset"] = "shipped subset file".into();
        } else {
            train = sample_per_relation(train, spec.ratio, spec.subset_seed);
            let ids: String = train.iter().map(|r| format!("{}\n", r.id)).collect();
            write_atomic(&out.join("train_subset.txt"), &ids)?;
            prov["subset"] = serde_json::json!({
                "sampled_per_relation": spec.ratio, "seed": spec.subset_seed,
                "records": train.len(), "ids": "train_subset.txt"});
        }
    }
    if test_path.is_none() {
        let (d, t) = split_dev(std::mem::take(&mut dev));
        let lines = |v: &[Record]| v.iter().map(|r| r.line).collect::<Vec<_>>();
        let split = serde_json::json!({"dev_lines": lines(&d), "test_lines": lines(&t)});
        write_atomic(&out.join("dev_test_split.json"), &split.to_string())?;
        eprintln!(
            "no test file: the dev file is split per relation into dev ({}) and test ({}); \
             see dev_test_split.json",
            d.len(),
            t.len()
        );
        prov["test"] = "second half of the dev file per relation (dev_test_split.json)".into();
        (dev, test) = (d, t);
    }

    let labels = match dir.and_then(|d| find(d, &["rel2id.json".into(), "cp_rel2id.json".into()])) {
        Some(p) => {
            prov["labels"] = p.display().to_string().into();
            read_id_map(&p)?
        }
        None => {
            let mut seen: Vec<String> =
                train.iter().chain(&dev).chain(&test).map(|r| r.label.clone()).collect();
            seen.sort();
            seen.dedup();
            seen
        }
    };
    let (train, dev, test) = (
        known(train, &labels, &train_path, spec.skip_bad)?,
        known(dev, &labels, &dev_path, spec.skip_bad)?,
        known(test, &labels, test_path.as_deref().unwrap_or(&dev_path), spec.skip_bad)?,
    );
    let types = match dir.and_then(|d| find(d, &["type2id.json".into(), "cp_type2id.json".into()]))
    {
        Some(p) => read_id_map(&p)?.into_iter().enumerate().map(|(i, n)| (n, i)).collect(),
        None => type_ids(train.iter().chain(&dev).chain(&test)),
    };
    Ok(Splits { train, dev, test, labels, types, provenance: prov })
}

/// A `{"name": id}` file as names ordered by id.
fn read_id_map(path: &Path) -> Result<Vec<String>, TrainerError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let map: BTreeMap<String, usize> = serde_json::from_str(&text)
        .map_err(|source| TrainerError::Json { path: path.to_path_buf(), source })?;
    let mut names: Vec<(usize, String)> = map.into_iter().map(|(k, v)| (v, k)).collect();
    names.sort();
    if names.iter().enumerate().any(|(i, (id, _))| *id != i) {
        return Err(TrainerError::Data {
            path: path.to_path_buf(),
            msg: "ids must be 0..n without gaps".into(),
        });
    }
    Ok(names.into_iter().map(|(_, n)| n).collect())
}

fn known(
    records: Vec<Record>,
    labels: &[String],
    path: &Path,
    skip_bad: bool,
) -> Result<Vec<Record>, TrainerError> {
    let mut out = Vec::with_capacity(records.len());
    let mut skipped = 0;
    for r in records {
        if labels.contains(&r.label) {
            out.push(r);
        } else if skip_bad {
            skipped += 1;
        } else {
            return Err(TrainerError::Data {
                path: path.to_path_buf(),
                msg: format!("line {}: unknown label {:?}", r.line, r.label),
            });
        }
    }
    if skipped > 0 {
        eprintln!("{}: skipped {skipped} record(s) with unknown labels", path.display());
    }
    Ok(out)
}

fn by_label(records: &[Record]) -> BTreeMap<&str, Vec<usize>> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        groups.entry(&r.label).or_default().push(i);
    }
    groups
}

fn keep(records: Vec<Record>, mut chosen: Vec<usize>) -> Vec<Record> {
    chosen.sort_unstable();
    let mut it = chosen.into_iter().peekable();
    records
        .into_iter()
        .enumerate()
        .filter(|(i, _)| it.next_if_eq(i).is_some())
        .map(|(_, r)| r)
        .collect()
}

/// `ceil(n * ratio)` records of each relation, drawn with `seed`, in file order.
pub fn sample_per_relation(records: Vec<Record>, ratio: f64, seed: u64) -> Vec<Record> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut chosen = Vec::new();
    for (_, mut idx) in by_label(&records) {
        idx.shuffle(&mut rng);
        let n = ((idx.len() as f64) * ratio).ceil() as usize;
        chosen.extend(idx.into_iter().take(n));
    }
    keep(records, chosen)
}

/// Splits `records` per relation into two halves (the first gets the odd one), fixed seed.
pub fn split_dev(records: Vec<Record>) -> (Vec<Record>, Vec<Record>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut first = Vec::new();
    for (_, mut idx) in by_label(&records) {
        idx.shuffle(&mut rng);
        let half = idx.len().div_ceil(2);
        first.extend(idx.into_iter().take(half));
    }
    first.sort_unstable();
    let mut it = first.iter().copied().peekable();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, r) in records.into_iter().enumerate() {
        if it.next_if_eq(&i).is_some() {
            a.push(r);
        } else {
            b.push(r);
        }
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: usize, label: &str) -> Record {
        Record {
            id: i.to_string(),
            line: i,
            tokens: vec!["a".into(), "b".into()],
            head: (0, 1),
            tail: (1, 2),
            head_type: None,
            tail_type: None,
            named: Default::default(),
            label: label.into(),
        }
    }

    #[test]
    fn subsets_take_the_ceiling_per_relation_and_keep_file_order() {
        let recs: Vec<Record> =
            (0..25).map(|i| rec(i, if i % 5 == 0 { "rare" } else { "common" })).collect();
        let s = sample_per_relation(recs.clone(), 0.1, 7);
        let count = |l: &str| s.iter().filter(|r| r.label == l).count();
        assert_eq!((count("common"), count("rare")), (2, 1));
        assert!(s.windows(2).all(|w| w[0].line < w[1].line));
        assert_eq!(s, sample_per_relation(recs.clone(), 0.1, 7), "seeded");
        let (d, t) = split_dev(recs);
        assert_eq!((d.len(), t.len()), (13, 12));
        assert_eq!(d.iter().filter(|r| r.label == "rare").count(), 3);
    }
}
