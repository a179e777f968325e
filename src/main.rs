//! `overtime`: check an executor's timeout behaviour against the spec.
//!
//! Exit codes: 0 when every MUST property passes, 1 on any violation (or an inconclusive
//! MUST verdict), 2 on a usage or configuration error.

use clap::{Parser, Subcommand};
use overtime::executors;
use overtime::generated;
use overtime::harness::{
    catalogue, report, run_suite, Case, Level, Millis, Mode, Property, RunConfig, SuiteOptions,
    SuiteResult, VerdictKind, DEFAULT_EPSILON,
};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "overtime",
    version,
    about = "Conformance harness for the timeout behaviour of parallel executors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the suite against executors and print the conformance matrix.
    Check(CheckArgs),
    /// List the known executors, the properties and the built-in cases.
    List,
    /// Run every mutant of the zoo and print the catch table.
    Zoo(ZooArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Executor to check (repeatable): a name from `overtime list`, or an external executor
    /// 'cmd:<program> [args...]' speaking specs/protocol.md.
    #[arg(long = "executor", default_value = "reference")]
    executors: Vec<String>,
    /// The tolerance ε in milliseconds [default: 20; 250 when an executor is external].
    #[arg(long)]
    epsilon_ms: Option<Millis>,
    /// The catalogue's timeout T in milliseconds; every case scales with it (0: every timeout
    /// due at once) [default: 100; 1000 when an executor is external].
    #[arg(long)]
    timeout_ms: Option<Millis>,
    /// Only these modes (repeatable): list, ordered, unordered.
    #[arg(long = "mode", value_parser = parse_mode)]
    modes: Vec<Mode>,
    /// Write the results as JSON (schema: specs/results-schema.md).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the markdown report.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Run these scenario files (or directories of them) instead of the catalogue, each at its
    /// own T (repeatable).
    #[arg(long = "scenario", value_name = "PATH")]
    scenarios: Vec<PathBuf>,
    /// After the cases, run N generated real-time calls against each executor (T = 10ε); a
    /// MUST failure is shrunk, written as a scenario file, and its replay command printed.
    #[arg(long, value_name = "N")]
    generated: Option<u32>,
    /// The seed of the generated calls (every run prints its own; the same seed generates the
    /// same calls).
    #[arg(long, requires = "generated")]
    seed: Option<u64>,
    /// Where a shrunk generated failure is written as a scenario file.
    #[arg(long, value_name = "DIR", default_value = "overtime-regressions")]
    save_dir: PathBuf,
    /// Print one line per case run.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(clap::Args)]
struct ZooArgs {
    /// The tolerance ε in milliseconds.
    #[arg(long, default_value = "20")]
    epsilon_ms: Millis,
    /// Write the catch table as markdown.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write the catch table as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::ALL
        .into_iter()
        .find(|m| m.as_str() == text)
        .ok_or_else(|| format!("unknown mode {text:?}; expected list, ordered or unordered"))
}

/// The JSON document `--json` writes (specs/results-schema.md).
#[derive(Serialize)]
struct ResultsFile<'a> {
    schema: &'static str,
    overtime_version: &'static str,
    epsilon_ms: Millis,
    executors: &'a [SuiteResult],
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            list();
            ExitCode::SUCCESS
        }
        Command::Zoo(args) => match zoo(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(message) => {
                eprintln!("overtime: {message}");
                ExitCode::from(2)
            }
        },
        Command::Check(args) => match check(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(message) => {
                eprintln!("overtime: {message}");
                ExitCode::from(2)
            }
        },
    }
}

fn list() {
    println!("executors:");
    for name in executors::names() {
        println!("  {name}");
    }
    println!("  cmd:<program> [args...]   an external executor speaking specs/protocol.md");
    println!("\nproperties:");
    for p in Property::ALL {
        let level = if p.level() == Level::Must {
            "MUST"
        } else {
            "SHOULD"
        };
        println!("  {:<26} {:<6} {}", p.label(), level, p.summary());
    }
    println!(
        "\ncases (timeout {} ms):",
        catalogue::CATALOGUE_TIMEOUT.as_millis()
    );
    for case in catalogue::catalogue() {
        println!("  {:<24} {}", case.name, case.about);
    }
}

