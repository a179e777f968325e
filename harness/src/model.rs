//! The vocabulary of a call: return modes, timeout clocks, on-timeout behaviours and the
//! contract an executor declares. Names follow `specs/timeout-semantics.md` section 1.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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

/// When a failing task's error reaches the consumer (spec §1, *error order*).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorOrder {
    /// As soon as the task fails: the iteration raises at the first failure.
    #[default]
    FailFast,
    /// At the failing task's turn in input order: once every slot before it was delivered
    /// (List, Ordered). In Unordered mode a task's turn is its completion: as `FailFast`.
    InputOrder,
    /// Only once every task has ended (a List call that runs everything, then raises).
    AtEnd,
}

impl ErrorOrder {
    pub const ALL: [ErrorOrder; 3] = [
        ErrorOrder::FailFast,
        ErrorOrder::InputOrder,
        ErrorOrder::AtEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorOrder::FailFast => "fail_fast",
            ErrorOrder::InputOrder => "input_order",
            ErrorOrder::AtEnd => "at_end",
        }
    }
}

/// Where the `Overall` clock starts (spec §1, *deadline anchor*); the other clocks ignore it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineAnchor {
    /// At the call.
    #[default]
    Call,
    /// At the consumer's first pull (an iterator whose deadline is computed when it is first
    /// advanced, such as a generator). In List mode the first pull is the call.
    FirstPull,
}

impl DeadlineAnchor {
    pub const ALL: [DeadlineAnchor; 2] = [DeadlineAnchor::Call, DeadlineAnchor::FirstPull];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineAnchor::Call => "call",
            DeadlineAnchor::FirstPull => "first_pull",
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
display_as_str!(Mode, TimeoutClock, OnTimeout, ErrorOrder, DeadlineAnchor);

/// The timeout promise an executor makes: which clock, what happens when it fires, whether
/// running tasks are asked to stop on abort, when a task's error surfaces and where the
/// `Overall` clock starts. Every dimension after `on_timeout` has a default (spec §1), so a
/// contract is usually written `Contract { clock, on_timeout, ..Contract::default() }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    pub clock: TimeoutClock,
    pub on_timeout: OnTimeout,
    /// Whether it asks running tasks to stop on abort (judged by `P12 cancel_running`).
    #[serde(default)]
    pub cancels_running: bool,
    /// When a failing task's error reaches the consumer (judged by `P07 error_propagation`).
    #[serde(default)]
    pub error_order: ErrorOrder,
    /// Where the `Overall` clock starts.
    #[serde(default)]
    pub deadline_anchor: DeadlineAnchor,
}

impl Contract {
    /// The contract joblib documents: "Timeout limit for each task to complete"; every other
    /// dimension at its default.
    pub const JOBLIB_DOCUMENTED: Contract = Contract {
        clock: TimeoutClock::TaskRuntime,
        on_timeout: OnTimeout::Abort,
        cancels_running: false,
        error_order: ErrorOrder::FailFast,
        deadline_anchor: DeadlineAnchor::Call,
    };

    /// Every clock × on-timeout combination, with the given stop behaviour and every other
    /// dimension at its default.
    pub fn all(cancels_running: bool) -> Vec<Contract> {
        TimeoutClock::ALL
            .iter()
            .flat_map(|&clock| {
                OnTimeout::ALL.iter().map(move |&on_timeout| Contract {
                    clock,
                    on_timeout,
                    cancels_running,
                    ..Contract::default()
                })
            })
            .collect()
    }

    /// The dimensions after `on_timeout` whose value is not the default, as (name, value):
    /// `("error_order", "input_order")`. The deadline anchor counts only for the overall clock;
    /// `cancels_running` is left out (it says what P12 judges, not when anything is due).
    pub fn non_default_dimensions(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.error_order != ErrorOrder::default() {
            out.push(("error_order", self.error_order.as_str()));
        }
        if self.clock == TimeoutClock::Overall && self.deadline_anchor != DeadlineAnchor::default()
        {
            out.push(("deadline_anchor", self.deadline_anchor.as_str()));
        }
        out
    }
}

