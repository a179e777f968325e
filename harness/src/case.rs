//! A case: one named workload — a call's tasks and parameters, how the consumer behaves,
//! whether a second call follows — and what the runners derive from it: the call in each
//! mode, the watchdog's bound, how long recording goes on after the consumer is done, the
//! follow-up call. The real-time runner and the simulated driver both ask the case; neither
//! restates these rules.

use crate::call::{CallParams, Consumer, TaskSpec};
use crate::millis;
use crate::model::{Contract, Mode};
use crate::properties::Property;
use crate::trace::{Stamped, Trace};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One named workload: the call's tasks and parameters and how the consumer behaves. Its text
/// form is a scenario file (`specs/scenarios/README.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// What the case is for, in a sentence.
    #[serde(default)]
    pub about: String,
    pub tasks: Vec<TaskSpec>,
    pub n_jobs: usize,
    #[serde(with = "millis::opt_duration", default)]
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub consumer: Consumer,
    /// Make a second call right after this one (judged by `P11 reusable`).
    #[serde(default)]
    pub follow_up: bool,
    /// The properties the case is meant to exercise (documentation, and the catalogue's test
    /// that every property is exercised).
    #[serde(default)]
    pub exercises: Vec<Property>,
    /// Durations are absolute: the case is not scaled with the catalogue's T (boundary
    /// timeouts such as T = 0 or the largest T the protocol carries).
    #[serde(default)]
    pub absolute: bool,
}

/// The follow-up call's tasks (judged by `P11 reusable`): four quick sleeps, so that it ends
/// long before any timeout and every result must come back.
const FOLLOW_UP_TASKS: usize = 4;
const FOLLOW_UP_TASK: Duration = Duration::from_millis(1);
/// The follow-up call's shortest timeout: a hundred times its tasks (the catalogue's T), so
/// that a case whose own T is shorter than a task can run (T = 0, T = 1 µs) does not time the
/// follow-up call out too.
const FOLLOW_UP_MIN_TIMEOUT: Duration = Duration::from_millis(100);

/// The shortest time recording goes on after the consumer is done, whatever T.
const MIN_SETTLE: Duration = Duration::from_millis(20);

/// The longest time recording goes on after an abort, whatever T: 0.4T up to T = 2.5 s.
const MAX_SETTLE_AFTER_ABORT: Duration = Duration::from_secs(1);

/// The longest any watchdog waits for one call, whatever the case says: a last resort for a
/// case whose bound is astronomical (a timeout of centuries); the CLI refuses configurations
/// that would come near it.
pub const MAX_WATCHDOG: Duration = Duration::from_secs(3600);

impl Case {
    /// The call this case makes in `mode`.
    pub fn params(&self, mode: Mode) -> CallParams {
        CallParams {
            n_tasks: self.tasks.len(),
            n_jobs: self.n_jobs,
            timeout: self.timeout,
            mode,
        }
    }

    /// The trace of this case's call in `mode`, made by an executor declaring `contract`, from
    /// its recorded `events` (the runner adds its follow-up call's trace, if any).
    pub fn trace(&self, mode: Mode, contract: Contract, events: Vec<Stamped>) -> Trace {
        Trace {
            call: self.params(mode),
            contract,
            tasks: self.tasks.clone(),
            consumer: self.consumer.clone(),
            events,
            follow_up: None,
        }
    }

