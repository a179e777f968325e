//! Runs one case against an executor in real time, with a watchdog and a lateness probe.
//!
//! The consumer runs on its own thread; the runner waits for it with a hard bound (the
//! watchdog, [`Case::watchdog_bound`]). An executor that hangs, deadlocks or never returns
//! from drop gets a trace ending in `watchdog_fired` and the runner moves on: the harness never
//! hangs. A probe thread that sleeps in short ticks measures how late the harness itself wakes;
//! a case during which the harness was later than ε/2 is inconclusive and retried, a bounded
//! number of times. The threaded task bodies measure how far they overran their own duration
//! (the machine's lateness, not the executor's): a `P15 progress` failure on a run where one
//! overran by more than ε/2 is inconclusive. A failure by less than the run's measured timing
//! noise (the guard band, [`crate::properties::guard_band`]) is inconclusive too, and the case
//! is retried the same way: only a failure beyond the noise on the final attempt stands.

use crate::case::Case;
use crate::case_executor::CaseExecutor;
use crate::executor::Call;
use crate::model::Mode;
use crate::properties::{guard_band, Noise, Property, Verdict};
use crate::run::{CaseRun, RunConfig};
use crate::task::{instrument, Gate};
use crate::trace::{Answer, Event, Ms, Recorder, Stamped};
use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Runs `case` in `mode`, retrying while the harness itself is late.
pub fn run_case(
    executor: &Arc<dyn CaseExecutor>,
    case: &Case,
    mode: Mode,
    config: &RunConfig,
) -> CaseRun {
    match run_case_unless(executor, case, mode, config, &|| false) {
        Ok(run) => run,
        Err(Abandoned) => unreachable!("a case run is abandoned only when `stop` says so"),
    }
}

/// A case run given up before it ended, because its caller asked it to stop (an interrupt):
/// its trace is the interrupt's, not the executor's, so nothing of it is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abandoned;

/// How often a waiting case run asks its `stop` predicate: an interrupt ends a case run within
/// this much of being asked, however long the case's watchdog bound.
pub const ABANDON_POLL: Duration = Duration::from_millis(50);

/// As [`run_case`], but gives the case run up once `stop()` holds (asked at least every
/// [`ABANDON_POLL`] while it waits): the hung tasks are released, an in-process executor's
/// call is left to its consumer thread, an external executor's adapter is ended, and the run
/// is [`Abandoned`].
pub fn run_case_unless(
    executor: &Arc<dyn CaseExecutor>,
    case: &Case,
    mode: Mode,
    config: &RunConfig,
    stop: &dyn Fn() -> bool,
) -> Result<CaseRun, Abandoned> {
    // The contract of this mode: a profile may declare one per mode.
    let contract = executor.declared_profile().contract_for(mode);
    let mut retries = 0;
    loop {
        if stop() {
            return Err(Abandoned);
        }
        // Before the probe and the watchdog: an external executor starts its adapter here.
        executor.begin_case(case);
        let probe = Probe::start();
        // One gate for the case: the follow-up call runs while the first call's hung tasks are
        // still blocked, so reuse is judged with the executor's workers still occupied.
        let gate = Gate::new();
        // Giving up: release the hung tasks and end the adapter (the probe stops as it drops).
        let abandon = || {
            gate.open();
            executor.end_case();
            Err(Abandoned)
        };
        let Some((events, mut bodies_late)) = run_call(executor, case, mode, config, &gate, stop)
        else {
            return abandon();
        };
        let mut trace = case.trace(mode, contract, events);
        if let Some(follow) = case.follow_up_case() {
            let Some((events, late)) = run_call(executor, &follow, mode, config, &gate, stop)
            else {
                return abandon();
            };
            bodies_late = bodies_late.max(late);
            trace.follow_up = Some(Box::new(follow.trace(mode, contract, events)));
        }
        // Teardown: release every hung task. A consumer still stuck in a deadlocked executor is
        // left behind, detached; the case is over either way.
        gate.open();
        let harness_lateness = probe.stop();
        let noise = Noise {
            probe: harness_lateness,
            bodies: bodies_late,
            clock: executor.clock_uncertainty(),
        };
        // After the release: an external executor kills and reaps its adapter's group here.
        executor.end_case();
        let budget = config.epsilon / 2;
        if harness_lateness > budget && retries < config.max_retries {
            retries += 1;
            continue;
        }
        let mut run = if harness_lateness > budget {
            let why = format!(
                "the harness woke {} late (more than ε/2 = {}) in each of {} attempts",
                Ms(harness_lateness),
                Ms(budget),
                retries + 1
            );
            CaseRun::inconclusive(case, mode, trace, &why)
        } else {
            CaseRun::judged(case, mode, trace, config.epsilon)
        };
        if bodies_late > budget {
            excuse_progress(&mut run, bodies_late, budget);
        }
        let within_noise = guard_band(&run.trace, config.epsilon, &noise, &mut run.verdicts);
        if within_noise > 0 && retries < config.max_retries {
            retries += 1;
            continue;
        }
        run.retries = retries;
        run.harness_lateness = harness_lateness;
        return Ok(run);
    }
}

/// A threaded task body overslept its own duration by `late` (no executor stretches a body
/// already running on its thread: the machine was late), so a `P15 progress` failure on this
/// run is the machine's, not the executor's: it becomes inconclusive, saying so.
fn excuse_progress(run: &mut CaseRun, late: Duration, budget: Duration) {
    for (property, verdict) in &mut run.verdicts {
        if *property == Property::Progress && verdict.is_fail() {
            *verdict = Verdict::inconclusive(format!(
                "a task body on a thread of its own overran its duration by {} (more than \
                 ε/2 = {}): the machine was late, so progress cannot be judged on this run ({})",
                Ms(late),
                Ms(budget),
                verdict.evidence
            ));
        }
    }
}

