//! The reliability campaign (`overtime stress`): does the harness ever lie or leak under load
//! and against hostile input? Three parts run in one process, its threads, file descriptors
//! and memory sampled throughout:
//!
//! - **real time**: catalogue case runs of conforming executors (the reference, rayon) while
//!   burner threads keep every core busy; every FAIL is a false failure, and inconclusive
//!   runs are counted;
//! - **hostile adapters**: case runs of `adapters/python/fake_adapter.py`'s broken adapters,
//!   each under a watchdog (a run past it is a harness hang), with the processes carrying the
//!   run's marker in their argv counted (and killed) after it: leaks;
//! - **malformed input**: generated protocol lines through the process crate's parser and
//!   generated scenario files through the scenario parser, each caught for panics and its
//!   error counted by kind.
//!
//! [`run`] returns the [`Campaign`]; [`Campaign::markdown`] is `reports/reliability.md`.

use crate::cli::interrupt::outln;
use crate::harness::scenario;
use crate::harness::{catalogue, run_case, Case, CaseExecutor, Mode, Ms, RunConfig, VerdictKind};
use crate::process::{processes_holding, wire, ProcessExecutor, ProcessOptions, QUIET_SCANS};
use rand::{RngExt, SeedableRng};
use rand_xorshift::XorShiftRng;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Real-time case runs, spread over `executors` × modes × the catalogue at `timeout`.
    pub runs: usize,
    pub executors: Vec<String>,
    pub timeout: Duration,
    pub epsilon: Duration,
    /// Case runs at once in the real-time part.
    pub lanes: usize,
    /// Busy-looping threads while the real-time part runs.
    pub burners: usize,
    /// Hostile-adapter case runs, spread over [`HOSTILE`].
    pub hostile: usize,
    /// The fake adapter's command (program and script); the scenario and a marker follow.
    pub adapter: Vec<String>,
    /// How long one hostile run may take before it counts as a harness hang.
    pub watchdog: Duration,
    /// Malformed protocol lines, and as many malformed scenario files.
    pub malformed: usize,
    pub seed: u64,
}

/// The fake adapter's scenarios the hostile part cycles through (see fake_adapter.py).
pub const HOSTILE: &[&str] = &[
    "silent",
    "silent-handshake",
    "silent-mid-call",
    "silent-with-workers",
    "garbage",
    "truncated",
    "partial-line",
    "not-utf8",
    "oversized",
    "huge-line",
    "exit-before-hello",
    "exit-mid-call",
    "crash-mid-call",
    "unknown-type",
    "unknown-call",
    "future-stamp",
    "done-twice",
    "adapter-error",
    "stray-workers",
    "setsid-workers",
    "ignores-sigterm",
];

/// One sample of the harness's own resources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub threads: u64,
    pub fds: u64,
    pub rss_kib: u64,
}

impl Resources {
    /// This process's threads and resident memory (/proc/self/status) and open descriptors
    /// (/proc/self/fd).
    pub fn now() -> Resources {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64);
        Resources {
            threads: field("Threads:"),
            fds,
            rss_kib: field("VmRSS:"),
        }
    }
}

/// The samples of one stretch of the campaign: first, last and the worst of each.
#[derive(Debug, Clone, Copy, Default)]
pub struct Samples {
    pub first: Resources,
    pub last: Resources,
    pub max: Resources,
    pub count: usize,
}

impl RealTime {
    /// The one-line tally printed as the real-time part goes and when it ends.
    fn progress(&self, took: Duration) -> String {
        format!(
            "real time: {} runs, {} false failures, {} inconclusive, {} panics ({:.0} s, RSS {} \
             KiB)",
            self.runs,
            self.false_failures,
            self.inconclusive,
            self.panics,
            took.as_secs_f64(),
            last_rss(&self.checkpoints)
        )
    }
}

impl Hostile {
    /// The one-line tally printed as the hostile part goes and when it ends.
    fn progress(&self, took: Duration) -> String {
        format!(
            "hostile adapters: {} runs, {} hangs, {} panics, {} leaked ({:.0} s, RSS {} KiB)",
            self.runs,
            self.hangs,
            self.panics,
            self.leaked,
            took.as_secs_f64(),
            last_rss(&self.checkpoints)
        )
    }
}

/// The RSS of the last checkpoint (0 before the first).
fn last_rss(checkpoints: &[(usize, Resources)]) -> u64 {
    checkpoints.last().map_or(0, |(_, r)| r.rss_kib)
}