    /// The watchdog's bound (spec §5): an upper bound on when a correct executor has finished
    /// — every finite task run back to back and every pause (the case's *horizon*), plus a
    /// timeout per task and one more, plus ε and the grace — capped at [`MAX_WATCHDOG`].
    ///
    /// A timeout can only make a correct executor take longer than its horizon by ending a
    /// task that never ends by itself; in a case without such a task each timeout counts for
    /// at most the horizon, so a T of centuries still gives a bound of seconds. Saturates
    /// rather than overflowing, whatever the durations.
    pub fn watchdog_bound(&self, epsilon: Duration, grace: Duration) -> Duration {
        let n = u32::try_from(self.tasks.len()).unwrap_or(u32::MAX);
        let horizon = self.horizon();
        let per_timeout = match self.timeout {
            None => Duration::ZERO,
            Some(t) if self.has_endless_task() => t,
            Some(t) => t.min(horizon),
        };
        let timeouts = per_timeout.saturating_mul(n.saturating_add(1));
        [timeouts, epsilon, grace]
            .into_iter()
            .fold(horizon, Duration::saturating_add)
            .min(MAX_WATCHDOG)
    }

    /// Every finite task run back to back and every consumer pause: how long a correct
    /// executor can take without timeouts, whatever its scheduling.
    pub fn horizon(&self) -> Duration {
        let n = u32::try_from(self.tasks.len()).unwrap_or(u32::MAX);
        let work = self
            .tasks
            .iter()
            .filter_map(TaskSpec::duration)
            .fold(Duration::ZERO, Duration::saturating_add);
        let pauses = self
            .consumer
            .start_after_ms
            .saturating_add(self.consumer.pause_ms.saturating_mul(n.saturating_add(1)));
        work.saturating_add(pauses)
    }

    /// Whether some task never ends by itself (a hang; a cooperative hang ends only when
    /// asked to stop).
    pub fn has_endless_task(&self) -> bool {
        self.tasks.iter().any(|t| t.duration().is_none())
    }

    /// How long recording goes on after the consumer is done: 2ε + max(0.4T, 20 ms), so that
    /// what happens within 0.4T of an abort (a task dispatched after it, a stop request
    /// honoured late) is in the trace. As in [`Case::watchdog_bound`], T counts for at most
    /// the horizon in a case without an endless task, and 0.4T for at most 1 s. The simulated
    /// driver uses the same rule with ε = 0.
    pub fn settle_time(&self, epsilon: Duration) -> Duration {
        let scale = match self.timeout {
            None => Duration::ZERO,
            Some(t) if self.has_endless_task() => t,
            Some(t) => t.min(self.horizon()),
        };
        let after_abort = (scale / 5).saturating_mul(2).min(MAX_SETTLE_AFTER_ABORT);
        epsilon
            .saturating_mul(2)
            .saturating_add(after_abort.max(MIN_SETTLE))
    }

    /// The second call this case makes right after the first (judged by `P11 reusable`), if
    /// it makes one: four quick sleeps with the same workers and timeout (at least 100 ms, so
    /// that the quick sleeps can meet it), an eager consumer.
    pub fn follow_up_case(&self) -> Option<Case> {
        self.follow_up.then(|| Case {
            name: format!("{} (follow-up)", self.name),
            about: "the call made right after the case's own, on the same executor".into(),
            tasks: vec![TaskSpec::Sleep { ms: FOLLOW_UP_TASK }; FOLLOW_UP_TASKS],
            n_jobs: self.n_jobs,
            timeout: self.timeout.map(|t| t.max(FOLLOW_UP_MIN_TIMEOUT)),
            consumer: Consumer::default(),
            follow_up: false,
            exercises: Vec::new(),
            absolute: false,
        })
    }

    /// The case with every duration (tasks, timeout, consumer pauses) multiplied by
    /// `to / from`, exactly to the nanosecond: a case written at T = `from` run at T = `to`.
    /// An [`absolute`](Case::absolute) case is returned as it is.
    pub fn scaled(&self, from: Duration, to: Duration) -> Case {
        if self.absolute {
            return self.clone();
        }
        let scale = |d: Duration| scale(d, from, to);
        Case {
            tasks: self.tasks.iter().map(|t| t.map_duration(scale)).collect(),
            timeout: self.timeout.map(scale),
            consumer: Consumer {
                start_after_ms: scale(self.consumer.start_after_ms),
                pause_ms: scale(self.consumer.pause_ms),
                drop_after: self.consumer.drop_after,
            },
            ..self.clone()
        }
    }
}

