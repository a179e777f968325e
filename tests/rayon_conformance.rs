//! The rayon executor against the whole catalogue, for every clock it keeps (abort only) in
//! every mode, in real time at the default ε (20 ms), with the runner's watchdog; then on a
//! few generated workloads per clock.

use overtime::harness::{CaseExecutor, Mode, TimeoutClock};
use overtime_rayon::RayonExecutor;
use rstest::rstest;
use std::sync::Arc;

mod common;

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
    common::assert_conforms(Arc::new(RayonExecutor::new(clock)), mode);
}

/// Generated workloads in real time against each clock of the rayon executor, as
/// `tests/realtime_props.rs` does for the reference (ε 20 ms, few calls so CI stays fast;
/// `PROPTEST_CASES` raises the count per clock, `PROPTEST_RNG_SEED` replays a run).
mod generated {
    use super::*;
    use overtime::harness::campaign::{check, Campaign};
    use overtime::harness::strategies::Workloads;
    use overtime::harness::RunConfig;
    use std::time::Duration;

    const EPSILON: Duration = Duration::from_millis(20);

    #[test]
    fn rayon_keeps_every_property_on_generated_calls() {
        let config = RunConfig {
            epsilon: EPSILON,
            ..RunConfig::default()
        };
        for executor in RayonExecutor::all() {
            let executor: Arc<dyn CaseExecutor> = Arc::new(executor);
            let profile = executor.declared_profile();
            let strategy = Workloads::real_time(EPSILON, profile.modes.clone()).calls();
            let result = check(&Campaign::from_env(4), &profile, &strategy, |call| {
                overtime::harness::campaign::judge_real_time(
                    &executor,
                    call,
                    &config,
                    overtime::harness::campaign::Levels::All,
                )
            });
            match result {
                Ok(tally) => println!("{:<34} {tally}", profile.name),
                Err(error) => panic!("{error}"),
            }
        }
    }
}
