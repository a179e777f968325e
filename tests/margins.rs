//! Margins: in every catalogue case, at the default scale (T = 100 ms, ε = 20 ms) and at the
//! external scale (T = 1 s, ε = 250 ms), the ideal run — the reference in simulated time,
//! every contract and mode — keeps every instant a verdict compares clear of its threshold
//! (`overtime_harness::hairs`): no completion within ε of a due time it decides, no worker
//! freed near abort + ε, no failure within ε of the first due time. A verdict on such a case
//! does not flip with scheduling noise.

use overtime::harness::catalogue::{catalogue, CATALOGUE_TIMEOUT};
use overtime::harness::{hairs, Mode, DEFAULT_EPSILON};
use overtime::reference::{simulated, ReferenceExecutor};
use std::time::Duration;

const SCALES: [(&str, Duration, Duration); 2] = [
    ("default", CATALOGUE_TIMEOUT, DEFAULT_EPSILON),
    (
        "external",
        Duration::from_millis(1000),
        Duration::from_millis(250),
    ),
];

#[test]
fn no_verdict_of_the_catalogue_hangs_on_a_hair() {
    let mut found = Vec::new();
    for (scale, t, epsilon) in SCALES {
        for case in catalogue() {
            let case = case.scaled(CATALOGUE_TIMEOUT, t);
            for executor in ReferenceExecutor::all() {
                for mode in Mode::ALL {
                    let trace = simulated::simulate(&executor, &case, mode);
                    for hair in hairs(&trace, epsilon) {
                        found.push(format!(
                            "{scale} scale, {} {} {mode}: {} {}",
                            case.name,
                            executor.contract(),
                            hair.judged_by,
                            hair.what
                        ));
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "{} instants at the margin:\n  {}",
        found.len(),
        found.join("\n  ")
    );
}
