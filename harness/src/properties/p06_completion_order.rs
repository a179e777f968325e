//! P06 completion_order — SHOULD: Unordered delivers in completion order.
//!
//! See `specs/timeout-semantics.md`, P06.

use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::Mode;
use crate::trace::Answer;

pub(super) const RULE: Rule = Rule {
    id: "P06",
    name: "completion_order",
    level: Level::Should,
    summary: "Unordered delivers in completion order",
    judge: completion_order,
};

/// P06 (SHOULD): Unordered delivers in completion order.
fn completion_order(f: &Facts) -> Verdict {
    if f.call.mode != Mode::Unordered {
        return Verdict::not_applicable("applies to unordered mode");
    }
    let items: Vec<usize> = f
        .pulls
        .iter()
        .filter_map(|p| match &p.answer {
            Some((_, Answer::Item { task })) => Some(*task),
            _ => None,
        })
        .collect();
    for (pos, &later) in items.iter().enumerate() {
        for &earlier in &items[..pos] {
            if let (Some(e_later), Some(e_earlier)) =
                (f.completed_at(later), f.completed_at(earlier))
            {
                if e_later.plus(f.epsilon) < e_earlier {
                    return Verdict::fail(format!(
                        "task {later} completed at {e_later} but was delivered after task {earlier}, which completed at {e_earlier} (ε {})",
                        f.tolerance
                    ));
                }
            }
        }
    }
    Verdict::pass("")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    fn delivered_in(order: [usize; 2], task_0_ends: f64) -> Trace {
        let tasks = vec![sleep(task_0_ends), sleep(10.0)];
        TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, task_0_ends)
            .ran(1, 0.0, 10.0)
            .pull(0.0, task_0_ends, item(order[0]))
            .pull(task_0_ends, task_0_ends, item(order[1]))
            .pull(task_0_ends, task_0_ends, Answer::End)
            .build()
    }

    #[test]
    fn p06_later_completion_delivered_first_fails() {
        check(&delivered_in([0, 1], 50.0), 5.0, &super::RULE).fails_with(&[
            "task 1 completed at 10 ms",
            "after task 0",
            "completed at 50 ms",
            "ε 5 ms",
        ]);
    }

    #[test]
    fn p06_completion_order_passes_and_tolerates_epsilon() {
        check(&delivered_in([1, 0], 50.0), 5.0, &super::RULE).passes();
        // Task 0 completed 2 ms after task 1: within ε 5 ms, either order is fine.
        check(&delivered_in([0, 1], 12.0), 5.0, &super::RULE).passes();
    }

    #[test]
    fn p06_not_applicable_outside_unordered() {
        check(
            &task_1_before_task_0(Ordered),
            5.0,
            &super::RULE,
        )
        .is_not_applicable();
    }
}
