//! P12 cancel_running — SHOULD: running cooperative tasks see a stop request within ε of an abort.
//!
//! See `specs/timeout-semantics.md`, P12.

use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::trace::{Stamp, TaskEnd};

pub(super) const RULE: Rule = Rule {
    id: "P12",
    name: "cancel_running",
    level: Level::Should,
    summary: "running cooperative tasks see a stop request within ε of an abort",
    judge: cancel_running,
};

/// P12 (SHOULD): running cooperative tasks see a stop request within ε of an abort.
fn cancel_running(f: &Facts) -> Verdict {
    if !f.contract.cancels_running {
        return Verdict::not_applicable(
            "the executor does not declare that it stops running tasks",
        );
    }
    let mut stops: Vec<(usize, Stamp, String)> = Vec::new();
    if let Some((at, what)) = &f.abort {
        stops.extend((0..f.call.n_tasks).map(|t| (t, *at, what.clone())));
    }
    for (task, abandoned) in f.abandoned.iter().copied().enumerate() {
        if let Some(at) = abandoned {
            stops.push((task, at, format!("its timeout at {at}")));
        }
    }
    let mut judged = 0;
    for (task, at, what) in stops {
        if !f.tasks[task].is_cooperative() {
            continue;
        }
        // A task stopped (or killed) at the abort's very instant (simulated time, ε 0) was
        // running at it.
        let running = f.starts[task].is_some_and(|s| s <= at)
            && f.ends[task].is_none_or(|(e, end)| {
                e > at || (e == at && matches!(end, TaskEnd::Stopped | TaskEnd::Killed))
            });
        if !running {
            continue;
        }
        judged += 1;
        match f.ends[task] {
            Some((e, TaskEnd::Stopped)) if e <= at.plus(f.epsilon) => {}
            Some((e, end)) if e <= at.plus(f.epsilon) && end != TaskEnd::Released => {}
            other => {
                return Verdict::fail(format!(
                    "task {task} (cooperative) was running at {what} and had not been stopped by {} (ε {}){}",
                    at.plus(f.epsilon),
                    f.tolerance,
                    match other {
                        Some((e, end)) => format!("; it ended {} at {e}", end.as_str()),
                        None => String::new(),
                    }
                ));
            }
        }
    }
    if judged == 0 {
        Verdict::not_applicable("no cooperative task was running at an abort")
    } else {
        Verdict::pass(format!(
            "{judged} running cooperative task(s) stopped in time"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// A cooperative hung task (and a plain hung one) running when the abort is due at 100 ms;
    /// the cooperative one ends as given.
    fn cooperative_at_abort(end_at: f64, end: TaskEnd) -> TraceBuilder {
        let tasks = vec![coop_hang(), hang()];
        TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .pull(0.0, 100.0, Answer::Timeout)
            .end(0, end_at, end)
    }

    #[test]
    fn p12_cooperative_task_only_released_at_teardown_fails() {
        let trace = cooperative_at_abort(900.0, TaskEnd::Released)
            .cancels_running()
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "task 0 (cooperative)",
            "abort at 100 ms",
            "by 150 ms",
            "ε 50 ms",
            "released at 900 ms",
        ]);
    }

    #[test]
    fn p12_cooperative_task_stopped_too_late_fails() {
        let trace = cooperative_at_abort(400.0, TaskEnd::Stopped)
            .cancels_running()
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["by 150 ms", "stopped at 400 ms"]);
    }

    #[test]
    fn p12_cooperative_task_stopped_in_time_passes() {
        let trace = cooperative_at_abort(101.0, TaskEnd::Stopped)
            .cancels_running()
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p12_stopped_at_the_abort_instant_in_simulated_time_passes() {
        // ε = 0: the stop request is seen at D itself, so the task ends Stopped at exactly 100 ms.
        // It was running at the abort and stopped within ε: a pass, not "no task was running".
        let trace = cooperative_at_abort(100.0, TaskEnd::Stopped)
            .cancels_running()
            .build();
        check(&trace, 0.0, &super::RULE).passes();
    }

    #[test]
    fn p12_not_applicable() {
        // The executor does not declare that it stops running tasks.
        let trace = cooperative_at_abort(900.0, TaskEnd::Released).build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
        // No cooperative task was running at the abort.
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
            .cancels_running()
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
    }

    #[test]
    fn p12_a_killed_task_counts_as_stopped() {
        let trace = cooperative_at_abort(104.0, TaskEnd::Killed)
            .cancels_running()
            .build();
        check(&trace, EPS, &super::RULE).passes();
        check(&trace, 0.0, &super::RULE).fails_with(&["by 100 ms", "it ended killed at 104 ms"]);
        let at_the_instant = cooperative_at_abort(100.0, TaskEnd::Killed)
            .cancels_running()
            .build();
        check(&at_the_instant, 0.0, &super::RULE).passes();
    }
}

