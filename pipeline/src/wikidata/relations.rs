//! The relation set: which properties' claims are kept.
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::entity::PropertyFilter;
use crate::error::StageError;

/// FewRel's pid2name.json: the 744 properties of the paper's relation inventory.
const BUNDLED: &str = include_str!("../../data/pid2name.json");

/// `--relations`: the bundled set, every property, or a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RelationsArg {
    Bundled,
    All,
    File(PathBuf),
}

impl std::str::FromStr for RelationsArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "all" => RelationsArg::All,
            "bundled" | "fewrel" => RelationsArg::Bundled,
            path => RelationsArg::File(path.into()),
        })
    }
}

impl From<String> for RelationsArg {
    fn from(s: String) -> Self {
        match s.parse() {
            Ok(r) => r,
        }
    }
}

impl From<RelationsArg> for String {
    fn from(r: RelationsArg) -> String {
        r.to_string()
    }
}

impl std::fmt::Display for RelationsArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelationsArg::Bundled => f.write_str("bundled"),
            RelationsArg::All => f.write_str("all"),
            RelationsArg::File(p) => write!(f, "{}", p.display()),
        }
    }
}

pub struct RelationSet {
    /// None: every property.
    pids: Option<HashSet<String>>,
    /// English (label, description) of the bundled list, the fallback for the properties table.
    pub names: BTreeMap<String, (String, String)>,
}

impl PropertyFilter for RelationSet {
    fn keep(&self, pid: &str) -> bool {
        self.pids.as_ref().is_none_or(|s| s.contains(pid))
    }
}

fn parse_pid2name(
    text: &str,
    path: &Path,
) -> Result<BTreeMap<String, (String, String)>, StageError> {
    let names = formats::pid2name::parse(text)
        .map_err(|msg| StageError::Invalid { path: path.to_path_buf(), msg })?;
    Ok(names.into_iter().map(|(pid, n)| (pid, (n.label, n.description))).collect())
}

/// The bundled pid2name.json.
pub fn bundled() -> BTreeMap<String, formats::pid2name::Names> {
    formats::pid2name::parse(BUNDLED).expect("the bundled pid2name.json is valid")
}

impl RelationSet {
    pub fn load(arg: &RelationsArg) -> Result<Self, StageError> {
        let bundled = parse_pid2name(BUNDLED, Path::new("data/pid2name.json"))?;
        Ok(match arg {
            RelationsArg::Bundled => {
                RelationSet { pids: Some(bundled.keys().cloned().collect()), names: bundled }
            }
            RelationsArg::All => RelationSet { pids: None, names: bundled },
            RelationsArg::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
                // A pid2name-style JSON object, or one property id per line.
                let pids: HashSet<String> = if text.trim_start().starts_with('{') {
                    parse_pid2name(&text, path)?.into_keys().collect()
                } else {
                    let mut set = HashSet::new();
                    for (i, line) in text.lines().enumerate() {
                        let pid = line.split('#').next().unwrap_or("").trim();
                        if pid.is_empty() {
                            continue;
                        }
                        if !pid.starts_with('P') || pid[1..].parse::<u64>().is_err() {
                            return Err(StageError::Invalid {
                                path: path.clone(),
                                msg: format!("line {}: {pid:?} is not a property id", i + 1),
                            });
                        }
                        set.insert(pid.to_string());
                    }
                    set
                };
                RelationSet { pids: Some(pids), names: bundled }
            }
        })
    }

    /// Properties of the set, when it is finite, in numeric order.
    pub fn pids(&self) -> Option<Vec<String>> {
        let mut v: Vec<String> = self.pids.as_ref()?.iter().cloned().collect();
        v.sort_by_key(|p| p[1..].parse::<u64>().unwrap_or(u64::MAX));
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_set_has_744_properties() {
        let set = RelationSet::load(&RelationsArg::Bundled).unwrap();
        assert_eq!(set.pids().unwrap().len(), 744);
        assert!(set.keep("P131") && !set.keep("P856"));
        assert!(RelationSet::load(&RelationsArg::All).unwrap().keep("P856"));
    }

    #[test]
    fn a_bad_line_in_a_relation_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rels.txt");
        std::fs::write(&p, "P17\n# comment\nQ5\n").unwrap();
        let err = RelationSet::load(&RelationsArg::File(p)).err().unwrap().to_string();
        assert!(err.contains("rels.txt") && err.contains("line 3"), "{err}");
    }
}