/// `d × to / from` in whole nanoseconds, saturating.
fn scale(d: Duration, from: Duration, to: Duration) -> Duration {
    let from = from.as_nanos().max(1);
    let ns = d.as_nanos().saturating_mul(to.as_nanos()) / from;
    Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(tasks: Vec<TaskSpec>, timeout: Option<Duration>) -> Case {
        Case {
            name: "c".into(),
            about: String::new(),
            tasks,
            n_jobs: 2,
            timeout,
            consumer: Consumer::default(),
            follow_up: true,
            exercises: Vec::new(),
            absolute: false,
        }
    }

    #[test]
    fn the_watchdog_bound_covers_work_pauses_and_a_timeout_per_task() {
        let mut c = case(
            vec![
                TaskSpec::Sleep {
                    ms: Duration::from_millis(30),
                },
                TaskSpec::Hang,
            ],
            Some(Duration::from_millis(100)),
        );
        c.consumer.pause_ms = Duration::from_millis(10);
        let bound = c.watchdog_bound(Duration::from_millis(20), Duration::from_secs(1));
        // 30 work + 3 × 10 pauses + 3 × 100 timeouts + 20 ε + 1000 grace.
        assert_eq!(bound, Duration::from_millis(1380));
    }

    #[test]
    fn the_largest_durations_saturate_instead_of_overflowing() {
        let c = case(vec![TaskSpec::Hang; 3], Some(Duration::MAX));
        assert_eq!(c.watchdog_bound(Duration::MAX, Duration::MAX), MAX_WATCHDOG);
        assert_eq!(c.settle_time(Duration::MAX), Duration::MAX);
        // 0.4T is capped at 1 s: a T of centuries does not make recording last centuries.
        assert_eq!(c.settle_time(Duration::ZERO), MAX_SETTLE_AFTER_ABORT);
    }

    #[test]
    fn without_an_endless_task_a_huge_timeout_counts_for_the_horizon_only() {
        let sleep = TaskSpec::Sleep {
            ms: Duration::from_millis(30),
        };
        let c = case(vec![sleep; 2], Some(Duration::MAX));
        // horizon 60 ms; 3 × min(T, 60 ms) = 180 ms; + ε 20 ms + grace 1 s.
        assert_eq!(
            c.watchdog_bound(Duration::from_millis(20), Duration::from_secs(1)),
            Duration::from_millis(1260)
        );
        // 0.4 × the horizon, 24 ms: recording stops 2ε + 24 ms after the consumer.
        assert_eq!(
            c.settle_time(Duration::from_millis(20)),
            Duration::from_millis(64)
        );
    }

    #[test]
    fn scaling_is_exact_and_keeps_what_is_not_a_duration() {
        let mut c = case(
            vec![
                TaskSpec::Sleep {
                    ms: Duration::from_millis(30),
                },
                TaskSpec::Hang,
            ],
            Some(Duration::from_millis(100)),
        );
        c.consumer.drop_after = Some(1);
        let s = c.scaled(Duration::from_millis(100), Duration::from_millis(500));
        assert_eq!(s.tasks[0].duration(), Some(Duration::from_millis(150)));
        assert_eq!(s.tasks[1], TaskSpec::Hang);
        assert_eq!(s.timeout, Some(Duration::from_millis(500)));
        assert_eq!(s.consumer.drop_after, Some(1));
    }

    #[test]
    fn the_follow_up_keeps_workers_and_timeout_with_an_eager_consumer() {
        let follow = case(vec![TaskSpec::Hang], Some(Duration::from_millis(100)))
            .follow_up_case()
            .expect("follow_up is set");
        assert_eq!(follow.tasks.len(), FOLLOW_UP_TASKS);
        assert_eq!(
            (follow.n_jobs, follow.timeout),
            (2, Some(Duration::from_millis(100)))
        );
        assert!(!follow.follow_up);
    }
}
