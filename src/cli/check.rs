//! `overtime check`: run the suite against executors (all of the work, or one shard of it),
//! show progress, print the matrix, and hand the results to the gate.

use super::gate::{Gate, OutputArgs};
use super::guards;
use super::interrupt;
use super::numbers;
use super::writable;
use super::{invoked_as, Ending};
use crate::cli::interrupt::{out, outln};
use crate::executors;
use crate::generated;
use crate::outputs::{ResultsFile, RunPlan};
use crate::progress::{Progress, Style};
use crate::shard::{self, Shard};
use overtime_harness::{
    catalogue, fold, report, run_case_unless, Case, Millis, Mode, Ms, RunConfig, DEFAULT_EPSILON,
};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Executor to check (repeatable): a name from `overtime list`, or an external executor
    /// 'cmd:<program> [args...]' speaking specs/protocol.md.
    #[arg(long = "executor", default_value = "reference")]
    executors: Vec<String>,
    /// The tolerance ε in milliseconds [default: 20; 250 when an executor is external].
    #[arg(long, allow_negative_numbers = true)]
    epsilon_ms: Option<Millis>,
    /// The catalogue's timeout T in milliseconds; every case scales with it (0: every timeout
    /// due at once) [default: 100; 1000 when an executor is external].
    #[arg(long, allow_negative_numbers = true)]
    timeout_ms: Option<Millis>,
    /// How long an external executor's adapter may take at the end of each case, once released
    /// and its stdin closed, to shut its executor down and exit, before SIGTERM then SIGKILL
    /// (specs/protocol.md §6) [default: 2000; at most 60000].
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    teardown_grace_ms: Option<Millis>,
    /// Only these modes (repeatable): list, ordered, unordered.
    #[arg(long = "mode", value_parser = parse_mode)]
    modes: Vec<Mode>,
    /// Only these cases (repeatable; `overtime list` names the catalogue's).
    #[arg(long = "case")]
    cases: Vec<String>,
    /// Run these scenario files (or directories of them) instead of the catalogue, each at its
    /// own T (repeatable).
    #[arg(long = "scenario", value_name = "PATH")]
    scenarios: Vec<std::path::PathBuf>,
    /// After the cases, run N generated real-time calls against each executor (T = 10ε); a
    /// MUST failure is shrunk, written as a scenario file, and its replay command printed.
    #[arg(long, value_name = "N", conflicts_with = "shard", allow_negative_numbers = true,
          value_parser = numbers::whole::<u32>)]
    generated: Option<u32>,
    /// The seed of the generated calls (every run prints its own; the same seed generates the
    /// same calls).
    #[arg(long, requires = "generated", allow_negative_numbers = true,
          value_parser = numbers::whole::<u64>)]
    seed: Option<u64>,
    /// Where a shrunk generated failure is written as a scenario file.
    #[arg(long, value_name = "DIR", default_value = "overtime-regressions")]
    save_dir: std::path::PathBuf,
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

