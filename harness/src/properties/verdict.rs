//! What judging a property gives: a [`Verdict`] with its evidence, and each rule's row of the
//! property table ([`Rule`]).

use super::facts::Facts;
use serde::{Deserialize, Serialize};

/// Whether a property must hold for conformance, or only should.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Must,
    Should,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }
}

/// The outcome of judging one property on one trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Pass,
    Fail,
    /// The harness itself was late; the case could not be judged.
    Inconclusive,
    NotApplicable,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Pass => "pass",
            VerdictKind::Fail => "fail",
            VerdictKind::Inconclusive => "inconclusive",
            VerdictKind::NotApplicable => "not_applicable",
        }
    }
}

/// A verdict with its evidence: one sentence with the numbers (empty for a plain pass).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub evidence: String,
}

impl Verdict {
    pub fn pass(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::Pass,
            evidence: evidence.into(),
        }
    }
    pub fn fail(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::Fail,
            evidence: evidence.into(),
        }
    }
    pub fn inconclusive(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::Inconclusive,
            evidence: evidence.into(),
        }
    }
    pub fn not_applicable(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::NotApplicable,
            evidence: evidence.into(),
        }
    }
    pub fn is_fail(&self) -> bool {
        self.verdict == VerdictKind::Fail
    }
}

/// One property's row of the table: what it is called, how much it binds, what it promises,
/// and its rule.
pub(crate) struct Rule {
    /// The spec's stable ID: `P01`, `P02`, …
    pub id: &'static str,
    /// The name used in code, test names and report columns.
    pub name: &'static str,
    pub level: Level,
    /// One line: what the property promises.
    pub summary: &'static str,
    pub judge: fn(&Facts) -> Verdict,
}
