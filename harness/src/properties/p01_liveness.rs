//! P01 liveness — MUST: once the due time D has passed, the consumer sees the timeout within ε.
//!
//! See `specs/timeout-semantics.md`, P01.

use super::due::{Obligation, Target};
use super::evidence::late;
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::{Mode, OnTimeout};
use crate::trace::{Answer, Ms};

pub(super) const RULE: Rule = Rule {
    id: "P01",
    name: "liveness",
    level: Level::Must,
    summary: "once the due time D has passed, the consumer sees the timeout within ε",
    judge: liveness,
};

/// P01: once D has passed, the consumer sees the timeout within ε.
fn liveness(f: &Facts) -> Verdict {
    let Some(timeout) = f.timeout else {
        return Verdict::not_applicable("the call has no timeout");
    };
    if let Some(v) = unreported_call(f, timeout) {
        return v;
    }
    match f.contract.on_timeout {
        OnTimeout::Abort => {
            let Some(ob) = f.first_obligation() else {
                return Verdict::pass("no timeout was due");
            };
            if let Some((_, pull, due)) = f.first_late_pull(|_| Some(ob.due)) {
                return Verdict::fail(late(f, pull, &ob.why, due));
            }
            // A result that completed after the timeout was due must not be delivered instead.
            for pull in &f.pulls {
                if let Some((at, Answer::Item { task })) = &pull.answer {
                    if let Some(end) = f.completed_at(*task) {
                        if end > ob.due.plus(f.epsilon) {
                            return Verdict::fail(format!(
                                "{}; task {task} completed at {end}, after that, and its result was delivered at {at} instead of the timeout (ε {})",
                                ob.why,
                                f.tolerance
                            ));
                        }
                    }
                }
            }
            match f.terminal() {
                Some((at, Answer::End)) => Verdict::fail(format!(
                    "{}; the iteration ended normally at {at} without raising the timeout",
                    ob.why
                )),
                Some((at, Answer::ExecutorError { message })) => Verdict::fail(format!(
                    "{}; the executor failed at {at} ({message}) instead of raising the timeout",
                    ob.why
                )),
                Some((at, Answer::Timeout)) => Verdict::pass(format!(
                    "timeout due {}, seen {} ({} after max(due, asked))",
                    ob.due,
                    at,
                    Ms(f.lateness(ob.due, at))
                )),
                _ => Verdict::pass(format!("timeout due {}; the iteration ended first", ob.due)),
            }
        }
        OnTimeout::PerTask => {
            let obligations = &f.obligations;
            if obligations.is_empty() {
                return Verdict::pass("no timeout was due");
            }
            if f.call.mode == Mode::List {
                if let Some(v) = list_per_task_liveness(f, obligations) {
                    return v;
                }
            } else if let Some((k, pull, due)) =
                f.first_late_pull(|k| f.pull_obligation(k).map(|o| o.due))
            {
                let why = f
                    .pull_obligation(k)
                    .map(|o| o.why.clone())
                    .unwrap_or_default();
                return Verdict::fail(late(f, pull, &why, due));
            }
            for pull in &f.pulls {
                if let Some((at, Answer::Item { task })) = &pull.answer {
                    let end = f.completed_at(*task);
                    if let Some(ob) = obligations.iter().find(|o| o.target == Target::Task(*task)) {
                        if end.is_some_and(|e| e > ob.due.plus(f.epsilon)) {
                            return Verdict::fail(format!(
                                "{}; its result was delivered at {at} instead of its timed-out marker (ε {})",
                                ob.why,
                                f.tolerance
                            ));
                        }
                    }
                }
            }
            Verdict::pass(format!(
                "{} timed-out slot(s) due, all seen in time",
                obligations.len()
            ))
        }
    }
}

/// A call the harness handed over that the executor side never reported making (no
/// `call_made`): the hand-over is the call instant, and whatever the clock, a timeout was due
/// by then + T (every clock starts at the call or later, and nothing of the call was ever seen
/// to start). A consumer that saw nothing at all by that due time + ε is not live.
fn unreported_call(f: &Facts, timeout: std::time::Duration) -> Option<Verdict> {
    let sent = f.call_sent.filter(|_| !f.call_made)?;
    let pull = f.pulls.first()?;
    if pull.answer.is_some() {
        // It answered (an executor error, most likely): judged as any other call, from the
        // hand-over.
        return None;
    }
    let due = sent.plus(timeout);
    if f.returned_or_hung(pull) <= due.plus(f.epsilon) {
        return None;
    }
    let why = format!(
        "the harness handed the call over at {sent} but the executor side never reported \
         `call_made` for it (the adapter never made the call, or never said so), so the call \
         instant is the hand-over; timeout {}, due {due} whatever the clock",
        Ms(timeout)
    );
    Some(Verdict::fail(late(f, pull, &why, due)))
}

