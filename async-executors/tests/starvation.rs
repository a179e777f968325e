//! The trap the progress property exists for: `buffer_unordered(2)` over four 50 ms sleeps,
//! each under a 100 ms `tokio::time::timeout`, with a consumer busy 120 ms after each item.
//! The started tasks are starved, and P15 progress fails — in paused time exactly, and in real
//! time at ε 20 ms — whatever P01 says of the timeouts (a starved task whose timer and body
//! both fired before the next poll comes back as a late result, which P01 judges).

use overtime_async::idioms::BufferedTimeout;
use overtime_async::AsyncReference;
use overtime_harness::asynchronous::{paused, RealTime};
use overtime_harness::{
    run_case, Case, CaseExecutor, Consumer, Mode, Property, RunConfig, TaskSpec, VerdictKind,
};
use std::sync::Arc;
use std::time::Duration;

fn busy_consumer_case() -> Case {
    Case {
        name: "buffer-unordered-starvation".into(),
        about: "four 50 ms sleeps, T 100 ms, n_jobs 2, a consumer busy 120 ms after each item"
            .into(),
        tasks: vec![
            TaskSpec::Sleep {
                ms: Duration::from_millis(50)
            };
            4
        ],
        n_jobs: 2,
        timeout: Some(Duration::from_millis(100)),
        consumer: Consumer {
            pause_ms: Duration::from_millis(120),
            ..Consumer::default()
        },
        follow_up: false,
        absolute: false,
        exercises: vec![Property::Progress],
    }
}

fn verdict(run: &overtime_harness::CaseRun, property: Property) -> VerdictKind {
    run.verdict(property).expect("judged").verdict
}

#[test]
fn buffer_unordered_starvation_is_caught_by_progress_in_paused_time() {
    let case = busy_consumer_case();
    let run = paused::run_case(&Arc::new(BufferedTimeout), &case, Mode::Unordered)
        .expect("no blocking bodies");
    let progress = run.verdict(Property::Progress).expect("judged");
    assert!(progress.is_fail(), "{}", progress.evidence);
    // Tasks 0 and 1 end at 50 ms, but the stream hands over task 0 and is not polled again
    // until the consumer's next pull at 170 ms: task 1's body, finished on the timer at 50 ms,
    // is only polled to its end then.
    assert!(
        progress
            .evidence
            .contains("task 1 (sleep 50 ms) started at 0 ms"),
        "{}",
        progress.evidence
    );
    assert!(
        progress.evidence.contains("ended (returned) at 170 ms"),
        "{}",
        progress.evidence
    );
    println!(
        "P01: {}",
        run.verdict(Property::Liveness).expect("judged").evidence
    );
}

#[test]
fn buffer_unordered_starvation_is_caught_by_progress_in_real_time() {
    let case = busy_consumer_case();
    let executor: Arc<dyn CaseExecutor> = Arc::new(RealTime::new(BufferedTimeout));
    let run = run_case(&executor, &case, Mode::Unordered, &RunConfig::default());
    let progress = run.verdict(Property::Progress).expect("judged");
    assert!(progress.is_fail(), "{}", progress.evidence);
}

#[test]
fn the_async_reference_does_not_starve_the_same_workload() {
    let case = busy_consumer_case();
    let run = paused::run_case(&Arc::new(AsyncReference::default()), &case, Mode::Unordered)
        .expect("no blocking bodies");
    assert_eq!(verdict(&run, Property::Progress), VerdictKind::Pass);
    let executor: Arc<dyn CaseExecutor> = Arc::new(RealTime::new(AsyncReference::default()));
    let run = run_case(&executor, &case, Mode::Unordered, &RunConfig::default());
    assert_ne!(verdict(&run, Property::Progress), VerdictKind::Fail);
}
