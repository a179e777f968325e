//! Generated workloads: proptest strategies for calls, and the campaign that runs them against
//! an executor and shrinks a failure to a scenario file a person can read and keep.
//!
//! ```
//! use overtime_harness::strategies::{check, Campaign, Judged, Workloads};
//! use overtime_harness::{Mode, Profile};
//!
//! // Calls of 0–64 tasks for simulated time, in every mode.
//! let workloads = Workloads::simulated(Mode::ALL.to_vec());
//! let campaign = Campaign::new(50);
//! let profile = Profile {
//!     name: "example".into(),
//!     modes: Mode::ALL.to_vec(),
//!     contract: overtime_harness::Contract::JOBLIB_DOCUMENTED,
//! };
//! // A judge that runs each call and says pass, fail (with the property and its evidence)
//! // or skip; here every call passes.
//! let tally = check(&campaign, &profile, &workloads.calls(), |_call| Judged::Pass)
//!     .expect("nothing can fail");
//! assert_eq!(tally.passed, 50);
//! ```
//!
//! What the strategies generate ([`Workloads::calls`]):
//!
//! - 0 to `max_tasks` tasks (64 in simulated time): mostly sleeps, with spins, cooperative
//!   sleeps, hangs, cooperative hangs and failures; a call's *flavour* may leave out the hangs,
//!   the failures or both, so long calls run to their end too. A call without a timeout has no
//!   hangs (nothing could ever end it: its trace would say hung, rightly, whatever the
//!   executor).
//! - Durations over [0, 3T] with extra weight exactly on T, just below and just above it, and on
//!   a few shared values (T/10, T/4, T/2, 2T: ties between tasks, and sums that land on T).
//! - `n_jobs` from 1 to `max_jobs` (8): fewer and more workers than tasks; a timeout T or none;
//!   every mode asked for; consumers that are eager, slow (a pause before each pull, or before
//!   the first), or that drop the iteration after k items; sometimes a follow-up call.
//!
//! In real time ([`Workloads::real_time`]) a verdict must not depend on scheduling noise:
//! every duration and pause is a multiple of q = 4ε and T = 2.5q, so in an ideal run every
//! completion is at least q/2 = 2ε away from every due time (durations are ≤ T − 2ε or
//! ≥ T + 2ε). A run whose trace still puts a completion within ε of a due time is skipped, not
//! judged ([`near_tie`]).
//!
//! Everything shrinks towards small calls: fewer tasks, shorter sleeps, one worker, an eager
//! consumer. A failure is reported as a [`Found`]: the property, its evidence, the seed, and the
//! shrunk call as a ready-to-save scenario file ([`Found::scenario_toml`]).

use crate::catalogue::Case;
use crate::executor::Executor;
use crate::model::{Contract, Mode, OnTimeout, Profile, TimeoutClock};
use crate::properties::{Facts, Level, Property, Verdict, VerdictKind};
use crate::runner::{run_case, RunConfig};
use crate::scenario;
use crate::task::TaskSpec;
use crate::trace::{Consumer, Ms, Stamp, Trace};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One generated call: a case (tasks, workers, timeout, consumer) and the mode it runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedCall {
    pub mode: Mode,
    pub case: Case,
}

/// How durations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Simulated time, judged exactly: any duration on a grid of T/100 over [0, 3T], with
    /// extra weight on T itself, on T ± T/100 and T ± 1 µs, and on shared values.
    Exact,
    /// Real time with tolerance ε: every duration and pause is a multiple of q = 4ε, and
    /// T = 2.5q, so ideal completions keep 2ε from every due time.
    RealTime { epsilon: Duration },
}

/// What to generate. Build one with [`Workloads::simulated`] or [`Workloads::real_time`], then
/// adjust its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workloads {
    /// The timeout T of calls that have one.
    pub timeout: Duration,
    pub timing: Timing,
    /// The modes calls run in (those the executor declares).
    pub modes: Vec<Mode>,
    /// Calls have 0 to this many tasks.
    pub max_tasks: usize,
    /// Calls have 1 to this many workers.
    pub max_jobs: usize,
}

