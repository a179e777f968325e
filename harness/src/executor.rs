//! The trait an executor implements to be judged, and what a call hands it and gets back.
//!
//! Two methods: [`Executor::profile`] says what the executor promises, [`Executor::run`] runs
//! one call. Everything else — making the call, pulling the stream, recording the trace, the
//! watchdog — is the harness's.

use crate::call::CallParams;
use crate::model::{Mode, Profile};
use crate::task::{Output, Task, TaskFailure};
use std::fmt;
use std::time::Duration;

/// One parallel map: the tasks, the worker count, the timeout and the return mode.
pub struct Call {
    pub tasks: Vec<Task>,
    pub n_jobs: usize,
    pub timeout: Option<Duration>,
    pub mode: Mode,
}

impl Call {
    /// The call of `params` over `tasks` (one per task of `params`).
    pub fn new(params: CallParams, tasks: Vec<Task>) -> Call {
        debug_assert_eq!(params.n_tasks, tasks.len(), "one task per task of the call");
        Call {
            tasks,
            n_jobs: params.n_jobs,
            timeout: params.timeout,
            mode: params.mode,
        }
    }

    /// The call's parameters, without its task bodies.
    pub fn params(&self) -> CallParams {
        CallParams {
            n_tasks: self.tasks.len(),
            n_jobs: self.n_jobs,
            timeout: self.timeout,
            mode: self.mode,
        }
    }
}

/// One slot of the output: a task's result, or (under `OnTimeout::PerTask`) its timed-out
/// marker. The trace's [`crate::Answer`] and the reference core use the same two names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Item(Output),
    TimedOut { task: usize },
}

impl Slot {
    pub fn task(&self) -> usize {
        match *self {
            Slot::Item(o) => o.task,
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
    ExecutorError(String),
}

/// A task's failure is the call's: `task.run(stop)?` in a function returning
/// `Result<_, CallError>`.
impl From<TaskFailure> for CallError {
    fn from(f: TaskFailure) -> CallError {
        CallError::TaskFailed {
            task: f.task,
            message: f.message,
        }
    }
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
}
