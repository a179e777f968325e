//! The checker on hand-written traces: for every property P01..P12, a trace that must fail it
//! (with evidence naming the numbers), a trace that must pass it, and the cases the checker
//! declares not applicable.
//!
//! Traces are written as scenarios with [`TraceBuilder`]; stamps are given in milliseconds.
//! Unless a test says otherwise, ε is 50 ms.

use overtime_harness::model::{CallShape, Contract, Mode, OnTimeout, TimeoutClock};
use overtime_harness::properties::{judge, judge_property, Property, Verdict, VerdictKind};
use overtime_harness::task::TaskSpec;
use overtime_harness::trace::{Answer, Consumer, Event, Stamp, Stamped, TaskEnd, Trace};
use std::collections::HashSet;
use std::time::Duration;

use Mode::{List, Ordered, Unordered};
use OnTimeout::{Abort, PerTask};
use TimeoutClock::{Overall, ResultWait, TaskRuntime};

// ---------------------------------------------------------------------------------------------
// Trace building
// ---------------------------------------------------------------------------------------------

/// A stamp `ms` milliseconds after the trace's origin.
fn ms(ms: f64) -> Stamp {
    Stamp((ms * 1e6).round() as u64)
}

fn dur(ms: f64) -> Duration {
    Duration::from_nanos((ms * 1e6).round() as u64)
}

fn sleep(ms: f64) -> TaskSpec {
    TaskSpec::Sleep { ms: dur(ms) }
}

fn fail_after(ms: f64) -> TaskSpec {
    TaskSpec::Fail { ms: dur(ms) }
}

fn hang() -> TaskSpec {
    TaskSpec::Hang
}

fn coop_hang() -> TaskSpec {
    TaskSpec::CooperativeHang
}

fn item(task: usize) -> Answer {
    Answer::Item { task }
}

fn timed_out(task: usize) -> Answer {
    Answer::TimedOut { task }
}

fn task_failed(task: usize) -> Answer {
    Answer::TaskFailed { task }
}

/// Builds a [`Trace`] event by event, in the order a recorder would stamp them.
struct TraceBuilder {
    trace: Trace,
}

impl TraceBuilder {
    fn new(
        mode: Mode,
        clock: TimeoutClock,
        on_timeout: OnTimeout,
        n_jobs: usize,
        timeout_ms: f64,
        tasks: Vec<TaskSpec>,
    ) -> TraceBuilder {
        TraceBuilder {
            trace: Trace {
                shape: CallShape {
                    n_tasks: tasks.len(),
                    n_jobs,
                    timeout: Some(dur(timeout_ms)),
                    mode,
                },
                contract: Contract {
                    clock,
                    on_timeout,
                    cancels_running: false,
                },
                tasks,
                consumer: Consumer::default(),
                events: Vec::new(),
                follow_up: None,
            },
        }
    }

    /// The call is made without a timeout.
    fn without_timeout(mut self) -> Self {
        self.trace.shape.timeout = None;
        self
    }

    /// The executor declares that it asks running tasks to stop on abort.
    fn cancels_running(mut self) -> Self {
        self.trace.contract.cancels_running = true;
        self
    }

    fn event(mut self, at_ms: f64, event: Event) -> Self {
        self.trace.events.push(Stamped {
            at: ms(at_ms),
            event,
        });
        self
    }

    fn call(self, at: f64) -> Self {
        self.event(at, Event::CallMade)
    }

    fn returned(self, at: f64) -> Self {
        self.event(at, Event::CallReturned)
    }

    fn start(self, task: usize, at: f64) -> Self {
        self.event(at, Event::TaskStarted { task })
    }

    fn end(self, task: usize, at: f64, end: TaskEnd) -> Self {
        self.event(at, Event::TaskEnded { task, end })
    }

    /// A task that ran from `from` to `to` and returned.
    fn ran(self, task: usize, from: f64, to: f64) -> Self {
        self.start(task, from).end(task, to, TaskEnd::Returned)
    }

    fn ask(self, at: f64) -> Self {
        self.event(at, Event::NextAsked)
    }

    fn answer(self, at: f64, answer: Answer) -> Self {
        self.event(at, Event::Answered(answer))
    }

    /// One pull: asked at `asked`, answered at `answered`.
    fn pull(self, asked: f64, answered: f64, answer: Answer) -> Self {
        self.ask(asked).answer(answered, answer)
    }

    fn drop_begun(self, at: f64) -> Self {
        self.event(at, Event::DropBegun)
    }

    fn drop_returned(self, at: f64) -> Self {
        self.event(at, Event::DropReturned)
    }

    fn watchdog(self, at: f64) -> Self {
        self.event(at, Event::WatchdogFired)
    }

    fn follow_up(mut self, next: Trace) -> Self {
        self.trace.follow_up = Some(Box::new(next));
        self
    }

    /// The trace, its events in stamp order (stable, as [`overtime_harness::Recorder`] gives them).
    fn build(mut self) -> Trace {
        self.trace.events.sort_by_key(|e| e.at);
        self.trace
    }
}

// ---------------------------------------------------------------------------------------------
// Judging
// ---------------------------------------------------------------------------------------------

const EPS: f64 = 50.0;

fn check(trace: &Trace, eps_ms: f64, property: Property) -> Verdict {
    judge_property(trace, dur(eps_ms), property)
}

trait Expect {
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

// ---------------------------------------------------------------------------------------------
// The vocabulary: stamps, property IDs, judge
// ---------------------------------------------------------------------------------------------

#[test]
fn stamps_print_as_reports_print_them() {
    assert_eq!(ms(203.1).to_string(), "203.1 ms");
    assert_eq!(ms(0.5).to_string(), "0.5 ms");
    assert_eq!(ms(1500.0).to_string(), "1.50 s");
    assert_eq!(ms(100.0).to_string(), "100 ms");
    assert_eq!(ms(0.0).to_string(), "0 ms");
}

#[test]
fn property_ids_are_unique_and_numbered_in_order() {
    let ids: Vec<&str> = Property::ALL.iter().map(|p| p.id()).collect();
    let expected: Vec<String> = (1..=12).map(|n| format!("P{n:02}")).collect();
    assert_eq!(ids, expected);
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 12);
    let names: HashSet<&str> = Property::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(names.len(), 12);
}

