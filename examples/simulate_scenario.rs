//! Prints the simulated trace and the verdicts (ε = 0) of one scenario file on the reference
//! executor: the quickest way to read what a scenario or a shrunk failure does.
//!
//! ```text
//! cargo run --example simulate_scenario -- specs/scenarios/joblib-1586.toml
//! cargo run --example simulate_scenario -- FILE task_runtime/per_task unordered
//! ```
//!
//! The contract defaults to the reference's (task_runtime/abort); the mode to all three.

use overtime::harness::{scenario, Contract, Mode, OnTimeout, TimeoutClock};
use overtime::reference::{simulated, ReferenceExecutor};
use std::path::Path;
use std::process::ExitCode;

#[path = "../tests/common/mod.rs"]
mod common;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: simulate_scenario FILE [CLOCK/ON_TIMEOUT] [MODE]");
        return ExitCode::from(2);
    };
    let case = match scenario::load(Path::new(file)) {
        Ok(case) => case,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let contract = match args.get(1) {
        None => ReferenceExecutor::DEFAULT_CONTRACT,
        Some(text) => {
            let parsed = text.split_once('/').and_then(|(clock, on_timeout)| {
                Some(Contract {
                    clock: TimeoutClock::ALL
                        .into_iter()
                        .find(|c| c.as_str() == clock)?,
                    on_timeout: OnTimeout::ALL
                        .into_iter()
                        .find(|o| o.as_str() == on_timeout)?,
                    cancels_running: true,
                    ..Contract::default()
                })
            });
            match parsed {
                Some(contract) => contract,
                None => {
                    eprintln!("{text:?} is not CLOCK/ON_TIMEOUT, e.g. task_runtime/per_task");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let modes: Vec<Mode> = match args.get(2) {
        None => Mode::ALL.to_vec(),
        Some(text) => match Mode::ALL.into_iter().find(|m| m.as_str() == text) {
            Some(mode) => vec![mode],
            None => {
                eprintln!("{text:?} is not a mode: list, ordered or unordered");
                return ExitCode::from(2);
            }
        },
    };
    let executor = ReferenceExecutor::new(contract);
    for mode in modes {
        let run = simulated::run_case(&executor, &case, mode);
        println!("== {} ({contract}), {mode} mode", case.name);
        print!("{}", common::render_trace(&run.trace));
        println!("verdicts at ε = 0:");
        print!("{}", common::render_verdicts(&run));
        println!();
    }
    ExitCode::SUCCESS
}