/// Runs the check; `Ok(conforms)`, or `Err` for a usage or configuration error.
fn check(args: &CheckArgs) -> Result<bool, String> {
    let external = args.executors.iter().any(|n| executors::is_external(n));
    let (default_epsilon, default_timeout) = if external {
        (executors::EXTERNAL_EPSILON, executors::EXTERNAL_TIMEOUT)
    } else {
        (DEFAULT_EPSILON, catalogue::CATALOGUE_TIMEOUT)
    };
    let epsilon = args.epsilon_ms.map_or(default_epsilon, Duration::from);
    let timeout = args.timeout_ms.map_or(default_timeout, Duration::from);
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
    let execs = args
        .executors
        .iter()
        .map(|name| executors::open(name))
        .collect::<Result<Vec<_>, _>>()?;
    let modes = if args.modes.is_empty() {
        Mode::ALL.to_vec()
    } else {
        args.modes.clone()
    };
    let options = SuiteOptions {
        run: RunConfig::with_epsilon(epsilon),
        modes: modes.clone(),
        cases: if !args.scenarios.is_empty() {
            generated::scenario_cases(&args.scenarios)?
        } else if timeout.is_zero() {
            catalogue::catalogue()
                .into_iter()
                .map(|case| Case {
                    timeout: case
                        .timeout
                        .map(|t| if case.absolute { t } else { Duration::ZERO }),
                    ..case
                })
                .collect()
        } else {
            catalogue::catalogue_with(timeout)
        },
    };
    let mut results = Vec::new();
    for executor in &execs {
        let name = executor.declared_profile().name;
        eprint!("checking {name} ");
        let result = run_suite(executor, &options, |run| {
            if args.verbose {
                let fails: Vec<String> = run
                    .verdicts
                    .iter()
                    .filter(|(_, v)| v.verdict == VerdictKind::Fail)
                    .map(|(p, _)| p.label())
                    .collect();
                eprintln!(
                    "\n  {:<9} {:<24} retries {} {}",
                    run.mode,
                    run.case,
                    run.retries,
                    if fails.is_empty() {
                        "ok".to_string()
                    } else {
                        format!("FAIL {}", fails.join(", "))
                    }
                );
            } else {
                eprint!(".");
                let _ = std::io::stderr().flush();
            }
        });
        eprintln!(" {:.1} s", result.wall_time.as_secs_f64());
        print!("{}", report::matrix(&result, &modes));
        results.push(result);
    }
    if let Some(path) = &args.json {
        let file = ResultsFile {
            schema: "overtime-results/1",
            overtime_version: env!("CARGO_PKG_VERSION"),
            epsilon_ms: Millis(epsilon),
            executors: &results,
        };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| format!("cannot serialize results: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, report::markdown(&results, &invoked_as()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut found = 0;
    if let Some(calls) = args.generated {
        for (executor, arg) in execs.iter().zip(&args.executors) {
            match generated::run(
                executor,
                arg,
                &modes,
                epsilon,
                calls,
                args.seed,
                &args.save_dir,
            )? {
                generated::Generated::Passed(tally) => println!("generated workloads: {tally}"),
                generated::Generated::Found {
                    summary,
                    file,
                    replay,
                } => {
                    found += 1;
                    println!("{summary}");
                    println!("wrote {}; replay it with:\n  {replay}", file.display());
                }
            }
        }
    }
    let conforms = results.iter().all(SuiteResult::conforms) && found == 0;
    let failures: usize = results.iter().map(|r| r.must_failures().len()).sum();
    let inconclusive = results
        .iter()
        .flat_map(|r| &r.results)
        .filter(|r| r.level == Level::Must && r.verdict == VerdictKind::Inconclusive)
        .count();
    if conforms && inconclusive == 0 {
        println!("conforms: every MUST property passes");
        Ok(true)
    } else {
        println!(
            "does not conform: {failures} MUST violation(s), {inconclusive} inconclusive MUST \
             verdict(s){}",
            if found > 0 {
                format!(", {found} generated workload(s) failing")
            } else {
                String::new()
            }
        );
        Ok(false)
    }
}

/// Runs the zoo; `Ok(true)` when every mutant was caught.
fn zoo(args: &ZooArgs) -> Result<bool, String> {
    let options = SuiteOptions {
        run: RunConfig::with_epsilon(args.epsilon_ms.into()),
        ..SuiteOptions::default()
    };
    let mut catches = Vec::new();
    for mutant in overtime::mutants::Mutant::ALL {
        eprint!("{:<28}", mutant.name());
        let (catch, _) = overtime::zoo::catch_real_time(mutant, &options);
        eprintln!(
            "{}",
            if catch.caught() {
                format!(
                    "caught by {}",
                    catch
                        .caught_by
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                "NOT CAUGHT".to_string()
            }
        );
        catches.push(catch);
        if let Some(catch) = overtime::zoo::catch_simulated(mutant, &options.cases) {
            eprintln!(
                "{:<28}{} (simulated)",
                "",
                if catch.caught() {
                    "caught"
                } else {
                    "NOT CAUGHT"
                }
            );
            catches.push(catch);
        }
    }
    let table = overtime::zoo::markdown(&catches, &invoked_as(), args.epsilon_ms);
    print!("{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &table)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&catches)
            .map_err(|e| format!("cannot serialize the catch table: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(catches.iter().all(|c| c.caught()))
}

/// The command line as typed, with the binary's path shortened to `overtime`.
fn invoked_as() -> String {
    let mut args = std::env::args();
    let _binary = args.next();
    std::iter::once("overtime".to_string())
        .chain(args.map(|a| shell_words::quote(&a).into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}
