//! The spec's properties as pure functions of a trace and ε (spec §3, §4).
//!
//! [`judge`] takes a [`Trace`] — which carries the declared [`crate::Contract`] — and the
//! tolerance ε, and returns a [`Verdict`] per [`Property`]. Nothing here looks at a clock: the
//! same functions judge real-time traces (ε > 0) and simulated ones (ε = 0, exact).
//!
//! The due times are derived in [`crate::properties::due`]; this module turns them into
//! verdicts, each failure with one sentence of evidence that names the numbers.

mod due;
mod facts;

pub use due::{Obligation, Target};
pub use facts::{Facts, Pull};

use crate::model::{Mode, OnTimeout};
use crate::trace::{Answer, Ms, Stamp, TaskEnd, Trace};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Whether a property must hold for conformance, or only should.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Must,
    Should,
}

/// A named, numbered rule of the spec. `id()` is stable and cited by tests and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    Liveness,
    NoPremature,
    PartialResults,
    ExactlyOnce,
    Order,
    CompletionOrder,
    ErrorPropagation,
    AbortStopsDispatch,
    BoundedConcurrency,
    DropReturns,
    Reusable,
    CancelRunning,
}

impl Property {
    pub const ALL: [Property; 12] = [
        Property::Liveness,
        Property::NoPremature,
        Property::PartialResults,
        Property::ExactlyOnce,
        Property::Order,
        Property::CompletionOrder,
        Property::ErrorPropagation,
        Property::AbortStopsDispatch,
        Property::BoundedConcurrency,
        Property::DropReturns,
        Property::Reusable,
        Property::CancelRunning,
    ];

    /// The spec's stable ID, `P01` to `P12`.
    pub fn id(self) -> &'static str {
        match self {
            Property::Liveness => "P01",
            Property::NoPremature => "P02",
            Property::PartialResults => "P03",
            Property::ExactlyOnce => "P04",
            Property::Order => "P05",
            Property::CompletionOrder => "P06",
            Property::ErrorPropagation => "P07",
            Property::AbortStopsDispatch => "P08",
            Property::BoundedConcurrency => "P09",
            Property::DropReturns => "P10",
            Property::Reusable => "P11",
            Property::CancelRunning => "P12",
        }
    }

    /// The name used in code, test names and report columns.
    pub fn name(self) -> &'static str {
        match self {
            Property::Liveness => "liveness",
            Property::NoPremature => "no_premature",
            Property::PartialResults => "partial_results",
            Property::ExactlyOnce => "exactly_once",
            Property::Order => "order",
            Property::CompletionOrder => "completion_order",
            Property::ErrorPropagation => "error_propagation",
            Property::AbortStopsDispatch => "abort_stops_dispatch",
            Property::BoundedConcurrency => "bounded_concurrency",
            Property::DropReturns => "drop_returns",
            Property::Reusable => "reusable",
            Property::CancelRunning => "cancel_running",
        }
    }

    pub fn level(self) -> Level {
        match self {
            Property::PartialResults | Property::CompletionOrder | Property::CancelRunning => {
                Level::Should
            }
            _ => Level::Must,
        }
    }

    /// One line: what the property promises.
    pub fn summary(self) -> &'static str {
        match self {
            Property::Liveness => {
                "once the due time D has passed, the consumer sees the timeout within ε"
            }
            Property::NoPremature => {
                "nothing times out before D − ε; a call whose tasks finish in time never times out"
            }
            Property::PartialResults => {
                "Unordered + Abort: results completed before D are delivered before the timeout"
            }
            Property::ExactlyOnce => {
                "no result delivered twice; without timeout, error or drop, every result delivered"
            }
            Property::Order => {
                "List and Ordered keep input order; Unordered delivers only the call's tasks"
            }
            Property::CompletionOrder => "Unordered delivers in completion order",
            Property::ErrorPropagation => {
                "a failing task surfaces as an error naming it, within ε of its failure"
            }
            Property::AbortStopsDispatch => {
                "after an abort or a drop, no task starts later than ε after it"
            }
            Property::BoundedConcurrency => "never more than n_jobs tasks running",
            Property::DropReturns => "dropping an iteration returns within ε, even with hung tasks",
            Property::Reusable => "after a timeout, the executor serves a new call correctly",
            Property::CancelRunning => {
                "running cooperative tasks see a stop request within ε of an abort"
            }
        }
    }

    /// `P01 liveness`.
    pub fn label(self) -> String {
        format!("{} {}", self.id(), self.name())
    }

    /// Looks a property up by ID (`P01`) or name (`liveness`).
    pub fn parse(text: &str) -> Option<Property> {
        Property::ALL
            .into_iter()
            .find(|p| p.id().eq_ignore_ascii_case(text) || p.name() == text)
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.name())
    }
}

