//! One adapter process, from spawn to reaping: started from an argv (no shell) as the leader
//! of its own process group, handshaken, its clock aligned with the harness's, fed calls, its
//! stdout read strictly line by line, and at the end released and killed as a whole group.
//!
//! Threads: a reader for the adapter's stdout (every protocol line goes through it), one for
//! its stderr (kept as a short tail for error messages), and a waiter that reaps the adapter
//! and notes its exit status. Callers block on one condvar until what they wait for arrived,
//! the session failed, or their own bound passed.

use super::call::{CallState, Step};
use super::escaped;
use super::group;
use super::options::{Heartbeat, ProcessOptions};
use super::wire::{self, ExecutorInfo, FromAdapter, ToAdapter, Unsupported, MAX_LINE};
use overtime_harness::{CallParams, Consumer, Event, Mode, Ms, Profile, Recorder, TaskSpec};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long the teardown waits for the readers of the adapter's stdout and stderr to see the
/// pipes close once every process known to hold them is gone; a pipe still open then is held
/// by a process the harness cannot find, and is not waited for.
const READERS_WAIT: Duration = Duration::from_millis(200);
/// How many stderr lines error messages quote.
const STDERR_TAIL: usize = 12;
/// The longest stderr line kept (longer ones are cut).
const STDERR_LINE: usize = 2000;
/// Tolerance, beyond the alignment's own uncertainty, for an event stamped after its arrival.
const CLOCK_SLACK: Duration = Duration::from_millis(2);
/// How long a closed stdout waits for the exit status (and an exit for the stdout to close)
/// before the failure is reported with what is known.
const EXIT_SETTLE: Duration = Duration::from_millis(500);
/// How long teardown waits for the killed group to be gone.
const REAP_LIMIT: Duration = Duration::from_secs(5);
/// How long a group given SIGTERM (after its grace) has to be gone before SIGKILL.
const TERM_WAIT: Duration = Duration::from_millis(200);

/// What the adapter's hello declared.
#[derive(Debug, Clone)]
pub(super) struct Hello {
    pub executor: ExecutorInfo,
    pub profile: Profile,
    pub unsupported: Vec<Unsupported>,
}

/// Maps the adapter's monotonic clock onto the harness's: `harness_at` is the harness instant
/// at which the adapter's clock read `adapter_ns`, within `uncertainty` (half the round trip of
/// the best of several clock exchanges).
#[derive(Debug, Clone, Copy)]
struct Alignment {
    harness_at: Instant,
    adapter_ns: u64,
    uncertainty: Duration,
}

impl Alignment {
    fn to_harness(self, ns: u64) -> Instant {
        if ns >= self.adapter_ns {
            self.harness_at + Duration::from_nanos(ns - self.adapter_ns)
        } else {
            let back = Duration::from_nanos(self.adapter_ns - ns);
            self.harness_at.checked_sub(back).unwrap_or(self.harness_at)
        }
    }
}

/// A worker's clock, as the adapter last reported it (`specs/protocol.md` §5.1): a stamp `w`
/// on it was read when the adapter's clock read `w - offset_ns`, within `uncertainty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WorkerClock {
    offset_ns: i64,
    uncertainty: Duration,
}

impl WorkerClock {
    /// A stamp on this worker's clock, on the adapter's.
    fn to_adapter(self, worker: &str, at_ns: u64) -> Result<u64, String> {
        let ns = i128::from(at_ns) - i128::from(self.offset_ns);
        u64::try_from(ns).map_err(|_| {
            format!(
                "stamped {at_ns} ns on worker `{worker}`'s clock, which its offset of {} ns puts \
                 outside the adapter's clock (before its origin)",
                self.offset_ns
            )
        })
    }
}

struct Inner {
    hello: Option<Hello>,
    /// The workers whose clocks the adapter reported, by name.
    workers: HashMap<String, WorkerClock>,
    /// Clock requests sent (seq → when) and their replies (seq → adapter ns, arrival).
    clock_asked: HashMap<u64, Instant>,
    clock_replies: HashMap<u64, (u64, Instant)>,
    alignment: Option<Alignment>,
    calls: BTreeMap<u64, CallState>,
    last_call: Option<u64>,
    released: bool,
    /// Teardown has begun: the adapter closing and exiting is expected from now on.
    closing: bool,
    failure: Option<String>,
    exit: Option<String>,
    /// The exit code, if the adapter exited (rather than died of a signal).
    exit_code: Option<i32>,
    eof: bool,
}

impl Inner {
    fn new() -> Inner {
        Inner {
            hello: None,
            workers: HashMap::new(),
            clock_asked: HashMap::new(),
            clock_replies: HashMap::new(),
            alignment: None,
            calls: BTreeMap::new(),
            last_call: None,
            released: false,
            closing: false,
            failure: None,
            exit: None,
            exit_code: None,
            eof: false,
        }
    }
}

struct Shared {
    /// `adapter \`python3 x.py\``, the start of every message about this adapter.
    label: String,
    inner: Mutex<Inner>,
    changed: Condvar,
    stderr: Mutex<VecDeque<String>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last stderr lines, for an error message.
    fn stderr_tail(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        if tail.is_empty() {
            return String::new();
        }
        let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
        format!("; its last stderr lines:\n    {}", lines.join("\n    "))
    }

    /// Fails the session: every call still running ends with the message as an executor
    /// error; the first failure wins. Ignored once teardown has begun.
    fn fail(&self, inner: &mut Inner, message: String) {
        if inner.closing || inner.failure.is_some() {
            return;
        }
        let message = format!("{message}{}", self.stderr_tail());
        let mut running = false;
        for call in inner.calls.values_mut().filter(|c| !c.done) {
            call.fail(&message);
            running = true;
        }
        if !running {
            // Between calls: the last call's trace, if still open, shows it; later calls get it.
            if let Some(call) = inner.last_call.and_then(|id| inner.calls.get_mut(&id)) {
                call.fail(&message);
            }
        }
        inner.failure = Some(message);
        self.changed.notify_all();
    }

