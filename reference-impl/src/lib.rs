//! # overtime-reference
//!
//! overtime's reference executor: every return mode, every timeout clock, both on-timeout
//! behaviours, errors fail-fast or at their turn in input order, the overall clock anchored at
//! the call or at the first pull, with the semantics the harness judges — it is the executor
//! the spec is checked against.
//!
//! ```
//! use overtime_harness::{Contract, Executor, OnTimeout, TimeoutClock};
//! use overtime_reference::ReferenceExecutor;
//!
//! // joblib's documented promise: each task from its own start; the iteration raises.
//! let reference = ReferenceExecutor::default();
//! assert_eq!(reference.profile().name, "reference");
//!
//! // Any other contract; `ReferenceExecutor::all()` makes the six.
//! let per_task = ReferenceExecutor::new(Contract {
//!     clock: TimeoutClock::ResultWait,
//!     on_timeout: OnTimeout::PerTask,
//!     ..Contract::default()
//! });
//! assert_eq!(per_task.profile().name, "reference/result_wait/per_task");
//!
//! // A call: three short tasks on two workers, pulled lazily in input order.
//! use overtime_harness::{Call, Gate, Mode, Outcome, Recorder, Task, TaskSpec};
//! use std::time::Duration;
//! let (recorder, gate) = (Recorder::new(), Gate::new());
//! let spec = TaskSpec::Sleep { ms: Duration::from_millis(1) };
//! let tasks = (0..3)
//!     .map(|i| Task::new(i, spec.clone(), recorder.clone(), gate.clone()))
//!     .collect();
//! let call = Call { tasks, n_jobs: 2, timeout: Some(Duration::from_secs(5)), mode: Mode::Ordered };
//! let Outcome::Stream(stream) = reference.run(call) else { unreachable!("a lazy mode") };
//! let order: Vec<usize> = stream.map(|slot| slot.map(|s| s.task())).collect::<Result<_, _>>()?;
//! assert_eq!(order, [0, 1, 2]);
//! # Ok::<(), overtime_harness::CallError>(())
//! ```
//!
//! It is built as a deterministic core and thin drivers (sans-IO, like quinn-proto):
//!
//! - [`core`]: the state machine, with time as an input and timers as outputs; all the logic
//!   and the normative tie rules live there.
//! - [`threaded`]: runs the core on threads; [`clock`] injects its time; [`sync`] is where its
//!   mutex, condvar, atomics and threads come from (`std`, or `loom` under `--cfg loom`).
//! - [`simulated`]: runs a call's machine in discrete-event virtual time, deterministically and
//!   without threads, for exact (ε = 0) judging and generated workloads.

pub mod clock;
pub mod core;
pub mod machine;
pub mod simulated;
pub mod sync;
pub mod threaded;

use crate::clock::RealClock;
use crate::core::{Core, CoreConfig};
use crate::machine::Machine;
use crate::threaded::{Job, ThreadedCall};
use overtime_harness::{
    Call, Contract, DeadlineAnchor, ErrorOrder, Executor, Mode, OnTimeout, Outcome, Profile, Task,
    TimeoutClock,
};

/// The reference executor, for one contract. Each call runs on its own threads
/// ([`threaded`]), so the executor is reusable after any call, even one left with hung tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceExecutor {
    contract: Contract,
    window: Option<usize>,
    name: String,
}

impl ReferenceExecutor {
    /// joblib's documented contract: each task from its own start; abort on timeout.
    pub const DEFAULT_CONTRACT: Contract = Contract {
        clock: TimeoutClock::TaskRuntime,
        on_timeout: OnTimeout::Abort,
        cancels_running: true,
        ..Contract::JOBLIB_DOCUMENTED
    };

