//! The campaign: runs generated calls ([`crate::strategies`]) against an executor, judges each,
//! and on a failure shrinks it to the smallest call that still fails, reported with the seed
//! that replays it and as a scenario file a person can read and keep.
//!
//! ```
//! use overtime_harness::campaign::{check, Campaign, Judged};
//! use overtime_harness::strategies::Workloads;
//! use overtime_harness::{Contract, Mode, Profile};
//!
//! let workloads = Workloads::simulated(Mode::ALL.to_vec());
//! let profile = Profile {
//!     name: "example".into(),
//!     modes: Mode::ALL.to_vec(),
//!     contract: Contract::JOBLIB_DOCUMENTED,
//!     ..Profile::default()
//! };
//! // A judge that runs each call and says pass, fail (with the property and its evidence)
//! // or skip; here every call passes.
//! let tally = check(&Campaign::new(50), &profile, &workloads.calls(), |_call| Judged::Pass)
//!     .expect("nothing can fail");
//! assert_eq!(tally.passed, 50);
//! ```

use crate::call::Consumer;
use crate::case::Case;
use crate::case_executor::CaseExecutor;
use crate::model::{Contract, Profile};
use crate::properties::{near_tie, Level, Property, Verdict, VerdictKind};
use crate::run::RunConfig;
use crate::runner::run_case_unless;
use crate::scenario;
use crate::strategies::GeneratedCall;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many calls to generate, from which seed, and how long shrinking may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub cases: u32,
    /// The seed of the run: the same seed and case count generate the same calls.
    pub seed: u64,
    /// Bounds on shrinking a failure (0: no bound).
    pub max_shrink_iters: u32,
    pub max_shrink_time: Duration,
}

impl Campaign {
    /// `cases` calls from a fresh random seed (or `PROPTEST_RNG_SEED`, to replay a run).
    pub fn new(cases: u32) -> Campaign {
        Campaign {
            cases,
            seed: seed_from_env().unwrap_or_else(random_seed),
            max_shrink_iters: 0,
            max_shrink_time: Duration::ZERO,
        }
    }

    /// As [`Campaign::new`], with `PROPTEST_CASES` overriding `default_cases`.
    pub fn from_env(default_cases: u32) -> Campaign {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default_cases);
        Campaign::new(cases)
    }

    pub fn with_seed(mut self, seed: u64) -> Campaign {
        self.seed = seed;
        self
    }

    pub fn with_shrink_time(mut self, limit: Duration) -> Campaign {
        self.max_shrink_time = limit;
        self
    }

    fn config(&self) -> Config {
        Config {
            cases: self.cases,
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            rng_seed: RngSeed::Fixed(self.seed),
            // proptest reads u32::MAX as "4 × cases"; one less is as good as no bound.
            max_shrink_iters: if self.max_shrink_iters == 0 {
                u32::MAX - 1
            } else {
                self.max_shrink_iters
            },
            max_shrink_time: u32::try_from(self.max_shrink_time.as_millis()).unwrap_or(u32::MAX),
            max_global_rejects: self.cases.saturating_mul(4).saturating_add(64),
            ..Config::default()
        }
    }
}

fn seed_from_env() -> Option<u64> {
    let text = std::env::var("PROPTEST_RNG_SEED").ok()?;
    match text.trim().parse() {
        Ok(seed) => Some(seed),
        Err(_) => panic!(
            "PROPTEST_RNG_SEED must be a whole number (a seed printed by a run), got {text:?}"
        ),
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    // Seeds print and paste more easily when they are not 20 digits long.
    h.finish() % 1_000_000_000_000
}

/// What a judge says about one generated call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    Pass,
    /// Not judged (a near tie in real time, an inconclusive run); not a failure.
    Skip(String),
    Fail {
        property: Property,
        evidence: String,
    },
    /// The caller asked the campaign to stop (an interrupt): this call and every later one go
    /// unjudged, and the campaign ends at once with [`CampaignError::Stopped`].
    Stopped,
}

/// Which properties fail a generated call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Levels {
    /// Only MUST properties: what conformance means (the suite macro's generated test).
    Must,
    /// MUST and SHOULD: for an executor meant to keep them all (the reference).
    All,
}

/// The verdicts as a [`Judged`]: the first failing property of `levels`, else a skip if any
/// verdict is inconclusive, else a pass.
pub fn judged(verdicts: &[(Property, Verdict)], levels: Levels) -> Judged {
    let counts = |p: &Property| levels == Levels::All || p.level() == Level::Must;
    if let Some((property, v)) = verdicts.iter().find(|(p, v)| counts(p) && v.is_fail()) {
        return Judged::Fail {
            property: *property,
            evidence: v.evidence.clone(),
        };
    }
    match verdicts
        .iter()
        .find(|(_, v)| v.verdict == VerdictKind::Inconclusive)
    {
        Some((_, v)) => Judged::Skip(v.evidence.clone()),
        None => Judged::Pass,
    }
}

