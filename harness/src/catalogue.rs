//! The built-in cases: workloads chosen so that, run in every mode, they exercise every
//! property of the spec — including the joblib #1586 workload.
//!
//! Durations are multiples of one timeout T, so the catalogue scales; [`catalogue`] uses
//! T = 100 ms. Tasks meant to finish in time take at most T/2 and tasks meant to overrun at
//! least 1.3T, so any ε below 0.3T (30 ms) leaves what a case expects unchanged; larger ε (an
//! external executor judged at 250 ms) only makes the checks more lenient.

use crate::model::opt_duration_ms;
use crate::properties::Property;
use crate::task::TaskSpec;
use crate::trace::Consumer;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One named workload: the call's tasks and parameters and how the consumer behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// What the case is for, in a sentence.
    #[serde(default)]
    pub about: String,
    pub tasks: Vec<TaskSpec>,
    pub n_jobs: usize,
    #[serde(with = "opt_duration_ms", default)]
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub consumer: Consumer,
    /// Make a second call right after this one (judged by `P11 reusable`).
    #[serde(default)]
    pub follow_up: bool,
}

/// The timeout T of the built-in catalogue.
pub const CATALOGUE_TIMEOUT: Duration = Duration::from_millis(100);

/// The built-in cases with T = [`CATALOGUE_TIMEOUT`].
pub fn catalogue() -> Vec<Case> {
    catalogue_with(CATALOGUE_TIMEOUT)
}

/// The built-in cases, scaled to the timeout `t`.
pub fn catalogue_with(t: Duration) -> Vec<Case> {
    let sleep = |frac: f64| TaskSpec::Sleep {
        ms: t.mul_f64(frac),
    };
    let case = |name: &str, about: &str, tasks: Vec<TaskSpec>, n_jobs: usize| Case {
        name: name.into(),
        about: about.into(),
        tasks,
        n_jobs,
        timeout: Some(t),
        consumer: Consumer::default(),
        follow_up: false,
    };
    vec![
        Case {
            follow_up: true,
            ..case(
                "joblib-1586",
                "joblib #1586: 2 workers, 3 tasks that never end, timeout set; then a second call",
                vec![TaskSpec::Hang; 3],
                2,
            )
        },
        case(
            "all-fast",
            "every task ends well within the timeout on every clock: nothing may time out",
            vec![sleep(0.05); 6],
            2,
        ),
        Case {
            timeout: None,
            ..case(
                "no-timeout",
                "no timeout set: every result, in order, and nothing times out",
                vec![sleep(0.05), sleep(0.2), sleep(0.01), sleep(0.1)],
                2,
            )
        },
        case(
            "slow-head-of-line",
            "the first task overruns while the others finish early: partial results in unordered mode",
            vec![sleep(3.0), sleep(0.05), sleep(0.05), sleep(0.05), sleep(0.05)],
            2,
        ),
        case(
            "late-overrun",
            "a task dispatched last overruns; the others finish early",
            vec![sleep(0.05), sleep(0.05), sleep(0.05), sleep(3.0)],
            2,
        ),
        case(
            "queue-behind-overrun",
            "a task hangs and another overruns to 1.3T while three wait in the queue: after the \
             abort, the freed worker must not start them",
            vec![TaskSpec::Hang, sleep(1.3), sleep(0.05), sleep(0.05), sleep(0.05)],
            2,
        ),
        case(
            "serial-queue",
            "one worker, six tasks of T/4: within a task's runtime and each wait, but over the whole call",
            vec![sleep(0.25); 6],
            1,
        ),
        case(
            "failure",
            "a task fails early among fast tasks: the error names it",
            vec![sleep(0.05), TaskSpec::Fail { ms: t.mul_f64(0.1) }, sleep(0.05), sleep(0.05)],
            2,
        ),
        case(
            "failure-before-timeout",
            "a task fails at 0.3T while another hangs: the failure comes first",
            vec![TaskSpec::Hang, TaskSpec::Fail { ms: t.mul_f64(0.3) }, sleep(0.05)],
            2,
        ),
        case(
            "timeout-before-failure",
            "a task hangs and another fails at 3T: the timeout comes first",
            vec![TaskSpec::Hang, TaskSpec::Fail { ms: t.mul_f64(3.0) }, sleep(0.05)],
            2,
        ),
        Case {
            consumer: Consumer {
                drop_after: Some(2),
                ..Consumer::default()
            },
            ..case(
                "early-drop",
                "the consumer drops the iteration after two items, with tasks still running",
                vec![sleep(0.05), sleep(0.05), sleep(0.5), sleep(0.5), sleep(0.5), sleep(0.5)],
                2,
            )
        },
        Case {
            consumer: Consumer {
                drop_after: Some(1),
                ..Consumer::default()
            },
            ..case(
                "drop-with-hung",
                "the consumer drops after one item while two tasks hang: the drop must not wait for them",
                vec![sleep(0.05), TaskSpec::Hang, TaskSpec::Hang],
                3,
            )
        },
        Case {
            consumer: Consumer {
                pause_ms: t.mul_f64(0.3),
                ..Consumer::default()
            },
            ..case(
                "slow-consumer",
                "the consumer pauses between pulls; the results are all ready early",
                vec![sleep(0.05); 5],
                2,
            )
        },
        Case {
            consumer: Consumer {
                pause_ms: t.mul_f64(0.3),
                ..Consumer::default()
            },
            ..case(
                "slow-consumer-hung",
                "one task hangs while six finish early and the consumer pauses between pulls: \
                 results completed before the timeout must survive it",
                [vec![TaskSpec::Hang], vec![sleep(0.05); 6]].concat(),
                2,
            )
        },
        Case {
            consumer: Consumer {
                start_after_ms: t.mul_f64(0.3),
                ..Consumer::default()
            },
            ..case(
                "late-first-pull",
                "the consumer starts pulling 0.3T after the call; one worker, six tasks of T/4: \
                 an overall clock runs from the call, not from the first pull",
                vec![sleep(0.25); 6],
                1,
            )
        },
        Case {
            follow_up: true,
            ..case(
                "cooperative-cancel",
                "two cooperative tasks hang: on abort they must be asked to stop",
                vec![TaskSpec::CooperativeHang, TaskSpec::CooperativeHang, sleep(0.05), sleep(0.05)],
                2,
            )
        },
        case(
            "more-workers-than-tasks",
            "eight workers, three tasks, one overruns",
            vec![sleep(0.05), sleep(3.0), sleep(0.05)],
            8,
        ),
        case(
            "cpu-spin",
            "one worker spins the CPU for short tasks: nothing may time out",
            vec![TaskSpec::Spin { ms: t.mul_f64(0.1) }; 3],
            1,
        ),
        Case {
            consumer: Consumer {
                pause_ms: t.mul_f64(0.02),
                ..Consumer::default()
            },
            ..case(
                "many-small",
                "thirty short tasks through two workers with a slightly slow consumer",
                (0..30).map(|i| sleep(0.01 + 0.01 * (i % 3) as f64)).collect(),
                2,
            )
        },
    ]
}

