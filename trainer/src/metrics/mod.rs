//! Evaluation metrics of relation classification, each checked against independent truth:
//! `semeval.rs` reproduces the official SemEval-2010 Task 8 scorer (v1.2) on its own example
//! files; `tacred.rs` is the TACRED micro-F1 rule and plain accuracy.
pub mod semeval;
pub mod tacred;
