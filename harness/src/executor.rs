//! The one trait an executor implements to be judged, and what a call hands back.

use crate::catalogue::Case;
use crate::model::{Mode, Profile};
use crate::task::{Output, Task};
use crate::trace::{Consumer, Recorder};
use std::fmt;
use std::time::Duration;

/// One parallel map: the tasks, the worker count, the timeout and the return mode.
pub struct Call {
    pub tasks: Vec<Task>,
    pub n_jobs: usize,
    pub timeout: Option<Duration>,
    pub mode: Mode,
}

/// One slot of the output: a task's result, or (under `OnTimeout::PerTask`) its timed-out marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Value(Output),
    TimedOut { task: usize },
}

impl Slot {
    pub fn task(&self) -> usize {
        match *self {
            Slot::Value(o) => o.task,
            Slot::TimedOut { task } => task,
        }
    }
}

/// Why a call (or an iteration) ended in error. The three kinds are distinct on purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The timeout fired (under `OnTimeout::Abort`). `task` names the task it fired for, when
    /// the executor knows.
    #[error("timed out{}", task.map(|t| format!(" (task {t})")).unwrap_or_default())]
    Timeout { task: Option<usize> },
    /// A task failed; the error names it.
    #[error("task {task} failed: {message}")]
    TaskFailed { task: usize, message: String },
    /// The executor itself failed (a crash, a protocol error, a broken pool).
    #[error("executor failure: {0}")]
    Executor(String),
}

/// What one pull of a lazy stream yields.
pub type SlotResult = Result<Slot, CallError>;

/// What running a call returns: everything at once, or a lazy stream.
pub enum Outcome {
    /// `Mode::List`: all slots in input order, or the error.
    List(Result<Vec<Slot>, CallError>),
    /// `Mode::Ordered` / `Mode::Unordered`: pulled by the consumer, dropped whenever it likes.
    Stream(Box<dyn Iterator<Item = SlotResult>>),
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::List(r) => f.debug_tuple("List").field(r).finish(),
            Outcome::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// An executor under test.
///
/// `run` is called on a harness thread that also consumes the stream and drops it; it should
/// return promptly for the lazy modes (the work happens as the stream is pulled or in the
/// background). Every task must be run at most once, with [`Task::run`].
pub trait Executor: Send + Sync {
    /// What the executor promises; the harness judges it against exactly this.
    fn profile(&self) -> Profile;

    /// Runs one call. `call.mode` is one of `profile().modes`.
    fn run(&self, call: Call) -> Outcome;

    /// Runs one call *and consumes it* as `behaviour` says, recording the whole trace of the
    /// call (call made and returned, pulls and answers, drop, task starts and ends) into
    /// `recorder` itself.
    ///
    /// For executors whose consumer cannot be the harness's: an external executor's iterator
    /// lives in its adapter process, so the adapter's consumer is the real one and its events
    /// are the trace. The default declines and hands the call back: the harness's consumer
    /// pulls what [`Executor::run`] returns and records it.
    fn consume_itself(
        &self,
        call: Call,
        behaviour: &Consumer,
        recorder: &Recorder,
    ) -> SelfConsumed {
        let _ = (behaviour, recorder);
        SelfConsumed::Declined(call)
    }

    /// Called by the runner before each attempt at a case, before its clock and its watchdog
    /// start: an executor may get ready here (an adapter process starts and warms up its
    /// workers) without that time counting against the case. The default does nothing.
    fn begin_case(&self, case: &Case) {
        let _ = case;
    }

    /// Called by the runner after each attempt at a case, once its hung tasks are released:
    /// an executor may tear down what [`Executor::begin_case`] made. The default does nothing.
    fn end_case(&self) {}
}

/// What [`Executor::consume_itself`] did with a call.
pub enum SelfConsumed {
    /// The executor ran and consumed the call and recorded its trace.
    Recorded,
    /// The executor leaves consuming to the harness; here is the call back.
    Declined(Call),
}
