//! `overtime check`: run the suite against executors (all of the work, or one shard of it),
//! show progress, print the matrix, and hand the results to the gate.

use super::gate::{Gate, OutputArgs};
use super::invoked_as;
use crate::executors;
use crate::outputs::{ResultsFile, RunPlan};
use crate::progress::{Progress, Style};
use crate::shard::{self, Shard};
use overtime_harness::{
    catalogue, fold, report, run_case, Case, Millis, Mode, RunConfig, DEFAULT_EPSILON,
};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Executor to check (repeatable): a name from `overtime list`, or an external executor
    /// 'cmd:<program> [args...]' speaking specs/protocol.md.
    #[arg(long = "executor", default_value = "reference")]
    executors: Vec<String>,
    /// The tolerance ε in milliseconds [default: 20; 250 when an executor is external].
    #[arg(long)]
    epsilon_ms: Option<Millis>,
    /// The catalogue's timeout T in milliseconds; every case scales with it [default: 100;
    /// 500 when an executor is external].
    #[arg(long)]
    timeout_ms: Option<Millis>,
    /// Only these modes (repeatable): list, ordered, unordered.
    #[arg(long = "mode", value_parser = parse_mode)]
    modes: Vec<Mode>,
    /// Only these catalogue cases (repeatable; `overtime list` names them).
    #[arg(long = "case")]
    cases: Vec<String>,
    /// Run only shard K of N of the work (executors × modes × cases, dealt round-robin);
    /// `overtime merge` puts the shards' --json files back together.
    #[arg(long)]
    shard: Option<Shard>,
    #[command(flatten)]
    outputs: OutputArgs,
    /// Print one line per case run, also on a terminal (without a terminal, or under CI,
    /// that is the default).
    #[arg(long, short)]
    verbose: bool,
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::ALL
        .into_iter()
        .find(|m| m.as_str() == text)
        .ok_or_else(|| format!("unknown mode {text:?}; expected list, ordered or unordered"))
}

/// Runs the check; `Ok(passes)` for the gate's verdict, or `Err` for a usage or
/// configuration error.
pub fn check(args: &CheckArgs) -> Result<bool, String> {
    let external = args.executors.iter().any(|n| executors::is_external(n));
    let (default_epsilon, default_timeout) = if external {
        (executors::EXTERNAL_EPSILON, executors::EXTERNAL_TIMEOUT)
    } else {
        (DEFAULT_EPSILON, catalogue::CATALOGUE_TIMEOUT)
    };
    let epsilon = args.epsilon_ms.map_or(default_epsilon, Duration::from);
    let timeout = args.timeout_ms.map_or(default_timeout, Duration::from);
    if timeout.is_zero() {
        return Err("--timeout-ms must be a number > 0, got 0".into());
    }
    if epsilon > timeout / 2 {
        eprintln!(
            "warning: ε {} ms is more than T/2 = {} ms: some catalogue tasks end within \
             ε of a due time, so a late executor may pass; raise --timeout-ms",
            Millis(epsilon),
            Millis(timeout / 2)
        );
    }
    if args.shard.is_some() && args.outputs.json.is_none() {
        return Err(
            "--shard needs --json PATH: a shard's results are only a part, for `overtime merge`"
                .into(),
        );
    }
    let gate = Gate::prepare(&args.outputs)?;
    gate.expect_run(Millis(epsilon), Millis(timeout))?;
    let modes = if args.modes.is_empty() {
        Mode::ALL.to_vec()
    } else {
        args.modes.clone()
    };
    let cases = select_cases(catalogue::catalogue_with(timeout), &args.cases)?;
    let progress = Progress::new(Style::from_environment(), args.verbose);
    let mut execs = Vec::new();
    for name in &args.executors {
        progress.opening(name);
        let opened = executors::open(name, Some(progress.heartbeat()));
        progress.opened();
        execs.push(opened?);
    }
    let profiles: Vec<_> = execs.iter().map(|e| e.declared_profile()).collect();
    let work = shard::select(shard::plan(&profiles, &modes, cases.len()), args.shard);
    let config = RunConfig::with_epsilon(epsilon);
    let mut results = Vec::new();
    for (index, (executor, profile)) in execs.iter().zip(profiles).enumerate() {
        let mine: Vec<_> = work.iter().filter(|w| w.executor == index).collect();
        let mut shown = progress.executor(&profile.name, mine.len());
        let started = Instant::now();
        let mut runs = Vec::new();
        for item in mine {
            let case = &cases[item.case];
            shown.case_started(item.mode, &case.name);
            let began = Instant::now();
            let run = run_case(executor, case, item.mode, &config);
            shown.case_finished(&run, began.elapsed());
            runs.push(run);
        }
        shown.finish();
        let result = fold(profile, &modes, epsilon, runs, started.elapsed());
        print!("{}", report::matrix(&result, &modes));
        results.push(result);
    }
    if let Some(shard) = args.shard {
        println!(
            "shard {shard}: these verdicts cover a part of the run; `overtime merge` the \
             shards' JSON files for the whole"
        );
    }
    let plan = RunPlan {
        timeout_ms: Millis(timeout),
        modes,
        cases: cases.iter().map(|c| c.name.clone()).collect(),
        shard: args.shard,
    };
    let doc = ResultsFile::new(Millis(epsilon), plan, results);
    gate.finish(&doc, &invoked_as())
}

/// The catalogue's cases named by `--case`, in catalogue order (all of them when none is).
fn select_cases(all: Vec<Case>, names: &[String]) -> Result<Vec<Case>, String> {
    if let Some(unknown) = names.iter().find(|n| !all.iter().any(|c| &c.name == *n)) {
        let known: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "--case {unknown:?} is not a catalogue case; `overtime list` shows them: {}",
            known.join(", ")
        ));
    }
    Ok(all
        .into_iter()
        .filter(|c| names.is_empty() || names.contains(&c.name))
        .collect())
}
