//! # overtime-process
//!
//! An executor in another process, in any language: the harness side of the JSON-lines
//! protocol of `specs/protocol.md` (Unix).
//!
//! ```no_run
//! use overtime_process::ProcessExecutor;
//! let argv = ["python3", "adapters/python/joblib_adapter.py", "--backend", "loky"];
//! let joblib = ProcessExecutor::new(argv.iter().map(|s| s.to_string()).collect())?;
//! println!("{}", joblib.profile_name());
//! # Ok::<(), overtime_process::ProcessError>(())
//! ```
//!
//! - **One process per case.** [`ProcessExecutor::new`] starts the adapter once to learn its
//!   profile from the hello, then stops it. The runner's [`CaseExecutor::begin_case`] starts a
//!   fresh adapter (warming up the case's `n_jobs` workers, outside the case's clock and
//!   watchdog), the case's calls (and its follow-up) go to it, and [`CaseExecutor::end_case`]
//!   releases its hung tasks, closes its stdin and gives it a grace to shut its executor down
//!   and exit ([`ProcessOptions::teardown_grace`]), then ends its whole process group with
//!   SIGTERM and SIGKILL and reaps it, and kills the descendants that left the group (found by
//!   the token in their environment, Linux): no worker outlives its case. Each new adapter
//!   must declare the same profile as the first.
//! - **The adapter's consumer is the consumer.** The executor's iterator lives in the adapter,
//!   so the adapter consumes it as the case's [`Consumer`] says and reports every event; this
//!   executor records them through [`Executor::consume_itself`] instead of letting the
//!   harness's consumer pull. [`Executor::run`] also works (an eager consumer in the adapter,
//!   its answers handed back as they come), for callers outside the runner; the adapter it
//!   starts lives until the next case begins or the executor is dropped.
//! - **One clock.** Events carry the adapter's monotonic timestamps; the handshake aligns
//!   that clock with the harness's (the best of several round trips), and each event is
//!   stamped at its aligned instant. An event stamped after it arrived, or before its call
//!   was sent, beyond the alignment's uncertainty, is a protocol error.
//! - **Strict.** Anything that breaks the protocol — garbage, truncated or overlong lines, an
//!   unknown type, field, call or task, an event out of order or twice, an adapter that exits
//!   — fails the session with a message naming the line; every call still running answers
//!   that message as an `executor_error` (so `P07 error_propagation` fails with it). A silent
//!   adapter is bounded by the handshake timeout before a case and by the runner's watchdog
//!   during one.

mod call;
mod escaped;
mod group;
mod options;
pub mod selftest;
mod session;
pub mod wire;

pub use escaped::{processes_holding, QUIET_SCANS};
pub use group::INTERRUPT_GRACE;
pub use options::{Heartbeat, ProcessOptions};
use overtime_harness::{Answer, Call, Case, CaseExecutor, Consumer, Event, Profile, Recorder};
use session::Session;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
pub use wire::{ExecutorInfo, Unsupported, MAX_LINE, PROTOCOL_VERSION};

/// What [`kill_every_adapter`] did.
#[derive(Debug, Clone, Default)]
pub struct KilledAdapters {
    /// How many adapter process groups it killed.
    pub groups: usize,
    /// One warning per adapter whose descendants had left its group, naming them.
    pub escaped: Vec<String>,
}

/// Ends the process group of every adapter alive now, in every [`ProcessExecutor`] of this
/// process (SIGTERM, at most [`INTERRUPT_GRACE`] for them all to go, then SIGKILL), and every
/// descendant that left it, and reaps them: for an interrupt (SIGINT, SIGTERM), when the run
/// stops. Each executor's own teardown still runs after (it finds its adapter gone).
pub fn kill_every_adapter() -> KilledAdapters {
    let (groups, escaped) = group::kill_every_live_group();
    KilledAdapters { groups, escaped }
}

/// The adapter could not be started or did not handshake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProcessError(pub String);

/// An [`Executor`] whose calls run in an adapter process (see the module doc).
pub struct ProcessExecutor {
    argv: Vec<String>,
    options: ProcessOptions,
    executor: ExecutorInfo,
    unsupported: Vec<Unsupported>,
    profile: Profile,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    session: Option<Arc<Session>>,
    /// Why this case's adapter could not start; every call of the case answers it.
    broken: Option<String>,
    teardown_problems: Vec<String>,
}

impl ProcessExecutor {
    /// Starts the adapter `argv` once, handshakes to learn its profile, and stops it.
    pub fn new(argv: Vec<String>) -> Result<ProcessExecutor, ProcessError> {
        ProcessExecutor::with_options(argv, ProcessOptions::default())
    }