impl Samples {
    fn add(&mut self, r: Resources) {
        if self.count == 0 {
            self.first = r;
        }
        self.last = r;
        self.max = Resources {
            threads: self.max.threads.max(r.threads),
            fds: self.max.fds.max(r.fds),
            rss_kib: self.max.rss_kib.max(r.rss_kib),
        };
        self.count += 1;
    }
}

/// The real-time part's tally.
#[derive(Debug, Default)]
pub struct RealTime {
    pub runs: usize,
    pub passed: usize,
    /// Runs with a FAIL: the executors conform, so each is the harness's lie.
    pub false_failures: usize,
    pub inconclusive: usize,
    /// Inconclusive runs by why: the harness woke late, a failure within the run's timing
    /// noise (the guard band), a task body overran its duration, other.
    pub why_inconclusive: BTreeMap<&'static str, usize>,
    pub retries: u64,
    pub panics: usize,
    /// The first few false failures, in words.
    pub failures: Vec<String>,
    pub per_executor: BTreeMap<String, (usize, usize, usize)>,
    /// The harness's resources after every 1,000 runs and at the end.
    pub checkpoints: Vec<(usize, Resources)>,
    pub took: Duration,
}

/// The hostile part's tally.
#[derive(Debug, Default)]
pub struct Hostile {
    pub runs: usize,
    pub hangs: usize,
    pub panics: usize,
    /// Processes carrying a run's marker still alive after it (each killed once counted).
    pub leaked: usize,
    /// Per scenario: runs, how they ended (refused at start / ran and judged), leaked.
    pub per_scenario: BTreeMap<String, ScenarioTally>,
    /// The harness's resources after every 100 runs and at the end.
    pub checkpoints: Vec<(usize, Resources)>,
    pub took: Duration,
}

#[derive(Debug, Default, Clone)]
pub struct ScenarioTally {
    pub runs: usize,
    pub refused: usize,
    pub judged: usize,
    pub leaked: usize,
    pub hangs: usize,
    /// The runs' time, all together.
    pub took: Duration,
    /// An example of what the harness said (the refusal, or the worst verdict's evidence).
    pub example: String,
}

/// A parser's tally over generated malformed input.
#[derive(Debug, Default)]
pub struct Malformed {
    pub inputs: usize,
    /// Mutations that happened to be valid input (not counted among the inputs).
    pub still_valid: usize,
    pub panics: usize,
    /// Errors with an empty message.
    pub unnamed: usize,
    pub kinds: BTreeMap<String, usize>,
    pub took: Duration,
}

/// Everything the campaign measured.
#[derive(Debug, Default)]
pub struct Campaign {
    pub real_time: RealTime,
    pub hostile: Hostile,
    pub lines: Malformed,
    pub scenarios: Malformed,
    /// At rest before and after, and throughout (every second).
    pub before: Resources,
    pub after: Resources,
    pub during: Samples,
    /// /proc/loadavg at the start, the middle and the end of the loaded parts.
    pub load: Vec<(String, String)>,
    pub cores: usize,
    pub took: Duration,
}

impl Campaign {
    /// Whether the harness lied, hung, panicked or leaked (inconclusive runs are not counted
    /// here: see [`Campaign::inconclusive_rate`]).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |n: usize, what: &str| {
            if n > 0 {
                out.push(format!("{n} {what}"));
            }
        };
        add(self.real_time.false_failures, "false failure(s)");
        add(
            self.real_time.panics + self.hostile.panics + self.lines.panics + self.scenarios.panics,
            "panic(s)",
        );
        add(self.hostile.hangs, "harness hang(s)");
        add(self.hostile.leaked, "leaked process(es)");
        add(
            self.lines.unnamed + self.scenarios.unnamed,
            "error(s) without a message",
        );
        if self.after.threads > self.before.threads {
            out.push(format!(
                "threads grew from {} to {}",
                self.before.threads, self.after.threads
            ));
        }
        if self.after.fds > self.before.fds {
            out.push(format!(
                "file descriptors grew from {} to {}",
                self.before.fds, self.after.fds
            ));
        }
        out
    }

    /// Inconclusive real-time runs, as a fraction of the runs.
    pub fn inconclusive_rate(&self) -> f64 {
        self.real_time.inconclusive as f64 / self.real_time.runs.max(1) as f64
    }
}