/// Runs `call` against `executor` in real time and judges it; a trace with a near tie
/// ([`near_tie`] at ε) or an inconclusive verdict is skipped.
pub fn judge_real_time(
    executor: &Arc<dyn CaseExecutor>,
    call: &GeneratedCall,
    config: &RunConfig,
    levels: Levels,
) -> Judged {
    judge_real_time_unless(executor, call, config, levels, &|| false)
}

/// As [`judge_real_time`], but [`Judged::Stopped`] once `stop()` holds: the run is given up
/// within [`crate::runner::ABANDON_POLL`] of it ([`run_case_unless`]).
pub fn judge_real_time_unless(
    executor: &Arc<dyn CaseExecutor>,
    call: &GeneratedCall,
    config: &RunConfig,
    levels: Levels,
    stop: &dyn Fn() -> bool,
) -> Judged {
    let Ok(run) = run_case_unless(executor, &call.case, call.mode, config, stop) else {
        return Judged::Stopped;
    };
    if let Some(tie) = near_tie(&run.trace, config.epsilon) {
        return Judged::Skip(tie);
    }
    judged(&run.verdicts, levels)
}

/// How a campaign went when nothing failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub seed: u64,
    /// Calls judged and passed.
    pub passed: u32,
    /// Calls skipped (not judged), with the first reason.
    pub skipped: u32,
    pub first_skip: Option<String>,
    pub elapsed: Duration,
}

impl Tally {
    /// Generated calls (passed or skipped) per second of the campaign.
    pub fn calls_per_second(&self) -> f64 {
        f64::from(self.passed + self.skipped) / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} generated calls passed, {} skipped, in {:.2} s ({:.0} calls/s); seed {} (PROPTEST_RNG_SEED={} replays it)",
            self.passed,
            self.skipped,
            self.elapsed.as_secs_f64(),
            self.calls_per_second(),
            self.seed,
            self.seed
        )?;
        if let Some(why) = &self.first_skip {
            write!(f, "; first skip: {why}")?;
        }
        Ok(())
    }
}

/// A failing generated call, shrunk: what failed, why, and the call as a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub executor: String,
    pub contract: Contract,
    pub call: GeneratedCall,
    pub property: Property,
    pub evidence: String,
    pub seed: u64,
    /// Failing calls seen while shrinking (the first failure included).
    pub failing_runs: u32,
}

impl Found {
    /// The scenario's name: the mode and the property, e.g. `unordered-p01-liveness`.
    pub fn scenario_name(&self) -> String {
        format!(
            "{}-{}-{}",
            self.call.mode,
            self.property.id().to_lowercase(),
            self.property.name().replace('_', "-")
        )
    }

    /// The shrunk call as a named case.
    pub fn scenario(&self) -> Case {
        Case {
            name: self.scenario_name(),
            about: format!(
                "shrunk from a generated workload: {} failed for {} in {} mode",
                self.property.label(),
                self.executor,
                self.call.mode
            ),
            ..self.call.case.clone()
        }
    }

    /// The scenario file, with comments saying what failed and how to keep it.
    pub fn scenario_toml(&self) -> String {
        let mut out = String::new();
        for line in wrap(
            &format!("{} fails: {}", self.property.label(), self.evidence),
            92,
        ) {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str(&format!(
            "# Executor {} ({}), {} mode; seed {} (PROPTEST_RNG_SEED={} replays the run).\n",
            self.executor, self.contract, self.call.mode, self.seed, self.seed
        ));
        out.push_str(&format!(
            "# Save as specs/regressions/{}.toml: it then runs as a test of its own.\n",
            self.scenario_name()
        ));
        out.push_str(&scenario::to_toml(&self.scenario()));
        out
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "generated workloads: {} fails for {} in {} mode",
            self.property.label(),
            self.executor,
            self.call.mode
        )?;
        writeln!(f, "  evidence: {}", self.evidence)?;
        writeln!(
            f,
            "  seed {} (PROPTEST_RNG_SEED={} replays it); shrunk to {} task(s) over {} failing run(s)",
            self.seed,
            self.seed,
            self.call.case.tasks.len(),
            self.failing_runs
        )?;
        writeln!(f, "  the shrunk call, as a scenario file:\n")?;
        write!(f, "{}", self.scenario_toml())
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().map_or(0, |l| l.len());
        if last > 0 && last + 1 + word.len() > width {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// Why a campaign ended without a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CampaignError {
    /// A call failed; shrunk.
    Found(Box<Found>),
    /// The campaign could not go on (too many calls skipped).
    Aborted { seed: u64, reason: String },
    /// The judge said [`Judged::Stopped`]: the campaign ended there, judging nothing more.
    Stopped { seed: u64 },
}

impl fmt::Display for CampaignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CampaignError::Found(found) => found.fmt(f),
            CampaignError::Aborted { seed, reason } => {
                write!(f, "generated workloads gave up (seed {seed}): {reason}")
            }
            CampaignError::Stopped { seed } => {
                write!(f, "generated workloads stopped when asked (seed {seed})")
            }
        }
    }
}