    /// Waits until `ready` holds or `deadline` passes; returns the guard and whether it holds.
    fn wait_until<'a>(
        &'a self,
        mut inner: MutexGuard<'a, Inner>,
        deadline: Option<Instant>,
        ready: impl Fn(&Inner) -> bool,
    ) -> (MutexGuard<'a, Inner>, bool) {
        loop {
            if ready(&inner) {
                return (inner, true);
            }
            match deadline {
                None => inner = self.changed.wait(inner).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return (inner, false);
                    }
                    inner = self
                        .changed
                        .wait_timeout(inner, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

/// The adapter process itself: its group, its stdin, the threads that read it.
pub(super) struct Process {
    shared: Arc<Shared>,
    pgid: i32,
    /// Carried by every descendant in its environment, whatever its group ([`escaped`]).
    token: String,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    waiter: Mutex<Option<JoinHandle<()>>>,
    release_timeout: Duration,
    teardown_grace: Duration,
    torn_down: AtomicBool,
    /// The adapter's stdout and stderr as `/proc/PID/fd/*` names them (`pipe:[INODE]`), to
    /// find a process that still holds them after the group is gone (Linux only).
    pipes: Vec<(&'static str, String)>,
}

/// One running adapter that has handshaken: its process and what its hello declared.
pub(super) struct Session {
    process: Process,
    hello: Hello,
    next_call: AtomicU64,
}

impl Session {
    /// Spawns the adapter, handshakes (with a warm-up of `warm_up_n_jobs` workers) and aligns
    /// the clocks. On failure the process group is already killed and reaped.
    pub fn start(
        argv: &[String],
        options: &ProcessOptions,
        warm_up_n_jobs: usize,
    ) -> Result<Session, String> {
        let process = Process::spawn(argv, options)?;
        match process.handshake(options, warm_up_n_jobs) {
            Ok(hello) => Ok(Session {
                process,
                hello,
                next_call: AtomicU64::new(1),
            }),
            Err(e) => {
                let _ = process.teardown();
                Err(e)
            }
        }
    }

    /// A session over a process that has already handshaken (the self-test's, step by step).
    pub(super) fn handshaken(process: Process, hello: Hello) -> Session {
        Session {
            process,
            hello,
            next_call: AtomicU64::new(1),
        }
    }

    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The adapter process, for the self-test's raw steps.
    pub(super) fn process(&self) -> &Process {
        &self.process
    }

    pub fn process_group(&self) -> i32 {
        self.process.pgid
    }

    /// Sends one call; its events will be recorded into `recorder`. Returns the call's id, for
    /// [`Session::wait_done`].
    pub fn start_call(
        &self,
        params: CallParams,
        tasks: &[TaskSpec],
        consumer: &Consumer,
        recorder: Recorder,
    ) -> u64 {
        let shared = &self.process.shared;
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        {
            let mut inner = shared.lock();
            let mut call = CallState::new(id, recorder.clone(), params.mode, params.n_tasks);
            if let Some(f) = &inner.failure {
                call.fail(&format!("{f} (call {id} was never sent)"));
            }
            inner.calls.insert(id, call);
            inner.last_call = Some(id);
            if inner.failure.is_some() {
                return id;
            }
        }
        // The hand-over: the call instant if the adapter never reports making the call.
        let handed_over = recorder.stamp_of(Instant::now());
        let sent = self
            .process
            .send(&ToAdapter::call(id, params, tasks, consumer));
        if sent.is_ok() {
            recorder.record_at(handed_over, Event::CallSent);
        }
        if let Err(e) = sent {
            let mut inner = shared.lock();
            let message = format!("{}: cannot send call {id}: {e}", shared.label);
            shared.fail(&mut inner, message);
        }
        id
    }

    /// Blocks until the adapter's consumer is done with call `id`, the session failed, or it
    /// was torn down.
    pub fn wait_done(&self, id: u64) {
        let shared = &self.process.shared;
        let inner = shared.lock();
        let _ = shared.wait_until(inner, None, |i| i.calls.get(&id).is_none_or(|c| c.done));
    }

    /// How far the adapter's instants may be off once mapped onto the harness's clock: half
    /// the round trip of the clock alignment (0 before it).
    pub fn clock_uncertainty(&self) -> Duration {
        let inner = self.process.shared.lock();
        inner.alignment.map_or(Duration::ZERO, |a| a.uncertainty)
    }

    /// As [`Session::wait_done`], but for at most `limit`; true if the call is done.
    pub fn wait_done_until(&self, id: u64, limit: Duration) -> bool {
        let shared = &self.process.shared;
        let inner = shared.lock();
        let deadline = Some(Instant::now() + limit);
        let (_inner, done) =
            shared.wait_until(inner, deadline, |i| i.calls.get(&id).is_none_or(|c| c.done));
        done
    }

    /// Releases the hung tasks, lets the adapter exit by itself within its grace (stdin
    /// closed), then ends its group with SIGTERM and SIGKILL, reaps it, and kills and reaps
    /// the descendants that left the group. Idempotent. `Ok` holds the warning naming those
    /// descendants, if there were any; `Err` is what went wrong on the way (a release not
    /// acknowledged, a group that would not die), with that warning.
    pub fn teardown(&self) -> Result<Option<String>, String> {
        self.process.teardown()
    }
}

impl Process {
    pub(super) fn spawn(argv: &[String], options: &ProcessOptions) -> Result<Process, String> {
        let label = format!("adapter `{}`", argv.join(" "));
        let Some((program, args)) = argv.split_first() else {
            return Err(
                "an external executor needs a program to run: cmd:<program> [args...]".into(),
            );
        };
        if let Some(why) = group::stopped() {
            return Err(format!("cannot start {label}: {why}"));
        }
        group::become_subreaper();
        let token = escaped::new_token();
        let mut child = Command::new(program)
            .args(args)
            .env(escaped::TOKEN_VAR, &token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start {label}: {e}; check that `{program}` exists and is executable \
                     (it is run directly, without a shell)"
                )
            })?;
        let pgid = i32::try_from(child.id()).unwrap_or(i32::MAX);
        if let Err(why) = group::register(pgid, &token) {
            // Interrupted while it started: it must not outlive the kill that just happened.
            let _ = group::kill(pgid);
            let _ = child.wait();
            let _ = group::reap(pgid, REAP_LIMIT);
            escaped::sweep(&token, pgid, REAP_LIMIT);
            return Err(format!("cannot start {label}: {why}"));
        }
        let shared = Arc::new(Shared {
            label,
            inner: Mutex::new(Inner::new()),
            changed: Condvar::new(),
            stderr: Mutex::new(VecDeque::new()),
        });
        let process = Process {
            shared: Arc::clone(&shared),
            pgid,
            token,
            stdin: Arc::new(Mutex::new(child.stdin.take())),
            threads: Mutex::new(Vec::new()),
            waiter: Mutex::new(None),
            release_timeout: options.release_timeout,
            teardown_grace: options.teardown_grace,
            torn_down: AtomicBool::new(false),
            pipes: [
                ("stdout", child.stdout.as_ref().map(AsRawFd::as_raw_fd)),
                ("stderr", child.stderr.as_ref().map(AsRawFd::as_raw_fd)),
            ]
            .into_iter()
            .filter_map(|(which, fd)| Some((which, escaped::pipe_name(fd?)?)))
            .collect(),
        };
        // From here on, dropping `process` kills and reaps the group.
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let waiter = {
            let shared = Arc::clone(&shared);
            spawn_thread("overtime-adapter-waiter", move || {
                let status = child.wait();
                note_exit(&shared, status)
            })
        };
        *process.waiter.lock().unwrap_or_else(|e| e.into_inner()) = Some(waiter?);
        let mut threads = Vec::new();
        if let Some(stdout) = stdout {
            let shared = Arc::clone(&shared);
            threads.push(spawn_thread("overtime-adapter-stdout", move || {
                read_stdout(&shared, stdout)
            })?);
        }
        if let Some(stderr) = stderr {
            let shared = Arc::clone(&shared);
            let passthrough = options.stderr_passthrough;
            threads.push(spawn_thread("overtime-adapter-stderr", move || {
                read_stderr(&shared, stderr, passthrough)
            })?);
        }
        *process.threads.lock().unwrap_or_else(|e| e.into_inner()) = threads;
        Ok(process)
    }

    fn handshake(&self, options: &ProcessOptions, warm_up_n_jobs: usize) -> Result<Hello, String> {
        let deadline = Instant::now() + options.handshake_timeout;
        let hello = self.await_hello(options, warm_up_n_jobs)?;
        self.align(options, deadline)?;
        Ok(hello)
    }

    /// Sends the hello and waits (up to the handshake timeout) for the adapter's.
    pub(super) fn await_hello(
        &self,
        options: &ProcessOptions,
        warm_up_n_jobs: usize,
    ) -> Result<Hello, String> {
        let label = &self.shared.label;
        self.send(&ToAdapter::Hello {
            protocol: wire::PROTOCOL_VERSION,
            warm_up_n_jobs,
        })
        .map_err(|e| {
            format!(
                "{label}: cannot send the hello: {e}{}",
                self.shared.stderr_tail()
            )
        })?;
        let asked = Instant::now();
        let deadline = asked + options.handshake_timeout;
        let mut inner = self.shared.lock();
        let ready = loop {
            let until = match &options.heartbeat {
                Some(_) => deadline.min(Instant::now() + Heartbeat::EVERY),
                None => deadline,
            };
            let (guard, ready) = self.shared.wait_until(inner, Some(until), |i| {
                i.hello.is_some() || i.failure.is_some()
            });
            if ready || Instant::now() >= deadline {
                inner = guard;
                break ready;
            }
            drop(guard);
            if let Some(heartbeat) = &options.heartbeat {
                heartbeat.beat(asked.elapsed());
            }
            inner = self.shared.lock();
        };
        if let Some(f) = &inner.failure {
            return Err(f.clone());
        }
        let Some(hello) = inner.hello.clone().filter(|_| ready) else {
            drop(inner);
            return Err(format!(
                "{label} sent no hello within {} (its warm-up included): is it an overtime \
                 adapter (specs/protocol.md)?{}",
                Ms(options.handshake_timeout),
                self.shared.stderr_tail()
            ));
        };
        Ok(hello)
    }

    /// Aligns the adapter's clock with the harness's (replies awaited until `deadline`);
    /// returns the alignment's uncertainty.
    pub(super) fn align(
        &self,
        options: &ProcessOptions,
        deadline: Instant,
    ) -> Result<Duration, String> {
        let alignment = self.align_clocks(options, deadline)?;
        self.shared.lock().alignment = Some(alignment);
        Ok(alignment.uncertainty)
    }

    /// Exchanges `clock_samples` clock messages and keeps the one with the shortest round trip.
    fn align_clocks(
        &self,
        options: &ProcessOptions,
        deadline: Instant,
    ) -> Result<Alignment, String> {
        let label = &self.shared.label;
        let mut best: Option<Alignment> = None;
        for seq in 0..u64::from(options.clock_samples.max(1)) {
            let sent = Instant::now();
            self.shared.lock().clock_asked.insert(seq, sent);
            self.send(&ToAdapter::Clock { seq })
                .map_err(|e| format!("{label}: cannot send a clock request: {e}"))?;
            let inner = self.shared.lock();
            let (inner, ready) = self.shared.wait_until(inner, Some(deadline), |i| {
                i.clock_replies.contains_key(&seq) || i.failure.is_some()
            });
            if let Some(f) = &inner.failure {
                return Err(f.clone());
            }
            let Some(&(adapter_ns, arrival)) = inner.clock_replies.get(&seq).filter(|_| ready)
            else {
                return Err(format!(
                    "{label} did not answer clock request {seq} in time{}",
                    self.shared.stderr_tail()
                ));
            };
            let half = arrival.saturating_duration_since(sent) / 2;
            if best.is_none_or(|b| half < b.uncertainty) {
                best = Some(Alignment {
                    harness_at: sent + half,
                    adapter_ns,
                    uncertainty: half,
                });
            }
        }
        best.ok_or_else(|| format!("{label}: no clock sample"))
    }

    fn send(&self, message: &ToAdapter<'_>) -> io::Result<()> {
        let line = serde_json::to_string(message).map_err(io::Error::other)?;
        self.send_line(&line)
    }

    /// Writes one line (its newline added) to the adapter's stdin, whatever it holds.
    pub(super) fn send_line(&self, line: &str) -> io::Result<()> {
        let mut stdin = self.stdin.lock().unwrap_or_else(|e| e.into_inner());
        let Some(stdin) = stdin.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "stdin already closed",
            ));
        };
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()
    }

    /// Sends `release` (from a thread of its own: an adapter that stopped reading its stdin
    /// must not block the caller) and waits up to `limit` for `released`, the adapter's exit
    /// or the end of its stdout. True if it acknowledged the release.
    pub(super) fn release(&self, limit: Duration) -> bool {
        let stdin = Arc::clone(&self.stdin);
        let line = serde_json::to_string(&ToAdapter::Release).unwrap_or_default() + "\n";
        let writer = thread::Builder::new()
            .name("overtime-adapter-release".into())
            .spawn(move || {
                let mut stdin = stdin.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(s) = stdin.as_mut() {
                    let _ = s.write_all(line.as_bytes());
                    let _ = s.flush();
                }
            });
        let deadline = Instant::now() + limit;
        let inner = self.shared.lock();
        let (inner, _) = self.shared.wait_until(inner, Some(deadline), |i| {
            i.released || i.eof || i.exit.is_some()
        });
        writer.is_ok() && inner.released
    }

    /// Closes the adapter's stdin, as the end of a session does; from now on its exit is
    /// expected, not a failure.
    pub(super) fn close_stdin(&self) {
        self.shared.lock().closing = true;
        self.stdin.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Waits up to `limit` for the adapter to exit: how it exited (`exit code 2`) and its
    /// exit code, or `None` if it still runs.
    pub(super) fn wait_exit(&self, limit: Duration) -> Option<(String, Option<i32>)> {
        let inner = self.shared.lock();
        let deadline = Some(Instant::now() + limit);
        let (inner, _) = self
            .shared
            .wait_until(inner, deadline, |i| i.exit.is_some());
        inner.exit.clone().map(|e| (e, inner.exit_code))
    }

    /// Why the session failed, if it did (a protocol error, an `error` the adapter sent).
    pub(super) fn failure(&self) -> Option<String> {
        self.shared.lock().failure.clone()
    }

    /// The adapter's last stderr lines, for a message (empty if none).
    pub(super) fn stderr_tail(&self) -> String {
        self.shared.stderr_tail()
    }

    fn teardown(&self) -> Result<Option<String>, String> {
        if self.torn_down.swap(true, Ordering::AcqRel) {
            return Ok(None);
        }
        let label = self.shared.label.clone();
        let mut problems = Vec::new();
        // An adapter may have been released already (`overtime adapter-test` does it).
        let (healthy, already_released) = {
            let mut inner = self.shared.lock();
            inner.closing = true;
            let healthy = inner.failure.is_none() && !inner.eof && inner.exit.is_none();
            (healthy, inner.released)
        };
        let mut released = already_released;
        if healthy && !already_released {
            released = self.release(self.release_timeout);
            if !released {
                problems.push(format!(
                    "{label} did not acknowledge the release within {}",
                    Ms(self.release_timeout)
                ));
            }
        }
        // Graceful: a released adapter gets stdin EOF and its grace to shut its executor down
        // and exit with its whole group; then SIGTERM, then SIGKILL. Anything else (a broken
        // or hung adapter) goes straight to SIGKILL.
        let mut gone = false;
        let mut cut_short = None;
        if released {
            self.stdin.lock().unwrap_or_else(|e| e.into_inner()).take();
            gone = self.gone_within(self.teardown_grace);
            if !gone {
                group::signal(self.pgid, libc::SIGTERM);
                gone = self.gone_within(TERM_WAIT);
                cut_short = Some(format!(
                    "{label} and its processes were not gone {} after its stdin closed (its \
                     teardown grace, --teardown-grace-ms): SIGTERM{}, so its executor's own \
                     clean-up may have been cut short",
                    Ms(self.teardown_grace),
                    if gone { "" } else { ", then SIGKILL" }
                ));
            }
        }
        if !gone {
            if let Err(e) = group::kill(self.pgid) {
                problems.push(format!(
                    "{label}: cannot kill process group {}: {e}",
                    self.pgid
                ));
            }
            self.join_waiter();
            match group::reap(self.pgid, REAP_LIMIT) {
                Ok(_) => gone = true,
                Err(e) => problems.push(format!("{label}: {e}")),
            }
        }
        // Its descendants that left the group: found by token, killed, reaped, named.
        let swept = escaped::sweep(&self.token, self.pgid, REAP_LIMIT);
        // One that also shed its token still holds the adapter's pipes: found by them.
        let pipes: Vec<String> = self.pipes.iter().map(|(_, name)| name.clone()).collect();
        let held = escaped::sweep_pipe_holders(&pipes, REAP_LIMIT);
        let warnings: Vec<String> = [cut_short, swept.warning(&label), self.held_warning(&held)]
            .into_iter()
            .flatten()
            .collect();
        let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
        problems.extend(swept.problem.map(|p| format!("{label}: {p}")));
        problems.extend(held.problem.map(|p| format!("{label}: {p}")));
        if gone {
            group::forget(self.pgid);
        }
        self.stdin.lock().unwrap_or_else(|e| e.into_inner()).take();
        // The readers end at EOF, once every process holding the pipes is gone.
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        let deadline = Instant::now() + READERS_WAIT;
        for t in threads {
            while !t.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
            if t.is_finished() {
                let _ = t.join();
            } else {
                // Not waited for: its reader thread is left to end whenever the pipe does.
                problems.push(format!(
                    "{label}: its output ({}) is still open {} after its process group was \
                     killed, held by a process this harness cannot find; the run goes on \
                     without waiting for it",
                    self.pipe_names(),
                    Ms(READERS_WAIT)
                ));
                break;
            }
        }
        // Wake anyone still waiting on a call: the process is gone.
        let mut inner = self.shared.lock();
        for call in inner.calls.values_mut().filter(|c| !c.done) {
            call.fail(&format!("{label} was torn down before the call was done"));
        }
        self.shared.changed.notify_all();
        if problems.is_empty() {
            Ok(warning)
        } else {
            problems.extend(warning);
            Err(problems.join("; "))
        }
    }
}

