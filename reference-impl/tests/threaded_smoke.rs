//! End-to-end smoke tests of the reference executor on real threads, with the harness's own
//! instrumented tasks. Timing is never asserted beyond a generous watchdog: a case that hangs
//! fails instead of blocking the test run.

use overtime_harness::{
    Call, CallError, Contract, Event, Executor, Gate, Mode, OnTimeout, Outcome, Recorder, Slot,
    SlotResult, Task, TaskEnd, TaskSpec, TimeoutClock,
};
use overtime_reference::ReferenceExecutor;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(30);

/// Runs `case` on its own thread; panics if it has not returned within [`WATCHDOG`].
fn within_watchdog<T: Send + 'static>(case: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        // The receiver is gone only if the watchdog already fired.
        let _ = tx.send(case());
    });
    rx.recv_timeout(WATCHDOG)
        .expect("watchdog: the case did not return")
}

/// One case's instruments; opens the gate when dropped, so hung tasks always return.
struct Case {
    recorder: Recorder,
    gate: Gate,
}

impl Case {
    fn new() -> Case {
        Case {
            recorder: Recorder::new(),
            gate: Gate::new(),
        }
    }

    fn call(
        &self,
        specs: &[TaskSpec],
        n_jobs: usize,
        timeout: Option<Duration>,
        mode: Mode,
    ) -> Call {
        let tasks = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| Task::new(i, spec.clone(), self.recorder.clone(), self.gate.clone()))
            .collect();
        Call {
            tasks,
            n_jobs,
            timeout,
            mode,
        }
    }

    /// The tasks that started, by index (two workers start at the same time, so the order
    /// of their stamps is the scheduler's).
    fn started(&self) -> Vec<usize> {
        let mut started: Vec<usize> = self
            .recorder
            .events()
            .iter()
            .filter_map(|e| match e.event {
                Event::TaskStarted { task } => Some(task),
                _ => None,
            })
            .collect();
        started.sort_unstable();
        started
    }

    /// Blocks until task `task` ended as `end` (polling the trace: test code, not the driver).
    fn wait_for_end(&self, task: usize, end: TaskEnd) {
        loop {
            let seen = self
                .recorder
                .events()
                .iter()
                .any(|e| e.event == Event::TaskEnded { task, end });
            if seen {
                return;
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        self.gate.open();
    }
}

fn stream(outcome: Outcome) -> Box<dyn Iterator<Item = SlotResult>> {
    match outcome {
        Outcome::Stream(stream) => stream,
        Outcome::List(_) => panic!("a lazy mode answered as a list"),
    }
}

fn sleep(ms: u64) -> TaskSpec {
    TaskSpec::Sleep {
        ms: Duration::from_millis(ms),
    }
}

fn contract(clock: TimeoutClock, on_timeout: OnTimeout) -> Contract {
    Contract {
        clock,
        on_timeout,
        cancels_running: true,
        ..Contract::default()
    }
}

#[test]
fn joblib_1586_unordered_raises_the_timeout_and_drop_returns() {
    within_watchdog(|| {
        let case = Case::new();
        let executor = ReferenceExecutor::default();
        let call = case.call(
            &[TaskSpec::Hang, TaskSpec::Hang, TaskSpec::Hang],
            2,
            Some(Duration::from_millis(100)),
            Mode::Unordered,
        );
        let mut results = stream(executor.run(call));
        match results.next() {
            Some(Err(CallError::Timeout { .. })) => {}
            other => panic!("expected the timeout, got {other:?}"),
        }
        assert!(results.next().is_none(), "the stream ends after its error");
        drop(results);
        assert_eq!(
            case.started(),
            vec![0, 1],
            "2 jobs; the third task never starts"
        );

        // Reusable: the next call on the same executor is served.
        let call = case.call(
            &[sleep(1), sleep(1)],
            2,
            Some(Duration::from_secs(10)),
            Mode::List,
        );
        match executor.run(call) {
            Outcome::List(Ok(slots)) => assert_eq!(slots.len(), 2),
            other => panic!("expected both results, got {other:?}"),
        }
    });
}

#[test]
fn dropping_a_stream_with_hung_tasks_returns() {
    within_watchdog(|| {
        let case = Case::new();
        let call = case.call(&[TaskSpec::Hang, TaskSpec::Hang], 2, None, Mode::Ordered);
        let results = stream(ReferenceExecutor::default().run(call));
        drop(results);
    });
}

#[test]
fn without_timeout_every_result_comes_in_input_order() {
    within_watchdog(|| {
        let case = Case::new();
        let specs = [sleep(8), sleep(1), sleep(4), sleep(1), sleep(2)];
        let executor = ReferenceExecutor::default();

        let ordered: Vec<Slot> = stream(executor.run(case.call(&specs, 2, None, Mode::Ordered)))
            .collect::<Result<_, _>>()
            .expect("no error without a timeout");
        let tasks: Vec<usize> = ordered.iter().map(Slot::task).collect();
        assert_eq!(tasks, [0, 1, 2, 3, 4]);
        assert!(ordered.iter().all(|s| matches!(s, Slot::Item(_))));

        match executor.run(case.call(&specs, 2, None, Mode::List)) {
            Outcome::List(Ok(slots)) => {
                assert_eq!(
                    slots.iter().map(Slot::task).collect::<Vec<_>>(),
                    [0, 1, 2, 3, 4]
                )
            }
            other => panic!("expected every result, got {other:?}"),
        }

        let mut unordered: Vec<usize> =
            stream(executor.run(case.call(&specs, 2, None, Mode::Unordered)))
                .map(|s| s.expect("no error without a timeout").task())
                .collect();
        unordered.sort_unstable();
        assert_eq!(unordered, [0, 1, 2, 3, 4], "every result exactly once");
    });
}

#[test]
fn list_batches_deliver_every_result_and_stop_at_a_failure() {
    within_watchdog(|| {
        let case = Case::new();
        let executor = ReferenceExecutor::default();
        // Enough tasks for batches (no timeout, List): 1,000 × 0 ms.
        let specs = vec![sleep(0); 1_000];
        match executor.run(case.call(&specs, 2, None, Mode::List)) {
            Outcome::List(Ok(slots)) => {
                let tasks: Vec<usize> = slots.iter().map(Slot::task).collect();
                assert_eq!(tasks, (0..1_000).collect::<Vec<_>>());
            }
            other => panic!("expected every result, got {other:?}"),
        }

        // Task 10 fails inside the first worker's batch (tasks 0..250): that worker runs none
        // of the rest of its batch. (How far the other worker's batch got depends on timing;
        // the loom model `failure_against_a_batch` checks it stops at the abort.)
        let case = Case::new();
        let mut specs = vec![sleep(1); 1_000];
        specs[10] = TaskSpec::Fail {
            ms: Duration::from_millis(1),
        };
        match executor.run(case.call(&specs, 2, None, Mode::List)) {
            Outcome::List(Err(CallError::TaskFailed { task: 10, .. })) => {}
            other => panic!("expected task 10's failure, got {other:?}"),
        }
        let started = case.started();
        assert!(started.contains(&10), "{started:?}");
        assert!(
            !started.iter().any(|&t| (11..250).contains(&t)),
            "{started:?}"
        );
    });
}

#[test]
fn per_task_marks_the_hung_task_and_a_replacement_runs_the_rest() {
    within_watchdog(|| {
        let case = Case::new();
        let executor =
            ReferenceExecutor::new(contract(TimeoutClock::TaskRuntime, OnTimeout::PerTask));
        let call = case.call(
            &[TaskSpec::Hang, sleep(1)],
            1,
            Some(Duration::from_millis(50)),
            Mode::Ordered,
        );
        let slots: Vec<SlotResult> = stream(executor.run(call)).collect();
        assert_eq!(slots.len(), 2, "{slots:?}");
        assert_eq!(slots[0], Ok(Slot::TimedOut { task: 0 }));
        assert!(
            matches!(slots[1], Ok(Slot::Item(o)) if o.task == 1),
            "{slots:?}"
        );
    });
}

#[test]
fn a_failing_task_is_named_in_the_error() {
    within_watchdog(|| {
        let case = Case::new();
        let fail = TaskSpec::Fail {
            ms: Duration::from_millis(1),
        };
        let call = case.call(&[sleep(1), fail, TaskSpec::Hang], 3, None, Mode::List);
        match ReferenceExecutor::default().run(call) {
            Outcome::List(Err(CallError::TaskFailed { task: 1, .. })) => {}
            other => panic!("expected task 1's failure, got {other:?}"),
        }
    });
}

#[test]
fn running_tasks_are_asked_to_stop_on_abort_even_when_nobody_pulls() {
    within_watchdog(|| {
        let case = Case::new();
        let call = case.call(
            &[TaskSpec::CooperativeHang],
            1,
            Some(Duration::from_millis(20)),
            Mode::Ordered,
        );
        // The consumer never pulls: the timekeeper alone must fire the deadline.
        let results = stream(ReferenceExecutor::default().run(call));
        case.wait_for_end(0, TaskEnd::Stopped);
        drop(results);
    });
}
