//! Exact traces of the simulated driver: every stamp is known in advance.

use super::*;
use overtime_harness::{Contract, OnTimeout, TimeoutClock};
use overtime_harness::{Property, VerdictKind};

const T: Duration = Duration::from_millis(100);

fn ms(m: u64) -> Stamp {
    Stamp(m * 1_000_000)
}

fn sleep(m: u64) -> TaskSpec {
    TaskSpec::Sleep {
        ms: Duration::from_millis(m),
    }
}

fn case(tasks: Vec<TaskSpec>, n_jobs: usize) -> Case {
    Case {
        name: "test".into(),
        about: String::new(),
        tasks,
        n_jobs,
        timeout: Some(T),
        consumer: Consumer::default(),
        follow_up: false,
        exercises: Vec::new(),
        absolute: false,
    }
}

fn reference(clock: TimeoutClock, on_timeout: OnTimeout) -> ReferenceExecutor {
    ReferenceExecutor::new(Contract {
        clock,
        on_timeout,
        cancels_running: true,
        ..Contract::default()
    })
}

fn events(trace: &Trace) -> Vec<(Stamp, Event)> {
    trace
        .events
        .iter()
        .map(|e| (e.at, e.event.clone()))
        .collect()
}

fn assert_conforms(run: &CaseRun) {
    let failures: Vec<String> = run
        .verdicts
        .iter()
        .filter(|(_, v)| v.verdict != VerdictKind::Pass && v.verdict != VerdictKind::NotApplicable)
        .map(|(p, v)| format!("{}: {}", p.label(), v.evidence))
        .collect();
    assert!(
        failures.is_empty(),
        "{failures:#?}\n{:#?}",
        run.trace.events
    );
}

#[test]
fn joblib_1586_unordered_sees_the_timeout_at_exactly_the_first_due_time() {
    let mut c = case(vec![TaskSpec::Hang; 3], 2);
    c.follow_up = true;
    let run = run_case(&ReferenceExecutor::default(), &c, Mode::Unordered);
    use Event::*;
    assert_eq!(
        events(&run.trace),
        vec![
            (ms(0), CallMade),
            (ms(0), CallReturned),
            (ms(0), NextAsked),
            (ms(0), TaskStarted { task: 0 }),
            (ms(0), TaskStarted { task: 1 }),
            (ms(100), Answered(Answer::Timeout)),
            (ms(100), DropBegun),
            (ms(100), DropReturned),
        ]
    );
    let follow = run.trace.follow_up.as_deref().expect("a follow-up call");
    assert_eq!(follow.tasks.len(), 4);
    assert_conforms(&run);
    assert_eq!(
        run.verdicts
            .iter()
            .find(|(p, _)| *p == Property::Reusable)
            .map(|(_, v)| v.verdict),
        Some(VerdictKind::Pass)
    );
}

#[test]
fn a_result_at_its_deadline_is_delivered_and_one_a_nanosecond_later_is_not() {
    let contract = reference(TimeoutClock::TaskRuntime, OnTimeout::Abort);
    let on_time = run_case(&contract, &case(vec![sleep(100)], 1), Mode::Ordered);
    assert!(on_time
        .trace
        .events
        .iter()
        .any(|e| e.at == ms(100) && e.event == Event::Answered(Answer::Item { task: 0 })));
    assert_eq!(on_time.timeout_seen_at(), None);
    assert_conforms(&on_time);

    let late = TaskSpec::Sleep {
        ms: T + Duration::from_nanos(1),
    };
    let late = run_case(&contract, &case(vec![late], 1), Mode::Ordered);
    assert_eq!(late.timeout_seen_at(), Some(ms(100)));
    assert_conforms(&late);
}

#[test]
fn a_cooperative_task_ends_stopped_at_the_instant_of_the_abort() {
    let c = case(vec![TaskSpec::CooperativeHang, sleep(10)], 2);
    let run = run_case(&ReferenceExecutor::default(), &c, Mode::List);
    let ended = run.trace.events.iter().find_map(|e| match e.event {
        Event::TaskEnded { task: 0, end } => Some((e.at, end)),
        _ => None,
    });
    assert_eq!(ended, Some((ms(100), TaskEnd::Stopped)));
    assert_eq!(run.timeout_seen_at(), Some(ms(100)));
    assert_conforms(&run);
}