#[test]
fn property_parse_accepts_id_and_name() {
    for p in Property::ALL {
        assert_eq!(Property::parse(p.id()), Some(p));
        assert_eq!(Property::parse(&p.id().to_lowercase()), Some(p));
        assert_eq!(Property::parse(p.name()), Some(p));
        assert_eq!(p.label(), format!("{} {}", p.id(), p.name()));
        assert_eq!(p.to_string(), p.label());
    }
    assert_eq!(Property::parse("P01"), Some(Property::Liveness));
    assert_eq!(Property::parse("p07"), Some(Property::ErrorPropagation));
    assert_eq!(
        Property::parse("cancel_running"),
        Some(Property::CancelRunning)
    );
    assert_eq!(Property::parse("P13"), None);
    assert_eq!(Property::parse("P00"), None);
    assert_eq!(Property::parse(""), None);
    assert_eq!(Property::parse("Liveness"), None, "names are exact");
    assert_eq!(Property::parse("P01 liveness"), None);
}

#[test]
fn judge_returns_all_twelve_properties_in_order() {
    let trace = joblib_1586();
    let verdicts = judge(&trace, dur(EPS));
    let properties: Vec<Property> = verdicts.iter().map(|(p, _)| *p).collect();
    assert_eq!(properties, Property::ALL.to_vec());
    for (p, v) in &verdicts {
        assert_eq!(
            *v,
            check(&trace, EPS, *p),
            "{p}: judge and judge_property disagree"
        );
    }
    assert!(verdicts[0].1.is_fail(), "joblib #1586 fails P01");
}

// ---------------------------------------------------------------------------------------------
// P01 liveness
// ---------------------------------------------------------------------------------------------

