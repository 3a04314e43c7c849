//! `trainer extract`: the command-line side of `trainer::extract`.
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use trainer::device;
use trainer::extract::{parse_line, Extractor, Kb, KbPaths, Options};
use trainer::finetune::model::Classifier;
use trainer::finetune::train;
use trainer::tokenize::WordPieces;

/// Where `extract` finds a calibrated threshold next to the model (written by
/// `scripts/extract_eval.py --write-threshold`).
pub const THRESHOLD_FILE: &str = "extract-threshold.json";
/// Documents classified together (their pairs share the model's batches).
const GROUP_DOCS: usize = 32;
/// The threshold when none is given or calibrated.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

#[derive(clap::Args)]
pub struct ExtractArgs {
    /// A fine-tuning run directory (its best seed), a seed directory or a saved model.
    #[arg(long)]
    model: PathBuf,
    /// The pipeline's output directory (e.g. artifacts/ after `make dataset`: its wikidata/
    /// and link/ stages), or a directory holding entities/claims/properties.parquet and
    /// optionally anchor_prior.parquet.
    #[arg(long)]
    kb: PathBuf,
    /// One document per line: plain text, or JSON {"text": ..., "title": ...} (the title of
    /// the document's Wikipedia article, if any, disambiguates names). `-` reads standard input.
    #[arg(long, default_value = "-")]
    input: PathBuf,
    /// Output JSON lines (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Report a pair when the score of its best relation is at least this (default: the
    /// model's calibrated extract-threshold.json, else 0.5). 0 reports every classified pair.
    #[arg(long)]
    threshold: Option<f64>,
    /// Classify at most this many ordered mention pairs per sentence.
    #[arg(long, default_value_t = 64)]
    max_pairs: usize,
    #[arg(long, default_value = "cpu", value_parser = device::parse_device)]
    device: tch::Device,
    #[arg(long, default_value_t = 64)]
    batch: usize,
}

fn calibrated(dirs: &[&Path]) -> Result<Option<f64>> {
    for d in dirs {
        let p = d.join(THRESHOLD_FILE);
        if p.is_file() {
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p)?)
                .with_context(|| format!("{}: invalid JSON", p.display()))?;
            let t = v["threshold"]
                .as_f64()
                .with_context(|| format!("{}: no number \"threshold\"", p.display()))?;
            return Ok(Some(t));
        }
    }
    Ok(None)
}

pub fn extract(a: ExtractArgs) -> Result<()> {
    let t0 = Instant::now();
    let device = a.device;
    let dir = train::resolve_finetuned(&a.model)?;
    let threshold = match a.threshold {
        Some(t) => t,
        None => calibrated(&[&dir, &a.model])?.unwrap_or(DEFAULT_THRESHOLD),
    };
    anyhow::ensure!((0.0..=1.0).contains(&threshold), "--threshold {threshold}: not in [0, 1]");
    anyhow::ensure!(a.max_pairs > 0 && a.batch > 0, "--max-pairs and --batch must be positive");
    let tok = WordPieces::from_dir(&dir)?;
    let (model, info) = Classifier::load(&dir, tok.pad_id(), device)?;
    let paths = KbPaths::find(&a.kb)?;
    let kb = Kb::load(&paths, &info.labels)?;
    let unmapped: Vec<&str> =
        kb.relations.iter().filter(|r| r.pid.is_none()).map(|r| r.label.as_str()).collect();
    eprintln!(
        "extract: {} items, {} of {} relations mapped to properties{} (loaded in {:.1} s); \
         threshold {threshold}",
        kb.items,
        kb.relations.len() - unmapped.len(),
        kb.relations.len(),
        if unmapped.is_empty() {
            String::new()
        } else {
            format!(" (not: {})", unmapped.join(", "))
        },
        t0.elapsed().as_secs_f64()
    );
    let opts = Options { threshold, max_pairs: a.max_pairs, batch: a.batch };
    let ex = Extractor::new(kb, model, info, tok, opts)?;

    let reader = crate::cli_io::input(&a.input)?;
    let mut out = crate::cli_io::output(a.out.as_deref())?;
    let t1 = Instant::now();
    let (mut docs, mut sentences, mut facts, mut bad) = (0u64, 0u64, 0u64, 0u64);
    // Documents go through the model a group at a time (their pairs batched together); the
    // output keeps input order, error lines included.
    let mut group: Vec<(usize, Result<trainer::extract::Document, String>)> = Vec::new();
    let flush = |group: &mut Vec<(usize, Result<trainer::extract::Document, String>)>,
                 out: &mut dyn Write|
     -> Result<(u64, u64)> {
        let analysed: Vec<_> =
            group.iter().filter_map(|(_, d)| d.as_ref().ok()).map(|d| (d, ex.analyse(d))).collect();
        let n_sent: usize = analysed.iter().map(|(_, a)| a.sentences.len()).sum();
        let refs: Vec<_> = analysed.iter().map(|(d, a)| (*d, a)).collect();
        let mut found = ex.extract_many(&refs)?.into_iter();
        let mut n_facts = 0u64;
        for (line, d) in group.drain(..) {
            match d {
                Ok(_) => {
                    for f in found.next().expect("one list per document") {
                        n_facts += 1;
                        writeln!(out, "{}", serde_json::to_string(&f)?)?;
                    }
                }
                Err(e) => writeln!(out, "{}", serde_json::json!({"line": line, "error": e}))?,
            }
        }
        Ok((n_sent as u64, n_facts))
    };
    for (i, l) in reader.split(b'\n').enumerate() {
        let mut l = l.with_context(|| format!("{}: line {}", a.input.display(), i + 1))?;
        if l.last() == Some(&b'\r') {
            l.pop();
        }
        let d = parse_line(&l, i + 1);
        match &d {
            Ok(_) => docs += 1,
            Err(_) => bad += 1,
        }
        group.push((i + 1, d));
        if group.len() == GROUP_DOCS {
            let (s, f) = flush(&mut group, &mut out)?;
            (sentences, facts) = (sentences + s, facts + f);
        }
    }
    let (s, f) = flush(&mut group, &mut out)?;
    (sentences, facts) = (sentences + s, facts + f);
    out.flush()?;
    let secs = t1.elapsed().as_secs_f64();
    eprintln!(
        "extract: {docs} documents, {sentences} sentences, {facts} facts in {secs:.1} s \
         ({:.1} sentences/s){}",
        sentences as f64 / secs.max(1e-9),
        if bad > 0 {
            format!("; {bad} line(s) could not be read (\"error\" lines)")
        } else {
            String::new()
        }
    );
    Ok(())
}
