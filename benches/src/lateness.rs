//! Timeout lateness: how late the consumer sees the timeout against the due time the spec
//! computes from the trace (the checker's [`overtime_harness::Judgement`]: seen − max(D, asked)).
//!
//! One sample is one call of two hung tasks on two workers with timeout T and an eager
//! consumer, recorded by the harness's own consumer and judged from its trace, so every clock
//! has a due time in every mode: `task_runtime` s₀ + T, `result_wait` the first pull + T (List:
//! the call + T), `overall` the call + T.

use crate::Subject;
use overtime_harness::{
    consume, instrument, judge, Call, CallParams, Consumer, Gate, Mode, Recorder, TaskSpec, Trace,
};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The ε passed to the checker's facts (it only bounds the liveness cut after a failure, and
/// these calls have no failure).
const EPSILON: Duration = Duration::from_millis(20);

/// One timed-out call; its lateness, or `None` if the call did not time out.
pub fn sample(subject: Subject, mode: Mode, timeout: Duration) -> Option<Duration> {
    let executor = subject.executor();
    let recorder = Recorder::new();
    let gate = Gate::new();
    let specs = vec![TaskSpec::Hang; 2];
    let params = CallParams {
        n_tasks: specs.len(),
        n_jobs: 2,
        timeout: Some(timeout),
        mode,
    };
    let call = Call::new(params, instrument(&specs, &recorder, &gate));
    consume(&*executor, call, &Consumer::default(), &recorder);
    // Seal before releasing the hung tasks: their release is not part of the call.
    recorder.seal();
    gate.open();
    let trace = Trace {
        call: params,
        contract: executor.profile().contract_for(mode),
        tasks: specs,
        consumer: Consumer::default(),
        events: recorder.events(),
        follow_up: None,
    };
    judge(&trace, EPSILON).timeout_lateness
}

/// A bare wait with no executor around it: the floor a timeout can be seen at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// `recv_deadline` on a crossbeam unbounded channel that stays empty.
    RecvDeadline,
    /// `Select::select_deadline` on the same channel (what the rayon executor waits with).
    SelectDeadline,
    /// `std::sync::Condvar::wait_timeout` (what the reference executor waits with).
    Condvar,
}

impl Floor {
    pub const ALL: [Floor; 3] = [Floor::RecvDeadline, Floor::SelectDeadline, Floor::Condvar];

    pub fn label(self) -> &'static str {
        match self {
            Floor::RecvDeadline => "crossbeam `recv_deadline`",
            Floor::SelectDeadline => "crossbeam `Select::select_deadline`",
            Floor::Condvar => "std `Condvar::wait_timeout`",
        }
    }

    /// How late one wait of `timeout` returns.
    pub fn sample(self, timeout: Duration) -> Duration {
        let (_keep_open, never) = crossbeam_channel::unbounded::<()>();
        let due = Instant::now() + timeout;
        match self {
            Floor::RecvDeadline => {
                let _ = never.recv_deadline(due);
            }
            Floor::SelectDeadline => {
                let mut select = crossbeam_channel::Select::new();
                select.recv(&never);
                if let Ok(ready) = select.select_deadline(due) {
                    let _ = ready.recv(&never);
                }
            }
            Floor::Condvar => {
                let (lock, cv) = (Mutex::new(()), Condvar::new());
                let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                while Instant::now() < due {
                    let left = due.saturating_duration_since(Instant::now());
                    guard = cv
                        .wait_timeout(guard, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        Instant::now().saturating_duration_since(due)
    }
}

/// p50, p99 and max of a set of samples, and how many there were.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Percentiles {
    /// The percentiles of `samples` (nearest rank); `None` when there are none.
    pub fn of(mut samples: Vec<Duration>) -> Option<Percentiles> {
        if samples.is_empty() {
            return None;
        }
        samples.sort();
        let n = samples.len();
        let rank = |q: f64| samples[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        Some(Percentiles {
            n,
            p50: rank(0.50),
            p99: rank(0.99),
            max: samples[n - 1],
        })
    }
}

/// `n` samples of `subject` in `mode`; also how many calls failed to time out.
pub fn measure(
    subject: Subject,
    mode: Mode,
    timeout: Duration,
    n: usize,
) -> (Vec<Duration>, usize) {
    let mut samples = Vec::with_capacity(n);
    let mut missing = 0;
    for _ in 0..n {
        match sample(subject, mode, timeout) {
            Some(late) => samples.push(late),
            None => missing += 1,
        }
    }
    (samples, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples = (1..=100).map(Duration::from_micros).collect();
        let p = Percentiles::of(samples).expect("samples");
        assert_eq!(p.n, 100);
        assert_eq!(p.p50, Duration::from_micros(50));
        assert_eq!(p.p99, Duration::from_micros(99));
        assert_eq!(p.max, Duration::from_micros(100));
        assert_eq!(Percentiles::of(Vec::new()), None);
    }
}
