//! An executor in another process, in any language: the harness side of the JSON-lines
//! protocol of `specs/protocol.md`.
//!
//! ```no_run
//! use overtime_harness::process::ProcessExecutor;
//! let argv = ["python3", "adapters/python/joblib_adapter.py", "--backend", "loky"];
//! let joblib = ProcessExecutor::new(argv.iter().map(|s| s.to_string()).collect())?;
//! println!("{}", joblib.profile_name());
//! # Ok::<(), overtime_harness::process::ProcessError>(())
//! ```
//!
//! - **One process per case.** [`ProcessExecutor::new`] starts the adapter once to learn its
//!   profile from the hello, then stops it. The runner's [`Executor::begin_case`] starts a
//!   fresh adapter (warming up the case's `n_jobs` workers, outside the case's clock and
//!   watchdog), the case's calls (and its follow-up) go to it, and [`Executor::end_case`]
//!   releases its hung tasks, kills its whole process group and reaps it: no worker outlives
//!   its case. Each new adapter must declare the same profile as the first.
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
mod group;
mod session;
pub mod wire;

use crate::catalogue::Case;
use crate::executor::{Call, CallError, Executor, Outcome, SelfConsumed, Slot, SlotResult};
use crate::model::Profile;
use crate::task::{Output, TaskSpec};
use crate::trace::{Answer, Consumer, Event, Recorder};
use session::Session;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::Duration;
pub use wire::{ExecutorInfo, Unsupported, MAX_LINE, PROTOCOL_VERSION};

/// How the process executor bounds and shows its adapter.
#[derive(Debug, Clone)]
pub struct ProcessOptions {
    /// How long an adapter may take to send its hello (its warm-up included) and answer the
    /// clock requests.
    pub handshake_timeout: Duration,
    /// How long teardown waits for the adapter to acknowledge the release before the kill.
    pub release_timeout: Duration,
    /// How many clock exchanges the alignment takes the best of.
    pub clock_samples: u32,
    /// Copy the adapter's stderr to the harness's, line by line, prefixed `[adapter]`.
    /// Either way its last lines are quoted in error messages.
    pub stderr_passthrough: bool,
}

impl Default for ProcessOptions {
    /// 60 s handshake (loky starting workers on a loaded machine), 2 s release, 8 clock
    /// samples; stderr passed through when `OVERTIME_ADAPTER_STDERR=inherit`.
    fn default() -> Self {
        ProcessOptions {
            handshake_timeout: Duration::from_secs(60),
            release_timeout: Duration::from_secs(2),
            clock_samples: 8,
            stderr_passthrough: std::env::var("OVERTIME_ADAPTER_STDERR")
                .is_ok_and(|v| v == "inherit"),
        }
    }
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
        torn.map_err(ProcessError)?;
        Ok(ProcessExecutor {
            argv,
            options,
            executor: hello.executor,
            unsupported: hello.unsupported,
            profile: hello.profile,
            state: Mutex::new(State::default()),
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
    /// a process group that would not die). Empty when every teardown was clean.
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
            if let Err(problem) = session.teardown() {
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

fn specs_of(call: &Call) -> Vec<TaskSpec> {
    call.tasks.iter().map(|t| t.spec().clone()).collect()
}

impl Executor for ProcessExecutor {
    fn profile(&self) -> Profile {
        self.profile.clone()
    }

    /// Runs the call in the adapter with an eager consumer and hands its answers back as they
    /// arrive. The harness's runner uses [`Executor::consume_itself`] instead.
    fn run(&self, call: Call) -> Outcome {
        let session = match self.session(call.n_jobs) {
            Ok(s) => s,
            Err(why) => return Outcome::List(Err(CallError::Executor(why))),
        };
        let (tx, rx) = mpsc::channel();
        let mode = call.mode;
        session.start_call(
            &specs_of(&call),
            call.n_jobs,
            call.timeout,
            mode,
            &Consumer::default(),
            Recorder::new(),
            Some(tx),
        );
        let mut answers = AnswerStream { rx, ended: false };
        if mode != crate::model::Mode::List {
            return Outcome::Stream(Box::new(answers));
        }
        let mut slots = Vec::new();
        for answer in answers.by_ref() {
            match answer {
                Ok(slot) => slots.push(slot),
                Err(e) => return Outcome::List(Err(e)),
            }
        }
        Outcome::List(Ok(slots))
    }

    fn consume_itself(
        &self,
        call: Call,
        behaviour: &Consumer,
        recorder: &Recorder,
    ) -> SelfConsumed {
        let session = match self.session(call.n_jobs) {
            Ok(s) => s,
            Err(message) => {
                recorder.record(Event::CallMade);
                recorder.record(Event::Answered(Answer::ExecutorError { message }));
                return SelfConsumed::Recorded;
            }
        };
        let id = session.start_call(
            &specs_of(&call),
            call.n_jobs,
            call.timeout,
            call.mode,
            behaviour,
            recorder.clone(),
            None,
        );
        // The harness's task bodies never run: the adapter runs its own and reports them.
        drop(call);
        session.wait_done(id);
        SelfConsumed::Recorded
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

/// The answers of a call run by [`Executor::run`], as the stream a lazy mode returns.
struct AnswerStream {
    rx: mpsc::Receiver<Answer>,
    ended: bool,
}

impl Iterator for AnswerStream {
    type Item = SlotResult;

    fn next(&mut self) -> Option<SlotResult> {
        if self.ended {
            return None;
        }
        let Ok(answer) = self.rx.recv() else {
            self.ended = true;
            return None;
        };
        self.ended = answer.is_terminal();
        match answer {
            Answer::Item { task } => Some(Ok(Slot::Value(Output { task }))),
            Answer::TimedOut { task } => Some(Ok(Slot::TimedOut { task })),
            Answer::Timeout => Some(Err(CallError::Timeout { task: None })),
            Answer::TaskFailed { task } => Some(Err(CallError::TaskFailed {
                task,
                message: "failed in the adapter".into(),
            })),
            Answer::ExecutorError { message } => Some(Err(CallError::Executor(message))),
            Answer::End => None,
        }
    }
}
