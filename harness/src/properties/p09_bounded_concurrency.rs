//! P09 bounded_concurrency — MUST: never more than n_jobs tasks running.
//!
//! See `specs/timeout-semantics.md`, P09.

use super::evidence::list;
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::trace::{Stamp, TaskEnd};

pub(super) const RULE: Rule = Rule {
    id: "P09",
    name: "bounded_concurrency",
    level: Level::Must,
    summary: "never more than n_jobs tasks running",
    judge: bounded_concurrency,
};

/// P09: never more than n_jobs tasks running (an abandoned, timed-out task no longer counts;
/// nor does a killed one).
fn bounded_concurrency(f: &Facts) -> Verdict {
    // Starts and ends in the trace's own order; an abandonment counts before any event at or
    // after its instant (the replacement worker can only start once the task was abandoned),
    // but after the task's own start. A kill is stamped when it was seen, which can only be
    // after it happened: a killed task counts as gone from ε before its stamp. Stamps taken
    // on other clocks (remote workers, `specs/protocol.md` §5.1) may seem later than they
    // were by the clock uncertainty: an end then counts as freeing its worker that much earlier.
    let clock = f.tolerance.clock_uncertainty;
    let mut abandons: Vec<(Stamp, usize)> = f
        .abandoned
        .iter()
        .enumerate()
        .filter_map(|(task, at)| at.map(|at| (at, task)))
        .chain((0..f.call.n_tasks).filter_map(|task| match f.ends[task] {
            Some((at, TaskEnd::Killed)) => Some((at.minus(f.epsilon), task)),
            _ => None,
        }))
        .chain(
            (0..f.call.n_tasks)
                .filter(|_| !clock.is_zero())
                .filter_map(|task| f.ends[task].map(|(at, _)| (at.minus(clock), task))),
        )
        .collect();
    abandons.sort();
    let mut abandons = abandons.into_iter().peekable();
    let mut running: Vec<usize> = Vec::new();
    for &(at, task, is_start) in &f.task_events {
        while let Some((_, gone)) = abandons.next_if(|(a, _)| *a <= at) {
            running.retain(|&t| t != gone);
        }
        if !is_start {
            running.retain(|&t| t != task);
            continue;
        }
        // A task abandoned at its very start (a timeout of 0) never holds a worker.
        if f.abandoned[task].is_some_and(|a| a <= at) {
            continue;
        }
        running.push(task);
        if running.len() > f.call.n_jobs {
            // In task order: tasks that started at one instant are listed the same way
            // whatever order their stamps were taken in.
            running.sort_unstable();
            return Verdict::fail(format!(
                "at {at}, {} tasks were running (tasks {}) with n_jobs {}",
                running.len(),
                list(&running),
                f.call.n_jobs
            ));
        }
    }
    Verdict::pass("")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn p09_a_start_within_the_clock_uncertainty_of_an_end_on_another_worker_counts_after_it() {
        // Task 2 takes the worker task 0 frees; task 0's end was stamped on a remote worker's
        // clock known within 1 ms, and seems 0.5 ms later than task 2's start.
        let trace = |within: f64| {
            TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, vec![sleep(50.0); 3])
                .call(0.0)
                .ran(1, 0.0, 80.0)
                .start(0, 0.0)
                .within(within)
                .end(0, 50.5, TaskEnd::Returned)
                .within(within)
                .start(2, 50.0)
                .end(2, 100.0, TaskEnd::Returned)
                .build()
        };
        check(&trace(1.0), EPS, &super::RULE).passes();
        // On one clock the same stamps are three tasks running at once.
        check(&trace(0.0), EPS, &super::RULE).fails_with(&["at 50 ms", "tasks 0, 1, 2"]);
    }

    #[test]
    fn p09_three_tasks_running_on_two_jobs_fails() {
        let tasks = vec![sleep(50.0), sleep(50.0), sleep(50.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 50.0)
            .ran(1, 10.0, 60.0)
            .ran(2, 20.0, 70.0)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "at 20 ms",
            "3 tasks were running",
            "tasks 0, 1, 2",
            "n_jobs 2",
        ]);
    }

    #[test]
    fn p09_a_worker_reused_at_the_instant_it_frees_passes() {
        let tasks = vec![sleep(50.0), sleep(50.0), sleep(50.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 50.0)
            .ran(1, 10.0, 60.0)
            .ran(2, 50.0, 100.0)
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    /// PerTask, n_jobs 1: task 0 hangs and is abandoned at its due time 100 ms; task 1 then runs.
    fn per_task_replacement(task_1_starts: f64) -> Trace {
        let tasks = vec![hang(), sleep(10.0)];
        TraceBuilder::new(Ordered, TaskRuntime, PerTask, 1, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, timed_out(0))
            .ran(1, task_1_starts, task_1_starts + 10.0)
            .pull(100.0, 110.0, item(1))
            .pull(110.0, 110.0, Answer::End)
            .build()
    }

    #[test]
    fn p09_per_task_abandoned_task_does_not_count_passes() {
        check(
            &per_task_replacement(100.0),
            EPS,
            &super::RULE,
        )
        .passes();
    }

    #[test]
    fn p09_per_task_replacement_before_the_abandon_fails() {
        check(
            &per_task_replacement(50.0),
            EPS,
            &super::RULE,
        )
        .fails_with(&["at 50 ms", "2 tasks were running", "n_jobs 1"]);
    }

    /// T = 0 on one worker: each task is due, marked and abandoned at its very start, so the
    /// next one starts at the same instant on a replacement worker.
    fn timeout_zero(on_timeout: OnTimeout) -> Trace {
        let tasks = vec![hang(), hang(), sleep(10.0)];
        TraceBuilder::new(Unordered, TaskRuntime, on_timeout, 1, 0.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .start(2, 0.0)
            .pull(0.0, 0.0, timed_out(0))
            .pull(0.0, 0.0, timed_out(1))
            .pull(0.0, 0.0, timed_out(2))
            .pull(0.0, 0.0, Answer::End)
            .build()
    }

    #[test]
    fn p09_a_task_abandoned_at_its_start_never_holds_a_worker() {
        check(&timeout_zero(PerTask), 0.0, &super::RULE).passes();
        // Under abort nothing is abandoned: three tasks at once on one worker.
        check(&timeout_zero(Abort), 0.0, &super::RULE)
            .fails_with(&["at 0 ms", "2 tasks were running", "n_jobs 1"]);
    }

    #[test]
    fn p09_zero_duration_task_does_not_stay_running() {
        // Simulated time (ε = 0): a `sleep 0` task starts and ends at the same instant. It must not
        // be counted as running afterwards.
        let tasks = vec![sleep(0.0), sleep(10.0)];
        let trace = TraceBuilder::new(Ordered, TaskRuntime, Abort, 1, 100.0, tasks)
            .call(0.0)
            .ran(0, 5.0, 5.0)
            .ran(1, 10.0, 20.0)
            .pull(0.0, 5.0, item(0))
            .pull(5.0, 20.0, item(1))
            .pull(20.0, 20.0, Answer::End)
            .build();
        check(&trace, 0.0, &super::RULE).passes();
    }

    #[test]
    fn p09_two_zero_length_tasks_on_one_worker_at_one_instant_pass() {
        // specs/regressions/zero-length-tasks.toml: start 0, end 0, start 1, end 1, all at 0 ms.
        let tasks = vec![sleep(0.0), sleep(0.0)];
        let trace = TraceBuilder::new(List, TaskRuntime, Abort, 1, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 0.0)
            .ran(1, 0.0, 0.0)
            .returned(0.0)
            .answer(0.0, item(0))
            .answer(0.0, item(1))
            .answer(0.0, Answer::End)
            .build();
        check(&trace, 0.0, &super::RULE).passes();
        // ...while a second task genuinely overlapping the first still fails.
        let tasks = vec![sleep(0.0), sleep(5.0), sleep(5.0)];
        let overlapping = TraceBuilder::new(List, TaskRuntime, Abort, 1, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 0.0)
            .ran(1, 0.0, 5.0)
            .ran(2, 1.0, 6.0)
            .build();
        check(&overlapping, 0.0, &super::RULE).fails_with(&["at 1 ms", "n_jobs 1"]);
    }

    /// task_runtime/abort, unordered, n_jobs 2: three hung tasks. Task 0's timeout is due at
    /// 100 ms; the executor kills its worker, refills the freed slot with task 2 (within ε of
    /// the abort) and raises the timeout.
    fn killed_and_refilled(killed: bool) -> Trace {
        let tasks = vec![hang(), hang(), hang()];
        let b = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0);
        let b = if killed {
            b.end(0, 100.5, TaskEnd::Killed)
        } else {
            b
        };
        b.start(2, 102.0).pull(0.0, 103.0, Answer::Timeout).build()
    }

    #[test]
    fn p09_a_kill_seen_within_epsilon_after_the_replacement_started_counts() {
        // The adapter saw the kill at 102.5 ms, 0.5 ms after task 2 started: the death came
        // first (nothing could start in its slot before), it was only seen late.
        let tasks = vec![hang(), hang(), hang()];
        let seen_at = |at: f64| {
            TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks.clone())
                .call(0.0)
                .start(0, 0.0)
                .start(1, 0.0)
                .start(2, 102.0)
                .end(0, at, TaskEnd::Killed)
                .pull(0.0, 103.0, Answer::Timeout)
                .build()
        };
        check(&seen_at(102.5), EPS, &super::RULE).passes();
        check(&seen_at(102.5), 0.0, &super::RULE).fails_with(&["at 102 ms", "tasks 0, 1, 2"]);
        check(&seen_at(160.0), EPS, &super::RULE).fails_with(&["at 102 ms"]);
    }

    #[test]
    fn p09_a_killed_task_stops_counting() {
        check(&killed_and_refilled(true), EPS, &super::RULE).passes();
        // The same executor, its kill unreported: task 0 seems to run on.
        check(&killed_and_refilled(false), EPS, &super::RULE).fails_with(&[
            "at 102 ms",
            "3 tasks were running (tasks 0, 1, 2)",
            "n_jobs 2",
        ]);
    }
}

