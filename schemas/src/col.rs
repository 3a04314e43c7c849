//! The column names of the contract tables, one constant each. Stages and the trainer name a
//! column only through these (or through the typed visitors of [`rows`](crate::rows)), so a
//! renamed column is a compile error, not a reader that finds nothing. The same name means the
//! same thing in every table that has it (`page_id` is always a MediaWiki page id).

pub const ALIASES: &str = "aliases";
pub const ANCHORS: &str = "anchors";
pub const CHAR_END: &str = "char_end";
pub const CHAR_START: &str = "char_start";
pub const COARSE_TYPE: &str = "coarse_type";
pub const CONTEXT: &str = "context";
pub const COUNT: &str = "count";
pub const DESCRIPTION: &str = "description";
pub const DUMP: &str = "dump";
pub const ENTITY_TYPE: &str = "entity_type";
pub const ENWIKI_TITLE: &str = "enwiki_title";
pub const HEAD: &str = "head";
pub const INSTANCE_OF: &str = "instance_of";
pub const KIND: &str = "kind";
pub const LABEL: &str = "label";
pub const MENTIONS: &str = "mentions";
pub const NAME: &str = "name";
pub const NAMESPACE: &str = "namespace";
pub const NEGATIVES: &str = "negatives";
pub const NUM_PAIRS: &str = "num_pairs";
pub const NUM_SENTENCES: &str = "num_sentences";
pub const PAGE_ID: &str = "page_id";
pub const PAIR_ID: &str = "pair_id";
pub const PID: &str = "pid";
pub const PROPERTY: &str = "property";
pub const QID: &str = "qid";
pub const RANK: &str = "rank";
pub const RELATION: &str = "relation";
pub const REVISION_ID: &str = "revision_id";
pub const ROW_END: &str = "row_end";
pub const ROW_ID: &str = "row_id";
pub const ROW_START: &str = "row_start";
pub const SENTENCE_INDEX: &str = "sentence_index";
pub const SOURCE: &str = "source";
pub const SUBCLASS_OF: &str = "subclass_of";
pub const SURFACE: &str = "surface";
pub const TAIL: &str = "tail";
pub const TARGET: &str = "target";
pub const TEXT: &str = "text";
pub const TIMESTAMP: &str = "timestamp";
pub const TITLE: &str = "title";
pub const TOKEN_END: &str = "token_end";
pub const TOKEN_ENDS: &str = "token_ends";
pub const TOKEN_START: &str = "token_start";
pub const TOKEN_STARTS: &str = "token_starts";
pub const TOKENS: &str = "tokens";
pub const TYPE: &str = "type";
