//! Runs async executors through the catalogue in both clocks and folds the results: what
//! `reports/async.md`, the zoo test and the perf report share.

use overtime_harness::asynchronous::{run_paused, AsyncExecutor, RealTime};
use overtime_harness::catalogue::catalogue_with;
use overtime_harness::{
    run_suite, CaseExecutor, Level, Mode, RunConfig, SuiteOptions, SuiteResult, VerdictKind,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which clock a run was judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    RealTime,
    Paused,
}

impl Clock {
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::RealTime => "real time",
            Clock::Paused => "paused time",
        }
    }
}

/// The catalogue at T = `timeout` in every mode, in real time at ε `epsilon` on a
/// [`RealTime`] runtime.
pub fn real_time<E: AsyncExecutor>(
    executor: E,
    epsilon: Duration,
    timeout: Duration,
) -> SuiteResult {
    let executor: Arc<dyn CaseExecutor> = Arc::new(RealTime::new(executor));
    let options = SuiteOptions {
        run: RunConfig::with_epsilon(epsilon),
        modes: Mode::ALL.to_vec(),
        cases: catalogue_with(timeout),
    };
    run_suite(&executor, &options, |_| {})
}

/// The catalogue at T = `timeout` in every mode, in paused time, folded into one matrix.
pub fn paused<E: AsyncExecutor>(executor: E, timeout: Duration) -> SuiteResult {
    let started = Instant::now();
    let executor = Arc::new(executor);
    let mut results: Vec<SuiteResult> = Mode::ALL
        .into_iter()
        .map(|mode| run_paused(&executor, mode, timeout))
        .collect();
    let first = results.remove(0);
    let mut merged = first;
    for r in results {
        merged.results.extend(r.results);
        merged.cases.extend(r.cases);
    }
    merged.results.sort_by_key(|r| (r.mode, r.property));
    merged.wall_time = started.elapsed();
    merged
}

/// The MUST properties that failed, as `P15 progress (unordered)`.
pub fn must_failures(result: &SuiteResult) -> Vec<String> {
    result
        .must_failures()
        .iter()
        .map(|r| format!("{} ({})", r.property.label(), r.mode))
        .collect()
}

/// Every failure (MUST and SHOULD), with its level, mode and evidence.
pub fn failures(result: &SuiteResult) -> Vec<(Level, String, Mode, String)> {
    result
        .results
        .iter()
        .filter(|r| r.verdict == VerdictKind::Fail)
        .map(|r| (r.level, r.property.label(), r.mode, r.evidence.clone()))
        .collect()
}
