//! P07 error_propagation — MUST: a failing task surfaces as an error naming it, within ε of its failure.
//!
//! See `specs/timeout-semantics.md`, P07.

use super::error_due::raised_before_its_turn;
use super::evidence::{late, own_timeout_errors, task_story};
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::trace::{Answer, Ms, Stamp, TaskEnd};

pub(super) const RULE: Rule = Rule {
    id: "P07",
    name: "error_propagation",
    level: Level::Must,
    summary: "a failing task surfaces as an error naming it, within ε of when its error order makes it due",
    judge: error_propagation,
};

/// P07: a failing task surfaces as an error naming it, within ε of the instant the declared
/// error order makes it due — not later, and not before its turn.
fn error_propagation(f: &Facts) -> Verdict {
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
            Some((at, Answer::TaskFailed { task })) => {
                let failed = f.completed_at(*task).unwrap_or(*at);
                if let Some(why) =
                    raised_before_its_turn(f, *task, failed, *at, f.epsilon, &f.all_obligations)
                {
                    return Verdict::fail(format!("{why} (ε {})", f.tolerance));
                }
            }
            Some((at, Answer::ExecutorError { message })) => {
                return Verdict::fail(format!("the executor itself failed at {at}: {message}"));
            }
            _ => {}
        }
    }
    let Some(error) = &f.error else {
        return Verdict::not_applicable("no task failed");
    };
    let why = &error.why;
    if let Some(due) = error.due {
        if let Some((_, pull, due)) = f.first_late_pull(|_| Some(due)) {
            // A timeout that was due first and raised in time is a correct answer too (P01).
            let timeout_first = matches!(pull.answer, Some((_, Answer::Timeout)))
                && f.first_obligation().is_some_and(|o| o.due <= due);
            if !timeout_first {
                return Verdict::fail(
                    late(f, pull, why, due).replace("no timeout seen", "no error seen"),
                );
            }
        }
    }
    match f.terminal() {
        Some((at, Answer::End)) => Verdict::fail(format!(
            "{why}, but the iteration ended normally at {at} without raising it"
        )),
        Some((at, Answer::TaskFailed { .. })) => Verdict::pass(format!(
            "{why}; error seen at {at} ({} after max({}, asked))",
            Ms(f.lateness(error.due.unwrap_or(error.failed), at)),
            if error.due == Some(error.failed) {
                "failure"
            } else {
                "due"
            }
        )),
        Some((at, Answer::Timeout)) => {
            let timeout_due = f.all_obligations.first().map(|o| o.due);
            match (error.due, timeout_due) {
                (None, _) => Verdict::pass(format!(
                    "{why}; the timeout was raised at {at}, before the error came due"
                )),
                (Some(due), Some(timeout_due)) if timeout_due <= due.plus(f.epsilon) => {
                    Verdict::pass(format!(
                        "{why}; the timeout was due first, at {timeout_due}, and was raised at {at}"
                    ))
                }
                (Some(_), timeout_due) => Verdict::fail(format!(
                    "{why}, but the iteration raised a timeout at {at} instead{}{}",
                    match timeout_due {
                        Some(due) => format!(
                            ", though no timeout was due before {due} (ε {})",
                            f.tolerance
                        ),
                        None => ", though no timeout was due".to_string(),
                    },
                    own_timeout_errors(f, at)
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

    /// Ordered, T = 1000 ms: task 0 sleeps 200 ms, task 1 fails at 10 ms; the consumer gets
    /// slot 0 at 200 ms and asks for slot 1 at once, which answers `second` at `at`.
    fn ordered_failure_behind_a_slow_slot(order: ErrorOrder, second: (f64, Answer)) -> Trace {
        let tasks = vec![sleep(200.0), fail_after(10.0)];
        TraceBuilder::new(Ordered, TaskRuntime, Abort, 2, 1000.0, tasks)
            .error_order(order)
            .call(0.0)
            .ran(0, 0.0, 200.0)
            .start(1, 0.0)
            .end(1, 10.0, TaskEnd::Failed)
            .pull(0.0, 200.0, item(0))
            .pull(200.0, second.0, second.1)
            .build()
    }

    #[test]
    fn p07_error_at_its_turn_passes_under_input_order_and_is_late_under_fail_fast() {
        let at_its_turn = (200.1, task_failed(1));
        let v = check(
            &ordered_failure_behind_a_slow_slot(ErrorOrder::InputOrder, at_its_turn.clone()),
            EPS,
            &super::RULE,
        );
        v.passes();
        assert!(
            v.evidence
                .contains("its turn in input order came when pull 1 asked at 200 ms"),
            "{}",
            v.evidence
        );
        // Fail-fast: the error was due at 10 ms; pull 0 waited for slot 0 until 200 ms.
        check(
            &ordered_failure_behind_a_slow_slot(ErrorOrder::FailFast, at_its_turn),
            EPS,
            &super::RULE,
        )
        .fails_with(&["task 1 failed at 10 ms", "by 60 ms", "task 0's result at 200 ms"]);
    }

    #[test]
    fn p07_error_later_than_its_turn_fails_under_input_order() {
        let trace = ordered_failure_behind_a_slow_slot(ErrorOrder::InputOrder, (400.0, task_failed(1)));
        check(&trace, EPS, &super::RULE).fails_with(&[
            "task 1 failed at 10 ms",
            "its turn in input order came when pull 1 asked at 200 ms",
            "by 250 ms",
            "at 400 ms",
        ]);
    }

    #[test]
    fn p07_error_before_its_turn_fails_under_input_order_and_passes_fail_fast() {
        // Pull 0 answers task 1's failure at 10 ms, before slot 0 was delivered.
        let trace = |order| {
            let tasks = vec![sleep(200.0), fail_after(10.0)];
            TraceBuilder::new(Ordered, TaskRuntime, Abort, 2, 1000.0, tasks)
                .error_order(order)
                .call(0.0)
                .ran(0, 0.0, 200.0)
                .start(1, 0.0)
                .end(1, 10.0, TaskEnd::Failed)
                .pull(0.0, 10.0, task_failed(1))
                .build()
        };
        check(&trace(ErrorOrder::FailFast), EPS, &super::RULE).passes();
        check(&trace(ErrorOrder::InputOrder), EPS, &super::RULE).fails_with(&[
            "task 1's failure was raised at 10 ms",
            "before the error order input_order made it due",
            "pull 1 was never asked",
        ]);
    }

    /// List, T = 1000 ms: task 0 sleeps 200 ms, task 1 fails at 10 ms, task 2 sleeps 300 ms;
    /// the list answers task 1's failure at `at`.
    fn list_failure(order: ErrorOrder, at: f64) -> Trace {
        let tasks = vec![sleep(200.0), fail_after(10.0), sleep(300.0)];
        TraceBuilder::new(List, TaskRuntime, Abort, 3, 1000.0, tasks)
            .error_order(order)
            .call(0.0)
            .ran(0, 0.0, 200.0)
            .start(1, 0.0)
            .end(1, 10.0, TaskEnd::Failed)
            .ran(2, 0.0, 300.0)
            .returned(at)
            .answer(at, task_failed(1))
            .build()
    }

    #[test]
    fn p07_list_input_order_raises_once_the_slots_before_it_resolved() {
        check(&list_failure(ErrorOrder::InputOrder, 200.0), EPS, &super::RULE).passes();
        check(&list_failure(ErrorOrder::FailFast, 200.0), EPS, &super::RULE)
            .fails_with(&["task 1 failed at 10 ms", "by 60 ms", "at 200 ms"]);
        check(&list_failure(ErrorOrder::InputOrder, 300.0), EPS, &super::RULE).fails_with(&[
            "its turn in input order came at 200 ms, once every slot before it was resolved",
            "by 250 ms",
            "at 300 ms",
        ]);
    }

    #[test]
    fn p07_at_end_raises_once_every_task_ended() {
        check(&list_failure(ErrorOrder::AtEnd, 300.0), EPS, &super::RULE).passes();
        check(&list_failure(ErrorOrder::FailFast, 300.0), EPS, &super::RULE)
            .fails_with(&["task 1 failed at 10 ms", "at 300 ms"]);
        check(&list_failure(ErrorOrder::AtEnd, 200.0), EPS, &super::RULE).fails_with(&[
            "raised at 200 ms, before the error order at_end made it due",
            "every task had ended by 300 ms",
        ]);
    }

    #[test]
    fn p07_input_order_in_unordered_mode_is_fail_fast() {
        // A task's turn in completion order is its completion.
        let trace = task_1_fails_at_20()
            .error_order(ErrorOrder::InputOrder)
            .pull(0.0, 300.0, task_failed(1))
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["task 1 failed at 20 ms", "by 70 ms"]);
    }

    #[test]
    fn p07_an_error_never_surfaced_fails_under_every_order() {
        for order in ErrorOrder::ALL {
            let trace = ordered_failure_behind_a_slow_slot(order, (200.0, Answer::End));
            check(&trace, EPS, &super::RULE).fails_with(&["task 1 failed at 10 ms"]);
        }
    }

    /// Unordered, T = 100 ms: task 1 raises the language's own timeout error at 30 ms; the
    /// consumer gets `answer` at 31 ms.
    fn own_timeout_error(answer: Answer) -> Trace {
        let tasks = vec![sleep(10.0), raise_timeout_after(30.0)];
        TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .start(1, 0.0)
            .end(1, 30.0, TaskEnd::Failed)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 31.0, answer)
            .build()
    }

    #[test]
    fn p07_a_tasks_own_timeout_error_is_its_failure_not_the_executors_timeout() {
        check(&own_timeout_error(task_failed(1)), EPS, &super::RULE).passes();
        check(&own_timeout_error(Answer::Timeout), EPS, &super::RULE).fails_with(&[
            "task 1 failed at 30 ms",
            "raised a timeout at 31 ms instead",
            "task 1 raised the language's own timeout error at 30 ms (a raise_timeout task)",
            "which is task 1's failure, not the executor's timeout",
        ]);
        use super::super::{judge_property, Property};
        let premature = judge_property(
            &own_timeout_error(Answer::Timeout),
            dur(EPS),
            Property::NoPremature,
        );
        assert!(
            premature.is_fail() && premature.evidence.contains("language's own timeout error"),
            "{}",
            premature.evidence
        );
    }
}

