//! `overtime stress`: the reliability campaign ([`crate::stress`]), written as a markdown
//! report; exits 1 on any false failure, panic, hang or leak.

use super::invoked_as;
use super::numbers;
use crate::cli::interrupt::outln;
use crate::stress::{self, Plan};
use overtime_harness::{Millis, DEFAULT_EPSILON};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args)]
pub struct StressArgs {
    /// Real-time case runs of the executors under CPU oversubscription.
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true,
          value_parser = numbers::whole::<usize>)]
    runs: usize,
    /// Executors of the real-time part (repeatable); they must conform.
    #[arg(long = "executor", default_values_t = ["reference".to_string(), "rayon".to_string()])]
    executors: Vec<String>,
    /// The catalogue's timeout T in milliseconds.
    #[arg(long, default_value = "100", allow_negative_numbers = true)]
    timeout_ms: Millis,
    /// The tolerance ε in milliseconds [default: 20].
    #[arg(long, allow_negative_numbers = true)]
    epsilon_ms: Option<Millis>,
    /// Real-time case runs at once.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true,
          value_parser = numbers::whole::<usize>)]
    lanes: usize,
    /// Busy-looping burner threads [default: one per core].
    #[arg(long, allow_negative_numbers = true, value_parser = numbers::whole::<usize>)]
    burners: Option<usize>,
    /// Case runs of hostile adapters (fake_adapter.py's scenarios, in turn).
    #[arg(long, default_value_t = 1_000, allow_negative_numbers = true,
          value_parser = numbers::whole::<usize>)]
    hostile: usize,
    /// The fake adapter's command, before its scenario and marker arguments.
    #[arg(long, default_value = "python3 adapters/python/fake_adapter.py")]
    adapter: String,
    /// Seconds one hostile run may take before it counts as a harness hang.
    #[arg(long, default_value_t = 60, allow_negative_numbers = true,
          value_parser = numbers::whole::<u64>)]
    watchdog_s: u64,
    /// Malformed protocol lines, and as many malformed scenario files.
    #[arg(long, default_value_t = 100_000, allow_negative_numbers = true,
          value_parser = numbers::whole::<usize>)]
    malformed: usize,
    /// The seed of the malformed inputs.
    #[arg(long, default_value_t = 14, allow_negative_numbers = true,
          value_parser = numbers::whole::<u64>)]
    seed: u64,
    /// Where the report is written.
    #[arg(long, default_value = "reports/reliability.md")]
    out: PathBuf,
}

/// Runs the campaign; `Ok(true)` when it found no false failure, panic, hang or leak.
pub fn stress(args: &StressArgs) -> Result<bool, String> {
    let adapter = shell_words::split(&args.adapter).map_err(|e| {
        format!(
            "--adapter {:?}: cannot split the command: {e}",
            args.adapter
        )
    })?;
    if adapter.is_empty() {
        return Err("--adapter: no program".into());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let plan = Plan {
        runs: args.runs,
        executors: args.executors.clone(),
        timeout: Duration::from(args.timeout_ms),
        epsilon: args.epsilon_ms.map_or(DEFAULT_EPSILON, Duration::from),
        lanes: args.lanes.max(1),
        burners: args.burners.unwrap_or(cores),
        hostile: args.hostile,
        adapter,
        watchdog: Duration::from_secs(args.watchdog_s),
        malformed: args.malformed,
        seed: args.seed,
    };
    super::writable::file("--out", &args.out)?;
    let campaign = stress::run(&plan)?;
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let report = campaign.markdown(&plan, &invoked_as(), &date);
    std::fs::write(&args.out, report)
        .map_err(|e| format!("--out: cannot write {}: {e}", args.out.display()))?;
    outln!("wrote {}", args.out.display());
    let problems = campaign.problems();
    outln!(
        "inconclusive: {} of {} real-time runs ({:.2} %)",
        campaign.real_time.inconclusive,
        campaign.real_time.runs,
        100.0 * campaign.inconclusive_rate()
    );
    if problems.is_empty() {
        outln!("reliable: no false failure, panic, hang or leak");
        Ok(true)
    } else {
        outln!("unreliable: {}", problems.join(", "));
        Ok(false)
    }
}
