//! What one call's threads share — how the call ended, the stop flag, the due times that run
//! without the consumer, the results channel — and how a task is run.
//!
//! The due times of `task_runtime` (each running task's start + T) and `overall` (the call +
//! T, while a task is unfinished) live here, so that whoever is waiting — the consumer in a
//! pull, or the timekeeper when nobody pulls — wakes at the due time itself and ends the call,
//! one thread hop from the deadline to the answer. A task that starts while no other runs
//! lowers the earliest due time from "none": it wakes both waiters to re-arm.

use crate::timekeeper::{self, Control};
use crate::Job;
use crossbeam_channel::{Receiver, RecvTimeoutError, Select, Sender, TryRecvError};
use overtime_harness::{CallError, Output, Slot, TaskFailure, TimeoutClock};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How a call ended; the first to happen wins and the others change nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// Every slot was handed over.
    Completed,
    /// A due time passed with its task unfinished (`None`: not one task's, e.g. `overall`).
    Timeout { task: Option<usize> },
    /// A task failed (or panicked).
    Failed { task: usize, message: String },
    /// The consumer dropped an unfinished iteration.
    Dropped,
}

impl End {
    /// The error the consumer sees for a call that ended this way.
    pub(crate) fn error(&self) -> CallError {
        match self {
            End::Timeout { task } => CallError::Timeout { task: *task },
            End::Failed { task, message } => CallError::TaskFailed {
                task: *task,
                message: message.clone(),
            },
            End::Completed | End::Dropped => CallError::ExecutorError(format!(
                "the call ended ({self:?}) while its consumer still waited"
            )),
        }
    }
}

/// What reaches the consumer over the results channel.
pub(crate) enum Message {
    /// Lazy modes: a task returned.
    Done { task: usize, output: Output },
    /// List mode under `result_wait`: task `task` returned at `at` (the eager consumer's waits).
    Completed { task: usize, at: Instant },
    /// List mode: every slot in input order; meaningful only if the call has not ended.
    List(Vec<Slot>),
    /// The earliest due time came down from none: wait again with [`Shared::next_due`].
    Rearm,
    /// The call ended by a timeout or a failure: read [`Shared::end_error`].
    Ended,
}

/// The state one call's consumer, jobs and timekeeper share.
pub(crate) struct Shared {
    ended: OnceLock<End>,
    /// Raised on a timeout, failure or drop: cooperative tasks stop, unstarted jobs never start.
    pub(crate) stop: AtomicBool,
    results: Sender<Message>,
    /// `task_runtime` with a timeout: (task, due time) of every running task — at most the
    /// pool's size, so a scan is the cheapest search.
    running: Option<Mutex<Vec<(usize, Instant)>>>,
    /// `overall` with a timeout: tasks not yet ended.
    unfinished: AtomicUsize,
    /// The timekeeper's channel (`task_runtime`, `overall` with a timeout).
    timekeeper: Option<Sender<Control>>,
    /// The instant the call was made.
    pub(crate) made: Instant,
    pub(crate) timeout: Option<Duration>,
    pub(crate) clock: TimeoutClock,
}

