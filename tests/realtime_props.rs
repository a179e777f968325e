//! Generated workloads in real time, against the threaded reference executor: millisecond
//! durations on a grid of q = 4ε with T = 10ε (so an ideal completion keeps 2ε from every due
//! time), ε = 20 ms stated here, the runner's watchdog, and few calls so CI stays fast.
//! `PROPTEST_CASES` raises the count per contract; `PROPTEST_RNG_SEED` replays a run. Runs the
//! harness itself was late for, and runs with a completion within ε of a due time, are
//! counted as skipped, not judged.
//!
//! Also: the executor that ignores the deadline in unordered mode is caught in real time too,
//! and shrunk.

use overtime::harness::campaign::{check, judge_real_time, Campaign, CampaignError, Levels};
use overtime::harness::strategies::Workloads;
use overtime::harness::RunConfig;
use overtime::harness::{Call, CaseExecutor, Executor, Mode, Outcome, Profile, Property};
use overtime::reference::ReferenceExecutor;
use std::sync::Arc;
use std::time::Duration;

mod common;

/// The tolerance of these runs (T = 200 ms, durations 0, 80, …, 560 ms).
const EPSILON: Duration = Duration::from_millis(20);

/// Calls per contract: six contracts, so 24 calls.
const CALLS_PER_CONTRACT: u32 = 4;

fn config() -> RunConfig {
    RunConfig {
        epsilon: EPSILON,
        ..RunConfig::default()
    }
}

#[test]
fn the_threaded_reference_keeps_every_property_on_generated_calls() {
    for executor in ReferenceExecutor::all() {
        let executor: Arc<dyn CaseExecutor> = Arc::new(executor);
        let profile = executor.declared_profile();
        let strategy = Workloads::real_time(EPSILON, profile.modes.clone()).calls();
        let result = check(
            &Campaign::from_env(CALLS_PER_CONTRACT),
            &profile,
            &strategy,
            |call| {
                overtime::harness::campaign::judge_real_time(
                    &executor,
                    call,
                    &config(),
                    overtime::harness::campaign::Levels::All,
                )
            },
        );
        match result {
            Ok(tally) => println!("{:<34} {tally}", profile.name),
            Err(error) => panic!("{error}"),
        }
    }
}

/// The threaded reference with no timeout in unordered mode: joblib #1586 in real time.
struct IgnoresUnorderedDeadline(ReferenceExecutor);

impl Executor for IgnoresUnorderedDeadline {
    fn profile(&self) -> Profile {
        Profile {
            name: "ignores-unordered-deadline".into(),
            ..self.0.profile()
        }
    }

    fn run(&self, mut call: Call) -> Outcome {
        if call.mode == Mode::Unordered {
            call.timeout = None;
        }
        self.0.run(call)
    }
}

#[test]
fn an_executor_ignoring_the_unordered_deadline_is_caught_in_real_time() {
    let executor: Arc<dyn CaseExecutor> =
        Arc::new(IgnoresUnorderedDeadline(ReferenceExecutor::default()));
    let profile = executor.declared_profile();
    let strategy = Workloads::real_time(EPSILON, vec![Mode::Unordered]).calls();
    // A hung case costs its watchdog bound; the reference never needs the grace, so keep it
    // short here.
    let config = RunConfig {
        grace: Duration::from_millis(100),
        ..config()
    };
    let campaign = Campaign::from_env(20).with_shrink_time(Duration::from_secs(60));
    let result = check(&campaign, &profile, &strategy, |call| {
        judge_real_time(&executor, call, &config, Levels::Must)
    });
    let found = match result {
        Err(CampaignError::Found(found)) => found,
        other => panic!("the defect was not caught: {other:?}"),
    };
    println!("{found}");
    assert_eq!(found.property, Property::Liveness, "{found}");
    assert!(
        found.call.case.tasks.len() <= 3,
        "not shrunk enough:\n{found}"
    );
}
