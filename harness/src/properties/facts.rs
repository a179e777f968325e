//! Everything the rules read about one trace, computed once (spec §2): the [`Timeline`] of its
//! events, every obligation of its contract, the first failure and the error the declared
//! error order makes due, the liveness cut and the obligations it leaves, when each timed-out
//! task was abandoned, and when the call was aborted.

use super::due::{self, Obligation, Target};
use super::error_due::{self, DueError};
use super::timeline::{Pull, Timeline};
use crate::model::{ErrorOrder, Mode, OnTimeout};
use crate::trace::{Answer, Ms, Stamp, TaskEnd, Trace};
use std::fmt;
use std::ops::Deref;
use std::time::Duration;

/// The facts of one trace, with the tolerance it is judged at.
#[derive(Debug, Clone)]
pub(crate) struct Facts<'a> {
    pub timeline: Timeline<'a>,
    /// The tolerance every comparison uses: ε widened by the trace's clock uncertainty
    /// ([`Tolerance`]). Exactly ε when every stamp is on the trace's own clock.
    pub epsilon: Duration,
    /// ε and its widening, as the evidence says them.
    pub tolerance: Tolerance,
    /// Every timeout the contract says was due, whether or not the call was still live then,
    /// earliest first: what a timeout that was raised is judged against (P02).
    pub all_obligations: Vec<Obligation>,
    /// The first task failure while the call was live: (task, instant). See
    /// [`error_due::counted_failures`] for which failures count.
    pub first_failure: Option<(usize, Stamp)>,
    /// The first worker death while the call was live: (task, instant its body killed its
    /// worker).
    pub first_death: Option<(usize, Stamp)>,
    /// The error the call owes its consumer, and when the declared error order makes it due.
    pub error: Option<DueError>,
    /// The liveness cut (spec §2.2): the instant after which nothing more was owed, if any.
    pub cut: Option<Stamp>,
    /// The obligations left by the liveness cut, earliest first.
    pub obligations: Vec<Obligation>,
    /// Under PerTask, when each timed-out task was abandoned by the executor: from then on it
    /// no longer counts towards n_jobs.
    pub abandoned: Vec<Option<Stamp>>,
    /// The instant the call was aborted (timeout due, failure, or drop), with how to say it.
    pub abort: Option<(Stamp, String)>,
    pub follow_up: Option<Box<Facts<'a>>>,
}

impl<'a> Deref for Facts<'a> {
    type Target = Timeline<'a>;

    fn deref(&self) -> &Timeline<'a> {
        &self.timeline
    }
}

impl<'a> Facts<'a> {
    pub fn of(trace: &'a Trace, base_epsilon: Duration) -> Facts<'a> {
        let timeline = Timeline::of(trace);
        let tolerance = Tolerance::of(trace, base_epsilon);
        let epsilon = tolerance.total();
        let all_obligations = match timeline.timeout {
            Some(t) => due::obligations(&timeline, t),
            None => Vec::new(),
        };
        let failures = error_due::counted_failures(&timeline, &all_obligations);
        let first_failure = failures.first().copied();
        let first_death = error_due::counted_ends(&timeline, &all_obligations, TaskEnd::Died)
            .first()
            .copied();
        let error = error_due::due_error(&timeline, &failures, &all_obligations);
        let cut = cut_instant(
            &timeline,
            [
                error.as_ref().and_then(|e| e.due),
                first_death.map(|(_, at)| at),
            ],
            epsilon,
        );
        let obligations: Vec<Obligation> = all_obligations
            .iter()
            .filter(|o| cut.is_none_or(|c| o.due <= c))
            .cloned()
            .collect();
        let abandoned = abandon_instants(&timeline, &all_obligations);
        let abort = abort_instant(&timeline, &obligations, error.as_ref());
        Facts {
            timeline,
            epsilon,
            tolerance,
            all_obligations,
            first_failure,
            first_death,
            error,
            cut,
            obligations,
            abandoned,
            abort,
            follow_up: trace
                .follow_up
                .as_deref()
                .map(|t| Box::new(Facts::of(t, base_epsilon))),
        }
    }

    /// The earliest obligation left by the cut: under Abort, the due time D of the whole call.
    pub fn first_obligation(&self) -> Option<&Obligation> {
        self.obligations.first()
    }

    /// How late `at` is against `due`, counted from when the answering pull was asked if later.
    pub fn lateness(&self, due: Stamp, at: Stamp) -> Duration {
        let asked = self
            .pulls
            .iter()
            .find(|p| p.answer.as_ref().is_some_and(|(a, _)| *a == at))
            .map_or(self.call_at, |p| p.asked);
        at.since(due.max(asked))
    }

    /// How late the timeout error was seen against max(D, asked), when the trace ends in one.
    pub fn timeout_lateness(&self) -> Option<Duration> {
        let (at, Answer::Timeout) = self.terminal()? else {
            return None;
        };
        Some(self.lateness(self.first_obligation()?.due, at))
    }

    /// Under PerTask, the earliest obligation (left by the cut) that pull `k` has to honour.
    pub fn pull_obligation(&self, k: usize) -> Option<&Obligation> {
        let waiting_for: Vec<usize> = match self.call.mode {
            Mode::List | Mode::Ordered => vec![k],
            Mode::Unordered => self.unanswered_before(k),
        };
        self.obligations
            .iter()
            .filter(|o| waiting_for.iter().any(|&t| o.applies_to_task(t, k)))
            .min_by_key(|o| o.due)
    }

    /// The first pull that returned (or was still waiting) later than `max(due, asked) + ε`,
    /// with its index and the due time it missed.
    pub fn first_late_pull(
        &self,
        due_for: impl Fn(usize) -> Option<Stamp>,
    ) -> Option<(usize, &Pull, Stamp)> {
        self.pulls.iter().enumerate().find_map(|(k, pull)| {
            let due = due_for(k)?;
            let limit = due.max(pull.asked).plus(self.epsilon);
            (self.returned_or_hung(pull) > limit).then_some((k, pull, due))
        })
    }
}

/// The tolerance of one trace's comparisons: ε, widened by the clock uncertainty of the stamps
/// compared (spec §2, `specs/protocol.md` §5.1). A comparison of stamps a and b owes
/// ε + u(a) + u(b); the checker widens every comparison of the trace by the worst such pair —
/// the two largest uncertainties of its stamps — so that each rule keeps its one ε. Stamps on
/// the trace's own clock (in-process executors, simulated time, an adapter's own events) have
/// u = 0, and then the tolerance is exactly ε.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tolerance {
    pub epsilon: Duration,
    /// u(a) + u(b) of the worst pair of stamps.
    pub clock_uncertainty: Duration,
}

