//! The executor as the runners drive it, case by case ([`CaseExecutor`]), and the harness's own
//! consumer, which makes a call and pulls it as the case says while recording everything.
//!
//! Every [`Executor`] is a [`CaseExecutor`] through the blanket implementation below (the way
//! sqllogictest-rs bridges `DB` to `AsyncDB`): its calls are made and consumed by
//! [`consume`], nothing to set up or tear down between cases. An executor whose consumer
//! cannot be the harness's — an adapter process whose iterator lives in another process —
//! implements [`CaseExecutor`] itself.

use crate::call::Consumer;
use crate::case::Case;
use crate::executor::{Call, CallError, Executor, Outcome, Slot};
use crate::model::Profile;
use crate::trace::{Answer, Event, Recorder};
use std::thread;
use std::time::Duration;

/// An executor as the runner drives it: set up before each case, one or two calls made and
/// consumed, torn down after. Implement [`Executor`] instead unless your calls cannot be
/// consumed by the harness.
pub trait CaseExecutor: Send + Sync {
    /// What the executor promises; the harness judges it against exactly this.
    fn declared_profile(&self) -> Profile;

    /// Called before each attempt at a case, before its clock and its watchdog start: an
    /// executor may get ready here (an adapter process starts and warms up its workers)
    /// without that time counting against the case.
    fn begin_case(&self, case: &Case) {
        let _ = case;
    }

    /// Makes `call` and consumes it as `consumer` says, recording the whole trace of the call
    /// into `recorder`: call made and returned, pulls and answers, the drop, task starts and
    /// ends (the harness's task bodies record their own).
    fn make_call(&self, call: Call, consumer: &Consumer, recorder: &Recorder);

    /// Called after each attempt at a case, once its hung tasks are released: an executor may
    /// tear down what [`CaseExecutor::begin_case`] made.
    fn end_case(&self) {}

    /// How uncertain the instants this executor reports are, beyond the harness's own
    /// lateness: 0 when the harness stamps every event itself. Widens the guard band within
    /// which a failure is inconclusive ([`crate::Noise`]).
    fn clock_uncertainty(&self) -> Duration {
        Duration::ZERO
    }
}

impl<E: Executor + ?Sized> CaseExecutor for E {
    fn declared_profile(&self) -> Profile {
        self.profile()
    }

    fn make_call(&self, call: Call, consumer: &Consumer, recorder: &Recorder) {
        consume(self, call, consumer, recorder)
    }
}

/// The harness's consumer: makes the call, pulls as `consumer` says, drops, and records it all
/// (spec §1: what the consumer records in each mode).
pub fn consume<E: Executor + ?Sized>(
    executor: &E,
    call: Call,
    consumer: &Consumer,
    recorder: &Recorder,
) {
    recorder.record(Event::CallMade);
    let outcome = executor.run(call);
    recorder.record(Event::CallReturned);
    match outcome {
        Outcome::List(Ok(slots)) => {
            for slot in slots {
                recorder.record(Event::Answered(Answer::from(slot)));
            }
            recorder.record(Event::Answered(Answer::End));
        }
        Outcome::List(Err(e)) => {
            recorder.record(Event::Answered(Answer::from(&e)));
        }
        Outcome::Stream(mut stream) => {
            let mut delivered = 0usize;
            while !consumer.drops_after(delivered) {
                let pause = consumer.pause_before(delivered);
                if !pause.is_zero() {
                    thread::sleep(pause);
                }
                recorder.record(Event::NextAsked);
                match stream.next() {
                    Some(Ok(slot)) => {
                        recorder.record(Event::Answered(Answer::from(slot)));
                        delivered += 1;
                    }
                    Some(Err(e)) => {
                        recorder.record(Event::Answered(Answer::from(&e)));
                        break;
                    }
                    None => {
                        recorder.record(Event::Answered(Answer::End));
                        break;
                    }
                }
            }
            recorder.record(Event::DropBegun);
            drop(stream);
            recorder.record(Event::DropReturned);
        }
    }
}

impl From<Slot> for Answer {
    fn from(slot: Slot) -> Answer {
        match slot {
            Slot::Item(output) => Answer::Item { task: output.task },
            Slot::TimedOut { task } => Answer::TimedOut { task },
        }
    }
}

impl From<&CallError> for Answer {
    fn from(error: &CallError) -> Answer {
        match error {
            CallError::Timeout { .. } => Answer::Timeout,
            CallError::TaskFailed { task, .. } => Answer::TaskFailed { task: *task },
            CallError::ExecutorError(message) => Answer::ExecutorError {
                message: message.clone(),
            },
        }
    }
}
