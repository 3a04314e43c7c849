//! One settings type per stage: what changes a stage's output, defined once. The same struct is
//! parsed from the command line (clap `Args`, flattened into the subcommand) and deserialised
//! from the stage's section of `pipeline run`'s TOML (serde, unknown keys refused), and
//! [`apply`](LinkSettings::apply) puts it into the stage's `Options` in one place; `run` also
//! fingerprints it whole (serde `Serialize`), so a new setting can't be left out of the
//! up-to-date check. (ripgrep's low-level flags -> validated high-level args, with TOML as a
//! second front end.)
//!
//! Every default lives in the type's `Default` impl: clap shows and uses it
//! (`default_value_t = Self::default()...`), serde fills missing keys from it, and each
//! stage's `Options::new` starts from it.
//!
//! Inputs, outputs, shards and thread counts are not settings: they say where and how fast a
//! stage runs, not what it writes.
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::scope::ItemScope;
use crate::wikidata::relations::RelationsArg;
use crate::wikipedia::Contexts;
use crate::{dataset, link, wikidata, wikipedia};

/// `pipeline wikidata` / `[wikidata]`.
#[derive(Debug, Clone, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WikidataSettings {
    /// Relation set: `bundled` (FewRel's 744 properties), `all`, or a file (pid2name JSON or
    /// one property id per line).
    #[arg(long, default_value_t = Self::default().relations)]
    pub relations: RelationsArg,
    /// Which lines are parsed: `enwiki` (items with an English Wikipedia article, properties
    /// and P279 carriers; the rest, ~94% of the full dump, is skipped after a byte search) or
    /// `all` (needed for `link --kb all`). Default: `enwiki`; in `pipeline run`, `all` when
    /// `[link] kb = "all"`.
    #[arg(long)]
    pub keep: Option<ItemScope>,
    /// Stop with an error after this many malformed lines.
    #[arg(long, default_value_t = Self::default().max_errors)]
    pub max_errors: u64,
}

impl Default for WikidataSettings {
    fn default() -> Self {
        WikidataSettings { relations: RelationsArg::Bundled, keep: None, max_errors: 1000 }
    }
}

impl WikidataSettings {
    /// The item scope: `keep` if given, else the one `link` will use.
    pub fn keep_for(&self, link_kb: ItemScope) -> ItemScope {
        self.keep.unwrap_or(link_kb)
    }

    pub fn apply(&self, o: &mut wikidata::Options, link_kb: ItemScope) {
        o.relations = self.relations.clone();
        o.keep = self.keep_for(link_kb);
        o.max_errors = self.max_errors;
    }
}

/// `pipeline wikipedia` / `[wikipedia]`.
#[derive(Debug, Clone, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WikipediaSettings {
    /// Sentence contexts: `paragraphs` (body text only) or `paragraphs+lists`.
    #[arg(long, value_enum, default_value_t = Self::default().contexts)]
    pub contexts: Contexts,
    /// Stop with an error after this many malformed pages.
    #[arg(long, default_value_t = Self::default().max_errors)]
    pub max_errors: u64,
    /// Pages whose cleaning takes longer than this many seconds are recorded and skipped.
    #[arg(long, default_value_t = Self::default().page_time_limit)]
    pub page_time_limit: u64,
}

impl Default for WikipediaSettings {
    fn default() -> Self {
        WikipediaSettings { contexts: Contexts::default(), max_errors: 1000, page_time_limit: 10 }
    }
}

impl WikipediaSettings {
    pub fn apply(&self, o: &mut wikipedia::Options) {
        o.keep_lists = self.contexts.keep_lists();
        o.max_errors = self.max_errors;
        o.page_time_limit = std::time::Duration::from_secs(self.page_time_limit);
    }
}

/// `pipeline link` / `[link]`.
#[derive(Debug, Clone, PartialEq, Default, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkSettings {
    /// Match names ignoring case (default: case-sensitive, exact).
    #[arg(long)]
    pub ignore_case: bool,
    /// Link name matches anywhere, not only inside detected (NER-style) entity spans or
    /// capitalised names: more recall on lower-case names, less precision.
    #[arg(long)]
    pub names_anywhere: bool,
    /// Linking targets: `enwiki` (items with an English Wikipedia article, ~7.1M in the full
    /// dump; the paper's recipe) or `all` (every item; ~10x the memory).
    #[arg(long, default_value_t = Self::default().kb)]
    pub kb: ItemScope,
    /// Refuse, before building, a knowledge base estimated above this size (e.g. 12G;
    /// default: 75% of RAM).
    #[arg(long)]
    pub memory_budget: Option<ByteSize>,
}

impl LinkSettings {
    pub fn apply(&self, o: &mut link::Options) {
        o.link.case_sensitive = !self.ignore_case;
        o.link.require_detector_span = !self.names_anywhere;
        o.kb = self.kb;
        o.memory_budget = self.memory_budget.map_or_else(link::default_memory_budget, |b| b.0);
    }

    /// The flags that give these settings on a `link` command line (for printed task lists).
    pub fn to_flags(&self) -> String {
        let mut flags = String::new();
        if self.ignore_case {
            flags += " --ignore-case";
        }
        if self.names_anywhere {
            flags += " --names-anywhere";
        }
        if self.kb != ItemScope::default() {
            flags += &format!(" --kb {}", self.kb);
        }
        if let Some(b) = self.memory_budget {
            flags += &format!(" --memory-budget {b}");
        }
        flags
    }
}

