//! # overtime-rayon
//!
//! A second executor, built on rayon's thread pool with crossbeam channels for results and
//! deadlines, to show that overtime's [`Executor`] trait fits an executor that was not designed
//! around it. It runs all three return modes and declares the contract it keeps:
//!
//! | | |
//! |---|---|
//! | clocks | any one of `task_runtime` (the default, named `rayon`), `result_wait`, `overall` |
//! | on timeout | `abort` only (see *Why no PerTask*) |
//! | cancels running | yes: every task of an aborted or dropped call sees its stop request |
//!
//! ```
//! use overtime_harness::{Call, Executor, Gate, Mode, Outcome, Recorder, Task, TaskSpec};
//! use overtime_rayon::RayonExecutor;
//! use std::time::Duration;
//!
//! let rayon = RayonExecutor::default();
//! assert_eq!(rayon.profile().name, "rayon");
//!
//! // Three short tasks on two workers, pulled lazily in input order.
//! let (recorder, gate) = (Recorder::new(), Gate::new());
//! let spec = TaskSpec::Sleep { ms: Duration::from_millis(1) };
//! let tasks = (0..3).map(|i| Task::new(i, spec.clone(), recorder.clone(), gate.clone())).collect();
//! let call = Call { tasks, n_jobs: 2, timeout: Some(Duration::from_secs(5)), mode: Mode::Ordered };
//! let Outcome::Stream(stream) = rayon.run(call) else { unreachable!("a lazy mode") };
//! let order: Vec<usize> = stream.map(|slot| slot.map(|s| s.task())).collect::<Result<_, _>>()?;
//! assert_eq!(order, [0, 1, 2]);
//! # Ok::<(), overtime_harness::CallError>(())
//! ```
//!
//! # How a call runs
//!
//! - **One rayon pool per call**, of `min(n_jobs, n_tasks)` threads, dropped (never joined)
//!   when the call is over. Dropping a `rayon::ThreadPool` does not wait: its threads finish
//!   the work already spawned and exit. A hung task therefore keeps one thread of *its* call's
//!   pool until it ends, and no later call starves: the executor is reusable after any call.
//!   A pool shared between calls (or rayon's global pool) would lose a thread to every hung
//!   task for good. Bounded concurrency is the pool's size.
//! - **List** spawns one root job that runs `par_iter().with_max_len(1).map(..).collect()` in
//!   the pool: rayon's own splitting and work stealing, one task per leaf so that no task waits
//!   behind a slow one while a thread is free ([`RayonExecutor::with_list_leaf`] trades that
//!   for less overhead per task). **Ordered** and **Unordered** spawn one rayon job
//!   per task, keeping at most `window` tasks dispatched but not yet delivered (default
//!   `2 × n_jobs`, joblib's `pre_dispatch`); the consumer dispatches the next task each time it
//!   delivers one, so memory stays bounded by the window whatever the number of tasks.
//! - **Results** come back to the consumer over a crossbeam channel; the consumer blocks on it
//!   with `Select::select_deadline` (or `select` when it owns no deadline), never polling. Not
//!   `recv_deadline`: on crossbeam's buffered channels it yields the CPU four times before
//!   blocking and again after its deadline, which costs whole time slices on a busy machine
//!   (`reports/perf.md`, section (a)).
//! - **Deadlines.** `task_runtime` (each running task's start + T) and `overall` (the call +
//!   T) run whether or not the consumer pulls. Their next due time is shared state: a consumer
//!   waiting in a pull waits until it and ends the call itself, so the answer is one thread
//!   hop from the deadline; a per-call **timekeeper** thread waits for it too, so that jobs
//!   not yet started never start and running tasks are asked to stop on time even with a
//!   slow consumer. A task that ends after its own due time ends the call itself, so a late
//!   result never stands in for the timeout. `result_wait` is a wait of the consumer, so the
//!   consumer owns it: each pull waits for a result until the instant it asked + T; in List
//!   mode the executor is an eager consumer in input order, as the spec's §2.1 says.
//! - **Ending a call.** The first of {timeout, task failure, drop, normal end} wins a
//!   `OnceLock`; a timeout, failure or drop also raises the call's stop flag (cooperative tasks
//!   stop; jobs not yet started never start) and wakes the consumer with one message.
//!   Results finishing after that are discarded.
//!
//! # Why no PerTask
//!
//! `PerTask` abandons a timed-out task — it stops counting towards `n_jobs` — and goes on with
//! the others. A task that hangs cannot be killed in-process, so going on needs a new thread
//! in its place, and a rayon pool has a fixed number of threads. An oversized pool gated by a
//! semaphore would work, but then concurrency would be the semaphore's, not rayon's; this
//! executor declares `abort` instead.
//!
//! # Costs
//!
//! A pool of `n_jobs` threads and, with a `task_runtime` or `overall` timeout, one timekeeper
//! thread per call. List: one rayon split per task; with a timeout, two clock reads per task,
//! plus a short lock of the running set per start and end under `task_runtime` and one
//! consumer message per task under `result_wait`. Lazy modes: one `spawn` and one channel
//! message per task, and one consumer round trip per delivered task.

