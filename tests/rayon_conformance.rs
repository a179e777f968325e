//! The rayon executor against the whole catalogue, for every clock it keeps (abort only) in
//! every mode, in real time at the default ε (20 ms), with the runner's watchdog; then on a
//! few generated workloads per clock.

use overtime::harness::conformance::{run_suite, SuiteOptions};
use overtime::harness::properties::{Property, VerdictKind};
use overtime::harness::{Executor, Mode, TimeoutClock};
use overtime_rayon::RayonExecutor;
use rstest::rstest;
use std::sync::Arc;

mod common;

/// Whether a property must have been exercised (judged pass) by the catalogue in this mode;
/// the others may be not applicable, but never fail.
fn must_be_exercised(property: Property, mode: Mode) -> bool {
    match property {
        Property::PartialResults | Property::CompletionOrder => mode == Mode::Unordered,
        // A List call hands everything back at once: there is no iteration to drop.
        Property::DropReturns => mode != Mode::List,
        _ => true,
    }
}

#[rstest]
fn rayon_conforms(
    #[values(Mode::List, Mode::Ordered, Mode::Unordered)] mode: Mode,
    #[values(
        TimeoutClock::TaskRuntime,
        TimeoutClock::ResultWait,
        TimeoutClock::Overall
    )]
    clock: TimeoutClock,
) {
    let executor: Arc<dyn Executor> = Arc::new(RayonExecutor::new(clock));
    let options = SuiteOptions {
        modes: vec![mode],
        ..SuiteOptions::default()
    };
    let result = run_suite(&executor, &options, |_| {});
    let mut problems = Vec::new();
    for property in Property::ALL {
        let Some(r) = result.result(mode, property) else {
            problems.push(format!("{}: no verdict", property.label()));
            continue;
        };
        match r.verdict {
            VerdictKind::Pass => {}
            VerdictKind::NotApplicable if !must_be_exercised(property, mode) => {}
            other => problems.push(format!("{}: {:?}: {}", property.label(), other, r.evidence)),
        }
    }
    assert!(
        problems.is_empty(),
        "{} in {mode} mode:\n  {}",
        result.profile.name,
        problems.join("\n  ")
    );
}

/// Generated workloads in real time against each clock of the rayon executor, as
/// `tests/realtime_props.rs` does for the reference (ε 20 ms, few calls so CI stays fast;
/// `PROPTEST_CASES` raises the count per clock, `PROPTEST_RNG_SEED` replays a run).
mod generated {
    use super::*;
    use overtime::harness::runner::RunConfig;
    use overtime::harness::strategies::{check, Campaign, Workloads};
    use std::time::Duration;

    const EPSILON: Duration = Duration::from_millis(20);

    #[test]
    fn rayon_keeps_every_property_on_generated_calls() {
        let config = RunConfig {
            epsilon: EPSILON,
            ..RunConfig::default()
        };
        for executor in RayonExecutor::all() {
            let executor: Arc<dyn Executor> = Arc::new(executor);
            let profile = executor.profile();
            let strategy = Workloads::real_time(EPSILON, profile.modes.clone()).calls();
            let result = check(&Campaign::from_env(4), &profile, &strategy, |call| {
                crate::common::judge_threaded(&executor, call, &config)
            });
            match result {
                Ok(tally) => println!("{:<34} {tally}", profile.name),
                Err(error) => panic!("{error}"),
            }
        }
    }
}
