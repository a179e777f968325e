//! Snapshots of the scenario corpus in simulated time: for every file of `specs/scenarios/`
//! and `specs/regressions/`, the trace and the verdicts (ε = 0) of the reference executor with
//! each of its six contracts, in every mode. Simulated traces are deterministic, so any change
//! to the core, the simulated driver or the checker shows up here as a diff to review:
//!
//! ```text
//! cargo test --test snapshots          # fails on a difference, writes tests/snapshots/*.snap.new
//! cargo insta review                   # accept or reject each difference
//! ```
//!
//! Snapshots live in `tests/snapshots/`, one per scenario file.

use overtime::harness::{scenario, Mode};
use overtime::reference::{simulated, ReferenceExecutor};

mod common;

fn snapshot_of(path: &std::path::Path) -> String {
    let case = match scenario::load(path) {
        Ok(case) => case,
        Err(error) => return format!("does not load: {error}\n"),
    };
    let mut out = format!("{}: {}\n", case.name, case.about);
    for executor in ReferenceExecutor::all() {
        for mode in Mode::ALL {
            let run = simulated::run_case(&executor, &case, mode);
            out.push_str(&format!("\n== {} in {mode} mode\n", executor.contract()));
            out.push_str(&common::render_trace(&run.trace));
            out.push_str("-- verdicts\n");
            out.push_str(&common::render_verdicts(&run));
        }
    }
    out
}

#[test]
fn scenario_corpus() {
    insta::glob!("../specs/scenarios", "*.toml", |path| {
        insta::assert_snapshot!(snapshot_of(path));
    });
}

#[test]
fn regression_corpus() {
    let mut settings = insta::Settings::clone_current();
    // A project may have no regression yet.
    settings.set_allow_empty_glob(true);
    settings.bind(|| {
        insta::glob!("../specs/regressions", "*.toml", |path| {
            insta::assert_snapshot!(snapshot_of(path));
        });
    });
}