/// [`Contract::JOBLIB_DOCUMENTED`]: the task_runtime clock, abort, and every other dimension
/// at its default.
impl Default for Contract {
    fn default() -> Contract {
        Contract::JOBLIB_DOCUMENTED
    }
}

/// `task_runtime/abort`, then any dimension not at its default: `overall/abort/first_pull`.
impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.clock, self.on_timeout)?;
        for (_, value) in self.non_default_dimensions() {
            write!(f, "/{value}")?;
        }
        Ok(())
    }
}

/// What an executor declares about itself; the harness judges it against this.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// A short name, shown in reports (`reference`, `joblib-1.4.2-loky`, ...).
    pub name: String,
    /// The return modes it supports; the others are reported as not applicable.
    pub modes: Vec<Mode>,
    /// The contract of every mode without one of its own in `per_mode`.
    pub contract: Contract,
    /// A mode whose API keeps a different promise (another clock, another error order, …)
    /// declares its own contract here; [`Profile::contract_for`] reads it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_mode: BTreeMap<Mode, Contract>,
}

impl Profile {
    /// The contract a call in `mode` is judged against: the mode's own, else the profile's.
    pub fn contract_for(&self, mode: Mode) -> Contract {
        self.per_mode.get(&mode).copied().unwrap_or(self.contract)
    }

    /// Whether every supported mode keeps the same contract.
    pub fn one_contract(&self) -> bool {
        self.modes
            .iter()
            .all(|&m| self.contract_for(m) == self.contract)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_written_before_the_new_dimensions_reads_with_their_defaults() {
        let old: Contract = serde_json::from_str(
            r#"{"clock":"overall","on_timeout":"abort","cancels_running":true}"#,
        )
        .expect("reads");
        assert_eq!(old.error_order, ErrorOrder::FailFast);
        assert_eq!(old.deadline_anchor, DeadlineAnchor::Call);
        assert_eq!(old.to_string(), "overall/abort");
        let typo = serde_json::from_str::<Contract>(
            r#"{"clock":"overall","on_timeout":"abort","error_ordr":"at_end"}"#,
        );
        assert!(typo.is_err_and(|e| e.to_string().contains("error_ordr")));
    }

    #[test]
    fn a_contract_names_its_dimensions_away_from_their_defaults() {
        let c = Contract {
            clock: TimeoutClock::Overall,
            error_order: ErrorOrder::InputOrder,
            deadline_anchor: DeadlineAnchor::FirstPull,
            ..Contract::default()
        };
        assert_eq!(c.to_string(), "overall/abort/input_order/first_pull");
        // The anchor is the overall clock's: it says nothing under another clock.
        let task_runtime = Contract {
            clock: TimeoutClock::TaskRuntime,
            ..c
        };
        assert_eq!(task_runtime.to_string(), "task_runtime/abort/input_order");
    }

    #[test]
    fn a_profile_gives_each_mode_its_own_contract_or_the_common_one() {
        let unordered = Contract {
            clock: TimeoutClock::Overall,
            ..Contract::default()
        };
        let profile = Profile {
            name: "p".into(),
            modes: Mode::ALL.to_vec(),
            contract: Contract::default(),
            per_mode: BTreeMap::from([(Mode::Unordered, unordered)]),
        };
        assert_eq!(profile.contract_for(Mode::List), Contract::default());
        assert_eq!(profile.contract_for(Mode::Unordered), unordered);
        assert!(!profile.one_contract());
        let json = serde_json::to_string(&profile).unwrap_or_default();
        assert!(
            json.contains(r#""per_mode":{"unordered":{"clock":"overall""#),
            "{json}"
        );
        let back: Profile = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, profile);
    }
}
