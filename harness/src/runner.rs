//! Runs one case against an executor in real time, with a watchdog and a lateness probe.
//!
//! The consumer runs on its own thread; the runner waits for it with a hard bound (the
//! watchdog). An executor that hangs, deadlocks or never returns from drop gets a trace ending
//! in `watchdog_fired` and the runner moves on: the harness never hangs. A probe thread that
//! sleeps in short ticks measures how late the harness itself wakes; a case during which the
//! harness was later than ε/2 is inconclusive and retried, a bounded number of times.

use crate::catalogue::Case;
use crate::executor::{Call, CallError, Executor, Outcome, SelfConsumed, Slot};
use crate::model::{CallShape, Mode};
use crate::properties::{judge, Property, Verdict};
use crate::task::{instrument, Gate, TaskSpec};
use crate::trace::{Answer, Consumer, Event, Ms, Recorder, Trace};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// How the runner judges and bounds cases.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The tolerance ε for every time-related property.
    pub epsilon: Duration,
    /// Added to each case's bound before the watchdog fires (spec §5).
    pub grace: Duration,
    /// How many times an inconclusive case is run again.
    pub max_retries: u32,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            epsilon: DEFAULT_EPSILON,
            grace: DEFAULT_GRACE,
            max_retries: 2,
        }
    }
}

/// The default real-time tolerance.
pub const DEFAULT_EPSILON: Duration = Duration::from_millis(20);
/// The default grace the watchdog adds to a case's bound.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// The fast tasks of the follow-up call that `P11 reusable` judges.
const FOLLOW_UP_TASKS: usize = 4;

/// One case run in one mode: the trace and its verdicts.
#[derive(Debug, Clone)]
pub struct CaseRun {
    pub case: String,
    pub mode: Mode,
    pub trace: Trace,
    pub verdicts: Vec<(Property, Verdict)>,
    /// How many times the case was run again because the harness was late.
    pub retries: u32,
    /// The harness's worst wake-up lateness during the final attempt.
    pub harness_lateness: Duration,
}

/// Runs `case` in `mode`, retrying while the harness itself is late.
pub fn run_case(
    executor: &Arc<dyn Executor>,
    case: &Case,
    mode: Mode,
    config: &RunConfig,
) -> CaseRun {
    let mut retries = 0;
    loop {
        // Before the probe and the watchdog: an external executor starts its adapter here.
        executor.begin_case(case);
        let probe = Probe::start();
        // One gate for the case: the follow-up call runs while the first call's hung tasks are
        // still blocked, so reuse is judged with the executor's workers still occupied.
        let gate = Gate::new();
        let mut trace = run_call(executor, case, mode, config, &gate);
        if case.follow_up {
            let follow = Case {
                tasks: vec![
                    TaskSpec::Sleep {
                        ms: Duration::from_millis(1)
                    };
                    FOLLOW_UP_TASKS
                ],
                consumer: Consumer::default(),
                follow_up: false,
                ..case.clone()
            };
            trace.follow_up = Some(Box::new(run_call(executor, &follow, mode, config, &gate)));
        }
        // Teardown: release every hung task. A consumer still stuck in a deadlocked executor is
        // left behind, detached; the case is over either way.
        gate.open();
        let harness_lateness = probe.stop();
        // After the release: an external executor kills and reaps its adapter's group here.
        executor.end_case();
        let budget = config.epsilon / 2;
        if harness_lateness > budget {
            if retries < config.max_retries {
                retries += 1;
                continue;
            }
            let why = format!(
                "the harness woke {} late (more than ε/2 = {}) in each of {} attempts",
                Ms(harness_lateness),
                Ms(budget),
                retries + 1
            );
            let verdicts = Property::ALL
                .into_iter()
                .map(|p| (p, Verdict::inconclusive(why.clone())))
                .collect();
            return CaseRun {
                case: case.name.clone(),
                mode,
                trace,
                verdicts,
                retries,
                harness_lateness,
            };
        }
        let verdicts = judge(&trace, config.epsilon);
        return CaseRun {
            case: case.name.clone(),
            mode,
            trace,
            verdicts,
            retries,
            harness_lateness,
        };
    }
}

/// The watchdog's bound for a case: an upper bound on when a correct executor has finished
/// (every finite task run back to back, every pause, a timeout per task and one more), plus ε
/// and the grace.
pub fn case_bound(case: &Case, config: &RunConfig) -> Duration {
    let n = case.tasks.len() as u32;
    let work: Duration = case.tasks.iter().filter_map(TaskSpec::duration).sum();
    let pauses = case.consumer.start_after_ms + case.consumer.pause_ms * (n + 1);
    let timeouts = case.timeout.unwrap_or_default() * (n + 1);
    work + pauses + timeouts + config.epsilon + config.grace
}

