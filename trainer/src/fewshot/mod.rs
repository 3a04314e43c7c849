//! Few-shot relation classification on FewRel (Han et al. 2018) with prototypical networks,
//! as the paper evaluates its encoders: `data.rs` reads FewRel JSON, `episode.rs` samples
//! N-way K-shot episodes from a seeded RNG, `proto.rs` turns support/query representations
//! into logits, `eval.rs` evaluates (from cached representations when the encoder is frozen)
//! and `train.rs` trains the encoder on episodes.
pub mod data;
pub mod episode;
pub mod eval;
pub mod proto;
pub mod train;
