//! Test support for the checker: a trace builder that writes traces event by event in
//! milliseconds, the assertions every property's tests use, and the fixtures several share.
//! Unless a test says otherwise, ε is 50 ms.

use super::facts::Facts;
use super::verdict::{Rule, Verdict, VerdictKind};
pub(crate) use crate::call::TaskSpec;
use crate::call::{CallParams, Consumer};
use crate::model::Contract;
pub(crate) use crate::model::{DeadlineAnchor, ErrorOrder, Mode, OnTimeout, TimeoutClock};
pub(crate) use crate::trace::{Answer, Event, Stamp, Stamped, TaskEnd, Trace};
pub(crate) use std::time::Duration;
pub(crate) use Mode::{List, Ordered, Unordered};
pub(crate) use OnTimeout::{Abort, PerTask};
pub(crate) use TimeoutClock::{Overall, ResultWait, TaskRuntime};

/// A stamp `ms` milliseconds after the trace's origin.
pub(crate) fn ms(ms: f64) -> Stamp {
    Stamp((ms * 1e6).round() as u64)
}

pub(crate) fn dur(ms: f64) -> Duration {
    Duration::from_nanos((ms * 1e6).round() as u64)
}

pub(crate) fn sleep(ms: f64) -> TaskSpec {
    TaskSpec::Sleep { ms: dur(ms) }
}

pub(crate) fn fail_after(ms: f64) -> TaskSpec {
    TaskSpec::Fail { ms: dur(ms) }
}

pub(crate) fn raise_timeout_after(ms: f64) -> TaskSpec {
    TaskSpec::RaiseTimeout { ms: dur(ms) }
}

pub(crate) fn hang() -> TaskSpec {
    TaskSpec::Hang
}

pub(crate) fn coop_hang() -> TaskSpec {
    TaskSpec::CooperativeHang
}

pub(crate) fn item(task: usize) -> Answer {
    Answer::Item { task }
}

pub(crate) fn timed_out(task: usize) -> Answer {
    Answer::TimedOut { task }
}

pub(crate) fn task_failed(task: usize) -> Answer {
    Answer::TaskFailed { task }
}

/// Builds a [`Trace`] event by event, in the order a recorder would stamp them.
pub(crate) struct TraceBuilder {
    pub(crate) trace: Trace,
}

impl TraceBuilder {
    pub(crate) fn new(
        mode: Mode,
        clock: TimeoutClock,
        on_timeout: OnTimeout,
        n_jobs: usize,
        timeout_ms: f64,
        tasks: Vec<TaskSpec>,
    ) -> TraceBuilder {
        TraceBuilder {
            trace: Trace {
                call: CallParams {
                    n_tasks: tasks.len(),
                    n_jobs,
                    timeout: Some(dur(timeout_ms)),
                    mode,
                },
                contract: Contract {
                    clock,
                    on_timeout,
                    ..Contract::default()
                },
                tasks,
                consumer: Consumer::default(),
                events: Vec::new(),
                follow_up: None,
            },
        }
    }

    /// The call is made without a timeout.
    pub(crate) fn without_timeout(mut self) -> Self {
        self.trace.call.timeout = None;
        self
    }

    /// The executor declares that it asks running tasks to stop on abort.
    pub(crate) fn cancels_running(mut self) -> Self {
        self.trace.contract.cancels_running = true;
        self
    }

    /// The executor declares this error order (fail_fast by default).
    pub(crate) fn error_order(mut self, order: ErrorOrder) -> Self {
        self.trace.contract.error_order = order;
        self
    }

    /// The executor declares where its overall clock starts (the call by default).
    pub(crate) fn deadline_anchor(mut self, anchor: DeadlineAnchor) -> Self {
        self.trace.contract.deadline_anchor = anchor;
        self
    }

    pub(crate) fn event(mut self, at_ms: f64, event: Event) -> Self {
        self.trace.events.push(Stamped::new(ms(at_ms), event));
        self
    }

    /// The last event added was stamped on a remote worker's clock, within `ms` of the truth.
    pub(crate) fn within(mut self, ms: f64) -> Self {
        if let Some(e) = self.trace.events.last_mut() {
            e.uncertainty = dur(ms);
        }
        self
    }

    pub(crate) fn call(self, at: f64) -> Self {
        self.event(at, Event::CallMade)
    }

    /// The harness handed the call to an executor that reports its own consumer's events.
    pub(crate) fn sent(self, at: f64) -> Self {
        self.event(at, Event::CallSent)
    }

    pub(crate) fn returned(self, at: f64) -> Self {
        self.event(at, Event::CallReturned)
    }

    pub(crate) fn start(self, task: usize, at: f64) -> Self {
        self.event(at, Event::TaskStarted { task })
    }

    pub(crate) fn end(self, task: usize, at: f64, end: TaskEnd) -> Self {
        self.event(at, Event::TaskEnded { task, end })
    }

    /// A task that ran from `from` to `to` and returned.
    pub(crate) fn ran(self, task: usize, from: f64, to: f64) -> Self {
        self.start(task, from).end(task, to, TaskEnd::Returned)
    }