/// Runs the campaign of `plan`, printing a line per part as it goes.
pub fn run(plan: &Plan) -> Result<Campaign, String> {
    let started = Instant::now();
    let executors = plan
        .executors
        .iter()
        .map(|name| Ok((name.clone(), crate::executors::open(name, None, None)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let mut campaign = Campaign {
        cores: thread::available_parallelism().map_or(1, |n| n.get()),
        before: Resources::now(),
        ..Campaign::default()
    };
    let samples = Arc::new(Mutex::new(Samples::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop) = (Arc::clone(&samples), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                lock(&samples).add(Resources::now());
                thread::sleep(Duration::from_secs(1));
            }
        })
    };
    campaign.load.push(("start".into(), loadavg()));
    let burning = Arc::new(AtomicBool::new(true));
    let burners: Vec<_> = (0..plan.burners)
        .map(|_| {
            let burning = Arc::clone(&burning);
            thread::spawn(move || {
                let mut x = 0u64;
                while burning.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();
    campaign.real_time = real_time_part(plan, &executors, &mut campaign.load);
    campaign
        .load
        .push(("end of the real-time runs".into(), loadavg()));
    burning.store(false, Ordering::Relaxed);
    for b in burners {
        let _ = b.join();
    }
    // After the burners: the hostile runs are about surviving adapters, not about timing.
    campaign.hostile = hostile_part(plan);
    campaign
        .load
        .push(("end of the hostile runs".into(), loadavg()));
    campaign.lines = malformed_lines(plan.malformed, plan.seed);
    outln!("protocol lines: {}", tally_line(&campaign.lines));
    campaign.scenarios = malformed_scenarios(plan.malformed, plan.seed);
    outln!("scenario files: {}", tally_line(&campaign.scenarios));
    drop(executors);
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    campaign.during = *lock(&samples);
    campaign.after = Resources::now();
    campaign.took = started.elapsed();
    Ok(campaign)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The first three fields of /proc/loadavg (1, 5 and 15 minutes).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| format!("unreadable ({e})"))
}

fn tally_line(m: &Malformed) -> String {
    format!(
        "{} malformed, {} panics, {} kinds of error, {} without a message ({:.1} s)",
        m.inputs,
        m.panics,
        m.kinds.len(),
        m.unnamed,
        m.took.as_secs_f64()
    )
}

/// The real-time part: `plan.runs` case runs on `plan.lanes` threads, dealt round-robin over
/// executors × modes × cases.
fn real_time_part(
    plan: &Plan,
    executors: &[(String, Arc<dyn CaseExecutor>)],
    load: &mut Vec<(String, String)>,
) -> RealTime {
    let started = Instant::now();
    let cases = catalogue::catalogue_with(plan.timeout);
    let work: Vec<(usize, Mode, &Case)> = (0..executors.len())
        .flat_map(|e| Mode::ALL.into_iter().map(move |m| (e, m)))
        .flat_map(|(e, m)| cases.iter().map(move |c| (e, m, c)))
        .collect();
    let config = RunConfig::with_epsilon(plan.epsilon);
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(RealTime::default());
    let half = plan.runs / 2;
    let load = Mutex::new(load);
    thread::scope(|s| {
        for _ in 0..plan.lanes.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= plan.runs {
                    return;
                }
                if i == half {
                    lock(&load).push(("half-way through the real-time runs".into(), loadavg()));
                }
                let (e, mode, case) = work[i % work.len()];
                let (name, executor) = &executors[e];
                let run = panic::catch_unwind(AssertUnwindSafe(|| {
                    run_case(executor, case, mode, &config)
                }));
                let mut t = lock(&tally);
                t.runs += 1;
                let counts = t.per_executor.entry(name.clone()).or_default();
                counts.0 += 1;
                let Ok(run) = run else {
                    t.panics += 1;
                    continue;
                };
                t.retries += u64::from(run.retries);
                if let Some((property, verdict)) = run.first_failure() {
                    t.per_executor.entry(name.clone()).or_default().1 += 1;
                    t.false_failures += 1;
                    if t.failures.len() < 20 {
                        t.failures.push(format!(
                            "{name} {} {} {property} [{}]: {}",
                            mode.as_str(),
                            run.case,
                            property.level().as_str(),
                            verdict.evidence
                        ));
                    }
                } else if let Some((_, verdict)) = run
                    .verdicts
                    .iter()
                    .find(|(_, v)| v.verdict == VerdictKind::Inconclusive)
                {
                    t.per_executor.entry(name.clone()).or_default().2 += 1;
                    t.inconclusive += 1;
                    *t.why_inconclusive
                        .entry(inconclusive_why(verdict))
                        .or_default() += 1;
                } else {
                    t.passed += 1;
                }
                if t.runs % 1000 == 0 && t.runs < plan.runs {
                    let runs = t.runs;
                    t.checkpoints.push((runs, Resources::now()));
                    outln!("{}", t.progress(started.elapsed()));
                }
            });
        }
    });
    let mut t = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    t.took = started.elapsed();
    t.checkpoints.push((t.runs, Resources::now()));
    outln!("{}", t.progress(t.took));
    t
}

/// Why a run was inconclusive, from its evidence (see [`crate::harness::run_case`]).
fn inconclusive_why(verdict: &crate::harness::Verdict) -> &'static str {
    let evidence = &verdict.evidence;
    if crate::harness::within_noise(verdict) {
        "a failure within the run's timing noise (guard band)"
    } else if evidence.contains("the harness woke") {
        "the harness woke later than ε/2"
    } else if evidence.contains("task body") {
        "a task body overran its duration"
    } else {
        "other"
    }
}

