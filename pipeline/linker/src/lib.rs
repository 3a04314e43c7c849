//! Entity linking for sentences that are already cleaned and tokenised: finds the mentions that
//! carry no wikilink and links them to Wikidata items.
//!
//! The paper ("Learning from Context or Names?", Peng et al. 2020) links "more unanchored
//! mentions" by running spaCy-style NER and matching the mentions to Wikidata names. This crate
//! does the same without model files:
//!
//! - [`detector`]: a fast rule-based mention detector with spaCy's label set;
//! - [`names`]: an `fst` index of English labels and aliases, matched on token boundaries;
//! - [`disambiguate`]: which item an ambiguous name means (page entity, page anchors, anchor prior);
//! - [`linker`]: the per-sentence entry point that combines the three.
//!
//! The crate is pure: no file I/O, no panics on any input. See `DESIGN.md` for the decisions.

pub mod detector;
pub mod disambiguate;
pub mod linker;
pub mod names;
mod normalize;

pub use detector::{detect, EntityType, Span};
pub use disambiguate::{resolve, PageContext, Prior, PriorBuilder, PriorThresholds, Resolution};
pub use linker::{LinkOptions, Linker, LinkerError, Mention, SentenceInput};
pub use names::{Boundary, NameIndex, NameIndexBuilder, NameIndexError, NameMatch, Normalization};
