//! The test-suite macro: a few lines in a dependent crate turn the whole suite into one
//! `#[test]` per mode × property for the user's executor.
//!
//! ```ignore
//! overtime_harness::suite!(my_pool, MyPool::new(4));
//! ```
//!
//! generates `my_pool::list::p01_liveness`, …, `my_pool::unordered::p12_cancel_running`. The
//! first test of a mode runs the catalogue in that mode once; the others judge the cached
//! result. ε is 50 ms unless `OVERTIME_EPSILON_MS` says otherwise. A failed property (MUST or
//! SHOULD) fails its test with the evidence; an inconclusive one fails too (the harness could
//! not judge it and says why); a property that does not apply passes and prints why.

use crate::conformance::{run_suite, SuiteOptions, SuiteResult};
use crate::executor::Executor;
use crate::model::Mode;
use crate::properties::{Property, VerdictKind};
use crate::runner::{RunConfig, DEFAULT_EPSILON};
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

/// ε for the generated tests: `OVERTIME_EPSILON_MS`, else 50 ms.
pub fn epsilon_from_env() -> Duration {
    match std::env::var("OVERTIME_EPSILON_MS") {
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(ms) if ms.is_finite() && ms >= 0.0 => Duration::from_secs_f64(ms / 1e3),
            _ => panic!("OVERTIME_EPSILON_MS must be a number of milliseconds >= 0, got {text:?}"),
        },
        Err(_) => DEFAULT_EPSILON,
    }
}

/// Generates one `#[test]` per mode × property for an executor. See [`crate::suite`].
#[macro_export]
macro_rules! suite {
    ($name:ident, $make:expr) => {
        mod $name {
            #[allow(unused_imports)] // the user's executor type usually lives in the parent
            use super::*;
            static SUITE: $crate::suite::SuiteCache = $crate::suite::SuiteCache::new();
            fn make() -> ::std::sync::Arc<dyn $crate::Executor> {
                ::std::sync::Arc::new($make)
            }
            $crate::__suite_mode!(list, List);
            $crate::__suite_mode!(ordered, Ordered);
            $crate::__suite_mode!(unordered, Unordered);
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_mode {
    ($mode_mod:ident, $mode:ident) => {
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
        }
    };
}
