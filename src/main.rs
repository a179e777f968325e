//! `overtime`: check an executor's timeout behaviour against the spec.
//!
//! Exit codes: 0 when every MUST property passes, 1 on any violation (or an inconclusive
//! MUST verdict), 2 on a usage or configuration error.

use clap::{Parser, Subcommand};
use overtime::executors;
use overtime::harness::conformance::{run_suite, SuiteOptions, SuiteResult};
use overtime::harness::properties::{Level, Property, VerdictKind};
use overtime::harness::report;
use overtime::harness::runner::RunConfig;
use overtime::harness::{catalogue, Mode};
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
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Executor to check (repeatable); see `overtime list`.
    #[arg(long = "executor", default_value = "reference")]
    executors: Vec<String>,
    /// The tolerance ε in milliseconds.
    #[arg(long, default_value_t = 50.0)]
    epsilon_ms: f64,
    /// Only these modes (repeatable): list, ordered, unordered.
    #[arg(long = "mode", value_parser = parse_mode)]
    modes: Vec<Mode>,
    /// Write the results as JSON (schema: specs/results-schema.md).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the markdown report.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Print one line per case run.
    #[arg(long, short)]
    verbose: bool,
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
    epsilon_ms: f64,
    executors: &'a [SuiteResult],
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            list();
            ExitCode::SUCCESS
        }
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
    if !(args.epsilon_ms.is_finite() && args.epsilon_ms >= 0.0) {
        return Err(format!(
            "--epsilon-ms must be a number >= 0, got {}",
            args.epsilon_ms
        ));
    }
    let execs = args
        .executors
        .iter()
        .map(|name| executors::by_name(name).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let modes = if args.modes.is_empty() {
        Mode::ALL.to_vec()
    } else {
        args.modes.clone()
    };
    let options = SuiteOptions {
        run: RunConfig {
            epsilon: Duration::from_secs_f64(args.epsilon_ms / 1e3),
            ..RunConfig::default()
        },
        modes: modes.clone(),
        ..SuiteOptions::default()
    };
    let mut results = Vec::new();
    for executor in &execs {
        let name = executor.profile().name;
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
        eprintln!(" {:.1} s", result.wall_time_ms / 1e3);
        print!("{}", report::matrix(&result, &modes));
        results.push(result);
    }
    if let Some(path) = &args.json {
        let file = ResultsFile {
            schema: "overtime-results/1",
            overtime_version: env!("CARGO_PKG_VERSION"),
            epsilon_ms: args.epsilon_ms,
            executors: &results,
        };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| format!("cannot serialize results: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        let command = std::env::args().collect::<Vec<_>>().join(" ");
        let command = command.replacen(&std::env::args().next().unwrap_or_default(), "overtime", 1);
        std::fs::write(path, report::markdown(&results, &command))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let conforms = results.iter().all(SuiteResult::conforms);
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
        println!("does not conform: {failures} MUST violation(s), {inconclusive} inconclusive MUST verdict(s)");
        Ok(false)
    }
}
