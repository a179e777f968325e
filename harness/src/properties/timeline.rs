//! What a trace says, arranged for judging: per-task start and end, the consumer's pulls, the
//! drop and the watchdog (spec §1). Read straight off the events; nothing here depends on the
//! contract's due times ([`super::facts`] adds those).

use crate::call::{CallParams, TaskSpec};
use crate::model::{Contract, Mode};
use crate::trace::{Answer, Event, Stamp, TaskEnd, Trace};
use std::collections::HashSet;
use std::time::Duration;

/// One pull of the consumer: when it asked, and what it got when. In List mode every slot of
/// the returned list (or its error) is a pull asked at the call's instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pull {
    pub asked: Stamp,
    pub answer: Option<(Stamp, Answer)>,
}

/// The events of one trace, by task and by pull.
#[derive(Debug, Clone)]
pub(crate) struct Timeline<'a> {
    pub call: &'a CallParams,
    pub contract: Contract,
    pub tasks: &'a [TaskSpec],
    pub timeout: Option<Duration>,
    /// The call instant: `call_made`, or, when the executor side never reported it, the
    /// harness's hand-over (`call_sent`).
    pub call_at: Stamp,
    /// When the harness handed the call to an executor that reports its own consumer's events.
    pub call_sent: Option<Stamp>,
    /// Whether the consumer reported making the call.
    pub call_made: bool,
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
}

impl<'a> Timeline<'a> {
    pub fn of(trace: &'a Trace) -> Timeline<'a> {
        let n = trace.call.n_tasks;
        let mut t = Timeline {
            call: &trace.call,
            contract: trace.contract,
            tasks: &trace.tasks,
            timeout: trace.call.timeout,
            call_at: Stamp::ZERO,
            call_sent: None,
            call_made: false,
            starts: vec![None; n],
            ends: vec![None; n],
            task_events: Vec::new(),
            pulls: Vec::new(),
            drop_begun: None,
            drop_returned: None,
            watchdog: None,
            last: trace.events.last().map_or(Stamp::ZERO, |e| e.at),
        };
        let list = trace.call.mode == Mode::List;
        let mut call_returned = false;
        for e in &trace.events {
            match &e.event {
                Event::CallSent => {
                    t.call_sent.get_or_insert(e.at);
                    if !t.call_made {
                        t.call_at = e.at;
                    }
                }
                Event::CallMade => {
                    t.call_at = e.at;
                    t.call_made = true;
                }
                Event::CallReturned | Event::DropReturned if t.drop_begun.is_some() => {
                    t.drop_returned.get_or_insert(e.at);
                }
                Event::CallReturned => call_returned = true,
                Event::DropReturned => {}
                Event::TaskStarted { task } => {
                    if let Some(s @ None) = t.starts.get_mut(*task) {
                        *s = Some(e.at);
                        t.task_events.push((e.at, *task, true));
                    }
                }
                Event::TaskEnded { task, end } => {
                    if let Some(s @ None) = t.ends.get_mut(*task) {
                        *s = Some((e.at, *end));
                        t.task_events.push((e.at, *task, false));
                    }
                }
                Event::NextAsked => t.pulls.push(Pull {
                    asked: e.at,
                    answer: None,
                }),
                Event::Answered(answer) => {
                    let open = t.pulls.last_mut().filter(|p| p.answer.is_none() && !list);
                    match open {
                        Some(pull) => pull.answer = Some((e.at, answer.clone())),
                        None => t.pulls.push(Pull {
                            asked: t.call_at,
                            answer: Some((e.at, answer.clone())),
                        }),
                    }
                }
                Event::DropBegun => {
                    t.drop_begun.get_or_insert(e.at);
                }
                Event::WatchdogFired => {
                    t.watchdog.get_or_insert(e.at);
                }
            }
        }
        // A List call that never answered, or a lazy call whose `run` never returned, is one
        // pull still waiting since the call (since the hand-over, for a call never reported).
        let handed_over = t.call_made || t.call_sent.is_some();
        if handed_over && t.pulls.is_empty() && (list || !call_returned) {
            t.pulls.push(Pull {
                asked: t.call_at,
                answer: None,
            });
        }
        t
    }

    /// When the pull returned; for a pull that never did, when the case ended (watchdog or
    /// trace end).
    pub fn returned_or_hung(&self, pull: &Pull) -> Stamp {
        match &pull.answer {
            Some((at, _)) => *at,
            None => self.watchdog.unwrap_or(self.last),
        }
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
        self.pulls
            .iter()
            .find(|p| p.answer.as_ref().is_some_and(|(_, a)| a.is_terminal()))
            .and_then(|p| p.answer.as_ref().map(|(at, a)| (*at, a)))
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
        (0..self.call.n_tasks)
            .filter(|t| !answered.contains(t))
            .collect()
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

    /// Whether any pull received a timeout or a timed-out marker.
    pub fn timed_out(&self) -> bool {
        self.pulls.iter().any(|p| {
            matches!(
                p.answer,
                Some((_, Answer::Timeout | Answer::TimedOut { .. }))
            )
        })
    }
}
