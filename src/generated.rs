//! `overtime check --generated N` and `--scenario PATH`: generated real-time workloads and
//! scenario files, for any executor the command can open — `cmd:` adapters included.
//!
//! Generated calls follow the real-time margin rule (durations on a grid of 4ε, T = 10ε, so an
//! ideal completion keeps 2ε from every due time; a run that still puts one within ε is
//! skipped, not judged). A MUST failure is shrunk to the smallest call that still fails,
//! written as a scenario file, and the command that replays it is printed.

use overtime_harness::campaign::{
    check, judge_real_time_unless, Campaign, CampaignError, Judged, Levels,
};
use overtime_harness::strategies::Workloads;
use overtime_harness::{scenario, Case, CaseExecutor, Mode, RunConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long shrinking a real-time failure may take before the smallest call so far is kept.
const SHRINK_TIME: Duration = Duration::from_secs(120);

/// What a generated campaign against one executor found.
pub enum Generated {
    /// Every call passed or was skipped; the campaign's one-line tally.
    Passed(String),
    /// A MUST failure, shrunk and written: the tally line, the file, and what to run.
    Found {
        summary: String,
        file: PathBuf,
        replay: String,
    },
    /// A signal stopped the run: whatever failed after it is the kill's doing, so nothing is
    /// judged from then on and nothing is written.
    Interrupted,
}

/// The campaign of `calls` generated calls, seed `seed` (else a fresh one), for [`run`].
pub fn campaign(calls: u32, seed: Option<u64>) -> Campaign {
    let campaign = Campaign::new(calls).with_shrink_time(SHRINK_TIME);
    match seed {
        Some(seed) => campaign.with_seed(seed),
        None => campaign,
    }
}

/// Runs the `campaign`'s generated real-time calls against `executor` in the `modes` it
/// supports, at tolerance `epsilon`; a failure is written under `save_dir`. `executor_arg` is
/// the `--executor` value, for the replay command. Once `interrupted()` holds, no call runs
/// any more and no failure is written.
pub fn run(
    executor: &Arc<dyn CaseExecutor>,
    executor_arg: &str,
    modes: &[Mode],
    epsilon: Duration,
    campaign: &Campaign,
    save_dir: &Path,
    interrupted: impl Fn() -> bool,
) -> Result<Generated, String> {
    let profile = executor.declared_profile();
    let modes: Vec<Mode> = modes
        .iter()
        .copied()
        .filter(|m| profile.modes.contains(m))
        .collect();
    if modes.is_empty() {
        return Ok(Generated::Passed(format!(
            "{}: no requested mode is supported, nothing to generate",
            profile.name
        )));
    }
    let workloads = Workloads::real_time(epsilon, modes);
    eprintln!(
        "generated workloads for {}: {} real-time calls, T {} ms, seed {} (--seed {} replays them)",
        profile.name,
        campaign.cases,
        workloads.timeout.as_millis(),
        campaign.seed,
        campaign.seed
    );
    let config = RunConfig::with_epsilon(epsilon);
    let outcome = check(campaign, &profile, &workloads.calls(), |call| {
        let judged = judge_real_time_unless(executor, call, &config, Levels::Must, &interrupted);
        if interrupted() {
            // Its adapter was killed under it: what it recorded is the interrupt's.
            return Judged::Stopped;
        }
        judged
    });
    if interrupted() {
        return Ok(Generated::Interrupted);
    }
    match outcome {
        Err(CampaignError::Stopped { .. }) => Ok(Generated::Interrupted),
        Ok(tally) => Ok(Generated::Passed(format!("{}: {tally}", profile.name))),
        Err(CampaignError::Aborted { seed, reason }) => Err(format!(
            "generated workloads for {} gave up (seed {seed}): {reason}",
            profile.name
        )),
        Err(CampaignError::Found(found)) => {
            std::fs::create_dir_all(save_dir)
                .map_err(|e| format!("cannot create {}: {e}", save_dir.display()))?;
            let file = save_dir.join(format!("{}.toml", found.scenario_name()));
            std::fs::write(&file, found.scenario_toml())
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            let replay = format!(
                "overtime check --executor {} --mode {} --epsilon-ms {} --scenario {}",
                shell_words::quote(executor_arg),
                found.call.mode,
                overtime_harness::Millis(epsilon),
                shell_words::quote(&file.display().to_string())
            );
            Ok(Generated::Found {
                summary: found.to_string(),
                file,
                replay,
            })
        }
    }
}

/// The cases of `paths`: each a scenario file, or a directory whose `*.toml` files are.
/// Every error names the file (and the line, for a malformed one).
pub fn scenario_cases(paths: &[PathBuf]) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for path in paths {
        let files = if path.is_dir() {
            let files = scenario::files(path).map_err(|e| e.to_string())?;
            if files.is_empty() {
                return Err(format!(
                    "{}: no scenario file (*.toml) in it",
                    path.display()
                ));
            }
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            cases.push(scenario::load(&file).map_err(|e| e.to_string())?);
        }
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A signal during the generated workloads: the calls after it are not judged, nothing
    /// is shrunk or written, and the run says it was interrupted — even against an executor
    /// whose every timeout fails.
    #[test]
    fn an_interrupt_during_the_generated_workloads_writes_no_failure() {
        let executor = crate::executors::by_name("mutant:unordered-never-times-out")
            .expect("the mutant exists");
        let save_dir = std::env::temp_dir().join(format!(
            "overtime-generated-interrupt-{}",
            std::process::id()
        ));
        let asked = AtomicU32::new(0);
        // The signal arrives while the second call runs.
        let interrupted = || asked.fetch_add(1, Ordering::SeqCst) >= 3;
        let outcome = run(
            &executor,
            "mutant:unordered-never-times-out",
            &[Mode::Unordered],
            Duration::from_millis(20),
            &campaign(50, Some(1)),
            &save_dir,
            interrupted,
        )
        .expect("the campaign runs");
        assert!(matches!(outcome, Generated::Interrupted));
        assert!(
            !save_dir.exists(),
            "a failure was written after the interrupt"
        );
    }
}
