//! Clock anchors: for every timeout a trace owes, the instant its clock should have started
//! from (the *correct* anchor, due time − T) and the instants a defective clock plausibly
//! starts or restarts from instead (wrong anchors). A clock anchored at a wrong instant misses
//! its due time by exactly the distance between the two, so a suite only catches such a defect
//! when some case puts that distance well beyond ε. The catalogue's test of anchor separation
//! reads these from simulated runs of the reference.

use super::due::{Obligation, Target};
use super::facts::Facts;
use crate::model::{Contract, DeadlineAnchor, Mode, TimeoutClock};
use crate::trace::{Answer, Stamp, Trace};
use std::fmt;
use std::time::Duration;

/// An instant a timeout's clock may (wrongly or rightly) be started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Anchor {
    /// The instant the call was made.
    Call,
    /// The consumer's first pull (List: the call).
    FirstPull,
    /// The start of the task the timeout is owed to.
    TaskStart,
    /// When the task the timeout is owed to became head of line: the previous slot in input
    /// order was delivered (Ordered) or completed (List).
    HeadOfLine,
    /// The latest completion of any task before the due time (a clock that restarts
    /// whenever a task completes).
    PreviousCompletion,
    /// When the pull waiting at the due time was asked.
    ConsumerAsk,
    /// When the latest result was delivered before the due time.
    LatestResult,
    /// The previous timeout the call owed (a clock that restarts at each timeout).
    PreviousTimeout,
}

impl Anchor {
    pub const ALL: [Anchor; 8] = [
        Anchor::Call,
        Anchor::FirstPull,
        Anchor::TaskStart,
        Anchor::HeadOfLine,
        Anchor::PreviousCompletion,
        Anchor::ConsumerAsk,
        Anchor::LatestResult,
        Anchor::PreviousTimeout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Anchor::Call => "the call",
            Anchor::FirstPull => "the first pull",
            Anchor::TaskStart => "the task's start",
            Anchor::HeadOfLine => "the task becoming head of line",
            Anchor::PreviousCompletion => "the previous completion",
            Anchor::ConsumerAsk => "the consumer's ask",
            Anchor::LatestResult => "the latest result's arrival",
            Anchor::PreviousTimeout => "a previous timeout",
        }
    }

    /// The anchor the contract's clock starts from in `mode`.
    pub fn correct(contract: &Contract, mode: Mode) -> Anchor {
        match (contract.clock, mode) {
            (TimeoutClock::TaskRuntime, _) => Anchor::TaskStart,
            // In List mode the first pull is the call.
            (TimeoutClock::Overall, Mode::List) => Anchor::Call,
            (TimeoutClock::Overall, _) => match contract.deadline_anchor {
                DeadlineAnchor::Call => Anchor::Call,
                DeadlineAnchor::FirstPull => Anchor::FirstPull,
            },
            (TimeoutClock::ResultWait, Mode::List) => Anchor::HeadOfLine,
            (TimeoutClock::ResultWait, _) => Anchor::ConsumerAsk,
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One timeout a trace owed, with the distance from its correct anchor to a wrong one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorGap {
    /// When the timeout was due.
    pub due: Stamp,
    pub wrong: Anchor,
    /// The wrong anchor's instant.
    pub at: Stamp,
    /// How far the wrong anchor lies from the correct one: how much a clock started there
    /// misses the due time by.
    pub separation: Duration,
}

/// For every timeout `trace` owed while its call was live, the distance to every wrong
/// anchor that exists in the trace (a first pull only in the lazy modes, a previous timeout
/// only after one, …). Anchors that coincide with the correct one by definition are left out.
pub fn anchor_gaps(trace: &Trace) -> Vec<AnchorGap> {
    let Some(timeout) = trace.call.timeout else {
        return Vec::new();
    };
    let f = Facts::of(trace, Duration::ZERO);
    let correct = Anchor::correct(&f.contract, f.call.mode);
    let mut out = Vec::new();
    let mut previous_due: Option<Stamp> = None;
    for ob in &f.obligations {
        let anchor = ob.due.minus(timeout);
        for wrong in Anchor::ALL.into_iter().filter(|a| *a != correct) {
            if let Some(at) = instant_of(&f, ob, wrong, previous_due) {
                let separation = if at > anchor {
                    at.since(anchor)
                } else {
                    anchor.since(at)
                };
                out.push(AnchorGap {
                    due: ob.due,
                    wrong,
                    at,
                    separation,
                });
            }
        }
        if previous_due != Some(ob.due) {
            previous_due = Some(ob.due);
        }
    }
    out
}

/// The instant of anchor `which` for obligation `ob`, if the trace has one.
fn instant_of(
    f: &Facts,
    ob: &Obligation,
    which: Anchor,
    previous_due: Option<Stamp>,
) -> Option<Stamp> {
    let lazy = f.call.mode != Mode::List;
    let target = match &ob.target {
        Target::Task(t) => Some(*t),
        Target::AnyOf(ts) => ts.iter().copied().min_by_key(|&t| f.starts[t]),
    };
    match which {
        Anchor::Call => Some(f.call_at),
        Anchor::FirstPull => lazy.then(|| f.pulls.first().map(|p| p.asked)).flatten(),
        Anchor::TaskStart => target.and_then(|t| f.starts[t]),
        Anchor::HeadOfLine => {
            let task = target?;
            match f.call.mode {
                Mode::Unordered => None,
                Mode::Ordered if task == 0 => f.pulls.first().map(|p| p.asked),
                Mode::Ordered => f
                    .pulls
                    .get(task - 1)
                    .and_then(|p| p.answer.as_ref())
                    .map(|(at, _)| *at),
                Mode::List => Some(
                    (0..task)
                        .filter_map(|t| f.completed_at(t))
                        .fold(f.call_at, Stamp::max),
                ),
            }
        }
        Anchor::PreviousCompletion => (0..f.call.n_tasks)
            .filter_map(|t| f.completed_at(t))
            .filter(|&end| end < ob.due)
            .max(),
        Anchor::ConsumerAsk => {
            let pull = match ob.pull {
                Some(k) => f.pulls.get(k),
                None => f.pulls.iter().rfind(|p| p.asked <= ob.due),
            };
            lazy.then(|| pull.map(|p| p.asked)).flatten()
        }
        Anchor::LatestResult => f
            .pulls
            .iter()
            .filter_map(|p| match &p.answer {
                Some((at, Answer::Item { .. })) if *at < ob.due => Some(*at),
                _ => None,
            })
            .max(),
        Anchor::PreviousTimeout => previous_due.filter(|d| *d < ob.due),
    }
}
