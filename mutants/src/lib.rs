//! # overtime-mutants
//!
//! A zoo of executors that each carry one realistic timeout defect — the kind that ships in
//! real executors — so the suite's detection power is measured, not assumed. Most are the
//! reference core with one thing wrong ([`defective::Defective`], a wrapper at the core's
//! machine interface: the shipped core carries no defect switch); two are written
//! independently in the naive style people actually write ([`naive`]).
//!
//! `overtime check --executor mutant:<name>` runs one; `overtime zoo` writes the catch table.

pub mod defective;
pub mod naive;

use defective::Defective;
use overtime_harness::{
    Call, CallParams, Contract, ErrorOrder, Executor, Mode, OnTimeout, Outcome, Profile,
};
use overtime_reference::core::CoreConfig;
use overtime_reference::simulated::SimExecutor;
use overtime_reference::threaded::Job;
use overtime_reference::{jobs_of, run_jobs};
use std::sync::{Arc, Condvar, Mutex};

/// One defect, named as `overtime check --executor mutant:<name>` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mutant {
    UnorderedNeverTimesOut,
    ChecksAfterCompletion,
    PollsCoarsely,
    WrongStartInstant,
    Premature,
    LosesRacingResult,
    DuplicatesResult,
    OrderedOutOfOrder,
    DropBlocks,
    DispatchAfterAbort,
    ExceedsNJobs,
    ErrorSwallowed,
    LateErrorWins,
    ErrorWaitsForTheRest,
    NaiveCollectThenCompare,
    NaiveBlockingRecv,
    ZeroMeansNoTimeout,
    RestartsOnResult,
    WaitFromLastResult,
    DropWaitsForIdleWorkers,
}