impl Process {
    /// The adapter's pipes, named: `stdout pipe:[123], stderr pipe:[124]`.
    fn pipe_names(&self) -> String {
        if self.pipes.is_empty() {
            return "stdout, stderr".into();
        }
        let named: Vec<String> = self
            .pipes
            .iter()
            .map(|(which, name)| format!("{which} {name}"))
            .collect();
        named.join(", ")
    }

    /// The warning naming the processes that held the adapter's pipes after its group was
    /// gone, if there were any.
    fn held_warning(&self, held: &escaped::Swept) -> Option<String> {
        if held.escaped.is_empty() {
            return None;
        }
        let named: Vec<String> = held
            .escaped
            .iter()
            .map(|e| format!("pid {} `{}`", e.pid, e.command))
            .collect();
        Some(format!(
            "{}: its output pipes ({}) stayed open after its process group was gone, held by {} \
             (a process that left the group and shed its token, e.g. with `env -i`): killed and \
             reaped",
            self.shared.label,
            self.pipe_names(),
            named.join(", ")
        ))
    }

    /// Waits until the adapter has exited and every process of its group is gone and reaped,
    /// for at most `limit`; true if they are.
    fn gone_within(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let inner = self.shared.lock();
        let (inner, exited) = self
            .shared
            .wait_until(inner, Some(deadline), |i| i.exit.is_some());
        drop(inner);
        if !exited {
            return false;
        }
        self.join_waiter();
        group::reap(
            self.pgid,
            deadline.saturating_duration_since(Instant::now()),
        )
        .is_ok()
    }