impl Shared {
    /// The call's shared state and the consumer's end of the results channel; starts the
    /// timekeeper when a due time can pass while nobody pulls.
    pub(crate) fn start(
        made: Instant,
        n_tasks: usize,
        timeout: Option<Duration>,
        clock: TimeoutClock,
    ) -> Result<(Arc<Shared>, Receiver<Message>), CallError> {
        let (results, received) = crossbeam_channel::unbounded();
        let keeps_time = timeout.is_some() && clock != TimeoutClock::ResultWait && n_tasks > 0;
        let (control, controls) = if keeps_time {
            let (tx, rx) = crossbeam_channel::unbounded();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let shared = Arc::new(Shared {
            ended: OnceLock::new(),
            stop: AtomicBool::new(false),
            results,
            running: (keeps_time && clock == TimeoutClock::TaskRuntime)
                .then(|| Mutex::new(Vec::new())),
            unfinished: AtomicUsize::new(n_tasks),
            timekeeper: control,
            made,
            timeout,
            clock,
        });
        if let Some(controls) = controls {
            timekeeper::spawn(Arc::clone(&shared), controls).map_err(|e| {
                CallError::ExecutorError(format!("could not start the timekeeper thread: {e}"))
            })?;
        }
        Ok((shared, received))
    }

    /// Ends the call as `end` unless it has ended already; true when this was the end. A
    /// timeout, failure or drop raises the stop flag; a timeout or failure wakes the consumer.
    pub(crate) fn end(&self, end: End) -> bool {
        let wakes = matches!(end, End::Timeout { .. } | End::Failed { .. });
        let aborts = end != End::Completed;
        if self.ended.set(end).is_err() {
            return false;
        }
        if aborts {
            self.stop.store(true, Ordering::Release);
        }
        if wakes {
            self.send(Message::Ended);
        }
        self.release_timekeeper();
        true
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.ended.get().is_some()
    }

    /// Tells the timekeeper nothing more can be due. Idempotent.
    pub(crate) fn release_timekeeper(&self) {
        if let Some(tx) = &self.timekeeper {
            let _ = tx.send(Control::Over);
        }
    }

    pub(crate) fn send(&self, message: Message) {
        // A consumer that dropped its stream no longer listens; that is not an error.
        let _ = self.results.send(message);
    }

    /// The error for the way the call ended, or an executor error when it has not ended.
    pub(crate) fn end_error(&self) -> CallError {
        self.ended.get().map(End::error).unwrap_or_else(|| {
            CallError::ExecutorError("the call's channel closed before it ended".into())
        })
    }

    /// The earliest due time that runs without the consumer, and its task: `task_runtime`,
    /// the earliest running task's; `overall`, the call's while some task is unfinished.
    pub(crate) fn next_due(&self) -> Option<(Instant, Option<usize>)> {
        let timeout = self.timeout?;
        match self.clock {
            TimeoutClock::TaskRuntime => self
                .running
                .as_ref()
                .and_then(|r| lock(r).iter().min_by_key(|&&(t, due)| (due, t)).copied())
                .map(|(task, due)| (due, Some(task))),
            TimeoutClock::Overall => (self.unfinished.load(Ordering::Acquire) > 0)
                .then(|| self.made.checked_add(timeout).map(|due| (due, None)))
                .flatten(),
            TimeoutClock::ResultWait => None,
        }
    }

    /// Ends the call if its next due time has passed by `now`. True once the call has ended
    /// (now or before).
    pub(crate) fn fire_if_due(&self, now: Instant) -> bool {
        if let Some((due, task)) = self.next_due() {
            if due <= now {
                self.end(End::Timeout { task });
            }
        }
        self.is_ended()
    }

    /// Runs task `task`'s body on this thread unless the call has ended. Returns the result
    /// and, for a call with a timeout, the instant it ended; `None` when the job was skipped
    /// or its result came after the call ended (it is discarded). A failure, or a result later
    /// than its own due time, ends the call. Without a timeout it reads no clock and touches
    /// nothing shared but the end flag.
    pub(crate) fn run_one(
        &self,
        task: usize,
        job: Job,
    ) -> Option<(Result<Output, TaskFailure>, Option<Instant>)> {
        if self.is_ended() {
            return None;
        }
        let timed = self.timeout.is_some();
        let started = timed.then(Instant::now);
        // A due time past what an `Instant` can hold is never reached: no timer for it.
        let own_due = started
            .zip(self.timeout)
            .and_then(|(s, t)| s.checked_add(t));
        if let (Some(running), Some(due)) = (&self.running, own_due) {
            let was_idle = {
                let mut running = lock(running);
                running.push((task, due));
                running.len() == 1
            };
            if was_idle {
                self.send(Message::Rearm);
                if let Some(tx) = &self.timekeeper {
                    let _ = tx.send(Control::Rearm);
                }
            }
        }
        let result = panic::catch_unwind(AssertUnwindSafe(|| job(&self.stop)))
            .unwrap_or_else(|_| Err(TaskFailure::new(task, "the task panicked")));
        let ended = timed.then(Instant::now);
        if let (Some(started), Some(at), Some(timeout)) = (started, ended, self.timeout) {
            let due = match self.clock {
                TimeoutClock::TaskRuntime => started.checked_add(timeout),
                TimeoutClock::Overall => self.made.checked_add(timeout),
                TimeoutClock::ResultWait => None,
            };
            if let Some(running) = &self.running {
                lock(running).retain(|&(t, _)| t != task);
            }
            if self.clock == TimeoutClock::Overall {
                self.unfinished.fetch_sub(1, Ordering::AcqRel);
            }
            if due.is_some_and(|due| at > due) {
                // Overdue by its own clock: the result must not stand in for the timeout.
                self.end(End::Timeout {
                    task: (self.clock == TimeoutClock::TaskRuntime).then_some(task),
                });
            }
        }
        if let Err(failure) = &result {
            self.end(End::Failed {
                task,
                message: failure.message.clone(),
            });
        }
        if self.is_ended() {
            return None;
        }
        Some((result, ended))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The data is a plain list; a panic elsewhere cannot leave it half-changed.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a consumer's wait on the results channel gave.
pub(crate) enum Waited {
    Message(Message),
    /// The deadline passed first.
    DeadlinePassed,
    /// Every sender is gone (cannot happen while the consumer holds the shared state).
    Closed,
}

/// Blocks for the next message, until `deadline` if there is one. Never polls.
pub(crate) fn wait(results: &Receiver<Message>, deadline: Option<Instant>) -> Waited {
    match recv_until(results, deadline) {
        Ok(message) => Waited::Message(message),
        Err(RecvTimeoutError::Timeout) => match results.try_recv() {
            // A message that came in as the deadline passed is in time.
            Ok(message) => Waited::Message(message),
            Err(_) => Waited::DeadlinePassed,
        },
        Err(RecvTimeoutError::Disconnected) => Waited::Closed,
    }
}

/// The earlier of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Receives from `rx`, blocking until `deadline` (none: until a message or disconnection).
///
/// A ready message is taken at once; otherwise the thread parks through [`Select`], not
/// `recv`/`recv_deadline`: on crossbeam's unbounded and bounded channels those spin and then
/// `yield_now` four times before they block, and again after waking at the deadline. On an
/// oversubscribed CPU each yield can give a whole time slice away, so `recv_deadline` returns
/// far later after its deadline than `Select::select_deadline` does (`reports/perf.md`,
/// section a, measures both).
pub(crate) fn recv_until<T>(
    rx: &Receiver<T>,
    deadline: Option<Instant>,
) -> Result<T, RecvTimeoutError> {
    match rx.try_recv() {
        Ok(message) => return Ok(message),
        Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
        Err(TryRecvError::Empty) => {}
    }
    let mut select = Select::new();
    select.recv(rx);
    let ready = match deadline {
        Some(deadline) => select
            .select_deadline(deadline)
            .map_err(|_| RecvTimeoutError::Timeout)?,
        None => select.select(),
    };
    ready.recv(rx).map_err(|_| RecvTimeoutError::Disconnected)
}