    pub(crate) fn ask(self, at: f64) -> Self {
        self.event(at, Event::NextAsked)
    }

    pub(crate) fn answer(self, at: f64, answer: Answer) -> Self {
        self.event(at, Event::Answered(answer))
    }

    /// One pull: asked at `asked`, answered at `answered`.
    pub(crate) fn pull(self, asked: f64, answered: f64, answer: Answer) -> Self {
        self.ask(asked).answer(answered, answer)
    }

    pub(crate) fn drop_begun(self, at: f64) -> Self {
        self.event(at, Event::DropBegun)
    }

    pub(crate) fn drop_returned(self, at: f64) -> Self {
        self.event(at, Event::DropReturned)
    }

    pub(crate) fn watchdog(self, at: f64) -> Self {
        self.event(at, Event::WatchdogFired)
    }

    pub(crate) fn follow_up(mut self, next: Trace) -> Self {
        self.trace.follow_up = Some(Box::new(next));
        self
    }

    /// The trace, its events in stamp order (stable, as [`overtime_harness::Recorder`] gives them).
    pub(crate) fn build(mut self) -> Trace {
        self.trace.events.sort_by_key(|e| e.at);
        self.trace
    }
}

pub(crate) const EPS: f64 = 50.0;

/// Judges `rule` on `trace` at ε = `eps_ms`.
pub(crate) fn check(trace: &Trace, eps_ms: f64, rule: &Rule) -> Verdict {
    (rule.judge)(&Facts::of(trace, dur(eps_ms)))
}

pub(crate) trait Expect {
    fn fails_with(&self, needles: &[&str]);
    fn passes(&self);
    fn is_not_applicable(&self);
}

impl Expect for Verdict {
    #[track_caller]
    fn fails_with(&self, needles: &[&str]) {
        assert_eq!(
            self.verdict,
            VerdictKind::Fail,
            "expected fail, got {:?}: {}",
            self.verdict,
            self.evidence
        );
        for needle in needles {
            assert!(
                self.evidence.contains(needle),
                "the evidence should mention {needle:?}: {}",
                self.evidence
            );
        }
    }

    #[track_caller]
    fn passes(&self) {
        assert_eq!(
            self.verdict,
            VerdictKind::Pass,
            "expected pass, got {:?}: {}",
            self.verdict,
            self.evidence
        );
    }

    #[track_caller]
    fn is_not_applicable(&self) {
        assert_eq!(
            self.verdict,
            VerdictKind::NotApplicable,
            "expected not_applicable, got {:?}: {}",
            self.verdict,
            self.evidence
        );
    }
}

// Fixtures shared by the tests of several properties.

/// joblib #1586: 3 hung tasks on 2 workers, a 100 ms timeout per task, and the consumer's
/// first pull never returns: the watchdog ends the case at 1.5 s.
pub(crate) fn joblib_1586() -> Trace {
    let tasks = vec![hang(), hang(), hang()];
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .ask(0.0)
        .watchdog(1500.0)
        .build()
}

/// Two hung tasks on 2 workers, T = 100 ms: the timeout is due at 100 ms.
pub(crate) fn hung_pair_timeout_seen_at(at: f64) -> Trace {
    let tasks = vec![hang(), hang()];
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .pull(0.0, at, Answer::Timeout)
        .build()
}

/// The runner's shape of a lazy call: the consumer drops the stream right after its terminal
/// answer. Task 0 hangs; its timeout is due at 100 ms.
pub(crate) fn hung_task_timeout_then_drop_at(at: f64) -> Trace {
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, at, Answer::Timeout)
        .drop_begun(at)
        .drop_returned(at)
        .build()
}

pub(crate) fn three_quick_tasks(mode: Mode) -> TraceBuilder {
    let tasks = vec![sleep(10.0), sleep(20.0), sleep(30.0)];
    TraceBuilder::new(mode, TaskRuntime, Abort, 3, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 10.0)
        .ran(1, 0.0, 20.0)
        .ran(2, 0.0, 30.0)
}

pub(crate) fn task_1_before_task_0(mode: Mode) -> Trace {
    let tasks = vec![sleep(20.0), sleep(10.0)];
    TraceBuilder::new(mode, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 20.0)
        .ran(1, 0.0, 10.0)
        .pull(0.0, 10.0, item(1))
        .pull(10.0, 20.0, item(0))
        .pull(20.0, 20.0, Answer::End)
        .build()
}

/// Two hung tasks on 2 workers, T = 100 ms, the timeout seen at 153 ms; task 1 started on a
/// worker whose clock is known within `u` ms (0: the trace's own clock).
pub(crate) fn timeout_at_153_with_a_remote_start(u: f64) -> Trace {
    TraceBuilder::new(
        Unordered,
        TaskRuntime,
        Abort,
        2,
        100.0,
        vec![hang(), hang()],
    )
    .call(0.0)
    .start(0, 0.0)
    .start(1, 0.0)
    .within(u)
    .pull(0.0, 153.0, Answer::Timeout)
    .build()
}