/// The properties each built-in case is meant to exercise (documentation and the catalogue
/// test; every property of the spec appears at least once).
pub fn exercised_by(case: &str) -> &'static [Property] {
    use Property::*;
    match case {
        "joblib-1586" => &[Liveness, AbortStopsDispatch, DropReturns, Reusable],
        "all-fast" | "cpu-spin" => &[NoPremature, ExactlyOnce, Order],
        "no-timeout" => &[NoPremature, ExactlyOnce, Order, CompletionOrder],
        "slow-head-of-line" => &[Liveness, PartialResults, CompletionOrder],
        "late-overrun" => &[Liveness, PartialResults],
        "queue-behind-overrun" => &[AbortStopsDispatch, Liveness],
        "serial-queue" => &[Liveness, NoPremature, BoundedConcurrency],
        "failure" | "failure-before-timeout" => &[ErrorPropagation, AbortStopsDispatch],
        "timeout-before-failure" => &[Liveness, ErrorPropagation],
        "early-drop" | "drop-with-hung" => &[DropReturns, AbortStopsDispatch],
        "slow-consumer" => &[NoPremature, Order],
        "slow-consumer-hung" => &[PartialResults, ExactlyOnce, Liveness],
        "late-first-pull" => &[Liveness, NoPremature],
        "cooperative-cancel" => &[CancelRunning, Reusable],
        "more-workers-than-tasks" => &[BoundedConcurrency, Liveness],
        "many-small" => &[BoundedConcurrency, ExactlyOnce, Order, CompletionOrder],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_says_what_it_exercises_and_every_property_is_exercised() {
        let cases = catalogue();
        for case in &cases {
            assert!(
                !exercised_by(&case.name).is_empty(),
                "case {} exercises nothing",
                case.name
            );
        }
        for property in Property::ALL {
            assert!(
                cases
                    .iter()
                    .any(|c| exercised_by(&c.name).contains(&property)),
                "no case exercises {}",
                property.label()
            );
        }
    }

    #[test]
    fn case_names_are_unique_and_tasks_keep_their_margin_from_the_timeout() {
        let cases = catalogue();
        let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len());
        // A task meant to finish in time ends by T/2; one meant to overrun lasts at least 1.3T.
        for case in &cases {
            for spec in &case.tasks {
                if let Some(d) = spec.duration() {
                    let ratio = d.as_secs_f64() / CATALOGUE_TIMEOUT.as_secs_f64();
                    assert!(
                        ratio <= 0.5 || ratio >= 1.3,
                        "case {}: a task of {ratio}T is too close to the timeout",
                        case.name
                    );
                }
            }
        }
    }
}
