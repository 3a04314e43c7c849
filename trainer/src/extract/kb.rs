//! The knowledge base `extract` links against: what the pipeline's `wikidata` and `link` stages
//! built (the enwiki items' names and titles, the anchor prior, the item-valued claims), read
//! through `schemas::rows`. Claims are kept only for the properties the classifier can
//! predict, as 12-byte sorted entries, so the whole-dump claims table is never held.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use schemas::Qid;

use crate::error::TrainerError;

/// A relation the classifier predicts, with its Wikidata property when the KB names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub label: String,
    pub pid: Option<String>,
}

/// Where the KB files are: `DIR/{entities,claims,properties}.parquet` or `DIR/wikidata/...`;
/// `DIR/anchor_prior.parquet` or `DIR/link/...` (optional).
#[derive(Debug, Clone)]
pub struct KbPaths {
    pub wikidata: PathBuf,
    pub prior: Option<PathBuf>,
}

impl KbPaths {
    pub fn find(dir: &Path) -> Result<Self, TrainerError> {
        use schemas::tables::{ANCHOR_PRIOR, ENTITIES};
        let pick = |table: schemas::Table, sub: &str| {
            let file = table.file_name();
            [dir.join(&file), dir.join(sub).join(&file)].into_iter().find(|p| p.is_file())
        };
        let entities = pick(ENTITIES, "wikidata").ok_or_else(|| TrainerError::Data {
            path: dir.to_path_buf(),
            msg: "no entities.parquet here or under wikidata/: --kb takes the pipeline's \
                  output directory (e.g. artifacts/ after make dataset) or its wikidata/ stage"
                .into(),
        })?;
        let wikidata = entities.parent().expect("a file has a parent").to_path_buf();
        Ok(KbPaths { wikidata, prior: pick(ANCHOR_PRIOR, "link") })
    }
}

/// Names, titles, types and the claims of the classifier's relations.
pub struct Kb {
    pub linker: linker::Linker,
    by_title: HashMap<String, Qid>,
    /// (item, type index) sorted by item.
    types: Vec<(Qid, u8)>,
    type_names: Vec<String>,
    /// (head, tail, relation index) sorted.
    claims: Vec<(Qid, Qid, u16)>,
    pub relations: Vec<Relation>,
    pub items: usize,
}

impl Kb {
    /// Loads the enwiki items (as `link` does by default) and the claims of `labels`' properties:
    /// a label maps to the property whose English label it is, or is a P-id itself.
    pub fn load(paths: &KbPaths, labels: &[String]) -> Result<Self, TrainerError> {
        let wd = &paths.wikidata;
        let mut pid_of_label: HashMap<String, String> = HashMap::new();
        schemas::rows::for_each_property(
            &wd.join(schemas::tables::PROPERTIES.file_name()),
            |pid, label| {
                if let Some(l) = label {
                    pid_of_label.entry(l.to_string()).or_insert_with(|| pid.to_string());
                }
                pid_of_label.entry(pid.to_string()).or_insert_with(|| pid.to_string());
            },
        )?;
        let relations: Vec<Relation> = labels
            .iter()
            .map(|l| Relation { label: l.clone(), pid: pid_of_label.get(l).cloned() })
            .collect();
        let rel_of_pid: HashMap<&str, u16> = relations
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.pid.as_deref()?, i as u16)))
            .collect();

        let opts = linker::LinkOptions { require_detector_span: true, ..Default::default() };
        let mut names = linker::NameIndexBuilder::new(linker::Normalization {
            case_sensitive: opts.case_sensitive,
            ..Default::default()
        });
        let (mut by_title, mut types, mut type_names) = (HashMap::new(), Vec::new(), Vec::new());
        let entities = wd.join(schemas::tables::ENTITIES.file_name());
        schemas::rows::for_each_kb_item(&entities, true, |it| {
            for n in it.names {
                names.add(it.qid, n);
            }
            if let Some(t) = it.enwiki_title {
                by_title.insert(wikitext::normalize_title(t), it.qid);
            }
            let t = match type_names.iter().position(|x: &String| x == it.coarse_type) {
                Some(t) => t,
                None => {
                    type_names.push(it.coarse_type.to_string());
                    type_names.len() - 1
                }
            };
            types.push((it.qid, t.min(u8::MAX as usize) as u8));
        })?;
        types.sort_unstable();
        let names = names.build().map_err(|e| TrainerError::Data {
            path: entities.clone(),
            msg: format!("building the name index: {e}"),
        })?;
        let mut prior = linker::PriorBuilder::new();
        if let Some(p) = &paths.prior {
            schemas::rows::for_each_prior_row(p, |s, q, n| {
                prior.add_count(s, q, u32::try_from(n).unwrap_or(u32::MAX))
            })?;
        }
        let linker = linker::Linker::new(names, prior.build(), opts)
            .map_err(|e| TrainerError::Data { path: entities.clone(), msg: e.to_string() })?;
        let mut claims = Vec::new();
        schemas::rows::for_each_claim(&wd.join(schemas::tables::CLAIMS.file_name()), |h, p, t| {
            if let Some(&r) = rel_of_pid.get(p) {
                claims.push((h, t, r));
            }
        })?;
        claims.sort_unstable();
        claims.dedup();
        let items = types.len();
        Ok(Kb { linker, by_title, types, type_names, claims, relations, items })
    }

    /// The item whose English Wikipedia article has this title.
    pub fn item_of_title(&self, title: &str) -> Option<Qid> {
        self.by_title.get(&wikitext::normalize_title(title)).copied()
    }

    /// The item's coarse type (PERSON, GPE, ... or UNK).
    pub fn type_of(&self, qid: Qid) -> Option<&str> {
        let i = self.types.binary_search_by_key(&qid, |&(q, _)| q).ok()?;
        Some(&self.type_names[self.types[i].1 as usize])
    }

    /// Whether Wikidata holds `head relation tail` (relation: an index into `relations`).
    pub fn holds(&self, head: Qid, tail: Qid, relation: usize) -> bool {
        self.claims.binary_search(&(head, tail, relation as u16)).is_ok()
    }

    /// The share of the surface's anchors that link to `qid` (the anchor prior), if the
    /// surface was ever an anchor.
    pub fn prior_share(&self, surface: &str, qid: Qid) -> Option<f64> {
        let p = self.linker.prior();
        let total = p.total(surface);
        (total > 0).then(|| f64::from(p.count(surface, qid)) / total as f64)
    }
}
