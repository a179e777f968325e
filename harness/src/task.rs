//! The instrumented bodies the harness makes of tasks ([`TaskSpec`]s).
//!
//! The harness owns every task body: a body timestamps its own start and end on the trace's
//! clock, so the harness measures what the executor did instead of trusting it. A task that
//! hangs blocks on the case's [`Gate`], which the harness opens at teardown, so no case leaks a
//! thread forever.

use crate::call::TaskSpec;
use crate::trace::{Event, Recorder, Stamp, TaskEnd};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// What a task returns: the identity of the task that produced it, so the harness can tell
/// which result an executor delivered in any mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Output {
    pub task: usize,
}

/// A task's own failure (the `fail` and `raise_timeout` task kinds, or a stop request
/// honoured).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {task} failed: {message}")]
pub struct TaskFailure {
    pub task: usize,
    pub message: String,
    /// The task raised the language's own timeout error (`raise_timeout`): it is still the
    /// task's failure, never the executor's timeout.
    pub timeout: bool,
}

impl TaskFailure {
    /// The message of a cooperative task that honoured its stop request: a cancellation the
    /// executor asked for, not an error of the task's.
    pub const STOPPED: &'static str = "stopped on request";

    /// Task `task`'s failure, not a timeout error of its own.
    pub fn new(task: usize, message: impl Into<String>) -> TaskFailure {
        TaskFailure {
            task,
            message: message.into(),
            timeout: false,
        }
    }
}

/// How an executor asks a running task to stop. Cooperative tasks poll it.
pub trait StopSignal: Sync {
    fn is_requested(&self) -> bool;
}

impl StopSignal for AtomicBool {
    fn is_requested(&self) -> bool {
        self.load(Ordering::Acquire)
    }
}

/// A [`StopSignal`] for executors that never ask tasks to stop.
pub struct NeverStop;

impl StopSignal for NeverStop {
    fn is_requested(&self) -> bool {
        false
    }
}

/// The panic payload a `kill_worker` task unwinds its worker with.
pub const WORKER_DEATH: &str = "the task killed its worker (a worker death the harness injects)";

/// How often a cooperative task looks at its stop signal. It bounds how late a task can see a
/// stop request; it is the task's cost, not the executor's.
pub const STOP_POLL: Duration = Duration::from_micros(200);

/// The release of every hung task of a case: closed while the case runs, opened at teardown.
/// Threads block on it ([`Task::run`]); futures await it ([`Gate::opened`]).
#[derive(Clone, Default)]
pub struct Gate {
    inner: Arc<GateInner>,
}

#[derive(Default)]
struct GateInner {
    state: Mutex<GateState>,
    opened: Condvar,
}