/// joblib #1586: 3 hung tasks on 2 workers, a 100 ms timeout per task, and the consumer's
/// first pull never returns: the watchdog ends the case at 1.5 s.
fn joblib_1586() -> Trace {
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
fn hung_pair_timeout_seen_at(at: f64) -> Trace {
    let tasks = vec![hang(), hang()];
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .pull(0.0, at, Answer::Timeout)
        .build()
}

#[test]
fn p01_joblib_1586_hung_pull_fails() {
    check(&joblib_1586(), EPS, Property::Liveness).fails_with(&[
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
    check(&hung_pair_timeout_seen_at(170.0), EPS, Property::Liveness).fails_with(&[
        "due 100 ms",
        "by 150 ms",
        "ε 50 ms",
        "at 170 ms",
        "70 ms late",
    ]);
}

#[test]
fn p01_timeout_seen_in_time_passes() {
    let v = check(&hung_pair_timeout_seen_at(100.1), EPS, Property::Liveness);
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
    check(&trace, EPS, Property::Liveness).fails_with(&[
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
    check(&trace(item(1)), EPS, Property::Liveness).fails_with(&[
        "due 100 ms",
        "task 1 completed at 160 ms",
        "delivered at 200 ms instead of the timeout",
    ]);
    check(&trace(Answer::Timeout), EPS, Property::Liveness).passes();
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
    check(&ordered_result_wait(None), EPS, Property::Liveness).fails_with(&[
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
        Property::Liveness,
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
    check(&trace, EPS, Property::Liveness).passes();
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
    check(&trace(300.0), EPS, Property::Liveness).fails_with(&[
        "task 0 started at 0 ms",
        "due 100 ms",
        "by 150 ms",
        "timed-out marker at 300 ms",
    ]);
    check(&trace(110.0), EPS, Property::Liveness).passes();
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
    check(&trace, EPS, Property::Liveness).is_not_applicable();
}

// ---------------------------------------------------------------------------------------------
// P02 no_premature
// ---------------------------------------------------------------------------------------------

fn hung_task_timeout_at(at: f64) -> Trace {
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, at, Answer::Timeout)
        .build()
}

#[test]
fn p02_timeout_before_due_fails() {
    check(&hung_task_timeout_at(30.0), 10.0, Property::NoPremature).fails_with(&[
        "raised at 30 ms",
        "70 ms before",
        "due 100 ms",
        "ε 10 ms",
    ]);
}

#[test]
fn p02_timeout_within_epsilon_of_due_passes() {
    check(&hung_task_timeout_at(95.0), 10.0, Property::NoPremature).passes();
    check(&hung_task_timeout_at(100.0), 0.0, Property::NoPremature).passes();
}

#[test]
fn p02_timeout_when_no_task_overran_fails() {
    let tasks = vec![sleep(20.0), sleep(30.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 20.0)
        .ran(1, 0.0, 30.0)
        .pull(0.0, 40.0, Answer::Timeout)
        .build();
    check(&trace, EPS, Property::NoPremature).fails_with(&[
        "raised at 40 ms",
        "no timeout was due",
        "100 ms",
    ]);
}

#[test]
fn p02_ordered_result_wait_timeout_on_the_task_clock_fails() {
    // Task 1 started at 0 ms, and an executor timing the task (not the wait) fires at 130 ms;
    // but the consumer paused and asked for slot 1 only at 120 ms, so the wait is due at 220 ms.
    let trace = |at: f64| {
        let tasks = vec![sleep(10.0), hang()];
        TraceBuilder::new(Ordered, ResultWait, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 10.0)
            .start(1, 0.0)
            .pull(0.0, 10.0, item(0))
            .pull(120.0, at, Answer::Timeout)
            .build()
    };
    check(&trace(130.0), EPS, Property::NoPremature).fails_with(&[
        "raised at 130 ms",
        "90 ms before",
        "asked for slot 1 at 120 ms",
        "due 220 ms",
    ]);
    check(&trace(221.0), EPS, Property::NoPremature).passes();
}

#[test]
fn p02_per_task_marker_for_a_task_that_completed_in_time_fails() {
    let tasks = vec![sleep(20.0), sleep(30.0)];
    let trace = TraceBuilder::new(Ordered, TaskRuntime, PerTask, 2, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 20.0)
        .ran(1, 0.0, 30.0)
        .pull(0.0, 100.0, timed_out(0))
        .pull(100.0, 100.0, item(1))
        .pull(100.0, 100.0, Answer::End)
        .build();
    check(&trace, EPS, Property::NoPremature).fails_with(&[
        "task 0's timed-out marker was delivered at 100 ms",
        "never overran",
        "ended (returned) at 20 ms",
    ]);
}

#[test]
fn p02_per_task_marker_early_fails_and_in_time_passes() {
    let trace = |marker_at: f64| {
        let tasks = vec![hang(), sleep(20.0)];
        TraceBuilder::new(Unordered, TaskRuntime, PerTask, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .ran(1, 0.0, 20.0)
            .pull(0.0, 20.0, item(1))
            .pull(20.0, marker_at, timed_out(0))
            .pull(marker_at, marker_at, Answer::End)
            .build()
    };
    check(&trace(40.0), EPS, Property::NoPremature)
        .fails_with(&["delivered at 40 ms", "60 ms before it was due at 100 ms"]);
    check(&trace(101.0), EPS, Property::NoPremature).passes();
}

#[test]
fn p02_contract_mismatches_fail() {
    // A timeout error under per_task.
    let trace = TraceBuilder::new(Unordered, TaskRuntime, PerTask, 1, 100.0, vec![hang()])
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, 100.0, Answer::Timeout)
        .build();
    check(&trace, EPS, Property::NoPremature).fails_with(&["at 100 ms", "per_task"]);
    // A marker under abort.
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, 100.0, timed_out(0))
        .build();
    check(&trace, EPS, Property::NoPremature).fails_with(&["at 100 ms", "abort"]);
    // A timeout in a call without one.
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
        .without_timeout()
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, 100.0, Answer::Timeout)
        .build();
    check(&trace, EPS, Property::NoPremature).fails_with(&["at 100 ms", "no timeout"]);
}

#[test]
fn p02_timeout_on_time_after_a_failure_is_not_premature() {
    // Task 1 fails at 20 ms; task 0 hangs and its timeout is due at 100 ms. The executor
    // misses the failure and raises the timeout at exactly 100 ms. That is P07's failure (the
    // error was due by 70 ms); the timeout itself was not premature, and "every started task
    // completed within 100 ms" is false: task 0 never completed.
    let tasks = vec![hang(), fail_after(20.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .end(1, 20.0, TaskEnd::Failed)
        .pull(0.0, 100.0, Answer::Timeout)
        .build();
    check(&trace, EPS, Property::ErrorPropagation).fails_with(&[
        "task 1 failed at 20 ms",
        "by 70 ms",
        "the timeout at 100 ms",
    ]);
    check(&trace, EPS, Property::NoPremature).passes();
}

/// The runner's shape of a lazy call: the consumer drops the stream right after its terminal
/// answer. Task 0 hangs; its timeout is due at 100 ms.
fn hung_task_timeout_then_drop_at(at: f64) -> Trace {
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, at, Answer::Timeout)
        .drop_begun(at)
        .drop_returned(at)
        .build()
}

#[test]
fn p02_runner_shaped_premature_timeout_names_its_due_time() {
    // As p02_timeout_before_due_fails, with the drop the runner records after every stream.
    check(
        &hung_task_timeout_then_drop_at(30.0),
        10.0,
        Property::NoPremature,
    )
    .fails_with(&["raised at 30 ms", "70 ms before", "due 100 ms"]);
}

#[test]
fn p02_runner_shaped_timeout_within_epsilon_before_due_passes() {
    // 95 ms is within ε 10 ms of the due time 100 ms: allowed, drop or no drop.
    check(
        &hung_task_timeout_then_drop_at(95.0),
        10.0,
        Property::NoPremature,
    )
    .passes();
    check(
        &hung_task_timeout_then_drop_at(95.0),
        10.0,
        Property::Liveness,
    )
    .passes();
}

// ---------------------------------------------------------------------------------------------
// P03 partial_results
// ---------------------------------------------------------------------------------------------

/// Unordered + Abort: task 1 completes at 10 ms, task 0 hangs; the timeout is due at 100 ms.
fn partial(mode: Mode, deliver_task_1_first: bool) -> Trace {
    let tasks = vec![hang(), sleep(10.0)];
    let b = TraceBuilder::new(mode, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .ran(1, 0.0, 10.0);
    let b = if deliver_task_1_first {
        b.pull(0.0, 10.0, item(1))
            .pull(10.0, 100.0, Answer::Timeout)
    } else {
        b.pull(0.0, 100.0, Answer::Timeout)
    };
    b.build()
}

#[test]
fn p03_timeout_without_the_completed_result_fails() {
    check(&partial(Unordered, false), EPS, Property::PartialResults).fails_with(&[
        "task 1 completed at 10 ms",
        "due at 100 ms",
        "ε 50 ms",
        "raised at 100 ms",
    ]);
}

#[test]
fn p03_completed_result_delivered_before_timeout_passes() {
    check(&partial(Unordered, true), EPS, Property::PartialResults).passes();
}

#[test]
fn p03_not_applicable() {
    // Ordered mode.
    check(&partial(Ordered, false), EPS, Property::PartialResults).is_not_applicable();
    // PerTask.
    let trace = TraceBuilder::new(Unordered, TaskRuntime, PerTask, 1, 100.0, vec![hang()])
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, 100.0, timed_out(0))
        .pull(100.0, 100.0, Answer::End)
        .build();
    check(&trace, EPS, Property::PartialResults).is_not_applicable();
    // The iteration did not end with a timeout.
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![sleep(10.0)])
        .call(0.0)
        .ran(0, 0.0, 10.0)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 10.0, Answer::End)
        .build();
    check(&trace, EPS, Property::PartialResults).is_not_applicable();
}

#[test]
fn p03_runner_shaped_timeout_just_before_due_without_the_completed_result_fails() {
    // ε 10 ms: the timeout raised at 95 ms (within ε of D = 100 ms, so not premature) and the
    // stream dropped right after, as the runner does; task 1's result, ready since 10 ms, was
    // never delivered.
    let tasks = vec![hang(), sleep(10.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .ran(1, 0.0, 10.0)
        .pull(0.0, 95.0, Answer::Timeout)
        .drop_begun(95.0)
        .drop_returned(95.0)
        .build();
    check(&trace, 10.0, Property::PartialResults).fails_with(&[
        "task 1 completed at 10 ms",
        "due at 100 ms",
        "raised at 95 ms",
    ]);
}

// ---------------------------------------------------------------------------------------------
// P04 exactly_once
// ---------------------------------------------------------------------------------------------

fn three_quick_tasks(mode: Mode) -> TraceBuilder {
    let tasks = vec![sleep(10.0), sleep(20.0), sleep(30.0)];
    TraceBuilder::new(mode, TaskRuntime, Abort, 3, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 10.0)
        .ran(1, 0.0, 20.0)
        .ran(2, 0.0, 30.0)
}

#[test]
fn p04_result_delivered_twice_fails() {
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 20.0, item(1))
        .pull(20.0, 30.0, item(2))
        .pull(30.0, 31.0, item(2))
        .pull(31.0, 32.0, Answer::End)
        .build();
    check(&trace, EPS, Property::ExactlyOnce).fails_with(&["task 2", "twice", "30 ms", "31 ms"]);
}

#[test]
fn p04_normal_end_with_a_task_missing_fails() {
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 30.0, item(2))
        .pull(30.0, 30.5, Answer::End)
        .build();
    check(&trace, EPS, Property::ExactlyOnce)
        .fails_with(&["ended normally at 30.5 ms", "task(s) 1"]);
}

#[test]
fn p04_every_result_once_passes() {
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 20.0, item(1))
        .pull(20.0, 30.0, item(2))
        .pull(30.0, 30.0, Answer::End)
        .build();
    check(&trace, EPS, Property::ExactlyOnce).passes();
}

#[test]
fn p04_stream_that_never_ends_without_timeout_or_error_fails() {
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 20.0, item(1))
        .pull(20.0, 30.0, item(2))
        .ask(30.0)
        .watchdog(1500.0)
        .build();
    check(&trace, EPS, Property::ExactlyOnce).fails_with(&["3 of 3", "asked at 30 ms", "hung"]);
}

#[test]
fn p04_result_of_a_task_that_never_returned_fails() {
    // Task 1 hangs, yet its "result" is delivered at 40 ms.
    let tasks = vec![sleep(10.0), hang()];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 10.0)
        .start(1, 0.0)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 40.0, item(1))
        .build();
    check(&trace, EPS, Property::ExactlyOnce).fails_with(&["task 1", "at 40 ms", "never ended"]);
}

