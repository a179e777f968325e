//! `overtime zoo`: every mutant through the suite, and the catch table.

use super::invoked_as;
use super::writable;
use crate::cli::interrupt::out;
use crate::outputs::html;
use crate::zoo::{self, Catch};
use overtime_harness::{Millis, RunConfig, SuiteOptions};
use overtime_mutants::Mutant;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ZooArgs {
    /// The tolerance ε in milliseconds.
    #[arg(long, default_value = "20", allow_negative_numbers = true)]
    epsilon_ms: Millis,
    /// Write the catch table as markdown.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write the catch table as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the HTML report of the mutants' real-time runs into this directory: every
    /// failing case's timeline, per mutant.
    #[arg(long)]
    html: Option<PathBuf>,
}

/// Runs the zoo; `Ok(true)` when every mutant was caught.
pub fn zoo(args: &ZooArgs) -> Result<bool, String> {
    for (option, path) in [("--markdown", &args.markdown), ("--json", &args.json)] {
        if let Some(path) = path {
            writable::file(option, path)?;
        }
    }
    if let Some(dir) = &args.html {
        writable::directory("--html", dir, true)?;
    }
    let options = SuiteOptions {
        run: RunConfig::with_epsilon(args.epsilon_ms.into()),
        ..SuiteOptions::default()
    };
    let mut catches = Vec::new();
    let mut suites = Vec::new();
    for mutant in Mutant::ALL {
        eprint!("{:<28}", mutant.name());
        let (catch, suite) = zoo::catch_real_time(mutant, &options);
        eprintln!("{}", caught(&catch, ""));
        catches.push(catch);
        suites.push(suite);
        if let Some(catch) = zoo::catch_simulated(mutant, &options.cases) {
            eprintln!("{:<28}{}", "", caught(&catch, " (simulated)"));
            catches.push(catch);
        }
    }
    let command = invoked_as();
    let table = zoo::markdown(&catches, &command, args.epsilon_ms);
    out!("{table}");
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
    if let Some(dir) = &args.html {
        html::write(dir, &suites, None, &command)?;
    }
    Ok(catches.iter().all(Catch::caught))
}

fn caught(catch: &Catch, driver: &str) -> String {
    if catch.caught() {
        let by: Vec<&str> = catch.caught_by.keys().map(String::as_str).collect();
        format!("caught by {}{driver}", by.join(", "))
    } else {
        format!("NOT CAUGHT{driver}")
    }
}
