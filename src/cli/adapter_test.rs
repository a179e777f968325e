//! `overtime adapter-test 'cmd:…'`: a quick self-test of an adapter's protocol handling before
//! its executor is judged (`overtime_process::selftest`; `specs/protocol.md` §8).

use crate::cli::interrupt::outln;
use crate::executors;
use clap::Args;
use overtime_process::selftest::{self, Outcome, SelfTestOptions};
use std::time::Duration;

#[derive(Args)]
pub struct AdapterTestArgs {
    /// The adapter to test: 'cmd:<program> [args...]', as for `overtime check --executor`
    executor: String,
    /// How long each step may take (clock replies, a call, the release, an exit), in seconds
    #[arg(long, default_value_t = 5.0, value_parser = positive_seconds, allow_negative_numbers = true)]
    bound_s: f64,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 600.0 => Ok(s),
        _ => Err(format!("{text:?}: a number of seconds in (0, 600]")),
    }
}

/// Runs the checks and prints one line each; Ok(true) if every check passed.
pub fn adapter_test(args: &AdapterTestArgs) -> Result<bool, String> {
    let argv = executors::external_argv(&args.executor)?;
    let options = SelfTestOptions {
        bound: Duration::from_secs_f64(args.bound_s),
        ..SelfTestOptions::default()
    };
    outln!("adapter-test: `{}`", argv.join(" "));
    let checks = selftest::self_test(&argv, &options)?;
    for check in &checks {
        outln!("{check}");
    }
    let failed = checks.iter().filter(|c| c.outcome != Outcome::Pass).count();
    if failed == 0 {
        outln!("adapter-test: all {} checks passed", checks.len());
    } else {
        outln!(
            "adapter-test: {failed} of {} checks failed or were not run",
            checks.len()
        );
    }
    Ok(failed == 0)
}