    /// The executor keeping `contract`'s clock, on-timeout behaviour, error order and deadline
    /// anchor, named `reference` for [`Self::DEFAULT_CONTRACT`] and `reference/<contract>`
    /// otherwise (`reference/overall/abort/input_order`). It always asks running tasks to stop,
    /// so it declares `cancels_running: true` whatever `contract` says; it does not keep the
    /// `at_end` error order and declares `input_order` instead (its errors come at their turn).
    pub fn new(contract: Contract) -> ReferenceExecutor {
        let error_order = match contract.error_order {
            ErrorOrder::AtEnd => ErrorOrder::InputOrder,
            order => order,
        };
        let contract = Contract {
            cancels_running: true,
            error_order,
            ..contract
        };
        let name = if contract == Self::DEFAULT_CONTRACT {
            "reference".to_string()
        } else {
            format!("reference/{contract}")
        };
        ReferenceExecutor {
            contract,
            window: None,
            name,
        }
    }

    /// Sets the lazy modes' window (tasks dispatched but not yet delivered; at least 1).
    /// Default: [`CoreConfig::default_window`], `2 × n_jobs`.
    pub fn with_window(mut self, window: usize) -> ReferenceExecutor {
        self.window = Some(window);
        self
    }

    pub fn contract(&self) -> Contract {
        self.contract
    }

    /// The six contracts it keeps: every clock with both on-timeout behaviours.
    pub fn all_contracts() -> Vec<Contract> {
        Contract::all(true)
    }

    /// One executor per contract, in [`Self::all_contracts`] order.
    pub fn all() -> Vec<ReferenceExecutor> {
        Self::all_contracts()
            .into_iter()
            .map(ReferenceExecutor::new)
            .collect()
    }

    /// The contracts of [`Self::all`] with a dimension other than the clock and the
    /// on-timeout behaviour away from its default: every one with errors at their turn in
    /// input order, and the overall clock anchored at the first pull under both behaviours.
    pub fn other_dimensions() -> Vec<ReferenceExecutor> {
        let input_order = Self::all_contracts().into_iter().map(|c| Contract {
            error_order: ErrorOrder::InputOrder,
            ..c
        });
        let first_pull = OnTimeout::ALL.into_iter().map(|on_timeout| Contract {
            clock: TimeoutClock::Overall,
            on_timeout,
            deadline_anchor: DeadlineAnchor::FirstPull,
            ..Self::DEFAULT_CONTRACT
        });
        input_order
            .chain(first_pull)
            .map(ReferenceExecutor::new)
            .collect()
    }

    /// [`Self::all`] and [`Self::other_dimensions`]: every contract the reference keeps that
    /// the tests run.
    pub fn every_dimension() -> Vec<ReferenceExecutor> {
        let mut all = Self::all();
        all.extend(Self::other_dimensions());
        all
    }
}

impl Default for ReferenceExecutor {
    fn default() -> Self {
        ReferenceExecutor::new(Self::DEFAULT_CONTRACT)
    }
}

impl Executor for ReferenceExecutor {
    fn profile(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            modes: Mode::ALL.to_vec(),
            contract: self.contract,
            ..Profile::default()
        }
    }

    /// List mode blocks until the answer; the lazy modes return at once, the work going on in
    /// the call's threads as the stream is pulled.
    fn run(&self, call: Call) -> Outcome {
        let mut config = CoreConfig::new(call.params(), self.contract);
        if let Some(window) = self.window {
            config.window = window;
        }
        run_jobs(Core::new(config), jobs_of(call.tasks), call.mode)
    }
}

/// The harness's tasks as the threaded driver's jobs.
pub fn jobs_of(tasks: Vec<Task>) -> Vec<Job> {
    tasks
        .into_iter()
        .map(|task| -> Job { Box::new(move |stop| task.run(stop)) })
        .collect()
}

/// Runs `jobs` with `machine` (made for `jobs.len()` tasks, now) on the threaded driver and
/// the real clock: List mode blocks until the answer; the lazy modes return a stream at once.
pub fn run_jobs<M: Machine>(machine: M, jobs: Vec<Job>, mode: Mode) -> Outcome {
    let running = ThreadedCall::start_machine(machine, jobs, RealClock::new());
    match mode {
        Mode::List => Outcome::List(running.wait_list()),
        Mode::Ordered | Mode::Unordered => Outcome::Stream(Box::new(running)),
    }
}
