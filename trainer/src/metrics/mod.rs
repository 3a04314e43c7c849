//! Evaluation metrics of relation classification, each checked against independent truth:
//! `semeval.rs` reproduces the official SemEval-2010 Task 8 scorer (v1.2) on its own example
//! files.
pub mod semeval;
