//! Async executors (the `async` feature): judge a tokio or futures executor with the same
//! checker, in real time and in tokio's paused time.
//!
//! Implement [`AsyncExecutor`] — declare a [`crate::Profile`], and return for each call a
//! future of the whole list or a [`futures::Stream`] of slots — and the harness's async
//! consumer ([`consume`]) makes the call, pulls, pauses and drops exactly as the threaded
//! consumer does, recording the same trace. The task bodies ([`AsyncTask`]) are the same
//! vocabulary as futures: sleeps on tokio's timer, hangs on the case's gate, blocking bodies on
//! `spawn_blocking`, each stamping its own start and end (a body dropped while it runs stamps
//! `stopped`).
//!
//! Two clocks:
//!
//! - **Real time** — [`RealTime`] runs the executor on a multi-threaded runtime and is a
//!   [`crate::CaseExecutor`]: [`crate::run_case`], [`crate::run_suite`], [`crate::Suite`] and
//!   the watchdog work on it unchanged, judged at the usual ε.
//! - **Paused time** — [`paused::run_case`] runs a case on a current-thread runtime started
//!   paused, the trace stamped on tokio's virtual clock, judged at [`PAUSED_EPSILON`]; the
//!   module says what paused time cannot model.
//!
//! [`async_suite!`](crate::async_suite) makes both into test trials.
//!
//! ```
//! use overtime_harness::asynchronous::{paused, AsyncCall, AsyncExecutor, AsyncOutcome};
//! use overtime_harness::{catalogue, Contract, Mode, Profile, Property, Slot};
//! use std::sync::Arc;
//!
//! /// Runs every task one after another, ignoring the timeout.
//! struct Serial;
//!
//! impl AsyncExecutor for Serial {
//!     fn profile(&self) -> Profile {
//!         Profile { name: "serial".into(), modes: vec![Mode::List], contract: Contract::JOBLIB_DOCUMENTED, ..Profile::default() }
//!     }
//!
//!     fn run(&self, call: AsyncCall) -> AsyncOutcome {
//!         AsyncOutcome::list(async move {
//!             let mut slots = Vec::new();
//!             for task in call.tasks {
//!                 slots.push(Slot::Item(task.run().await?));
//!             }
//!             Ok(slots)
//!         })
//!     }
//! }
//!
//! // joblib #1586's workload in paused time: the hung tasks are never timed out.
//! let case = catalogue::catalogue().remove(0);
//! let run = paused::run_case(&Arc::new(Serial), &case, Mode::List).expect("modelled");
//! assert!(run.verdict(Property::Liveness).expect("judged").is_fail());
//! ```

mod consume;
mod executor;
pub mod paused;
mod real_time;
mod suite;
mod task;

pub use consume::consume;
pub use executor::{AsyncCall, AsyncExecutor, AsyncOutcome, ListFuture, SlotStream};
pub use paused::PAUSED_EPSILON;
pub use real_time::{RealTime, REAL_TIME_WORKERS};
pub use suite::{run_paused, AsyncSuite};
pub use task::{AsyncStop, AsyncTask};
