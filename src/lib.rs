//! # overtime
//!
//! A conformance harness for the timeout behaviour of parallel executors. This crate is the
//! facade over the workspace: [`harness`] (the trait, the checker, the runner, the suite
//! macro) and [`reference`] (the reference executor), plus the registry of executors the
//! `overtime` command knows by name.

pub use overtime_harness as harness;
pub use overtime_mutants as mutants;
pub use overtime_reference as reference;

pub mod executors;
pub mod zoo;
