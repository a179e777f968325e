//! The field's idioms for running many futures with a timeout, each written the way it is
//! written in the field (the comment above each body is the code a user would type), each
//! declaring the contract it can honestly claim. `reports/async.md` has their verdicts.
//!
//! | idiom | modes | contract it can declare |
//! |---|---|---|
//! | [`BufferedTimeout`]: `stream::iter(tasks).map(\|t\| timeout(T, t)).buffered(n)` / `.buffer_unordered(n)` | List, Ordered, Unordered | task_runtime, per_task (a timed-out future is dropped: cancels running) |
//! | [`StreamTimeout`]: `tokio_stream::StreamExt::timeout(T)` on the `buffered(n)` stream | List, Ordered, Unordered | result_wait, abort (cancels running: the stream owns the futures) |
//! | [`JoinSetDeadline`]: a `JoinSet` bounded by a `Semaphore`, drained with `timeout_at(deadline, set.join_next())` | List, Unordered | overall, abort (dropping the set aborts its tasks) |
//! | [`SpawnSemaphore`]: a loop that takes a semaphore permit, then `tokio::spawn`s; each `JoinHandle` awaited with `timeout(T, handle)` | List, Ordered | result_wait, abort (a dropped `JoinHandle` does not cancel: does not cancel running) |

use futures::{stream, StreamExt, TryStreamExt};
use overtime_harness::asynchronous::{AsyncCall, AsyncExecutor, AsyncOutcome, AsyncTask};
use overtime_harness::{
    CallError, Contract, Mode, OnTimeout, Output, Profile, Slot, SlotResult, TaskFailure,
    TimeoutClock,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Every idiom, for the matrix.
pub fn all() -> Vec<Arc<dyn AsyncExecutor>> {
    vec![
        Arc::new(BufferedTimeout),
        Arc::new(StreamTimeout),
        Arc::new(JoinSetDeadline),
        Arc::new(SpawnSemaphore),
    ]
}

fn profile(
    name: &str,
    modes: &[Mode],
    clock: TimeoutClock,
    on_timeout: OnTimeout,
    cancels: bool,
) -> Profile {
    Profile {
        name: name.into(),
        modes: modes.to_vec(),
        contract: Contract {
            clock,
            on_timeout,
            cancels_running: cancels,
            ..Contract::default()
        },
        per_mode: Default::default(),
    }
}

/// A task's result as a slot (its failure as the call's error).
fn slot(result: Result<Output, TaskFailure>) -> SlotResult {
    Ok(Slot::Item(result?))
}

/// `futures::StreamExt::buffered` / `buffer_unordered` over the tasks, each future wrapped in
/// `tokio::time::timeout`:
///
/// ```text
/// stream::iter(tasks)
///     .map(|task| timeout(T, task.run()))
///     .buffer_unordered(n_jobs)       // .buffered(n_jobs) in input order
/// ```
///
/// An `Elapsed` item is that task's timed-out marker and the stream goes on (per_task); the
/// timeout's clock starts when `map` makes the future, which `buffered` does when it admits it
/// — when the task starts (task_runtime). List is `buffered(n).try_collect()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BufferedTimeout;

impl BufferedTimeout {
    fn results(call: AsyncCall) -> impl futures::Stream<Item = SlotResult> + Send {
        let (timeout, n_jobs, ordered) = (
            call.timeout,
            call.n_jobs.max(1),
            call.mode != Mode::Unordered,
        );
        let futures = stream::iter(call.tasks).map(move |task: AsyncTask| {
            let index = task.index();
            let run = task.run();
            async move {
                match timeout {
                    Some(t) => match tokio::time::timeout(t, run).await {
                        Ok(result) => slot(result),
                        Err(_elapsed) => Ok(Slot::TimedOut { task: index }),
                    },
                    None => slot(run.await),
                }
            }
        });
        if ordered {
            futures.buffered(n_jobs).left_stream()
        } else {
            futures.buffer_unordered(n_jobs).right_stream()
        }
    }
}

impl AsyncExecutor for BufferedTimeout {
    fn profile(&self) -> Profile {
        profile(
            "buffered+timeout",
            &Mode::ALL,
            TimeoutClock::TaskRuntime,
            OnTimeout::PerTask,
            true,
        )
    }

    fn run(&self, call: AsyncCall) -> AsyncOutcome {
        match call.mode {
            Mode::List => AsyncOutcome::list(Self::results(call).try_collect()),
            Mode::Ordered | Mode::Unordered => AsyncOutcome::stream(Self::results(call)),
        }
    }
}

/// `tokio_stream::StreamExt::timeout` on the stream of results — "the maximum amount of time
/// each element of the stream has to complete" — stopping at the first `Elapsed`:
///
/// ```text
/// let results = stream::iter(tasks).map(|task| task.run()).buffered(n_jobs);
/// let mut results = pin!(tokio_stream::StreamExt::timeout(results, T));
/// while let Some(item) = results.next().await { let result = item?; … }
/// ```
///
/// Each wait for the next result is timed (result_wait); the first timeout ends the iteration
/// (abort); dropping the stream drops the running futures (cancels running).
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamTimeout;

impl StreamTimeout {
    fn results(call: AsyncCall) -> futures::stream::BoxStream<'static, SlotResult> {
        let (timeout, n_jobs, ordered) = (
            call.timeout,
            call.n_jobs.max(1),
            call.mode != Mode::Unordered,
        );
        let futures = stream::iter(call.tasks).map(AsyncTask::run);
        let results = if ordered {
            futures.buffered(n_jobs).left_stream()
        } else {
            futures.buffer_unordered(n_jobs).right_stream()
        };
        match timeout {
            Some(t) => tokio_stream::StreamExt::timeout(results, t)
                .map(|item| match item {
                    Ok(result) => slot(result),
                    Err(_elapsed) => Err(CallError::Timeout { task: None }),
                })
                .boxed(),
            None => results.map(slot).boxed(),
        }
    }
}

