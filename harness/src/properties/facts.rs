//! What a trace says, arranged for judging: per-task start and end, the consumer's pulls, the
//! drop and the watchdog. Built once per trace; every property reads it.

use super::due::{self, Obligation, Target};
use crate::model::{CallShape, Contract, Mode, OnTimeout, TimeoutClock};
use crate::task::TaskSpec;
use crate::trace::{Answer, Event, Ms, Stamp, TaskEnd, Trace};
use std::collections::HashSet;
use std::time::Duration;

/// One pull of the consumer: when it asked, and what it got when. In List mode every slot of
/// the returned list (or its error) is a pull asked at the call's instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub asked: Stamp,
    pub answer: Option<(Stamp, Answer)>,
}

impl Pull {
    /// When it returned; for a pull that never did, when the case ended (watchdog or trace end).
    pub fn returned_or_hung(&self, f: &Facts) -> Stamp {
        match &self.answer {
            Some((at, _)) => *at,
            None => f.watchdog.unwrap_or(f.last),
        }
    }
}

/// The facts of one trace, with the tolerance it is judged at.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub shape: &'a CallShape,
    pub contract: Contract,
    pub tasks: &'a [TaskSpec],
    pub epsilon: Duration,
    pub timeout: Option<Duration>,
    pub call_at: Stamp,
    pub starts: Vec<Option<Stamp>>,
    pub ends: Vec<Option<(Stamp, TaskEnd)>>,
    /// Every task's first start and first end, in the trace's order (which breaks ties between
    /// equal stamps as they were recorded): `(instant, task, is_start)`.
    pub task_events: Vec<(Stamp, usize, bool)>,
    pub pulls: Vec<Pull>,
    pub drop_begun: Option<Stamp>,
    pub drop_returned: Option<Stamp>,
    pub watchdog: Option<Stamp>,
    /// The last stamp of the trace.
    pub last: Stamp,
    pub follow_up: Option<Box<Facts<'a>>>,
}