impl std::error::Error for CampaignError {}

/// Runs `campaign`: generates calls from `strategy`, has `judge` run and judge each, and on a
/// failure shrinks it to a minimal call, reported with the property's evidence.
pub fn check(
    campaign: &Campaign,
    profile: &Profile,
    strategy: &impl Strategy<Value = GeneratedCall>,
    judge: impl Fn(&GeneratedCall) -> Judged,
) -> Result<Tally, CampaignError> {
    let started = Instant::now();
    let passed = Cell::new(0u32);
    let skipped = Cell::new(0u32);
    let first_skip: RefCell<Option<String>> = RefCell::new(None);
    let failing_runs = Cell::new(0u32);
    let last_failure: RefCell<Option<(GeneratedCall, Property, String)>> = RefCell::new(None);
    let stopped = Cell::new(false);
    let mut runner = TestRunner::new(campaign.config());
    let result = runner.run(strategy, |call| {
        if stopped.get() {
            // proptest goes on to shrink the "failure" that stopped it: every step passes at
            // once, so it ends in a few steps, however many calls were asked for.
            return Ok(());
        }
        match judge(&call) {
            Judged::Stopped => {
                stopped.set(true);
                Err(TestCaseError::fail("stopped"))
            }
            Judged::Pass => {
                passed.set(passed.get() + 1);
                Ok(())
            }
            Judged::Skip(why) => {
                skipped.set(skipped.get() + 1);
                first_skip.borrow_mut().get_or_insert(why.clone());
                Err(TestCaseError::reject(why))
            }
            Judged::Fail { property, evidence } => {
                failing_runs.set(failing_runs.get() + 1);
                let reason = format!("{}: {evidence}", property.label());
                *last_failure.borrow_mut() = Some((call, property, evidence));
                Err(TestCaseError::fail(reason))
            }
        }
    });
    if stopped.get() {
        return Err(CampaignError::Stopped {
            seed: campaign.seed,
        });
    }
    match result {
        Ok(()) => Ok(Tally {
            seed: campaign.seed,
            passed: passed.get(),
            skipped: skipped.get(),
            first_skip: first_skip.into_inner(),
            elapsed: started.elapsed(),
        }),
        Err(TestError::Fail(reason, minimal)) => {
            // The last failing run is the most shrunk one proptest accepted.
            let failure = last_failure
                .into_inner()
                .unwrap_or_else(|| (minimal, Property::Liveness, reason.message().to_string()));
            let deadline = (!campaign.max_shrink_time.is_zero())
                .then(|| Instant::now() + campaign.max_shrink_time);
            let ((call, property, evidence), more_runs) =
                simplify(failure, &judge, deadline, &stopped);
            if stopped.get() {
                return Err(CampaignError::Stopped {
                    seed: campaign.seed,
                });
            }
            Err(CampaignError::Found(Box::new(Found {
                executor: profile.name.clone(),
                contract: profile.contract_for(call.mode),
                call,
                property,
                evidence,
                seed: campaign.seed,
                failing_runs: failing_runs.get() + more_runs,
            })))
        }
        Err(TestError::Abort(reason)) => Err(CampaignError::Aborted {
            seed: campaign.seed,
            reason: format!(
                "{} ({} calls passed, {} skipped; first skip: {})",
                reason.message(),
                passed.get(),
                skipped.get(),
                first_skip.into_inner().unwrap_or_default()
            ),
        }),
    }
}

type Failure = (GeneratedCall, Property, String);

