//! # overtime-harness
//!
//! A conformance harness for the timeout behaviour of parallel executors. Implement
//! [`Executor`] for your executor, declaring its [`Profile`] (return modes, [`TimeoutClock`],
//! [`OnTimeout`]); the harness runs it through a catalogue of cases in every mode, records a
//! [`Trace`] of each call, and judges every property of `specs/timeout-semantics.md` on it.
//!
//! ```text
//! case (tasks as data) ──run──▶ executor ──▶ trace ──judge──▶ verdict per property
//! ```
//!
//! - [`model`]: the vocabulary (modes, clocks, on-timeout behaviours, contract, profile).
//! - [`task`]: tasks as data and the instrumented bodies the executor runs.
//! - [`executor`]: the [`Executor`] trait and what a call returns.
//! - [`trace`]: the recorder and the trace.
//! - [`properties`]: the spec's properties as pure functions of a trace and ε.
//! - [`runner`]: runs a case with a watchdog and a lateness probe.
//! - [`catalogue`]: the built-in cases; [`scenario`]: the same cases as TOML files.
//! - [`strategies`]: generated workloads (proptest) that shrink a failure to a scenario file.
//! - [`conformance`]: runs a whole suite and collects verdicts; [`report`] prints them.
//! - [`suite!`]: turns the suite into `#[test]`s for your executor.
//! - `process`: an executor in another process, in any language, speaking the JSON-lines
//!   protocol of `specs/protocol.md` (Unix).

pub mod catalogue;
pub mod conformance;
pub mod executor;
pub mod model;
#[cfg(unix)]
pub mod process;
pub mod properties;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod strategies;
pub mod suite;
pub mod task;
pub mod trace;

pub use executor::{Call, CallError, Executor, Outcome, SelfConsumed, Slot, SlotResult};
pub use model::{CallShape, Contract, Mode, OnTimeout, Profile, TimeoutClock};
pub use properties::{Property, Verdict};
pub use task::{Gate, NeverStop, Output, StopSignal, Task, TaskFailure, TaskSpec};
pub use trace::{Answer, Consumer, Event, Recorder, Stamp, Stamped, TaskEnd, Trace};