/// Runs the check; `Ok` with the gate's verdict, or `Err` for a usage or configuration error.
pub fn check(args: &CheckArgs) -> Result<Ending, String> {
    let external = args.executors.iter().any(|n| executors::is_external(n));
    let (default_epsilon, default_timeout) = if external {
        (executors::EXTERNAL_EPSILON, executors::EXTERNAL_TIMEOUT)
    } else {
        (DEFAULT_EPSILON, catalogue::CATALOGUE_TIMEOUT)
    };
    let epsilon = args.epsilon_ms.map_or(default_epsilon, Duration::from);
    let timeout = args.timeout_ms.map_or(default_timeout, Duration::from);
    let catalogue = args.scenarios.is_empty();
    guards::check_epsilon(epsilon, Some(timeout).filter(|_| catalogue))?;
    let teardown_grace = args.teardown_grace_ms.map(Duration::from);
    guards::check_teardown_grace(teardown_grace)?;
    let wake_up = guards::wake_up_lateness();
    if wake_up > epsilon / 2 {
        eprintln!(
            "warning: ε/2 = {} is below this machine's wake-up lateness right now ({}: a 1 ms \
             sleep overshoots that much): a case during which the harness wakes later than ε/2 \
             is retried, then inconclusive, so expect inconclusive verdicts; raise --epsilon-ms",
            Ms(epsilon / 2),
            Ms(wake_up)
        );
    }
    let too_small = guards::t_too_small(timeout, wake_up).filter(|_| catalogue);
    if let Some(why) = &too_small {
        eprintln!(
            "warning: {why}; every failure of the catalogue's scaled cases will be marked \
             \"too small to judge\"; use --timeout-ms {} or more for verdicts about the executor",
            Millis(guards::MIN_REAL_TIME_T)
        );
    }
    if timeout.is_zero() {
        eprintln!(
            "note: T = 0: every timeout of the catalogue is due at once (its durations keep \
             their default scale)"
        );
    } else if epsilon > timeout / 2 {
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
    if args.generated.is_some() {
        let mut places = args.outputs.places();
        places.push(("--save-dir", &args.save_dir));
        writable::distinct(&places)?;
    }
    let gate = Gate::prepare(&args.outputs)?;
    if args.generated.is_some() {
        writable::directory("--save-dir", &args.save_dir, false)?;
    }
    gate.expect_run(Millis(epsilon), Millis(timeout))?;
    let modes = if args.modes.is_empty() {
        Mode::ALL.to_vec()
    } else {
        guards::once("--mode", &args.modes)
    };
    let from = if args.scenarios.is_empty() {
        "a catalogue case; `overtime list` shows them"
    } else {
        "a case of the --scenario files"
    };
    let case_names = guards::once("--case", &args.cases);
    let cases = select_cases(cases_to_run(args, timeout)?, &case_names, from)?;
    let executor_names = guards::once("--executor", &args.executors);
    interrupt::install()?;
    let progress = Progress::new(Style::from_environment(), args.verbose);
    let mut execs = Vec::new();
    for name in &executor_names {
        progress.opening(name);
        let opened = executors::open(name, Some(progress.heartbeat()), teardown_grace);
        progress.opened();
        match opened {
            Ok(executor) => execs.push(executor),
            // The signal ended the adapter during its handshake: that is not its error.
            Err(_) if interrupt::interrupted() => break,
            Err(e) => return Err(e),
        }
    }
    let profiles: Vec<_> = execs.iter().map(|e| e.declared_profile()).collect();
    if !interrupt::interrupted() {
        unique_names(&executor_names, &profiles)?;
    }
    let work = shard::select(shard::plan(&profiles, &modes, cases.len()), args.shard);
    let config = RunConfig::with_epsilon(epsilon);
    let mut results = Vec::new();
    let mut finished_runs = 0;
    let mut abandoned = None;
    for (index, (executor, profile)) in execs.iter().zip(profiles).enumerate() {
        if interrupt::interrupted() {
            break;
        }
        let mine: Vec<_> = work.iter().filter(|w| w.executor == index).collect();
        let mut shown = progress.executor(&profile.name, mine.len());
        let started = Instant::now();
        let mut runs = Vec::new();
        for item in mine {
            if interrupt::interrupted() {
                break;
            }
            let case = &cases[item.case];
            shown.case_started(item.mode, &case.name);
            let began = Instant::now();
            let run = run_case_unless(executor, case, item.mode, &config, &interrupt::interrupted);
            let mut run = match run {
                Ok(run) if !interrupt::interrupted() => run,
                // Given up, or its adapter killed under it: what it recorded is the interrupt's.
                _ => {
                    abandoned = Some(format!("case {} in {} mode", case.name, item.mode));
                    break;
                }
            };
            if too_small.is_some() && !case.absolute {
                guards::mark_too_small(&mut run, timeout);
            }
            shown.case_finished(&run, began.elapsed());
            runs.push(run);
        }
        finished_runs += runs.len();
        shown.finish();
        let result = fold(profile, &modes, epsilon, runs, started.elapsed());
        out!("{}", report::matrix(&result, &modes));
        results.push(result);
    }
    if let Some(shard) = args.shard {
        outln!(
            "shard {shard}: these verdicts cover a part of the run; `overtime merge` the \
             shards' JSON files for the whole"
        );
    }
    let plan = RunPlan {
        timeout_ms: Millis(timeout),
        modes: modes.clone(),
        cases: cases.iter().map(|c| c.name.clone()).collect(),
        shard: args.shard,
    };
    let mut doc = ResultsFile::new(Millis(epsilon), plan, results);
    if interrupt::interrupted() {
        let abandoned = abandoned
            .map(|case| format!(" ({case} was abandoned unjudged)"))
            .unwrap_or_default();
        let why = format!(
            "interrupted after {finished_runs} of {} case run(s){abandoned}; the matrices cover \
             only those",
            work.len()
        );
        doc.interrupted = Some(why.clone());
        gate.write_partial(&doc, &invoked_as());
        outln!("{why}: no verdict on the whole run");
        return Ok(Ending::Fails);
    }
    let found = match args.generated {
        Some(calls) => run_generated(args, &executor_names, &execs, &modes, epsilon, calls)?,
        None => 0,
    };
    if interrupt::interrupted() {
        // During the generated workloads: every case run finished, but the run did not.
        let why = "interrupted during the generated workloads; the matrices cover every case \
                   run, no generated workload was judged after the signal"
            .to_string();
        doc.interrupted = Some(why.clone());
        gate.write_partial(&doc, &invoked_as());
        outln!("{why}: no verdict on the whole run");
        return Ok(Ending::Fails);
    }
    let gated = gate.finish(&doc, &invoked_as());
    if let (Some(why), Ok(Ending::Fails)) = (&too_small, &gated) {
        outln!(
            "note: {why}; re-run at --timeout-ms {} or more",
            Millis(guards::MIN_REAL_TIME_T)
        );
    }
    if found == 0 {
        return gated;
    }
    outln!(
        "does not conform: {found} generated workload(s) failing; the scenario files above \
         replay them"
    );
    // A write error does not turn this failure into a usage error: it is reported, and the
    // exit code stays the failure's.
    if let Err(e) = gated {
        eprintln!("overtime: {e}");
    }
    Ok(Ending::Fails)
}

/// The cases of the run: the scenario files given, else the catalogue at T — at T = 0 every
/// timeout is 0 but the boundary cases', which keep their absolute T, and the durations keep
/// their default scale.
fn cases_to_run(args: &CheckArgs, timeout: Duration) -> Result<Vec<Case>, String> {
    if !args.scenarios.is_empty() {
        return generated::scenario_cases(&args.scenarios);
    }
    if !timeout.is_zero() {
        return Ok(catalogue::catalogue_with(timeout));
    }
    Ok(catalogue::catalogue()
        .into_iter()
        .map(|case| Case {
            timeout: case
                .timeout
                .map(|t| if case.absolute { t } else { Duration::ZERO }),
            ..case
        })
        .collect())
}

/// `--generated N`: N generated real-time calls against each executor; how many executors
/// had a MUST failure (each shrunk, written and its replay command printed).
fn run_generated(
    args: &CheckArgs,
    names: &[String],
    execs: &[std::sync::Arc<dyn overtime_harness::CaseExecutor>],
    modes: &[Mode],
    epsilon: Duration,
    calls: u32,
) -> Result<usize, String> {
    let mut found = 0;
    for (executor, arg) in execs.iter().zip(names) {
        if interrupt::interrupted() {
            break;
        }
        match generated::run(
            executor,
            arg,
            modes,
            epsilon,
            &generated::campaign(calls, args.seed),
            &args.save_dir,
            interrupt::interrupted,
        )? {
            generated::Generated::Passed(tally) => outln!("generated workloads: {tally}"),
            generated::Generated::Found {
                summary,
                file,
                replay,
            } => {
                found += 1;
                outln!("{summary}");
                outln!("wrote {}; replay it with:\n  {replay}", file.display());
            }
            generated::Generated::Interrupted => break,
        }
    }
    Ok(found)
}

/// Refuses two executors that report the same name: their matrices would be titled alike,
/// and `--baseline` and `merge` match executors by name.
fn unique_names(args: &[String], profiles: &[overtime_harness::Profile]) -> Result<(), String> {
    for (i, profile) in profiles.iter().enumerate() {
        if let Some(j) = profiles[..i].iter().position(|p| p.name == profile.name) {
            return Err(format!(
                "--executor {} and --executor {} both report the name {:?}: their results could \
                 not be told apart (a baseline and `overtime merge` match executors by name); \
                 check them in separate runs, or give one adapter another name in its hello",
                shell_words::quote(&args[j]),
                shell_words::quote(&args[i]),
                profile.name
            ));
        }
    }
    Ok(())
}

/// The cases named by `--case`, in their order (all of them when none is); `from` says where
/// the names come from.
fn select_cases(all: Vec<Case>, names: &[String], from: &str) -> Result<Vec<Case>, String> {
    if let Some(unknown) = names.iter().find(|n| !all.iter().any(|c| &c.name == *n)) {
        let known: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "--case {unknown:?} is not {from}: {}",
            known.join(", ")
        ));
    }
    Ok(all
        .into_iter()
        .filter(|c| names.is_empty() || names.contains(&c.name))
        .collect())
}
