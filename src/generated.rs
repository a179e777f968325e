//! `overtime check --generated N` and `--scenario PATH`: generated real-time workloads and
//! scenario files, for any executor the command can open — `cmd:` adapters included.
//!
//! Generated calls follow the real-time margin rule (durations on a grid of 4ε, T = 10ε, so an
//! ideal completion keeps 2ε from every due time; a run that still puts one within ε is
//! skipped, not judged). A MUST failure is shrunk to the smallest call that still fails,
//! written as a scenario file, and the command that replays it is printed.

use overtime_harness::campaign::{check, judge_real_time, Campaign, CampaignError, Levels};
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
}

/// Runs `calls` generated real-time calls (seed `seed`, else a fresh one) against `executor`
/// in the `modes` it supports, at tolerance `epsilon`; a failure is written under `save_dir`.
/// `executor_arg` is the `--executor` value, for the replay command.
pub fn run(
    executor: &Arc<dyn CaseExecutor>,
    executor_arg: &str,
    modes: &[Mode],
    epsilon: Duration,
    calls: u32,
    seed: Option<u64>,
    save_dir: &Path,
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
    let mut campaign = Campaign::new(calls).with_shrink_time(SHRINK_TIME);
    if let Some(seed) = seed {
        campaign = campaign.with_seed(seed);
    }
    eprintln!(
        "generated workloads for {}: {calls} real-time calls, T {} ms, seed {} (--seed {} replays them)",
        profile.name,
        workloads.timeout.as_millis(),
        campaign.seed,
        campaign.seed
    );
    let config = RunConfig::with_epsilon(epsilon);
    match check(&campaign, &profile, &workloads.calls(), |call| {
        judge_real_time(executor, call, &config, Levels::Must)
    }) {
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
