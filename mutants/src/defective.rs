//! The reference core with one defect: a [`Machine`] that wraps [`Core`] and gets one thing
//! wrong, so each mutant is the real logic with one realistic timeout bug. The shipped core has
//! no defect switch; every defect lives here, at the machine's interface.

use crate::Mutant;
use overtime_harness::{Mode, TaskFailure, TimeoutClock};
use overtime_reference::core::{
    AfterTask, Answer, Core, CoreConfig, Dispatch, Failure, Poll, Slot, TaskResult, Tick,
};
use overtime_reference::machine::Machine;
use std::collections::HashSet;
use std::time::Duration;

/// How often the `polls-coarsely` mutant looks at its deadlines.
pub const COARSE_POLL: Duration = Duration::from_millis(50);

/// The core, carrying `defect`.
pub struct Defective {
    core: Core,
    defect: Mutant,
    mode: Mode,
    timeout: Option<Duration>,
    /// `checks-after-completion`: the only instant the core is told about.
    last_finish: Tick,
    /// `wrong-start-instant`: the instant of the consumer's first poll.
    first_poll: Option<Tick>,
    /// When each task started and ended (as the wrapper saw them).
    started: Vec<Option<Tick>>,
    finished: Vec<Option<Tick>>,
    /// `error-swallowed`: failed tasks whose failure was turned into a missing slot.
    swallowed: HashSet<usize>,
    /// `dispatch-after-abort`: tasks the core never dispatched that the wrapper ran anyway.
    rogue: HashSet<usize>,
    /// `restarts-on-result`: how far the latest completion pushed the task clock back.
    restarted_by: Duration,
    /// `wait-from-last-result`: when the last result was delivered, and when the consumer
    /// asked for the one it now waits for.
    last_delivery: Tick,
    waiting_since: Option<Tick>,
    /// `late-error-wins`: the last task failure reported after the call was aborted.
    late_failure: Option<(usize, String)>,
    /// `error-waits-for-the-rest`: the error answer held back while tasks still run.
    withheld: Option<Answer>,
    own_generation: u64,
}

impl Defective {
    /// The core for `config`, with the defect's changes to the configuration applied.
    pub fn new(defect: Mutant, mut config: CoreConfig) -> Defective {
        let mode = config.call.mode;
        match defect {
            // joblib #1586: in unordered mode no clock runs on the pending tasks.
            Mutant::UnorderedNeverTimesOut if mode == Mode::Unordered => config.call.timeout = None,
            // Ordered mode built on the completion-order path.
            Mutant::OrderedOutOfOrder if mode == Mode::Ordered => {
                config.call.mode = Mode::Unordered
            }
            // Sizes its pool from n_jobs, plus one "for the consumer".
            Mutant::ExceedsNJobs => config.call.n_jobs += 1,
            // `if timeout:` — a zero timeout is falsy.
            Mutant::ZeroMeansNoTimeout if config.call.timeout == Some(Duration::ZERO) => {
                config.call.timeout = None
            }
            _ => {}
        }
        let n = config.call.n_tasks;
        Defective {
            timeout: config.call.timeout,
            core: Core::new(config),
            defect,
            mode,
            last_finish: Tick::ZERO,
            first_poll: None,
            started: vec![None; n],
            finished: vec![None; n],
            swallowed: HashSet::new(),
            rogue: HashSet::new(),
            restarted_by: Duration::ZERO,
            last_delivery: Tick::ZERO,
            waiting_since: None,
            late_failure: None,
            withheld: None,
            own_generation: 0,
        }
    }

    /// The instant the core is told about, for an input that may fire timers.
    fn checking_now(&mut self, now: Tick) -> Tick {
        match self.defect {
            Mutant::ChecksAfterCompletion => self.last_finish,
            Mutant::PollsCoarsely => quantize_down(now),
            Mutant::Premature => Tick(now.0.saturating_mul(2)),
            Mutant::WrongStartInstant => {
                Tick(now.0.saturating_sub(self.first_poll.unwrap_or(now).0))
            }
            Mutant::RestartsOnResult => Tick(
                now.0
                    .saturating_sub(Tick::from_duration(self.restarted_by).0),
            ),
            Mutant::WaitFromLastResult => now.plus(self.wait_head_start(now)),
            _ => now,
        }
    }

