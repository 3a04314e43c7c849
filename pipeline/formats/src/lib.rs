//! External dataset formats that more than one part of wikirel reads. Each format has one
//! reader here, so that the pre-training corpus (`pipeline import`), the leakage filter
//! (`pipeline dataset --exclude`) and the evaluation (`trainer fewshot`) see the same record
//! the same way.
pub mod fewrel;
