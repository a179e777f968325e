//! An async executor judged in tokio's paused time: virtual time, deterministic, at
//! [`PAUSED_EPSILON`].
//!
//! Each case runs on a fresh current-thread runtime started paused (`start_paused`): time
//! stands still while anything can run and jumps to the next timer when nothing can
//! (auto-advance). The consumer, the executor and the task bodies all take their time from
//! tokio's clock, and so does the trace: the [`Recorder`] stamps with `tokio::time::Instant`
//! ([`Recorder::with_clock`]), so a 100 ms sleep is exactly 100 ms in the trace, and a timeout
//! due at D is seen at D or it is a defect. The watchdog is a tokio timer at the case's bound,
//! in virtual time.
//!
//! What paused time cannot model, and so is judged in real time only:
//!
//! - **Blocking bodies** (`spin`, on `spawn_blocking`): while a blocking thread works, the
//!   runtime is idle and auto-advance moves virtual time on; the body's real duration and the
//!   virtual clock disagree. Cases with such tasks are not run ([`unmodelled`]).
//! - **An executor that blocks the runtime's thread** (a blocking call inside a future, a drop
//!   that blocks): time cannot advance and nothing else runs. The runner does not hang on it —
//!   a real-time guard ([`REAL_TIME_GUARD`]) ends the case as `watchdog_fired` at the case's
//!   bound — but what such an executor does is a real-time question.
//! - Anything on another runtime or an OS thread of the executor's own (its time is real).

use super::consume::consume;
use super::executor::{AsyncCall, AsyncExecutor};
use super::task::AsyncTask;
use crate::call::TaskSpec;
use crate::case::Case;
use crate::model::{Contract, Mode};
use crate::properties::{Property, Verdict};
use crate::run::{CaseRun, RunConfig};
use crate::runner::panicked_answer;
use crate::task::{instrument, Gate};
use crate::trace::{Event, Recorder, Stamp, Stamped};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// The tolerance in paused time: tokio's timers have a resolution of 1 ms (a deadline between
/// two ticks fires at the next one), so a due time off the millisecond grid is seen up to 1 ms
/// after it by a correct executor. The catalogue's durations are whole milliseconds at its
/// default T, where every timer fires exactly on time; 1 ms is what a generated or scaled case
/// may need.
pub const PAUSED_EPSILON: Duration = Duration::from_millis(1);

/// How long, in real time, the runner waits for a paused-time case before it takes the
/// executor to have blocked the runtime's thread.
pub const REAL_TIME_GUARD: Duration = Duration::from_secs(10);

/// Why `case` cannot be run in paused time, if it cannot.
pub fn unmodelled(case: &Case) -> Option<String> {
    case.tasks
        .iter()
        .any(|t| matches!(t, TaskSpec::Spin { .. }))
        .then(|| {
            format!(
                "case {} has blocking (spin) bodies, which paused time cannot model: judged in \
                 real time only",
                case.name
            )
        })
}

/// The run of a case paused time cannot model, in `mode`: every property not applicable, with
/// the reason ([`unmodelled`]), so that a fold says the case was left to real time.
pub fn not_run(case: &Case, mode: Mode, contract: Contract) -> CaseRun {
    let why = unmodelled(case).unwrap_or_else(|| format!("case {} was not run", case.name));
    CaseRun {
        case: case.name.clone(),
        mode,
        trace: case.trace(mode, contract, Vec::new()),
        verdicts: Property::ALL
            .into_iter()
            .map(|p| (p, Verdict::not_applicable(why.clone())))
            .collect(),
        timeout_lateness: None,
        retries: 0,
        harness_lateness: Duration::ZERO,
    }
}

/// The run configuration of paused time: ε = [`PAUSED_EPSILON`], no retries (virtual time is
/// never late).
pub fn paused_config() -> RunConfig {
    RunConfig {
        epsilon: PAUSED_EPSILON,
        ..RunConfig::simulated()
    }
}

