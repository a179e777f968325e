//! Async executors with one realistic defect each — the async traps the zoo of `mutants/`
//! has no threaded counterpart for. Each is the [`crate::idioms::JoinSetDeadline`] idiom
//! (a `JoinSet` bounded by a semaphore, drained against one deadline for the call) with that
//! one thing written wrong, and each must be caught by a MUST property in the default
//! configuration (`tests/zoo.rs`; `reports/async.md` has the catch table).

use crate::idioms::join_next_by;
use futures::stream;
use overtime_harness::asynchronous::{AsyncCall, AsyncExecutor, AsyncOutcome, AsyncTask};
use overtime_harness::{
    Contract, Mode, NeverStop, OnTimeout, Output, Profile, TaskFailure, TimeoutClock,
};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// One async defect, named as reports spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AsyncMutant {
    /// The call's deadline is taken inside the stream's `async` block: at its first poll.
    LazyTimer,
    /// Task bodies run as blocking code inside spawned futures: they starve the runtime's
    /// workers, and with them its timer.
    BlockingBody,
    /// Dropping the stream waits for the running tasks to finish.
    DropAwaits,
}

impl AsyncMutant {
    pub const ALL: [AsyncMutant; 3] = [
        AsyncMutant::LazyTimer,
        AsyncMutant::BlockingBody,
        AsyncMutant::DropAwaits,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AsyncMutant::LazyTimer => "lazy-timer",
            AsyncMutant::BlockingBody => "blocking-body",
            AsyncMutant::DropAwaits => "drop-awaits",
        }
    }

    /// The defect in one sentence.
    pub fn about(self) -> &'static str {
        match self {
            AsyncMutant::LazyTimer => {
                "the overall deadline is computed inside the stream's async block, so its clock \
                 starts at the consumer's first poll, not at the call"
            }
            AsyncMutant::BlockingBody => {
                "task bodies run as blocking code inside spawned futures (no spawn_blocking), \
                 starving the runtime's workers and its timer"
            }
            AsyncMutant::DropAwaits => {
                "dropping the stream blocks until the running tasks finish (a \"graceful\" drop)"
            }
        }
    }

    /// Whether paused time can run it: a blocking body or a blocking drop stops virtual time
    /// (`overtime_harness::asynchronous::paused`), so those are judged in real time only.
    pub fn runs_in_paused_time(self) -> bool {
        self == AsyncMutant::LazyTimer
    }

    pub fn parse(name: &str) -> Option<AsyncMutant> {
        AsyncMutant::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// An async executor carrying one [`AsyncMutant`] defect. It declares what the idiom it
/// breaks declares: overall, abort, cancels running; List and Unordered.
#[derive(Debug, Clone, Copy)]
pub struct AsyncMutantExecutor {
    pub mutant: AsyncMutant,
}

impl AsyncMutantExecutor {
    pub fn new(mutant: AsyncMutant) -> AsyncMutantExecutor {
        AsyncMutantExecutor { mutant }
    }
}

type Set = JoinSet<Result<Output, TaskFailure>>;

impl AsyncMutantExecutor {
    fn spawn(&self, tasks: Vec<AsyncTask>, n_jobs: usize) -> Set {
        let permits = Arc::new(Semaphore::new(n_jobs.max(1)));
        let blocking = self.mutant == AsyncMutant::BlockingBody;
        let mut set = JoinSet::new();
        for task in tasks {
            let permits = Arc::clone(&permits);
            set.spawn(async move {
                let _permit = permits.acquire().await;
                if blocking {
                    // The defect: a blocking body called from a future.
                    task.run_blocking(&NeverStop)
                } else {
                    task.run().await
                }
            });
        }
        set
    }
}

impl AsyncExecutor for AsyncMutantExecutor {
    fn profile(&self) -> Profile {
        Profile {
            name: format!("async-mutant:{}", self.mutant.name()),
            modes: vec![Mode::List, Mode::Unordered],
            contract: Contract {
                clock: TimeoutClock::Overall,
                on_timeout: OnTimeout::Abort,
                cancels_running: true,
                ..Contract::default()
            },
            per_mode: Default::default(),
        }
    }

    fn run(&self, call: AsyncCall) -> AsyncOutcome {
        let (mode, n, timeout) = (call.mode, call.tasks.len(), call.timeout);
        let set = self.spawn(call.tasks, call.n_jobs);
        let lazy = self.mutant == AsyncMutant::LazyTimer;
        // Correct: the deadline is taken here, when the call is made.
        let eager_deadline = timeout.map(|t| Instant::now() + t);
        let deadline_at_first_poll = move || {
            if lazy {
                // The defect: this runs when the consumer first polls.
                timeout.map(|t| Instant::now() + t)
            } else {
                eager_deadline
            }
        };
        match mode {
            Mode::List => AsyncOutcome::list(async move {
                let mut set = set;
                let deadline = deadline_at_first_poll();
                let mut slots = vec![None; n];
                while let Some(next) = join_next_by(&mut set, deadline).await {
                    let slot = next?;
                    slots[slot.task()] = Some(slot);
                }
                Ok(slots.into_iter().flatten().collect())
            }),
            Mode::Ordered | Mode::Unordered => {
                let drain = Drain {
                    set,
                    awaits_on_drop: self.mutant == AsyncMutant::DropAwaits,
                };
                AsyncOutcome::stream(stream::unfold(
                    (Some(drain), None::<Option<Instant>>),
                    move |(drain, deadline)| async move {
                        let mut drain = drain?;
                        let deadline = deadline.unwrap_or_else(deadline_at_first_poll);
                        let next = join_next_by(&mut drain.set, deadline).await?;
                        let go_on = next.is_ok().then_some(drain);
                        Some((next, (go_on, Some(deadline))))
                    },
                ))
            }
        }
    }
}

/// The stream's set of tasks; the `drop-awaits` defect lives in its drop.
struct Drain {
    set: Set,
    awaits_on_drop: bool,
}

impl Drop for Drain {
    fn drop(&mut self) {
        if self.awaits_on_drop {
            // The defect: "don't leave tasks behind" — wait for every one of them.
            let set = &mut self.set;
            futures::executor::block_on(async { while set.join_next().await.is_some() {} });
        }
    }
}
