//! # overtime
//!
//! A conformance harness for the timeout behaviour of parallel executors. This crate is the
//! facade over the workspace: [`harness`] (the trait, the checker, the runner, the suite
//! macro), [`reference`] (the reference executor), [`process`] (executors in other processes)
//! and [`mutants`] (the zoo), plus the registry of executors the `overtime` command knows by
//! name.

pub use overtime_harness as harness;
pub use overtime_mutants as mutants;
pub use overtime_process as process;
pub use overtime_reference as reference;

pub mod executors;
pub mod generated;
pub mod zoo;
