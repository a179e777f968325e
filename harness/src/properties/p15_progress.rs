//! P15 progress — MUST: a started task that neither hangs nor is stopped ends within its own
//! duration + ε.
//!
//! See `specs/timeout-semantics.md`, P15.

use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::call::TaskSpec;
use crate::trace::{Ms, Stamp};
use std::time::Duration;

pub(super) const RULE: Rule = Rule {
    id: "P15",
    name: "progress",
    level: Level::Must,
    summary: "a started task ends within its own duration + ε: running work is never starved",
    judge: progress,
};

/// How long after `s + d` task `spec` may end: ε, and twice ε for a CPU-bound body (`spin`),
/// which a loaded machine can deschedule at any point of its work, not only at its wake-up.
fn allowance(spec: &TaskSpec, epsilon: Duration) -> Duration {
    match spec {
        TaskSpec::Spin { .. } => epsilon.saturating_mul(2),
        _ => epsilon,
    }
}

/// P15: every started task with a finite duration ended by its start + duration + allowance.
fn progress(f: &Facts) -> Verdict {
    let mut judged = 0;
    let mut unknown = 0;
    let mut worst: Option<(usize, Duration)> = None;
    for (task, spec) in f.tasks.iter().enumerate() {
        let (Some(duration), Some(start)) = (spec.duration(), f.starts[task]) else {
            continue;
        };
        let allowed = allowance(spec, f.epsilon);
        let due_end = start.plus(duration);
        let limit = due_end.plus(allowed);
        let kind = kind(spec);
        match f.ends[task] {
            Some((end_at, _)) if end_at <= limit => {
                judged += 1;
                let over = end_at.since(due_end);
                if worst.is_none_or(|(_, w)| over > w) {
                    worst = Some((task, over));
                }
            }
            Some((end_at, end)) => {
                return Verdict::fail(format!(
                    "task {task} ({kind} {}) started at {start} and should have ended by {limit} \
                     ({due_end} + {} allowance), but it ended ({}) at {end_at}, {} late: the \
                     executor kept started work from running",
                    Ms(duration),
                    Ms(allowed),
                    format!("{end:?}").to_lowercase(),
                    Ms(end_at.since(limit)),
                ));
            }
            None if limit < trace_end(f) => {
                return Verdict::fail(format!(
                    "task {task} ({kind} {}) started at {start} and should have ended by {limit} \
                     ({due_end} + {} allowance), but it had not ended when {}: the executor \
                     kept started work from running",
                    Ms(duration),
                    Ms(allowed),
                    match f.watchdog {
                        Some(w) => format!("the watchdog ended the case at {w}"),
                        None => format!("the trace ended at {}", f.last),
                    }
                ));
            }
            // Recording stopped before the task was due to end: nothing to judge.
            None => unknown += 1,
        }
    }
    match (judged, worst) {
        (0, _) | (_, None) if unknown == 0 => {
            Verdict::not_applicable("no started task has a duration of its own (none, or hangs)")
        }
        (0, _) | (_, None) => Verdict::not_applicable(format!(
            "{unknown} started task(s) were due to end after the trace ended"
        )),
        (_, Some((task, over))) => Verdict::pass(format!(
            "{judged} started task(s) ended in time; the latest, task {task}, {} after its own \
             duration",
            Ms(over)
        )),
    }
}

/// The end of what the trace covers: the watchdog, or its last stamp.
fn trace_end(f: &Facts) -> Stamp {
    f.watchdog.unwrap_or(f.last)
}

fn kind(spec: &TaskSpec) -> &'static str {
    match spec {
        TaskSpec::Sleep { .. } => "sleep",
        TaskSpec::Spin { .. } => "spin",
        TaskSpec::Fail { .. } => "fail after",
        TaskSpec::RaiseTimeout { .. } => "raise its own timeout error after",
        TaskSpec::KillWorker { .. } => "kill its worker after",
        TaskSpec::CooperativeSleep { .. } => "cooperative sleep",
        TaskSpec::Hang | TaskSpec::CooperativeHang => "hang",
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// The starvation of `buffer_unordered(2)` with a busy consumer (issue #16's measurement):
    /// four 50 ms sleeps, each under a 100 ms per-task timeout, the consumer busy 120 ms after
    /// each item. Task 2's body started at 171 ms but was polled again only when the consumer
    /// pulled at 292 ms: it ended there, 71 ms after its 50 ms of work should have.
    fn starved_by_a_busy_consumer(task_2_end: f64) -> Trace {
        let tasks = vec![sleep(50.0), sleep(50.0), sleep(50.0), sleep(50.0)];
        TraceBuilder::new(Unordered, TaskRuntime, PerTask, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.5, 50.5)
            .ran(1, 0.5, 50.5)
            .pull(0.2, 50.6, item(0))
            .pull(170.6, 170.8, item(1))
            .start(2, 171.0)
            .end(2, task_2_end, TaskEnd::Returned)
            .start(3, 171.0)
            .end(3, task_2_end, TaskEnd::Returned)
            .pull(290.8, 292.0, item(2))
            .build()
    }

    #[test]
    fn p15_a_started_task_starved_by_the_executor_fails() {
        let trace = starved_by_a_busy_consumer(292.0);
        check(&trace, 20.0, &super::RULE).fails_with(&[
            "task 2 (sleep 50 ms)",
            "started at 171 ms",
            "should have ended by 241 ms",
            "221 ms + 20 ms allowance",
            "ended (returned) at 292 ms",
            "51 ms late",
            "kept started work from running",
        ]);
    }

    #[test]
    fn p15_the_same_tasks_polled_on_time_pass() {
        let trace = starved_by_a_busy_consumer(221.3);
        let v = check(&trace, 20.0, &super::RULE);
        v.passes();
        assert!(v.evidence.contains("4 started task(s)"), "{}", v.evidence);
    }

    #[test]
    fn p15_a_task_that_never_ended_by_the_watchdog_fails() {
        let trace = TraceBuilder::new(List, Overall, Abort, 1, 100.0, vec![sleep(30.0)])
            .call(0.0)
            .start(0, 1.0)
            .watchdog(1500.0)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "task 0 (sleep 30 ms)",
            "should have ended by 81 ms",
            "watchdog ended the case at 1.50 s",
        ]);
    }

    #[test]
    fn p15_a_cpu_bound_body_gets_twice_epsilon() {
        let spin = |end: f64| {
            let tasks = vec![TaskSpec::Spin { ms: dur(30.0) }];
            TraceBuilder::new(List, Overall, Abort, 1, 100.0, tasks)
                .call(0.0)
                .ran(0, 0.0, end)
                .answer(end, item(0))
                .answer(end, Answer::End)
                .build()
        };
        check(&spin(70.0), 20.0, &super::RULE).passes();
        check(&spin(71.0), 20.0, &super::RULE).fails_with(&["spin 30 ms", "40 ms allowance"]);
    }

    #[test]
    fn p15_hangs_stops_and_tasks_due_after_the_trace_are_not_judged() {
        // A hang has no duration; a cooperative task stopped early ended in time; a sleep due
        // after the trace's last stamp cannot be judged.
        let tasks = vec![hang(), TaskSpec::CooperativeSleep { ms: dur(500.0) }];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .pull(0.0, 100.0, Answer::Timeout)
            .end(1, 100.5, TaskEnd::Stopped)
            .build();
        check(&trace, EPS, &super::RULE).passes();
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, vec![sleep(500.0)])
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
        check(&joblib_1586(), EPS, &super::RULE).is_not_applicable();
    }
}