impl<'a> Facts<'a> {
    pub fn of(trace: &'a Trace, epsilon: Duration) -> Facts<'a> {
        let n = trace.shape.n_tasks;
        let mut f = Facts {
            shape: &trace.shape,
            contract: trace.contract,
            tasks: &trace.tasks,
            epsilon,
            timeout: trace.shape.timeout,
            call_at: Stamp::ZERO,
            starts: vec![None; n],
            ends: vec![None; n],
            task_events: Vec::new(),
            pulls: Vec::new(),
            drop_begun: None,
            drop_returned: None,
            watchdog: None,
            last: trace.events.last().map_or(Stamp::ZERO, |e| e.at),
            follow_up: trace
                .follow_up
                .as_deref()
                .map(|t| Box::new(Facts::of(t, epsilon))),
        };
        let list = trace.shape.mode == Mode::List;
        let mut call_made = false;
        let mut call_returned = false;
        for e in &trace.events {
            match &e.event {
                Event::CallMade => {
                    f.call_at = e.at;
                    call_made = true;
                }
                Event::CallReturned | Event::DropReturned if f.drop_begun.is_some() => {
                    f.drop_returned.get_or_insert(e.at);
                }
                Event::CallReturned => call_returned = true,
                Event::DropReturned => {}
                Event::TaskStarted { task } => {
                    if let Some(s @ None) = f.starts.get_mut(*task) {
                        *s = Some(e.at);
                        f.task_events.push((e.at, *task, true));
                    }
                }
                Event::TaskEnded { task, end } => {
                    if let Some(s @ None) = f.ends.get_mut(*task) {
                        *s = Some((e.at, *end));
                        f.task_events.push((e.at, *task, false));
                    }
                }
                Event::NextAsked => f.pulls.push(Pull {
                    asked: e.at,
                    answer: None,
                }),
                Event::Answered(answer) => {
                    let open = f.pulls.last_mut().filter(|p| p.answer.is_none() && !list);
                    match open {
                        Some(pull) => pull.answer = Some((e.at, answer.clone())),
                        None => f.pulls.push(Pull {
                            asked: f.call_at,
                            answer: Some((e.at, answer.clone())),
                        }),
                    }
                }
                Event::DropBegun => {
                    f.drop_begun.get_or_insert(e.at);
                }
                Event::WatchdogFired => {
                    f.watchdog.get_or_insert(e.at);
                }
            }
        }
        // A List call that never answered, or a lazy call whose `run` never returned, is one
        // pull still waiting since the call.
        if call_made && f.pulls.is_empty() && (list || !call_returned) {
            f.pulls.push(Pull {
                asked: f.call_at,
                answer: None,
            });
        }
        f
    }

    /// When the task completed (returned or failed); `None` if it never did, or was stopped.
    pub fn completed_at(&self, task: usize) -> Option<Stamp> {
        match self.ends.get(task).copied().flatten() {
            Some((at, TaskEnd::Returned | TaskEnd::Failed)) => Some(at),
            _ => None,
        }
    }

    pub fn end_kind(&self, task: usize) -> Option<TaskEnd> {
        self.ends.get(task).copied().flatten().map(|(_, end)| end)
    }

    /// The answer that ended the iteration, if one did.
    pub fn terminal(&self) -> Option<(Stamp, &Answer)> {
        self.terminal_pull()
            .and_then(|p| p.answer.as_ref().map(|(at, a)| (*at, a)))
    }

    pub fn terminal_pull(&self) -> Option<&Pull> {
        self.pulls
            .iter()
            .find(|p| p.answer.as_ref().is_some_and(|(_, a)| a.is_terminal()))
    }

    /// How late `at` is against `due`, counted from when the answering pull was asked if later.
    pub fn lateness(&self, due: Stamp, at: Stamp) -> Duration {
        let asked = self
            .pulls
            .iter()
            .find(|p| p.answer.as_ref().is_some_and(|(a, _)| *a == at))
            .map_or(self.call_at, |p| p.asked);
        at.since(due.max(asked))
    }

    /// The first task failure while the call was live (before any drop): (task, instant).
    ///
    /// Under PerTask, a task that fails after its own timeout was due (or after its marker was
    /// delivered) had already been abandoned: its slot is settled and its failure is moot.
    pub fn first_failure(&self) -> Option<(usize, Stamp)> {
        let ended = self.terminal().map(|(at, _)| at);
        let abandoned_before = |task: usize, failed: Stamp| -> bool {
            if self.contract.on_timeout != OnTimeout::PerTask {
                return false;
            }
            let marked = self.pulls.iter().any(|p| {
                matches!(&p.answer, Some((at, Answer::TimedOut { task: t })) if *t == task && *at <= failed)
            });
            marked
                || self
                    .all_obligations()
                    .iter()
                    .any(|o| o.target == Target::Task(task) && o.due < failed)
        };
        (0..self.shape.n_tasks)
            .filter_map(|t| match self.ends[t] {
                Some((at, TaskEnd::Failed)) => Some((t, at)),
                _ => None,
            })
            .filter(|(_, at)| self.drop_begun.is_none_or(|d| *at <= d))
            .filter(|(_, at)| ended.is_none_or(|e| *at <= e))
            .filter(|(task, at)| !abandoned_before(*task, *at))
            .min_by_key(|(t, at)| (*at, *t))
    }

    /// Every timeout the contract says was due while the call was live (spec §2), earliest
    /// first. A drop, or a task failure (plus ε), ends the call's liveness.
    ///
    /// A drop counts only when it abandoned an unfinished iteration (no terminal answer
    /// before it): the drop that follows a terminal answer ends nothing that was still owed.
    pub fn obligations(&self) -> Vec<Obligation> {
        let mut cut = self.drop_begun.filter(|_| self.terminal().is_none());
        if let Some((_, failed)) = self.first_failure() {
            let after_failure = failed.plus(self.epsilon);
            cut = Some(cut.map_or(after_failure, |c| c.min(after_failure)));
        }
        let mut all = self.all_obligations();
        all.retain(|o| cut.is_none_or(|c| o.due <= c));
        all
    }

    /// Every timeout the contract says was due, whether or not the call was still live then,
    /// earliest first: what a timeout that was raised is judged against (P02).
    pub fn all_obligations(&self) -> Vec<Obligation> {
        let Some(timeout) = self.timeout else {
            return Vec::new();
        };
        let mut all = due::obligations(self, timeout);
        all.sort_by_key(|o| (o.due, o.first_task()));
        all
    }

    /// The earliest obligation: under Abort, the due time D of the whole call.
    pub fn first_obligation(&self) -> Option<Obligation> {
        self.obligations().into_iter().next()
    }

    /// Tasks not delivered (as item or marker) by the pulls before pull `k`.
    pub fn unanswered_before(&self, k: usize) -> Vec<usize> {
        let answered: HashSet<usize> = self.pulls[..k.min(self.pulls.len())]
            .iter()
            .filter_map(|p| match &p.answer {
                Some((_, Answer::Item { task } | Answer::TimedOut { task })) => Some(*task),
                _ => None,
            })
            .collect();
        (0..self.shape.n_tasks)
            .filter(|t| !answered.contains(t))
            .collect()
    }

    /// Under PerTask, the earliest obligation that pull `k` has to honour.
    pub fn pull_obligation<'o>(
        &self,
        obligations: &'o [Obligation],
        k: usize,
    ) -> Option<&'o Obligation> {
        let waiting_for: Vec<usize> = match self.shape.mode {
            Mode::List | Mode::Ordered => vec![k],
            Mode::Unordered => self.unanswered_before(k),
        };
        obligations
            .iter()
            .filter(|o| waiting_for.iter().any(|&t| o.applies_to_task(t, k)))
            .min_by_key(|o| o.due)
    }

    pub fn delivered_items(&self) -> HashSet<usize> {
        self.pulls
            .iter()
            .filter_map(|p| match &p.answer {
                Some((_, Answer::Item { task })) => Some(*task),
                _ => None,
            })
            .collect()
    }

    /// Under PerTask, when each timed-out task was abandoned by the executor (its due time):
    /// from then on it no longer counts towards n_jobs.
    pub fn abandon_instants(&self) -> Vec<Option<Stamp>> {
        let mut abandoned = vec![None; self.shape.n_tasks];
        if self.contract.on_timeout != OnTimeout::PerTask {
            return abandoned;
        }
        let obligations = self.all_obligations();
        // A task still running when its own timeout was due is abandoned then, whether or not
        // its marker was ever delivered (a List call that failed later, an early drop).
        for o in &obligations {
            if let Target::Task(task) = o.target {
                let running = self.starts[task].is_some_and(|s| s <= o.due)
                    && self.ends[task].is_none_or(|(e, _)| e > o.due);
                if running {
                    let slot = &mut abandoned[task];
                    *slot = Some(slot.map_or(o.due, |a: Stamp| a.min(o.due)));
                }
            }
        }
        for (k, pull) in self.pulls.iter().enumerate() {
            if let Some((at, Answer::TimedOut { task })) = &pull.answer {
                if let Some(slot) = abandoned.get_mut(*task) {
                    let due = obligations
                        .iter()
                        .filter(|o| o.applies_to_task(*task, k))
                        .map(|o| o.due)
                        .min();
                    let at = due.unwrap_or(*at).min(*at);
                    *slot = Some(slot.map_or(at, |a: Stamp| a.min(at)));
                }
            }
        }
        abandoned
    }

    /// Why no timeout was due, in the contract's terms.
    pub fn why_nothing_due(&self) -> String {
        let Some(t) = self.timeout else {
            return "the call has no timeout".into();
        };
        match self.contract.clock {
            TimeoutClock::TaskRuntime => format!(
                "task_runtime timeout {}: every started task completed within {} of its start",
                Ms(t),
                Ms(t)
            ),
            TimeoutClock::Overall => format!(
                "overall timeout {}: every task completed by {}",
                Ms(t),
                self.call_at.plus(t)
            ),
            TimeoutClock::ResultWait => format!(
                "result_wait timeout {}: no wait for a result lasted that long",
                Ms(t)
            ),
        }
    }

    /// One clause on what a task did: "task 3 started at 1 ms and completed at 90 ms".
    pub fn task_story(&self, task: usize) -> String {
        let Some(start) = self.starts.get(task).copied().flatten() else {
            return format!("task {task} never started");
        };
        match self.ends[task] {
            Some((at, end)) => format!(
                "task {task} started at {start} and ended ({}) at {at}",
                match end {
                    TaskEnd::Returned => "returned",
                    TaskEnd::Failed => "failed",
                    TaskEnd::Stopped => "stopped",
                    TaskEnd::Released => "released at teardown",
                }
            ),
            None => format!("task {task} started at {start} and never ended"),
        }
    }

    /// The obligations' targets as tasks: used for reports.
    pub fn obligation_tasks(&self) -> Vec<usize> {
        self.obligations()
            .iter()
            .flat_map(|o| match &o.target {
                Target::Task(t) => vec![*t],
                Target::AnyOf(ts) => ts.clone(),
            })
            .collect()
    }
}