    pub fn with_options(
        argv: Vec<String>,
        options: ProcessOptions,
    ) -> Result<ProcessExecutor, ProcessError> {
        let session = Session::start(&argv, &options, 0).map_err(ProcessError)?;
        let hello = session.hello().clone();
        let torn = session.teardown();
        drop(session);
        let mut state = State::default();
        if let Some(warning) = torn.map_err(ProcessError)? {
            eprintln!("overtime: {warning}");
            state.teardown_problems.push(warning);
        }
        Ok(ProcessExecutor {
            argv,
            options,
            executor: hello.executor,
            unsupported: hello.unsupported,
            profile: hello.profile,
            state: Mutex::new(state),
        })
    }

    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The name reports show: `name-version[-variant]` from the hello.
    pub fn profile_name(&self) -> &str {
        &self.profile.name
    }

    /// The library, version and variant the adapter declared.
    pub fn executor_info(&self) -> &ExecutorInfo {
        &self.executor
    }

    /// The modes the adapter declared it cannot run, with its reasons.
    pub fn unsupported(&self) -> &[Unsupported] {
        &self.unsupported
    }

    /// The process group of the current case's adapter, while one runs.
    pub fn process_group(&self) -> Option<i32> {
        self.lock().session.as_ref().map(|s| s.process_group())
    }

    /// Everything that went wrong tearing adapters down so far (a release not acknowledged,
    /// a process group that would not die, descendants that had left the group, named).
    /// Empty when every teardown was clean.
    pub fn teardown_problems(&self) -> Vec<String> {
        self.lock().teardown_problems.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn start_session(&self, warm_up_n_jobs: usize) -> Result<Session, String> {
        let session = Session::start(&self.argv, &self.options, warm_up_n_jobs)?;
        if session.hello().profile != self.profile {
            let declared = format!("{:?}", session.hello().profile);
            let _ = session.teardown();
            return Err(format!(
                "adapter `{}` declared {declared} in this case's hello, but {:?} at its first: \
                 an adapter must declare the same profile every time",
                self.argv.join(" "),
                self.profile
            ));
        }
        Ok(session)
    }

    /// The current case's adapter, started now if the runner did not start one.
    fn session(&self, warm_up_n_jobs: usize) -> Result<Arc<Session>, String> {
        let mut state = self.lock();
        if let Some(why) = &state.broken {
            return Err(why.clone());
        }
        if let Some(s) = &state.session {
            return Ok(Arc::clone(s));
        }
        let session = Arc::new(self.start_session(warm_up_n_jobs)?);
        state.session = Some(Arc::clone(&session));
        Ok(session)
    }

    fn retire(&self, state: &mut State) {
        state.broken = None;
        if let Some(session) = state.session.take() {
            if let Ok(Some(problem)) | Err(problem) = session.teardown() {
                eprintln!("overtime: {problem}");
                state.teardown_problems.push(problem);
            }
        }
    }
}

impl Drop for ProcessExecutor {
    fn drop(&mut self) {
        let mut state = self.lock();
        self.retire(&mut state);
    }
}

impl CaseExecutor for ProcessExecutor {
    fn declared_profile(&self) -> Profile {
        self.profile.clone()
    }

    /// Sends the call to this case's adapter, whose consumer runs and consumes it as
    /// `consumer` says, and records the events it reports until it is done with the call.
    fn make_call(&self, call: Call, consumer: &Consumer, recorder: &Recorder) {
        let session = match self.session(call.n_jobs) {
            Ok(s) => s,
            Err(message) => {
                recorder.record(Event::CallMade);
                recorder.record(Event::Answered(Answer::ExecutorError { message }));
                return;
            }
        };
        let specs: Vec<_> = call.tasks.iter().map(|t| t.spec().clone()).collect();
        let id = session.start_call(call.params(), &specs, consumer, recorder.clone());
        // The harness's task bodies never run: the adapter runs its own and reports them.
        drop(call);
        session.wait_done(id);
    }

    /// The uncertainty of this case's clock alignment: the adapter stamps its own events.
    fn clock_uncertainty(&self) -> Duration {
        self.lock()
            .session
            .as_ref()
            .map_or(Duration::ZERO, |s| s.clock_uncertainty())
    }

    fn begin_case(&self, case: &Case) {
        let mut state = self.lock();
        self.retire(&mut state);
        match self.start_session(case.n_jobs) {
            Ok(session) => state.session = Some(Arc::new(session)),
            Err(why) => state.broken = Some(why),
        }
    }

    fn end_case(&self) {
        let mut state = self.lock();
        self.retire(&mut state);
    }
}