/// Runs `case` in `mode` against `executor` in paused time and judges it at
/// [`PAUSED_EPSILON`]. `None` when the case cannot be modelled in paused time
/// ([`unmodelled`]).
pub fn run_case<E: AsyncExecutor>(executor: &Arc<E>, case: &Case, mode: Mode) -> Option<CaseRun> {
    if unmodelled(case).is_some() {
        return None;
    }
    let config = paused_config();
    let contract = executor.profile().contract;
    let gate = Gate::new();
    // The recorders of the calls so far: if the runtime's thread blocks, the guard finishes
    // the trace from here.
    let recorders: Arc<Mutex<Vec<Recorder>>> = Arc::default();
    let (done_tx, done_rx) = mpsc::channel();
    let spawned = {
        let (executor, case, gate, recorders) = (
            Arc::clone(executor),
            case.clone(),
            gate.clone(),
            Arc::clone(&recorders),
        );
        thread::Builder::new()
            .name(format!("overtime-paused-{}", case.name))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .start_paused(true)
                    .build();
                let Ok(runtime) = runtime else { return };
                runtime.block_on(async {
                    let first = paused_call(&executor, &case, mode, &gate, &recorders).await;
                    let follow = match case.follow_up_case() {
                        Some(follow) => Some((
                            paused_call(&executor, &follow, mode, &gate, &recorders).await,
                            follow,
                        )),
                        None => None,
                    };
                    let _ = done_tx.send((first, follow));
                });
                // The hung tasks still on the runtime are dropped with it.
                gate.open();
                runtime.shutdown_background();
            })
    };
    let calls = match spawned {
        Ok(_) => done_rx.recv_timeout(REAL_TIME_GUARD).ok(),
        Err(_) => None,
    };
    gate.open();
    let mut trace = match calls {
        Some((first, follow)) => {
            let mut trace = case.trace(mode, contract, first);
            if let Some((events, follow)) = follow {
                trace.follow_up = Some(Box::new(follow.trace(mode, contract, events)));
            }
            trace
        }
        None => blocked_trace(case, mode, contract, &recorders, &config),
    };
    trace.events.sort_by_key(|e| e.at);
    Some(CaseRun::judged(case, mode, trace, config.epsilon))
}

/// One call of `case`, recorded on tokio's clock; returns its events, sealed.
async fn paused_call<E: AsyncExecutor>(
    executor: &Arc<E>,
    case: &Case,
    mode: Mode,
    gate: &Gate,
    recorders: &Mutex<Vec<Recorder>>,
) -> Vec<Stamped> {
    let config = paused_config();
    let origin = tokio::time::Instant::now();
    let recorder = Recorder::with_clock(move || origin.elapsed());
    recorders
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(recorder.clone());
    let call = AsyncCall {
        tasks: instrument(&case.tasks, &recorder, gate)
            .into_iter()
            .map(AsyncTask::from)
            .collect(),
        n_jobs: case.n_jobs,
        timeout: case.timeout,
        mode,
    };
    let bound = case.watchdog_bound(config.epsilon, config.grace);
    // An executor that panics (a stream that passes a dying body's unwinding on) ends its call
    // with that panic as its error, as in real time (`runner`), not as a hang.
    let consuming = AssertUnwindSafe(consume(&**executor, call, &case.consumer, &recorder));
    let consumed = tokio::time::timeout(bound, consuming.catch_unwind()).await;
    match consumed {
        Ok(made) => {
            if let Err(panicked) = made {
                recorder.record(Event::Answered(panicked_answer(&panicked)));
            }
            tokio::time::sleep(case.settle_time(config.epsilon)).await
        }
        Err(_) => {
            recorder.record(Event::WatchdogFired);
        }
    }
    recorder.seal();
    recorder.events()
}

/// The trace of a case whose runtime thread blocked: what was recorded, ended by the watchdog
/// at the case's bound (virtual time stood still, so that is when it would have fired).
fn blocked_trace(
    case: &Case,
    mode: Mode,
    contract: Contract,
    recorders: &Mutex<Vec<Recorder>>,
    config: &RunConfig,
) -> crate::trace::Trace {
    let recorders = recorders.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let finish = |recorder: &Recorder, case: &Case| -> Vec<Stamped> {
        let bound = Stamp::from_duration(case.watchdog_bound(config.epsilon, config.grace));
        let mut events = recorder.events();
        let at = events.last().map_or(bound, |e| e.at.max(bound));
        recorder.record_at(at, Event::WatchdogFired);
        recorder.seal();
        events = recorder.events();
        events
    };
    match recorders.as_slice() {
        [] => case.trace(mode, contract, Vec::new()),
        [first] => case.trace(mode, contract, finish(first, case)),
        [first, follow_recorder, ..] => {
            let mut trace = case.trace(mode, contract, first.events());
            if let Some(follow) = case.follow_up_case() {
                trace.follow_up = Some(Box::new(follow.trace(
                    mode,
                    contract,
                    finish(follow_recorder, &follow),
                )));
            }
            trace
        }
    }
}