/// PerTask, n_jobs 1: task 0 hangs and is timed out at 100 ms, but the executor never starts
/// task 1 (its only worker is still stuck in the abandoned task) and the watchdog ends the
/// case at 1.5 s.
fn per_task_starved(mode: Mode) -> Trace {
    let tasks = vec![hang(), sleep(10.0)];
    let b = TraceBuilder::new(mode, TaskRuntime, PerTask, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0);
    let b = match mode {
        List => b,
        _ => b.pull(0.0, 100.0, timed_out(0)).ask(100.0),
    };
    b.watchdog(1500.0).build()
}

#[test]
fn per_task_starved_queue_that_hangs_fails_some_property() {
    for mode in Mode::ALL {
        let trace = per_task_starved(mode);
        let verdicts = judge(&trace, dur(EPS));
        assert!(
            verdicts.iter().any(|(_, v)| v.is_fail()),
            "{mode}: the watchdog ended the case (hung), yet no property fails: {verdicts:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// P05 order
// ---------------------------------------------------------------------------------------------

fn task_1_before_task_0(mode: Mode) -> Trace {
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

#[test]
fn p05_ordered_out_of_input_order_fails() {
    check(&task_1_before_task_0(Ordered), EPS, Property::Order).fails_with(&[
        "ordered mode",
        "task 1's result at 10 ms",
        "position 0",
        "task 0 belongs",
    ]);
}

#[test]
fn p05_unordered_out_of_input_order_passes() {
    check(&task_1_before_task_0(Unordered), EPS, Property::Order).passes();
}

#[test]
fn p05_list_keeps_input_order() {
    let trace = |first: usize, second: usize| {
        let tasks = vec![sleep(20.0), sleep(10.0)];
        TraceBuilder::new(List, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 20.0)
            .ran(1, 0.0, 10.0)
            .answer(20.0, item(first))
            .answer(20.0, item(second))
            .returned(20.0)
            .build()
    };
    check(&trace(0, 1), EPS, Property::Order).passes();
    check(&trace(1, 0), EPS, Property::Order).fails_with(&["list mode", "position 0"]);
}

#[test]
fn p05_a_task_not_of_this_call_fails() {
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 12.0, item(9))
        .build();
    check(&trace, EPS, Property::Order).fails_with(&["task 9", "at 12 ms", "3 tasks"]);
    check(&trace, EPS, Property::ExactlyOnce).fails_with(&["task 9", "only 3 tasks"]);
}

// ---------------------------------------------------------------------------------------------
// P06 completion_order
// ---------------------------------------------------------------------------------------------

fn delivered_in(order: [usize; 2], task_0_ends: f64) -> Trace {
    let tasks = vec![sleep(task_0_ends), sleep(10.0)];
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, task_0_ends)
        .ran(1, 0.0, 10.0)
        .pull(0.0, task_0_ends, item(order[0]))
        .pull(task_0_ends, task_0_ends, item(order[1]))
        .pull(task_0_ends, task_0_ends, Answer::End)
        .build()
}

#[test]
fn p06_later_completion_delivered_first_fails() {
    check(&delivered_in([0, 1], 50.0), 5.0, Property::CompletionOrder).fails_with(&[
        "task 1 completed at 10 ms",
        "after task 0",
        "completed at 50 ms",
        "ε 5 ms",
    ]);
}

#[test]
fn p06_completion_order_passes_and_tolerates_epsilon() {
    check(&delivered_in([1, 0], 50.0), 5.0, Property::CompletionOrder).passes();
    // Task 0 completed 2 ms after task 1: within ε 5 ms, either order is fine.
    check(&delivered_in([0, 1], 12.0), 5.0, Property::CompletionOrder).passes();
}

#[test]
fn p06_not_applicable_outside_unordered() {
    check(
        &task_1_before_task_0(Ordered),
        5.0,
        Property::CompletionOrder,
    )
    .is_not_applicable();
}

// ---------------------------------------------------------------------------------------------
// P07 error_propagation
// ---------------------------------------------------------------------------------------------

/// Unordered + Abort, T = 1000 ms: task 0 sleeps 500 ms, task 1 fails at 20 ms.
fn task_1_fails_at_20() -> TraceBuilder {
    let tasks = vec![sleep(500.0), fail_after(20.0)];
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .end(1, 20.0, TaskEnd::Failed)
}

#[test]
fn p07_error_seen_late_fails() {
    let trace = task_1_fails_at_20()
        .pull(0.0, 300.0, task_failed(1))
        .build();
    check(&trace, EPS, Property::ErrorPropagation).fails_with(&[
        "task 1 failed at 20 ms",
        "by 70 ms",
        "ε 50 ms",
        "at 300 ms",
        "280 ms late",
    ]);
}

#[test]
fn p07_error_in_time_passes() {
    let trace = task_1_fails_at_20().pull(0.0, 21.0, task_failed(1)).build();
    let v = check(&trace, EPS, Property::ErrorPropagation);
    v.passes();
    assert!(v.evidence.contains("21 ms"), "{}", v.evidence);
}

#[test]
fn p07_error_naming_a_task_that_did_not_fail_fails() {
    let tasks = vec![sleep(10.0), fail_after(20.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 10.0)
        .start(1, 0.0)
        .end(1, 20.0, TaskEnd::Failed)
        .pull(0.0, 21.0, task_failed(0))
        .build();
    check(&trace, EPS, Property::ErrorPropagation).fails_with(&[
        "error at 21 ms names task 0",
        "had not failed",
        "returned) at 10 ms",
    ]);
}

#[test]
fn p07_failure_then_normal_end_fails() {
    let tasks = vec![sleep(10.0), fail_after(20.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 10.0)
        .start(1, 0.0)
        .end(1, 20.0, TaskEnd::Failed)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 30.0, Answer::End)
        .build();
    check(&trace, EPS, Property::ErrorPropagation)
        .fails_with(&["task 1 failed at 20 ms", "ended normally at 30 ms"]);
}

#[test]
fn p07_executor_error_fails() {
    let trace = task_1_fails_at_20()
        .pull(
            0.0,
            25.0,
            Answer::ExecutorError {
                message: "pool broken".into(),
            },
        )
        .build();
    check(&trace, EPS, Property::ErrorPropagation).fails_with(&["at 25 ms", "pool broken"]);
}

#[test]
fn p07_timeout_due_before_the_failure_is_a_correct_answer() {
    // T = 10 ms: task 0 is due at 10 ms, before task 1 fails at 20 ms; the timeout at 40 ms is
    // within ε of 10 ms, and the failure need not surface.
    let tasks = vec![hang(), fail_after(20.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 10.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .end(1, 20.0, TaskEnd::Failed)
        .pull(0.0, 40.0, Answer::Timeout)
        .build();
    check(&trace, EPS, Property::ErrorPropagation).passes();
}

#[test]
fn p07_timeout_not_due_raised_instead_of_the_error_fails() {
    // Task 1 fails at 20 ms; the timeout (T = 100 ms, task 0 hung) is not due until 100 ms.
    // The consumer gets a timeout instead of task 1's error: at 120 ms that fails P07 (the
    // error was due by 70 ms); at 30 ms it must fail too: arriving early does not make a
    // timeout that was never due an answer to the failure.
    let trace = |at: f64| {
        let tasks = vec![hang(), fail_after(20.0)];
        TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
            .call(0.0)
            .start(0, 0.0)
            .start(1, 0.0)
            .end(1, 20.0, TaskEnd::Failed)
            .pull(0.0, at, Answer::Timeout)
            .build()
    };
    check(&trace(120.0), EPS, Property::ErrorPropagation).fails_with(&[
        "task 1 failed at 20 ms",
        "by 70 ms",
        "the timeout at 120 ms",
    ]);
    check(&trace(30.0), EPS, Property::ErrorPropagation)
        .fails_with(&["task 1 failed at 20 ms", "30 ms"]);
}

#[test]
fn p07_not_applicable_when_no_task_failed() {
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 20.0, item(1))
        .pull(20.0, 30.0, item(2))
        .pull(30.0, 30.0, Answer::End)
        .build();
    check(&trace, EPS, Property::ErrorPropagation).is_not_applicable();
}

// ---------------------------------------------------------------------------------------------
// P08 abort_stops_dispatch
// ---------------------------------------------------------------------------------------------

/// 3 hung tasks on 3 workers, T = 100 ms: the abort is due at 100 ms; task 3 starts at `at`.
fn task_3_started_at(at: Option<f64>) -> Trace {
    let tasks = vec![hang(), hang(), hang(), sleep(10.0)];
    let b = TraceBuilder::new(Unordered, TaskRuntime, Abort, 3, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .start(2, 0.0)
        .pull(0.0, 100.0, Answer::Timeout);
    match at {
        Some(at) => b.ran(3, at, at + 10.0).build(),
        None => b.build(),
    }
}

#[test]
fn p08_task_started_after_abort_fails() {
    check(
        &task_3_started_at(Some(250.0)),
        EPS,
        Property::AbortStopsDispatch,
    )
    .fails_with(&[
        "task 3 started at 250 ms",
        "150 ms after",
        "abort at 100 ms",
        "ε 50 ms",
    ]);
}

#[test]
fn p08_no_start_after_abort_passes() {
    check(&task_3_started_at(None), EPS, Property::AbortStopsDispatch).passes();
    // A start within ε of the abort is tolerated.
    check(
        &task_3_started_at(Some(140.0)),
        EPS,
        Property::AbortStopsDispatch,
    )
    .passes();
}

#[test]
fn p08_task_started_after_drop_fails() {
    let tasks = vec![sleep(10.0), sleep(10.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 1000.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 10.0)
        .pull(0.0, 10.0, item(0))
        .drop_begun(11.0)
        .drop_returned(12.0)
        .ran(1, 200.0, 210.0)
        .build();
    check(&trace, EPS, Property::AbortStopsDispatch)
        .fails_with(&["task 1 started at 200 ms", "drop at 11 ms"]);
}

#[test]
fn p08_not_applicable_when_neither_aborted_nor_dropped() {
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 20.0, item(1))
        .pull(20.0, 30.0, item(2))
        .pull(30.0, 30.0, Answer::End)
        .build();
    check(&trace, EPS, Property::AbortStopsDispatch).is_not_applicable();
}

// ---------------------------------------------------------------------------------------------
// P09 bounded_concurrency
// ---------------------------------------------------------------------------------------------

#[test]
fn p09_three_tasks_running_on_two_jobs_fails() {
    let tasks = vec![sleep(50.0), sleep(50.0), sleep(50.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 50.0)
        .ran(1, 10.0, 60.0)
        .ran(2, 20.0, 70.0)
        .build();
    check(&trace, EPS, Property::BoundedConcurrency).fails_with(&[
        "at 20 ms",
        "3 tasks were running",
        "tasks 0, 1, 2",
        "n_jobs 2",
    ]);
}

#[test]
fn p09_a_worker_reused_at_the_instant_it_frees_passes() {
    let tasks = vec![sleep(50.0), sleep(50.0), sleep(50.0)];
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 50.0)
        .ran(1, 10.0, 60.0)
        .ran(2, 50.0, 100.0)
        .build();
    check(&trace, EPS, Property::BoundedConcurrency).passes();
}

/// PerTask, n_jobs 1: task 0 hangs and is abandoned at its due time 100 ms; task 1 then runs.
fn per_task_replacement(task_1_starts: f64) -> Trace {
    let tasks = vec![hang(), sleep(10.0)];
    TraceBuilder::new(Ordered, TaskRuntime, PerTask, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, 100.0, timed_out(0))
        .ran(1, task_1_starts, task_1_starts + 10.0)
        .pull(100.0, 110.0, item(1))
        .pull(110.0, 110.0, Answer::End)
        .build()
}

#[test]
fn p09_per_task_abandoned_task_does_not_count_passes() {
    check(
        &per_task_replacement(100.0),
        EPS,
        Property::BoundedConcurrency,
    )
    .passes();
}

#[test]
fn p09_per_task_replacement_before_the_abandon_fails() {
    check(
        &per_task_replacement(50.0),
        EPS,
        Property::BoundedConcurrency,
    )
    .fails_with(&["at 50 ms", "2 tasks were running", "n_jobs 1"]);
}

#[test]
fn p09_zero_duration_task_does_not_stay_running() {
    // Simulated time (ε = 0): a `sleep 0` task starts and ends at the same instant. It must not
    // be counted as running afterwards.
    let tasks = vec![sleep(0.0), sleep(10.0)];
    let trace = TraceBuilder::new(Ordered, TaskRuntime, Abort, 1, 100.0, tasks)
        .call(0.0)
        .ran(0, 5.0, 5.0)
        .ran(1, 10.0, 20.0)
        .pull(0.0, 5.0, item(0))
        .pull(5.0, 20.0, item(1))
        .pull(20.0, 20.0, Answer::End)
        .build();
    check(&trace, 0.0, Property::BoundedConcurrency).passes();
}

// ---------------------------------------------------------------------------------------------
// P10 drop_returns
// ---------------------------------------------------------------------------------------------

/// The consumer takes one result and drops the iteration at 10 ms while task 1 hangs.
fn dropped_at_10() -> TraceBuilder {
    let tasks = vec![sleep(5.0), hang()];
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 5.0)
        .start(1, 0.0)
        .pull(0.0, 5.0, item(0))
        .drop_begun(10.0)
}

#[test]
fn p10_slow_drop_fails() {
    let trace = dropped_at_10().drop_returned(500.0).build();
    check(&trace, EPS, Property::DropReturns).fails_with(&[
        "began at 10 ms",
        "returned at 500 ms",
        "490 ms later",
        "ε 50 ms",
    ]);
}

#[test]
fn p10_drop_that_never_returns_fails() {
    let trace = dropped_at_10().watchdog(1500.0).build();
    check(&trace, EPS, Property::DropReturns).fails_with(&["began at 10 ms", "1.50 s", "hung"]);
}

#[test]
fn p10_quick_drop_passes() {
    let trace = dropped_at_10().drop_returned(10.5).build();
    let v = check(&trace, EPS, Property::DropReturns);
    v.passes();
    assert!(v.evidence.contains("0.5 ms"), "{}", v.evidence);
}

#[test]
fn p10_not_applicable_without_drop() {
    let trace = hung_pair_timeout_seen_at(100.0);
    check(&trace, EPS, Property::DropReturns).is_not_applicable();
}

// ---------------------------------------------------------------------------------------------
// P11 reusable
// ---------------------------------------------------------------------------------------------

/// A follow-up call of 4 fast tasks that delivers `delivered`, then ends normally.
fn follow_up_delivering(delivered: &[usize]) -> Trace {
    let mut b = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, vec![sleep(1.0); 4])
        .call(0.0)
        .ran(0, 0.0, 1.0)
        .ran(1, 0.0, 1.0)
        .ran(2, 1.0, 2.0)
        .ran(3, 1.0, 2.0);
    let mut at = 1.0;
    for &task in delivered {
        b = b.pull(at, at + 0.5, item(task));
        at += 0.5;
    }
    b.pull(at, at + 0.5, Answer::End).build()
}

#[test]
fn p11_follow_up_missing_a_result_fails() {
    let trace = hung_pair_timeout_seen_at(100.0);
    let trace = TraceBuilder { trace }
        .follow_up(follow_up_delivering(&[0, 1, 2]))
        .build();
    check(&trace, EPS, Property::Reusable).fails_with(&[
        "follow-up call of 4",
        "ended at 3 ms",
        "end of the stream",
        "[0, 1, 2]",
    ]);
}

#[test]
fn p11_full_follow_up_passes() {
    let trace = hung_pair_timeout_seen_at(100.0);
    let trace = TraceBuilder { trace }
        .follow_up(follow_up_delivering(&[1, 0, 3, 2]))
        .build();
    check(&trace, EPS, Property::Reusable).passes();
}

#[test]
fn p11_follow_up_that_hangs_fails() {
    let next = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, vec![sleep(1.0); 4])
        .call(0.0)
        .ask(0.0)
        .watchdog(1500.0)
        .build();
    let trace = TraceBuilder {
        trace: hung_pair_timeout_seen_at(100.0),
    }
    .follow_up(next)
    .build();
    check(&trace, EPS, Property::Reusable).fails_with(&["never ended", "0 results"]);
}

#[test]
fn p11_not_applicable() {
    // The first call did not time out.
    let trace = three_quick_tasks(Unordered)
        .pull(0.0, 10.0, item(0))
        .pull(10.0, 20.0, item(1))
        .pull(20.0, 30.0, item(2))
        .pull(30.0, 30.0, Answer::End)
        .follow_up(follow_up_delivering(&[0, 1, 2]))
        .build();
    check(&trace, EPS, Property::Reusable).is_not_applicable();
    // No follow-up call.
    check(&hung_pair_timeout_seen_at(100.0), EPS, Property::Reusable).is_not_applicable();
}

// ---------------------------------------------------------------------------------------------
// P12 cancel_running
// ---------------------------------------------------------------------------------------------

/// A cooperative hung task (and a plain hung one) running when the abort is due at 100 ms;
/// the cooperative one ends as given.
fn cooperative_at_abort(end_at: f64, end: TaskEnd) -> TraceBuilder {
    let tasks = vec![coop_hang(), hang()];
    TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 0.0)
        .pull(0.0, 100.0, Answer::Timeout)
        .end(0, end_at, end)
}

#[test]
fn p12_cooperative_task_only_released_at_teardown_fails() {
    let trace = cooperative_at_abort(900.0, TaskEnd::Released)
        .cancels_running()
        .build();
    check(&trace, EPS, Property::CancelRunning).fails_with(&[
        "task 0 (cooperative)",
        "abort at 100 ms",
        "by 150 ms",
        "ε 50 ms",
        "released at 900 ms",
    ]);
}

#[test]
fn p12_cooperative_task_stopped_too_late_fails() {
    let trace = cooperative_at_abort(400.0, TaskEnd::Stopped)
        .cancels_running()
        .build();
    check(&trace, EPS, Property::CancelRunning).fails_with(&["by 150 ms", "stopped at 400 ms"]);
}

#[test]
fn p12_cooperative_task_stopped_in_time_passes() {
    let trace = cooperative_at_abort(101.0, TaskEnd::Stopped)
        .cancels_running()
        .build();
    check(&trace, EPS, Property::CancelRunning).passes();
}

#[test]
fn p12_stopped_at_the_abort_instant_in_simulated_time_passes() {
    // ε = 0: the stop request is seen at D itself, so the task ends Stopped at exactly 100 ms.
    // It was running at the abort and stopped within ε: a pass, not "no task was running".
    let trace = cooperative_at_abort(100.0, TaskEnd::Stopped)
        .cancels_running()
        .build();
    check(&trace, 0.0, Property::CancelRunning).passes();
}

#[test]
fn p12_not_applicable() {
    // The executor does not declare that it stops running tasks.
    let trace = cooperative_at_abort(900.0, TaskEnd::Released).build();
    check(&trace, EPS, Property::CancelRunning).is_not_applicable();
    // No cooperative task was running at the abort.
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 1, 100.0, vec![hang()])
        .cancels_running()
        .call(0.0)
        .start(0, 0.0)
        .pull(0.0, 100.0, Answer::Timeout)
        .build();
    check(&trace, EPS, Property::CancelRunning).is_not_applicable();
}

