//! The search crate through its public interface, on real tantivy indexes in temporary
//! directories: one binary, a module per area.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chinese;
mod english;
mod filters;
mod harness;
mod names;
mod permissions;
mod ranking;
mod writes;
