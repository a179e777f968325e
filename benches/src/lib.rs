//! # overtime-benches
//!
//! Measurements of overtime's executors and harness, shared by the `cargo bench` targets
//! (divan) and by the `perf-report` binary that writes `reports/perf.md`:
//!
//! - [`lateness`]: how late a timeout is seen against its due time, per executor, mode and
//!   clock, read from the harness's own traces.
//! - [`throughput`]: many short tasks through each executor against rayon's
//!   `par_iter().map().collect()` on a pool of the same size.
//! - [`memory`]: peak RSS of one big call, measured in a child process.
//! - [`harness_speed`]: simulated case runs per second and the real-time suite's wall time.
//! - [`asynchronous`]: the async reference's lateness beside the threaded one, and paused
//!   time's speed.
//! - [`load`]: the machine's load average, and spinning threads that oversubscribe it.
//!
//! [`Subject`] names the executors measured.

pub mod asynchronous;
pub mod harness_speed;
pub mod lateness;
pub mod load;
pub mod memory;
pub mod throughput;

use overtime_harness::{
    CallError, CallParams, Contract, Executor, Mode, OnTimeout, Outcome, TimeoutClock,
};
use overtime_rayon::RayonExecutor;
use overtime_reference::core::{Core, CoreConfig};
use overtime_reference::ReferenceExecutor;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A task body both executors run (their `Job` types are the same boxed closure).
pub type Job = overtime_rayon::Job;

/// An executor under measurement, with the `abort` behaviour and one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Reference(TimeoutClock),
    Rayon(TimeoutClock),
    /// The rayon executor with List mode's leaves left to rayon's adaptive splitting.
    RayonAdaptive(TimeoutClock),
}

impl Subject {
    /// Both executors with every clock.
    pub fn all() -> Vec<Subject> {
        TimeoutClock::ALL
            .into_iter()
            .flat_map(|c| [Subject::Reference(c), Subject::Rayon(c)])
            .collect()
    }

    pub fn executor_name(self) -> &'static str {
        match self {
            Subject::Reference(_) => "reference",
            Subject::Rayon(_) => "rayon",
            Subject::RayonAdaptive(_) => "rayon, adaptive leaves",
        }
    }

    pub fn clock(self) -> TimeoutClock {
        match self {
            Subject::Reference(c) | Subject::Rayon(c) | Subject::RayonAdaptive(c) => c,
        }
    }

    /// The executor, as the harness runs it.
    pub fn executor(self) -> Arc<dyn Executor> {
        match self {
            Subject::Reference(clock) => Arc::new(ReferenceExecutor::new(Contract {
                clock,
                on_timeout: OnTimeout::Abort,
                cancels_running: true,
                ..Contract::default()
            })),
            Subject::Rayon(clock) => Arc::new(RayonExecutor::new(clock)),
            Subject::RayonAdaptive(clock) => {
                Arc::new(RayonExecutor::new(clock).with_list_leaf(None))
            }
        }
    }

    /// Runs raw jobs (no harness instrumentation) as one call.
    pub fn run_jobs(
        self,
        jobs: Vec<Job>,
        n_jobs: usize,
        timeout: Option<Duration>,
        mode: Mode,
    ) -> Outcome {
        match self {
            Subject::Reference(clock) => {
                let contract = Contract {
                    clock,
                    on_timeout: OnTimeout::Abort,
                    cancels_running: true,
                    ..Contract::default()
                };
                let config = CoreConfig::new(
                    CallParams {
                        n_tasks: jobs.len(),
                        n_jobs,
                        timeout,
                        mode,
                    },
                    contract,
                );
                overtime_reference::run_jobs(Core::new(config), jobs, mode)
            }
            Subject::Rayon(clock) => {
                RayonExecutor::new(clock).run_jobs(jobs, n_jobs, timeout, mode)
            }
            Subject::RayonAdaptive(clock) => RayonExecutor::new(clock)
                .with_list_leaf(None)
                .run_jobs(jobs, n_jobs, timeout, mode),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.executor_name(), self.clock())
    }
}

/// Pulls every slot of `outcome`, calling `each` after every slot; the number of slots.
pub fn drain(outcome: Outcome, mut each: impl FnMut()) -> Result<usize, CallError> {
    match outcome {
        Outcome::List(slots) => {
            let slots = slots?;
            for _ in &slots {
                each();
            }
            Ok(slots.len())
        }
        Outcome::Stream(stream) => {
            let mut n = 0;
            for slot in stream {
                slot?;
                each();
                n += 1;
            }
            Ok(n)
        }
    }
}

/// Milliseconds with three decimals, for tables.
pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}
