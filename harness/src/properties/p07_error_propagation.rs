//! P07 error_propagation — MUST: a failing task surfaces as an error naming it, within ε of its failure.
//!
//! See `specs/timeout-semantics.md`, P07.

use super::evidence::{late, task_story};
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::trace::{Answer, Ms, Stamp, TaskEnd};

pub(super) const RULE: Rule = Rule {
    id: "P07",
    name: "error_propagation",
    level: Level::Must,
    summary: "a failing task surfaces as an error naming it, within ε of its failure",
    judge: error_propagation,
};

/// P07: a failing task surfaces as an error naming it, within ε of its failure.
fn error_propagation(f: &Facts) -> Verdict {
    let failure = f.first_failure;
    // After a worker death, an error naming the dead task, or the executor's own error (a
    // broken pool), is the right answer: P14 judges it.
    let died_by = |at: Stamp| f.first_death.is_some_and(|(_, d)| d <= at);
    for pull in &f.pulls {
        match &pull.answer {
            Some((at, Answer::TaskFailed { task }))
                if f.end_kind(*task) == Some(TaskEnd::Died) && died_by(*at) => {}
            Some((at, Answer::TaskFailed { task }))
                if f.end_kind(*task) != Some(TaskEnd::Failed)
                    || f.completed_at(*task).is_some_and(|e| e > *at) =>
            {
                return Verdict::fail(format!(
                    "the error at {at} names task {task}, which had not failed: {}",
                    task_story(f, *task)
                ));
            }
            Some((at, Answer::ExecutorError { .. })) if died_by(*at) => {}
            Some((at, Answer::ExecutorError { message })) => {
                return Verdict::fail(format!("the executor itself failed at {at}: {message}"));
            }
            _ => {}
        }
    }
    let Some((task, failed_at)) = failure else {
        return Verdict::not_applicable("no task failed");
    };
    let why = format!("task {task} failed at {failed_at}");
    if let Some((_, pull, due)) = f.first_late_pull(|_| Some(failed_at)) {
        // A timeout that was due first and raised in time is a correct answer too (P01).
        let timeout_first = matches!(pull.answer, Some((_, Answer::Timeout)))
            && f.first_obligation().is_some_and(|o| o.due <= failed_at);
        if !timeout_first {
            return Verdict::fail(
                late(f, pull, &why, due).replace("no timeout seen", "no error seen"),
            );
        }
    }
    match f.terminal() {
        Some((at, Answer::End)) => Verdict::fail(format!(
            "{why}, but the iteration ended normally at {at} without raising it"
        )),
        Some((at, Answer::TaskFailed { .. })) => Verdict::pass(format!(
            "{why}; error seen at {at} ({} after max(failure, asked))",
            Ms(f.lateness(failed_at, at))
        )),
        Some((at, Answer::Timeout)) => {
            let timeout_due = f.all_obligations.first().map(|o| o.due);
            match timeout_due {
                Some(due) if due <= failed_at.plus(f.epsilon) => Verdict::pass(format!(
                    "{why}; the timeout was due first, at {due}, and was raised at {at}"
                )),
                _ => Verdict::fail(format!(
                    "{why}, but the iteration raised a timeout at {at} instead{}",
                    match timeout_due {
                        Some(due) => format!(
                            ", though no timeout was due before {due} (ε {})",
                            Ms(f.epsilon)
                        ),
                        None => ", though no timeout was due".to_string(),
                    }
                )),
            }
        }
        _ => Verdict::pass(format!("{why}; the iteration ended otherwise first")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// Unordered + Abort, T = 1000 ms: task 0 sleeps 500 ms, task 1 fails at 20 ms.
    fn task_1_fails_at_20() -> TraceBuilder {
        let tasks = vec![sleep(500.0), fail_after(20.0)];
        TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .end(1, 20.0, TaskEnd::Failed)
    }

    #[test]
    fn p07_error_seen_late_fails() {
        let trace = task_1_fails_at_20()
            .pull(0.0, 300.0, task_failed(1))
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "task 1 failed at 20 ms",
            "by 70 ms",
            "ε 50 ms",
            "at 300 ms",
            "280 ms late",
        ]);
    }

    #[test]
    fn p07_error_in_time_passes() {
        let trace = task_1_fails_at_20().pull(0.0, 21.0, task_failed(1)).build();
        let v = check(&trace, EPS, &super::RULE);
        v.passes();
        assert!(v.evidence.contains("21 ms"), "{}", v.evidence);
    }

    #[test]
    fn p07_error_naming_a_task_that_did_not_fail_fails() {
        let tasks = vec![sleep(10.0), fail_after(20.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .start(1, 0.0)
            .end(1, 20.0, TaskEnd::Failed)
            .pull(0.0, 21.0, task_failed(0))
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "error at 21 ms names task 0",
            "had not failed",
            "returned) at 10 ms",
        ]);
    }

    #[test]
    fn p07_failure_then_normal_end_fails() {
        let tasks = vec![sleep(10.0), fail_after(20.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .start(1, 0.0)
            .end(1, 20.0, TaskEnd::Failed)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 30.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE)
            .fails_with(&["task 1 failed at 20 ms", "ended normally at 30 ms"]);
    }

    #[test]
    fn p07_executor_error_fails() {
        let trace = task_1_fails_at_20()
            .pull(
                0.0,
                25.0,
                Answer::ExecutorError {
                    message: "pool broken".into(),
                },
            )
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["at 25 ms", "pool broken"]);
    }

    #[test]
    fn p07_timeout_due_before_the_failure_is_a_correct_answer() {
        // T = 10 ms: task 0 is due at 10 ms, before task 1 fails at 20 ms; the timeout at 40 ms is
        // within ε of 10 ms, and the failure need not surface.
        let tasks = vec![hang(), fail_after(20.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 10.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .end(1, 20.0, TaskEnd::Failed)
            .pull(0.0, 40.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p07_timeout_not_due_raised_instead_of_the_error_fails() {
        // Task 1 fails at 20 ms; the timeout (T = 100 ms, task 0 hung) is not due until 100 ms.
        // The consumer gets a timeout instead of task 1's error: at 120 ms that fails P07 (the
        // error was due by 70 ms); at 30 ms it must fail too: arriving early does not make a
        // timeout that was never due an answer to the failure.
        let trace = |at: f64| {
            let tasks = vec![hang(), fail_after(20.0)];
            TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
                .call(0.0)
                .start(0, 0.0)
                .start(1, 0.0)
                .end(1, 20.0, TaskEnd::Failed)
                .pull(0.0, at, Answer::Timeout)
                .build()
        };
        check(&trace(120.0), EPS, &super::RULE).fails_with(&[
            "task 1 failed at 20 ms",
            "by 70 ms",
            "the timeout at 120 ms",
        ]);
        check(&trace(30.0), EPS, &super::RULE)
            .fails_with(&["task 1 failed at 20 ms", "30 ms"]);
    }

    #[test]
    fn p07_not_applicable_when_no_task_failed() {
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 20.0, item(1))
            .pull(20.0, 30.0, item(2))
            .pull(30.0, 30.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
    }
}