#[test]
fn per_task_replaces_the_abandoned_worker_at_the_due_time() {
    let executor = reference(TimeoutClock::TaskRuntime, OnTimeout::PerTask);
    let run = run_case(
        &executor,
        &case(vec![TaskSpec::Hang, sleep(10)], 1),
        Mode::Ordered,
    );
    use Event::*;
    assert_eq!(
        events(&run.trace),
        vec![
            (ms(0), CallMade),
            (ms(0), CallReturned),
            (ms(0), NextAsked),
            (ms(0), TaskStarted { task: 0 }),
            (ms(100), Answered(Answer::TimedOut { task: 0 })),
            (ms(100), NextAsked),
            (ms(100), TaskStarted { task: 1 }),
            (
                ms(110),
                TaskEnded {
                    task: 1,
                    end: TaskEnd::Returned
                }
            ),
            (ms(110), Answered(Answer::Item { task: 1 })),
            (ms(110), NextAsked),
            (ms(110), Answered(Answer::End)),
            (ms(110), DropBegun),
            (ms(110), DropReturned),
        ]
    );
    assert_conforms(&run);
}

#[test]
fn list_mode_returns_from_the_call_with_every_slot() {
    let run = run_case(
        &ReferenceExecutor::default(),
        &case(vec![sleep(30), sleep(10)], 2),
        Mode::List,
    );
    let tail: Vec<(Stamp, Event)> = events(&run.trace).split_off(3);
    use Event::*;
    assert_eq!(
        tail,
        vec![
            (
                ms(10),
                TaskEnded {
                    task: 1,
                    end: TaskEnd::Returned
                }
            ),
            (
                ms(30),
                TaskEnded {
                    task: 0,
                    end: TaskEnd::Returned
                }
            ),
            (ms(30), CallReturned),
            (ms(30), Answered(Answer::Item { task: 0 })),
            (ms(30), Answered(Answer::Item { task: 1 })),
            (ms(30), Answered(Answer::End)),
        ]
    );
    assert_conforms(&run);
}

#[test]
fn a_slow_consumer_pauses_before_each_pull_after_the_first() {
    let mut c = case(vec![sleep(5), sleep(5)], 2);
    c.consumer.pause_ms = Duration::from_millis(30);
    let run = run_case(&ReferenceExecutor::default(), &c, Mode::Unordered);
    let asked: Vec<Stamp> = run
        .trace
        .events
        .iter()
        .filter(|e| e.event == Event::NextAsked)
        .map(|e| e.at)
        .collect();
    assert_eq!(asked, vec![ms(0), ms(35), ms(65)]);
    assert_conforms(&run);
}

#[test]
fn recording_stops_the_settle_time_after_the_consumer() {
    // T = 100 ms, so recording goes on for max(0.4T, 20 ms) = 40 ms after the consumer is done
    // (the runner's rule at ε = 0). The consumer drops at 10 ms; task 1 ends at 49 ms
    // (recorded), task 2 at 51 ms (not).
    let mut c = case(vec![sleep(10), sleep(49), sleep(51)], 3);
    assert_eq!(c.settle_time(Duration::ZERO), Duration::from_millis(40));
    c.consumer.drop_after = Some(1);
    let run = run_case(&ReferenceExecutor::default(), &c, Mode::Unordered);
    let last = run.trace.events.last().map(|e| (e.at, e.event.clone()));
    assert_eq!(
        last,
        Some((
            ms(49),
            Event::TaskEnded {
                task: 1,
                end: TaskEnd::Returned
            }
        ))
    );
    assert_conforms(&run);
}

/// The reference core with its timeout removed in every mode: it never times out.
struct NeverTimesOut;

impl SimExecutor for NeverTimesOut {
    type Machine = Core;

    fn simulated_profile(&self) -> Profile {
        ReferenceExecutor::default().simulated_profile()
    }

    fn start(&self, call: &CallParams) -> Core {
        let call = CallParams {
            timeout: None,
            ..*call
        };
        SimExecutor::start(&ReferenceExecutor::default(), &call)
    }
}

#[test]
fn a_call_that_can_never_answer_ends_at_the_watchdog_bound() {
    let c = case(vec![TaskSpec::Hang, sleep(20)], 2);
    let run = run_case(&NeverTimesOut, &c, Mode::Unordered);
    // The runner's bound: 20 ms of work + 3 × T + 1 s of grace.
    let bound = ms(20 + 300 + 1000);
    assert_eq!(
        run.trace.events.last().map(|e| (e.at, e.event.clone())),
        Some((bound, Event::WatchdogFired))
    );
    let (property, verdict) = run.first_failure().expect("a hang fails liveness");
    assert_eq!(*property, Property::Liveness);
    assert!(
        verdict.evidence.contains("watchdog"),
        "{}",
        verdict.evidence
    );
}

#[test]
fn the_same_case_gives_the_same_trace() {
    let mut c = case(
        vec![
            sleep(50),
            TaskSpec::Fail { ms: T },
            TaskSpec::Hang,
            sleep(100),
            sleep(0),
        ],
        2,
    );
    c.consumer.pause_ms = Duration::from_millis(7);
    for mode in Mode::ALL {
        for executor in ReferenceExecutor::all() {
            assert_eq!(
                simulate(&executor, &c, mode),
                simulate(&executor, &c, mode),
                "{mode} {}",
                executor.contract()
            );
        }
    }
}
