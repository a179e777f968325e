//! The evidence's shared wording: how an answer, a task's story, a late or hung pull and a list
//! of tasks are said, so that every property says them the same way.

use super::due::overall_start;
use super::facts::Facts;
use super::timeline::{Pull, Timeline};
use crate::model::TimeoutClock;
use crate::trace::{Answer, Ms, Stamp, TaskEnd};

/// An answer as a noun: "task 3's result", "the timeout".
pub(crate) fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Item { task } => format!("task {task}'s result"),
        Answer::TimedOut { task } => format!("task {task}'s timed-out marker"),
        Answer::Timeout => "the timeout".into(),
        Answer::TaskFailed { task } => format!("task {task}'s failure"),
        Answer::ExecutorError { message } => format!("an executor error ({message})"),
        Answer::End => "the end of the stream".into(),
    }
}

/// Tasks as `0, 2, 5`.
pub(crate) fn list(tasks: &[usize]) -> String {
    tasks
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One clause on what a task did: "task 3 started at 1 ms and ended (returned) at 90 ms".
pub(crate) fn task_story(t: &Timeline, task: usize) -> String {
    let Some(start) = t.starts.get(task).copied().flatten() else {
        return format!("task {task} never started");
    };
    match t.ends[task] {
        Some((at, end)) => format!(
            "task {task} started at {start} and ended ({}) at {at}",
            match end {
                TaskEnd::Released => "released at teardown",
                TaskEnd::Died => "died: its body killed its worker",
                TaskEnd::Killed => "killed: its worker was killed",
                end => end.as_str(),
            }
        ),
        None => format!("task {task} started at {start} and never ended"),
    }
}

/// When the consumer got a timeout at `at` and a `raise_timeout` task had failed by then, the
/// clause that says the timeout error was the task's own: "; task 1 raised the language's own
/// timeout error at 30 ms, which is task 1's failure, not the executor's timeout". Empty
/// otherwise.
pub(crate) fn own_timeout_errors(t: &Timeline, at: Stamp) -> String {
    (0..t.call.n_tasks)
        .filter(|&k| t.tasks[k].raises_timeout())
        .filter_map(|k| match t.ends[k] {
            Some((e, TaskEnd::Failed)) if e <= at => Some(format!(
                "; task {k} raised the language's own timeout error at {e} (a raise_timeout task), which is task {k}'s failure, not the executor's timeout"
            )),
            _ => None,
        })
        .collect()
}

/// How a pull that was still waiting at the end of the trace is described.
pub(crate) fn still_waiting(t: &Timeline, pull: &Pull) -> String {
    match t.watchdog {
        Some(w) => format!(
            "the pull asked at {} was still waiting when the watchdog ended the case at {} (hung)",
            pull.asked, w
        ),
        None => format!(
            "the pull asked at {} never returned (the trace ends at {})",
            pull.asked, t.last
        ),
    }
}

/// A pull that should have seen something by `max(due, asked) + ε` and did not: `why` says
/// what was due.
pub(crate) fn late(f: &Facts, pull: &Pull, why: &str, due: Stamp) -> String {
    let limit = due.max(pull.asked).plus(f.epsilon);
    match &pull.answer {
        Some((at, answer)) => format!(
            "{why}; the pull asked at {} should have seen it by {} (ε {}) but got {} at {} ({} late)",
            pull.asked,
            limit,
            f.tolerance,
            describe(answer),
            at,
            Ms(at.since(due.max(pull.asked)))
        ),
        None => format!(
            "{why}; no timeout seen by {} (ε {}); {}",
            limit,
            f.tolerance,
            still_waiting(f, pull)
        ),
    }
}

/// Why no timeout was due, in the contract's terms.
pub(crate) fn why_nothing_due(t: &Timeline) -> String {
    let Some(timeout) = t.timeout else {
        return "the call has no timeout".into();
    };
    match t.contract.clock {
        TimeoutClock::TaskRuntime => format!(
            "task_runtime timeout {}: every started task completed within {} of its start",
            Ms(timeout),
            Ms(timeout)
        ),
        TimeoutClock::Overall => match overall_start(t) {
            Some((from, what)) => format!(
                "overall timeout {} from {what} at {from}: every task completed by {}",
                Ms(timeout),
                from.plus(timeout)
            ),
            None => format!(
                "overall timeout {} from the first pull: the consumer never pulled",
                Ms(timeout)
            ),
        },
        TimeoutClock::ResultWait => format!(
            "result_wait timeout {}: no wait for a result lasted that long",
            Ms(timeout)
        ),
    }
}