/// Task kinds, weighted: 12 sleep, 2 spin, 2 cooperative sleep, 2 fail, 1 hang, 1 cooperative
/// hang (out of 20).
const TASK_KINDS: u8 = 20;
/// Duration kinds, weighted (see [`Workloads::durations`]).
const DURATION_KINDS: u8 = 16;
/// Grid steps of a duration: T/100 each in simulated time, so [0, 3T].
const GRID_STEPS: u32 = 300;

/// The simulated timeout: round, so durations print as whole milliseconds.
const SIMULATED_TIMEOUT: Duration = Duration::from_millis(100);

impl Workloads {
    /// For simulated time: T = 100 ms, 0–64 tasks, 1–8 workers.
    pub fn simulated(modes: Vec<Mode>) -> Workloads {
        Workloads {
            timeout: SIMULATED_TIMEOUT,
            timing: Timing::Exact,
            modes,
            max_tasks: 64,
            max_jobs: 8,
        }
    }

    /// For real time at tolerance `epsilon`: T = 10ε (q = 4ε), 0–6 tasks, 1–4 workers, so a
    /// call takes at most a few T. With ε = 20 ms: T = 200 ms, durations 0, 80, 160, 240, …
    /// 560 ms.
    pub fn real_time(epsilon: Duration, modes: Vec<Mode>) -> Workloads {
        let epsilon = epsilon.max(Duration::from_millis(1));
        Workloads {
            timeout: epsilon * 10,
            timing: Timing::RealTime { epsilon },
            modes,
            max_tasks: 6,
            max_jobs: 4,
        }
    }

    /// The strategy: one [`GeneratedCall`] per value, shrinking towards small calls.
    pub fn calls(&self) -> BoxedStrategy<GeneratedCall> {
        let modes = if self.modes.is_empty() {
            Mode::ALL.to_vec()
        } else {
            self.modes.clone()
        };
        let t = self.timeout;
        // A task is two small integers (its kind, its duration) mapped to a spec: cheap to
        // generate, and both shrink towards 0 — a sleep, on the duration grid.
        let task = (0..TASK_KINDS, self.durations()).prop_map(|(kind, ms)| match kind {
            0..=11 => TaskSpec::Sleep { ms },
            12..=13 => TaskSpec::Spin { ms },
            14..=15 => TaskSpec::CooperativeSleep { ms },
            16..=17 => TaskSpec::Fail { ms },
            18 => TaskSpec::Hang,
            _ => TaskSpec::CooperativeHang,
        });
        let flavour = prop_oneof![
            2 => Just(Flavour::Everything),
            1 => Just(Flavour::NoFailures),
            1 => Just(Flavour::NoHangs),
            1 => Just(Flavour::Plain),
        ];
        let timeout = prop_oneof![4 => Just(Some(t)), 1 => Just(None)];
        (
            proptest::sample::select(modes),
            proptest::collection::vec(task, 0..=self.max_tasks),
            1..=self.max_jobs.max(1),
            timeout,
            self.consumers(),
            proptest::bool::weighted(0.1),
            flavour,
        )
            .prop_map(
                move |(mode, tasks, n_jobs, timeout, consumer, follow_up, flavour)| {
                    // Without a timeout nothing ends a hung task: the call could never end.
                    let flavour = match timeout {
                        Some(_) => flavour,
                        None => flavour.without_hangs(),
                    };
                    GeneratedCall {
                        mode,
                        case: Case {
                            name: "generated".into(),
                            about: String::new(),
                            tasks: tasks.into_iter().map(|s| flavour.apply(s, t)).collect(),
                            n_jobs,
                            timeout,
                            consumer,
                            follow_up,
                        },
                    }
                },
            )
            .boxed()
    }

    /// Task durations, as [`Timing`] says: a choice among weighted kinds of duration and a grid
    /// step, both shrinking towards 0 (the grid's zero).
    fn durations(&self) -> impl Strategy<Value = Duration> {
        let t = self.timeout;
        let timing = self.timing;
        (0..DURATION_KINDS, 0..=GRID_STEPS).prop_map(move |(kind, step)| match timing {
            Timing::Exact => {
                let unit = t / 100;
                let tiny = Duration::from_micros(1).min(unit);
                match kind {
                    0..=5 => unit * step,
                    6..=7 => t,
                    8 => t - tiny,
                    9 => t - unit,
                    10 => t + tiny,
                    11 => t + unit,
                    12 => t / 10,
                    13 => t / 4,
                    14 => t / 2,
                    _ => t * 2,
                }
            }
            Timing::RealTime { epsilon } => {
                let q = epsilon * 4;
                match kind {
                    0..=5 => q * (step % 8),
                    6..=8 => q * 2,
                    9..=11 => q * 3,
                    12..=13 => Duration::ZERO,
                    _ => q,
                }
            }
        })
    }

