//! The test-suite macro: a few lines in a dependent crate turn the whole suite into one
//! `#[test]` per mode × property for the user's executor.
//!
//! ```ignore
//! overtime_harness::suite!(my_pool, MyPool::new(4));
//! ```
//!
//! generates `my_pool::list::p01_liveness`, …, `my_pool::unordered::p12_cancel_running`. The
//! first test of a mode runs the catalogue in that mode once; the others judge the cached
//! result. ε is 20 ms unless `OVERTIME_EPSILON_MS` says otherwise. A failed property (MUST or
//! SHOULD) fails its test with the evidence; an inconclusive one fails too (the harness could
//! not judge it and says why); a property that does not apply passes and prints why.
//!
//! Each mode also gets `generated_workloads`: generated calls (0–6 tasks, durations on a 4ε
//! grid, T = 10ε) run in real time against the executor, 12 of them unless `PROPTEST_CASES`
//! says otherwise. It prints its seed (`PROPTEST_RNG_SEED` replays a run) and, on a MUST
//! failure, the shrunk call as a scenario file to save under `specs/regressions/`.
//!
//! Scenario files run too when the macro is given their directories (relative to the package):
//!
//! ```ignore
//! overtime_harness::suite!(my_pool, MyPool::new(4), scenarios = ["specs/scenarios"]);
//! ```
//!
//! adds `my_pool::<mode>::scenario_files`, which runs every `*.toml` there in real time and
//! fails naming each file that fails a MUST property (or does not parse: file and line).

use crate::conformance::{run_suite, SuiteOptions, SuiteResult};
use crate::executor::Executor;
use crate::model::Mode;
use crate::properties::{Property, VerdictKind};
use crate::runner::run_case;
use crate::runner::{RunConfig, DEFAULT_EPSILON};
use crate::scenario;
use crate::strategies::{
    check, judge_real_time, judged, near_tie, Campaign, Judged, Levels, Workloads,
};
use crate::trace::Ms;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The cached suite results of one executor, one per mode. Used by [`crate::suite!`].
pub struct SuiteCache {
    modes: [OnceLock<SuiteResult>; 3],
}

