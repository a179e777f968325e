//! The async reference against the whole catalogue: in paused time for every contract and
//! mode (ε = 1 ms, tokio's timer resolution), and in real time on a multi-threaded runtime
//! (ε 20 ms, the runner's watchdog and lateness probe) for every contract and mode.

use overtime_async::AsyncReference;
use overtime_harness::asynchronous::{run_paused, RealTime};
use overtime_harness::catalogue::{catalogue, CATALOGUE_TIMEOUT};
use overtime_harness::{run_suite, CaseExecutor, Mode, SuiteOptions, SuiteResult, VerdictKind};
use std::sync::Arc;

/// Panics with every MUST failure's evidence unless `result` conforms.
fn assert_conforms(result: &SuiteResult) {
    let failures: Vec<String> = result
        .must_failures()
        .iter()
        .map(|r| format!("{} {}: {}", r.mode, r.property.label(), r.evidence))
        .collect();
    assert!(
        failures.is_empty(),
        "{} does not conform:\n{}",
        result.profile.name,
        failures.join("\n")
    );
    let inconclusive = result
        .results
        .iter()
        .filter(|r| r.verdict == VerdictKind::Inconclusive)
        .count();
    assert_eq!(
        inconclusive, 0,
        "{} had inconclusive verdicts",
        result.profile.name
    );
}

#[test]
fn the_async_reference_conforms_in_paused_time() {
    for executor in AsyncReference::all() {
        let executor = Arc::new(executor);
        for mode in Mode::ALL {
            assert_conforms(&run_paused(&executor, mode, CATALOGUE_TIMEOUT));
        }
    }
}

/// How many times a real-time run whose only problem is that the harness was late (an
/// inconclusive verdict, no failure) is made again before the test gives up and says so.
const RUNS_WHILE_INCONCLUSIVE: usize = 3;

#[test]
fn the_async_reference_conforms_in_real_time() {
    for executor in AsyncReference::all() {
        let executor: Arc<dyn CaseExecutor> = Arc::new(RealTime::new(executor));
        let options = SuiteOptions {
            cases: catalogue(),
            ..SuiteOptions::default()
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = run_suite(&executor, &options, |_| {});
            let late = result
                .results
                .iter()
                .any(|r| r.verdict == VerdictKind::Inconclusive);
            if late && result.conforms() && attempts < RUNS_WHILE_INCONCLUSIVE {
                println!(
                    "{}: inconclusive (the harness was late) in run {attempts}; running again",
                    result.profile.name
                );
                continue;
            }
            assert_conforms(&result);
            break;
        }
    }
}
