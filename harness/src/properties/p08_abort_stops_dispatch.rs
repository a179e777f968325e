//! P08 abort_stops_dispatch — MUST: after an abort or a drop, no task starts later than ε after it.
//!
//! See `specs/timeout-semantics.md`, P08.

use super::due::Target;
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::OnTimeout;
use crate::trace::{Ms, Stamp};

pub(super) const RULE: Rule = Rule {
    id: "P08",
    name: "abort_stops_dispatch",
    level: Level::Must,
    summary: "after an abort or a drop, no task starts later than ε after it",
    judge: abort_stops_dispatch,
};

/// P08: after an abort or a drop, no task starts later than ε after it.
fn abort_stops_dispatch(f: &Facts) -> Verdict {
    let abort = f.abort.clone();
    for task in 0..f.call.n_tasks {
        let Some(start) = f.starts[task] else {
            continue;
        };
        if let Some((at, what)) = &abort {
            if start > at.plus(f.epsilon) {
                return Verdict::fail(format!(
                    "task {task} started at {start}, {} after {what} (ε {})",
                    Ms(start.since(*at)),
                    f.tolerance
                ));
            }
        }
    }
    if f.contract.on_timeout == OnTimeout::PerTask {
        for ob in &f.obligations {
            if let Target::Task(task) = ob.target {
                if f.starts[task].is_some_and(|s| s > ob.due.plus(f.epsilon)) {
                    return Verdict::fail(format!(
                        "{}; task {task} was still started later, at {} (ε {})",
                        ob.why,
                        f.starts[task].unwrap_or(Stamp::ZERO),
                        f.tolerance
                    ));
                }
            }
        }
    }
    let per_task_timeouts =
        f.contract.on_timeout == OnTimeout::PerTask && !f.obligations.is_empty();
    match abort {
        None if !per_task_timeouts => {
            Verdict::not_applicable("the call was neither aborted, nor dropped, nor timed out")
        }
        _ => Verdict::pass(""),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// 3 hung tasks on 3 workers, T = 100 ms: the abort is due at 100 ms; task 3 starts at `at`.
    fn task_3_started_at(at: Option<f64>) -> Trace {
        let tasks = vec![hang(), hang(), hang(), sleep(10.0)];
        let b = TraceBuilder::new(Unordered, TaskRuntime, Abort, 3, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .start(2, 0.0)
            .pull(0.0, 100.0, Answer::Timeout);
        match at {
            Some(at) => b.ran(3, at, at + 10.0).build(),
            None => b.build(),
        }
    }

    #[test]
    fn p08_task_started_after_abort_fails() {
        check(
            &task_3_started_at(Some(250.0)),
            EPS,
            &super::RULE,
        )
        .fails_with(&[
            "task 3 started at 250 ms",
            "150 ms after",
            "abort at 100 ms",
            "ε 50 ms",
        ]);
    }

    #[test]
    fn p08_no_start_after_abort_passes() {
        check(&task_3_started_at(None), EPS, &super::RULE).passes();
        // A start within ε of the abort is tolerated.
        check(
            &task_3_started_at(Some(140.0)),
            EPS,
            &super::RULE,
        )
        .passes();
    }

    #[test]
    fn p08_task_started_after_drop_fails() {
        let tasks = vec![sleep(10.0), sleep(10.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 1000.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .pull(0.0, 10.0, item(0))
            .drop_begun(11.0)
            .drop_returned(12.0)
            .ran(1, 200.0, 210.0)
            .build();
        check(&trace, EPS, &super::RULE)
            .fails_with(&["task 1 started at 200 ms", "drop at 11 ms"]);
    }

    #[test]
    fn p08_not_applicable_when_neither_aborted_nor_dropped() {
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 20.0, item(1))
            .pull(20.0, 30.0, item(2))
            .pull(30.0, 30.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
    }
}