    /// Waits for the waiter thread, which has reaped the adapter or will once it is killed.
    fn join_waiter(&self) {
        if let Some(waiter) = self.waiter.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = waiter.join();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}

fn spawn_thread(
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> Result<JoinHandle<()>, String> {
    thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .map_err(|e| format!("overtime cannot start a thread ({name}): {e}"))
}

fn describe(status: &io::Result<ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            _ => s.to_string(),
        },
        Err(e) => format!("exit status unknown: {e}"),
    }
}

/// The waiter: notes the exit; an exit whose stdout stays open is a failure of its own.
fn note_exit(shared: &Shared, status: io::Result<ExitStatus>) {
    let text = describe(&status);
    let mut inner = shared.lock();
    inner.exit = Some(text.clone());
    inner.exit_code = status.as_ref().ok().and_then(ExitStatus::code);
    shared.changed.notify_all();
    let deadline = Some(Instant::now() + EXIT_SETTLE);
    let (mut inner, eof) = shared.wait_until(inner, deadline, |i| i.eof || i.closing);
    if !eof {
        let message = format!(
            "{} exited ({text}) but its stdout is still open: a process it started holds it",
            shared.label
        );
        shared.fail(&mut inner, message);
    }
}

/// One line of the adapter's stdout, read with a bound on its length.
enum LineRead {
    Line,
    /// End of output after a partial line (no newline).
    Partial,
    Eof,
    TooLong,
}

fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<LineRead> {
    buf.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if buf.is_empty() {
                LineRead::Eof
            } else {
                LineRead::Partial
            });
        }
        let (take, newline) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (available.len(), false),
        };
        if buf.len() + take > max {
            let keep = max.saturating_sub(buf.len()).min(take);
            buf.extend_from_slice(&available[..keep]);
            return Ok(LineRead::TooLong);
        }
        buf.extend_from_slice(&available[..take]);
        reader.consume(take + usize::from(newline));
        if newline {
            return Ok(LineRead::Line);
        }
    }
}

/// Quotes the start of a line for an error message.
fn snippet(bytes: &[u8]) -> String {
    const SHOWN: usize = 120;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN * 4)]);
    let mut shown: String = text.chars().take(SHOWN).collect();
    if text.chars().count() > SHOWN || bytes.len() > SHOWN * 4 {
        shown.push('…');
    }
    shown
}

fn read_stdout(shared: &Shared, stdout: impl Read) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut buf = Vec::with_capacity(1024);
    let mut line_no: u64 = 0;
    loop {
        let read = read_line(&mut reader, &mut buf, MAX_LINE);
        let arrival = Instant::now();
        let problem = match read {
            Ok(LineRead::Line) => {
                line_no += 1;
                match on_line(shared, line_no, &buf, arrival) {
                    Ok(()) => continue,
                    Err(why) => format!(
                        "{}: protocol error on line {line_no} `{}`: {why}",
                        shared.label,
                        snippet(&buf)
                    ),
                }
            }
            Ok(LineRead::Partial) => format!(
                "{}: protocol error on line {}: `{}` ends without a newline: the adapter stopped \
                 in the middle of a line (truncated output)",
                shared.label,
                line_no + 1,
                snippet(&buf)
            ),
            Ok(LineRead::TooLong) => format!(
                "{}: protocol error on line {}: longer than {MAX_LINE} bytes (it starts `{}`); \
                 protocol lines are short JSON objects",
                shared.label,
                line_no + 1,
                snippet(&buf)
            ),
            Ok(LineRead::Eof) => {
                on_eof(shared);
                return;
            }
            Err(e) => format!("{}: cannot read its stdout: {e}", shared.label),
        };
        let mut inner = shared.lock();
        shared.fail(&mut inner, problem);
        drop(inner);
        // Keep draining, so that an adapter still writing never blocks on a full pipe.
        let _ = io::copy(&mut reader, &mut io::sink());
        on_eof(shared);
        return;
    }
}

