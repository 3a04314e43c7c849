//! External dataset formats that more than one part of wikirel reads. Each format has one
//! reader here, so that the pre-training corpus (`pipeline import`), the leakage filter
//! (`pipeline dataset --exclude`) and the evaluation (`trainer fewshot`, `finetune`,
//! `predict`) see the same record the same way.
//!
//! - [`fewrel`]: FewRel JSON, with the one span rule for non-contiguous mentions;
//! - [`supervised`]: OpenNRE/Wiki80/CP JSON lines, SemEval-2010 Task 8, SciBERT ChemProt,
//!   TACRED JSON;
//! - [`pid2name`]: FewRel's relation inventory.
pub mod fewrel;
pub mod pid2name;
pub mod supervised;
