//! P13 timeout_precedence — MUST: under abort, a timeout due more than ε before the owed error
//! is the terminal answer; a later task failure does not replace it.
//!
//! See `specs/timeout-semantics.md`, P13.

use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::OnTimeout;
use crate::trace::Answer;

pub(super) const RULE: Rule = Rule {
    id: "P13",
    name: "timeout_precedence",
    level: Level::Must,
    summary: "under abort, a timeout due more than ε before the error is raised, not replaced by it",
    judge: timeout_precedence,
};

/// P13: under Abort, when the call's D came more than ε before the owed error was due, the
/// iteration ends with the timeout, not with a task's failure.
fn timeout_precedence(f: &Facts) -> Verdict {
    if f.timeout.is_none() {
        return Verdict::not_applicable("the call has no timeout");
    }
    if f.contract.on_timeout != OnTimeout::Abort {
        return Verdict::not_applicable(
            "per_task: a timeout yields a marker and never competes with an error for the end of the iteration",
        );
    }
    let Some(error) = &f.error else {
        return Verdict::not_applicable("no task failed");
    };
    let Some(ob) = f.first_obligation() else {
        return Verdict::pass(format!("{}; no timeout was due", error.why));
    };
    let timeout_first = error
        .due
        .is_none_or(|due| ob.due.plus(f.epsilon) < due);
    let error_due = match error.due {
        Some(due) => format!("task {}'s error was due at {due}", error.task),
        None => format!("task {}'s error never came due", error.task),
    };
    if !timeout_first {
        return Verdict::pass(format!(
            "{error_due}, no more than ε after the timeout due at {}: either may end the iteration",
            ob.due
        ));
    }
    match f.terminal() {
        Some((at, Answer::TaskFailed { task })) => Verdict::fail(format!(
            "{}, more than ε before task {}'s error was due ({}), but the iteration ended at {at} with task {task}'s failure instead of the timeout (ε {})",
            ob.why,
            error.task,
            error.why,
            f.tolerance
        )),
        Some((at, Answer::Timeout)) => Verdict::pass(format!(
            "the timeout due at {} came before the error ({error_due}) and was raised at {at}",
            ob.due
        )),
        _ => Verdict::pass(format!(
            "the timeout due at {} came before the error ({error_due}); the iteration did not end with a task's failure",
            ob.due
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// Ordered + Abort, T = 100 ms: task 0 hangs (due at 100 ms), task 1 fails at 300 ms; the
    /// consumer pauses and asks for its first slot only at 350 ms, and gets `answer` at once.
    fn late_failure_after_timeout(mode: Mode, answer: Answer) -> Trace {
        let tasks = vec![hang(), fail_after(300.0)];
        TraceBuilder::new(mode, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .end(1, 300.0, TaskEnd::Failed)
            .pull(350.0, 350.0, answer)
            .build()
    }

    #[test]
    fn p13_a_late_failure_replacing_an_overdue_timeout_fails() {
        for mode in [Ordered, Unordered] {
            let trace = late_failure_after_timeout(mode, task_failed(1));
            check(&trace, EPS, &super::RULE).fails_with(&[
                "task 0 started at 0 ms",
                "due 100 ms; it never completed, more than ε before task 1's error was due",
                "(task 1 failed at 300 ms)",
                "ended at 350 ms with task 1's failure instead of the timeout",
                "ε 50 ms",
            ]);
        }
    }

    #[test]
    fn p13_the_overdue_timeout_passes() {
        let trace = late_failure_after_timeout(Ordered, Answer::Timeout);
        let v = check(&trace, EPS, &super::RULE);
        v.passes();
        assert!(v.evidence.contains("raised at 350 ms"), "{}", v.evidence);
    }

    #[test]
    fn p13_only_p13_catches_it_in_a_lazy_mode() {
        // The consumer asked after both instants, so neither liveness nor error propagation
        // sees anything late: only precedence does.
        use super::super::{judge_property, Property};
        let trace = late_failure_after_timeout(Unordered, task_failed(1));
        for p in [Property::Liveness, Property::ErrorPropagation, Property::NoPremature] {
            let v = judge_property(&trace, dur(EPS), p);
            assert!(!v.is_fail(), "{p}: {}", v.evidence);
        }
    }

    #[test]
    fn p13_in_list_mode_the_late_failure_is_late_too() {
        // A list cannot pause: the same defect answers 200 ms after the timeout was due.
        use super::super::{judge_property, Property};
        let tasks = vec![hang(), fail_after(300.0)];
        let trace = TraceBuilder::new(List, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .end(1, 300.0, TaskEnd::Failed)
            .returned(300.0)
            .answer(300.0, task_failed(1))
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["instead of the timeout"]);
        assert!(judge_property(&trace, dur(EPS), Property::Liveness).is_fail());
    }

    #[test]
    fn p13_a_failure_within_epsilon_of_the_timeout_may_win() {
        // Task 1 fails at 120 ms, within ε 50 ms of the timeout due at 100 ms.
        let tasks = vec![hang(), fail_after(120.0)];
        let trace = TraceBuilder::new(Ordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .end(1, 120.0, TaskEnd::Failed)
            .pull(0.0, 121.0, task_failed(1))
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p13_under_input_order_the_timeout_due_before_the_errors_turn_wins() {
        // input_order, ordered: task 0 hangs (due 100 ms), task 1 fails at 20 ms. Its turn (pull
        // 1) never comes, so the timeout is owed: a task_failed at 120 ms is a violation under
        // input_order, and the same trace is fine under fail_fast (the error was due at 20 ms,
        // though it came late: P07's to judge).
        let trace = |order| {
            let tasks = vec![hang(), fail_after(20.0)];
            TraceBuilder::new(Ordered, TaskRuntime, Abort, 2, 100.0, tasks)
                .error_order(order)
                .call(0.0)
                .start(0, 0.0)
                .start(1, 0.0)
                .end(1, 20.0, TaskEnd::Failed)
                .pull(0.0, 120.0, task_failed(1))
                .build()
        };
        check(&trace(ErrorOrder::InputOrder), EPS, &super::RULE).fails_with(&[
            "due 100 ms",
            "its turn in input order never came: pull 1 was never asked",
            "instead of the timeout",
        ]);
        check(&trace(ErrorOrder::FailFast), EPS, &super::RULE).passes();
    }

    #[test]
    fn p13_not_applicable() {
        let per_task = TraceBuilder::new(Ordered, TaskRuntime, PerTask, 1, 100.0, vec![hang()])
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, timed_out(0))
            .build();
        check(&per_task, EPS, &super::RULE).is_not_applicable();
        check(&hung_pair_timeout_seen_at(100.0), EPS, &super::RULE).is_not_applicable();
    }
}