fn on_eof(shared: &Shared) {
    let mut inner = shared.lock();
    inner.eof = true;
    shared.changed.notify_all();
    if inner.closing || inner.failure.is_some() {
        return;
    }
    let deadline = Some(Instant::now() + EXIT_SETTLE);
    let (mut inner, _) = shared.wait_until(inner, deadline, |i| i.exit.is_some() || i.closing);
    let status = inner.exit.clone().unwrap_or_else(|| "still running".into());
    let when = match inner.calls.values().find(|c| !c.done) {
        Some(c) => format!("while call {} was running", c.id),
        None if inner.hello.is_none() => "before its hello".into(),
        None => "between calls, before the release".into(),
    };
    let message = format!(
        "{} closed its stdout ({status}) {when}: an adapter serves until the harness releases it",
        shared.label
    );
    shared.fail(&mut inner, message);
}

fn read_stderr(shared: &Shared, stderr: impl Read, passthrough: bool) {
    let mut reader = BufReader::new(stderr);
    let mut buf = Vec::new();
    loop {
        match read_line(&mut reader, &mut buf, STDERR_LINE) {
            Ok(LineRead::Eof) | Err(_) => return,
            Ok(read) => {
                if matches!(read, LineRead::TooLong) {
                    // Skip the rest of the long line.
                    let mut rest = Vec::new();
                    let _ = reader.read_until(b'\n', &mut rest);
                }
                let line = String::from_utf8_lossy(&buf).into_owned();
                if passthrough {
                    eprintln!("[adapter] {line}");
                }
                let mut tail = shared.stderr.lock().unwrap_or_else(|e| e.into_inner());
                if tail.len() == STDERR_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
                if matches!(read, LineRead::Partial) {
                    return;
                }
            }
        }
    }
}

/// Checks one line and applies it; `Err` is the reason it breaks the protocol.
fn on_line(shared: &Shared, line_no: u64, bytes: &[u8], arrival: Instant) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 ({e})"))?;
    let message = wire::parse(text)?;
    let mut inner = shared.lock();
    let inner = &mut *inner;
    let result = apply(inner, line_no, message, arrival);
    shared.changed.notify_all();
    result
}

fn apply(
    inner: &mut Inner,
    line_no: u64,
    message: FromAdapter,
    arrival: Instant,
) -> Result<(), String> {
    let (call, at_ns, step) = match message {
        FromAdapter::Hello {
            protocol,
            executor,
            modes,
            unsupported,
            contract,
            per_mode,
        } => {
            if inner.hello.is_some() {
                return Err("a second hello".into());
            }
            if protocol != wire::PROTOCOL_VERSION {
                return Err(wire::version_mismatch(Some(u64::from(protocol))));
            }
            if modes.is_empty() {
                return Err("the hello declares no mode".into());
            }
            if let Some(u) = unsupported.iter().find(|u| modes.contains(&u.mode)) {
                return Err(format!(
                    "mode {} is declared both supported and unsupported",
                    u.mode
                ));
            }
            let declared = |m: &Mode| modes.contains(m) || unsupported.iter().any(|u| u.mode == *m);
            if let Some(m) = per_mode.keys().find(|m| !declared(m)) {
                return Err(format!(
                    "the hello declares a contract for {m} mode in `per_mode`, but {m} is neither \
                     among its `modes` nor `unsupported`"
                ));
            }
            inner.hello = Some(Hello {
                profile: Profile {
                    name: executor.profile_name(),
                    modes,
                    contract,
                    per_mode,
                },
                executor,
                unsupported,
            });
            return Ok(());
        }
        FromAdapter::Clock { seq, now_ns } => {
            if !inner.clock_asked.contains_key(&seq) {
                return Err(format!(
                    "a clock reply for request {seq}, which was never sent"
                ));
            }
            if inner.clock_replies.insert(seq, (now_ns, arrival)).is_some() {
                return Err(format!("a second clock reply for request {seq}"));
            }
            return Ok(());
        }
        FromAdapter::Released { .. } => {
            if inner.released {
                return Err("a second `released`".into());
            }
            inner.released = true;
            return Ok(());
        }
        FromAdapter::Error { call, message } => {
            let message = format!("the adapter reports: {message}");
            let Some(id) = call else {
                return Err(message);
            };
            let state = inner.calls.get_mut(&id).ok_or_else(|| {
                format!("an error for call {id}, which was never sent: {message}")
            })?;
            if state.done {
                return Err(format!(
                    "an error for call {id}, which was already done: {message}"
                ));
            }
            state.fail(&message);
            return Ok(());
        }
        FromAdapter::WorkerClock {
            worker,
            offset_ns,
            uncertainty_ns,
        } => {
            if worker.is_empty() {
                return Err("a `worker_clock` for a worker with an empty name".into());
            }
            let uncertainty = u64::try_from(uncertainty_ns).map_err(|_| {
                format!(
                    "worker `{worker}`'s clock is reported with a negative uncertainty \
                     ({uncertainty_ns} ns): the uncertainty is half the round trip of the \
                     exchange that measured the offset (specs/protocol.md §5.1)"
                )
            })?;
            let clock = WorkerClock {
                offset_ns,
                uncertainty: Duration::from_nanos(uncertainty),
            };
            inner.workers.insert(worker, clock);
            return Ok(());
        }
        FromAdapter::TaskStarted {
            call,
            at_ns,
            task,
            worker,
        } => {
            let (at_ns, within) = on_adapter_clock(inner, task, at_ns, worker.as_deref())?;
            let (state, at) = locate(inner, call, at_ns, within, arrival)?;
            return state.task_started(line_no, task, at_ns, at, within);
        }
        FromAdapter::TaskEnded {
            call,
            at_ns,
            task,
            end,
            worker,
        } => {
            let (at_ns, within) = on_adapter_clock(inner, task, at_ns, worker.as_deref())?;
            let (state, at) = locate(inner, call, at_ns, within, arrival)?;
            return state.task_ended(line_no, task, end, at_ns, at, within);
        }
        FromAdapter::CallMade { call, at_ns } => (call, at_ns, Step::CallMade),
        FromAdapter::CallReturned { call, at_ns } => (call, at_ns, Step::CallReturned),
        FromAdapter::NextAsked { call, at_ns } => (call, at_ns, Step::NextAsked),
        FromAdapter::Answered {
            call,
            at_ns,
            answer,
        } => (call, at_ns, Step::Answered(answer)),
        FromAdapter::DropBegun { call, at_ns } => (call, at_ns, Step::DropBegun),
        FromAdapter::DropReturned { call, at_ns } => (call, at_ns, Step::DropReturned),
        FromAdapter::Done { call, at_ns } => (call, at_ns, Step::Done),
    };
    let (state, at) = locate(inner, call, at_ns, Duration::ZERO, arrival)?;
    if state.done {
        return Err(format!(
            "a consumer event for call {call}, which was already done"
        ));
    }
    state.consumer_step(step, at_ns, at)
}