impl SuiteCache {
    pub const fn new() -> SuiteCache {
        SuiteCache {
            modes: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    fn result(&self, make: &dyn Fn() -> Arc<dyn Executor>, mode: Mode) -> &SuiteResult {
        let index = Mode::ALL.iter().position(|m| *m == mode).unwrap_or(0);
        self.modes[index].get_or_init(|| {
            let options = SuiteOptions {
                run: RunConfig {
                    epsilon: epsilon_from_env(),
                    ..RunConfig::default()
                },
                modes: vec![mode],
                ..SuiteOptions::default()
            };
            run_suite(&make(), &options, |_| {})
        })
    }

    /// Judges `property` in `mode`; panics with the evidence when it fails or is inconclusive.
    pub fn check(&self, make: &dyn Fn() -> Arc<dyn Executor>, mode: Mode, property: Property) {
        let result = self.result(make, mode);
        let Some(r) = result.result(mode, property) else {
            panic!("{} {}: no verdict was produced", mode, property.label());
        };
        match r.verdict {
            VerdictKind::Pass => {}
            VerdictKind::NotApplicable => {
                println!("{} {} not applicable: {}", mode, property.label(), r.evidence)
            }
            VerdictKind::Fail => panic!(
                "{} violates {} in {} mode\n  {}",
                result.profile.name,
                property.label(),
                mode,
                r.evidence
            ),
            VerdictKind::Inconclusive => panic!(
                "{} {} could not be judged: {} (run again on a quieter machine, or raise OVERTIME_EPSILON_MS)",
                mode,
                property.label(),
                r.evidence
            ),
        }
    }
}

impl Default for SuiteCache {
    fn default() -> Self {
        SuiteCache::new()
    }
}

/// ε for the generated tests: `OVERTIME_EPSILON_MS`, else 20 ms.
pub fn epsilon_from_env() -> Duration {
    match std::env::var("OVERTIME_EPSILON_MS") {
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(ms) if ms.is_finite() && ms >= 0.0 => Duration::from_secs_f64(ms / 1e3),
            _ => panic!("OVERTIME_EPSILON_MS must be a number of milliseconds >= 0, got {text:?}"),
        },
        Err(_) => DEFAULT_EPSILON,
    }
}

/// Generated calls per mode in the suite's `generated_workloads` test, unless `PROPTEST_CASES`
/// says otherwise: few, because they run in real time (each call takes up to a few T, T = 10ε).
pub const GENERATED_CALLS: u32 = 12;

/// How long shrinking a real-time failure may take before the smallest call so far is printed.
pub const GENERATED_SHRINK_TIME: Duration = Duration::from_secs(120);

/// The suite's generated-workload test for one mode: runs [`GENERATED_CALLS`] calls of the
/// real-time strategies ([`Workloads::real_time`] at ε) against the executor, and panics on the
/// first MUST failure with the shrunk call as a scenario file. Prints the seed first, so any
/// run can be replayed with `PROPTEST_RNG_SEED`.
pub fn generated_workloads(make: &dyn Fn() -> Arc<dyn Executor>, mode: Mode) {
    let executor = make();
    let profile = executor.profile();
    if !profile.modes.contains(&mode) {
        println!(
            "{} does not support {mode} mode: nothing to generate",
            profile.name
        );
        return;
    }
    let epsilon = epsilon_from_env();
    let workloads = Workloads::real_time(epsilon, vec![mode]);
    let campaign = Campaign::from_env(GENERATED_CALLS).with_shrink_time(GENERATED_SHRINK_TIME);
    let config = RunConfig {
        epsilon,
        ..RunConfig::default()
    };
    println!(
        "generated workloads for {} in {mode} mode: {} calls, ε {}, T {}; seed {} \
         (PROPTEST_RNG_SEED={} replays it, PROPTEST_CASES=N runs N calls)",
        profile.name,
        campaign.cases,
        Ms(epsilon),
        Ms(workloads.timeout),
        campaign.seed,
        campaign.seed
    );
    let result = check(&campaign, &profile, &workloads.calls(), |call| {
        judge_real_time(&executor, call, &config, Levels::Must)
    });
    match result {
        Ok(tally) => println!("{} in {mode} mode: {tally}", profile.name),
        Err(error) => panic!("{error}"),
    }
}

/// The suite's scenario-file test for one mode (`suite!(name, executor, scenarios = [...])`):
/// runs every scenario file of `dirs` (relative to `root`, the user's package) against the
/// executor in real time and panics listing each file that fails a MUST property, with the
/// evidence, or that is malformed, with its file and line. A file whose run has a near tie
/// (a completion within ε of a due time; [`crate::strategies::near_tie`]) is reported, not
/// judged: ties are for simulated time.
pub fn scenario_files(make: &dyn Fn() -> Arc<dyn Executor>, mode: Mode, root: &str, dirs: &[&str]) {
    let executor = make();
    let profile = executor.profile();
    if !profile.modes.contains(&mode) {
        println!(
            "{} does not support {mode} mode: no scenario runs",
            profile.name
        );
        return;
    }
    let config = RunConfig {
        epsilon: epsilon_from_env(),
        ..RunConfig::default()
    };
    let root = Path::new(root);
    let (mut problems, mut judged_files) = (Vec::new(), 0);
    for dir in dirs {
        let dir = root.join(dir);
        if !dir.is_dir() {
            problems.push(format!(
                "{}: not a directory (scenario directories are relative to the package)",
                dir.display()
            ));
            continue;
        }
        let files = match scenario::files(&dir) {
            Ok(files) => files,
            Err(error) => {
                problems.push(error.to_string());
                continue;
            }
        };
        for path in files {
            let shown = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let case = match scenario::load(&path) {
                Ok(case) => case,
                Err(error) => {
                    problems.push(error.to_string());
                    continue;
                }
            };
            let run = run_case(&executor, &case, mode, &config);
            if let Some(tie) = near_tie(&run.trace, config.epsilon) {
                println!("{shown}: not judged in real time: {tie}");
                continue;
            }
            judged_files += 1;
            match judged(&run.verdicts, Levels::Must) {
                Judged::Pass => println!("{shown}: ok"),
                Judged::Skip(why) => println!("{shown}: not judged: {why}"),
                Judged::Fail { property, evidence } => {
                    problems.push(format!("{shown}: {} fails: {evidence}", property.label()))
                }
            }
        }
    }
    if !problems.is_empty() {
        panic!(
            "{} in {mode} mode, scenario files:\n  {}",
            profile.name,
            problems.join("\n  ")
        );
    }
    if judged_files == 0 {
        panic!("no scenario file of {dirs:?} could be judged in real time");
    }
}

/// Generates one `#[test]` per mode × property for an executor. See [`crate::suite`].
#[macro_export]
macro_rules! suite {
    ($name:ident, $make:expr $(, scenarios = [$($dir:expr),+ $(,)?])? $(,)?) => {
        mod $name {
            #[allow(unused_imports)] // the user's executor type usually lives in the parent
            use super::*;
            static SUITE: $crate::suite::SuiteCache = $crate::suite::SuiteCache::new();
            fn make() -> ::std::sync::Arc<dyn $crate::Executor> {
                ::std::sync::Arc::new($make)
            }
            $crate::__suite_mode!(list, List $(, [$($dir),+])?);
            $crate::__suite_mode!(ordered, Ordered $(, [$($dir),+])?);
            $crate::__suite_mode!(unordered, Unordered $(, [$($dir),+])?);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_mode {
    ($mode_mod:ident, $mode:ident $(, [$($dir:expr),+])?) => {
        mod $mode_mod {
            use $crate::{Mode, Property};
            fn check(p: Property) {
                super::SUITE.check(&super::make, Mode::$mode, p)
            }
            #[test]
            fn p01_liveness() {
                check(Property::Liveness)
            }
            #[test]
            fn p02_no_premature() {
                check(Property::NoPremature)
            }
            #[test]
            fn p03_partial_results() {
                check(Property::PartialResults)
            }
            #[test]
            fn p04_exactly_once() {
                check(Property::ExactlyOnce)
            }
            #[test]
            fn p05_order() {
                check(Property::Order)
            }
            #[test]
            fn p06_completion_order() {
                check(Property::CompletionOrder)
            }
            #[test]
            fn p07_error_propagation() {
                check(Property::ErrorPropagation)
            }
            #[test]
            fn p08_abort_stops_dispatch() {
                check(Property::AbortStopsDispatch)
            }
            #[test]
            fn p09_bounded_concurrency() {
                check(Property::BoundedConcurrency)
            }
            #[test]
            fn p10_drop_returns() {
                check(Property::DropReturns)
            }
            #[test]
            fn p11_reusable() {
                check(Property::Reusable)
            }
            #[test]
            fn p12_cancel_running() {
                check(Property::CancelRunning)
            }
            #[test]
            fn generated_workloads() {
                $crate::suite::generated_workloads(&super::make, Mode::$mode)
            }
            $(
                #[test]
                fn scenario_files() {
                    $crate::suite::scenario_files(
                        &super::make,
                        Mode::$mode,
                        ::std::env!("CARGO_MANIFEST_DIR"),
                        &[$($dir),+],
                    )
                }
            )?
        }
    };
}
