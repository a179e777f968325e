//! The test suite for your executor: one test per mode × property, one per scenario file and
//! mode, and a generated-workload test per mode, as ordinary test trials that `cargo test` and
//! `cargo nextest` list, filter and run one by one.
//!
//! In a test file declared with `harness = false` in your `Cargo.toml`:
//!
//! ```toml
//! [[test]]
//! name = "my_pool"
//! harness = false
//! ```
//!
//! ```no_run
//! # use overtime_harness::{Call, Contract, Executor, Mode, Outcome, Profile};
//! # struct MyPool;
//! # impl MyPool { fn new(_: usize) -> MyPool { MyPool } }
//! # impl Executor for MyPool {
//! #     fn profile(&self) -> Profile {
//! #         Profile { name: "my-pool".into(), modes: vec![Mode::List], contract: Contract::JOBLIB_DOCUMENTED, ..Profile::default() }
//! #     }
//! #     fn run(&self, _call: Call) -> Outcome { Outcome::List(Ok(Vec::new())) }
//! # }
//! overtime_harness::suite!(my_pool, MyPool::new(4));
//! ```
//!
//! gives `my_pool::list::p01_liveness`, …, `my_pool::unordered::p12_cancel_running` and
//! `my_pool::<mode>::generated_workloads`. The first property trial of a mode runs the
//! catalogue in that mode once; the others judge the same run. A failed property (MUST or
//! SHOULD) fails its trial with the evidence; an inconclusive one fails too (the harness could
//! not judge it and says why); a property that does not apply passes and prints why.
//!
//! Options follow the executor, as `name = value` (each is a method of [`Suite`]):
//!
//! ```no_run
//! # use overtime_harness::{Call, Contract, Executor, Mode, Outcome, Profile};
//! # struct MyPool;
//! # impl MyPool { fn new(_: usize) -> MyPool { MyPool } }
//! # impl Executor for MyPool {
//! #     fn profile(&self) -> Profile {
//! #         Profile { name: "my-pool".into(), modes: vec![Mode::List], contract: Contract::JOBLIB_DOCUMENTED, ..Profile::default() }
//! #     }
//! #     fn run(&self, _call: Call) -> Outcome { Outcome::List(Ok(Vec::new())) }
//! # }
//! overtime_harness::suite!(
//!     my_pool,
//!     MyPool::new(4),
//!     epsilon = std::time::Duration::from_millis(50),    // default 20 ms
//!     timeout = std::time::Duration::from_millis(500),   // the catalogue's T, default 100 ms
//!     scenarios = ["specs/scenarios"],                   // relative to your package
//! );
//! ```
//!
//! `scenarios` adds `my_pool::<mode>::scenario::<file>` for every `*.toml` in those
//! directories, run in real time at the file's own T (a malformed file fails its trial naming
//! its file and line). `OVERTIME_EPSILON_MS` overrides ε from the environment, and
//! `PROPTEST_CASES` / `PROPTEST_RNG_SEED` the generated workloads (their seed is printed, so
//! any run can be replayed). Real-time trials run one at a time unless `--test-threads` says
//! otherwise: a verdict on time must not depend on how busy the machine is with other trials.
//!
//! Run one mode, one property, one file: `cargo test --test my_pool -- list::p01`,
//! `cargo test --test my_pool -- scenario::joblib-1586`.

use crate::campaign::{check, judge_real_time, judged, Campaign, Judged, Levels};
use crate::case_executor::CaseExecutor;
use crate::catalogue::{catalogue_with, CATALOGUE_TIMEOUT};
use crate::conformance::{run_suite, SuiteOptions, SuiteResult};
use crate::millis::Millis;
use crate::model::Mode;
use crate::properties::{near_tie, Property, VerdictKind};
use crate::run::{RunConfig, DEFAULT_EPSILON};
use crate::runner::run_case;
use crate::scenario;
use crate::strategies::Workloads;
use crate::trace::Ms;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Generated calls per mode in the `generated_workloads` trial, unless `PROPTEST_CASES` says
/// otherwise: few, because they run in real time (each call takes up to a few T, T = 10ε).
pub const GENERATED_CALLS: u32 = 12;

/// How long shrinking a real-time failure may take before the smallest call so far is printed.
pub const GENERATED_SHRINK_TIME: Duration = Duration::from_secs(120);

type Make = Arc<dyn Fn() -> Arc<dyn CaseExecutor> + Send + Sync>;

/// The suite of one executor, as test trials. [`crate::suite!`] builds one and runs it as a
/// test binary's `main`; build one yourself to choose its options in code.
#[derive(Clone)]
pub struct Suite {
    name: String,
    make: Make,
    epsilon: Duration,
    timeout: Duration,
    root: PathBuf,
    scenario_dirs: Vec<PathBuf>,
    generated_calls: u32,
}