impl Tolerance {
    pub fn of(trace: &Trace, epsilon: Duration) -> Tolerance {
        let (mut first, mut second) = (Duration::ZERO, Duration::ZERO);
        for u in trace.events.iter().map(|e| e.uncertainty) {
            if u > first {
                second = first;
                first = u;
            } else if u > second {
                second = u;
            }
        }
        Tolerance {
            epsilon,
            clock_uncertainty: first + second,
        }
    }

    /// ε + the clock uncertainty.
    pub fn total(self) -> Duration {
        self.epsilon + self.clock_uncertainty
    }
}

/// `250 ms`, or `250 ms + 4 ms clock uncertainty`: what follows "ε" in the evidence.
impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.clock_uncertainty.is_zero() {
            write!(f, "{}", Ms(self.epsilon))
        } else {
            write!(
                f,
                "{} + {} clock uncertainty",
                Ms(self.epsilon),
                Ms(self.clock_uncertainty)
            )
        }
    }
}

/// The liveness cut (spec §2.2): a drop of an unfinished iteration, the instant the owed
/// error was due + ε, or the first worker death + ε, ends the call's liveness; the
/// obligations due after it are dropped.
///
/// A drop counts only when it abandoned an unfinished iteration (no terminal answer before
/// it): the drop that follows a terminal answer ends nothing that was still owed.
fn cut_instant(t: &Timeline, ends: [Option<Stamp>; 2], epsilon: Duration) -> Option<Stamp> {
    let mut cut = t.drop_begun.filter(|_| t.terminal().is_none());
    for at in ends.into_iter().flatten() {
        let after = at.plus(epsilon);
        cut = Some(cut.map_or(after, |c| c.min(after)));
    }
    cut
}

/// Under PerTask, when each timed-out task was abandoned by the executor (its due time).
fn abandon_instants(t: &Timeline, all_obligations: &[Obligation]) -> Vec<Option<Stamp>> {
    let mut abandoned = vec![None; t.call.n_tasks];
    if t.contract.on_timeout != OnTimeout::PerTask {
        return abandoned;
    }
    // A task still running when its own timeout was due is abandoned then, whether or not
    // its marker was ever delivered (a List call that failed later, an early drop).
    for o in all_obligations {
        if let Target::Task(task) = o.target {
            let running = t.starts[task].is_some_and(|s| s <= o.due)
                && t.ends[task].is_none_or(|(e, _)| e > o.due);
            if running {
                let slot = &mut abandoned[task];
                *slot = Some(slot.map_or(o.due, |a: Stamp| a.min(o.due)));
            }
        }
    }
    for (k, pull) in t.pulls.iter().enumerate() {
        if let Some((at, Answer::TimedOut { task })) = &pull.answer {
            if let Some(slot) = abandoned.get_mut(*task) {
                let due = all_obligations
                    .iter()
                    .filter(|o| o.applies_to_task(*task, k))
                    .map(|o| o.due)
                    .min();
                let at = due.unwrap_or(*at).min(*at);
                *slot = Some(slot.map_or(at, |a: Stamp| a.min(at)));
            }
        }
    }
    abandoned
}

/// The instant the call was aborted (timeout due under Abort, the owed error due, or drop), if
/// it was.
fn abort_instant(
    t: &Timeline,
    obligations: &[Obligation],
    error: Option<&DueError>,
) -> Option<(Stamp, String)> {
    let mut candidates: Vec<(Stamp, String)> = Vec::new();
    if t.contract.on_timeout == OnTimeout::Abort {
        if let Some(ob) = obligations.first() {
            candidates.push((ob.due, format!("the abort at {} ({})", ob.due, ob.why)));
        }
    }
    if let Some(error) = error {
        if let Some(at) = error.due {
            let what = if t.contract.error_order == ErrorOrder::FailFast {
                format!("task {} failed", error.task)
            } else {
                format!("task {}'s error was due: {}", error.task, error.why)
            };
            candidates.push((at, format!("the abort at {at} ({what})")));
        }
    }
    if let Some(at) = t.drop_begun {
        candidates.push((at, format!("the drop at {at}")));
    }
    candidates.into_iter().min_by_key(|c| c.0)
}