/// Under PerTask, a List call returns once every slot is resolved: by its task's completion
/// or by its timeout. It must return by the latest of those + ε.
fn list_per_task_liveness(f: &Facts, obligations: &[Obligation]) -> Option<Verdict> {
    let mut resolved = f.call_at;
    let mut last_slot = None;
    for task in 0..f.call.n_tasks {
        let due = obligations
            .iter()
            .filter(|o| o.applies_to_task(task, task))
            .map(|o| o.due)
            .min();
        let at = match (f.completed_at(task), due) {
            (Some(end), Some(due)) => end.min(due),
            (end, due) => end.or(due)?,
        };
        if at >= resolved {
            resolved = at;
            last_slot = Some(task);
        }
    }
    let pull = f.pulls.first()?;
    let limit = resolved.plus(f.epsilon);
    if f.returned_or_hung(pull) <= limit {
        return None;
    }
    let why = format!(
        "every slot was resolved (completed or timed out) by {resolved}, the last being slot {}",
        last_slot.unwrap_or(0)
    );
    Some(Verdict::fail(late(f, pull, &why, resolved)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn p01_a_clock_uncertainty_widens_the_comparison_and_the_evidence_says_so() {
        // 3 ms late at ε = 50 ms on one clock: a failure.
        check(&timeout_at_153_with_a_remote_start(0.0), 50.0, &super::RULE)
            .fails_with(&["(ε 50 ms)"]);
        // The same instants with a start known within 4 ms: inside ε + 4 ms.
        check(&timeout_at_153_with_a_remote_start(4.0), 50.0, &super::RULE).passes();
        // Known within 2 ms only: still late, and the evidence names both parts.
        check(&timeout_at_153_with_a_remote_start(2.0), 50.0, &super::RULE)
            .fails_with(&["(ε 50 ms + 2 ms clock uncertainty)"]);
    }

    #[test]
    fn p01_joblib_1586_hung_pull_fails() {
        check(&joblib_1586(), EPS, &super::RULE).fails_with(&[
            "due 100 ms",
            "150 ms",
            "asked at 0 ms",
            "watchdog",
            "1.50 s",
            "hung",
        ]);
    }

    #[test]
    fn p01_timeout_seen_late_fails() {
        check(&hung_pair_timeout_seen_at(170.0), EPS, &super::RULE).fails_with(&[
            "due 100 ms",
            "by 150 ms",
            "ε 50 ms",
            "at 170 ms",
            "70 ms late",
        ]);
    }

    #[test]
    fn p01_timeout_seen_in_time_passes() {
        let v = check(&hung_pair_timeout_seen_at(100.1), EPS, &super::RULE);
        v.passes();
        assert!(v.evidence.contains("100.1 ms"), "{}", v.evidence);
    }

    #[test]
    fn p01_abort_stream_ending_normally_while_a_task_overran_fails() {
        // Task 1 never completes, but the stream ends at 120 ms as if everything was delivered.
        let tasks = vec![sleep(10.0), hang()];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .end(0, 10.0, TaskEnd::Returned)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 120.0, Answer::End)
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "task 1",
            "due 100 ms",
            "ended normally at 120 ms",
        ]);
    }

    #[test]
    fn p01_result_completed_after_due_delivered_instead_of_timeout_fails() {
        // Task 1 overran (due 100 ms) and completed at 160 ms; the slow consumer asks for it at
        // 200 ms and is handed its late result instead of the timeout.
        let trace = |answer: Answer| {
            let tasks = vec![sleep(10.0), sleep(160.0)];
            TraceBuilder::new(Ordered, TaskRuntime, Abort, 2, 100.0, tasks)
                .call(0.0)
                .ran(0, 0.0, 10.0)
                .ran(1, 0.0, 160.0)
                .pull(0.0, 10.0, item(0))
                .pull(200.0, 200.0, answer)
                .build()
        };
        check(&trace(item(1)), EPS, &super::RULE).fails_with(&[
            "due 100 ms",
            "task 1 completed at 160 ms",
            "delivered at 200 ms instead of the timeout",
        ]);
        check(&trace(Answer::Timeout), EPS, &super::RULE).passes();
    }

    /// Ordered, ResultWait: slot 0 is delivered at 10 ms; the slow consumer asks for slot 1 only at
    /// 300 ms, and slot 1 never completes. The wait is due at 300 + 100 = 400 ms, not at task 1's
    /// start + 100.
    fn ordered_result_wait(pull_1_answer: Option<(f64, Answer)>) -> Trace {
        let tasks = vec![sleep(10.0), hang()];
        let b = TraceBuilder::new(Ordered, ResultWait, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .start(1, 0.0)
            .pull(0.0, 10.0, item(0))
            .ask(300.0);
        match pull_1_answer {
            Some((at, answer)) => b.answer(at, answer).build(),
            None => b.watchdog(1500.0).build(),
        }
    }

    #[test]
    fn p01_ordered_result_wait_due_from_the_pull_fails_when_hung() {
        check(&ordered_result_wait(None), EPS, &super::RULE).fails_with(&[
            "pull 1 asked for slot 1 at 300 ms",
            "due 400 ms",
            "by 450 ms",
            "hung",
        ]);
    }

    #[test]
    fn p01_ordered_result_wait_due_from_the_pull_passes_in_time() {
        // 420 ms is 320 ms after task 1's start, but only 20 ms after the wait was due.
        check(
            &ordered_result_wait(Some((420.0, Answer::Timeout))),
            EPS,
            &super::RULE,
        )
        .passes();
    }

    #[test]
    fn p01_slow_consumer_is_not_blamed() {
        // Due at 100 ms, but the consumer only asks at 300 ms: the limit is max(D, asked) + ε.
        let tasks = vec![sleep(10.0), hang()];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .start(1, 0.0)
            .pull(0.0, 10.0, item(0))
            .pull(300.0, 340.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p01_per_task_marker_late_fails_and_in_time_passes() {
        let trace = |marker_at: f64| {
            let tasks = vec![hang(), sleep(20.0)];
            TraceBuilder::new(Ordered, TaskRuntime, PerTask, 2, 100.0, tasks)
                .call(0.0)
                .start(0, 0.0)
                .ran(1, 0.0, 20.0)
                .pull(0.0, marker_at, timed_out(0))
                .pull(marker_at, marker_at, item(1))
                .pull(marker_at, marker_at, Answer::End)
                .build()
        };
        check(&trace(300.0), EPS, &super::RULE).fails_with(&[
            "task 0 started at 0 ms",
            "due 100 ms",
            "by 150 ms",
            "timed-out marker at 300 ms",
        ]);
        check(&trace(110.0), EPS, &super::RULE).passes();
    }

    /// The harness handed the call over at 5 ms; the adapter never reported anything of it.
    fn never_reported(mode: Mode, clock: TimeoutClock) -> Trace {
        TraceBuilder::new(mode, clock, Abort, 2, 100.0, vec![sleep(10.0), sleep(10.0)])
            .sent(5.0)
            .watchdog(1500.0)
            .build()
    }

    #[test]
    fn p01_a_call_never_reported_made_fails_in_every_mode_and_clock() {
        for mode in [List, Ordered, Unordered] {
            for clock in [TaskRuntime, ResultWait, Overall] {
                check(&never_reported(mode, clock), EPS, &super::RULE).fails_with(&[
                    "handed the call over at 5 ms",
                    "never reported `call_made`",
                    "due 105 ms whatever the clock",
                    "no timeout seen by 155 ms",
                    "asked at 5 ms",
                    "watchdog",
                    "hung",
                ]);
            }
        }
    }

    #[test]
    fn p01_a_reported_call_is_judged_from_call_made_not_from_the_hand_over() {
        // Handed over at 0 ms, made at 40 ms; overall timeout 100 ms from the call: due 140 ms,
        // and the timeout seen at 170 ms is within ε of it.
        let trace = TraceBuilder::new(List, Overall, Abort, 2, 100.0, vec![hang(), hang()])
            .sent(0.0)
            .call(40.0)
            .start(0, 40.0)
            .start(1, 40.0)
            .returned(170.0)
            .answer(170.0, Answer::Timeout)
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p01_a_call_never_reported_but_answered_in_time_is_judged_as_usual() {
        // The adapter failed before making the call; its error reached the consumer at 20 ms.
        let trace = TraceBuilder::new(List, TaskRuntime, Abort, 2, 100.0, vec![hang()])
            .sent(0.0)
            .answer(
                20.0,
                Answer::ExecutorError {
                    message: "adapter exited".into(),
                },
            )
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p01_not_applicable_without_timeout() {
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, vec![hang()])
            .without_timeout()
            .call(0.0)
            .start(0, 0.0)
            .ask(0.0)
            .watchdog(1500.0)
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
    }
}