    /// The instant the core is told about for a task event (a start or a finish).
    fn task_now(&mut self, now: Tick) -> Tick {
        match self.defect {
            // The task events are exact; only the deadline checks are wrong.
            Mutant::PollsCoarsely | Mutant::RestartsOnResult | Mutant::WaitFromLastResult => now,
            _ => self.checking_now(now),
        }
    }

    /// `wait-from-last-result`: how much earlier than the consumer's ask the defective wait
    /// starts (from the previous delivery), while the consumer waits.
    fn wait_head_start(&self, now: Tick) -> Duration {
        // From the instant after the ask on: the core itself starts the wait at the ask, and
        // every later check is moved forward by the pause before it.
        match self.waiting_since {
            Some(asked) if asked < now => asked
                .as_duration()
                .saturating_sub(self.last_delivery.as_duration()),
            _ => Duration::ZERO,
        }
    }

    /// Whether an item delivered at `now` is one the defect loses: it was still buffered when
    /// a timeout fired (it completed by then), and the timeout handler reset the buffer.
    fn loses(&self, task: usize, now: Tick) -> bool {
        if self.defect != Mutant::LosesRacingResult {
            return false;
        }
        let Some(timeout) = self.timeout else {
            return false;
        };
        let fired = (0..self.started.len())
            .filter_map(|i| {
                let due = self.started[i]?.plus(timeout);
                let overran = self.finished[i].is_none_or(|end| end > due);
                (overran && due <= now).then_some(due)
            })
            .min();
        fired
            .zip(self.finished[task])
            .is_some_and(|(fired, end)| end <= fired)
    }
}

impl Defective {
    /// `error-waits-for-the-rest`: `answer` once no task is running; until then it is held.
    fn release_when_idle(&mut self, answer: Answer) -> Poll {
        let running = (0..self.started.len())
            .any(|i| self.started[i].is_some() && self.finished[i].is_none());
        if running {
            self.withheld = Some(answer);
            Poll::Pending
        } else {
            Poll::Ready(answer)
        }
    }
}

fn quantize_down(t: Tick) -> Tick {
    let grid = Tick::from_duration(COARSE_POLL).0;
    Tick(t.0 / grid * grid)
}

fn quantize_up(t: Tick) -> Tick {
    let grid = Tick::from_duration(COARSE_POLL).0;
    Tick(t.0.div_ceil(grid) * grid)
}

impl Machine for Defective {
    fn config(&self) -> &CoreConfig {
        self.core.config()
    }

    fn generation(&self) -> u64 {
        self.core.generation().wrapping_add(self.own_generation)
    }

    fn next_task(&mut self, now: Tick) -> Dispatch {
        let core_now = self.task_now(now);
        match self.core.next_task(core_now) {
            Dispatch::Run(i) => {
                self.started[i] = Some(now);
                Dispatch::Run(i)
            }
            Dispatch::Exit if self.defect == Mutant::DispatchAfterAbort => {
                // The abort only stops the consumer; the queue keeps feeding the workers.
                match (0..self.started.len()).find(|&i| self.started[i].is_none()) {
                    Some(i) => {
                        self.started[i] = Some(now);
                        self.rogue.insert(i);
                        Dispatch::Run(i)
                    }
                    None => Dispatch::Exit,
                }
            }
            other => other,
        }
    }

    fn task_finished(&mut self, index: usize, result: TaskResult, now: Tick) -> AfterTask {
        if let Some(slot) = self.finished.get_mut(index) {
            *slot = Some(now);
        }
        if self.rogue.contains(&index) {
            return AfterTask::NextTask;
        }
        self.last_finish = self.last_finish.max(now);
        if self.defect == Mutant::RestartsOnResult {
            // Every completion restarts the clock of the tasks still running.
            let oldest = (0..self.started.len())
                .filter(|&i| self.finished[i].is_none())
                .filter_map(|i| self.started[i])
                .min();
            if let Some(oldest) = oldest {
                self.restarted_by = now.as_duration().saturating_sub(oldest.as_duration());
            }
        }
        if let (Mutant::LateErrorWins, TaskResult::Failed { message }) = (self.defect, &result) {
            // The error slot is one variable, and the last writer wins (a task that honoured
            // the stop request is a cancellation, not an error: it is not written there).
            if self.core.aborted_at().is_some() && message != TaskFailure::STOPPED {
                self.late_failure = Some((index, message.clone()));
            }
        }
        let result = match (self.defect, result) {
            // The failure is caught, logged and forgotten: the task counts as done, its slot
            // is skipped.
            (Mutant::ErrorSwallowed, TaskResult::Failed { .. }) if self.mode == Mode::Unordered => {
                self.swallowed.insert(index);
                TaskResult::Returned
            }
            (_, result) => result,
        };
        let core_now = self.task_now(now);
        match self.core.task_finished(index, result, core_now) {
            // The worker keeps going as long as the queue is not empty.
            AfterTask::Exit
                if self.defect == Mutant::DispatchAfterAbort
                    && self.started.iter().any(Option::is_none) =>
            {
                AfterTask::NextTask
            }
            after => after,
        }
    }