/// How long the runner keeps recording after the consumer is done: 2ε + max(0.4T, 20 ms), so
/// that what happens within 0.4T of an abort (a task dispatched after it, a stop request
/// honoured late) is in the trace. The simulated driver uses the same rule with ε = 0.
pub fn settle_time(epsilon: Duration, timeout: Option<Duration>) -> Duration {
    let after_abort = timeout.map_or(Duration::ZERO, |t| t.mul_f64(0.4));
    epsilon * 2 + after_abort.max(Duration::from_millis(20))
}

/// Runs one call of `case` on a consumer thread and returns its sealed trace.
fn run_call(
    executor: &Arc<dyn Executor>,
    case: &Case,
    mode: Mode,
    config: &RunConfig,
    gate: &Gate,
) -> Trace {
    let recorder = Recorder::new();
    let call = Call {
        tasks: instrument(&case.tasks, &recorder, gate),
        n_jobs: case.n_jobs,
        timeout: case.timeout,
        mode,
    };
    let (done_tx, done_rx) = mpsc::channel();
    let consumer = {
        let executor = Arc::clone(executor);
        let recorder = recorder.clone();
        let behaviour = case.consumer.clone();
        thread::Builder::new()
            .name(format!("overtime-consumer-{}", case.name))
            .spawn(move || {
                consume(&*executor, call, &behaviour, &recorder);
                let _ = done_tx.send(());
            })
    };
    let finished = match consumer {
        Ok(_) => done_rx.recv_timeout(case_bound(case, config)).is_ok(),
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
        thread::sleep(settle_time(config.epsilon, case.timeout));
    } else {
        recorder.record(Event::WatchdogFired);
    }
    recorder.seal();
    Trace {
        shape: CallShape {
            n_tasks: case.tasks.len(),
            n_jobs: case.n_jobs,
            timeout: case.timeout,
            mode,
        },
        contract: executor.profile().contract,
        tasks: case.tasks.clone(),
        consumer: case.consumer.clone(),
        events: recorder.events(),
        follow_up: None,
    }
}

/// The harness's consumer: makes the call, pulls as `behaviour` says, drops, and records it all
/// — unless the executor consumes its calls itself (an external executor, whose consumer is in
/// its adapter process: [`Executor::consume_itself`]), which then records the same events.
pub fn consume(executor: &dyn Executor, call: Call, behaviour: &Consumer, recorder: &Recorder) {
    let call = match executor.consume_itself(call, behaviour, recorder) {
        SelfConsumed::Recorded => return,
        SelfConsumed::Declined(call) => call,
    };
    recorder.record(Event::CallMade);
    let outcome = executor.run(call);
    recorder.record(Event::CallReturned);
    match outcome {
        Outcome::List(Ok(slots)) => {
            for slot in slots {
                recorder.record(Event::Answered(answer_of_slot(slot)));
            }
            recorder.record(Event::Answered(Answer::End));
        }
        Outcome::List(Err(e)) => {
            recorder.record(Event::Answered(answer_of_error(&e)));
        }
        Outcome::Stream(mut stream) => {
            let mut delivered = 0usize;
            loop {
                if behaviour.drop_after.is_some_and(|k| delivered >= k) {
                    break;
                }
                let pause = if delivered == 0 {
                    behaviour.start_after_ms
                } else {
                    behaviour.pause_ms
                };
                if !pause.is_zero() {
                    thread::sleep(pause);
                }
                recorder.record(Event::NextAsked);
                match stream.next() {
                    Some(Ok(slot)) => {
                        recorder.record(Event::Answered(answer_of_slot(slot)));
                        delivered += 1;
                    }
                    Some(Err(e)) => {
                        recorder.record(Event::Answered(answer_of_error(&e)));
                        break;
                    }
                    None => {
                        recorder.record(Event::Answered(Answer::End));
                        break;
                    }
                }
            }
            recorder.record(Event::DropBegun);
            drop(stream);
            recorder.record(Event::DropReturned);
        }
    }
}

pub fn answer_of_slot(slot: Slot) -> Answer {
    match slot {
        Slot::Value(output) => Answer::Item { task: output.task },
        Slot::TimedOut { task } => Answer::TimedOut { task },
    }
}

pub fn answer_of_error(error: &CallError) -> Answer {
    match error {
        CallError::Timeout { .. } => Answer::Timeout,
        CallError::TaskFailed { task, .. } => Answer::TaskFailed { task: *task },
        CallError::Executor(message) => Answer::ExecutorError {
            message: message.clone(),
        },
    }
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
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        Duration::from_nanos(self.worst_ns.load(Ordering::Relaxed))
    }
}
