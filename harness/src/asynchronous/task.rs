//! The harness's task bodies as futures ([`AsyncTask`]), and how an async executor asks a
//! running one to stop ([`AsyncStop`]).
//!
//! The same vocabulary ([`TaskSpec`]) as the threaded bodies, run the way async code runs it:
//!
//! | spec | async body |
//! |---|---|
//! | `sleep`, `fail` | `tokio::time::sleep`, then return (or fail) |
//! | `hang` | awaits the case's [`Gate`] ([`Gate::opened`]) |
//! | `cooperative_sleep`, `cooperative_hang` | the same, ending `stopped` as soon as [`AsyncStop::request`] is called |
//! | `spin` | a blocking body: a CPU spin on `tokio::task::spawn_blocking` |
//!
//! Every body stamps its own start (at its first poll) and end. Async code cancels by
//! dropping: a body dropped while it runs stamps `stopped` at the drop — except `spin`, which,
//! like every blocking body, ignores cancellation: its thread spins on and stamps its real end.

use crate::call::TaskSpec;
use crate::task::{
    note_oversleep, outcome, spin, Gate, Output, StopSignal, Task, TaskFailure, WORKER_DEATH,
};
use crate::trace::{Event, Recorder, TaskEnd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;

/// A stop request for one running task: cheap to clone, set once by the executor, seen by the
/// task's body at once (no polling). It is also a [`StopSignal`], for blocking bodies.
#[derive(Clone, Default)]
pub struct AsyncStop {
    inner: Arc<StopInner>,
}

#[derive(Default)]
struct StopInner {
    requested: AtomicBool,
    notify: Notify,
}

impl AsyncStop {
    pub fn new() -> AsyncStop {
        AsyncStop::default()
    }

    /// Asks the task to stop. Idempotent.
    pub fn request(&self) {
        self.inner.requested.store(true, Ordering::Release);
        self.inner.notify.notify_waiters();
    }

    /// Completes once a stop is requested.
    pub async fn requested(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so a request made in between is not missed.
            notified.as_mut().enable();
            if self.is_requested() {
                return;
            }
            notified.await;
        }
    }
}

impl StopSignal for AsyncStop {
    fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::Acquire)
    }
}

/// One task of an async call: its spec and the harness's instruments. Run it once, with
/// [`AsyncTask::run`] (a future), [`AsyncTask::run_until_stopped`] (a future that also
/// watches a stop request), or [`AsyncTask::run_blocking`] (the threaded body, on the calling
/// thread: for `spawn_blocking`).
pub struct AsyncTask {
    index: usize,
    spec: TaskSpec,
    recorder: Recorder,
    gate: Gate,
}

impl From<Task> for AsyncTask {
    fn from(task: Task) -> AsyncTask {
        let (index, spec, recorder, gate) = task.into_parts();
        AsyncTask {
            index,
            spec,
            recorder,
            gate,
        }
    }
}

/// Stamps `stopped` if the body is dropped before it ends: cancellation by drop, as the trace
/// sees it.
struct EndOnDrop {
    task: usize,
    recorder: Recorder,
    armed: bool,
}

impl EndOnDrop {
    fn end(mut self, end: TaskEnd) {
        self.armed = false;
        self.recorder.record(Event::TaskEnded {
            task: self.task,
            end,
        });
    }
}

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.recorder.record(Event::TaskEnded {
                task: self.task,
                end: TaskEnd::Stopped,
            });
        }
    }
}

impl AsyncTask {
    /// The task's position in the call's input.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn spec(&self) -> &TaskSpec {
        &self.spec
    }

    /// The body as a future, with no stop request but the drop.
    pub async fn run(self) -> Result<Output, TaskFailure> {
        self.run_until_stopped(AsyncStop::new()).await
    }

    /// The body as a future; a cooperative body also ends, `stopped`, when `stop` is
    /// requested. Must be polled inside a tokio runtime with time enabled (and, for `spin`,
    /// one that can `spawn_blocking`).
    pub async fn run_until_stopped(self, stop: AsyncStop) -> Result<Output, TaskFailure> {
        let task = self.index;
        self.recorder.record(Event::TaskStarted { task });
        if let TaskSpec::Spin { ms } = self.spec {
            // A blocking body: it runs to its end on a blocking thread, whatever happens to
            // this future, and stamps its own end there.
            let recorder = self.recorder.clone();
            let spin = tokio::task::spawn_blocking(move || {
                // On its own thread from here on: a late end past what the pool's start
                // delay explains is the machine's (the delay to start it is the runtime's).
                let started = Instant::now();
                let began = recorder.now();
                spin(started, ms);
                let end = recorder.record(Event::TaskEnded {
                    task,
                    end: TaskEnd::Returned,
                });
                note_oversleep(&recorder, began, end, ms);
            });
            return match spin.await {
                Ok(()) => outcome(task, &self.spec, TaskEnd::Returned),
                Err(e) => Err(TaskFailure::new(
                    task,
                    format!("the blocking body did not end: {e}"),
                )),
            };
        }
        let guard = EndOnDrop {
            task,
            recorder: self.recorder.clone(),
            armed: true,
        };
        let end = match self.spec {
            TaskSpec::Sleep { ms } => {
                tokio::time::sleep(ms).await;
                TaskEnd::Returned
            }
            TaskSpec::Fail { ms } | TaskSpec::RaiseTimeout { ms } => {
                tokio::time::sleep(ms).await;
                TaskEnd::Failed
            }
            TaskSpec::KillWorker { ms } => {
                tokio::time::sleep(ms).await;
                guard.end(TaskEnd::Died);
                // The future's worker is whatever polls it: unwind it as a panic would,
                // without the panic hook's message (a spawned task ends with a panic
                // JoinError; a stream polled inline passes the unwinding to its caller).
                std::panic::resume_unwind(Box::new(WORKER_DEATH));
            }
            TaskSpec::Hang => {
                self.gate.opened().await;
                TaskEnd::Released
            }
            TaskSpec::CooperativeSleep { ms } => {
                tokio::select! {
                    _ = tokio::time::sleep(ms) => TaskEnd::Returned,
                    _ = stop.requested() => TaskEnd::Stopped,
                    _ = self.gate.opened() => TaskEnd::Released,
                }
            }
            TaskSpec::CooperativeHang => {
                tokio::select! {
                    _ = stop.requested() => TaskEnd::Stopped,
                    _ = self.gate.opened() => TaskEnd::Released,
                }
            }
            TaskSpec::Spin { .. } => unreachable!("handled above"),
        };
        guard.end(end);
        outcome(task, &self.spec, end)
    }

    /// The threaded body (`std::thread::sleep`, a spin, a blocking wait on the gate) on the
    /// calling thread: what `spawn_blocking(move || task.run_blocking(&stop))` runs. Called on
    /// a runtime's own thread it blocks that thread — the defect async code must avoid.
    /// Cooperative bodies look at `stop` every [`crate::STOP_POLL`].
    pub fn run_blocking(self, stop: &dyn StopSignal) -> Result<Output, TaskFailure> {
        Task::new(self.index, self.spec, self.recorder, self.gate).run(stop)
    }
}
