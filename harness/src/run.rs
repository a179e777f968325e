//! One case run in one mode, whichever clock ran it — real time ([`crate::runner`]) or the
//! reference's simulated driver — as one type: the trace and its verdicts. One fold
//! ([`crate::conformance::fold`]) turns runs of either kind into the conformance matrix.

use crate::case::Case;
use crate::model::Mode;
use crate::properties::{judge, Property, Verdict};
use crate::trace::{Answer, Event, Stamp, Trace};
use std::time::Duration;

/// How a run of cases is judged and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// The tolerance ε for every time-related property (0 in simulated time).
    pub epsilon: Duration,
    /// Added to each case's bound before the watchdog fires (spec §5).
    pub grace: Duration,
    /// How many times an inconclusive case is run again.
    pub max_retries: u32,
}

/// The default real-time tolerance.
pub const DEFAULT_EPSILON: Duration = Duration::from_millis(20);
/// The default grace the watchdog adds to a case's bound.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            epsilon: DEFAULT_EPSILON,
            grace: DEFAULT_GRACE,
            max_retries: 2,
        }
    }
}

impl RunConfig {
    /// The configuration of simulated time: ε = 0, the default grace, no retries (virtual time
    /// is never late).
    pub fn simulated() -> RunConfig {
        RunConfig {
            epsilon: Duration::ZERO,
            max_retries: 0,
            ..RunConfig::default()
        }
    }

    /// With tolerance `epsilon`.
    pub fn with_epsilon(epsilon: Duration) -> RunConfig {
        RunConfig {
            epsilon,
            ..RunConfig::default()
        }
    }
}

/// One case run in one mode: its trace and its verdicts.
#[derive(Debug, Clone)]
pub struct CaseRun {
    pub case: String,
    pub mode: Mode,
    pub trace: Trace,
    /// One verdict per property, in ID order.
    pub verdicts: Vec<(Property, Verdict)>,
    /// When the trace ends in the timeout error: how late it was seen against max(D, asked).
    pub timeout_lateness: Option<Duration>,
    /// How many times the case was run again because the harness was late.
    pub retries: u32,
    /// The harness's worst wake-up lateness during the final attempt (0 in simulated time).
    pub harness_lateness: Duration,
}

impl CaseRun {
    /// `trace`, a run of `case` in `mode`, judged at `epsilon`.
    pub fn judged(case: &Case, mode: Mode, trace: Trace, epsilon: Duration) -> CaseRun {
        let judgement = judge(&trace, epsilon);
        CaseRun {
            case: case.name.clone(),
            mode,
            trace,
            verdicts: judgement.verdicts,
            timeout_lateness: judgement.timeout_lateness,
            retries: 0,
            harness_lateness: Duration::ZERO,
        }
    }

    /// `trace`, a run of `case` in `mode` that cannot be judged, every property inconclusive
    /// for the reason `why`.
    pub fn inconclusive(case: &Case, mode: Mode, trace: Trace, why: &str) -> CaseRun {
        CaseRun {
            case: case.name.clone(),
            mode,
            trace,
            verdicts: Property::ALL
                .into_iter()
                .map(|p| (p, Verdict::inconclusive(why)))
                .collect(),
            timeout_lateness: None,
            retries: 0,
            harness_lateness: Duration::ZERO,
        }
    }

    /// The first failing property, if any (MUST or SHOULD).
    pub fn first_failure(&self) -> Option<&(Property, Verdict)> {
        self.verdicts.iter().find(|(_, v)| v.is_fail())
    }

    /// The verdict on `property`.
    pub fn verdict(&self, property: Property) -> Option<&Verdict> {
        self.verdicts
            .iter()
            .find(|(p, _)| *p == property)
            .map(|(_, v)| v)
    }

    /// When the consumer received the timeout error, if it did.
    pub fn timeout_seen_at(&self) -> Option<Stamp> {
        self.trace.events.iter().find_map(|e| match e.event {
            Event::Answered(Answer::Timeout) => Some(e.at),
            _ => None,
        })
    }
}
