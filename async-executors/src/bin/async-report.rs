//! `async-report`: every async executor through the catalogue, in real time and in paused
//! time; writes `reports/async.md` (the matrix, the evidence of each failure, the async
//! mutants' catch table).
//!
//! ```text
//! cargo run --release -p overtime-async --bin async-report            # ~2 min
//! cargo run --release -p overtime-async --bin async-report -- --out /tmp/async.md
//! ```

use overtime_async::idioms::{BufferedTimeout, JoinSetDeadline, SpawnSemaphore, StreamTimeout};
use overtime_async::matrix::{self, Clock};
use overtime_async::mutants::{AsyncMutant, AsyncMutantExecutor};
use overtime_async::AsyncReference;
use overtime_harness::asynchronous::{AsyncExecutor, PAUSED_EPSILON};
use overtime_harness::catalogue::CATALOGUE_TIMEOUT;
use overtime_harness::{Level, Millis, Mode, Property, SuiteResult, VerdictKind, DEFAULT_EPSILON};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

/// Runs `executor` in the clocks it can be judged in.
fn both<E: AsyncExecutor + Clone>(executor: E, paused: bool) -> Vec<(Clock, SuiteResult)> {
    let mut runs = Vec::new();
    eprint!("{:<40}", executor.profile().name);
    let started = Instant::now();
    runs.push((
        Clock::RealTime,
        matrix::real_time(executor.clone(), DEFAULT_EPSILON, CATALOGUE_TIMEOUT),
    ));
    if paused {
        runs.push((Clock::Paused, matrix::paused(executor, CATALOGUE_TIMEOUT)));
    }
    eprintln!(" {:.1} s", started.elapsed().as_secs_f64());
    runs
}

fn cell(result: &SuiteResult, mode: Mode, property: Property) -> &'static str {
    if !result.profile.modes.contains(&mode) {
        return "·";
    }
    match result.result(mode, property).map(|r| r.verdict) {
        Some(VerdictKind::Pass) => "P",
        Some(VerdictKind::Fail) => "**F**",
        Some(VerdictKind::Inconclusive) => "?",
        Some(VerdictKind::NotApplicable) | None => "–",
    }
}

fn main() {
    let out = std::env::args()
        .skip_while(|a| a != "--out")
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/async.md"))
        });
    let started = Instant::now();
    let mut rows: Vec<(Clock, SuiteResult)> = Vec::new();
    for reference in AsyncReference::all() {
        rows.extend(both(reference, true));
    }
    rows.extend(both(BufferedTimeout, true));
    rows.extend(both(StreamTimeout, true));
    rows.extend(both(JoinSetDeadline, true));
    rows.extend(both(SpawnSemaphore, true));
    let mut mutants = Vec::new();
    for mutant in AsyncMutant::ALL {
        let runs = both(
            AsyncMutantExecutor::new(mutant),
            mutant.runs_in_paused_time(),
        );
        mutants.push((mutant, runs));
    }
    let mut md = String::new();
    let _ = writeln!(md, "# Async executors\n");
    let _ = writeln!(
        md,
        "Written by `cargo run --release -p overtime-async --bin async-report` in {:.0} s. Every \
         executor runs the built-in catalogue (T = {} ms) in every mode it declares: in real time \
         on a 2-worker multi-threaded tokio runtime at ε = {} ms (the runner's watchdog and \
         lateness probe, as `overtime check`), and in tokio's paused time at ε = {} ms (tokio's \
         timer resolution; every catalogue timer is on the millisecond grid, so every timeout \
         there is seen exactly at its due time by a correct executor). Paused time cannot model \
         blocking bodies: the `cpu-spin` case and the mutants whose defect blocks a thread run in \
         real time only.\n",
        started.elapsed().as_secs_f64(),
        CATALOGUE_TIMEOUT.as_millis(),
        Millis(DEFAULT_EPSILON),
        Millis(PAUSED_EPSILON)
    );
    let _ = writeln!(
        md,
        "Cells: one letter per mode (list, ordered, unordered): **P** pass, **F** fail, – not \
         applicable, · mode not offered, ? inconclusive.\n"
    );
    let _ = write!(md, "| executor | contract | clock | conforms |");
    for p in Property::ALL {
        let _ = write!(md, " {} |", p.id());
    }
    let _ = writeln!(md);
    let _ = write!(md, "|---|---|---|---|");
    for _ in Property::ALL {
        let _ = write!(md, "---|");
    }
    let _ = writeln!(md);
    let all_rows = rows
        .iter()
        .chain(mutants.iter().flat_map(|(_, runs)| runs.iter()));
    for (clock, result) in all_rows.clone() {
        let c = result.profile.contract;
        let _ = write!(
            md,
            "| {} | {}/{}{} | {} | {} |",
            result.profile.name,
            c.clock,
            c.on_timeout,
            if c.cancels_running { ", cancels" } else { "" },
            clock.as_str(),
            if result.conforms() { "yes" } else { "**no**" }
        );
        for p in Property::ALL {
            let cells: Vec<&str> = Mode::ALL.iter().map(|&m| cell(result, m, p)).collect();
            let _ = write!(md, " {} |", cells.join(" "));
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "\n## Evidence of each failure\n");
    let _ = writeln!(
        md,
        "The first failing case of each property and mode, as the checker wrote it.\n"
    );
    for (clock, result) in all_rows {
        let failures = matrix::failures(result);
        if failures.is_empty() {
            continue;
        }
        let _ = writeln!(md, "### {} — {}\n", result.profile.name, clock.as_str());
        for (level, property, mode, evidence) in failures {
            let level = if level == Level::Must {
                "MUST"
            } else {
                "SHOULD"
            };
            let _ = writeln!(md, "- {property} [{level}], {mode}: {evidence}");
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## The async mutants\n");
    let _ = writeln!(
        md,
        "| mutant | defect | clock | caught by (MUST) |\n|---|---|---|---|"
    );
    for (mutant, runs) in &mutants {
        for (clock, result) in runs {
            let caught = matrix::must_failures(result);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                mutant.name(),
                mutant.about(),
                clock.as_str(),
                if caught.is_empty() {
                    "**not caught**".to_string()
                } else {
                    caught.join("; ")
                }
            );
        }
    }
    if let Err(e) = std::fs::write(&out, &md) {
        eprintln!("cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
    eprintln!(
        "wrote {} in {:.0} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
}
