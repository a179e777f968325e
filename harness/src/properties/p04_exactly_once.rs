//! P04 exactly_once — MUST: no result delivered twice; without timeout, error or drop, every result delivered.
//!
//! See `specs/timeout-semantics.md`, P04.

use super::evidence::{describe, list, still_waiting, task_story};
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::OnTimeout;
use crate::trace::{Answer, TaskEnd};

pub(super) const RULE: Rule = Rule {
    id: "P04",
    name: "exactly_once",
    level: Level::Must,
    summary: "no result delivered twice; without timeout, error or drop, every result delivered",
    judge: exactly_once,
};

/// P04: no result twice; a normally ended iteration delivered every task.
fn exactly_once(f: &Facts) -> Verdict {
    let mut seen = vec![None; f.call.n_tasks];
    for pull in &f.pulls {
        let Some((at, answer)) = &pull.answer else {
            continue;
        };
        let (Answer::Item { task } | Answer::TimedOut { task }) = answer else {
            continue;
        };
        let Some(slot) = seen.get_mut(*task) else {
            return Verdict::fail(format!(
                "delivered {} at {at}, but the call has only {} tasks",
                describe(answer),
                f.call.n_tasks
            ));
        };
        if let Answer::Item { task } = answer {
            let returned = f.end_kind(*task) == Some(TaskEnd::Returned)
                && f.completed_at(*task).is_some_and(|e| e <= *at);
            if !returned {
                return Verdict::fail(format!(
                    "task {task}'s result was delivered at {at}, but {}: the result was not produced by the task",
                    task_story(f, *task)
                ));
            }
        }
        if let Some(first) = slot {
            return Verdict::fail(format!(
                "task {task} was delivered twice: at {first} and again at {at}"
            ));
        }
        *slot = Some(*at);
    }
    let missing: Vec<usize> = (0..f.call.n_tasks)
        .filter(|&t| seen[t].is_none())
        .collect();
    match f.terminal() {
        Some((at, Answer::End)) if !missing.is_empty() => Verdict::fail(format!(
            "the iteration ended normally at {at} without delivering task(s) {}",
            list(&missing)
        )),
        // Under PerTask every timeout is a marker, so only a failure or a drop excuses an
        // iteration that never ends.
        None if f.drop_begun.is_none()
            && f.first_failure.is_none()
            && f.first_death.is_none()
            && (f.contract.on_timeout == OnTimeout::PerTask || f.first_obligation().is_none()) =>
        {
            Verdict::fail(format!(
                "no timeout or error was due, yet the iteration never ended: {} of {} results delivered; {}",
                f.call.n_tasks - missing.len(),
                f.call.n_tasks,
                f.pulls
                    .last()
                    .map(|p| still_waiting(f, p))
                    .unwrap_or_else(|| "no pull was made".into())
            ))
        }
        _ => Verdict::pass(""),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn p04_result_delivered_twice_fails() {
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 20.0, item(1))
            .pull(20.0, 30.0, item(2))
            .pull(30.0, 31.0, item(2))
            .pull(31.0, 32.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["task 2", "twice", "30 ms", "31 ms"]);
    }

    #[test]
    fn p04_normal_end_with_a_task_missing_fails() {
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 30.0, item(2))
            .pull(30.0, 30.5, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE)
            .fails_with(&["ended normally at 30.5 ms", "task(s) 1"]);
    }

    #[test]
    fn p04_every_result_once_passes() {
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 20.0, item(1))
            .pull(20.0, 30.0, item(2))
            .pull(30.0, 30.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p04_stream_that_never_ends_without_timeout_or_error_fails() {
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 20.0, item(1))
            .pull(20.0, 30.0, item(2))
            .ask(30.0)
            .watchdog(1500.0)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["3 of 3", "asked at 30 ms", "hung"]);
    }

    #[test]
    fn p04_result_of_a_task_that_never_returned_fails() {
        // Task 1 hangs, yet its "result" is delivered at 40 ms.
        let tasks = vec![sleep(10.0), hang()];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .start(1, 0.0)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 40.0, item(1))
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["task 1", "at 40 ms", "never ended"]);
    }
}
