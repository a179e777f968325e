//! Detection power for async executors: every async mutant is caught by a MUST property in
//! the default configuration (the catalogue at ε 20 ms in real time), and the one paused time
//! can run is caught there too.

use overtime_async::matrix;
use overtime_async::mutants::{AsyncMutant, AsyncMutantExecutor};
use overtime_harness::catalogue::CATALOGUE_TIMEOUT;
use overtime_harness::DEFAULT_EPSILON;

#[test]
fn every_async_mutant_is_caught_in_real_time() {
    for mutant in AsyncMutant::ALL {
        let result = matrix::real_time(
            AsyncMutantExecutor::new(mutant),
            DEFAULT_EPSILON,
            CATALOGUE_TIMEOUT,
        );
        let caught = matrix::must_failures(&result);
        println!("{}: caught by {}", mutant.name(), caught.join("; "));
        assert!(
            !caught.is_empty(),
            "async mutant {} ({}) was not caught",
            mutant.name(),
            mutant.about()
        );
    }
}

#[test]
fn the_mutants_paused_time_can_run_are_caught_there() {
    let mut ran = 0;
    for mutant in AsyncMutant::ALL
        .into_iter()
        .filter(|m| m.runs_in_paused_time())
    {
        ran += 1;
        let result = matrix::paused(AsyncMutantExecutor::new(mutant), CATALOGUE_TIMEOUT);
        assert!(
            !matrix::must_failures(&result).is_empty(),
            "async mutant {} was not caught in paused time",
            mutant.name()
        );
    }
    assert_eq!(ran, 1, "lazy-timer runs in paused time");
}

#[test]
fn names_parse_back() {
    for mutant in AsyncMutant::ALL {
        assert_eq!(AsyncMutant::parse(mutant.name()), Some(mutant));
    }
}

/// A drop that blocks the paused runtime's only thread stops virtual time: the runner does not
/// wait for it forever — its real-time guard ends the case, reported hung.
#[test]
fn a_blocking_drop_in_paused_time_is_reported_hung_not_waited_for() {
    use overtime_harness::asynchronous::paused;
    use overtime_harness::catalogue::catalogue;
    use overtime_harness::{Mode, Property};
    use std::sync::Arc;

    let case = catalogue()
        .into_iter()
        .find(|c| c.name == "early-drop")
        .expect("built in");
    let executor = Arc::new(AsyncMutantExecutor::new(AsyncMutant::DropAwaits));
    let run = paused::run_case(&executor, &case, Mode::Unordered).expect("modelled");
    let drop_returns = run.verdict(Property::DropReturns).expect("judged");
    assert!(drop_returns.is_fail(), "{}", drop_returns.evidence);
    assert!(
        drop_returns.evidence.contains("(hung)"),
        "{}",
        drop_returns.evidence
    );
}
