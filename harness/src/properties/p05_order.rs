//! P05 order — MUST: List and Ordered keep input order; Unordered delivers only the call's tasks.
//!
//! See `specs/timeout-semantics.md`, P05.

use super::evidence::describe;
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::trace::Answer;

pub(super) const RULE: Rule = Rule {
    id: "P05",
    name: "order",
    level: Level::Must,
    summary: "List and Ordered keep input order; Unordered delivers only the call's tasks",
    judge: order,
};

/// P05: List and Ordered deliver slots in input order; Unordered only the call's tasks.
fn order(f: &Facts) -> Verdict {
    let mut expected = 0usize;
    for pull in &f.pulls {
        let Some((at, answer)) = &pull.answer else {
            continue;
        };
        let (Answer::Item { task } | Answer::TimedOut { task }) = answer else {
            continue;
        };
        if *task >= f.call.n_tasks {
            return Verdict::fail(format!(
                "delivered {} at {at}, which is not a task of this call ({} tasks)",
                describe(answer),
                f.call.n_tasks
            ));
        }
        if f.call.mode.keeps_input_order() {
            if *task != expected {
                return Verdict::fail(format!(
                    "{} mode delivered {} at {at} in position {expected}, where task {expected} belongs",
                    f.call.mode,
                    describe(answer)
                ));
            }
            expected += 1;
        }
    }
    Verdict::pass("")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn p05_ordered_out_of_input_order_fails() {
        check(&task_1_before_task_0(Ordered), EPS, &super::RULE).fails_with(&[
            "ordered mode",
            "task 1's result at 10 ms",
            "position 0",
            "task 0 belongs",
        ]);
    }

    #[test]
    fn p05_unordered_out_of_input_order_passes() {
        check(&task_1_before_task_0(Unordered), EPS, &super::RULE).passes();
    }

    #[test]
    fn p05_list_keeps_input_order() {
        let trace = |first: usize, second: usize| {
            let tasks = vec![sleep(20.0), sleep(10.0)];
            TraceBuilder::new(List, TaskRuntime, Abort, 2, 100.0, tasks)
                .call(0.0)
                .ran(0, 0.0, 20.0)
                .ran(1, 0.0, 10.0)
                .answer(20.0, item(first))
                .answer(20.0, item(second))
                .returned(20.0)
                .build()
        };
        check(&trace(0, 1), EPS, &super::RULE).passes();
        check(&trace(1, 0), EPS, &super::RULE).fails_with(&["list mode", "position 0"]);
    }
}