impl Mutant {
    pub const ALL: [Mutant; 20] = [
        Mutant::UnorderedNeverTimesOut,
        Mutant::ChecksAfterCompletion,
        Mutant::PollsCoarsely,
        Mutant::WrongStartInstant,
        Mutant::Premature,
        Mutant::LosesRacingResult,
        Mutant::DuplicatesResult,
        Mutant::OrderedOutOfOrder,
        Mutant::DropBlocks,
        Mutant::DispatchAfterAbort,
        Mutant::ExceedsNJobs,
        Mutant::ErrorSwallowed,
        Mutant::LateErrorWins,
        Mutant::ErrorWaitsForTheRest,
        Mutant::NaiveCollectThenCompare,
        Mutant::NaiveBlockingRecv,
        Mutant::ZeroMeansNoTimeout,
        Mutant::RestartsOnResult,
        Mutant::WaitFromLastResult,
        Mutant::DropWaitsForIdleWorkers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mutant::UnorderedNeverTimesOut => "unordered-never-times-out",
            Mutant::ChecksAfterCompletion => "checks-after-completion",
            Mutant::PollsCoarsely => "polls-coarsely",
            Mutant::WrongStartInstant => "wrong-start-instant",
            Mutant::Premature => "premature",
            Mutant::LosesRacingResult => "loses-racing-result",
            Mutant::DuplicatesResult => "duplicates-result",
            Mutant::OrderedOutOfOrder => "ordered-out-of-order",
            Mutant::DropBlocks => "drop-blocks",
            Mutant::DispatchAfterAbort => "dispatch-after-abort",
            Mutant::ExceedsNJobs => "exceeds-n-jobs",
            Mutant::ErrorSwallowed => "error-swallowed",
            Mutant::LateErrorWins => "late-error-wins",
            Mutant::ErrorWaitsForTheRest => "error-waits-for-the-rest",
            Mutant::NaiveCollectThenCompare => "naive-collect-then-compare",
            Mutant::NaiveBlockingRecv => "naive-blocking-recv",
            Mutant::ZeroMeansNoTimeout => "zero-means-no-timeout",
            Mutant::RestartsOnResult => "restarts-on-result",
            Mutant::WaitFromLastResult => "wait-from-last-result",
            Mutant::DropWaitsForIdleWorkers => "drop-waits-for-idle-workers",
        }
    }

    /// The defect in one sentence.
    pub fn about(self) -> &'static str {
        match self {
            Mutant::UnorderedNeverTimesOut => {
                "joblib #1586: in unordered mode no clock runs on pending tasks"
            }
            Mutant::ChecksAfterCompletion => "the timeout is only checked when some task completes",
            Mutant::PollsCoarsely => "the consumer checks its deadline in a 50 ms polling loop",
            Mutant::WrongStartInstant => {
                "the overall clock starts at the consumer's first pull, not at the call"
            }
            Mutant::Premature => "the timers run at twice the speed: timeouts fire at T/2",
            Mutant::LosesRacingResult => {
                "when a timeout fires, results completed but not yet delivered are dropped"
            }
            Mutant::DuplicatesResult => "the first result is delivered twice",
            Mutant::OrderedOutOfOrder => "ordered mode is built on the completion-order path",
            Mutant::DropBlocks => "dropping the iteration waits for the running tasks",
            Mutant::DispatchAfterAbort => "after an abort, tasks not yet started still start",
            Mutant::ExceedsNJobs => "the pool runs n_jobs + 1 tasks at once",
            Mutant::ErrorSwallowed => "in unordered mode a failing task's error is swallowed",
            Mutant::LateErrorWins => {
                "a task error that arrives after the call timed out replaces the timeout at the next pull"
            }
            Mutant::ErrorWaitsForTheRest => {
                "declares errors at their turn in input order, but raises one only once no task is running"
            }
            Mutant::NaiveCollectThenCompare => {
                "naive: collect every result, then compare the elapsed time to the timeout"
            }
            Mutant::NaiveBlockingRecv => {
                "naive: a worker pool whose consumer blocks in a plain receive and joins on drop"
            }
            Mutant::ZeroMeansNoTimeout => {
                "a timeout of 0 is read as \"no timeout\" (a falsy zero), not as \"expire at once\""
            }
            Mutant::RestartsOnResult => {
                "the task clock restarts whenever a task completes, so a hung task's timeout \
                 starves while results keep arriving"
            }
            Mutant::WaitFromLastResult => {
                "a result wait is timed from the previous result's delivery, not from the \
                 consumer's ask"
            }
            Mutant::DropWaitsForIdleWorkers => {
                "dropping the iteration joins every worker the pool was sized for, also those \
                 never started (more workers than tasks)"
            }
        }
    }

    /// Looks a mutant up by name.
    pub fn parse(name: &str) -> Option<Mutant> {
        Mutant::ALL.into_iter().find(|m| m.name() == name)
    }

    /// What the mutant declares: it promises the contract its defect breaks.
    pub fn contract(self) -> Contract {
        match self {
            Mutant::NaiveCollectThenCompare | Mutant::NaiveBlockingRecv => Contract {
                clock: overtime_harness::TimeoutClock::Overall,
                on_timeout: OnTimeout::Abort,
                cancels_running: false,
                ..Contract::default()
            },
            Mutant::LosesRacingResult => Contract {
                clock: defective::declared_clock(self),
                on_timeout: OnTimeout::PerTask,
                cancels_running: true,
                ..Contract::default()
            },
            Mutant::ErrorWaitsForTheRest => Contract {
                clock: defective::declared_clock(self),
                on_timeout: OnTimeout::Abort,
                cancels_running: true,
                error_order: ErrorOrder::InputOrder,
                ..Contract::default()
            },
            _ => Contract {
                clock: defective::declared_clock(self),
                on_timeout: OnTimeout::Abort,
                cancels_running: true,
                ..Contract::default()
            },
        }
    }

    /// Whether the defect lives in the core's logic (and so also runs in simulated time).
    pub fn is_core_defect(self) -> bool {
        !matches!(
            self,
            Mutant::DropBlocks
                | Mutant::DuplicatesResult
                | Mutant::NaiveCollectThenCompare
                | Mutant::NaiveBlockingRecv
                | Mutant::DropWaitsForIdleWorkers
        )
    }
}

/// A mutant whose defect lives in the core's logic, run by the simulated driver (virtual time,
/// ε = 0): the same [`Defective`] machine the threaded driver runs.
#[derive(Debug, Clone, Copy)]
pub struct SimulatedMutant {
    mutant: Mutant,
}

impl SimulatedMutant {
    /// The simulated form of `mutant`, if its defect is in the core (not in a stream wrapper or
    /// a naive executor of its own).
    pub fn new(mutant: Mutant) -> Option<SimulatedMutant> {
        mutant
            .is_core_defect()
            .then_some(SimulatedMutant { mutant })
    }
}

impl SimExecutor for SimulatedMutant {
    type Machine = Defective;

    fn simulated_profile(&self) -> Profile {
        MutantExecutor::new(self.mutant).profile()
    }

    fn start(&self, call: &CallParams) -> Defective {
        Defective::new(self.mutant, CoreConfig::new(*call, self.mutant.contract()))
    }
}

/// An executor carrying one [`Mutant`] defect.
#[derive(Debug, Clone, Copy)]
pub struct MutantExecutor {
    pub mutant: Mutant,
}

impl MutantExecutor {
    pub fn new(mutant: Mutant) -> MutantExecutor {
        MutantExecutor { mutant }
    }
}

impl Executor for MutantExecutor {
    fn profile(&self) -> Profile {
        Profile {
            name: format!("mutant:{}", self.mutant.name()),
            modes: Mode::ALL.to_vec(),
            contract: self.mutant.contract(),
            ..Profile::default()
        }
    }