// ---------------------------------------------------------------------------------------------
// Clocks other than TaskRuntime
// ---------------------------------------------------------------------------------------------

#[test]
fn overall_clock_due_from_the_call() {
    // Overall T = 100 ms from the call at 5 ms: due at 105 ms although task 1 started at 60 ms.
    let trace = |at: f64| {
        let tasks = vec![sleep(60.0), hang()];
        TraceBuilder::new(Unordered, Overall, Abort, 1, 100.0, tasks)
            .call(5.0)
            .ran(0, 5.0, 60.0)
            .start(1, 60.0)
            .pull(5.0, 60.0, item(0))
            .pull(60.0, at, Answer::Timeout)
            .build()
    };
    check(&trace(110.0), EPS, Property::Liveness).passes();
    check(&trace(110.0), EPS, Property::NoPremature).passes();
    check(&trace(200.0), EPS, Property::Liveness).fails_with(&["due 105 ms", "by 155 ms"]);
}

// ---------------------------------------------------------------------------------------------
// Regressions found by generated workloads in simulated time (specs/regressions/)
// ---------------------------------------------------------------------------------------------

#[test]
fn p09_two_zero_length_tasks_on_one_worker_at_one_instant_pass() {
    // specs/regressions/zero-length-tasks.toml: start 0, end 0, start 1, end 1, all at 0 ms.
    let tasks = vec![sleep(0.0), sleep(0.0)];
    let trace = TraceBuilder::new(List, TaskRuntime, Abort, 1, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 0.0)
        .ran(1, 0.0, 0.0)
        .returned(0.0)
        .answer(0.0, item(0))
        .answer(0.0, item(1))
        .answer(0.0, Answer::End)
        .build();
    check(&trace, 0.0, Property::BoundedConcurrency).passes();
    // ...while a second task genuinely overlapping the first still fails.
    let tasks = vec![sleep(0.0), sleep(5.0), sleep(5.0)];
    let overlapping = TraceBuilder::new(List, TaskRuntime, Abort, 1, 100.0, tasks)
        .call(0.0)
        .ran(0, 0.0, 0.0)
        .ran(1, 0.0, 5.0)
        .ran(2, 1.0, 6.0)
        .build();
    check(&overlapping, 0.0, Property::BoundedConcurrency).fails_with(&["at 1 ms", "n_jobs 1"]);
}

