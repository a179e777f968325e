//! Generated workloads: proptest strategies for calls of every shape, for simulated time
//! (exact) and real time (on a grid that keeps every completion 2ε from every due time). The
//! campaign that runs them against an executor and shrinks a failure is [`crate::campaign`].
//!
//! ```
//! use overtime_harness::strategies::Workloads;
//! use overtime_harness::Mode;
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! // Calls of 0–64 tasks for simulated time, in every mode.
//! let workloads = Workloads::simulated(Mode::ALL.to_vec());
//! let mut runner = TestRunner::deterministic();
//! let call = workloads.calls().new_tree(&mut runner).expect("a call").current();
//! assert!(call.case.tasks.len() <= 64 && (1..=8).contains(&call.case.n_jobs));
//! ```
//!
//! What the strategies generate ([`Workloads::calls`]):
//!
//! - 0 to `max_tasks` tasks (64 in simulated time): mostly sleeps, with spins, cooperative
//!   sleeps, hangs, cooperative hangs and failures; a call's *flavour* may leave out the hangs,
//!   the failures or both, so long calls run to their end too. A call without a timeout has no
//!   hangs (nothing could ever end it: its trace would say hung, rightly, whatever the
//!   executor).
//! - Durations over [0, 3T] with extra weight exactly on T, just below and just above it, and on
//!   a few shared values (T/10, T/4, T/2, 2T: ties between tasks, and sums that land on T).
//! - `n_jobs` from 1 to `max_jobs` (8): fewer and more workers than tasks; a timeout T or none;
//!   every mode asked for; consumers that are eager, slow (a pause before each pull, or before
//!   the first), or that drop the iteration after k items; sometimes a follow-up call.
//!
//! In real time ([`Workloads::real_time`]) a verdict must not depend on scheduling noise:
//! every duration and pause is a multiple of q = 4ε and T = 2.5q, so in an ideal run every
//! completion is at least q/2 = 2ε away from every due time (durations are ≤ T − 2ε or
//! ≥ T + 2ε). A run whose trace still puts a completion within ε of a due time is skipped, not
//! judged ([`crate::near_tie`]).
//!
//! Everything shrinks towards small calls: fewer tasks, shorter sleeps, one worker, an eager
//! consumer.

use crate::call::{Consumer, TaskSpec};
use crate::case::Case;
use crate::model::Mode;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use std::time::Duration;

/// One generated call: a case (tasks, workers, timeout, consumer) and the mode it runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedCall {
    pub mode: Mode,
    pub case: Case,
}

/// How durations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Simulated time, judged exactly: any duration on a grid of T/100 over [0, 3T], with
    /// extra weight on T itself, on T ± T/100 and T ± 1 µs, and on shared values.
    Exact,
    /// Real time with tolerance ε: every duration and pause is a multiple of q = 4ε, and
    /// T = 2.5q, so ideal completions keep 2ε from every due time.
    RealTime { epsilon: Duration },
}

/// What to generate. Build one with [`Workloads::simulated`] or [`Workloads::real_time`], then
/// adjust its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workloads {
    /// The timeout T of calls that have one.
    pub timeout: Duration,
    pub timing: Timing,
    /// The modes calls run in (those the executor declares).
    pub modes: Vec<Mode>,
    /// Calls have 0 to this many tasks.
    pub max_tasks: usize,
    /// Calls have 1 to this many workers.
    pub max_jobs: usize,
}

/// Task kinds, weighted: 12 sleep, 2 spin, 2 cooperative sleep, 2 fail, 1 hang, 1 cooperative
/// hang (out of 20).
const TASK_KINDS: u8 = 20;
/// Duration kinds, weighted (see [`Workloads::durations`]).
const DURATION_KINDS: u8 = 16;
/// Grid steps of a duration: T/100 each in simulated time, so [0, 3T].
const GRID_STEPS: u32 = 300;

/// The simulated timeout: round, so durations print as whole milliseconds.
const SIMULATED_TIMEOUT: Duration = Duration::from_millis(100);

impl Workloads {
    /// For simulated time: T = 100 ms, 0–64 tasks, 1–8 workers.
    pub fn simulated(modes: Vec<Mode>) -> Workloads {
        Workloads {
            timeout: SIMULATED_TIMEOUT,
            timing: Timing::Exact,
            modes,
            max_tasks: 64,
            max_jobs: 8,
        }
    }