    fn run(&self, call: Call) -> Outcome {
        let config = CoreConfig::new(call.params(), self.mutant.contract());
        match self.mutant {
            Mutant::NaiveCollectThenCompare => naive::collect_then_compare(call),
            Mutant::NaiveBlockingRecv => naive::blocking_recv(call),
            Mutant::DropBlocks => drop_blocks(config, call),
            Mutant::DropWaitsForIdleWorkers => drop_waits_for_idle_workers(config, call),
            Mutant::DuplicatesResult => duplicate_first(run_jobs(
                overtime_reference::core::Core::new(config),
                jobs_of(call.tasks),
                call.mode,
            )),
            defect => run_jobs(
                Defective::new(defect, config),
                jobs_of(call.tasks),
                call.mode,
            ),
        }
    }
}

/// The reference executor's answer with its first result delivered twice — a retry path that
/// re-yields the last result it handed out.
fn duplicate_first(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::List(Ok(mut slots)) => {
            if let Some(&first) = slots.first() {
                slots.insert(1, first);
            }
            Outcome::List(Ok(slots))
        }
        Outcome::Stream(mut inner) => {
            let mut replay = None;
            let mut replayed = false;
            Outcome::Stream(Box::new(std::iter::from_fn(move || {
                if let (Some(slot), false) = (replay, replayed) {
                    replayed = true;
                    return Some(Ok(slot));
                }
                let next = inner.next();
                if let Some(Ok(slot)) = &next {
                    replay.get_or_insert(*slot);
                }
                next
            })))
        }
        list => list,
    }
}

/// The reference core, with a stream that on drop waits until no task is running — a pool
/// joined on drop. With a hung task, the drop never returns.
fn drop_blocks(config: CoreConfig, call: Call) -> Outcome {
    let running = Arc::new((Mutex::new(0usize), Condvar::new()));
    let jobs: Vec<Job> = jobs_of(call.tasks)
        .into_iter()
        .map(|job| -> Job {
            let running = Arc::clone(&running);
            Box::new(move |stop| {
                *running.0.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                let result = job(stop);
                *running.0.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
                running.1.notify_all();
                result
            })
        })
        .collect();
    match run_jobs(overtime_reference::core::Core::new(config), jobs, call.mode) {
        Outcome::Stream(inner) => Outcome::Stream(Box::new(JoinOnDrop { inner, running })),
        list => list,
    }
}

/// The reference core, with a stream that on drop joins every worker the pool was sized for:
/// it waits until `n_jobs` workers have started a task, which never happens with more workers
/// than tasks. Bounded at [`IDLE_JOIN_LIMIT`], as a join with a timeout would be.
fn drop_waits_for_idle_workers(config: CoreConfig, call: Call) -> Outcome {
    let n_jobs = config.call.n_jobs;
    let started = Arc::new((Mutex::new(0usize), Condvar::new()));
    let jobs: Vec<Job> = jobs_of(call.tasks)
        .into_iter()
        .map(|job| -> Job {
            let started = Arc::clone(&started);
            Box::new(move |stop| {
                *started.0.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                started.1.notify_all();
                job(stop)
            })
        })
        .collect();
    match run_jobs(overtime_reference::core::Core::new(config), jobs, call.mode) {
        Outcome::Stream(inner) => Outcome::Stream(Box::new(JoinWorkersOnDrop {
            inner,
            started,
            n_jobs,
        })),
        list => list,
    }
}

/// How long [`Mutant::DropWaitsForIdleWorkers`]'s drop waits for workers that never come.
pub const IDLE_JOIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

struct JoinWorkersOnDrop {
    inner: Box<dyn Iterator<Item = overtime_harness::SlotResult>>,
    started: Arc<(Mutex<usize>, Condvar)>,
    n_jobs: usize,
}

impl Iterator for JoinWorkersOnDrop {
    type Item = overtime_harness::SlotResult;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl Drop for JoinWorkersOnDrop {
    fn drop(&mut self) {
        let (count, cv) = &*self.started;
        let guard = count.lock().unwrap_or_else(|e| e.into_inner());
        let _ = cv
            .wait_timeout_while(guard, IDLE_JOIN_LIMIT, |n| *n < self.n_jobs)
            .unwrap_or_else(|e| e.into_inner());
    }
}

struct JoinOnDrop {
    inner: Box<dyn Iterator<Item = overtime_harness::SlotResult>>,
    running: Arc<(Mutex<usize>, Condvar)>,
}

impl Iterator for JoinOnDrop {
    type Item = overtime_harness::SlotResult;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        let (count, cv) = &*self.running;
        let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
        while *n > 0 {
            n = cv.wait(n).unwrap_or_else(|e| e.into_inner());
        }
    }
}