#[test]
fn p02_a_task_started_by_the_replacement_at_the_due_time_does_not_satisfy_the_wait() {
    // specs/regressions/zero-length-task-at-a-due-time.toml: result_wait/per_task, unordered,
    // one worker; task 0 hangs, the wait asked at 0 is due at 100, task 0 is marked, and the
    // replacement worker runs task 1 (zero length) at 100.
    let tasks = vec![hang(), sleep(0.0)];
    let trace = TraceBuilder::new(Unordered, ResultWait, PerTask, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .ran(1, 100.0, 100.0)
        .pull(0.0, 100.0, Answer::TimedOut { task: 0 })
        .pull(100.0, 100.0, item(1))
        .pull(100.0, 100.0, Answer::End)
        .build();
    check(&trace, 0.0, Property::NoPremature).passes();
    check(&trace, 0.0, Property::BoundedConcurrency).passes();
}

#[test]
fn p07_the_failure_of_a_task_already_timed_out_is_moot_under_per_task() {
    // specs/regressions/timed-out-task-fails-later.toml: overall/per_task, ordered; task 0 is
    // marked at 100 and fails at 101, after its slot was settled.
    let tasks = vec![TaskSpec::Fail {
        ms: Duration::from_millis(101),
    }];
    let trace = TraceBuilder::new(Ordered, Overall, PerTask, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .end(0, 101.0, TaskEnd::Failed)
        .pull(0.0, 100.0, Answer::TimedOut { task: 0 })
        .pull(110.0, 110.0, Answer::End)
        .build();
    check(&trace, 0.0, Property::ErrorPropagation).is_not_applicable();
    check(&trace, 0.0, Property::AbortStopsDispatch).passes();
    // Under Abort the same failure is the call's (nothing was abandoned).
    let tasks = vec![TaskSpec::Fail {
        ms: Duration::from_millis(20),
    }];
    let aborting = TraceBuilder::new(Ordered, Overall, Abort, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .end(0, 20.0, TaskEnd::Failed)
        .pull(0.0, 30.0, Answer::End)
        .build();
    check(&aborting, 0.0, Property::ErrorPropagation).fails_with(&["failed at 20 ms", "30 ms"]);
}

#[test]
fn p09_a_task_running_at_its_due_time_is_abandoned_even_if_its_marker_never_came() {
    // specs/regressions/list-fails-after-a-timeout.toml: task_runtime/per_task, list, one
    // worker; task 0 overruns (abandoned at 100), the replacement runs task 1, which fails, so
    // the list answers with that failure and task 0's marker is never delivered.
    let tasks = vec![
        sleep(101.0),
        TaskSpec::Fail {
            ms: Duration::from_millis(1),
        },
    ];
    let trace = TraceBuilder::new(List, TaskRuntime, PerTask, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .start(1, 100.0)
        .end(0, 101.0, TaskEnd::Returned)
        .end(1, 101.0, TaskEnd::Failed)
        .returned(101.0)
        .answer(101.0, Answer::TaskFailed { task: 1 })
        .build();
    check(&trace, 0.0, Property::BoundedConcurrency).passes();
    check(&trace, 0.0, Property::ErrorPropagation).passes();
    // Started before task 0's due time, task 1 is one worker too many.
    let tasks = vec![sleep(101.0), sleep(1.0)];
    let early = TraceBuilder::new(List, TaskRuntime, PerTask, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .ran(1, 99.0, 100.0)
        .build();
    check(&early, 0.0, Property::BoundedConcurrency).fails_with(&["at 99 ms", "n_jobs 1"]);
}
