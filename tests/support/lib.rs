//! Test support for the end-to-end tests lives in `harness.rs` (included by path from each test crate, so one copy serves every crate).