/// The outcome of judging one property on one trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Pass,
    Fail,
    /// The harness itself was late; the case could not be judged.
    Inconclusive,
    NotApplicable,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Pass => "pass",
            VerdictKind::Fail => "fail",
            VerdictKind::Inconclusive => "inconclusive",
            VerdictKind::NotApplicable => "not_applicable",
        }
    }
}

/// A verdict with its evidence: one sentence with the numbers (empty for a plain pass).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub evidence: String,
}

impl Verdict {
    pub fn pass(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::Pass,
            evidence: evidence.into(),
        }
    }
    pub fn fail(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::Fail,
            evidence: evidence.into(),
        }
    }
    pub fn inconclusive(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::Inconclusive,
            evidence: evidence.into(),
        }
    }
    pub fn not_applicable(evidence: impl Into<String>) -> Verdict {
        Verdict {
            verdict: VerdictKind::NotApplicable,
            evidence: evidence.into(),
        }
    }
    pub fn is_fail(&self) -> bool {
        self.verdict == VerdictKind::Fail
    }
}

/// Judges every property on `trace` with tolerance `epsilon`.
pub fn judge(trace: &Trace, epsilon: Duration) -> Vec<(Property, Verdict)> {
    let facts = Facts::of(trace, epsilon);
    Property::ALL
        .into_iter()
        .map(|p| (p, judge_one(&facts, p)))
        .collect()
}

/// Judges one property on `trace` with tolerance `epsilon`.
pub fn judge_property(trace: &Trace, epsilon: Duration, property: Property) -> Verdict {
    judge_one(&Facts::of(trace, epsilon), property)
}

fn judge_one(f: &Facts, property: Property) -> Verdict {
    match property {
        Property::Liveness => liveness(f),
        Property::NoPremature => no_premature(f),
        Property::PartialResults => partial_results(f),
        Property::ExactlyOnce => exactly_once(f),
        Property::Order => order(f),
        Property::CompletionOrder => completion_order(f),
        Property::ErrorPropagation => error_propagation(f),
        Property::AbortStopsDispatch => abort_stops_dispatch(f),
        Property::BoundedConcurrency => bounded_concurrency(f),
        Property::DropReturns => drop_returns(f),
        Property::Reusable => reusable(f),
        Property::CancelRunning => cancel_running(f),
    }
}

/// How a pull that was still waiting at the end of the trace is described.
fn still_waiting(f: &Facts, pull: &Pull) -> String {
    match f.watchdog {
        Some(w) => format!(
            "the pull asked at {} was still waiting when the watchdog ended the case at {} (hung)",
            pull.asked, w
        ),
        None => format!(
            "the pull asked at {} never returned (the trace ends at {})",
            pull.asked, f.last
        ),
    }
}

/// The first pull that returned (or was still waiting) later than `max(due, asked) + ε`.
fn first_late_pull<'a>(
    f: &'a Facts,
    due_for: impl Fn(usize) -> Option<Stamp>,
) -> Option<(usize, &'a Pull, Stamp)> {
    f.pulls.iter().enumerate().find_map(|(k, pull)| {
        let due = due_for(k)?;
        let limit = due.max(pull.asked).plus(f.epsilon);
        (pull.returned_or_hung(f) > limit).then_some((k, pull, due))
    })
}

fn late_evidence(f: &Facts, pull: &Pull, why: &str, due: Stamp) -> String {
    let limit = due.max(pull.asked).plus(f.epsilon);
    match &pull.answer {
        Some((at, answer)) => format!(
            "{why}; the pull asked at {} should have seen it by {} (ε {}) but got {} at {} ({} late)",
            pull.asked,
            limit,
            Ms(f.epsilon),
            describe(answer),
            at,
            Ms(at.since(due.max(pull.asked)))
        ),
        None => format!("{why}; no timeout seen by {} (ε {}); {}", limit, Ms(f.epsilon), still_waiting(f, pull)),
    }
}

fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Item { task } => format!("task {task}'s result"),
        Answer::TimedOut { task } => format!("task {task}'s timed-out marker"),
        Answer::Timeout => "the timeout".into(),
        Answer::TaskFailed { task } => format!("task {task}'s failure"),
        Answer::ExecutorError { message } => format!("an executor error ({message})"),
        Answer::End => "the end of the stream".into(),
    }
}

fn no_timeout(f: &Facts) -> Option<Verdict> {
    f.timeout
        .is_none()
        .then(|| Verdict::not_applicable("the call has no timeout"))
}

/// P01: once D has passed, the consumer sees the timeout within ε.
fn liveness(f: &Facts) -> Verdict {
    if let Some(v) = no_timeout(f) {
        return v;
    }
    match f.contract.on_timeout {
        OnTimeout::Abort => {
            let Some(ob) = f.first_obligation() else {
                return Verdict::pass("no timeout was due");
            };
            if let Some((_, pull, due)) = first_late_pull(f, |_| Some(ob.due)) {
                return Verdict::fail(late_evidence(f, pull, &ob.why, due));
            }
            // A result that completed after the timeout was due must not be delivered instead.
            for pull in &f.pulls {
                if let Some((at, Answer::Item { task })) = &pull.answer {
                    if let Some(end) = f.completed_at(*task) {
                        if end > ob.due.plus(f.epsilon) {
                            return Verdict::fail(format!(
                                "{}; task {task} completed at {end}, after that, and its result was delivered at {at} instead of the timeout (ε {})",
                                ob.why,
                                Ms(f.epsilon)
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
            let obligations = f.obligations();
            if obligations.is_empty() {
                return Verdict::pass("no timeout was due");
            }
            if f.shape.mode == Mode::List {
                if let Some(v) = list_per_task_liveness(f, &obligations) {
                    return v;
                }
            } else if let Some((k, pull, due)) =
                first_late_pull(f, |k| f.pull_obligation(&obligations, k).map(|o| o.due))
            {
                let why = f
                    .pull_obligation(&obligations, k)
                    .map(|o| o.why.clone())
                    .unwrap_or_default();
                return Verdict::fail(late_evidence(f, pull, &why, due));
            }
            for pull in &f.pulls {
                if let Some((at, Answer::Item { task })) = &pull.answer {
                    let end = f.completed_at(*task);
                    if let Some(ob) = obligations.iter().find(|o| o.target == Target::Task(*task)) {
                        if end.is_some_and(|e| e > ob.due.plus(f.epsilon)) {
                            return Verdict::fail(format!(
                                "{}; its result was delivered at {at} instead of its timed-out marker (ε {})",
                                ob.why,
                                Ms(f.epsilon)
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

/// Under PerTask, a List call returns once every slot is resolved: by its task's completion
/// or by its timeout. It must return by the latest of those + ε.
fn list_per_task_liveness(f: &Facts, obligations: &[Obligation]) -> Option<Verdict> {
    let mut resolved = f.call_at;
    let mut last_slot = None;
    for task in 0..f.shape.n_tasks {
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
    if pull.returned_or_hung(f) <= limit {
        return None;
    }
    let why = format!(
        "every slot was resolved (completed or timed out) by {resolved}, the last being slot {}",
        last_slot.unwrap_or(0)
    );
    Some(Verdict::fail(late_evidence(f, pull, &why, resolved)))
}

/// P02: nothing times out before D − ε.
fn no_premature(f: &Facts) -> Verdict {
    let obligations = f.all_obligations();
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
                        "timeout raised at {at}, but no timeout was due: {}",
                        f.why_nothing_due()
                    ))
                }
                Some(ob) if *at < ob.due.minus(f.epsilon) => {
                    return Verdict::fail(format!(
                        "timeout raised at {at}, {} before it was due ({}; ε {})",
                        Ms(ob.due.since(*at)),
                        ob.why,
                        Ms(f.epsilon)
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
                            f.task_story(*task)
                        ))
                    }
                    Some(due) if *at < due.minus(f.epsilon) => {
                        return Verdict::fail(format!(
                            "task {task}'s timed-out marker was delivered at {at}, {} before it was due at {due} (ε {})",
                            Ms(due.since(*at)),
                            Ms(f.epsilon)
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

/// P03 (SHOULD): in Unordered + Abort, results completed before D come before the timeout.
fn partial_results(f: &Facts) -> Verdict {
    if f.shape.mode != Mode::Unordered || f.contract.on_timeout != OnTimeout::Abort {
        return Verdict::not_applicable("applies to unordered mode with on_timeout abort");
    }
    let Some((at, Answer::Timeout)) = f.terminal() else {
        return Verdict::not_applicable("the iteration did not end with a timeout");
    };
    let Some(ob) = f.first_obligation() else {
        return Verdict::not_applicable("no timeout was due (judged by P02)");
    };
    let delivered = f.delivered_items();
    for task in 0..f.shape.n_tasks {
        if let Some(end) = f.completed_at(task) {
            if f.end_kind(task) == Some(TaskEnd::Returned)
                && end.plus(f.epsilon) <= ob.due
                && !delivered.contains(&task)
            {
                return Verdict::fail(format!(
                    "task {task} completed at {end}, before the timeout was due at {} (ε {}), but the timeout was raised at {at} without delivering its result",
                    ob.due,
                    Ms(f.epsilon)
                ));
            }
        }
    }
    Verdict::pass("")
}

/// P04: no result twice; a normally ended iteration delivered every task.
fn exactly_once(f: &Facts) -> Verdict {
    let mut seen = vec![None; f.shape.n_tasks];
    for pull in &f.pulls {
        let Some((at, answer)) = &pull.answer else {
            continue;
        };
        let (Answer::Item { task } | Answer::TimedOut { task }) = answer else {
            continue;
        };
        let Some(slot) = seen.get_mut(*task) else {
            return Verdict::fail(format!(
                "delivered {} at {at}, but the call has only {} tasks",
                describe(answer),
                f.shape.n_tasks
            ));
        };
        if let Answer::Item { task } = answer {
            let returned = f.end_kind(*task) == Some(TaskEnd::Returned)
                && f.completed_at(*task).is_some_and(|e| e <= *at);
            if !returned {
                return Verdict::fail(format!(
                    "task {task}'s result was delivered at {at}, but {}: the result was not produced by the task",
                    f.task_story(*task)
                ));
            }
        }
        if let Some(first) = slot {
            return Verdict::fail(format!(
                "task {task} was delivered twice: at {first} and again at {at}"
            ));
        }
        *slot = Some(*at);
    }
    let missing: Vec<usize> = (0..f.shape.n_tasks)
        .filter(|&t| seen[t].is_none())
        .collect();
    match f.terminal() {
        Some((at, Answer::End)) if !missing.is_empty() => Verdict::fail(format!(
            "the iteration ended normally at {at} without delivering task(s) {}",
            list(&missing)
        )),
        // Under PerTask every timeout is a marker, so only a failure or a drop excuses an
        // iteration that never ends.
        None if f.drop_begun.is_none()
            && f.first_failure().is_none()
            && (f.contract.on_timeout == OnTimeout::PerTask || f.first_obligation().is_none()) =>
        {
            Verdict::fail(format!(
                "no timeout or error was due, yet the iteration never ended: {} of {} results delivered; {}",
                f.shape.n_tasks - missing.len(),
                f.shape.n_tasks,
                f.pulls
                    .last()
                    .map(|p| still_waiting(f, p))
                    .unwrap_or_else(|| "no pull was made".into())
            ))
        }
        _ => Verdict::pass(""),
    }
}

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
        if *task >= f.shape.n_tasks {
            return Verdict::fail(format!(
                "delivered {} at {at}, which is not a task of this call ({} tasks)",
                describe(answer),
                f.shape.n_tasks
            ));
        }
        if f.shape.mode.keeps_input_order() {
            if *task != expected {
                return Verdict::fail(format!(
                    "{} mode delivered {} at {at} in position {expected}, where task {expected} belongs",
                    f.shape.mode,
                    describe(answer)
                ));
            }
            expected += 1;
        }
    }
    Verdict::pass("")
}

/// P06 (SHOULD): Unordered delivers in completion order.
fn completion_order(f: &Facts) -> Verdict {
    if f.shape.mode != Mode::Unordered {
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
                        Ms(f.epsilon)
                    ));
                }
            }
        }
    }
    Verdict::pass("")
}

/// P07: a failing task surfaces as an error naming it, within ε of its failure.
fn error_propagation(f: &Facts) -> Verdict {
    let failure = f.first_failure();
    for pull in &f.pulls {
        match &pull.answer {
            Some((at, Answer::TaskFailed { task }))
                if f.end_kind(*task) != Some(TaskEnd::Failed)
                    || f.completed_at(*task).is_some_and(|e| e > *at) =>
            {
                return Verdict::fail(format!(
                    "the error at {at} names task {task}, which had not failed: {}",
                    f.task_story(*task)
                ));
            }
            Some((at, Answer::ExecutorError { message })) => {
                return Verdict::fail(format!("the executor itself failed at {at}: {message}"));
            }
            _ => {}
        }
    }
    let Some((task, failed_at)) = failure else {
        return Verdict::not_applicable("no task failed");
    };
    let why = format!("task {task} failed at {failed_at}");
    if let Some((_, pull, due)) = first_late_pull(f, |_| Some(failed_at)) {
        // A timeout that was due first and raised in time is a correct answer too (P01).
        let timeout_first = matches!(pull.answer, Some((_, Answer::Timeout)))
            && f.first_obligation().is_some_and(|o| o.due <= failed_at);
        if !timeout_first {
            return Verdict::fail(
                late_evidence(f, pull, &why, due).replace("no timeout seen", "no error seen"),
            );
        }
    }
    match f.terminal() {
        Some((at, Answer::End)) => Verdict::fail(format!(
            "{why}, but the iteration ended normally at {at} without raising it"
        )),
        Some((at, Answer::TaskFailed { .. })) => Verdict::pass(format!(
            "{why}; error seen at {at} ({} after max(failure, asked))",
            Ms(f.lateness(failed_at, at))
        )),
        Some((at, Answer::Timeout)) => {
            let timeout_due = f.all_obligations().first().map(|o| o.due);
            match timeout_due {
                Some(due) if due <= failed_at.plus(f.epsilon) => Verdict::pass(format!(
                    "{why}; the timeout was due first, at {due}, and was raised at {at}"
                )),
                _ => Verdict::fail(format!(
                    "{why}, but the iteration raised a timeout at {at} instead{}",
                    match timeout_due {
                        Some(due) => format!(
                            ", though no timeout was due before {due} (ε {})",
                            Ms(f.epsilon)
                        ),
                        None => ", though no timeout was due".to_string(),
                    }
                )),
            }
        }
        _ => Verdict::pass(format!("{why}; the iteration ended otherwise first")),
    }
}

/// The instant the call was aborted (timeout due, failure, or drop), if it was.
fn abort_instant(f: &Facts) -> Option<(Stamp, String)> {
    let mut candidates: Vec<(Stamp, String)> = Vec::new();
    if f.contract.on_timeout == OnTimeout::Abort {
        if let Some(ob) = f.first_obligation() {
            candidates.push((ob.due, format!("the abort at {} ({})", ob.due, ob.why)));
        }
    }
    if let Some((task, at)) = f.first_failure() {
        candidates.push((at, format!("the abort at {at} (task {task} failed)")));
    }
    if let Some(at) = f.drop_begun {
        candidates.push((at, format!("the drop at {at}")));
    }
    candidates.into_iter().min_by_key(|c| c.0)
}

/// P08: after an abort or a drop, no task starts later than ε after it.
fn abort_stops_dispatch(f: &Facts) -> Verdict {
    let abort = abort_instant(f);
    for task in 0..f.shape.n_tasks {
        let Some(start) = f.starts[task] else {
            continue;
        };
        if let Some((at, what)) = &abort {
            if start > at.plus(f.epsilon) {
                return Verdict::fail(format!(
                    "task {task} started at {start}, {} after {what} (ε {})",
                    Ms(start.since(*at)),
                    Ms(f.epsilon)
                ));
            }
        }
    }
    if f.contract.on_timeout == OnTimeout::PerTask {
        for ob in f.obligations() {
            if let Target::Task(task) = ob.target {
                if f.starts[task].is_some_and(|s| s > ob.due.plus(f.epsilon)) {
                    return Verdict::fail(format!(
                        "{}; task {task} was still started later, at {} (ε {})",
                        ob.why,
                        f.starts[task].unwrap_or(Stamp::ZERO),
                        Ms(f.epsilon)
                    ));
                }
            }
        }
    }
    let per_task_timeouts =
        f.contract.on_timeout == OnTimeout::PerTask && !f.obligations().is_empty();
    match abort {
        None if !per_task_timeouts => {
            Verdict::not_applicable("the call was neither aborted, nor dropped, nor timed out")
        }
        _ => Verdict::pass(""),
    }
}

/// P09: never more than n_jobs tasks running (an abandoned, timed-out task no longer counts).
fn bounded_concurrency(f: &Facts) -> Verdict {
    // Starts and ends in the trace's own order; an abandonment counts before any event at or
    // after its instant (the replacement worker can only start once the task was abandoned).
    let mut abandons: Vec<(Stamp, usize)> = f
        .abandon_instants()
        .into_iter()
        .enumerate()
        .filter_map(|(task, at)| at.map(|at| (at, task)))
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
        running.push(task);
        if running.len() > f.shape.n_jobs {
            return Verdict::fail(format!(
                "at {at}, {} tasks were running (tasks {}) with n_jobs {}",
                running.len(),
                list(&running),
                f.shape.n_jobs
            ));
        }
    }
    Verdict::pass("")
}

/// P10: dropping an unfinished iteration returns within ε.
fn drop_returns(f: &Facts) -> Verdict {
    let Some(begun) = f.drop_begun else {
        return Verdict::not_applicable("the consumer did not drop an unfinished iteration");
    };
    match f.drop_returned {
        Some(returned) if returned > begun.plus(f.epsilon) => Verdict::fail(format!(
            "the drop began at {begun} and returned at {returned}, {} later (ε {})",
            Ms(returned.since(begun)),
            Ms(f.epsilon)
        )),
        Some(returned) => Verdict::pass(format!("drop took {}", Ms(returned.since(begun)))),
        None => Verdict::fail(format!(
            "the drop began at {begun} and had not returned {}",
            match f.watchdog {
                Some(w) => format!("when the watchdog ended the case at {w} (hung)"),
                None => format!("by the end of the trace at {}", f.last),
            }
        )),
    }
}

/// P11: after a call that timed out, the next call is served correctly.
fn reusable(f: &Facts) -> Verdict {
    let Some(next) = &f.follow_up else {
        return Verdict::not_applicable("the case made no follow-up call");
    };
    let timed_out = f.pulls.iter().any(|p| {
        matches!(
            p.answer,
            Some((_, Answer::Timeout | Answer::TimedOut { .. }))
        )
    });
    if !timed_out {
        return Verdict::not_applicable("the first call did not time out");
    }
    let n = next.shape.n_tasks;
    let answers: Vec<&(Stamp, Answer)> = next
        .pulls
        .iter()
        .filter_map(|p| p.answer.as_ref())
        .collect();
    let items: Vec<usize> = answers
        .iter()
        .filter_map(|(_, a)| match a {
            Answer::Item { task } => Some(*task),
            _ => None,
        })
        .collect();
    let in_order: Vec<usize> = (0..n).collect();
    let mut sorted = items.clone();
    sorted.sort_unstable();
    let complete = if next.shape.mode.keeps_input_order() {
        items == in_order
    } else {
        sorted == in_order
    };
    match next.terminal() {
        Some((_, Answer::End)) if complete => Verdict::pass(""),
        Some((at, answer)) => Verdict::fail(format!(
            "after the timeout, the follow-up call of {n} fast tasks ended at {at} with {} having delivered tasks [{}]",
            describe(answer),
            list(&items)
        )),
        None => Verdict::fail(format!(
            "after the timeout, the follow-up call of {n} fast tasks never ended ({} results delivered)",
            items.len()
        )),
    }
}

/// P12 (SHOULD): running cooperative tasks see a stop request within ε of an abort.
fn cancel_running(f: &Facts) -> Verdict {
    if !f.contract.cancels_running {
        return Verdict::not_applicable(
            "the executor does not declare that it stops running tasks",
        );
    }
    let mut stops: Vec<(usize, Stamp, String)> = Vec::new();
    if let Some((at, what)) = abort_instant(f) {
        stops.extend((0..f.shape.n_tasks).map(|t| (t, at, what.clone())));
    }
    for (task, abandoned) in f.abandon_instants().into_iter().enumerate() {
        if let Some(at) = abandoned {
            stops.push((task, at, format!("its timeout at {at}")));
        }
    }
    let mut judged = 0;
    for (task, at, what) in stops {
        if !f.tasks[task].is_cooperative() {
            continue;
        }
        // A task stopped at the abort's very instant (simulated time, ε 0) was running at it.
        let running = f.starts[task].is_some_and(|s| s <= at)
            && f.ends[task].is_none_or(|(e, end)| e > at || (e == at && end == TaskEnd::Stopped));
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
                    Ms(f.epsilon),
                    match other {
                        Some((e, end)) => format!("; it ended {end:?} at {e}").to_lowercase(),
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

fn list(tasks: &[usize]) -> String {
    tasks
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
