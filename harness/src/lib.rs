//! # overtime-harness
//!
//! A conformance harness for the timeout behaviour of parallel executors. Implement
//! [`Executor`] for your executor — declare its [`Profile`] (return modes, [`TimeoutClock`],
//! [`OnTimeout`]) and run a [`Call`] — and the harness runs it through a catalogue of cases in
//! every mode, records a [`Trace`] of each call, and judges every [`Property`] of
//! `specs/timeout-semantics.md` on it.
//!
//! ```text
//! case (tasks as data) ──run──▶ executor ──▶ trace ──judge──▶ verdict per property
//! ```
//!
//! ```
//! use overtime_harness::{Call, CallError, Contract, Executor, Mode, NeverStop, OnTimeout};
//! use overtime_harness::{Outcome, Profile, Slot, TimeoutClock};
//!
//! /// Runs every task on the calling thread, one after another, ignoring the timeout.
//! struct Serial;
//!
//! impl Executor for Serial {
//!     fn profile(&self) -> Profile {
//!         Profile {
//!             name: "serial".into(),
//!             modes: vec![Mode::List],
//!             contract: Contract::JOBLIB_DOCUMENTED,
//!             ..Profile::default()
//!         }
//!     }
//!
//!     fn run(&self, call: Call) -> Outcome {
//!         let slots: Result<Vec<Slot>, CallError> = call
//!             .tasks
//!             .into_iter()
//!             .map(|task| Ok(Slot::Item(task.run(&NeverStop)?)))
//!             .collect();
//!         Outcome::List(slots)
//!     }
//! }
//!
//! // One case of the catalogue in List mode, in real time: a hung task it never times out.
//! use overtime_harness::{catalogue, run_case, CaseExecutor, Property, RunConfig};
//! use std::sync::Arc;
//! let executor: Arc<dyn CaseExecutor> = Arc::new(Serial);
//! let mut case = catalogue::catalogue().remove(0); // joblib-1586: three tasks that hang
//! case.follow_up = false;
//! let run = run_case(&executor, &case, Mode::List, &RunConfig::default());
//! let liveness = run.verdict(Property::Liveness).expect("judged");
//! assert!(liveness.is_fail(), "{}", liveness.evidence);
//! ```
//!
//! What is where:
//!
//! - the vocabulary: [`Mode`], [`TimeoutClock`], [`OnTimeout`], [`ErrorOrder`],
//!   [`DeadlineAnchor`], [`Contract`], [`Profile`];
//!   a call as data ([`TaskSpec`], [`CallParams`], [`Consumer`]) and as the executor gets it
//!   ([`Call`], [`Task`], [`StopSignal`]); what it answers ([`Outcome`], [`Slot`],
//!   [`CallError`]); durations in milliseconds ([`Millis`]).
//! - a case ([`Case`]): a named workload, its watchdog bound, settle time and follow-up call;
//!   the built-in ones ([`catalogue`]) are scenario files ([`scenario`]).
//! - the trace ([`Trace`], [`Recorder`]) and the checker ([`judge`], [`Property`],
//!   [`Verdict`]): pure functions of a trace and ε.
//! - running: [`run_case`] in real time with a watchdog, giving a [`CaseRun`];
//!   [`run_suite`] over a catalogue, folded into a [`SuiteResult`] ([`report`] prints it).
//!   [`CaseExecutor`] is the executor as the runner drives it; every [`Executor`] is one.
//! - generated workloads ([`strategies`]) and the campaign that shrinks a failure to a
//!   scenario file ([`campaign`]).
//! - [`suite!`] / [`Suite`]: the whole suite as test trials for your executor.
//! - with the `async` feature, `asynchronous`: tokio and futures executors, judged in real
//!   time and in tokio's paused time.

mod call;
mod case;
mod case_executor;
mod conformance;
mod executor;
mod millis;
mod model;
mod properties;
mod run;
mod runner;
mod task;
mod trace;

#[cfg(feature = "async")]
pub mod asynchronous;
pub mod campaign;
pub mod catalogue;
pub mod report;
pub mod scenario;
pub mod strategies;
mod suite;

#[cfg(feature = "async")]
#[doc(hidden)]
pub use asynchronous::AsyncSuite as __AsyncSuite;
pub use call::{CallParams, Consumer, TaskSpec};
pub use case::Case;
pub use case_executor::{consume, CaseExecutor};
pub use conformance::{
    fold, fold_cases, run_suite, CaseCounts, CaseResult, CaseVerdict, PropertyResult, SuiteOptions,
    SuiteResult,
};
pub use executor::{Call, CallError, Executor, Outcome, Slot, SlotResult};
pub use millis::{BadMillis, Millis};
pub use model::{Contract, DeadlineAnchor, ErrorOrder, Mode, OnTimeout, Profile, TimeoutClock};
pub use properties::{
    anchor_gaps, excess, guard_band, hairs, judge, judge_property, marks, near_tie, within_noise,
    Anchor, AnchorGap, DueMark, Hair, Judgement, Level, Marks, Noise, Property, Verdict,
    VerdictKind,
};
pub use run::{CaseRun, RunConfig, DEFAULT_EPSILON, DEFAULT_GRACE};
pub use runner::{run_case, run_case_unless, Abandoned, ABANDON_POLL};
pub use suite::{Suite, GENERATED_CALLS, GENERATED_SHRINK_TIME};
pub use task::{
    instrument, Gate, NeverStop, Opened, Output, StopSignal, Task, TaskFailure, STOP_POLL,
    WORKER_DEATH,
};
pub use trace::{Answer, Event, Ms, Recorder, Stamp, Stamped, TaskEnd, Trace};

/// Serde helpers for durations written as milliseconds (used by crates that speak the same
/// formats, such as the process protocol).
pub mod serde_millis {
    pub use crate::millis::{duration, opt_duration, rounded};
}
