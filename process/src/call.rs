//! One call in flight: checks each of the adapter's events for it against the protocol's
//! grammar (`specs/protocol.md` §4) and records it into the call's trace.
//!
//! The consumer's events must come in the order the harness's own consumer records them
//! (`overtime_harness::consume`), each stamped no earlier than the one before; a task body starts at
//! most once and ends at most once, after its start; every task id names one of the call's
//! tasks. What the *executor* did — a result delivered twice, in the wrong order, a timeout
//! too late — is not checked here: it is recorded as is, for the properties to judge.

use super::wire::WireAnswer;
use overtime_harness::{Answer, Event, Mode, Recorder, TaskEnd};
use std::time::{Duration, Instant};

/// A step of the adapter's consumer.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step {
    CallMade,
    CallReturned,
    NextAsked,
    Answered(WireAnswer),
    DropBegun,
    DropReturned,
    Done,
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::CallMade => "call_made",
            Step::CallReturned => "call_returned",
            Step::NextAsked => "next_asked",
            Step::Answered(_) => "answered",
            Step::DropBegun => "drop_begun",
            Step::DropReturned => "drop_returned",
            Step::Done => "done",
        }
    }
}

/// Where the adapter's consumer is, and what may come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Sent,
    Made,
    /// Returned, or (lazy modes) between pulls.
    Returned,
    Asked,
    /// A terminal answer was received.
    Terminal,
    Dropping,
    Dropped,
    Done,
}

impl Phase {
    fn expected(self, mode: Mode) -> &'static str {
        match (self, mode) {
            (Phase::Sent, _) => "call_made",
            (Phase::Made, _) => "call_returned",
            (Phase::Returned, Mode::List) => "answered",
            (Phase::Returned, _) => "next_asked or drop_begun",
            (Phase::Asked, _) => "answered",
            (Phase::Terminal, Mode::List) => "done",
            (Phase::Terminal, _) => "drop_begun",
            (Phase::Dropping, _) => "drop_returned",
            (Phase::Dropped, _) => "done",
            (Phase::Done, _) => "nothing more from the consumer (only task events)",
        }
    }
}

/// The harness's side of one call.
pub(super) struct CallState {
    pub id: u64,
    recorder: Recorder,
    mode: Mode,
    n_tasks: usize,
    /// When the harness sent the call: no event of it can be earlier.
    pub sent_at: Instant,
    phase: Phase,
    last_consumer_ns: Option<u64>,
    /// Per task: the line, stamp (on the adapter's clock) and clock uncertainty of its start,
    /// and the line of its end.
    started: Vec<Option<(u64, u64, Duration)>>,
    ended: Vec<Option<u64>>,
    /// The consumer is finished with the call (or the session failed).
    pub done: bool,
}

impl CallState {
    pub fn new(id: u64, recorder: Recorder, mode: Mode, n_tasks: usize) -> CallState {
        CallState {
            id,
            recorder,
            mode,
            n_tasks,
            sent_at: Instant::now(),
            phase: Phase::Sent,
            last_consumer_ns: None,
            started: vec![None; n_tasks],
            ended: vec![None; n_tasks],
            done: false,
        }
    }

    fn check_task(&self, task: usize) -> Result<(), String> {
        if task < self.n_tasks {
            Ok(())
        } else {
            Err(format!(
                "unknown task {task}: call {} has tasks 0..{}",
                self.id, self.n_tasks
            ))
        }
    }

