//! The checker as a whole on hand-written traces: the table, `judge`, and traces judged on
//! several properties at once.

use super::facts::{Facts, Tolerance};
use super::test_support::*;
use super::verdict::Verdict;
use super::{judge, judge_property, Property};
use std::collections::HashSet;

fn check(trace: &Trace, eps_ms: f64, property: Property) -> Verdict {
    judge_property(trace, dur(eps_ms), property)
}

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
    // Contiguous stable IDs P01, P02, … in table order, and one name each.
    let ids: Vec<&str> = Property::ALL.iter().map(|p| p.id()).collect();
    let expected: Vec<String> = (1..=Property::ALL.len())
        .map(|n| format!("P{n:02}"))
        .collect();
    assert_eq!(ids, expected);
    let names: HashSet<&str> = Property::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(names.len(), Property::ALL.len());
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
    assert_eq!(Property::parse("P99"), None);
    assert_eq!(Property::parse("P00"), None);
    assert_eq!(Property::parse(""), None);
    assert_eq!(Property::parse("Liveness"), None, "names are exact");
    assert_eq!(Property::parse("P01 liveness"), None);
}

#[test]
fn judge_returns_every_property_in_order() {
    let trace = joblib_1586();
    let verdicts = judge(&trace, dur(EPS)).verdicts;
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
        let verdicts = judge(&trace, dur(EPS)).verdicts;
        assert!(
            verdicts.iter().any(|(_, v)| v.is_fail()),
            "{mode}: the watchdog ended the case (hung), yet no property fails: {verdicts:#?}"
        );
    }
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

#[test]
fn the_table_is_in_id_order_and_names_are_unique() {
    for p in Property::ALL {
        assert!(p.id().len() == 3 && p.id().starts_with('P'), "{}", p.id());
        assert_eq!(Property::parse(p.id()), Some(p));
        assert_eq!(Property::parse(&p.id().to_lowercase()), Some(p));
        assert_eq!(Property::parse(p.name()), Some(p));
        assert!(!p.summary().is_empty());
    }
    let mut names: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Property::ALL.len());
    assert_eq!(Property::parse("P99"), None);
}

#[test]
fn serde_writes_the_name_and_reads_name_or_id() {
    let json = serde_json::to_string(&Property::AbortStopsDispatch).unwrap_or_default();
    assert_eq!(json, "\"abort_stops_dispatch\"");
    let back: Vec<Property> = serde_json::from_str(r#"["P08", "liveness"]"#).unwrap_or_default();
    assert_eq!(back, [Property::AbortStopsDispatch, Property::Liveness]);
    let err = serde_json::from_str::<Property>(r#""P99""#).expect_err("unknown");
    assert!(err.to_string().contains("unknown property"), "{err}");
}

/// overall/abort, unordered, T = 100 ms: task 0 hangs; the consumer asks first at 300 ms and
/// gets the timeout at `at`.
fn overall_with_a_late_first_pull(anchor: DeadlineAnchor, at: f64) -> Trace {
    TraceBuilder::new(Unordered, Overall, Abort, 1, 100.0, vec![hang()])
        .deadline_anchor(anchor)
        .call(0.0)
        .start(0, 0.0)
        .pull(300.0, at, Answer::Timeout)
        .build()
}

#[test]
fn the_overall_deadline_starts_where_the_contract_anchors_it() {
    // Anchored at the first pull, the timeout is due at 400 ms: raised at 405 ms it is on
    // time, at 310 ms it is premature.
    let first_pull = DeadlineAnchor::FirstPull;
    check(
        &overall_with_a_late_first_pull(first_pull, 405.0),
        EPS,
        Property::Liveness,
    )
    .passes();
    check(
        &overall_with_a_late_first_pull(first_pull, 405.0),
        EPS,
        Property::NoPremature,
    )
    .passes();
    check(
        &overall_with_a_late_first_pull(first_pull, 310.0),
        EPS,
        Property::NoPremature,
    )
    .fails_with(&[
        "raised at 310 ms",
        "90 ms before",
        "overall timeout 100 ms from the first pull at 300 ms, due 400 ms",
    ]);
    // Anchored at the call, it was due at 100 ms: the pull asked at 300 ms owed it at once.
    let call = DeadlineAnchor::Call;
    check(
        &overall_with_a_late_first_pull(call, 310.0),
        EPS,
        Property::Liveness,
    )
    .passes();
    check(
        &overall_with_a_late_first_pull(call, 405.0),
        EPS,
        Property::Liveness,
    )
    .fails_with(&[
        "overall timeout 100 ms from the call at 0 ms, due 100 ms",
        "should have seen it by 350 ms",
        "at 405 ms",
    ]);
}

#[test]
fn a_killed_task_ended_without_completing() {
    // Killed at 50 ms: it ended (P09 stops counting it) but never completed, so its timeout
    // is still owed (the task overran) and a result of it is not its own.
    let tasks = vec![hang(), sleep(10.0)];
    let trace = TraceBuilder::new(Ordered, TaskRuntime, Abort, 1, 100.0, tasks)
        .call(0.0)
        .start(0, 0.0)
        .end(0, 50.0, TaskEnd::Killed)
        .ran(1, 50.0, 60.0)
        .pull(0.0, 60.0, item(0))
        .build();
    check(&trace, EPS, Property::BoundedConcurrency).passes();
    check(&trace, EPS, Property::ExactlyOnce).fails_with(&[
        "task 0's result was delivered at 60 ms",
        "ended (killed: its worker was killed) at 50 ms",
    ]);
}

// Clock uncertainty (facts.rs: the tolerance of a trace whose stamps come from several clocks).

#[test]
fn the_tolerance_is_epsilon_plus_the_two_largest_uncertainties() {
    let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 3, 100.0, vec![hang(); 3])
        .call(0.0)
        .start(0, 0.0)
        .within(1.0)
        .start(1, 0.0)
        .within(4.0)
        .start(2, 0.0)
        .within(2.0)
        .build();
    let t = Tolerance::of(&trace, dur(50.0));
    assert_eq!(t.clock_uncertainty, dur(6.0));
    assert_eq!(t.total(), dur(56.0));
    assert_eq!(t.to_string(), "50 ms + 6 ms clock uncertainty");
    // One uncertain stamp against stamps on the trace's own clock: its uncertainty alone.
    let t = Tolerance::of(&timeout_at_153_with_a_remote_start(3.0), dur(50.0));
    assert_eq!(t.total(), dur(53.0));
}

#[test]
fn without_uncertain_stamps_the_tolerance_is_exactly_epsilon() {
    let trace = timeout_at_153_with_a_remote_start(0.0);
    let f = Facts::of(&trace, dur(50.0));
    assert_eq!(f.epsilon, dur(50.0));
    assert_eq!(f.tolerance.to_string(), "50 ms");
}

#[test]
fn an_uncertainty_survives_the_trace_s_json() {
    let trace = timeout_at_153_with_a_remote_start(4.0);
    let json = serde_json::to_string(&trace).unwrap_or_default();
    assert!(json.contains(r#""uncertainty_ns":4000000"#), "{json}");
    // On the trace's own clock nothing is written: existing traces serialize as before.
    let plain = serde_json::to_string(&timeout_at_153_with_a_remote_start(0.0)).unwrap_or_default();
    assert!(!plain.contains("uncertainty"), "{plain}");
    let back: Trace = serde_json::from_str(&json).expect("a trace reads back");
    assert_eq!(back, trace);
}
