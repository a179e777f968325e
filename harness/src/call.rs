//! One call as data: what its tasks do ([`TaskSpec`]), its parameters ([`CallParams`]) and how
//! the consumer pulls it ([`Consumer`]). Scenario files, the process protocol, traces, the
//! runners and the reference core all build from these; nothing restates them.

use crate::millis;
use crate::model::Mode;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What one task does, as data (scenario files and the process protocol use this form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TaskSpec {
    /// Sleep for `ms`, then return.
    Sleep {
        #[serde(with = "millis::duration")]
        ms: Duration,
    },
    /// Keep a CPU busy for `ms`, then return.
    Spin {
        #[serde(with = "millis::duration")]
        ms: Duration,
    },
    /// Never end by itself: block until the harness releases the case at teardown.
    Hang,
    /// Sleep for `ms`, then fail.
    Fail {
        #[serde(with = "millis::duration")]
        ms: Duration,
    },
    /// Sleep for `ms`, then fail by raising the language's own timeout error (Python's
    /// `TimeoutError`; in Rust a [`crate::TaskFailure`] marked as a timeout): the task's
    /// failure, which an executor must not mistake for its own timeout.
    RaiseTimeout {
        #[serde(with = "millis::duration")]
        ms: Duration,
    },
    /// Sleep for `ms`, but end early, as stopped, when the executor asks it to stop.
    CooperativeSleep {
        #[serde(with = "millis::duration")]
        ms: Duration,
    },
    /// Hang until the executor asks it to stop (or the harness releases the case).
    CooperativeHang,
    /// Run for `ms`, then kill the worker running it (worker death, a fault the suite
    /// injects): in-process, the worker's thread unwinds with a panic (which an executor may
    /// catch); in an adapter, the worker process exits abruptly. It never returns a result.
    KillWorker {
        #[serde(with = "millis::duration")]
        ms: Duration,
    },
}

impl TaskSpec {
    /// How long the task runs if nobody stops it; `None` for a task that hangs.
    pub fn duration(&self) -> Option<Duration> {
        match *self {
            TaskSpec::Sleep { ms }
            | TaskSpec::Spin { ms }
            | TaskSpec::Fail { ms }
            | TaskSpec::RaiseTimeout { ms }
            | TaskSpec::CooperativeSleep { ms }
            | TaskSpec::KillWorker { ms } => Some(ms),
            TaskSpec::Hang | TaskSpec::CooperativeHang => None,
        }
    }

    /// The same task with its duration replaced by `f(duration)` (a hang stays a hang).
    pub fn map_duration(&self, f: impl FnOnce(Duration) -> Duration) -> TaskSpec {
        match *self {
            TaskSpec::Sleep { ms } => TaskSpec::Sleep { ms: f(ms) },
            TaskSpec::Spin { ms } => TaskSpec::Spin { ms: f(ms) },
            TaskSpec::Fail { ms } => TaskSpec::Fail { ms: f(ms) },
            TaskSpec::RaiseTimeout { ms } => TaskSpec::RaiseTimeout { ms: f(ms) },
            TaskSpec::CooperativeSleep { ms } => TaskSpec::CooperativeSleep { ms: f(ms) },
            TaskSpec::KillWorker { ms } => TaskSpec::KillWorker { ms: f(ms) },
            TaskSpec::Hang => TaskSpec::Hang,
            TaskSpec::CooperativeHang => TaskSpec::CooperativeHang,
        }
    }

    /// Whether the task ends by failing (`fail`, `raise_timeout`).
    pub fn fails(&self) -> bool {
        matches!(self, TaskSpec::Fail { .. } | TaskSpec::RaiseTimeout { .. })
    }

    /// Whether the task fails by raising the language's own timeout error (`raise_timeout`).
    pub fn raises_timeout(&self) -> bool {
        matches!(self, TaskSpec::RaiseTimeout { .. })
    }

    pub fn is_cooperative(&self) -> bool {
        matches!(
            self,
            TaskSpec::CooperativeSleep { .. } | TaskSpec::CooperativeHang
        )
    }
}

/// One call's parameters (spec §1): how many tasks, how many workers, the timeout and the
/// return mode. The one type every part of overtime builds a call from: the runners, the
/// simulated driver, the reference core's configuration, the process protocol, the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallParams {
    pub n_tasks: usize,
    pub n_jobs: usize,
    #[serde(with = "millis::opt_duration")]
    pub timeout: Option<Duration>,
    pub mode: Mode,
}

/// How the harness's consumer pulls a lazy stream.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    /// Pause before the first pull (a consumer that starts late).
    #[serde(with = "millis::duration", default)]
    pub start_after_ms: Duration,
    /// Pause before every pull after the first (a slow consumer); zero for an eager one.
    #[serde(with = "millis::duration", default)]
    pub pause_ms: Duration,
    /// Drop the iteration after this many items (a consumer that stops early).
    #[serde(default)]
    pub drop_after: Option<usize>,
}

impl Consumer {
    /// How long the consumer pauses before pull `k` (0-based): `start_after_ms` before the
    /// first, `pause_ms` before each later one.
    pub fn pause_before(&self, k: usize) -> Duration {
        if k == 0 {
            self.start_after_ms
        } else {
            self.pause_ms
        }
    }

    /// Whether the consumer drops the iteration once it has received `delivered` items.
    pub fn drops_after(&self, delivered: usize) -> bool {
        self.drop_after.is_some_and(|k| delivered >= k)
    }
}
