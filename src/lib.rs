//! # overtime
//!
//! A conformance harness for the timeout behaviour of parallel executors. This crate is the
//! facade over the workspace: [`harness`] (the trait, the checker, the runner, the suite
//! macro), [`reference`] (the reference executor), [`process`] (executors in other processes)
//! and [`mutants`] (the zoo), plus the `overtime` command: the registry of executors it knows
//! by name ([`executors`]), its subcommands ([`cli`]), what it writes ([`outputs`]: results
//! JSON, JUnit, annotations, HTML, baselines), how it splits a run ([`shard`]) and puts it
//! back together ([`merge`]), and its progress display ([`progress`]).

pub use overtime_harness as harness;
pub use overtime_mutants as mutants;
pub use overtime_process as process;
pub use overtime_reference as reference;

pub mod cli;
pub mod executors;
pub mod generated;
pub mod merge;
pub mod outputs;
pub mod progress;
pub mod shard;
pub mod stress;
pub mod zoo;