/// Shrinks a failure further, greedily: proptest shrinks a list's length before its elements
/// and never comes back to the length, so a call can stay longer than it needs to be. Tries
/// one simpler call after another (a task fewer, a worker fewer, a plainer consumer, no
/// follow-up) and keeps each that still fails, until none does or `deadline` passes. Returns
/// the smallest failure and how many failing runs it took. A judge that says
/// [`Judged::Stopped`] ends it at once, setting `stopped`.
fn simplify(
    mut best: Failure,
    judge: &impl Fn(&GeneratedCall) -> Judged,
    deadline: Option<Instant>,
    stopped: &Cell<bool>,
) -> (Failure, u32) {
    let mut runs = 0;
    'search: loop {
        for candidate in simpler(&best.0) {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break 'search;
            }
            match judge(&candidate) {
                Judged::Fail { property, evidence } => {
                    runs += 1;
                    best = (candidate, property, evidence);
                    continue 'search;
                }
                Judged::Stopped => {
                    stopped.set(true);
                    break 'search;
                }
                Judged::Pass | Judged::Skip(_) => {}
            }
        }
        break;
    }
    (best, runs)
}

/// Calls one step simpler than `call`, the most promising first.
fn simpler(call: &GeneratedCall) -> Vec<GeneratedCall> {
    let mut out = Vec::new();
    let with = |change: &dyn Fn(&mut Case)| {
        let mut c = call.clone();
        change(&mut c.case);
        c
    };
    for i in (0..call.case.tasks.len()).rev() {
        out.push(with(&|c| {
            c.tasks.remove(i);
        }));
    }
    if call.case.n_jobs > 1 {
        out.push(with(&|c| c.n_jobs = 1));
        out.push(with(&|c| c.n_jobs -= 1));
    }
    if call.case.follow_up {
        out.push(with(&|c| c.follow_up = false));
    }
    let consumer = &call.case.consumer;
    if *consumer != Consumer::default() {
        out.push(with(&|c| c.consumer = Consumer::default()));
        if consumer.drop_after.is_some() {
            out.push(with(&|c| c.consumer.drop_after = None));
        }
        if !consumer.pause_ms.is_zero() {
            out.push(with(&|c| c.consumer.pause_ms = Duration::ZERO));
        }
        if !consumer.start_after_ms.is_zero() {
            out.push(with(&|c| c.consumer.start_after_ms = Duration::ZERO));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::TaskSpec;
    use crate::model::Mode;
    use crate::strategies::Workloads;

    #[test]
    fn a_found_failure_prints_a_scenario_that_reads_back() {
        let found = Found {
            executor: "example".into(),
            contract: Contract::JOBLIB_DOCUMENTED,
            call: GeneratedCall {
                mode: Mode::Unordered,
                case: Case {
                    name: "generated".into(),
                    about: String::new(),
                    tasks: vec![TaskSpec::Hang],
                    n_jobs: 1,
                    timeout: Some(Duration::from_millis(100)),
                    consumer: Consumer::default(),
                    follow_up: false,
                    exercises: Vec::new(),
                    absolute: false,
                },
            },
            property: Property::Liveness,
            evidence: "task 0 started at 0 ms; it never completed".into(),
            seed: 7,
            failing_runs: 3,
        };
        let text = found.scenario_toml();
        let path = std::path::PathBuf::from("specs/regressions/unordered-p01-liveness.toml");
        let case = scenario::parse(&text, &path).expect("the printed scenario parses");
        assert_eq!(case, found.scenario());
        assert!(
            text.starts_with("# P01 liveness fails: task 0 started"),
            "{text}"
        );
        assert!(found.to_string().contains("PROPTEST_RNG_SEED=7"));
    }

    #[test]
    fn a_failure_shrinks_to_the_smallest_call_that_still_fails() {
        // A judge that fails any call with a hung task: the minimum is one hang on one worker.
        let profile = Profile {
            name: "example".into(),
            modes: Mode::ALL.to_vec(),
            contract: Contract::JOBLIB_DOCUMENTED,
            ..Profile::default()
        };
        let w = Workloads::simulated(Mode::ALL.to_vec());
        let result = check(
            &Campaign::new(500).with_seed(1),
            &profile,
            &w.calls(),
            |call| {
                if call.case.tasks.contains(&TaskSpec::Hang) {
                    Judged::Fail {
                        property: Property::Liveness,
                        evidence: "a hang".into(),
                    }
                } else {
                    Judged::Pass
                }
            },
        );
        let Err(CampaignError::Found(found)) = result else {
            panic!("a hang is generated within 500 calls: {result:?}");
        };
        assert_eq!(found.call.case.tasks, vec![TaskSpec::Hang]);
        assert_eq!(found.call.case.n_jobs, 1);
        assert_eq!(found.call.case.consumer, Consumer::default());
    }
}