/// Runs one call of `case` on a consumer thread and returns its recorded events, sealed, and
/// how late the task bodies noted the harness was by then; `None` once `stop()` holds.
fn run_call(
    executor: &Arc<dyn CaseExecutor>,
    case: &Case,
    mode: Mode,
    config: &RunConfig,
    gate: &Gate,
    stop: &dyn Fn() -> bool,
) -> Option<(Vec<Stamped>, Duration)> {
    let recorder = Recorder::new();
    let call = Call::new(case.params(mode), instrument(&case.tasks, &recorder, gate));
    let (done_tx, done_rx) = mpsc::channel();
    let consumer = {
        let executor = Arc::clone(executor);
        let recorder = recorder.clone();
        let behaviour = case.consumer.clone();
        thread::Builder::new()
            .name(format!("overtime-consumer-{}", case.name))
            .spawn(move || {
                // An executor that panics ends its call with that panic as the executor's
                // error, not as a hang: the harness says what happened.
                let made = panic::catch_unwind(AssertUnwindSafe(|| {
                    executor.make_call(call, &behaviour, &recorder)
                }));
                if let Err(panicked) = made {
                    recorder.record(Event::Answered(panicked_answer(&panicked)));
                }
                let _ = done_tx.send(());
            })
    };
    let finished = match consumer {
        Ok(_) => {
            let bound = case.watchdog_bound(config.epsilon, config.grace);
            match wait_unless(bound, stop, |slice| done_rx.recv_timeout(slice)) {
                Waited::Stopped => return None,
                Waited::Done(received) => !matches!(received, Err(mpsc::RecvTimeoutError::Timeout)),
            }
        }
        Err(e) => {
            recorder.record(Event::Answered(Answer::ExecutorError {
                message: format!("the harness could not start a consumer thread: {e}"),
            }));
            true
        }
    };
    if finished {
        // Keep recording a little after the iteration: a task that starts after an abort, or
        // one asked to stop that ends just after it, is part of what is judged (P08, P12).
        let settle = case.settle_time(config.epsilon);
        let slept = wait_unless(settle, stop, |slice| {
            thread::sleep(slice);
            Err::<(), _>(mpsc::RecvTimeoutError::Timeout)
        });
        if slept == Waited::Stopped {
            return None;
        }
    } else {
        recorder.record(Event::WatchdogFired);
    }
    recorder.seal();
    Some((recorder.events(), recorder.harness_lateness()))
}

/// How [`wait_unless`] ended.
#[derive(Debug, PartialEq, Eq)]
enum Waited<T> {
    /// `wait` answered, or `bound` passed (the last answer, a timeout).
    Done(Result<T, mpsc::RecvTimeoutError>),
    /// `stop()` held first.
    Stopped,
}

/// Waits up to `bound` with `wait` (a timed wait that answers `Timeout` when its slice ran
/// out), in slices of at most [`ABANDON_POLL`], asking `stop()` between them.
fn wait_unless<T>(
    bound: Duration,
    stop: &dyn Fn() -> bool,
    wait: impl Fn(Duration) -> Result<T, mpsc::RecvTimeoutError>,
) -> Waited<T> {
    let started = Instant::now();
    loop {
        let left = bound.saturating_sub(started.elapsed());
        let answer = wait(left.min(ABANDON_POLL));
        if !matches!(answer, Err(mpsc::RecvTimeoutError::Timeout)) || left <= ABANDON_POLL {
            return Waited::Done(answer);
        }
        if stop() {
            return Waited::Stopped;
        }
    }
}

/// The answer of a call whose executor panicked: the executor's error, naming the panic.
pub(crate) fn panicked_answer(payload: &Box<dyn Any + Send>) -> Answer {
    Answer::ExecutorError {
        message: format!("the executor panicked: {}", panic_message(payload)),
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into())
}

/// Measures how late the harness's own threads wake while a case runs.
struct Probe {
    stop: Arc<AtomicBool>,
    worst_ns: Arc<AtomicU64>,
    thread: Option<thread::JoinHandle<()>>,
}

/// The probe's sleep: short enough to notice a stall within a case, long enough to cost nothing.
const PROBE_TICK: Duration = Duration::from_millis(2);

impl Probe {
    fn start() -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let worst_ns = Arc::new(AtomicU64::new(0));
        let thread = {
            let stop = Arc::clone(&stop);
            let worst_ns = Arc::clone(&worst_ns);
            thread::Builder::new()
                .name("overtime-probe".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let before = Instant::now();
                        thread::sleep(PROBE_TICK);
                        let late = before.elapsed().saturating_sub(PROBE_TICK);
                        let late_ns = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX);
                        worst_ns.fetch_max(late_ns, Ordering::Relaxed);
                    }
                })
                .ok()
        };
        Probe {
            stop,
            worst_ns,
            thread,
        }
    }

    /// Stops the probe and returns the worst lateness it saw.
    fn stop(mut self) -> Duration {
        self.halt();
        Duration::from_nanos(self.worst_ns.load(Ordering::Relaxed))
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A probe dropped unread (an abandoned case run) stops too.
impl Drop for Probe {
    fn drop(&mut self) {
        self.halt();
    }
}
