//! Due times: when the declared contract says a timeout must be seen (spec §2).
//!
//! Each clock × mode has its own rule; all of them read only the trace. An [`Obligation`] is
//! one due time with what it is owed to and a sentence explaining how it was computed.

use super::facts::Facts;
use crate::model::{Mode, OnTimeout, TimeoutClock};
use crate::trace::{Ms, Stamp};
use std::time::Duration;

/// What a due timeout is owed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This task's slot (its marker under PerTask; the call's timeout under Abort).
    Task(usize),
    /// Any one of these tasks (ResultWait in Unordered mode: the wait was for any result).
    AnyOf(Vec<usize>),
}

/// One instant at which the contract says a timeout must be seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
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
        let target = match &self.target {
            Target::Task(t) => *t == task,
            Target::AnyOf(ts) => ts.contains(&task),
        };
        target && self.pull.is_none_or(|p| p == k)
    }

    pub fn first_task(&self) -> usize {
        match &self.target {
            Target::Task(t) => *t,
            Target::AnyOf(ts) => ts.first().copied().unwrap_or(usize::MAX),
        }
    }
}

/// Every obligation of the trace under its contract, before the liveness cut (see
/// [`Facts::obligations`]).
pub fn obligations(f: &Facts, timeout: Duration) -> Vec<Obligation> {
    match f.contract.clock {
        TimeoutClock::TaskRuntime => task_runtime(f, timeout),
        TimeoutClock::Overall => overall(f, timeout),
        TimeoutClock::ResultWait => match f.shape.mode {
            Mode::List => result_wait_list(f, timeout),
            Mode::Ordered => result_wait_ordered(f, timeout),
            Mode::Unordered => result_wait_unordered(f, timeout),
        },
    }
}

fn not_completed_by(f: &Facts, task: usize, due: Stamp) -> bool {
    f.completed_at(task).is_none_or(|end| end > due)
}

fn completion_clause(f: &Facts, task: usize) -> String {
    match f.completed_at(task) {
        Some(end) => format!("completed only at {end}"),
        None => "never completed".into(),
    }
}

/// TaskRuntime: each started task is due at its start + T unless it completed by then.
fn task_runtime(f: &Facts, t: Duration) -> Vec<Obligation> {
    (0..f.shape.n_tasks)
        .filter_map(|task| {
            let start = f.starts[task]?;
            let due = start.plus(t);
            not_completed_by(f, task, due).then(|| Obligation {
                due,
                target: Target::Task(task),
                pull: None,
                why: format!(
                    "task {task} started at {start}; task_runtime timeout {}, due {due}; it {}",
                    Ms(t),
                    completion_clause(f, task)
                ),
            })
        })
        .collect()
}

/// Overall: every task not completed by call + T is due then.
fn overall(f: &Facts, t: Duration) -> Vec<Obligation> {
    let due = f.call_at.plus(t);
    (0..f.shape.n_tasks)
        .filter(|&task| not_completed_by(f, task, due))
        .map(|task| Obligation {
            due,
            target: Target::Task(task),
            pull: None,
            why: format!(
                "overall timeout {} from the call at {}, due {due}; task {task} {}",
                Ms(t),
                f.call_at,
                completion_clause(f, task)
            ),
        })
        .collect()
}

/// ResultWait, List: the call waits for each slot in input order; the wait for slot k+1 begins
/// when slot k became available (or when its own wait was due, under PerTask).
fn result_wait_list(f: &Facts, t: Duration) -> Vec<Obligation> {
    let mut out = Vec::new();
    let mut wait_from = f.call_at;
    for task in 0..f.shape.n_tasks {
        let due = wait_from.plus(t);
        match f.completed_at(task) {
            Some(end) if end <= due => wait_from = wait_from.max(end),
            _ => {
                out.push(Obligation {
                    due,
                    target: Target::Task(task),
                    pull: None,
                    why: format!(
                        "the list's wait for slot {task} began at {wait_from}; result_wait timeout {}, due {due}; task {task} {}",
                        Ms(t),
                        completion_clause(f, task)
                    ),
                });
                if f.contract.on_timeout == OnTimeout::Abort {
                    break;
                }
                wait_from = due;
            }
        }
    }
    out
}

/// ResultWait, Ordered: pull k waits for slot k from the instant it is asked.
fn result_wait_ordered(f: &Facts, t: Duration) -> Vec<Obligation> {
    let mut out = Vec::new();
    for (k, pull) in f.pulls.iter().enumerate().take(f.shape.n_tasks) {
        let due = pull.asked.plus(t);
        if not_completed_by(f, k, due) {
            out.push(Obligation {
                due,
                target: Target::Task(k),
                pull: Some(k),
                why: format!(
                    "pull {k} asked for slot {k} at {}; result_wait timeout {}, due {due}; task {k} {}",
                    pull.asked,
                    Ms(t),
                    completion_clause(f, k)
                ),
            });
        }
    }
    out
}

/// ResultWait, Unordered: pull k waits for any undelivered result from the instant it is asked.
fn result_wait_unordered(f: &Facts, t: Duration) -> Vec<Obligation> {
    let mut out = Vec::new();
    for (k, pull) in f.pulls.iter().enumerate() {
        let waiting_for = f.unanswered_before(k);
        if waiting_for.is_empty() {
            continue;
        }
        let due = pull.asked.plus(t);
        // A task started only at the due instant ran because of the timeout (a replacement
        // worker), not in time for this wait.
        let first_ready = waiting_for
            .iter()
            .filter(|&&w| f.starts[w].is_some_and(|s| s < due))
            .filter_map(|&w| f.completed_at(w))
            .min();
        if first_ready.is_some_and(|r| r <= due) {
            continue;
        }
        let overdue: Vec<usize> = waiting_for
            .into_iter()
            .filter(|&w| not_completed_by(f, w, due))
            .collect();
        out.push(Obligation {
            due,
            why: format!(
                "pull {k} asked at {}; result_wait timeout {}, due {due}; none of tasks [{}] completed by then",
                pull.asked,
                Ms(t),
                overdue.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
            ),
            target: Target::AnyOf(overdue),
            pull: Some(k),
        });
    }
    out
}