impl Suite {
    /// The suite of the executor `make` builds (called once per mode), its trials named
    /// `name::…`.
    pub fn new<E: CaseExecutor + 'static>(
        name: &str,
        make: impl Fn() -> E + Send + Sync + 'static,
    ) -> Suite {
        Suite {
            name: name.to_string(),
            make: Arc::new(move || Arc::new(make()) as Arc<dyn CaseExecutor>),
            epsilon: DEFAULT_EPSILON,
            timeout: CATALOGUE_TIMEOUT,
            root: PathBuf::from("."),
            scenario_dirs: Vec::new(),
            generated_calls: GENERATED_CALLS,
        }
    }

    /// The tolerance ε (default 20 ms; `OVERTIME_EPSILON_MS` overrides it).
    pub fn epsilon(mut self, epsilon: Duration) -> Suite {
        self.epsilon = epsilon;
        self
    }

    /// The catalogue's timeout T (default 100 ms): every case scales with it.
    pub fn timeout(mut self, timeout: Duration) -> Suite {
        self.timeout = timeout;
        self
    }

    /// The directory scenario directories are relative to (the macro gives your package's).
    pub fn root(mut self, root: impl Into<PathBuf>) -> Suite {
        self.root = root.into();
        self
    }

    /// Directories of scenario files to run, one trial per file and mode.
    pub fn scenarios<P: AsRef<Path>>(mut self, dirs: impl IntoIterator<Item = P>) -> Suite {
        self.scenario_dirs
            .extend(dirs.into_iter().map(|d| d.as_ref().to_path_buf()));
        self
    }

    /// Generated calls per mode (default [`GENERATED_CALLS`]; `PROPTEST_CASES` overrides it).
    pub fn generated_calls(mut self, calls: u32) -> Suite {
        self.generated_calls = calls;
        self
    }

    /// ε as the environment may override it.
    fn effective_epsilon(&self) -> Result<Duration, String> {
        Ok(Millis::from_env("OVERTIME_EPSILON_MS")?.map_or(self.epsilon, Duration::from))
    }

    /// Every trial of the suite.
    pub fn trials(&self) -> Vec<Trial> {
        let epsilon = match self.effective_epsilon() {
            Ok(e) => e,
            Err(message) => {
                return vec![Trial::test(
                    format!("{}::configuration", self.name),
                    move || Err(message.into()),
                )]
            }
        };
        let catalogue = {
            let suite = self.clone();
            move |mode: Mode| {
                let options = SuiteOptions {
                    run: RunConfig::with_epsilon(epsilon),
                    modes: vec![mode],
                    cases: catalogue_with(suite.timeout),
                };
                run_suite(&(suite.make)(), &options, |_| {})
            }
        };
        let mut trials = Vec::new();
        for (mode, property_trials) in property_trials(&self.name, Arc::new(catalogue)) {
            trials.extend(property_trials);
            let suite = self.clone();
            trials.push(Trial::test(
                format!("{}::{mode}::generated_workloads", self.name),
                move || suite.generated_workloads(mode, epsilon),
            ));
            trials.extend(self.scenario_trials(mode, epsilon));
        }
        trials
    }

    /// Runs the trials as a test binary's `main`: parses the test harness's arguments, runs
    /// real-time trials one at a time unless `--test-threads` says otherwise, and exits with
    /// the harness's code.
    pub fn main(&self) -> ! {
        let mut args = Arguments::from_args();
        if args.test_threads.is_none() {
            args.test_threads = Some(1);
        }
        libtest_mimic::run(&args, self.trials()).exit()
    }

    /// One trial per scenario file and this mode.
    fn scenario_trials(&self, mode: Mode, epsilon: Duration) -> Vec<Trial> {
        let mut trials = Vec::new();
        for dir in &self.scenario_dirs {
            let dir = self.root.join(dir);
            let files = if dir.is_dir() {
                scenario::files(&dir).map_err(|e| e.to_string())
            } else {
                Err(format!(
                    "{}: not a directory (scenario directories are relative to the package)",
                    dir.display()
                ))
            };
            let files = match files {
                Ok(files) => files,
                Err(message) => {
                    trials.push(Trial::test(
                        format!("{}::{mode}::scenario::{}", self.name, dir.display()),
                        move || Err(message.into()),
                    ));
                    continue;
                }
            };
            for path in files {
                let stem = scenario::name_of(&path);
                let suite = self.clone();
                trials.push(Trial::test(
                    format!("{}::{mode}::scenario::{stem}", self.name),
                    move || suite.scenario_file(&path, mode, epsilon),
                ));
            }
        }
        trials
    }

    /// Runs one scenario file in real time: fails on a MUST failure or a malformed file; a
    /// run with a near tie (a completion within ε of a due time) is reported, not judged: ties
    /// are for simulated time.
    fn scenario_file(&self, path: &Path, mode: Mode, epsilon: Duration) -> Result<(), Failed> {
        let executor = (self.make)();
        let profile = executor.declared_profile();
        if !profile.modes.contains(&mode) {
            println!("{} does not support {mode} mode: not run", profile.name);
            return Ok(());
        }
        let case = scenario::load(path).map_err(|e| e.to_string())?;
        let run = run_case(&executor, &case, mode, &RunConfig::with_epsilon(epsilon));
        if let Some(tie) = near_tie(&run.trace, epsilon) {
            println!("{}: not judged in real time: {tie}", path.display());
            return Ok(());
        }
        match judged(&run.verdicts, Levels::Must) {
            Judged::Pass => Ok(()),
            Judged::Skip(why) => Err(format!("could not be judged: {why}").into()),
            Judged::Stopped => Err("stopped before it was judged".into()),
            Judged::Fail { property, evidence } => Err(format!(
                "{} violates {} in {mode} mode, scenario {}: {evidence}",
                profile.name,
                property.label(),
                path.display()
            )
            .into()),
        }
    }

    /// Generated calls in real time against the executor; fails on the first MUST failure
    /// with the shrunk call as a scenario file. Prints the seed first, so any run can be
    /// replayed with `PROPTEST_RNG_SEED`.
    fn generated_workloads(&self, mode: Mode, epsilon: Duration) -> Result<(), Failed> {
        let executor = (self.make)();
        let profile = executor.declared_profile();
        if !profile.modes.contains(&mode) {
            println!(
                "{} does not support {mode} mode: nothing to generate",
                profile.name
            );
            return Ok(());
        }
        let workloads = Workloads::real_time(epsilon, vec![mode]);
        let campaign =
            Campaign::from_env(self.generated_calls).with_shrink_time(GENERATED_SHRINK_TIME);
        let config = RunConfig::with_epsilon(epsilon);
        println!(
            "generated workloads for {} in {mode} mode: {} calls, ε {}, T {}; seed {} \
             (PROPTEST_RNG_SEED={} replays it, PROPTEST_CASES=N runs N calls)",
            profile.name,
            campaign.cases,
            Ms(epsilon),
            Ms(workloads.timeout),
            campaign.seed,
            campaign.seed
        );
        let tally = check(&campaign, &profile, &workloads.calls(), |call| {
            judge_real_time(&executor, call, &config, Levels::Must)
        })
        .map_err(|e| e.to_string())?;
        println!("{} in {mode} mode: {tally}", profile.name);
        Ok(())
    }
}

