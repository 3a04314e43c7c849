//! `ItemScope`: which Wikidata items a run covers, one setting for two stages: the lines the
//! `wikidata` stage parses (`--keep`) and the linking targets of `link` (`--kb`). A `link --kb
//! all` needs a `wikidata --keep all` output, so both speak of the same thing.

/// Which Wikidata items a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ItemScope {
    /// Items with an English Wikipedia article (an enwiki sitelink; ~7.1M of 113.5M in the
    /// full dump). The paper's recipe links mentions to Wikipedia entities, and an anchor can
    /// only ever resolve to such an item, so this is the default (see linker/DESIGN.md).
    #[default]
    Enwiki,
    /// Every item: ~113.5M in the full dump, ~90M of them named; many times the memory in
    /// `link` (docs/SCALE.md).
    All,
}

impl std::str::FromStr for ItemScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "enwiki" => Ok(ItemScope::Enwiki),
            "all" => Ok(ItemScope::All),
            _ => Err(format!("unknown item scope {s:?} (enwiki or all)")),
        }
    }
}

impl ItemScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemScope::Enwiki => "enwiki",
            ItemScope::All => "all",
        }
    }
}

impl TryFrom<String> for ItemScope {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<ItemScope> for String {
    fn from(s: ItemScope) -> String {
        s.as_str().to_string()
    }
}

impl std::fmt::Display for ItemScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
