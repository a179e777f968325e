//! P14 survives_worker_death — MUST: after a task kills its worker, the call still answers
//! for that task — with an error, a timeout, or (PerTask) its timed-out marker — by ε after the
//! death or ε after the task's next due time, whichever is later; it never hangs.
//!
//! See `specs/timeout-semantics.md`, P14.

use super::evidence::{describe, still_waiting};
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::model::{Mode, OnTimeout};
use crate::trace::{Answer, Ms, Stamp};

pub(super) const RULE: Rule = Rule {
    id: "P14",
    name: "survives_worker_death",
    level: Level::Must,
    summary: "after a task kills its worker, the call answers for it by max(death, its due time) + ε, never hanging",
    judge: survives_worker_death,
};

/// Whether `answer` answers for the dead task `task`: an error or timeout ending the
/// iteration, an error naming it, or its timed-out marker.
fn answers_for(answer: &Answer, task: usize) -> bool {
    match answer {
        Answer::TimedOut { task: t } | Answer::TaskFailed { task: t } => *t == task,
        Answer::Timeout | Answer::ExecutorError { .. } => true,
        Answer::Item { .. } | Answer::End => false,
    }
}

/// P14: after a worker death, the call answers for the dead task in time and never hangs.
fn survives_worker_death(f: &Facts) -> Verdict {
    let Some((task, died)) = f.first_death else {
        return Verdict::not_applicable("no task killed its worker while the call was live");
    };
    // The dead task never completes: it is owed its next due time, if the contract has one;
    // the call may time it out then instead of noticing the death.
    let due = f
        .all_obligations
        .iter()
        .filter(|o| o.due >= died && o.targets(task))
        .map(|o| o.due)
        .min();
    let mut limit = due.map_or(died, |d| d.max(died));
    let mut why = match due {
        Some(d) if d > died => format!(
            "task {task} killed its worker at {died}; its timeout would be due at {d}"
        ),
        _ => format!("task {task} killed its worker at {died}"),
    };
    // A List call under PerTask answers once every slot is resolved: the others may still be
    // running or waiting for their own due times.
    if f.call.mode == Mode::List && f.contract.on_timeout == OnTimeout::PerTask {
        for other in (0..f.call.n_tasks).filter(|&t| t != task) {
            let resolved = match (f.completed_at(other), own_due(f, other)) {
                (Some(end), Some(due)) => Some(end.min(due)),
                (end, due) => end.or(due),
            };
            if let Some(at) = resolved.filter(|at| *at > limit) {
                limit = at;
                why = format!("{why}; slot {other} was resolved only at {at}");
            }
        }
    }
    let limit = limit.plus(f.epsilon);
    let answered = f.pulls.iter().find_map(|p| match &p.answer {
        Some((at, answer)) if *at >= died && answers_for(answer, task) => Some((*at, answer)),
        _ => None,
    });
    match answered {
        Some((at, answer)) if at <= limit => Verdict::pass(format!(
            "{why}; {} at {at} ({} after the death)",
            describe(answer),
            Ms(at.since(died))
        )),
        Some((at, answer)) => Verdict::fail(format!(
            "{why}; the call should have answered for it by {limit} (ε {}) but gave {} only at {at}",
            f.tolerance,
            describe(answer)
        )),
        None => match f.terminal() {
            Some((at, answer)) => Verdict::fail(format!(
                "{why}; the iteration ended with {} at {at} without answering for it",
                describe(answer)
            )),
            None if f.drop_begun.is_some() => Verdict::not_applicable(
                "the consumer dropped the iteration before the call answered for the dead task",
            ),
            None => Verdict::fail(format!(
                "{why}; nothing answered for it by {limit} (ε {}): {}",
                f.tolerance,
                f.pulls
                    .last()
                    .map(|p| still_waiting(f, p))
                    .unwrap_or_else(|| "no pull was made".into())
            )),
        },
    }
}

/// The earliest due time owed to `task`'s slot, if any.
fn own_due(f: &Facts, task: usize) -> Option<Stamp> {
    f.all_obligations
        .iter()
        .filter(|o| o.applies_to_task(task, task))
        .map(|o| o.due)
        .min()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    fn kill_worker(ms: f64) -> TaskSpec {
        TaskSpec::KillWorker { ms: dur(ms) }
    }

    /// Two tasks on two workers, T = 100 ms: task 0 kills its worker at 30 ms; task 1 runs
    /// 10 ms. The call answers `answer` at `at` (or never: the watchdog at 1.5 s).
    fn death(mode: Mode, on_timeout: OnTimeout, answer: Option<(f64, Answer)>) -> Trace {
        let tasks = vec![kill_worker(30.0), sleep(10.0)];
        let b = TraceBuilder::new(mode, TaskRuntime, on_timeout, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .end(0, 30.0, TaskEnd::Died)
            .ran(1, 0.0, 10.0);
        match answer {
            Some((at, a)) => b.pull(0.0, at, a).build(),
            None => b.ask(0.0).watchdog(1500.0).build(),
        }
    }

    #[test]
    fn p14_an_error_at_the_death_passes() {
        let trace = death(Unordered, Abort, Some((31.0, task_failed(0))));
        check(&trace, 0.0, &super::RULE).passes();
        let broken_pool = Answer::ExecutorError {
            message: "a worker process died".into(),
        };
        check(&death(Ordered, Abort, Some((31.0, broken_pool))), 10.0, &super::RULE).passes();
    }

    #[test]
    fn p14_the_timeout_at_the_dead_tasks_due_time_passes() {
        let trace = death(Unordered, Abort, Some((100.0, Answer::Timeout)));
        check(&trace, 0.0, &super::RULE).passes();
        let marker = death(Ordered, PerTask, Some((100.0, timed_out(0))));
        check(&marker, 0.0, &super::RULE).passes();
    }

    #[test]
    fn p14_a_call_that_hangs_after_the_death_fails() {
        check(&death(Unordered, Abort, None), 20.0, &super::RULE)
            .fails_with(&["killed its worker at 30 ms", "by 120 ms", "watchdog"]);
    }

    #[test]
    fn p14_an_answer_later_than_the_due_time_fails() {
        check(
            &death(Unordered, Abort, Some((300.0, Answer::Timeout))),
            20.0,
            &super::RULE,
        )
        .fails_with(&["due at 100 ms", "by 120 ms", "only at 300 ms"]);
    }

    #[test]
    fn p14_without_a_timeout_the_call_must_notice_the_death() {
        let tasks = vec![kill_worker(30.0), sleep(10.0)];
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .without_timeout()
            .call(0.0)
            .start(0, 0.0)
            .end(0, 30.0, TaskEnd::Died)
            .ran(1, 0.0, 10.0)
            .pull(0.0, 10.0, item(1))
            .pull(10.0, 200.0, Answer::End)
            .build();
        check(&trace, 20.0, &super::RULE).fails_with(&[
            "killed its worker at 30 ms",
            "ended with the end of the stream at 200 ms without answering for it",
        ]);
    }

    #[test]
    fn p14_not_applicable_without_a_death() {
        let trace = TraceBuilder::new(List, TaskRuntime, Abort, 1, 100.0, vec![sleep(5.0)])
            .call(0.0)
            .ran(0, 0.0, 5.0)
            .returned(5.0)
            .answer(5.0, item(0))
            .answer(5.0, Answer::End)
            .build();
        check(&trace, 20.0, &super::RULE).is_not_applicable();
    }
}