#[derive(Default)]
struct GateState {
    open: bool,
    /// The futures waiting for it ([`Gate::opened`]), woken when it opens.
    wakers: Vec<Waker>,
}

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    fn state(&self) -> MutexGuard<'_, GateState> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the gate: every task blocked on it returns. Idempotent.
    pub fn open(&self) {
        let wakers = {
            let mut state = self.state();
            state.open = true;
            std::mem::take(&mut state.wakers)
        };
        self.inner.opened.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    pub fn is_open(&self) -> bool {
        self.state().open
    }

    /// A future that completes when the gate opens: how an async body hangs. It needs no
    /// runtime of its own (any executor's waker is woken by [`Gate::open`]).
    pub fn opened(&self) -> Opened {
        Opened { gate: self.clone() }
    }

    /// Blocks until the gate opens or `deadline` passes; returns whether it is open.
    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let mut guard = self.state();
        while !guard.open {
            match deadline {
                None => {
                    guard = self
                        .inner
                        .opened
                        .wait(guard)
                        .unwrap_or_else(|e| e.into_inner())
                }
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    guard = self
                        .inner
                        .opened
                        .wait_timeout(guard, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        true
    }
}

/// The future of [`Gate::opened`].
pub struct Opened {
    gate: Gate,
}

impl Future for Opened {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.gate.state();
        if state.open {
            return Poll::Ready(());
        }
        if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// One task of a call, ready to run: its spec plus the instruments the harness attached.
///
/// An executor runs it with [`Task::run`] on whatever thread it likes, once.
pub struct Task {
    index: usize,
    spec: TaskSpec,
    recorder: Recorder,
    gate: Gate,
}

/// The tasks of a call made of `specs`, each stamping on `recorder` and hanging on `gate`.
pub fn instrument(specs: &[TaskSpec], recorder: &Recorder, gate: &Gate) -> Vec<Task> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| Task::new(i, spec.clone(), recorder.clone(), gate.clone()))
        .collect()
}

impl Task {
    pub fn new(index: usize, spec: TaskSpec, recorder: Recorder, gate: Gate) -> Task {
        Task {
            index,
            spec,
            recorder,
            gate,
        }
    }

    /// The task's position in the call's input.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn spec(&self) -> &TaskSpec {
        &self.spec
    }

    /// Runs the task's body on the calling thread, stamping its start and end on the trace.
    pub fn run(self, stop: &dyn StopSignal) -> Result<Output, TaskFailure> {
        let task = self.index;
        let started = Instant::now();
        let start = self.recorder.record(Event::TaskStarted { task });
        let end = match self.spec {
            TaskSpec::Sleep { ms } => {
                std::thread::sleep(ms);
                TaskEnd::Returned
            }
            TaskSpec::Spin { ms } => {
                spin(started, ms);
                TaskEnd::Returned
            }
            TaskSpec::Fail { ms } | TaskSpec::RaiseTimeout { ms } => {
                std::thread::sleep(ms);
                TaskEnd::Failed
            }
            TaskSpec::Hang => {
                self.gate.wait_until(None);
                TaskEnd::Released
            }
            TaskSpec::CooperativeSleep { ms } => self.cooperative(started.checked_add(ms), stop),
            TaskSpec::CooperativeHang => self.cooperative(None, stop),
            TaskSpec::KillWorker { ms } => {
                std::thread::sleep(ms);
                self.recorder.record(Event::TaskEnded {
                    task,
                    end: TaskEnd::Died,
                });
                // Unwind the worker's thread as a panic would, without the panic hook's
                // message: the executor sees its worker die (and may catch it).
                std::panic::resume_unwind(Box::new(WORKER_DEATH));
            }
        };
        let end_at = self.recorder.record(Event::TaskEnded { task, end });
        if let (Some(ms), TaskEnd::Returned | TaskEnd::Failed) = (self.spec.duration(), end) {
            note_oversleep(&self.recorder, start, end_at, ms);
        }
        outcome(task, &self.spec, end)
    }

    /// The task's parts, for the async bodies (`crate::asynchronous`).
    #[cfg(feature = "async")]
    pub(crate) fn into_parts(self) -> (usize, TaskSpec, Recorder, Gate) {
        (self.index, self.spec, self.recorder, self.gate)
    }

    /// Waits until `until` (or forever), the gate or a stop request, whichever comes first.
    fn cooperative(&self, until: Option<Instant>, stop: &dyn StopSignal) -> TaskEnd {
        loop {
            if stop.is_requested() {
                return TaskEnd::Stopped;
            }
            let now = Instant::now();
            if until.is_some_and(|u| now >= u) {
                return TaskEnd::Returned;
            }
            let next_look = now + STOP_POLL;
            let wake = until.map_or(next_look, |u| u.min(next_look));
            if self.gate.wait_until(Some(wake)) {
                return TaskEnd::Released;
            }
        }
    }
}

/// What task `task`, of kind `spec`, whose body ended as `end`, returns.
pub(crate) fn outcome(task: usize, spec: &TaskSpec, end: TaskEnd) -> Result<Output, TaskFailure> {
    let message = match end {
        TaskEnd::Returned => return Ok(Output { task }),
        TaskEnd::Failed if spec.raises_timeout() => {
            return Err(TaskFailure {
                task,
                message: "timed out (the task's own timeout error, as its spec says)".into(),
                timeout: true,
            })
        }
        TaskEnd::Failed => "failed as its spec says",
        TaskEnd::Stopped => TaskFailure::STOPPED,
        TaskEnd::Released => "released by the harness at teardown",
        // Only an adapter watching worker processes reports a kill; a body never does.
        TaskEnd::Killed => "its worker was killed",
        // Not reached: a worker death unwinds before the task ends.
        TaskEnd::Died => WORKER_DEATH,
    };
    Err(TaskFailure::new(task, message))
}

/// Keeps the CPU busy until `ms` after `started`.
pub(crate) fn spin(started: Instant, ms: Duration) {
    while started.elapsed() < ms {
        std::hint::spin_loop();
    }
}

/// A body on a thread of its own that ran its whole duration `ms` from `start` to `end`: how
/// far past `ms` its stamps are is the machine's lateness (no executor stretches a body
/// already running on its thread), noted for the runner (`P15 progress` then judges only the
/// executor).
pub(crate) fn note_oversleep(recorder: &Recorder, start: Stamp, end: Stamp, ms: Duration) {
    recorder.note_harness_lateness(end.since(start).saturating_sub(ms));
}