/// A task event's stamp on the adapter's clock, and its uncertainty: as it is, or, for one
/// stamped on a worker's clock, translated through that worker's last reported offset.
fn on_adapter_clock(
    inner: &Inner,
    task: usize,
    at_ns: u64,
    worker: Option<&str>,
) -> Result<(u64, Duration), String> {
    let Some(worker) = worker else {
        return Ok((at_ns, Duration::ZERO));
    };
    let clock = inner.workers.get(worker).ok_or_else(|| {
        format!(
            "task {task} is stamped on worker `{worker}`'s clock, whose offset was never \
             reported: send a `worker_clock` for `{worker}` before the first stamp on its clock \
             (specs/protocol.md §5.1)"
        )
    })?;
    Ok((clock.to_adapter(worker, at_ns)?, clock.uncertainty))
}

/// The call an event names, and the event's instant on the harness's clock, checked against
/// when it arrived and when the call was sent. `at_ns` is on the adapter's clock, within
/// `within` (a worker's clock uncertainty) on top of the alignment's own.
fn locate(
    inner: &mut Inner,
    call: u64,
    at_ns: u64,
    within: Duration,
    arrival: Instant,
) -> Result<(&mut CallState, Instant), String> {
    let alignment = inner
        .alignment
        .ok_or_else(|| "an event before the handshake was over".to_string())?;
    let state = inner
        .calls
        .get_mut(&call)
        .ok_or_else(|| format!("an event for call {call}, which was never sent"))?;
    let at = alignment.to_harness(at_ns);
    let slack = alignment.uncertainty + within + CLOCK_SLACK;
    if at > arrival + slack {
        return Err(format!(
            "stamped {} after it arrived: `at_ns` must be read from the adapter's monotonic \
             clock, the one its clock replies read",
            Ms(at - arrival)
        ));
    }
    if at + slack < state.sent_at {
        return Err(format!(
            "stamped {} before call {call} was sent",
            Ms(state.sent_at - at)
        ));
    }
    Ok((state, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use overtime_harness::{Stamped, TaskEnd};

    const ADAPTER_AT: u64 = 1_000_000_000;
    const MS: u64 = 1_000_000;

    /// An aligned session with call 1 sent: the adapter's clock read `ADAPTER_AT` at `base`.
    fn session() -> (Inner, Recorder, Instant) {
        let mut inner = Inner::new();
        let recorder = Recorder::new();
        inner
            .calls
            .insert(1, CallState::new(1, recorder.clone(), Mode::Unordered, 2));
        let base = Instant::now();
        inner.alignment = Some(Alignment {
            harness_at: base,
            adapter_ns: ADAPTER_AT,
            uncertainty: Duration::from_micros(50),
        });
        (inner, recorder, base)
    }

    fn line(inner: &mut Inner, text: &str, arrival: Instant) -> Result<(), String> {
        let message = wire::parse(text)?;
        apply(inner, 1, message, arrival)
    }

    fn task_events(recorder: &Recorder) -> Vec<Stamped> {
        recorder
            .events()
            .into_iter()
            .filter(|e| !matches!(e.event, Event::CallSent))
            .collect()
    }

    #[test]
    fn a_stamp_on_a_worker_clock_is_translated_and_keeps_its_uncertainty() {
        let (mut inner, recorder, base) = session();
        let arrival = base + Duration::from_millis(11);
        line(
            &mut inner,
            r#"{"type":"worker_clock","worker":"fast","offset_ns":40000000,"uncertainty_ns":1000000}"#,
            arrival,
        )
        .unwrap();
        line(
            &mut inner,
            r#"{"type":"worker_clock","worker":"slow","offset_ns":-35000000,"uncertainty_ns":2000000}"#,
            arrival,
        )
        .unwrap();
        // 10 ms after the alignment on the adapter's clock reads +40 ms on `fast`, -35 ms on `slow`.
        let on_fast = ADAPTER_AT + 10 * MS + 40 * MS;
        let on_slow = ADAPTER_AT + 10 * MS - 35 * MS;
        line(
            &mut inner,
            &format!(
                r#"{{"type":"task_started","call":1,"task":0,"at_ns":{on_fast},"worker":"fast"}}"#
            ),
            arrival,
        )
        .unwrap();
        line(
            &mut inner,
            &format!(
                r#"{{"type":"task_started","call":1,"task":1,"at_ns":{on_slow},"worker":"slow"}}"#
            ),
            arrival,
        )
        .unwrap();
        let events = task_events(&recorder);
        let at = recorder.stamp_of(base + Duration::from_millis(10));
        assert_eq!(
            events,
            vec![
                Stamped {
                    at,
                    event: Event::TaskStarted { task: 0 },
                    uncertainty: Duration::from_millis(1)
                },
                Stamped {
                    at,
                    event: Event::TaskStarted { task: 1 },
                    uncertainty: Duration::from_millis(2)
                },
            ]
        );
    }

    #[test]
    fn a_second_report_applies_to_the_stamps_that_follow() {
        let (mut inner, recorder, base) = session();
        let arrival = base + Duration::from_millis(30);
        let report = |offset_ms: i64| {
            format!(
                r#"{{"type":"worker_clock","worker":"w","offset_ns":{},"uncertainty_ns":0}}"#,
                offset_ms * 1_000_000
            )
        };
        line(&mut inner, &report(40), arrival).unwrap();
        let start = ADAPTER_AT + 10 * MS + 40 * MS;
        line(
            &mut inner,
            &format!(r#"{{"type":"task_started","call":1,"task":0,"at_ns":{start},"worker":"w"}}"#),
            arrival,
        )
        .unwrap();
        // The worker's clock drifted by 1 ms; the re-measured offset applies to its end.
        line(&mut inner, &report(41), arrival).unwrap();
        let end = ADAPTER_AT + 20 * MS + 41 * MS;
        line(&mut inner, &format!(r#"{{"type":"task_ended","call":1,"task":0,"at_ns":{end},"end":"returned","worker":"w"}}"#), arrival).unwrap();
        let events = task_events(&recorder);
        assert_eq!(
            events[0].at,
            recorder.stamp_of(base + Duration::from_millis(10))
        );
        assert_eq!(
            events[1].at,
            recorder.stamp_of(base + Duration::from_millis(20))
        );
        assert_eq!(
            events[1].event,
            Event::TaskEnded {
                task: 0,
                end: TaskEnd::Returned
            }
        );
    }

    #[test]
    fn a_stamp_on_an_unreported_worker_clock_is_refused() {
        let (mut inner, _recorder, base) = session();
        let e = line(
            &mut inner,
            &format!(
                r#"{{"type":"task_started","call":1,"task":0,"at_ns":{ADAPTER_AT},"worker":"w7"}}"#
            ),
            base,
        )
        .unwrap_err();
        assert_eq!(
            e,
            "task 0 is stamped on worker `w7`'s clock, whose offset was never reported: send a \
             `worker_clock` for `w7` before the first stamp on its clock (specs/protocol.md §5.1)"
        );
    }

    #[test]
    fn a_negative_uncertainty_or_an_unnamed_worker_is_refused() {
        let (mut inner, _recorder, base) = session();
        let e = line(
            &mut inner,
            r#"{"type":"worker_clock","worker":"w","offset_ns":5,"uncertainty_ns":-3}"#,
            base,
        )
        .unwrap_err();
        assert!(
            e.starts_with("worker `w`'s clock is reported with a negative uncertainty (-3 ns)"),
            "{e}"
        );
        let e = line(
            &mut inner,
            r#"{"type":"worker_clock","worker":"","offset_ns":5,"uncertainty_ns":3}"#,
            base,
        )
        .unwrap_err();
        assert_eq!(e, "a `worker_clock` for a worker with an empty name");
    }

    #[test]
    fn an_offset_that_puts_a_stamp_before_the_adapter_clock_is_refused() {
        let (mut inner, _recorder, base) = session();
        line(
            &mut inner,
            r#"{"type":"worker_clock","worker":"w","offset_ns":5000,"uncertainty_ns":0}"#,
            base,
        )
        .unwrap();
        let e = line(
            &mut inner,
            r#"{"type":"task_started","call":1,"task":0,"at_ns":10,"worker":"w"}"#,
            base,
        )
        .unwrap_err();
        assert!(e.contains("outside the adapter's clock"), "{e}");
    }

    #[test]
    fn a_worker_clock_stamp_withheld_as_the_adapter_s_is_caught_by_the_arrival_check() {
        let (mut inner, _recorder, base) = session();
        // A worker 40 ms ahead, its offset not reported: its stamp seems to come from the future.
        let ahead = ADAPTER_AT + 10 * MS + 40 * MS;
        let e = line(
            &mut inner,
            &format!(r#"{{"type":"task_started","call":1,"task":0,"at_ns":{ahead}}}"#),
            base + Duration::from_millis(10),
        )
        .unwrap_err();
        assert!(e.starts_with("stamped 40 ms after it arrived"), "{e}");
        // The same stamp with the offset reported is in time.
        let (mut inner, _recorder, base) = session();
        line(
            &mut inner,
            r#"{"type":"worker_clock","worker":"w","offset_ns":40000000,"uncertainty_ns":0}"#,
            base,
        )
        .unwrap();
        line(
            &mut inner,
            &format!(r#"{{"type":"task_started","call":1,"task":0,"at_ns":{ahead},"worker":"w"}}"#),
            base + Duration::from_millis(10),
        )
        .unwrap();
    }

    #[test]
    fn a_killed_end_on_the_adapter_clock_may_precede_a_worker_start_by_the_uncertainty() {
        let (mut inner, _recorder, base) = session();
        let arrival = base + Duration::from_millis(20);
        line(
            &mut inner,
            r#"{"type":"worker_clock","worker":"w","offset_ns":0,"uncertainty_ns":2000000}"#,
            arrival,
        )
        .unwrap();
        let start = ADAPTER_AT + 10 * MS;
        line(
            &mut inner,
            &format!(r#"{{"type":"task_started","call":1,"task":0,"at_ns":{start},"worker":"w"}}"#),
            arrival,
        )
        .unwrap();
        let seen = start - MS;
        line(
            &mut inner,
            &format!(r#"{{"type":"task_ended","call":1,"task":0,"at_ns":{seen},"end":"killed"}}"#),
            arrival,
        )
        .unwrap();
        // Beyond the uncertainty it is the adapter's error.
        line(
            &mut inner,
            &format!(r#"{{"type":"task_started","call":1,"task":1,"at_ns":{start},"worker":"w"}}"#),
            arrival,
        )
        .unwrap();
        let seen = start - 3 * MS;
        let e = line(
            &mut inner,
            &format!(r#"{{"type":"task_ended","call":1,"task":1,"at_ns":{seen},"end":"killed"}}"#),
            arrival,
        )
        .unwrap_err();
        assert!(e.contains("before it started"), "{e}");
    }
}
