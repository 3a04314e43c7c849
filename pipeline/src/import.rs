//! `pipeline import`: FewRel JSON or OpenNRE/Wiki80 JSON lines -> the dataset layout
//! (relation_instances.parquet, relations.parquet, pairs.parquet, manifest.json), so users can
//! pre-train on their own distantly supervised data and tests get a CPU-sized corpus.
//!
//! Text is the tokens joined by single spaces (char offsets refer to that). FewRel mention
//! positions are lists of token indices and may be non-contiguous: the first mention's first
//! to last index is taken. OpenNRE relation names ("place served by transport hub") become
//! P-ids through the bundled pid2name.json when the name is known, else stay names.
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use formats::{pid2name, supervised};

use crate::dataset::{self, End, Row};
use crate::error::StageError;
use crate::records::{MentionRecord, SentenceRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `{"P-id": [{"tokens", "h": [name, qid, [[token indices]]], "t": ...}]}`
    Fewrel,
    /// One `{"token", "h": {"name", "id", "pos": [start, end)}, "t", "relation"}` per line.
    Opennre,
}

struct Instance {
    relation: String,
    tokens: Vec<String>,
    /// (name, qid, token_start, token_end)
    head: (String, String, u32, u32),
    tail: (String, String, u32, u32),
}

fn bad(path: &Path, at: &str, msg: &str) -> StageError {
    StageError::Invalid { path: path.to_path_buf(), msg: format!("{at}: {msg}") }
}

fn read(
    path: &Path,
    format: Format,
    names: &BTreeMap<String, String>,
) -> Result<Vec<Instance>, StageError> {
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    let mut out = Vec::new();
    match format {
        Format::Fewrel => {
            // The span rule of FewRel mentions lives in `formats::fewrel`.
            let records =
                formats::fewrel::parse(&text).map_err(|e| bad(path, "FewRel", &e.to_string()))?;
            for (rel, list) in records {
                for r in list {
                    let end = |m: formats::fewrel::Mention| {
                        (m.name, m.qid, m.span.0 as u32, m.span.1 as u32)
                    };
                    let (head, tail) = (end(r.head), end(r.tail));
                    out.push(Instance { relation: rel.clone(), tokens: r.tokens, head, tail });
                }
            }
        }
        Format::Opennre => {
            // OpenNRE lines are read as `finetune` reads them (`formats::supervised`); a
            // corpus record also needs its mentions' names.
            let (found, records) = supervised::parse_unchecked(&text, path)
                .map_err(|e| StageError::Invalid { path: path.to_path_buf(), msg: e.msg })?;
            if found != supervised::Format::OpenNre {
                return Err(bad(path, "line 1", "not an OpenNRE JSON line"));
            }
            for (line, r) in records {
                let at = format!("line {line}");
                let r = r
                    .and_then(|r| supervised::check_spans(&r).map(|()| r))
                    .map_err(|m| bad(path, &at, &m))?;
                let end = |span: (usize, usize), n: &supervised::Named, which: &str| {
                    let name = n
                        .name
                        .clone()
                        .ok_or_else(|| bad(path, &at, &format!("{which} has no name")))?;
                    Ok::<_, StageError>((
                        name,
                        n.id.clone().unwrap_or_default(),
                        span.0 as u32,
                        span.1 as u32,
                    ))
                };
                let head = end(r.head, &r.named[0], "h")?;
                let tail = end(r.tail, &r.named[1], "t")?;
                let name = if r.label.is_empty() { "NA" } else { r.label.as_str() };
                let relation = names.get(name).cloned().unwrap_or_else(|| name.to_string());
                out.push(Instance { relation, tokens: r.tokens, head, tail });
            }
        }
    }
    Ok(out)
}

/// Char offsets of each token in `tokens.join(" ")`.
fn offsets(tokens: &[String]) -> (Vec<u32>, Vec<u32>) {
    let (mut starts, mut ends, mut at) = (Vec::new(), Vec::new(), 0u32);
    for t in tokens {
        starts.push(at);
        at += t.chars().count() as u32;
        ends.push(at);
        at += 1;
    }
    (starts, ends)
}

pub fn run(
    format: Format,
    files: &[PathBuf],
    out: &Path,
    opts_min_bag: usize,
) -> Result<dataset::Stats, StageError> {
    std::fs::create_dir_all(out).map_err(|e| StageError::io(out, e))?;
    let bundled = crate::wikidata::relations::bundled();
    let by_name = pid2name::by_label(&bundled);
    let labels: HashMap<String, Option<String>> =
        bundled.into_iter().map(|(p, n)| (p, Some(n.label).filter(|l| !l.is_empty()))).collect();
    let mut rows = Vec::new();
    let mut stats = dataset::Stats::default();
    for (f, file) in files.iter().enumerate() {
        for (i, x) in read(file, format, &by_name)?.into_iter().enumerate() {
            stats.sentences_read += 1;
            let (starts, ends) = offsets(&x.tokens);
            let end = |e: &(String, String, u32, u32)| End {
                qid: e.1.clone(),
                name: e.0.clone(),
                ty: "UNK".into(),
                char_start: starts[e.2 as usize],
                char_end: ends[e.3 as usize - 1],
                token_start: e.2,
                token_end: e.3,
            };
            let (head, tail) = (end(&x.head), end(&x.tail));
            let mention = |e: &End| MentionRecord {
                page_id: f as i64,
                sentence_index: i as u32,
                qid: e.qid.clone(),
                surface: e.name.clone(),
                source: "import".into(),
                entity_type: e.ty.clone(),
                char_start: e.char_start,
                char_end: e.char_end,
                token_start: e.token_start,
                token_end: e.token_end,
            };
            let mentions = Arc::new(vec![mention(&head), mention(&tail)]);
            let sentence = Arc::new(SentenceRecord {
                page_id: f as i64,
                sentence_index: i as u32,
                text: x.tokens.join(" "),
                tokens: x.tokens,
                token_starts: starts.clone(),
                token_ends: ends.clone(),
                anchors: Vec::new(),
            });
            rows.push(Row {
                relation: x.relation,
                head,
                tail,
                sentence,
                mentions,
                revision_id: -1,
                dump: file.display().to_string(),
            });
        }
    }
    stats.rows_before_filters = rows.len() as u64;
    let mut opts = dataset::Options::new(&[], files, Path::new(""), out);
    opts.min_bag = opts_min_bag;
    opts.max_per_pair = usize::MAX;
    let inputs = files.iter().map(|p| p.display().to_string()).collect();
    dataset::finish(rows, &opts, inputs, &labels, &mut stats, &Default::default())?;
    Ok(stats)
}
