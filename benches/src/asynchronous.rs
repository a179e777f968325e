//! The async reference measured beside the threaded one: its timeout lateness in real time
//! (the same sample as [`crate::lateness`], on a [`RealTime`] tokio runtime), and how many
//! case runs a second paused time judges.

use overtime_async::AsyncReference;
use overtime_harness::asynchronous::{paused, RealTime};
use overtime_harness::catalogue::catalogue;
use overtime_harness::{
    instrument, judge, Call, CallParams, CaseExecutor, Consumer, Gate, Mode, OnTimeout, Recorder,
    TaskSpec, TimeoutClock, Trace,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The ε passed to the checker (it only bounds the liveness cut after a failure).
const EPSILON: Duration = Duration::from_millis(20);

/// `n` timed-out calls of the async reference keeping `clock` (abort), each two hung tasks on
/// two workers with timeout T and an eager consumer: their lateness, and how many calls did
/// not time out.
pub fn lateness(
    clock: TimeoutClock,
    mode: Mode,
    timeout: Duration,
    n: usize,
) -> (Vec<Duration>, usize) {
    let executor = RealTime::new(AsyncReference::keeping(clock, OnTimeout::Abort));
    let contract = executor.declared_profile().contract;
    let mut samples = Vec::with_capacity(n);
    let mut missing = 0;
    for _ in 0..n {
        let (recorder, gate) = (Recorder::new(), Gate::new());
        let specs = vec![TaskSpec::Hang; 2];
        let params = CallParams {
            n_tasks: 2,
            n_jobs: 2,
            timeout: Some(timeout),
            mode,
        };
        let call = Call::new(params, instrument(&specs, &recorder, &gate));
        executor.make_call(call, &Consumer::default(), &recorder);
        recorder.seal();
        gate.open();
        let trace = Trace {
            call: params,
            contract,
            tasks: specs,
            consumer: Consumer::default(),
            events: recorder.events(),
            follow_up: None,
        };
        match judge(&trace, EPSILON).timeout_lateness {
            Some(late) => samples.push(late),
            None => missing += 1,
        }
    }
    (samples, missing)
}

/// Paused-time case runs (each run on its own paused runtime, follow-up included, judged on
/// every property) over the catalogue × the async reference's six contracts × three modes,
/// repeated for at least `budget`. Returns (case runs, elapsed).
pub fn paused_cases(budget: Duration) -> (u64, Duration) {
    let cases = catalogue();
    let executors: Vec<Arc<AsyncReference>> =
        AsyncReference::all().into_iter().map(Arc::new).collect();
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < budget {
        for executor in &executors {
            for case in &cases {
                for mode in Mode::ALL {
                    if std::hint::black_box(paused::run_case(executor, case, mode)).is_some() {
                        runs += 1;
                    }
                }
            }
        }
    }
    (runs, start.elapsed())
}
