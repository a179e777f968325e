//! The `overtime` command: argument parsing and one module per subcommand. Every subcommand
//! that judges (check, merge) ends in [`gate`], which writes the outputs and decides the exit
//! code.

mod adapter_test;
mod check;
mod gate;
mod guards;
pub(crate) mod interrupt;
mod list;
mod merge;
mod numbers;
mod stress;
mod writable;
mod zoo;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The exit codes, as `overtime --help` shows them and the README documents them.
const EXIT_CODES: &str = "\
Exit codes (check and merge):
  0  every MUST property passes in every mode of every executor; with --baseline: nothing
     got worse than the baseline (no new FAIL, no PASS -> FAIL, lateness within tolerance)
  1  a MUST property fails; with --baseline: something got worse, and the report names it
  2  a usage or configuration error: a bad option, an executor that does not start, an
     unreadable or incomparable baseline, shards that do not make a whole run, an output
     that cannot be written (every output path is checked before the run; a write that still
     fails at the end is reported after the verdict line, and exits 2 only if the run passed:
     a failing run keeps its 1)
  3  no MUST property fails, but a MUST verdict is inconclusive: the harness itself was
     late, or a failure was within the run's measured timing noise (the guard band), on every
     attempt; the run says nothing either way (re-run on a quieter machine, or raise
     --epsilon-ms)
  130 interrupted (SIGINT, SIGTERM, or SIGHUP unless it was ignored at start, as nohup
     does): the running case was abandoned, every adapter's process group was killed and
     reaped, the matrix of the case runs that finished was printed, and the outputs (--json …)
     were written from them, the JSON marked \"interrupted\"
  141 standard output was closed (e.g. `overtime check | head -1`): the run stopped as on
     SIGTERM, with the same partial outputs";

#[derive(Parser)]
#[command(
    name = "overtime",
    version,
    about = "Conformance harness for the timeout behaviour of parallel executors",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the suite against executors and print the conformance matrix.
    #[command(after_help = EXIT_CODES)]
    Check(check::CheckArgs),
    /// Merge results files (the shards of one run, or runs of different executors) into the
    /// reports a single run would have given.
    #[command(after_help = EXIT_CODES)]
    Merge(merge::MergeArgs),
    /// List the known executors, the properties and the built-in cases.
    List,
    /// Run every mutant of the zoo and print the catch table.
    Zoo(zoo::ZooArgs),
    /// Self-test an external adapter's protocol handling (hello, clock, a call per mode,
    /// release, exit on stdin EOF, strict errors) before judging it; exit 0 if every check
    /// passes, 1 if one fails, 2 for a usage error.
    AdapterTest(adapter_test::AdapterTestArgs),
    /// The reliability campaign: real-time runs of conforming executors under CPU
    /// oversubscription, hostile adapters, malformed protocol lines and scenario files; writes
    /// reports/reliability.md and exits 1 on any false failure, panic, hang or leak.
    Stress(stress::StressArgs),
}

/// How a judging subcommand ended, as its exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Exit 0.
    Passes,
    /// Exit 1.
    Fails,
    /// Exit 3: nothing fails, but some MUST verdict could not be judged.
    Inconclusive,
}

/// The exit code of a run whose only problem is inconclusive verdicts.
pub const EXIT_INCONCLUSIVE: u8 = 3;

impl From<bool> for Ending {
    fn from(passes: bool) -> Ending {
        if passes {
            Ending::Passes
        } else {
            Ending::Fails
        }
    }
}

/// Runs the command line; the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::List => {
            list::list();
            Ok(Ending::Passes)
        }
        Command::Zoo(args) => zoo::zoo(&args).map(Ending::from),
        Command::Check(args) => check::check(&args),
        Command::Merge(args) => merge::merge(&args),
        Command::AdapterTest(args) => adapter_test::adapter_test(&args).map(Ending::from),
        Command::Stress(args) => stress::stress(&args).map(Ending::from),
    };
    if interrupt::interrupted() {
        if let Err(message) = outcome {
            eprintln!("overtime: {message}");
        }
        return ExitCode::from(interrupt::exit_code());
    }
    match outcome {
        Ok(Ending::Passes) => ExitCode::SUCCESS,
        Ok(Ending::Fails) => ExitCode::from(1),
        Ok(Ending::Inconclusive) => ExitCode::from(EXIT_INCONCLUSIVE),
        Err(message) => {
            eprintln!("overtime: {message}");
            ExitCode::from(2)
        }
    }
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
