//! When a failing task's error is owed to the consumer (spec §2.4): the failures that count,
//! and the instant the declared error order makes the error due — at the failure
//! (`fail_fast`), at the failing task's turn in input order (`input_order`), or once every task
//! has ended (`at_end`).

use super::due::{Obligation, Target};
use super::timeline::Timeline;
use crate::model::{ErrorOrder, Mode, OnTimeout};
use crate::trace::{Answer, Stamp, TaskEnd};
use std::time::Duration;

/// The task failure the call owes its consumer, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DueError {
    /// The task whose error is owed.
    pub task: usize,
    /// When it failed.
    pub failed: Stamp,
    /// When the declared error order makes its error due; `None` when its turn never came in
    /// this trace (a slot before it never resolved, the consumer stopped asking, a task never
    /// ended).
    pub due: Option<Stamp>,
    /// How `due` was found, with the numbers: "task 1 failed at 20 ms; …".
    pub why: String,
}

/// The task failures that count, earliest first (ties to the lower task): `failed` ends no
/// later than the drop and no later than the terminal answer, leaving out, under PerTask, a
/// task that had already been abandoned — its marker was delivered at or before its failure,
/// or a timeout naming it alone was due strictly before it (its slot was settled; the executor
/// discards its late failure).
pub(crate) fn counted_failures(
    t: &Timeline,
    all_obligations: &[Obligation],
) -> Vec<(usize, Stamp)> {
    counted_ends(t, all_obligations, TaskEnd::Failed)
}

/// The task ends of `kind` that count, by the same rules as [`counted_failures`]: a worker
/// death (`died`) ends a call's liveness the way a failure does.
pub(crate) fn counted_ends(
    t: &Timeline,
    all_obligations: &[Obligation],
    kind: TaskEnd,
) -> Vec<(usize, Stamp)> {
    let ended = t.terminal().map(|(at, _)| at);
    let abandoned_before = |task: usize, failed: Stamp| -> bool {
        if t.contract.on_timeout != OnTimeout::PerTask {
            return false;
        }
        let marked = t.pulls.iter().any(|p| {
            matches!(&p.answer, Some((at, Answer::TimedOut { task: m })) if *m == task && *at <= failed)
        });
        marked
            || all_obligations
                .iter()
                .any(|o| o.target == Target::Task(task) && o.due < failed)
    };
    let mut failures: Vec<(usize, Stamp)> = (0..t.call.n_tasks)
        .filter_map(|task| match t.ends[task] {
            Some((at, end)) if end == kind => Some((task, at)),
            _ => None,
        })
        .filter(|(_, at)| t.drop_begun.is_none_or(|d| *at <= d))
        .filter(|(_, at)| ended.is_none_or(|e| *at <= e))
        .filter(|(task, at)| !abandoned_before(*task, *at))
        .collect();
    failures.sort_by_key(|&(task, at)| (at, task));
    failures
}

/// The error the declared order makes due, given the failures that count (earliest first).
pub(crate) fn due_error(
    t: &Timeline,
    failures: &[(usize, Stamp)],
    all_obligations: &[Obligation],
) -> Option<DueError> {
    let &(first, first_at) = failures.first()?;
    let (task, failed) = if in_input_order(t) {
        // The failing slot that comes first in input order.
        *failures.iter().min_by_key(|(task, _)| *task)?
    } else {
        (first, first_at)
    };
    let (due, how) = due_instant(t, task, failed, all_obligations);
    let why = match how {
        Some(how) => format!("task {task} failed at {failed}; {how}"),
        None => format!("task {task} failed at {failed}"),
    };
    Some(DueError {
        task,
        failed,
        due,
        why,
    })
}

/// Whether the declared order raises errors at their turn in input order in this mode (in
/// Unordered mode a task's turn is its completion: fail-fast).
fn in_input_order(t: &Timeline) -> bool {
    t.contract.error_order == ErrorOrder::InputOrder && t.call.mode != Mode::Unordered
}

/// When the error of `task`, which failed at `failed`, is due under the declared order, and
/// (unless fail-fast) how that instant was found.
fn due_instant(
    t: &Timeline,
    task: usize,
    failed: Stamp,
    all_obligations: &[Obligation],
) -> (Option<Stamp>, Option<String>) {
    if in_input_order(t) {
        let (turn, how) = turn_in_input_order(t, task, all_obligations);
        return (turn.map(|r| r.max(failed)), Some(how));
    }
    if t.contract.error_order != ErrorOrder::AtEnd {
        return (Some(failed), None);
    }
    let last_end = t
        .ends
        .iter()
        .map(|e| e.map(|(at, _)| at))
        .collect::<Option<Vec<Stamp>>>()
        .and_then(|ends| ends.into_iter().max());
    let how = match last_end {
        Some(end) => format!("the error order is at_end and every task had ended by {end}"),
        None => {
            let running = (0..t.call.n_tasks)
                .find(|&k| t.ends[k].is_none())
                .unwrap_or(0);
            format!(
                "the error order is at_end and task {running} never ended, so the error never came due"
            )
        }
    };
    (last_end.map(|e| e.max(failed)), Some(how))
}

/// When slot `task` is reached in input order — every slot before it delivered as a result or
/// a marker — and how to say it; `None` when it never was.
fn turn_in_input_order(
    t: &Timeline,
    task: usize,
    all_obligations: &[Obligation],
) -> (Option<Stamp>, String) {
    if t.call.mode == Mode::Ordered {
        // Pull k asks for slot k; pull `task` exists only once every slot before it came.
        return match t.pulls.get(task) {
            Some(pull) => (
                Some(pull.asked),
                format!(
                    "its turn in input order came when pull {task} asked at {}",
                    pull.asked
                ),
            ),
            None => (
                None,
                format!("its turn in input order never came: pull {task} was never asked"),
            ),
        };
    }
    // List: the call's eager consumer reaches slot `task` once every slot before it resolved,
    // by its task's result or (PerTask) its timeout.
    let mut turn = t.call_at;
    for k in 0..task {
        let returned = match t.ends[k] {
            Some((at, TaskEnd::Returned)) => Some(at),
            _ => None,
        };
        let timed_out = if t.contract.on_timeout == OnTimeout::PerTask {
            all_obligations
                .iter()
                .filter(|o| o.applies_to_task(k, k))
                .map(|o| o.due)
                .min()
        } else {
            None
        };
        let resolved = match (returned, timed_out) {
            (Some(r), Some(d)) => r.min(d),
            (Some(at), None) | (None, Some(at)) => at,
            (None, None) => {
                return (
                    None,
                    format!(
                        "its turn in input order never came: slot {k} before it neither returned nor timed out"
                    ),
                )
            }
        };
        turn = turn.max(resolved);
    }
    (
        Some(turn),
        format!("its turn in input order came at {turn}, once every slot before it was resolved"),
    )
}

/// Whether an error naming `task` (which failed at `failed`), answered at `at`, came more than
/// `slack` before the instant the declared order makes it due; if so, why, in words.
/// Fail-fast errors are never early.
pub(crate) fn raised_before_its_turn(
    t: &Timeline,
    task: usize,
    failed: Stamp,
    at: Stamp,
    slack: Duration,
    all_obligations: &[Obligation],
) -> Option<String> {
    let (due, how) = due_instant(t, task, failed, all_obligations);
    let how = how?;
    let early = due.is_none_or(|d| d > at.plus(slack));
    early.then(|| {
        format!(
            "task {task}'s failure was raised at {at}, before the error order {} made it due: {how}",
            t.contract.error_order
        )
    })
}