mod call;
mod list;
mod stream;
mod timekeeper;

use crate::call::Shared;
use overtime_harness::{
    Call, CallError, Contract, Executor, Mode, OnTimeout, Outcome, Output, Profile, StopSignal,
    Task, TaskFailure, TimeoutClock,
};
use std::time::{Duration, Instant};

/// One task's body as this executor runs it: it gets its stop signal and returns its output or
/// its failure. [`Task::run`] fits; [`jobs_of`] makes jobs of a call's tasks.
pub type Job = Box<dyn FnOnce(&dyn StopSignal) -> Result<Output, TaskFailure> + Send>;

/// The executor on rayon, for one timeout clock (always `abort`, always `cancels_running`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RayonExecutor {
    clock: TimeoutClock,
    window: Option<usize>,
    list_leaf: Option<usize>,
    name: String,
}

impl RayonExecutor {
    /// The clock of [`RayonExecutor::default`], named `rayon`: joblib's documented promise.
    pub const DEFAULT_CLOCK: TimeoutClock = TimeoutClock::TaskRuntime;

    /// The executor keeping `clock`, named `rayon` for [`Self::DEFAULT_CLOCK`] and
    /// `rayon/<clock>/abort` otherwise.
    pub fn new(clock: TimeoutClock) -> RayonExecutor {
        let name = if clock == Self::DEFAULT_CLOCK {
            "rayon".to_string()
        } else {
            format!("rayon/{clock}/{}", OnTimeout::Abort)
        };
        RayonExecutor {
            clock,
            window: None,
            list_leaf: Some(1),
            name,
        }
    }

    /// The executor for `contract`, if it is one this executor keeps (any clock, `abort`).
    pub fn for_contract(contract: Contract) -> Option<RayonExecutor> {
        let kept = RayonExecutor::new(contract.clock);
        let keeps = |c: Contract| Contract {
            cancels_running: true,
            ..c
        };
        (keeps(contract) == kept.contract()).then_some(kept)
    }

    /// One executor per clock, in [`TimeoutClock::ALL`] order.
    pub fn all() -> Vec<RayonExecutor> {
        TimeoutClock::ALL
            .into_iter()
            .map(RayonExecutor::new)
            .collect()
    }

    /// Sets the lazy modes' window (tasks dispatched but not yet delivered; at least 1).
    /// Default: `2 × n_jobs`.
    pub fn with_window(mut self, window: usize) -> RayonExecutor {
        self.window = Some(window);
        self
    }

    /// List mode: the most tasks a rayon leaf runs one after another (`with_max_len`), where
    /// a task can wait behind a slow one while another thread is free. Default `Some(1)`: no
    /// task ever waits so. `None` leaves the leaves to rayon's adaptive splitting: a few times
    /// less overhead per task (`reports/perf.md`), at the price of that wait.
    pub fn with_list_leaf(mut self, leaf: Option<usize>) -> RayonExecutor {
        self.list_leaf = leaf.map(|l| l.max(1));
        self
    }

    pub fn contract(&self) -> Contract {
        Contract {
            clock: self.clock,
            on_timeout: OnTimeout::Abort,
            cancels_running: true,
            ..Contract::default()
        }
    }

    /// Runs `jobs` (job `i` is task `i`) as one call: what [`Executor::run`] does with a call's
    /// tasks, open to bodies that are not the harness's (the benchmarks' no-op jobs).
    pub fn run_jobs(
        &self,
        jobs: Vec<Job>,
        n_jobs: usize,
        timeout: Option<Duration>,
        mode: Mode,
    ) -> Outcome {
        let made = Instant::now();
        let n_tasks = jobs.len();
        let threads = n_jobs.clamp(1, n_tasks.max(1));
        let pool = match rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("overtime-rayon-{i}"))
            .build()
        {
            Ok(pool) => pool,
            Err(e) => {
                return failed(
                    mode,
                    CallError::ExecutorError(format!(
                        "could not start a rayon pool of {threads} threads: {e}"
                    )),
                )
            }
        };
        let (shared, results) = match Shared::start(made, n_tasks, timeout, self.clock) {
            Ok(started) => started,
            Err(error) => return failed(mode, error),
        };
        let jobs = jobs.into_iter().enumerate();
        match mode {
            Mode::List => Outcome::List(list::run(
                &pool,
                shared,
                results,
                jobs.collect(),
                self.list_leaf,
            )),
            Mode::Ordered | Mode::Unordered => {
                let window = self
                    .window
                    .unwrap_or(n_jobs.max(1).saturating_mul(2))
                    .max(1);
                Outcome::Stream(Box::new(stream::Stream::start(
                    pool,
                    shared,
                    results,
                    jobs,
                    window,
                    mode == Mode::Ordered,
                )))
            }
        }
    }
}

impl Default for RayonExecutor {
    fn default() -> Self {
        RayonExecutor::new(Self::DEFAULT_CLOCK)
    }
}