    /// Consumers: eager, slow, late to start, dropping after k items, or slow and dropping.
    fn consumers(&self) -> BoxedStrategy<Consumer> {
        let t = self.timeout;
        let pauses: Vec<Duration> = match self.timing {
            Timing::Exact => {
                let tiny = Duration::from_micros(1).min(t / 100);
                vec![t / 10, t / 2, t - tiny, t, t + tiny]
            }
            Timing::RealTime { epsilon } => vec![epsilon * 4, epsilon * 8, epsilon * 12],
        };
        let pause = proptest::sample::select(pauses);
        let start_after = prop_oneof![3 => Just(Duration::ZERO), 1 => pause.clone()];
        let drop_after = 0..=self.max_tasks;
        prop_oneof![
            3 => Just(Consumer::default()),
            2 => (pause.clone(), start_after).prop_map(|(pause_ms, start_after_ms)| Consumer {
                pause_ms,
                start_after_ms,
                ..Consumer::default()
            }),
            2 => drop_after.clone().prop_map(|k| Consumer {
                drop_after: Some(k),
                ..Consumer::default()
            }),
            1 => (pause, drop_after).prop_map(|(pause_ms, k)| Consumer {
                pause_ms,
                drop_after: Some(k),
                ..Consumer::default()
            }),
        ]
        .boxed()
    }
}

/// Which task kinds a generated call keeps: long calls without hangs or failures run to their
/// end, so the late parts of a schedule are exercised too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Everything,
    NoFailures,
    NoHangs,
    Plain,
}

impl Flavour {
    fn without_hangs(self) -> Flavour {
        match self {
            Flavour::Everything | Flavour::NoHangs => Flavour::NoHangs,
            Flavour::NoFailures | Flavour::Plain => Flavour::Plain,
        }
    }

    fn apply(self, spec: TaskSpec, t: Duration) -> TaskSpec {
        let no_failures = matches!(self, Flavour::NoFailures | Flavour::Plain);
        let no_hangs = matches!(self, Flavour::NoHangs | Flavour::Plain);
        match spec {
            TaskSpec::Fail { ms } if no_failures => TaskSpec::Sleep { ms },
            TaskSpec::Hang if no_hangs => TaskSpec::Sleep { ms: t * 3 },
            TaskSpec::CooperativeHang if no_hangs => TaskSpec::CooperativeSleep { ms: t * 3 },
            other => other,
        }
    }
}

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
    executor: &Arc<dyn Executor>,
    call: &GeneratedCall,
    config: &RunConfig,
    levels: Levels,
) -> Judged {
    let run = run_case(executor, &call.case, call.mode, config);
    if let Some(tie) = near_tie(&run.trace, config.epsilon) {
        return Judged::Skip(tie);
    }
    judged(&run.verdicts, levels)
}