impl AsyncExecutor for StreamTimeout {
    fn profile(&self) -> Profile {
        profile(
            "tokio-stream-timeout",
            &Mode::ALL,
            TimeoutClock::ResultWait,
            OnTimeout::Abort,
            true,
        )
    }

    fn run(&self, call: AsyncCall) -> AsyncOutcome {
        match call.mode {
            Mode::List => AsyncOutcome::list(Self::results(call).try_collect()),
            Mode::Ordered | Mode::Unordered => AsyncOutcome::stream(Self::results(call)),
        }
    }
}

/// A `JoinSet` of every task, at most `n_jobs` running at once (a semaphore permit taken inside
/// each spawned task), drained with `tokio::time::timeout_at` on one deadline for the call:
///
/// ```text
/// let deadline = Instant::now() + T;
/// let permits = Arc::new(Semaphore::new(n_jobs));
/// let mut set = JoinSet::new();
/// for task in tasks {
///     let permits = permits.clone();
///     set.spawn(async move { let _permit = permits.acquire().await; task.run().await });
/// }
/// while let Some(joined) = timeout_at(deadline, set.join_next()).await? { … }
/// ```
///
/// The whole call has one deadline (overall); its `Elapsed` ends the iteration (abort);
/// dropping the set aborts its tasks (cancels running). Results come in completion order
/// (Unordered); List puts them back in input order.
#[derive(Debug, Clone, Copy, Default)]
pub struct JoinSetDeadline;

impl JoinSetDeadline {
    /// The set, spawned, and the call's deadline (taken now, when the call is made).
    fn spawn(
        call: AsyncCall,
    ) -> (
        JoinSet<Result<Output, TaskFailure>>,
        Option<tokio::time::Instant>,
    ) {
        let deadline = call.timeout.map(|t| tokio::time::Instant::now() + t);
        let permits = Arc::new(Semaphore::new(call.n_jobs.max(1)));
        let mut set = JoinSet::new();
        for task in call.tasks {
            let permits = Arc::clone(&permits);
            set.spawn(async move {
                let _permit = permits.acquire().await;
                task.run().await
            });
        }
        (set, deadline)
    }
}

/// The next result of `set`, or the timeout once `deadline` passes; `None` when it is empty.
pub(crate) async fn join_next_by(
    set: &mut JoinSet<Result<Output, TaskFailure>>,
    deadline: Option<tokio::time::Instant>,
) -> Option<SlotResult> {
    let joined = match deadline {
        Some(deadline) => match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(joined) => joined?,
            Err(_elapsed) => return Some(Err(CallError::Timeout { task: None })),
        },
        None => set.join_next().await?,
    };
    Some(match joined {
        Ok(result) => slot(result),
        Err(e) => Err(CallError::ExecutorError(format!(
            "a task did not finish: {e}"
        ))),
    })
}