impl Executor for RayonExecutor {
    fn profile(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            modes: Mode::ALL.to_vec(),
            contract: self.contract(),
            ..Profile::default()
        }
    }

    /// List mode blocks until the answer; the lazy modes return at once, the tasks running in
    /// the call's pool as the stream is pulled.
    fn run(&self, call: Call) -> Outcome {
        self.run_jobs(jobs_of(call.tasks), call.n_jobs, call.timeout, call.mode)
    }
}

/// The harness's tasks as this executor's jobs.
pub fn jobs_of(tasks: Vec<Task>) -> Vec<Job> {
    tasks
        .into_iter()
        .map(|task| -> Job { Box::new(move |stop| task.run(stop)) })
        .collect()
}

/// A call that failed before it started, in the shape its mode hands back.
fn failed(mode: Mode, error: CallError) -> Outcome {
    match mode {
        Mode::List => Outcome::List(Err(error)),
        Mode::Ordered | Mode::Unordered => Outcome::Stream(Box::new(std::iter::once(Err(error)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use overtime_harness::{Slot, StopSignal};
    use std::time::Duration;

    fn returning(n: usize) -> Vec<Job> {
        (0..n)
            .map(|task| -> Job { Box::new(move |_| Ok(Output { task })) })
            .collect()
    }

    #[test]
    fn keeps_abort_with_every_clock_and_refuses_per_task() {
        for clock in TimeoutClock::ALL {
            let abort = Contract {
                clock,
                on_timeout: OnTimeout::Abort,
                cancels_running: true,
                ..Contract::default()
            };
            let executor = RayonExecutor::for_contract(abort).expect("abort is kept");
            assert_eq!(executor.profile().contract, abort);
            let per_task = Contract {
                on_timeout: OnTimeout::PerTask,
                ..abort
            };
            assert_eq!(RayonExecutor::for_contract(per_task), None);
            let input_order = Contract {
                error_order: overtime_harness::ErrorOrder::InputOrder,
                ..abort
            };
            assert_eq!(RayonExecutor::for_contract(input_order), None);
        }
        assert_eq!(RayonExecutor::default().profile().name, "rayon");
        assert_eq!(
            RayonExecutor::new(TimeoutClock::Overall).profile().name,
            "rayon/overall/abort"
        );
    }

    #[test]
    fn list_keeps_input_order_with_either_leaf() {
        for leaf in [Some(1), None] {
            let executor = RayonExecutor::default().with_list_leaf(leaf);
            let Outcome::List(Ok(slots)) = executor.run_jobs(returning(1000), 2, None, Mode::List)
            else {
                panic!("a List call of returning tasks answers a list");
            };
            let order: Vec<usize> = slots.iter().map(Slot::task).collect();
            assert_eq!(order, (0..1000).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_panicking_task_fails_the_call_naming_it() {
        let mut jobs = returning(3);
        jobs[1] = Box::new(|_| panic!("a task body panicked on purpose"));
        let outcome = RayonExecutor::default().run_jobs(jobs, 2, None, Mode::List);
        let Outcome::List(Err(CallError::TaskFailed { task, message })) = outcome else {
            panic!("expected the panicking task's failure, got {outcome:?}");
        };
        assert_eq!((task, message.as_str()), (1, "the task panicked"));
    }

    #[test]
    fn an_empty_call_answers_at_once() {
        let executor = RayonExecutor::default();
        let Outcome::List(Ok(slots)) = executor.run_jobs(Vec::new(), 2, None, Mode::List) else {
            panic!("an empty List call answers an empty list");
        };
        assert!(slots.is_empty());
        let Outcome::Stream(mut stream) = executor.run_jobs(Vec::new(), 2, None, Mode::Unordered)
        else {
            panic!("a lazy call answers a stream");
        };
        assert!(stream.next().is_none());
    }

    #[test]
    fn dropping_a_stream_asks_its_running_tasks_to_stop() {
        let (started_tx, started) = crossbeam_channel::unbounded();
        let (stopped_tx, stopped) = crossbeam_channel::unbounded();
        let jobs: Vec<Job> = (0..2)
            .map(|task| -> Job {
                let (started_tx, stopped_tx) = (started_tx.clone(), stopped_tx.clone());
                Box::new(move |stop: &dyn StopSignal| {
                    let _ = started_tx.send(task);
                    while !stop.is_requested() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    let _ = stopped_tx.send(task);
                    Err(TaskFailure::new(task, "stopped"))
                })
            })
            .collect();
        let Outcome::Stream(stream) =
            RayonExecutor::default().run_jobs(jobs, 2, None, Mode::Ordered)
        else {
            panic!("a lazy call answers a stream");
        };
        // Bounds against hanging, not timing assertions.
        let guard = Duration::from_secs(30);
        let running = (0..2)
            .map_while(|_| started.recv_timeout(guard).ok())
            .count();
        assert_eq!(running, 2, "both tasks started");
        drop(stream);
        let mut seen: Vec<usize> = (0..2)
            .map_while(|_| stopped.recv_timeout(guard).ok())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, [0, 1], "both running tasks saw their stop request");
    }
}
