//! Due times: when the declared contract says a timeout must be seen (spec §2).
//!
//! Each clock × mode has its own rule for where its deadlines fall ([`deadlines`]); a deadline
//! becomes an [`Obligation`] when the tasks it decides did not complete by it ([`obligations`]).
//! Near-tie detection ([`super::near_tie`]) reads the same deadlines, so the two can never
//! disagree about where a due time is.

use super::timeline::Timeline;
use crate::model::{DeadlineAnchor, Mode, OnTimeout, TimeoutClock};
use crate::trace::{Ms, Stamp};
use std::time::Duration;

/// What a due timeout is owed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// This task's slot (its marker under PerTask; the call's timeout under Abort).
    Task(usize),
    /// Any one of these tasks (ResultWait in Unordered mode: the wait was for any result).
    AnyOf(Vec<usize>),
}

/// One instant at which the contract says a timeout must be seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Obligation {
    pub due: Stamp,
    pub target: Target,
    /// For ResultWait in the lazy modes, the pull whose wait it is; it binds only that pull.
    pub pull: Option<usize>,
    /// How the due time was computed, with the numbers.
    pub why: String,
}

impl Obligation {
    /// Whether a timed-out marker for `task` delivered by pull `k` answers this obligation.
    pub fn applies_to_task(&self, task: usize, k: usize) -> bool {
        self.targets(task) && self.pull.is_none_or(|p| p == k)
    }

    /// Whether the timeout is owed to `task` (alone, or as one of several).
    pub fn targets(&self, task: usize) -> bool {
        match &self.target {
            Target::Task(t) => *t == task,
            Target::AnyOf(ts) => ts.contains(&task),
        }
    }

    pub fn first_task(&self) -> usize {
        match &self.target {
            Target::Task(t) => *t,
            Target::AnyOf(ts) => ts.first().copied().unwrap_or(usize::MAX),
        }
    }
}

/// Where a deadline comes from, with what its explanation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// TaskRuntime: the task's start.
    TaskStart(Stamp),
    /// Overall: the call, or the first pull (the declared deadline anchor).
    Overall { from: Stamp, what: &'static str },
    /// ResultWait, List: the instant the list's wait for this slot began.
    ListWait(Stamp),
    /// ResultWait, lazy modes: the instant pull `k` was asked.
    Pull { k: usize, asked: Stamp },
}

/// One deadline of the contract's clock, and the tasks whose completion by it it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deadline {
    pub due: Stamp,
    /// The tasks whose completion by `due` this deadline decides.
    pub owners: Vec<usize>,
    anchor: Anchor,
}

/// Where the `Overall` clock starts under the declared deadline anchor, and what that instant
/// is called: the call, or the consumer's first pull (in List mode, the call); `None` when the
/// anchor is the first pull and the consumer never pulled.
pub(crate) fn overall_start(t: &Timeline) -> Option<(Stamp, &'static str)> {
    match t.contract.deadline_anchor {
        DeadlineAnchor::Call => Some((t.call_at, "the call")),
        DeadlineAnchor::FirstPull => t.pulls.first().map(|p| (p.asked, "the first pull")),
    }
}

