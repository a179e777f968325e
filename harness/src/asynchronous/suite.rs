//! The test suite of an async executor, as test trials: [`AsyncSuite`] and
//! [`crate::async_suite!`]. Real time: every trial of [`crate::Suite`] (one per mode ×
//! property, generated workloads, scenario files), the executor on [`RealTime`]. Paused time:
//! one more trial per mode × property, `<name>::paused::<mode>::<pNN_property>`, the catalogue
//! in tokio's paused time at [`PAUSED_EPSILON`] (cases paused time cannot model are left to
//! real time and say so).

use super::executor::AsyncExecutor;
use super::paused::{self, PAUSED_EPSILON};
use super::real_time::RealTime;
use crate::catalogue::{catalogue_with, CATALOGUE_TIMEOUT};
use crate::conformance::{fold, SuiteResult};
use crate::model::Mode;
use crate::suite::{property_trials, Suite};
use libtest_mimic::{Arguments, Trial};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Make<E> = Arc<dyn Fn() -> E + Send + Sync>;

/// The suite of one async executor, in real time and in paused time.
pub struct AsyncSuite<E> {
    name: String,
    make: Make<E>,
    real_time: Suite,
    timeout: Duration,
}

impl<E: AsyncExecutor> AsyncSuite<E> {
    /// The suite of the executor `make` builds (once per mode and clock), its trials named
    /// `name::…`.
    pub fn new(name: &str, make: impl Fn() -> E + Send + Sync + 'static) -> AsyncSuite<E> {
        let make: Make<E> = Arc::new(make);
        let real_time = {
            let make = Arc::clone(&make);
            Suite::new(name, move || RealTime::new(make()))
        };
        AsyncSuite {
            name: name.to_string(),
            make,
            real_time,
            timeout: CATALOGUE_TIMEOUT,
        }
    }

    /// The real-time tolerance ε (default 20 ms; `OVERTIME_EPSILON_MS` overrides it). Paused
    /// time is judged at [`PAUSED_EPSILON`] whatever this says.
    pub fn epsilon(mut self, epsilon: Duration) -> Self {
        self.real_time = self.real_time.epsilon(epsilon);
        self
    }

    /// The catalogue's timeout T (default 100 ms), in both clocks.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.real_time = self.real_time.timeout(timeout);
        self.timeout = timeout;
        self
    }

    /// The directory scenario directories are relative to (the macro gives your package's).
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.real_time = self.real_time.root(root);
        self
    }

    /// Directories of scenario files to run in real time, one trial per file and mode.
    pub fn scenarios<P: AsRef<Path>>(mut self, dirs: impl IntoIterator<Item = P>) -> Self {
        self.real_time = self.real_time.scenarios(dirs);
        self
    }

    /// Generated calls per mode in real time (default [`crate::GENERATED_CALLS`]).
    pub fn generated_calls(mut self, calls: u32) -> Self {
        self.real_time = self.real_time.generated_calls(calls);
        self
    }

    /// Every trial: the real-time suite's, then the paused-time property trials.
    pub fn trials(&self) -> Vec<Trial> {
        let mut trials = self.real_time.trials();
        let (make, timeout) = (Arc::clone(&self.make), self.timeout);
        let run = move |mode: Mode| run_paused(&Arc::new(make()), mode, timeout);
        for (_, mode_trials) in property_trials(&format!("{}::paused", self.name), Arc::new(run)) {
            trials.extend(mode_trials);
        }
        trials
    }

    /// Runs the trials as a test binary's `main` (real-time trials one at a time unless
    /// `--test-threads` says otherwise).
    pub fn main(&self) -> ! {
        let mut args = Arguments::from_args();
        if args.test_threads.is_none() {
            args.test_threads = Some(1);
        }
        libtest_mimic::run(&args, self.trials()).exit()
    }
}

/// The catalogue at T = `timeout` in `mode`, in paused time, folded into the matrix. A case
/// paused time cannot model counts as not applicable on every property, saying why.
pub fn run_paused<E: AsyncExecutor>(
    executor: &Arc<E>,
    mode: Mode,
    timeout: Duration,
) -> SuiteResult {
    let started = Instant::now();
    let profile = executor.profile();
    let runs = if profile.modes.contains(&mode) {
        catalogue_with(timeout)
            .iter()
            .map(|case| {
                paused::run_case(executor, case, mode)
                    .unwrap_or_else(|| paused::not_run(case, mode, profile.contract))
            })
            .collect()
    } else {
        Vec::new()
    };
    fold(profile, &[mode], PAUSED_EPSILON, runs, started.elapsed())
}

/// Makes a test binary (declared `harness = false`) that runs an async executor's whole
/// suite, in real time and in paused time. The options are [`AsyncSuite`]'s methods, as for
/// [`crate::suite!`].
///
/// ```no_run
/// # use overtime_harness::asynchronous::{AsyncCall, AsyncExecutor, AsyncOutcome};
/// # use overtime_harness::{Contract, Mode, Profile};
/// # struct MyPool;
/// # impl AsyncExecutor for MyPool {
/// #     fn profile(&self) -> Profile {
/// #         Profile { name: "my-pool".into(), modes: vec![Mode::List], contract: Contract::JOBLIB_DOCUMENTED, ..Profile::default() }
/// #     }
/// #     fn run(&self, _call: AsyncCall) -> AsyncOutcome { AsyncOutcome::list(async { Ok(Vec::new()) }) }
/// # }
/// overtime_harness::async_suite!(my_pool, MyPool);
/// ```
#[macro_export]
macro_rules! async_suite {
    ($name:ident, $make:expr $(, $option:ident = $value:expr)* $(,)?) => {
        fn main() {
            $crate::__AsyncSuite::new(::std::stringify!($name), || $make)
                .root(::std::env!("CARGO_MANIFEST_DIR"))
                $(.$option($value))*
                .main()
        }
    };
}