/// Hostile runs at once: the runs mostly wait on adapters that misbehave slowly.
const HOSTILE_LANES: usize = 3;

/// The hostile part: `plan.hostile` case runs, cycling through [`HOSTILE`], on
/// [`HOSTILE_LANES`] lanes.
fn hostile_part(plan: &Plan) -> Hostile {
    let started = Instant::now();
    let case = catalogue::catalogue_with(plan.timeout)
        .into_iter()
        .find(|c| c.name == "all-fast")
        .or_else(|| catalogue::catalogue_with(plan.timeout).into_iter().next());
    let Some(case) = case else {
        return Hostile::default();
    };
    // One attempt, a short grace: a hostile run is about the harness surviving it, not about
    // a verdict the machine's lateness could blur.
    let config = RunConfig {
        max_retries: 0,
        grace: Duration::from_millis(250),
        ..RunConfig::with_epsilon(plan.epsilon)
    };
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Hostile::default());
    thread::scope(|s| {
        for _ in 0..HOSTILE_LANES {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= plan.hostile {
                    return;
                }
                let scenario = HOSTILE[i % HOSTILE.len()];
                let began = Instant::now();
                let (outcome, leaked) = hostile_watched(plan, scenario, i, &case, &config);
                let mut t = lock(&tally);
                t.runs += 1;
                t.leaked += leaked;
                let entry = t.per_scenario.entry(scenario.to_string()).or_default();
                entry.runs += 1;
                entry.leaked += leaked;
                entry.took += began.elapsed();
                match outcome {
                    Ok(Ok((judged, said))) => {
                        if judged {
                            entry.judged += 1;
                        } else {
                            entry.refused += 1;
                        }
                        if entry.example.is_empty() {
                            entry.example = said;
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        entry.hangs += 1;
                        t.hangs += 1;
                    }
                    Ok(Err(())) | Err(mpsc::RecvTimeoutError::Disconnected) => t.panics += 1,
                }
                if t.runs % 100 == 0 && t.runs < plan.hostile {
                    let runs = t.runs;
                    t.checkpoints.push((runs, Resources::now()));
                    outln!("{}", t.progress(started.elapsed()));
                }
            });
        }
    });
    let mut tally = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    tally.took = started.elapsed();
    tally.checkpoints.push((tally.runs, Resources::now()));
    outln!("{}", tally.progress(tally.took));
    tally
}

/// Hostile run `i` of `scenario` on a thread of its own under the plan's watchdog (a run
/// past it is a harness hang; `Ok(Err(()))` is a panic), then the processes carrying its
/// marker still alive, killed.
#[allow(clippy::type_complexity)]
fn hostile_watched(
    plan: &Plan,
    scenario: &str,
    i: usize,
    case: &Case,
    config: &RunConfig,
) -> (
    Result<Result<(bool, String), ()>, mpsc::RecvTimeoutError>,
    usize,
) {
    let marker = format!("overtime-stress-{}-{i}", std::process::id());
    let mut argv = plan.adapter.clone();
    argv.extend([scenario.to_string(), marker.clone()]);
    let (done_tx, done_rx) = mpsc::channel();
    let (case, config) = (case.clone(), config.clone());
    let spawned = thread::Builder::new()
        .name(format!("overtime-stress-{scenario}"))
        .spawn(move || {
            let outcome =
                panic::catch_unwind(AssertUnwindSafe(|| hostile_run(argv, &case, &config)));
            let _ = done_tx.send(outcome.map_err(|_| ()));
        });
    let outcome = match spawned {
        Ok(_) => done_rx.recv_timeout(plan.watchdog),
        Err(_) => Err(mpsc::RecvTimeoutError::Disconnected),
    };
    (outcome, kill_marked(&marker))
}

