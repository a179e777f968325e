//! The scenario corpus as data-driven tests: every file of `specs/scenarios/` and
//! `specs/regressions/` is a test of its own, named after the file, run against the reference
//! executor in every mode and with each of its six contracts:
//!
//! - `scenarios::<file>::simulated`: in simulated time, every property judged exactly (ε = 0);
//!   nothing may fail. Simulated, the reference also runs with the other dimensions of the
//!   contract away from their defaults (`ReferenceExecutor::other_dimensions`).
//! - `scenarios::<file>::threaded`: in real time on threads (ε = the runner's default, with its
//!   watchdog); no property may fail (an inconclusive verdict — the harness itself was late
//!   — is printed, not failed, as the spec says). A combination whose ideal
//!   (simulated) schedule puts a completion within ε of a due time — a tie, which real time
//!   cannot judge — is left to the simulated test; a file made only of such combinations is
//!   ignored in real time.
//!
//! A file that does not parse fails both of its tests with `file:line: what is wrong`.
//!
//! ```text
//! cargo test --release --test scenarios                     # all of them
//! cargo test --release --test scenarios -- joblib-1586      # one file
//! ```

use libtest_mimic::{Arguments, Failed, Trial};
use overtime::harness::near_tie;
use overtime::harness::Case;
use overtime::harness::VerdictKind;
use overtime::harness::{run_case, RunConfig};
use overtime::harness::{scenario, CaseExecutor, Mode};
use overtime::reference::{simulated, ReferenceExecutor};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod common;

/// The corpus directories, relative to the package, and the prefix of their tests' names.
const CORPUS: [(&str, &str); 2] = [
    ("scenarios", "specs/scenarios"),
    ("regressions", "specs/regressions"),
];

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trials = vec![Trial::test(
        "scenario_format::a_malformed_file_reports_its_file_and_line",
        malformed_file_reports_its_file_and_line,
    )];
    for (prefix, dir) in CORPUS {
        let files = match scenario::files(&root.join(dir)) {
            Ok(files) => files,
            Err(error) => {
                let message = error.to_string();
                trials.push(Trial::test(format!("{prefix}::directory"), move || {
                    Err(message.into())
                }));
                continue;
            }
        };
        for path in files {
            let stem = scenario::name_of(&path);
            let loaded = scenario::load(&path).map_err(|e| e.to_string());
            let real_time = loaded.as_ref().map_or(true, has_real_time_combination);
            let for_sim = loaded.clone();
            trials.push(Trial::test(
                format!("{prefix}::{stem}::simulated"),
                move || simulated_trial(for_sim),
            ));
            trials.push(
                Trial::test(format!("{prefix}::{stem}::threaded"), move || {
                    threaded_trial(loaded)
                })
                .with_ignored_flag(!real_time),
            );
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Every (contract, mode) the reference is run in.
fn combinations() -> Vec<(ReferenceExecutor, Mode)> {
    ReferenceExecutor::all()
        .into_iter()
        .flat_map(|e| Mode::ALL.map(|m| (e.clone(), m)))
        .collect()
}

fn epsilon() -> std::time::Duration {
    RunConfig::default().epsilon
}

/// Whether some combination's ideal schedule keeps its completions ε from every due time.
fn has_real_time_combination(case: &Case) -> bool {
    combinations().iter().any(|(executor, mode)| {
        near_tie(&simulated::simulate(executor, case, *mode), epsilon()).is_none()
    })
}

fn simulated_trial(case: Result<Case, String>) -> Result<(), Failed> {
    let case = case?;
    let mut problems = Vec::new();
    // Simulated time is cheap: every contract the reference keeps, the other dimensions too.
    let every_dimension = ReferenceExecutor::every_dimension()
        .into_iter()
        .flat_map(|e| Mode::ALL.map(|m| (e.clone(), m)));
    for (executor, mode) in every_dimension {
        let run = simulated::run_case(&executor, &case, mode);
        for (property, verdict) in &run.verdicts {
            if !verdict.is_fail() {
                continue;
            }
            let line = format!(
                "{} {mode}: {} fails: {}",
                executor.contract(),
                property.label(),
                verdict.evidence
            );
            problems.push(line);
        }
    }
    report(&case, problems)
}

fn threaded_trial(case: Result<Case, String>) -> Result<(), Failed> {
    let case = case?;
    let config = RunConfig::default();
    let (mut problems, mut left_to_simulation) = (Vec::new(), Vec::new());
    for (executor, mode) in combinations() {
        let label = format!("{} {mode}", executor.contract());
        if let Some(tie) = near_tie(&simulated::simulate(&executor, &case, mode), config.epsilon) {
            left_to_simulation.push(format!("{label}: {tie}"));
            continue;
        }
        let executor: Arc<dyn CaseExecutor> = Arc::new(executor);
        let run = run_case(&executor, &case, mode, &config);
        if let Some(tie) = near_tie(&run.trace, config.epsilon) {
            left_to_simulation.push(format!("{label} (in this run): {tie}"));
            continue;
        }
        for (property, verdict) in &run.verdicts {
            let line = format!("{label}: {}: {}", property.label(), verdict.evidence);
            if verdict.verdict == VerdictKind::Inconclusive {
                // The harness itself was late (spec §5): not a verdict on the executor.
                println!("inconclusive (the harness was late): {line}");
                continue;
            }
            if !verdict.is_fail() {
                continue;
            }
            problems.push(line);
        }
    }
    for note in &left_to_simulation {
        println!("not judged in real time (ties are judged in simulation): {note}");
    }
    report(&case, problems)
}

fn report(case: &Case, problems: Vec<String>) -> Result<(), Failed> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the reference executor fails scenario {}:\n  {}",
            case.name,
            problems.join("\n  ")
        )
        .into())
    }
}

/// A scenario with a misspelt key, written to a file: loading it names the file and the line.
fn malformed_file_reports_its_file_and_line() -> Result<(), Failed> {
    let dir = std::env::temp_dir().join(format!("overtime-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path: PathBuf = dir.join("misspelt.toml");
    let text = "name = \"misspelt\"\nn_jobs = 2\ntimeout = 100\ntasks = [\n    { kind = \"sleep\", ms = 5 },\n    { kind = \"hang\", ms = 5 },\n]\n";
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    let error = scenario::load(&path).err();
    let _ = std::fs::remove_dir_all(&dir);
    let shown = error.map(|e| e.to_string()).unwrap_or_default();
    let expected = format!("{}:6:", path.display());
    if shown.starts_with(&expected) && shown.contains("task 1") && shown.contains("ms") {
        Ok(())
    } else {
        Err(format!(
            "expected an error starting {expected:?} naming task 1 and `ms`, got {shown:?}"
        )
        .into())
    }
}