/// `pipeline dataset` / `[dataset]`.
#[derive(Debug, Clone, PartialEq, clap::Args, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatasetSettings {
    /// Evaluation files whose entity pairs and token sequences must not occur (FewRel JSON,
    /// Wiki80/OpenNRE JSON lines, TACRED JSON, SemEval-2010 Task 8, SciBERT ChemProt).
    #[arg(long, num_args = 1..)]
    pub exclude: Vec<PathBuf>,
    /// A file of property ids to drop.
    #[arg(long)]
    pub exclude_relations: Option<PathBuf>,
    /// Keep relations with at least this many sentences.
    #[arg(long, default_value_t = Self::default().min_bag)]
    pub min_bag: usize,
    /// At most this many sentences per (relation, head, tail) bag.
    #[arg(long, default_value_t = Self::default().max_per_pair)]
    pub max_per_pair: usize,
}

impl Default for DatasetSettings {
    fn default() -> Self {
        DatasetSettings {
            exclude: Vec::new(),
            exclude_relations: None,
            min_bag: dataset::DEFAULT_MIN_BAG,
            max_per_pair: dataset::DEFAULT_MAX_PER_PAIR,
        }
    }
}

impl DatasetSettings {
    pub fn apply(&self, o: &mut dataset::Options) {
        o.exclude = self.exclude.clone();
        o.exclude_relations = self.exclude_relations.clone();
        o.min_bag = self.min_bag;
        o.max_per_pair = self.max_per_pair;
    }
}

/// A byte count written with an optional K/M/G/T suffix (`12G`), as flags and TOML give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ByteSize(pub u64);

impl std::str::FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        link::parse_size(s).map(ByteSize)
    }
}

impl TryFrom<String> for ByteSize {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<ByteSize> for String {
    fn from(b: ByteSize) -> String {
        b.to_string()
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The settings of one stage, alone on a command line.
    #[derive(Parser)]
    struct Cli<T: clap::Args> {
        #[command(flatten)]
        settings: T,
    }

    fn flags<T: clap::Args>(args: &[&str]) -> T {
        Cli::<T>::try_parse_from([&["x"], args].concat()).unwrap().settings
    }

    fn toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// No flags and an empty section give the same settings: the type's defaults.
    #[test]
    fn flags_and_toml_share_their_defaults() {
        assert_eq!(flags::<WikidataSettings>(&[]), toml::<WikidataSettings>("").unwrap());
        assert_eq!(flags::<WikidataSettings>(&[]), WikidataSettings::default());
        assert_eq!(flags::<WikipediaSettings>(&[]), toml::<WikipediaSettings>("").unwrap());
        assert_eq!(flags::<WikipediaSettings>(&[]), WikipediaSettings::default());
        assert_eq!(flags::<LinkSettings>(&[]), toml::<LinkSettings>("").unwrap());
        assert_eq!(flags::<DatasetSettings>(&[]), toml::<DatasetSettings>("").unwrap());
        assert_eq!(flags::<DatasetSettings>(&[]).min_bag, dataset::DEFAULT_MIN_BAG);
    }

    /// The same values through either front end give the same settings (table-driven).
    #[test]
    fn flags_and_toml_give_the_same_settings() {
        let link: [(&[&str], &str); 3] = [
            (&["--ignore-case"], "ignore_case = true"),
            (&["--kb", "all", "--names-anywhere"], "kb = \"all\"\nnames_anywhere = true"),
            (&["--memory-budget", "12G"], "memory_budget = \"12G\""),
        ];
        for (args, text) in link {
            assert_eq!(flags::<LinkSettings>(args), toml::<LinkSettings>(text).unwrap(), "{text}");
        }
        assert_eq!(
            flags::<LinkSettings>(&["--memory-budget", "2K"]).memory_budget,
            Some(ByteSize(2048))
        );
        let wp: [(&[&str], &str); 2] = [
            (&["--contexts", "paragraphs"], "contexts = \"paragraphs\""),
            (
                &["--max-errors", "5", "--page-time-limit", "3"],
                "max_errors = 5\npage_time_limit = 3",
            ),
        ];
        for (args, text) in wp {
            assert_eq!(flags::<WikipediaSettings>(args), toml::<WikipediaSettings>(text).unwrap());
        }
        let wd: [(&[&str], &str); 2] = [
            (&["--relations", "all", "--keep", "all"], "relations = \"all\"\nkeep = \"all\""),
            (&["--relations", "my.txt"], "relations = \"my.txt\""),
        ];
        for (args, text) in wd {
            assert_eq!(flags::<WikidataSettings>(args), toml::<WikidataSettings>(text).unwrap());
        }
        let ds: [(&[&str], &str); 1] = [(
            &["--exclude", "a.json", "b.txt", "--min-bag", "3", "--max-per-pair", "1"],
            "exclude = [\"a.json\", \"b.txt\"]\nmin_bag = 3\nmax_per_pair = 1",
        )];
        for (args, text) in ds {
            assert_eq!(flags::<DatasetSettings>(args), toml::<DatasetSettings>(text).unwrap());
        }
    }

    /// Bad values and unknown keys are refused by both front ends, naming the value or key.
    #[test]
    fn bad_values_are_refused_at_parse_time() {
        let cli = |args: &[&str]| Cli::<LinkSettings>::try_parse_from([&["x"], args].concat());
        assert!(cli(&["--kb", "everything"]).is_err());
        assert!(cli(&["--memory-budget", "lots"]).is_err());
        let e = toml::<LinkSettings>("kb = \"everything\"").unwrap_err();
        assert!(e.contains("everything"), "{e}");
        let e = toml::<LinkSettings>("names_anywere = true").unwrap_err();
        assert!(e.contains("names_anywere"), "{e}");
        let e = toml::<WikipediaSettings>("contexts = \"lists\"").unwrap_err();
        assert!(e.contains("lists"), "{e}");
    }
}