/// Every deadline of the trace's contract (spec §2.1), whether or not it was met.
pub(crate) fn deadlines(t: &Timeline, timeout: Duration) -> Vec<Deadline> {
    let n = t.call.n_tasks;
    match (t.contract.clock, t.call.mode) {
        (TimeoutClock::TaskRuntime, _) => (0..n)
            .filter_map(|task| {
                let start = t.starts[task]?;
                Some(Deadline {
                    due: start.plus(timeout),
                    owners: vec![task],
                    anchor: Anchor::TaskStart(start),
                })
            })
            .collect(),
        (TimeoutClock::Overall, _) => overall_start(t)
            .map(|(from, what)| Deadline {
                due: from.plus(timeout),
                owners: (0..n).collect(),
                anchor: Anchor::Overall { from, what },
            })
            .into_iter()
            .collect(),
        (TimeoutClock::ResultWait, Mode::List) => {
            // The call waits for each slot in input order; the wait for slot k+1 begins when
            // slot k became available (or when its own wait was due, under PerTask).
            let mut out = Vec::new();
            let mut wait_from = t.call_at;
            for task in 0..n {
                let due = wait_from.plus(timeout);
                out.push(Deadline {
                    due,
                    owners: vec![task],
                    anchor: Anchor::ListWait(wait_from),
                });
                match t.completed_at(task) {
                    Some(end) if end <= due => wait_from = wait_from.max(end),
                    _ if t.contract.on_timeout == OnTimeout::Abort => break,
                    _ => wait_from = due,
                }
            }
            out
        }
        (TimeoutClock::ResultWait, Mode::Ordered) => t
            .pulls
            .iter()
            .enumerate()
            .take(n)
            .map(|(k, pull)| Deadline {
                due: pull.asked.plus(timeout),
                owners: vec![k],
                anchor: Anchor::Pull {
                    k,
                    asked: pull.asked,
                },
            })
            .collect(),
        (TimeoutClock::ResultWait, Mode::Unordered) => t
            .pulls
            .iter()
            .enumerate()
            .map(|(k, pull)| Deadline {
                due: pull.asked.plus(timeout),
                owners: t.unanswered_before(k),
                anchor: Anchor::Pull {
                    k,
                    asked: pull.asked,
                },
            })
            .filter(|d| !d.owners.is_empty())
            .collect(),
    }
}

/// Every obligation of the trace under its contract, before the liveness cut (see
/// [`super::facts::Facts`]), earliest first.
pub(crate) fn obligations(t: &Timeline, timeout: Duration) -> Vec<Obligation> {
    let mut out = Vec::new();
    for d in deadlines(t, timeout) {
        let due = d.due;
        let overdue = |task: &usize| t.completed_at(*task).is_none_or(|end| end > due);
        match d.anchor {
            Anchor::Pull { k, asked } if t.call.mode == Mode::Unordered => {
                // Pull k waits for any of its owners. A task started only at the due instant
                // ran because of the timeout (a replacement worker), not in time for this wait.
                let first_ready = d
                    .owners
                    .iter()
                    .filter(|&&w| t.starts[w].is_some_and(|s| s < due))
                    .filter_map(|&w| t.completed_at(w))
                    .min();
                if first_ready.is_some_and(|r| r <= due) {
                    continue;
                }
                let late: Vec<usize> = d.owners.iter().copied().filter(overdue).collect();
                out.push(Obligation {
                    due,
                    why: format!(
                        "pull {k} asked at {asked}; result_wait timeout {}, due {due}; none of tasks [{}] completed by then",
                        Ms(timeout),
                        late.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
                    ),
                    target: Target::AnyOf(late),
                    pull: Some(k),
                });
            }
            anchor => {
                for task in d.owners.iter().copied().filter(overdue) {
                    let completion = match t.completed_at(task) {
                        Some(end) => format!("completed only at {end}"),
                        None => "never completed".into(),
                    };
                    let (why, pull) = match anchor {
                        Anchor::TaskStart(start) => (
                            format!(
                                "task {task} started at {start}; task_runtime timeout {}, due {due}; it {completion}",
                                Ms(timeout)
                            ),
                            None,
                        ),
                        Anchor::Overall { from, what } => (
                            format!(
                                "overall timeout {} from {what} at {from}, due {due}; task {task} {completion}",
                                Ms(timeout)
                            ),
                            None,
                        ),
                        Anchor::ListWait(from) => (
                            format!(
                                "the list's wait for slot {task} began at {from}; result_wait timeout {}, due {due}; task {task} {completion}",
                                Ms(timeout)
                            ),
                            None,
                        ),
                        Anchor::Pull { k, asked } => (
                            format!(
                                "pull {k} asked for slot {k} at {asked}; result_wait timeout {}, due {due}; task {k} {completion}",
                                Ms(timeout)
                            ),
                            Some(k),
                        ),
                    };
                    out.push(Obligation {
                        due,
                        target: Target::Task(task),
                        pull,
                        why,
                    });
                }
            }
        }
    }
    out.sort_by_key(|o| (o.due, o.first_task()));
    out
}
