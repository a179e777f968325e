//! # overtime-async
//!
//! Async executors judged by overtime (`overtime_harness::asynchronous`):
//!
//! - [`AsyncReference`]: the reference's sans-IO core driven from tokio tasks — every mode,
//!   clock and on-timeout behaviour, in real and in paused time.
//! - [`idioms`]: what people write to run many futures with a timeout, each exactly as written
//!   in the field, each declaring the contract it can honestly claim.
//! - [`mutants`]: async executors with one realistic defect each, all caught.

pub mod idioms;
pub mod matrix;
pub mod mutants;
pub mod reference;

pub use reference::AsyncReference;