    /// Checks one step of the consumer and records it, stamped `at`.
    pub fn consumer_step(&mut self, step: Step, at_ns: u64, at: Instant) -> Result<(), String> {
        let lazy = self.mode != Mode::List;
        let next = match (self.phase, &step) {
            (Phase::Sent, Step::CallMade) => Phase::Made,
            (Phase::Made, Step::CallReturned) => Phase::Returned,
            (Phase::Returned, Step::Answered(a)) if !lazy => after_answer(a),
            (Phase::Returned, Step::NextAsked) if lazy => Phase::Asked,
            (Phase::Returned | Phase::Terminal, Step::DropBegun) if lazy => Phase::Dropping,
            (Phase::Asked, Step::Answered(a)) => after_answer(a),
            (Phase::Dropping, Step::DropReturned) => Phase::Dropped,
            (Phase::Terminal, Step::Done) if !lazy => Phase::Done,
            (Phase::Dropped, Step::Done) => Phase::Done,
            (phase, step) => {
                return Err(format!(
                    "`{}` is out of order in {} mode: after the consumer's last event the \
                     protocol expects {}",
                    step.name(),
                    self.mode,
                    phase.expected(self.mode)
                ))
            }
        };
        if let Step::Answered(a) = &step {
            if let Some(task) = a.task() {
                self.check_task(task)?;
            }
        }
        if let Some(last) = self.last_consumer_ns {
            if at_ns < last {
                return Err(format!(
                    "stamped {} ns before the consumer's previous event: the consumer's \
                     events must be stamped in the order they happened",
                    last - at_ns
                ));
            }
        }
        self.last_consumer_ns = Some(at_ns);
        self.phase = next;
        let stamp = self.recorder.stamp_of(at);
        let event = match step {
            Step::CallMade => Event::CallMade,
            Step::CallReturned => Event::CallReturned,
            Step::NextAsked => Event::NextAsked,
            Step::Answered(a) => Event::Answered(a.into_answer()),
            Step::DropBegun => Event::DropBegun,
            Step::DropReturned => Event::DropReturned,
            Step::Done => {
                self.finish();
                return Ok(());
            }
        };
        self.recorder.record_at(stamp, event);
        Ok(())
    }

    /// Checks and records a task body's start: `at_ns` on the adapter's clock, `at` on the
    /// harness's, both within `uncertainty` (a worker's clock offset, else zero).
    pub fn task_started(
        &mut self,
        line: u64,
        task: usize,
        at_ns: u64,
        at: Instant,
        uncertainty: Duration,
    ) -> Result<(), String> {
        self.check_task(task)?;
        if let Some((first, _, _)) = self.started[task] {
            return Err(format!(
                "task {task} started twice (first on line {first}): a task body runs at most once"
            ));
        }
        self.started[task] = Some((line, at_ns, uncertainty));
        self.recorder.record_within(
            self.recorder.stamp_of(at),
            uncertainty,
            Event::TaskStarted { task },
        );
        Ok(())
    }

    /// Checks and records a task body's end (stamps as for [`CallState::task_started`]). An
    /// end and its start on different clocks (a worker's, and the adapter's for a killed task)
    /// may seem reversed by up to both uncertainties.
    pub fn task_ended(
        &mut self,
        line: u64,
        task: usize,
        end: TaskEnd,
        at_ns: u64,
        at: Instant,
        uncertainty: Duration,
    ) -> Result<(), String> {
        self.check_task(task)?;
        let Some((_, started_ns, started_within)) = self.started[task] else {
            return Err(format!("task {task} ended but never started"));
        };
        if let Some(first) = self.ended[task] {
            return Err(format!("task {task} ended twice (first on line {first})"));
        }
        let slack = u64::try_from((started_within + uncertainty).as_nanos()).unwrap_or(u64::MAX);
        if at_ns.saturating_add(slack) < started_ns {
            return Err(format!(
                "task {task} is stamped ending {} ns before it started",
                started_ns - at_ns
            ));
        }
        self.ended[task] = Some(line);
        self.recorder.record_within(
            self.recorder.stamp_of(at),
            uncertainty,
            Event::TaskEnded { task, end },
        );
        Ok(())
    }

    /// Ends the call with the executor's (or the protocol's) failure, stamped now.
    pub fn fail(&mut self, message: &str) {
        self.recorder.record(Event::Answered(Answer::ExecutorError {
            message: message.to_string(),
        }));
        self.finish();
    }

    fn finish(&mut self) {
        self.done = true;
        self.phase = Phase::Done;
    }
}

fn after_answer(a: &WireAnswer) -> Phase {
    if a.clone().into_answer().is_terminal() {
        Phase::Terminal
    } else {
        Phase::Returned
    }
}
