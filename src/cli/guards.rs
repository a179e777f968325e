//! Guards on a real-time run's ε and T, checked before it starts: an ε that would make the run
//! absurdly long or judge nothing is refused; a T below what the machine can honour is flagged,
//! and the failures of such a run are told as the machine's (inconclusive), not the executor's.
//! Repeated `--mode`, `--executor` and `--case` values run once.

use overtime_harness::{CaseRun, Millis, Ms};
use std::thread;
use std::time::{Duration, Instant};

/// The largest ε accepted. Every case's watchdog and settle time grow with ε, so a run's
/// length does too; a tolerance of more than a minute judges nothing a user could act on.
pub const MAX_EPSILON: Duration = Duration::from_secs(60);
/// The longest `--teardown-grace-ms` accepted: it may be spent at the end of every case run.
pub const MAX_TEARDOWN_GRACE: Duration = Duration::from_secs(60);

/// Refuses a teardown grace that could make every case run a minute longer.
pub fn check_teardown_grace(grace: Option<Duration>) -> Result<(), String> {
    match grace {
        Some(grace) if grace > MAX_TEARDOWN_GRACE => Err(format!(
            "--teardown-grace-ms {} is refused (the largest accepted is {}): an adapter that \
             does not exit by itself makes every case run wait that long",
            Millis(grace),
            Ms(MAX_TEARDOWN_GRACE)
        )),
        _ => Ok(()),
    }
}

/// The smallest catalogue T (other than 0) judged in real time. Below it, a case's due times
/// are within a few scheduler wake-ups of each other and of its task durations, and even the
/// reference fails (`P11 reusable` in every mode at T = 1 ms): the machine is what is measured.
pub const MIN_REAL_TIME_T: Duration = Duration::from_millis(5);

/// How many short sleeps [`wake_up_lateness`] measures.
const WAKE_UP_SAMPLES: usize = 15;
const WAKE_UP_SLEEP: Duration = Duration::from_millis(1);

/// The median amount by which a 1 ms sleep of this process overshoots, now: the floor below
/// which no real-time due time can be judged on this machine.
pub fn wake_up_lateness() -> Duration {
    let mut late: Vec<Duration> = (0..WAKE_UP_SAMPLES)
        .map(|_| {
            let before = Instant::now();
            thread::sleep(WAKE_UP_SLEEP);
            before.elapsed().saturating_sub(WAKE_UP_SLEEP)
        })
        .collect();
    late.sort();
    late[late.len() / 2]
}

/// Refuses an ε that would make the run absurd; `catalogue_t` is the T the catalogue runs at
/// (`None` for scenario files, each at its own T).
pub fn check_epsilon(epsilon: Duration, catalogue_t: Option<Duration>) -> Result<(), String> {
    if epsilon.is_zero() {
        return Err(
            "--epsilon-ms 0 is refused in real time: the harness itself always wakes some \
             microseconds late, more than ε/2 = 0, so every verdict would be inconclusive (ε = 0 \
             is for simulated time: the scenario tests); pass an ε above this machine's timing \
             noise (the default is 20 ms)"
                .into(),
        );
    }
    if epsilon > MAX_EPSILON {
        return Err(format!(
            "--epsilon-ms {} is refused (the largest accepted is {}): every case run waits \
             at least 2ε after its call before it is judged, here {} per case run, and a \
             tolerance that long judges nothing",
            Millis(epsilon),
            Ms(MAX_EPSILON),
            Ms(epsilon.saturating_mul(2))
        ));
    }
    // (A T below what the machine can honour is flagged instead: see `t_too_small`.)
    if let Some(t) = catalogue_t.filter(|t| *t >= MIN_REAL_TIME_T) {
        if epsilon > t {
            return Err(format!(
                "--epsilon-ms {} is more than T = {} ms: a timeout seen a whole T late would \
                 pass, so the run could not tell a timeout from none; lower --epsilon-ms or \
                 raise --timeout-ms",
                Millis(epsilon),
                Millis(t)
            ));
        }
    }
    Ok(())
}

/// Whether the catalogue's T is too small for this machine to honour in real time, and why.
pub fn t_too_small(t: Duration, wake_up: Duration) -> Option<String> {
    if t.is_zero() || t >= MIN_REAL_TIME_T {
        return None;
    }
    Some(format!(
        "T = {} ms is below the {} ms this machine can honour in real time (a 1 ms sleep here \
         wakes {} late): its due times are within a few wake-ups of each other, so a failure \
         measures the machine, not the executor",
        Millis(t),
        Millis(MIN_REAL_TIME_T),
        Ms(wake_up)
    ))
}

/// Marks the failures of a run at a T too small to judge (see [`t_too_small`]): each keeps
/// its verdict — a violation that does not depend on timing (concurrency, a result delivered
/// twice) is as real at 1 ms as at 100 — and its evidence says that it may be the machine's.
pub fn mark_too_small(run: &mut CaseRun, t: Duration) {
    for (_, verdict) in &mut run.verdicts {
        if verdict.is_fail() {
            verdict.evidence = format!(
                "{} [T = {} ms is too small to judge on this machine: this failure may be the \
                 machine's, not the executor's]",
                verdict.evidence,
                Millis(t)
            );
        }
    }
}

/// `values` without repeats, in the order first given; each repeated value noted on stderr.
pub fn once<T: PartialEq + Clone + std::fmt::Display>(option: &str, values: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for v in values {
        if out.contains(v) {
            eprintln!("note: {option} {v} given more than once; it runs once");
        } else {
            out.push(v.clone());
        }
    }
    out
}
