//! Killed tasks, end to end: `adapters/python/killing_pool_adapter.py` is a process pool that
//! stops a task by killing its worker, refills the freed slot and raises the timeout, and on
//! an abort kills every worker still running (it declares `cancels_running`). Its adapter sees
//! each worker die and reports the tasks running in it `killed` (protocol version 2).
//!
//! - With killed reporting it passes P09 bounded_concurrency and P12 cancel_running.
//! - The same pool without it (`--no-killed-reporting`, what a version-1 adapter could report)
//!   fails P09 — the killed task seems to run on beside its replacement — and P12.
//!
//! Needs `python3` on PATH (CPython 3.9 or later on Linux, standard library only). Real time at
//! the external defaults, ε = 250 ms and the catalogue at T = 500 ms.

use overtime::harness::catalogue::catalogue_with;
use overtime::harness::{
    judge, run_case, Case, CaseExecutor, CaseRun, Event, Mode, Property, RunConfig, Stamp, TaskEnd,
    Verdict, VerdictKind,
};
use overtime::process::{ProcessExecutor, ProcessOptions};
use std::sync::Arc;
use std::time::Duration;

const EPSILON: Duration = Duration::from_millis(250);
const T: Duration = Duration::from_millis(500);

fn config() -> RunConfig {
    RunConfig {
        epsilon: EPSILON,
        grace: Duration::from_secs(1),
        max_retries: 2,
    }
}

fn pool(report_killed: bool) -> Arc<dyn CaseExecutor> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/adapters/python/killing_pool_adapter.py"
    );
    let mut argv = vec!["python3".to_string(), script.to_string()];
    if !report_killed {
        argv.push("--no-killed-reporting".into());
    }
    match ProcessExecutor::with_options(argv, ProcessOptions::default()) {
        Ok(e) => Arc::new(e),
        Err(e) => panic!("the killing pool's adapter should start (python3 on PATH?): {e}"),
    }
}

fn case(name: &str) -> Case {
    catalogue_with(T)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("the catalogue has {name}"))
}

/// The verdict on `property`, judged on the trace (a run the loaded machine made
/// inconclusive is still judged: its trace is what the pool did).
fn verdict(run: &CaseRun, property: Property) -> Verdict {
    judge(&run.trace, EPSILON)
        .verdicts
        .into_iter()
        .find(|(p, _)| *p == property)
        .map(|(_, v)| v)
        .expect("every property has a verdict")
}

/// When task `task` started and how and when it ended.
fn story(run: &CaseRun, task: usize) -> (Option<Stamp>, Option<(Stamp, TaskEnd)>) {
    let mut started = None;
    let mut ended = None;
    for e in &run.trace.events {
        match e.event {
            Event::TaskStarted { task: t } if t == task => started = Some(e.at),
            Event::TaskEnded { task: t, end } if t == task => ended = Some((e.at, end)),
            _ => {}
        }
    }
    (started, ended)
}

#[test]
fn a_pool_that_kills_its_workers_passes_bounded_concurrency_and_cancel_running() {
    let executor = pool(true);
    for mode in Mode::ALL {
        // Three hung tasks on two workers: task 0's worker is killed at its deadline and
        // task 2 starts in the freed slot before the timeout is raised.
        let run = run_case(&executor, &case("joblib-1586"), mode, &config());
        let p09 = verdict(&run, Property::BoundedConcurrency);
        assert_eq!(p09.verdict, VerdictKind::Pass, "{mode}: {}", p09.evidence);
        let (_, killed) = story(&run, 0);
        let (refill, _) = story(&run, 2);
        let Some((killed_at, TaskEnd::Killed)) = killed else {
            panic!("{mode}: task 0 should end killed: {:?}", run.trace.events);
        };
        println!(
            "{mode}: task 0 killed (seen) at {killed_at}, task 2 started in its slot at {}",
            refill.map_or("never".to_string(), |s| s.to_string())
        );
        // Two cooperative tasks hang: on the abort the pool kills their workers.
        let run = run_case(&executor, &case("cooperative-cancel"), mode, &config());
        let p12 = verdict(&run, Property::CancelRunning);
        assert_eq!(p12.verdict, VerdictKind::Pass, "{mode}: {}", p12.evidence);
        let p09 = verdict(&run, Property::BoundedConcurrency);
        assert_eq!(p09.verdict, VerdictKind::Pass, "{mode}: {}", p09.evidence);
    }
}

#[test]
fn the_same_pool_without_killed_reporting_fails_bounded_concurrency() {
    let executor = pool(false);
    let run = run_case(&executor, &case("joblib-1586"), Mode::Ordered, &config());
    let p09 = verdict(&run, Property::BoundedConcurrency);
    assert!(
        p09.is_fail()
            && p09
                .evidence
                .contains("3 tasks were running (tasks 0, 1, 2) with n_jobs 2"),
        "{}",
        p09.evidence
    );
    println!("without killed reporting: P09 fails: {}", p09.evidence);
    let run = run_case(
        &executor,
        &case("cooperative-cancel"),
        Mode::Ordered,
        &config(),
    );
    let p12 = verdict(&run, Property::CancelRunning);
    assert!(
        p12.is_fail() && p12.evidence.contains("had not been stopped"),
        "{}",
        p12.evidence
    );
    println!("without killed reporting: P12 fails: {}", p12.evidence);
}
