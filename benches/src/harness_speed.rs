//! Harness speed: how many catalogue cases the simulated driver runs and judges per second,
//! and how long the full real-time suite takes for one executor.

use overtime_harness::catalogue::catalogue;
use overtime_harness::{run_suite, SuiteOptions, SuiteResult};
use overtime_harness::{CaseExecutor, Mode};
use overtime_reference::simulated;
use overtime_reference::ReferenceExecutor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Simulated case runs (each simulated, follow-up included, and judged on every property at
/// ε = 0) over the catalogue × the reference's six contracts × three modes, repeated for at
/// least `budget`. Returns (case runs, elapsed).
pub fn simulated_cases(budget: Duration) -> (u64, Duration) {
    let cases = catalogue();
    let executors = ReferenceExecutor::all();
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < budget {
        for executor in &executors {
            for case in &cases {
                for mode in Mode::ALL {
                    std::hint::black_box(simulated::run_case(executor, case, mode));
                    runs += 1;
                }
            }
        }
    }
    (runs, start.elapsed())
}

/// The whole real-time suite (every case, every mode, default ε) for `executor`.
pub fn real_time_suite(executor: Arc<dyn CaseExecutor>) -> SuiteResult {
    run_suite(&executor, &SuiteOptions::default(), |_| {})
}
