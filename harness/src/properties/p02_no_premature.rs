//! P02 no_premature — MUST: nothing times out before D − ε; a call whose tasks finish in time never times out.
//!
//! See `specs/timeout-semantics.md`, P02.

use super::evidence::{own_timeout_errors, task_story, why_nothing_due};
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::OnTimeout;
use crate::trace::{Answer, Ms};

pub(super) const RULE: Rule = Rule {
    id: "P02",
    name: "no_premature",
    level: Level::Must,
    summary: "nothing times out before D − ε; a call whose tasks finish in time never times out",
    judge: no_premature,
};

/// P02: nothing times out before D − ε.
fn no_premature(f: &Facts) -> Verdict {
    let obligations = &f.all_obligations;
    for (k, pull) in f.pulls.iter().enumerate() {
        let Some((at, answer)) = &pull.answer else {
            continue;
        };
        match (answer, f.contract.on_timeout) {
            (Answer::Timeout, _) if f.timeout.is_none() => {
                return Verdict::fail(format!(
                    "timeout raised at {at}, but the call has no timeout"
                ));
            }
            (Answer::Timeout, OnTimeout::PerTask) => {
                return Verdict::fail(format!(
                    "a timeout error was raised at {at}, but the contract is per_task: a timed-out slot must yield its marker"
                ));
            }
            (Answer::TimedOut { task }, OnTimeout::Abort) => {
                return Verdict::fail(format!(
                    "task {task}'s timed-out marker was delivered at {at}, but the contract is abort: the timeout must raise"
                ));
            }
            (Answer::Timeout, OnTimeout::Abort) => match obligations.first() {
                None => {
                    return Verdict::fail(format!(
                        "timeout raised at {at}, but no timeout was due: {}{}",
                        why_nothing_due(f),
                        own_timeout_errors(f, *at)
                    ))
                }
                Some(ob) if *at < ob.due.minus(f.epsilon) => {
                    return Verdict::fail(format!(
                        "timeout raised at {at}, {} before it was due ({}; ε {}){}",
                        Ms(ob.due.since(*at)),
                        ob.why,
                        f.tolerance,
                        own_timeout_errors(f, *at)
                    ))
                }
                Some(_) => {}
            },
            (Answer::TimedOut { task }, OnTimeout::PerTask) => {
                let due = obligations
                    .iter()
                    .filter(|o| o.applies_to_task(*task, k))
                    .map(|o| o.due)
                    .min();
                match due {
                    None => {
                        return Verdict::fail(format!(
                            "task {task}'s timed-out marker was delivered at {at}, but task {task} never overran: {}",
                            task_story(f, *task)
                        ))
                    }
                    Some(due) if *at < due.minus(f.epsilon) => {
                        return Verdict::fail(format!(
                            "task {task}'s timed-out marker was delivered at {at}, {} before it was due at {due} (ε {})",
                            Ms(due.since(*at)),
                            f.tolerance
                        ))
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }
    Verdict::pass("")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    fn hung_task_timeout_at(at: f64) -> Trace {
        TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, at, Answer::Timeout)
            .build()
    }

    #[test]
    fn p02_timeout_before_due_fails() {
        check(&hung_task_timeout_at(30.0), 10.0, &super::RULE).fails_with(&[
            "raised at 30 ms",
            "70 ms before",
            "due 100 ms",
            "ε 10 ms",
        ]);
    }

    #[test]
    fn p02_timeout_within_epsilon_of_due_passes() {
        check(&hung_task_timeout_at(95.0), 10.0, &super::RULE).passes();
        check(&hung_task_timeout_at(100.0), 0.0, &super::RULE).passes();
    }

    #[test]
    fn p02_timeout_when_no_task_overran_fails() {
        let tasks = vec![sleep(20.0), sleep(30.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 20.0)
            .ran(1, 0.0, 30.0)
            .pull(0.0, 40.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "raised at 40 ms",
            "no timeout was due",
            "100 ms",
        ]);
    }

    #[test]
    fn p02_ordered_result_wait_timeout_on_the_task_clock_fails() {
        // Task 1 started at 0 ms, and an executor timing the task (not the wait) fires at 130 ms;
        // but the consumer paused and asked for slot 1 only at 120 ms, so the wait is due at 220 ms.
        let trace = |at: f64| {
            let tasks = vec![sleep(10.0), hang()];
            TraceBuilder::new(Ordered, ResultWait, Abort, 2, 100.0, tasks)
                .call(0.0)
                .ran(0, 0.0, 10.0)
                .start(1, 0.0)
                .pull(0.0, 10.0, item(0))
                .pull(120.0, at, Answer::Timeout)
                .build()
        };
        check(&trace(130.0), EPS, &super::RULE).fails_with(&[
            "raised at 130 ms",
            "90 ms before",
            "asked for slot 1 at 120 ms",
            "due 220 ms",
        ]);
        check(&trace(221.0), EPS, &super::RULE).passes();
    }

    #[test]
    fn p02_per_task_marker_for_a_task_that_completed_in_time_fails() {
        let tasks = vec![sleep(20.0), sleep(30.0)];
        let trace = TraceBuilder::new(Ordered, TaskRuntime, PerTask, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 20.0)
            .ran(1, 0.0, 30.0)
            .pull(0.0, 100.0, timed_out(0))
            .pull(100.0, 100.0, item(1))
            .pull(100.0, 100.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "task 0's timed-out marker was delivered at 100 ms",
            "never overran",
            "ended (returned) at 20 ms",
        ]);
    }

    #[test]
    fn p02_per_task_marker_early_fails_and_in_time_passes() {
        let trace = |marker_at: f64| {
            let tasks = vec![hang(), sleep(20.0)];
            TraceBuilder::new(Unordered, TaskRuntime, PerTask, 2, 100.0, tasks)
                .call(0.0)
                .start(0, 0.0)
                .ran(1, 0.0, 20.0)
                .pull(0.0, 20.0, item(1))
                .pull(20.0, marker_at, timed_out(0))
                .pull(marker_at, marker_at, Answer::End)
                .build()
        };
        check(&trace(40.0), EPS, &super::RULE)
            .fails_with(&["delivered at 40 ms", "60 ms before it was due at 100 ms"]);
        check(&trace(101.0), EPS, &super::RULE).passes();
    }

    #[test]
    fn p02_contract_mismatches_fail() {
        // A timeout error under per_task.
        let trace = TraceBuilder::new(Unordered, TaskRuntime, PerTask, 1, 100.0, vec![hang()])
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["at 100 ms", "per_task"]);
        // A marker under abort.
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, timed_out(0))
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["at 100 ms", "abort"]);
        // A timeout in a call without one.
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
            .without_timeout()
            .call(0.0)
            .start(0, 0.0)
            .pull(0.0, 100.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&["at 100 ms", "no timeout"]);
    }

    #[test]
    fn p02_runner_shaped_premature_timeout_names_its_due_time() {
        // As p02_timeout_before_due_fails, with the drop the runner records after every stream.
        check(
            &hung_task_timeout_then_drop_at(30.0),
            10.0,
            &super::RULE,
        )
        .fails_with(&["raised at 30 ms", "70 ms before", "due 100 ms"]);
    }
}