    /// For real time at tolerance `epsilon`: T = 10ε (q = 4ε), 0–6 tasks, 1–4 workers, so a
    /// call takes at most a few T. With ε = 20 ms: T = 200 ms, durations 0, 80, 160, 240, …
    /// 560 ms.
    pub fn real_time(epsilon: Duration, modes: Vec<Mode>) -> Workloads {
        let epsilon = epsilon.max(Duration::from_millis(1));
        Workloads {
            timeout: epsilon * 10,
            timing: Timing::RealTime { epsilon },
            modes,
            max_tasks: 6,
            max_jobs: 4,
        }
    }

    /// The strategy: one [`GeneratedCall`] per value, shrinking towards small calls.
    pub fn calls(&self) -> BoxedStrategy<GeneratedCall> {
        let modes = if self.modes.is_empty() {
            Mode::ALL.to_vec()
        } else {
            self.modes.clone()
        };
        let t = self.timeout;
        // A task is two small integers (its kind, its duration) mapped to a spec: cheap to
        // generate, and both shrink towards 0 — a sleep, on the duration grid.
        let task = (0..TASK_KINDS, self.durations()).prop_map(|(kind, ms)| match kind {
            0..=11 => TaskSpec::Sleep { ms },
            12..=13 => TaskSpec::Spin { ms },
            14..=15 => TaskSpec::CooperativeSleep { ms },
            16 => TaskSpec::Fail { ms },
            17 => TaskSpec::RaiseTimeout { ms },
            18 => TaskSpec::Hang,
            _ => TaskSpec::CooperativeHang,
        });
        let flavour = prop_oneof![
            2 => Just(Flavour::Everything),
            1 => Just(Flavour::NoFailures),
            1 => Just(Flavour::NoHangs),
            1 => Just(Flavour::Plain),
        ];
        let timeout = prop_oneof![4 => Just(Some(t)), 1 => Just(None)];
        (
            proptest::sample::select(modes),
            proptest::collection::vec(task, 0..=self.max_tasks),
            1..=self.max_jobs.max(1),
            timeout,
            self.consumers(),
            proptest::bool::weighted(0.1),
            flavour,
        )
            .prop_map(
                move |(mode, tasks, n_jobs, timeout, consumer, follow_up, flavour)| {
                    // Without a timeout nothing ends a hung task: the call could never end.
                    let flavour = match timeout {
                        Some(_) => flavour,
                        None => flavour.without_hangs(),
                    };
                    GeneratedCall {
                        mode,
                        case: Case {
                            name: "generated".into(),
                            about: String::new(),
                            tasks: tasks.into_iter().map(|s| flavour.apply(s, t)).collect(),
                            n_jobs,
                            timeout,
                            consumer,
                            follow_up,
                            exercises: Vec::new(),
                            absolute: false,
                        },
                    }
                },
            )
            .boxed()
    }

    /// Task durations, as [`Timing`] says: a choice among weighted kinds of duration and a grid
    /// step, both shrinking towards 0 (the grid's zero).
    fn durations(&self) -> impl Strategy<Value = Duration> {
        let t = self.timeout;
        let timing = self.timing;
        (0..DURATION_KINDS, 0..=GRID_STEPS).prop_map(move |(kind, step)| match timing {
            Timing::Exact => {
                let unit = t / 100;
                let tiny = Duration::from_micros(1).min(unit);
                match kind {
                    0..=5 => unit * step,
                    6..=7 => t,
                    8 => t - tiny,
                    9 => t - unit,
                    10 => t + tiny,
                    11 => t + unit,
                    12 => t / 10,
                    13 => t / 4,
                    14 => t / 2,
                    _ => t * 2,
                }
            }
            Timing::RealTime { epsilon } => {
                let q = epsilon * 4;
                match kind {
                    0..=5 => q * (step % 8),
                    6..=8 => q * 2,
                    9..=11 => q * 3,
                    12..=13 => Duration::ZERO,
                    _ => q,
                }
            }
        })
    }