    fn poll(&mut self, now: Tick) -> Poll {
        if self.first_poll.is_none() {
            self.first_poll = Some(now);
        }
        if self.waiting_since.is_none() && self.mode != Mode::List {
            self.waiting_since = Some(now);
        }
        if let Some(answer) = self.withheld.take() {
            return self.release_when_idle(answer);
        }
        loop {
            let core_now = self.checking_now(now);
            let answer = match self.core.poll(core_now) {
                Poll::Ready(answer) => {
                    self.waiting_since = None;
                    self.last_delivery = now;
                    answer
                }
                Poll::Pending => return Poll::Pending,
            };
            match answer {
                Answer::Slot(Slot::Item(task)) => {
                    if self.loses(task, now) || self.swallowed.contains(&task) {
                        // Lost: the timeout handler reset the result buffer, or the task's
                        // failure was swallowed and its slot skipped.
                        self.own_generation += 1;
                        continue;
                    }
                    return Poll::Ready(Answer::Slot(Slot::Item(task)));
                }
                Answer::List(mut slots) => {
                    slots.retain(|slot| !matches!(*slot, Slot::Item(t) if self.loses(t, now)));
                    return Poll::Ready(Answer::List(slots));
                }
                Answer::Failed(Failure::Timeout { .. }) if self.late_failure.is_some() => {
                    let (task, message) = self.late_failure.take().unwrap_or_default();
                    return Poll::Ready(Answer::Failed(Failure::TaskFailed { task, message }));
                }
                failed @ Answer::Failed(Failure::TaskFailed { .. })
                    if self.defect == Mutant::ErrorWaitsForTheRest =>
                {
                    return self.release_when_idle(failed);
                }
                other => return Poll::Ready(other),
            }
        }
    }

    fn on_time(&mut self, now: Tick) {
        let core_now = self.checking_now(now);
        self.core.on_time(core_now)
    }

    fn drop_iteration(&mut self, now: Tick) {
        let core_now = self.task_now(now);
        self.core.drop_iteration(core_now)
    }

    fn next_deadline(&self) -> Option<Tick> {
        let due = self.core.next_deadline()?;
        match self.defect {
            // Nobody wakes up for a deadline: only a completing task looks at the clock.
            Mutant::ChecksAfterCompletion => None,
            Mutant::PollsCoarsely => Some(quantize_up(due)),
            Mutant::Premature => Some(Tick(due.0.div_ceil(2))),
            Mutant::WrongStartInstant => Some(due.plus(Duration::from_nanos(
                self.first_poll.unwrap_or(Tick::ZERO).0,
            ))),
            Mutant::RestartsOnResult => Some(due.plus(self.restarted_by)),
            Mutant::WaitFromLastResult => {
                let head_start = self.waiting_since.map_or(Duration::ZERO, |asked| {
                    asked
                        .as_duration()
                        .saturating_sub(self.last_delivery.as_duration())
                });
                Some(Tick(
                    due.0.saturating_sub(Tick::from_duration(head_start).0),
                ))
            }
            _ => Some(due),
        }
    }

    fn timers_finished(&self) -> bool {
        self.defect == Mutant::ChecksAfterCompletion || self.core.timers_finished()
    }

    fn take_stop_requests(&mut self) -> Vec<usize> {
        self.core.take_stop_requests()
    }

    fn take_spawn_requests(&mut self) -> usize {
        self.core.take_spawn_requests()
    }
}

/// The clock a mutant built on the core declares; `wrong-start-instant` is about the Overall
/// clock, `loses-racing-result` about PerTask; the rest keep joblib's documented contract.
pub fn declared_clock(defect: Mutant) -> TimeoutClock {
    match defect {
        Mutant::WrongStartInstant => TimeoutClock::Overall,
        Mutant::WaitFromLastResult => TimeoutClock::ResultWait,
        _ => TimeoutClock::TaskRuntime,
    }
}
