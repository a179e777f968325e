//! P03 partial_results — SHOULD: Unordered + Abort: results completed before D are delivered before the timeout.
//!
//! See `specs/timeout-semantics.md`, P03.

use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::{Mode, OnTimeout};
use crate::trace::{Answer, TaskEnd};

pub(super) const RULE: Rule = Rule {
    id: "P03",
    name: "partial_results",
    level: Level::Should,
    summary: "Unordered + Abort: results completed before D are delivered before the timeout",
    judge: partial_results,
};

/// P03 (SHOULD): in Unordered + Abort, results completed before D come before the timeout.
fn partial_results(f: &Facts) -> Verdict {
    if f.call.mode != Mode::Unordered || f.contract.on_timeout != OnTimeout::Abort {
        return Verdict::not_applicable("applies to unordered mode with on_timeout abort");
    }
    let Some((at, Answer::Timeout)) = f.terminal() else {
        return Verdict::not_applicable("the iteration did not end with a timeout");
    };
    let Some(ob) = f.first_obligation() else {
        return Verdict::not_applicable("no timeout was due (judged by P02)");
    };
    let delivered = f.delivered_items();
    for task in 0..f.call.n_tasks {
        if let Some(end) = f.completed_at(task) {
            if f.end_kind(task) == Some(TaskEnd::Returned)
                && end.plus(f.epsilon) <= ob.due
                && !delivered.contains(&task)
            {
                return Verdict::fail(format!(
                    "task {task} completed at {end}, before the timeout was due at {} (ε {}), but the timeout was raised at {at} without delivering its result",
                    ob.due,
                    f.tolerance
                ));
            }
        }
    }
    Verdict::pass("")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// Unordered + Abort: task 1 completes at 10 ms, task 0 hangs; the timeout is due at 100 ms.
    fn partial(mode: Mode, deliver_task_1_first: bool) -> Trace {
        let tasks = vec![hang(), sleep(10.0)];
        let b = TraceBuilder::new(mode, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .ran(1, 0.0, 10.0);
        let b = if deliver_task_1_first {
            b.pull(0.0, 10.0, item(1))
                .pull(10.0, 100.0, Answer::Timeout)
        } else {
            b.pull(0.0, 100.0, Answer::Timeout)
        };
        b.build()
    }

    #[test]
    fn p03_timeout_without_the_completed_result_fails() {
        check(&partial(Unordered, false), EPS, &super::RULE).fails_with(&[
            "task 1 completed at 10 ms",
            "due at 100 ms",
            "ε 50 ms",
            "raised at 100 ms",
        ]);
    }

    #[test]
    fn p03_completed_result_delivered_before_timeout_passes() {
        check(&partial(Unordered, true), EPS, &super::RULE).passes();
    }

    #[test]
    fn p03_not_applicable() {
        // Ordered mode.
        check(&partial(Ordered, false), EPS, &super::RULE).is_not_applicable();
        // PerTask.
        let trace = TraceBuilder::new(Unordered, TaskRuntime, PerTask, 1, 100.0, vec![hang()])
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, timed_out(0))
            .pull(100.0, 100.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
        // The iteration did not end with a timeout.
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![sleep(10.0)])
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 10.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
    }

    #[test]
    fn p03_runner_shaped_timeout_just_before_due_without_the_completed_result_fails() {
        // ε 10 ms: the timeout raised at 95 ms (within ε of D = 100 ms, so not premature) and the
        // stream dropped right after, as the runner does; task 1's result, ready since 10 ms, was
        // never delivered.
        let tasks = vec![hang(), sleep(10.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .ran(1, 0.0, 10.0)
            .pull(0.0, 95.0, Answer::Timeout)
            .drop_begun(95.0)
            .drop_returned(95.0)
            .build();
        check(&trace, 10.0, &super::RULE).fails_with(&[
            "task 1 completed at 10 ms",
            "due at 100 ms",
            "raised at 95 ms",
        ]);
    }
}