/// One hostile run: start the adapter, run `case` in List mode, tear it down. Whether the
/// case was judged (else the adapter was refused at its start), and what the harness said.
fn hostile_run(argv: Vec<String>, case: &Case, config: &RunConfig) -> (bool, String) {
    let options = ProcessOptions {
        handshake_timeout: Duration::from_secs(5),
        release_timeout: Duration::from_millis(500),
        ..ProcessOptions::default()
    };
    let executor = match ProcessExecutor::with_options(argv, options) {
        Ok(e) => Arc::new(e),
        Err(e) => return (false, e.0),
    };
    let as_case: Arc<dyn CaseExecutor> = executor.clone();
    let run = run_case(&as_case, case, Mode::List, config);
    drop(as_case);
    let said = run
        .first_failure()
        .or_else(|| {
            run.verdicts
                .iter()
                .find(|(_, v)| v.verdict == VerdictKind::Inconclusive)
        })
        .map_or_else(
            || "every property passes".to_string(),
            |(p, v)| format!("{p} {}: {}", v.verdict.as_str(), v.evidence),
        );
    (true, said)
}

/// Kills (SIGKILL) every process but this one whose argv contains `marker`; how many. A
/// process inside an `execve` reads an empty command line for an instant (an interpreter
/// behind a shim, such as pyenv's, execs twice), so the scans go on until
/// [`QUIET_SCANS`] in a row, a millisecond apart, find none (for at most 2 s).
fn kill_marked(marker: &str) -> usize {
    let mut killed = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut quiet = 0;
    while quiet < QUIET_SCANS && Instant::now() < deadline {
        let marked = processes_holding("cmdline", marker.as_bytes());
        quiet = if marked.is_empty() { quiet + 1 } else { 0 };
        for pid in marked {
            // SAFETY: kill(2) on a process this campaign started (it carries the run's marker).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
            killed.insert(pid);
        }
        thread::sleep(Duration::from_millis(1));
    }
    killed.len()
}

/// A parser's error, by kind: its wording with the particulars (positions, quoted names,
/// numbers) taken out.
pub fn error_kind(message: &str) -> String {
    let first = message.lines().next().unwrap_or("").trim();
    let mut kind = String::new();
    let mut quoted = None;
    for c in first.chars() {
        match (quoted, c) {
            (Some(q), c) if c == q => {
                quoted = None;
                kind.push('…');
            }
            (Some(_), _) => {}
            (None, '`' | '"') => quoted = Some(c),
            (None, c) if c.is_ascii_digit() => {
                if !kind.ends_with('N') {
                    kind.push('N');
                }
            }
            (None, c) => kind.push(c),
        }
    }
    for cut in [" at line", ", expected", " (the format", "; see "] {
        if let Some(at) = kind.find(cut) {
            kind.truncate(at);
        }
    }
    kind.chars().take(90).collect()
}

/// Well-formed lines an adapter sends, to mutate.
const LINES: &[&str] = &[
    r#"{"type":"hello","protocol":2,"executor":{"name":"x","version":"1"},"modes":["list","ordered","unordered"],"unsupported":[],"contract":{"clock":"overall","on_timeout":"abort","cancels_running":false}}"#,
    r#"{"type":"clock","seq":3,"now_ns":123456789}"#,
    r#"{"type":"call_made","call":1,"at_ns":17}"#,
    r#"{"type":"call_returned","call":1,"at_ns":18}"#,
    r#"{"type":"task_started","call":1,"task":0,"at_ns":19}"#,
    r#"{"type":"task_ended","call":1,"task":0,"end":"returned","at_ns":20}"#,
    r#"{"type":"answered","call":1,"at_ns":21,"answer":{"kind":"item","task":0}}"#,
    r#"{"type":"answered","call":1,"at_ns":22,"answer":{"kind":"task_failed","task":1}}"#,
    r#"{"type":"answered","call":1,"at_ns":23,"answer":{"kind":"end"}}"#,
    r#"{"type":"done","call":1,"at_ns":24}"#,
    r#"{"type":"error","call":1,"message":"boom"}"#,
    r#"{"type":"released","at_ns":25}"#,
];

/// Tokens a mutation inserts or puts in place of a value.
const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "-1",
    "1e400",
    "0.5",
    "18446744073709551616",
    "\"\\u0000\"",
    "\\",
    "é",
    "🦀",
    "\u{0}",
    "\u{7f}",
    "\n",
    "\t",
    " ",
    "NaN",
    "\"type\":\"hello\"",
    "\"call\":",
    "=",
    "[[tasks]]",
    "'''",
    "#",
    "inf",
    "nan",
    "\"kind\":\"nope\"",
    "kind = \"nope\"",
    "n_jobs = 0",
    "timeout_ms = -5",
    "name = \"other\"",
    "tasks = []",
    "\u{feff}",
    "\"\\ud800\"",
];