    /// Consumers: eager, slow, late to start, dropping after k items, or slow and dropping.
    fn consumers(&self) -> BoxedStrategy<Consumer> {
        let t = self.timeout;
        let pauses: Vec<Duration> = match self.timing {
            Timing::Exact => {
                let tiny = Duration::from_micros(1).min(t / 100);
                vec![t / 10, t / 2, t - tiny, t, t + tiny]
            }
            Timing::RealTime { epsilon } => vec![epsilon * 4, epsilon * 8, epsilon * 12],
        };
        let pause = proptest::sample::select(pauses);
        let start_after = prop_oneof![3 => Just(Duration::ZERO), 1 => pause.clone()];
        let drop_after = 0..=self.max_tasks;
        prop_oneof![
            3 => Just(Consumer::default()),
            2 => (pause.clone(), start_after).prop_map(|(pause_ms, start_after_ms)| Consumer {
                pause_ms,
                start_after_ms,
                ..Consumer::default()
            }),
            2 => drop_after.clone().prop_map(|k| Consumer {
                drop_after: Some(k),
                ..Consumer::default()
            }),
            1 => (pause, drop_after).prop_map(|(pause_ms, k)| Consumer {
                pause_ms,
                drop_after: Some(k),
                ..Consumer::default()
            }),
        ]
        .boxed()
    }
}

/// Which task kinds a generated call keeps: long calls without hangs or failures run to their
/// end, so the late parts of a schedule are exercised too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Everything,
    NoFailures,
    NoHangs,
    Plain,
}

impl Flavour {
    fn without_hangs(self) -> Flavour {
        match self {
            Flavour::Everything | Flavour::NoHangs => Flavour::NoHangs,
            Flavour::NoFailures | Flavour::Plain => Flavour::Plain,
        }
    }

    fn apply(self, spec: TaskSpec, t: Duration) -> TaskSpec {
        let no_failures = matches!(self, Flavour::NoFailures | Flavour::Plain);
        let no_hangs = matches!(self, Flavour::NoHangs | Flavour::Plain);
        match spec {
            TaskSpec::Fail { ms } | TaskSpec::RaiseTimeout { ms } if no_failures => {
                TaskSpec::Sleep { ms }
            }
            TaskSpec::Hang if no_hangs => TaskSpec::Sleep { ms: t * 3 },
            TaskSpec::CooperativeHang if no_hangs => TaskSpec::CooperativeSleep { ms: t * 3 },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn real_time_durations_keep_two_epsilon_from_the_timeout() {
        let epsilon = Duration::from_millis(20);
        let w = Workloads::real_time(epsilon, Mode::ALL.to_vec());
        let mut runner = TestRunner::deterministic();
        for _ in 0..200 {
            let call = w.calls().new_tree(&mut runner).expect("a call").current();
            for task in &call.case.tasks {
                if let Some(d) = task.duration() {
                    assert!(
                        d + epsilon * 2 <= w.timeout || d >= w.timeout + epsilon * 2,
                        "{d:?} is within 2ε of T = {:?}",
                        w.timeout
                    );
                }
            }
            assert!(call.case.tasks.len() <= 6 && (1..=4).contains(&call.case.n_jobs));
        }
    }

    #[test]
    fn simulated_calls_cover_the_ranges_the_issue_asks_for() {
        let w = Workloads::simulated(Mode::ALL.to_vec());
        let mut runner = TestRunner::deterministic();
        let (mut longest, mut most_jobs, mut ties, mut hangs, mut no_timeout) = (0, 0, 0, 0, 0);
        for _ in 0..500 {
            let call = w.calls().new_tree(&mut runner).expect("a call").current();
            longest = longest.max(call.case.tasks.len());
            most_jobs = most_jobs.max(call.case.n_jobs);
            ties += call
                .case
                .tasks
                .iter()
                .filter(|t| t.duration() == Some(w.timeout))
                .count();
            hangs += call
                .case
                .tasks
                .iter()
                .filter(|t| t.duration().is_none())
                .count();
            no_timeout += usize::from(call.case.timeout.is_none());
        }
        assert!(longest > 56 && longest <= 64, "longest call {longest}");
        assert_eq!(most_jobs, 8);
        assert!(ties > 0 && hangs > 0 && no_timeout > 0);
    }
}
