//! The spec's properties as pure functions of a trace and ε (spec §3, §4): the checker.
//!
//! [`judge`] takes a [`Trace`] — which carries the declared [`crate::Contract`] — and the
//! tolerance ε, and returns a [`Verdict`] per [`Property`]. Nothing here looks at a clock: the
//! same functions judge real-time traces (ε > 0) and simulated ones (ε = 0, exact).
//!
//! How it is laid out, so that a property is one file:
//!
//! - `timeline`: the trace's events by task and by pull; `due`: where the contract's deadlines
//!   fall and which became obligations; `facts`: both, with the first failure, the liveness
//!   cut, abandonment and abort instants, computed once per trace.
//! - `error_due`: which task failures count, and when the declared error order makes the
//!   owed error due (the failure, its turn in input order, or the end of every task).
//! - `p01_liveness` … `p15_progress`: one rule each, with its row of the table (ID,
//!   name, level, summary) and its failing traces as tests.
//! - `evidence`: the wording the rules share, so every failure says things the same way.
//! - `marks`: the due times, the cut and the abort of a trace, for reports that draw it.
//!
//! Adding a property is one new file and one line in the table below.

mod anchors;
mod due;
mod error_due;
mod evidence;
mod facts;
mod guard_band;
mod margins;
mod marks;
mod ties;
mod timeline;
mod verdict;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use anchors::{anchor_gaps, Anchor, AnchorGap};
pub use guard_band::{excess, guard_band, within_noise, Noise};
pub use margins::{hairs, Hair};
pub use marks::{marks, DueMark, Marks};
pub use ties::near_tie;
pub use verdict::{Level, Verdict, VerdictKind};

use crate::trace::Trace;
use facts::Facts;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;
use verdict::Rule;

/// Declares the properties: their modules, the [`Property`] enum and its table of rules, in
/// ID order.
macro_rules! properties {
    ($($variant:ident => $file:ident),+ $(,)?) => {
        $(mod $file;)+

        /// A named, numbered rule of the spec. `id()` is stable and cited by tests and reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Property {
            $($variant),+
        }

        impl Property {
            /// Every property, in ID order.
            pub const ALL: [Property; properties!(@count $($variant)+)] =
                [$(Property::$variant),+];

            fn rule(self) -> &'static Rule {
                match self {
                    $(Property::$variant => &$file::RULE),+
                }
            }
        }
    };
    (@count) => { 0 };
    (@count $head:ident $($tail:ident)*) => { 1 + properties!(@count $($tail)*) };
}

properties! {
    Liveness => p01_liveness,
    NoPremature => p02_no_premature,
    PartialResults => p03_partial_results,
    ExactlyOnce => p04_exactly_once,
    Order => p05_order,
    CompletionOrder => p06_completion_order,
    ErrorPropagation => p07_error_propagation,
    AbortStopsDispatch => p08_abort_stops_dispatch,
    BoundedConcurrency => p09_bounded_concurrency,
    DropReturns => p10_drop_returns,
    Reusable => p11_reusable,
    CancelRunning => p12_cancel_running,
    TimeoutPrecedence => p13_timeout_precedence,
    SurvivesWorkerDeath => p14_survives_worker_death,
    Progress => p15_progress,
}

impl Property {
    /// The spec's stable ID, `P01`, `P02`, …
    pub fn id(self) -> &'static str {
        self.rule().id
    }

    /// The name used in code, test names and report columns.
    pub fn name(self) -> &'static str {
        self.rule().name
    }

    pub fn level(self) -> Level {
        self.rule().level
    }

    /// One line: what the property promises.
    pub fn summary(self) -> &'static str {
        self.rule().summary
    }

    /// `P01 liveness`.
    pub fn label(self) -> String {
        format!("{} {}", self.id(), self.name())
    }

    /// Looks a property up by ID (`P01`, any case) or name (`liveness`).
    pub fn parse(text: &str) -> Option<Property> {
        Property::ALL
            .into_iter()
            .find(|p| p.id().eq_ignore_ascii_case(text) || p.name() == text)
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.name())
    }
}

/// Written as its name (`"liveness"`), as reports show it.
impl Serialize for Property {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Read from its name or its ID (`"liveness"`, `"P01"`).
impl<'de> Deserialize<'de> for Property {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Property, D::Error> {
        let text = String::deserialize(d)?;
        Property::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown property {text:?}: write its ID (P01 … P{:02}) or its name (liveness, …)",
                Property::ALL.len()
            ))
        })
    }
}

/// Every property's verdict on one trace, and how late its timeout error was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// One verdict per property, in ID order.
    pub verdicts: Vec<(Property, Verdict)>,
    /// When the trace ends in the timeout error (Abort): how late it was seen against
    /// max(D, asked).
    pub timeout_lateness: Option<Duration>,
}

/// Judges every property on `trace` with tolerance `epsilon`.
pub fn judge(trace: &Trace, epsilon: Duration) -> Judgement {
    let facts = Facts::of(trace, epsilon);
    Judgement {
        verdicts: Property::ALL
            .into_iter()
            .map(|p| (p, (p.rule().judge)(&facts)))
            .collect(),
        timeout_lateness: facts.timeout_lateness(),
    }
}

/// Judges one property on `trace` with tolerance `epsilon`.
pub fn judge_property(trace: &Trace, epsilon: Duration, property: Property) -> Verdict {
    (property.rule().judge)(&Facts::of(trace, epsilon))
}
