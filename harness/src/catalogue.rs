//! The built-in cases: the scenario files of `specs/scenarios/` that `overtime check` runs by
//! default, chosen so that, run in every mode, they exercise every property of the spec —
//! joblib #1586's workload first.
//!
//! The files are the cases' only definition: they are compiled into the harness as they are
//! and parsed like any scenario file. They are written at T = [`CATALOGUE_TIMEOUT`] (100 ms);
//! [`catalogue_with`] runs them at another T by multiplying every duration in them — tasks,
//! timeout, consumer pauses — by T / 100 ms (boundary cases marked `absolute` keep theirs).
//! Two tests keep the catalogue honest: `tests/margins.rs` (no verdict of an ideal run hangs
//! on a hair, at ε = 0.2T and at ε = 0.25T) and `tests/anchors.rs` (for every mode × clock,
//! every plausible wrong clock anchor lies at least 3ε from the right one in some case).

use crate::case::Case;
use crate::scenario;
use std::path::Path;
use std::time::Duration;

/// The timeout T the catalogue's files are written at.
pub const CATALOGUE_TIMEOUT: Duration = Duration::from_millis(100);

/// Declares the catalogue: each case's file under `specs/scenarios/`, in the order cases run.
macro_rules! catalogue_files {
    ($($name:literal),+ $(,)?) => {
        const FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../scenarios/", $name, ".toml")))),+
        ];
    };
}

catalogue_files![
    "joblib-1586",
    "all-fast",
    "no-timeout",
    "slow-head-of-line",
    "late-overrun",
    "queue-behind-overrun",
    "serial-queue",
    "failure",
    "failure-before-timeout",
    "timeout-before-failure",
    "failure-behind-a-slow-slot",
    "late-failure-after-timeout",
    "task-raises-timeout",
    "early-drop",
    "drop-with-hung",
    "slow-consumer",
    "slow-consumer-hung",
    "late-first-pull",
    "cooperative-cancel",
    "more-workers-than-tasks",
    "cpu-spin",
    "many-small",
    "hung-task-among-arriving-results",
    "slow-consumer-before-hung-tasks",
    "staggered-hangs",
    "drop-with-idle-workers",
    "worker-death",
    "worker-death-without-timeout",
    "timeout-zero",
    "timeout-below-resolution",
    "timeout-at-the-protocol-maximum",
];

/// The built-in cases as their files define them, at T = [`CATALOGUE_TIMEOUT`].
pub fn catalogue() -> Vec<Case> {
    FILES
        .iter()
        .map(|(name, text)| {
            let path = Path::new("specs/scenarios").join(format!("{name}.toml"));
            // The files are compiled in and their test below parses every one: a file that
            // does not parse cannot ship.
            scenario::parse(text, &path).unwrap_or_else(|e| panic!("built-in case {e}"))
        })
        .collect()
}

/// The built-in cases, scaled to the timeout `t`.
pub fn catalogue_with(t: Duration) -> Vec<Case> {
    catalogue()
        .iter()
        .map(|case| case.scaled(CATALOGUE_TIMEOUT, t))
        .collect()
}

/// The names of the built-in cases, in the order they run.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::Property;

    #[test]
    fn every_file_parses_and_every_property_is_exercised() {
        let cases = catalogue();
        assert_eq!(cases.len(), FILES.len());
        for case in &cases {
            assert!(
                !case.exercises.is_empty(),
                "case {} says nothing about what it exercises",
                case.name
            );
            if !case.absolute {
                assert_eq!(case.timeout.unwrap_or(CATALOGUE_TIMEOUT), CATALOGUE_TIMEOUT);
            }
        }
        for property in Property::ALL {
            assert!(
                cases.iter().any(|c| c.exercises.contains(&property)),
                "no case exercises {}",
                property.label()
            );
        }
    }

    #[test]
    fn case_names_are_unique() {
        let cases = catalogue();
        let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len());
    }

    #[test]
    fn every_case_prints_and_reads_back_unchanged() {
        for case in catalogue() {
            let text = scenario::to_toml(&case);
            let path = Path::new("specs/scenarios").join(format!("{}.toml", case.name));
            assert_eq!(scenario::parse(&text, &path).as_ref(), Ok(&case), "{text}");
        }
    }

    #[test]
    fn scaling_multiplies_every_duration_by_the_new_timeout() {
        let at_500 = catalogue_with(Duration::from_millis(500));
        let slow = at_500
            .iter()
            .find(|c| c.name == "slow-consumer")
            .expect("built in");
        assert_eq!(slow.timeout, Some(Duration::from_millis(500)));
        assert_eq!(slow.consumer.pause_ms, Duration::from_millis(150));
        assert_eq!(slow.tasks[0].duration(), Some(Duration::from_millis(25)));
    }
}