/// Runs the catalogue in one mode and folds it (the real-time runner, or another clock's).
pub(crate) type RunMode = Arc<dyn Fn(Mode) -> SuiteResult + Send + Sync>;

/// One trial per property in each mode, named `{prefix}::{mode}::pNN_name`, judging what
/// `run` gives for that mode; the first trial of a mode to run runs it, the others judge the
/// same result.
pub(crate) fn property_trials(prefix: &str, run: RunMode) -> Vec<(Mode, Vec<Trial>)> {
    Mode::ALL
        .into_iter()
        .map(|mode| {
            let matrix = Arc::new(ModeRun {
                run: Arc::clone(&run),
                mode,
                result: OnceLock::new(),
            });
            let trials = Property::ALL
                .into_iter()
                .map(|property| {
                    let matrix = Arc::clone(&matrix);
                    Trial::test(
                        format!(
                            "{prefix}::{mode}::{}_{}",
                            property.id().to_lowercase(),
                            property.name()
                        ),
                        move || matrix.check(property),
                    )
                })
                .collect();
            (mode, trials)
        })
        .collect()
}

/// The catalogue run in one mode, shared by that mode's property trials.
struct ModeRun {
    run: RunMode,
    mode: Mode,
    result: OnceLock<SuiteResult>,
}

impl ModeRun {
    fn result(&self) -> &SuiteResult {
        self.result.get_or_init(|| (self.run)(self.mode))
    }

    /// Judges `property` in this mode; fails with the evidence when it fails or is
    /// inconclusive.
    fn check(&self, property: Property) -> Result<(), Failed> {
        let result = self.result();
        let mode = self.mode;
        let Some(r) = result.result(mode, property) else {
            return Err(format!("{mode} {}: no verdict was produced", property.label()).into());
        };
        match r.verdict {
            VerdictKind::Pass => Ok(()),
            VerdictKind::NotApplicable => {
                println!("{mode} {} not applicable: {}", property.label(), r.evidence);
                Ok(())
            }
            VerdictKind::Fail => Err(format!(
                "{} violates {} in {mode} mode\n  {}",
                result.profile.name,
                property.label(),
                r.evidence
            )
            .into()),
            VerdictKind::Inconclusive => Err(format!(
                "{mode} {} could not be judged: {} (run again on a quieter machine, or raise ε)",
                property.label(),
                r.evidence
            )
            .into()),
        }
    }
}

/// Makes a test binary (declared `harness = false`) that runs an executor's whole suite. See
/// [`crate::suite`] for the trials and the options.
#[macro_export]
macro_rules! suite {
    ($name:ident, $make:expr $(, $option:ident = $value:expr)* $(,)?) => {
        fn main() {
            $crate::Suite::new(::std::stringify!($name), || $make)
                .root(::std::env!("CARGO_MANIFEST_DIR"))
                $(.$option($value))*
                .main()
        }
    };
}