impl AsyncExecutor for JoinSetDeadline {
    fn profile(&self) -> Profile {
        profile(
            "joinset+timeout_at",
            &[Mode::List, Mode::Unordered],
            TimeoutClock::Overall,
            OnTimeout::Abort,
            true,
        )
    }

    fn run(&self, call: AsyncCall) -> AsyncOutcome {
        let mode = call.mode;
        let n = call.tasks.len();
        let (mut set, deadline) = Self::spawn(call);
        match mode {
            Mode::List => AsyncOutcome::list(async move {
                let mut slots: Vec<Option<Slot>> = vec![None; n];
                while let Some(next) = join_next_by(&mut set, deadline).await {
                    let slot = next?;
                    slots[slot.task()] = Some(slot);
                }
                Ok(slots.into_iter().flatten().collect())
            }),
            Mode::Ordered | Mode::Unordered => {
                AsyncOutcome::stream(stream::unfold(Some(set), move |set| async move {
                    let mut set = set?;
                    let next = join_next_by(&mut set, deadline).await?;
                    let go_on = next.is_ok().then_some(set);
                    Some((next, go_on))
                }))
            }
        }
    }
}

/// A loop that takes a semaphore permit for each task and spawns it, the `JoinHandle`s awaited
/// in input order, each with `tokio::time::timeout`:
///
/// ```text
/// let permits = Arc::new(Semaphore::new(n_jobs));
/// let mut handles = Vec::new();
/// for task in tasks {
///     let permit = permits.clone().acquire_owned().await?;
///     handles.push(tokio::spawn(async move { let r = task.run().await; drop(permit); r }));
/// }
/// for handle in handles { let result = timeout(T, handle).await??; … }
/// ```
///
/// List runs exactly that; Ordered runs the loop in a spawned task that sends each handle on
/// a channel as it spawns it, the stream awaiting them in order. Each wait for a result is
/// timed (result_wait); the first `Elapsed` ends the iteration (abort). A dropped `JoinHandle`
/// does not cancel its task: it declares that it does not stop running tasks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpawnSemaphore;

type Handle = tokio::task::JoinHandle<Result<Output, TaskFailure>>;

/// The result behind `handle`, waiting at most `timeout`.
async fn await_handle(handle: Handle, timeout: Option<Duration>) -> SlotResult {
    let joined = match timeout {
        Some(t) => match tokio::time::timeout(t, handle).await {
            Ok(joined) => joined,
            Err(_elapsed) => return Err(CallError::Timeout { task: None }),
        },
        None => handle.await,
    };
    match joined {
        Ok(result) => slot(result),
        Err(e) => Err(CallError::ExecutorError(format!(
            "a task did not finish: {e}"
        ))),
    }
}

/// Spawns `task` once a permit is free.
async fn spawn_with_permit(permits: &Arc<Semaphore>, task: AsyncTask) -> Option<Handle> {
    let permit = Arc::clone(permits).acquire_owned().await.ok()?;
    Some(tokio::spawn(async move {
        let result = task.run().await;
        drop(permit);
        result
    }))
}

impl AsyncExecutor for SpawnSemaphore {
    fn profile(&self) -> Profile {
        profile(
            "spawn+semaphore",
            &[Mode::List, Mode::Ordered],
            TimeoutClock::ResultWait,
            OnTimeout::Abort,
            false,
        )
    }

    fn run(&self, call: AsyncCall) -> AsyncOutcome {
        let permits = Arc::new(Semaphore::new(call.n_jobs.max(1)));
        let timeout = call.timeout;
        match call.mode {
            Mode::List => AsyncOutcome::list(async move {
                let mut handles = Vec::new();
                for task in call.tasks {
                    handles.extend(spawn_with_permit(&permits, task).await);
                }
                let mut slots = Vec::new();
                for handle in handles {
                    slots.push(await_handle(handle, timeout).await?);
                }
                Ok(slots)
            }),
            Mode::Ordered | Mode::Unordered => {
                let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
                tokio::spawn(async move {
                    for task in call.tasks {
                        let Some(handle) = spawn_with_permit(&permits, task).await else {
                            return;
                        };
                        if sender.send(handle).is_err() {
                            return;
                        }
                    }
                });
                AsyncOutcome::stream(stream::unfold(Some(receiver), move |receiver| async move {
                    let mut receiver = receiver?;
                    let handle = receiver.recv().await?;
                    let next = await_handle(handle, timeout).await;
                    let go_on = next.is_ok().then_some(receiver);
                    Some((next, go_on))
                }))
            }
        }
    }
}