/// A completion within `guard` of a due time it decides, if the trace has one. Whether such a
/// task was in time depends on which of two nearly simultaneous events the executor saw first,
/// which no ε can excuse, so a real-time run with one is not judged. Due times are those of
/// the trace's contract (spec §2): each start + T (TaskRuntime), the call + T (Overall), each
/// pull's ask + T and the List wait chain (ResultWait).
pub fn near_tie(trace: &Trace, guard: Duration) -> Option<String> {
    let t = trace.shape.timeout?;
    let f = Facts::of(trace, Duration::ZERO);
    let n = trace.shape.n_tasks;
    // (the task whose completion the due time decides, or any; the due time)
    // (the tasks whose completion the due time decides — none: every task — , the due time)
    let mut dues: Vec<(Option<Vec<usize>>, Stamp)> = Vec::new();
    match trace.contract.clock {
        TimeoutClock::TaskRuntime => {
            for (task, start) in f.starts.iter().enumerate() {
                if let Some(s) = start {
                    dues.push((Some(vec![task]), s.plus(t)));
                }
            }
        }
        TimeoutClock::Overall => dues.push((None, f.call_at.plus(t))),
        TimeoutClock::ResultWait if trace.shape.mode == Mode::List => {
            let mut wait_from = f.call_at;
            for task in 0..n {
                let due = wait_from.plus(t);
                dues.push((None, due));
                match f.completed_at(task) {
                    Some(end) if end <= due => wait_from = wait_from.max(end),
                    _ if trace.contract.on_timeout == OnTimeout::Abort => break,
                    _ => wait_from = due,
                }
            }
        }
        TimeoutClock::ResultWait => {
            // Pull k's due time decides whether a task it waits for completed by then.
            for (k, pull) in f.pulls.iter().enumerate() {
                dues.push((Some(f.unanswered_before(k)), pull.asked.plus(t)));
            }
        }
    }
    for task in 0..n {
        let Some(end) = f.completed_at(task) else {
            continue;
        };
        for (owners, due) in &dues {
            if owners.as_ref().is_some_and(|o| !o.contains(&task)) {
                continue;
            }
            let gap = if end > *due {
                end.since(*due)
            } else {
                due.since(end)
            };
            if gap < guard {
                return Some(format!(
                    "near tie: task {task} completed at {end}, {} from a due time at {due} (closer than {})",
                    Ms(gap),
                    Ms(guard)
                ));
            }
        }
    }
    None
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
}

impl fmt::Display for CampaignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CampaignError::Found(found) => found.fmt(f),
            CampaignError::Aborted { seed, reason } => {
                write!(f, "generated workloads gave up (seed {seed}): {reason}")
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
    let mut runner = TestRunner::new(campaign.config());
    let result = runner.run(strategy, |call| match judge(&call) {
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
    });
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
            let ((call, property, evidence), more_runs) = simplify(failure, &judge, deadline);
            Err(CampaignError::Found(Box::new(Found {
                executor: profile.name.clone(),
                contract: profile.contract,
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
/// the smallest failure and how many failing runs it took.
fn simplify(
    mut best: Failure,
    judge: &impl Fn(&GeneratedCall) -> Judged,
    deadline: Option<Instant>,
) -> (Failure, u32) {
    let mut runs = 0;
    'search: loop {
        for candidate in simpler(&best.0) {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break 'search;
            }
            if let Judged::Fail { property, evidence } = judge(&candidate) {
                runs += 1;
                best = (candidate, property, evidence);
                continue 'search;
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
    use proptest::strategy::ValueTree;

    #[test]
    fn real_time_durations_keep_two_epsilon_from_the_timeout() {
        let epsilon = Duration::from_millis(20);
        let w = Workloads::real_time(epsilon, Mode::ALL.to_vec());
        let mut runner = TestRunner::deterministic();
        for _ in 0..200 {
            let call = w.calls().new_tree(&mut runner).expect("a call").current();
            for task in &call.case.tasks {
                if let Some(d) = task.duration() {
                    assert!(
                        d + epsilon * 2 <= w.timeout || d >= w.timeout + epsilon * 2,
                        "{d:?} is within 2ε of T = {:?}",
                        w.timeout
                    );
                }
            }
            assert!(call.case.tasks.len() <= 6 && (1..=4).contains(&call.case.n_jobs));
        }
    }

    #[test]
    fn simulated_calls_cover_the_ranges_the_issue_asks_for() {
        let w = Workloads::simulated(Mode::ALL.to_vec());
        let mut runner = TestRunner::deterministic();
        let (mut longest, mut most_jobs, mut ties, mut hangs, mut no_timeout) = (0, 0, 0, 0, 0);
        for _ in 0..500 {
            let call = w.calls().new_tree(&mut runner).expect("a call").current();
            longest = longest.max(call.case.tasks.len());
            most_jobs = most_jobs.max(call.case.n_jobs);
            ties += call
                .case
                .tasks
                .iter()
                .filter(|t| t.duration() == Some(w.timeout))
                .count();
            hangs += call
                .case
                .tasks
                .iter()
                .filter(|t| t.duration().is_none())
                .count();
            no_timeout += usize::from(call.case.timeout.is_none());
        }
        assert!(longest > 56 && longest <= 64, "longest call {longest}");
        assert_eq!(most_jobs, 8);
        assert!(ties > 0 && hangs > 0 && no_timeout > 0);
    }

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