/// One to three random edits of `text`.
fn mutate(text: &str, rng: &mut XorShiftRng) -> String {
    let mut s = text.to_string();
    for _ in 0..rng.random_range(1..=3) {
        let at = boundary(&s, rng.random_range(0..=s.len()));
        match rng.random_range(0..100) {
            0..20 => s.truncate(at),
            20..40 => {
                let to = boundary(&s, rng.random_range(at..=s.len()).min(at + 16));
                s.replace_range(at..to, "");
            }
            40..70 => s.insert_str(at, TOKENS[rng.random_range(0..TOKENS.len())]),
            70..85 => {
                // A value replaced: from the next ':' or '=' to the next ',' or '}' or line end.
                if let Some(colon) = s[at..].find([':', '=']).map(|c| at + c + 1) {
                    let end = s[colon..]
                        .find([',', '}', '\n'])
                        .map_or(s.len(), |e| colon + e);
                    s.replace_range(colon..end, TOKENS[rng.random_range(0..TOKENS.len())]);
                }
            }
            85..93 => {
                let c = char::from_u32(rng.random_range(0..0x800)).unwrap_or('?');
                s.insert(at, c);
            }
            93..97 => {
                // A stretch repeated (a duplicated key, a doubled line).
                let to = boundary(&s, rng.random_range(at..=s.len()).min(at + 40));
                let piece = s[at..to].to_string();
                s.insert_str(to, &piece);
            }
            97..99 => {
                let depth = rng.random_range(100..400);
                s = "[".repeat(depth) + &s;
            }
            _ => s.push_str(&"x".repeat(rng.random_range(1000..100_000))),
        }
    }
    s
}

fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Feeds `n` malformed inputs made from `bases` to `parse` (Ok(()) for valid input, Err with
/// the message), catching panics and counting errors by kind.
fn fuzz(
    n: usize,
    seed: u64,
    bases: &[String],
    parse: impl Fn(&str, usize) -> Result<(), String>,
) -> Malformed {
    let started = Instant::now();
    let mut rng = XorShiftRng::seed_from_u64(seed);
    let mut m = Malformed::default();
    // Bounded: a mutation that stays valid is rare, but never loop without end.
    let mut attempts = 0usize;
    while m.inputs < n && attempts < n.saturating_mul(4) {
        attempts += 1;
        let base = rng.random_range(0..bases.len());
        let input = mutate(&bases[base], &mut rng);
        match panic::catch_unwind(AssertUnwindSafe(|| parse(&input, base))) {
            Ok(Ok(())) => m.still_valid += 1,
            Ok(Err(message)) => {
                m.inputs += 1;
                if message.trim().is_empty() {
                    m.unnamed += 1;
                } else {
                    *m.kinds.entry(error_kind(&message)).or_default() += 1;
                }
            }
            Err(_) => {
                m.inputs += 1;
                m.panics += 1;
            }
        }
    }
    m.took = started.elapsed();
    m
}

/// `n` malformed protocol lines through [`wire::parse`].
pub fn malformed_lines(n: usize, seed: u64) -> Malformed {
    let bases: Vec<String> = LINES.iter().map(|l| l.to_string()).collect();
    fuzz(n, seed, &bases, |line, _| wire::parse(line).map(|_| ()))
}

/// `n` malformed scenario files (the catalogue's cases written out, then mutated) through
/// [`scenario::parse`]; a file's name is its case's.
pub fn malformed_scenarios(n: usize, seed: u64) -> Malformed {
    let cases = catalogue::catalogue();
    let bases: Vec<String> = cases.iter().map(scenario::to_toml).collect();
    let files: Vec<PathBuf> = cases
        .iter()
        .map(|c| PathBuf::from(format!("{}.toml", c.name)))
        .collect();
    fuzz(n, seed.wrapping_add(1), &bases, |text, base| {
        scenario::parse(text, &files[base])
            .map(|_| ())
            .map_err(|e| e.message)
    })
}

impl Campaign {
    /// `reports/reliability.md`: what ran, under what load, and what it found.
    pub fn markdown(&self, plan: &Plan, command: &str, date: &str) -> String {
        let mut out = String::new();
        let rt = &self.real_time;
        let h = &self.hostile;
        let _ = writeln!(out, "# Reliability campaign\n");
        let _ = writeln!(
            out,
            "Produced by `{command}` on {date}, in {:.0} s on {} core(s). {}\n",
            self.took.as_secs_f64(),
            self.cores,
            match self.problems().as_slice() {
                [] => "**No false failure, panic, hang or leak.**".to_string(),
                problems => format!("**Problems: {}.**", problems.join(", ")),
            }
        );
        let _ = writeln!(out, "## Load\n");
        let _ = writeln!(
            out,
            "{} burner thread(s) busy-looping (as many as the cores) while the real-time part \
             ran, on top of whatever else the machine was running; /proc/loadavg (1, 5, 15 \
             min):\n",
            plan.burners
        );
        let _ = writeln!(out, "| when | load averages |\n|---|---|");
        for (when, load) in &self.load {
            let _ = writeln!(out, "| {when} | {load} |");
        }
        let _ = writeln!(out, "\n## Real time: conforming executors under load\n");
        let _ = writeln!(
            out,
            "{} case runs of {} (every mode × every catalogue case, round-robin), T = {}, \
             ε = {}, {} at once, in {:.0} s. Both executors conform, so every FAIL would be \
             the harness's false failure. What this shows holds at the load above: the guard \
             band measures the timing noise on the harness's own threads (its probe, task \
             bodies), and on a machine oversubscribed far beyond it the executor's threads can \
             be later than those show.\n",
            rt.runs,
            plan.executors.join(" and "),
            Ms(plan.timeout),
            Ms(plan.epsilon),
            plan.lanes,
            rt.took.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "| executor | runs | false failures | inconclusive |\n|---|---:|---:|---:|"
        );
        for (name, (runs, failed, inconclusive)) in &rt.per_executor {
            let _ = writeln!(out, "| {name} | {runs} | {failed} | {inconclusive} |");
        }
        let _ = writeln!(
            out,
            "| **all** | {} | {} | {} ({:.2} %, target < 1 %) |\n",
            rt.runs,
            rt.false_failures,
            rt.inconclusive,
            100.0 * self.inconclusive_rate()
        );
        let _ = writeln!(
            out,
            "Passed: {}. Retries (the harness late, or a failure within the run's timing \
             noise; up to 2 per run): {}. Panics: {}. Inconclusive runs by why (after every \
             attempt):\n",
            rt.passed, rt.retries, rt.panics
        );
        if rt.why_inconclusive.is_empty() {
            let _ = writeln!(out, "none.");
        }
        for (why, n) in &rt.why_inconclusive {
            let _ = writeln!(out, "- {why}: {n}");
        }
        for f in &rt.failures {
            let _ = writeln!(out, "\n- {f}");
        }
        let _ = writeln!(out, "\n## Hostile adapters\n");
        let _ = writeln!(
            out,
            "{} case runs (List mode, case `all-fast`) of `{}` SCENARIO MARKER, three at a \
             time, after the real-time part (without burners), each under a {:.0} s watchdog, in {:.0} s: {} harness hang(s), {} panic(s), {} \
             leaked process(es) (processes with the run's marker in their argv still alive \
             after the run; each was then killed).\n",
            h.runs,
            plan.adapter.join(" "),
            plan.watchdog.as_secs_f64(),
            h.took.as_secs_f64(),
            h.hangs,
            h.panics,
            h.leaked
        );
        let _ = writeln!(
            out,
            "| scenario | runs | mean time | refused at start | judged | hangs | leaked | what the harness said (first run) |\n|---|---:|---:|---:|---:|---:|---:|---|"
        );
        for (name, s) in &h.per_scenario {
            let said: String = s.example.replace('|', "\\|").replace('\n', " ");
            let said: String = said.chars().take(220).collect();
            let _ = writeln!(
                out,
                "| {name} | {} | {:.2} s | {} | {} | {} | {} | {said} |",
                s.runs,
                s.took.as_secs_f64() / s.runs.max(1) as f64,
                s.refused,
                s.judged,
                s.hangs,
                s.leaked
            );
        }
        for (title, m, parser) in [
            (
                "Malformed protocol lines",
                &self.lines,
                "overtime_process::wire::parse",
            ),
            (
                "Malformed scenario files",
                &self.scenarios,
                "overtime_harness::scenario::parse",
            ),
        ] {
            let _ = writeln!(out, "\n## {title}\n");
            let _ = writeln!(
                out,
                "{} generated inputs through `{parser}` (seed {}; {} more mutations were still \
                 valid and are not counted), in {:.1} s: {} panic(s), {} error(s) without a \
                 message, {} kinds of error:\n",
                m.inputs,
                plan.seed,
                m.still_valid,
                m.took.as_secs_f64(),
                m.panics,
                m.unnamed,
                m.kinds.len()
            );
            let mut kinds: Vec<_> = m.kinds.iter().collect();
            kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let _ = writeln!(out, "| error kind | count |\n|---|---:|");
            for (kind, count) in kinds.iter().take(25) {
                let _ = writeln!(out, "| {} | {count} |", kind.replace('|', "\\|"));
            }
            if kinds.len() > 25 {
                let rest: usize = kinds[25..].iter().map(|(_, c)| **c).sum();
                let _ = writeln!(out, "| ({} other kinds) | {rest} |", kinds.len() - 25);
            }
        }
        let _ = writeln!(out, "\n## The harness's own resources\n");
        let _ = writeln!(
            out,
            "Sampled every second ({} samples) from /proc/self/status (threads, VmRSS) and \
             /proc/self/fd; at rest before and after the campaign, and first, last and worst \
             while it ran (the burners and lanes are threads of the harness too).\n",
            self.during.count
        );
        let _ = writeln!(
            out,
            "| | before | first | last | max | after |\n|---|---:|---:|---:|---:|---:|"
        );
        let d = &self.during;
        for (what, f) in [
            (
                "threads",
                (|r: &Resources| r.threads) as fn(&Resources) -> u64,
            ),
            ("file descriptors", |r| r.fds),
            ("RSS (KiB)", |r| r.rss_kib),
        ] {
            let _ = writeln!(
                out,
                "| {what} | {} | {} | {} | {} | {} |",
                f(&self.before),
                f(&d.first),
                f(&d.last),
                f(&d.max),
                f(&self.after)
            );
        }
        for (part, every, checkpoints) in [
            ("real-time", "1,000", &self.real_time.checkpoints),
            ("hostile-adapter", "100", &self.hostile.checkpoints),
        ] {
            let _ = writeln!(
                out,
                "\nAfter every {every} {part} runs and at the end of that part (the lanes still \
                 running):\n\n| runs | threads | file descriptors | RSS (KiB) |\n|---:|---:|---:|---:|"
            );
            for (runs, r) in checkpoints {
                let _ = writeln!(
                    out,
                    "| {runs} | {} | {} | {} |",
                    r.threads, r.fds, r.rss_kib
                );
            }
            if let Some(growth) = rss_growth(checkpoints) {
                let _ = writeln!(out, "\n{growth}");
            }
        }
        out
    }
}

/// How the resident memory moved from the first checkpoint to the last, in words (`None`
/// with fewer than two checkpoints).
fn rss_growth(checkpoints: &[(usize, Resources)]) -> Option<String> {
    if checkpoints.len() < 2 {
        return None;
    }
    let (&(first_runs, first), &(last_runs, last)) = (checkpoints.first()?, checkpoints.last()?);
    let change = last.rss_kib as f64 / first.rss_kib.max(1) as f64 - 1.0;
    Some(format!(
        "RSS from run {first_runs} to run {last_runs}: {} → {} KiB ({:+.1}%).",
        first.rss_kib,
        last.rss_kib,
        change * 100.0
    ))
}

/// Where the harness's fake adapter is, from the workspace root.
pub fn default_adapter() -> Vec<String> {
    vec![
        "python3".to_string(),
        "adapters/python/fake_adapter.py".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_drop_the_particulars() {
        assert_eq!(
            error_kind("not valid JSON (expected value at line 1 column 7)"),
            "not valid JSON (expected value"
        );
        assert_eq!(
            error_kind("not a protocol message (unknown field `colour`, expected one of `a`)"),
            "not a protocol message (unknown field …"
        );
    }

    #[test]
    fn generated_lines_and_scenarios_are_errors_with_names_and_no_panic() {
        let lines = malformed_lines(2000, 7);
        assert_eq!((lines.inputs, lines.panics, lines.unnamed), (2000, 0, 0));
        assert!(lines.kinds.len() > 5, "{:?}", lines.kinds);
        let files = malformed_scenarios(500, 7);
        assert_eq!((files.inputs, files.panics, files.unnamed), (500, 0, 0));
        assert!(files.kinds.len() > 5, "{:?}", files.kinds);
    }

    #[test]
    fn a_marked_process_is_found_and_killed() {
        let marker = format!("overtime-stress-test-{}", std::process::id());
        // The interpreter itself, not a shim that execs it: once its argv shows the marker, no
        // exec is left to blank it, and the scan must find it.
        let python = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        let python = String::from_utf8_lossy(&python.stdout).trim().to_string();
        let mut child = std::process::Command::new(&python)
            .args(["-c", "import time; time.sleep(30)", &marker])
            .spawn()
            .expect("python3 starts");
        let started = Instant::now();
        let pid = i32::try_from(child.id()).expect("a pid fits i32");
        while !processes_holding("cmdline", marker.as_bytes()).contains(&pid) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{python} never showed its argv"
            );
            thread::sleep(Duration::from_millis(1));
        }
        let found = kill_marked(&marker);
        let status = child.wait().expect("the child is reaped");
        assert_eq!(found, 1);
        assert!(!status.success(), "killed, not finished: {status:?}");
        assert_eq!(kill_marked(&marker), 0);
    }
}
