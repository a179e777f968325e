//! The vocabulary of a call: return modes, timeout clocks, on-timeout behaviours and the
//! contract an executor declares. Names follow `specs/timeout-semantics.md` section 1.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a call hands its results back (spec §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// All results at once, in input order, or one error.
    List,
    /// A lazy stream in input order.
    Ordered,
    /// A lazy stream in completion order.
    Unordered,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::List, Mode::Ordered, Mode::Unordered];

    /// True for the modes that deliver in input order.
    pub fn keeps_input_order(self) -> bool {
        matches!(self, Mode::List | Mode::Ordered)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Ordered => "ordered",
            Mode::Unordered => "unordered",
        }
    }
}

/// What the timeout measures (spec §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutClock {
    /// Each task, from its own start.
    TaskRuntime,
    /// Each wait of the consumer for its next result.
    ResultWait,
    /// The whole call, from the instant it is made.
    Overall,
}

impl TimeoutClock {
    pub const ALL: [TimeoutClock; 3] = [
        TimeoutClock::TaskRuntime,
        TimeoutClock::ResultWait,
        TimeoutClock::Overall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutClock::TaskRuntime => "task_runtime",
            TimeoutClock::ResultWait => "result_wait",
            TimeoutClock::Overall => "overall",
        }
    }
}

/// What happens when the timeout fires (spec §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// The iteration raises; tasks not yet started never start; running tasks are asked to stop.
    Abort,
    /// The timed-out task's slot yields a timed-out marker and the other tasks go on.
    PerTask,
}

impl OnTimeout {
    pub const ALL: [OnTimeout; 2] = [OnTimeout::Abort, OnTimeout::PerTask];

    pub fn as_str(self) -> &'static str {
        match self {
            OnTimeout::Abort => "abort",
            OnTimeout::PerTask => "per_task",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(Mode, TimeoutClock, OnTimeout);

/// The timeout promise an executor makes: which clock, what happens when it fires, and
/// whether running tasks are asked to stop on abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contract {
    pub clock: TimeoutClock,
    pub on_timeout: OnTimeout,
    /// Whether it asks running tasks to stop on abort (judged by `P12 cancel_running`).
    pub cancels_running: bool,
}

impl Contract {
    /// The contract joblib documents: "Timeout limit for each task to complete".
    pub const JOBLIB_DOCUMENTED: Contract = Contract {
        clock: TimeoutClock::TaskRuntime,
        on_timeout: OnTimeout::Abort,
        cancels_running: false,
    };

    /// Every clock × on-timeout combination, with the given stop behaviour.
    pub fn all(cancels_running: bool) -> Vec<Contract> {
        TimeoutClock::ALL
            .iter()
            .flat_map(|&clock| {
                OnTimeout::ALL.iter().map(move |&on_timeout| Contract {
                    clock,
                    on_timeout,
                    cancels_running,
                })
            })
            .collect()
    }
}

impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.clock, self.on_timeout)
    }
}

/// What an executor declares about itself; the harness judges it against this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// A short name, shown in reports (`reference`, `joblib-1.4.2-loky`, ...).
    pub name: String,
    /// The return modes it supports; the others are reported as not applicable.
    pub modes: Vec<Mode>,
    pub contract: Contract,
}
