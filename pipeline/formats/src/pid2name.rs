//! FewRel's `pid2name.json`: `{"P-id": [english label, description], ...}`, the paper's relation
//! inventory. Read by `pipeline wikidata --relations` (the relation set and the fallback labels
//! of the `properties` table) and by `pipeline import` (OpenNRE relation names to P-ids).
use std::collections::BTreeMap;

/// One property's English label and description (empty when the file gives none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub label: String,
    pub description: String,
}

/// Every property of the file, by id in sorted order. The error is serde's message (with its
/// line and column).
pub fn parse(text: &str) -> Result<BTreeMap<String, Names>, String> {
    let map: BTreeMap<String, Vec<String>> =
        serde_json::from_str(text).map_err(|e| format!("pid2name JSON: {e}"))?;
    Ok(map
        .into_iter()
        .map(|(pid, v)| {
            let mut v = v.into_iter();
            let label = v.next().unwrap_or_default();
            (pid, Names { label, description: v.next().unwrap_or_default() })
        })
        .collect())
}

/// Label -> P-id for the properties whose label is not empty (the first id when two share a
/// label): how OpenNRE files, which name relations by label, map back to Wikidata.
pub fn by_label(names: &BTreeMap<String, Names>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (pid, n) in names.iter().filter(|(_, n)| !n.label.is_empty()) {
        out.entry(n.label.clone()).or_insert_with(|| pid.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_descriptions_and_the_reverse_map() {
        let m =
            parse(r#"{"P17": ["country", "sovereign state"], "P31": ["instance of"], "P9": []}"#)
                .unwrap();
        assert_eq!(
            m["P17"],
            Names { label: "country".into(), description: "sovereign state".into() }
        );
        assert_eq!(m["P31"].description, "");
        let r = by_label(&m);
        assert_eq!(r.get("country").map(String::as_str), Some("P17"));
        assert_eq!(r.len(), 2, "an empty label maps nothing");
        assert!(parse("[1]").unwrap_err().starts_with("pid2name JSON: "));
    }
}
