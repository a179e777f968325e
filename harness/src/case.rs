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
}

/// The follow-up call's tasks (judged by `P11 reusable`): four quick sleeps, so that it ends
/// long before any timeout and every result must come back.
const FOLLOW_UP_TASKS: usize = 4;
const FOLLOW_UP_TASK: Duration = Duration::from_millis(1);

/// The shortest time recording goes on after the consumer is done, whatever T.
const MIN_SETTLE: Duration = Duration::from_millis(20);

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

    /// The watchdog's bound: an upper bound on when a correct executor has finished (every
    /// finite task run back to back, every pause, a timeout per task and one more), plus ε and
    /// the grace. Saturates rather than overflowing, whatever the durations.
    pub fn watchdog_bound(&self, epsilon: Duration, grace: Duration) -> Duration {
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
        let timeouts = self
            .timeout
            .unwrap_or_default()
            .saturating_mul(n.saturating_add(1));
        [pauses, timeouts, epsilon, grace]
            .into_iter()
            .fold(work, Duration::saturating_add)
    }

    /// How long recording goes on after the consumer is done: 2ε + max(0.4T, 20 ms), so that
    /// what happens within 0.4T of an abort (a task dispatched after it, a stop request
    /// honoured late) is in the trace. The simulated driver uses the same rule with ε = 0.
    pub fn settle_time(&self, epsilon: Duration) -> Duration {
        let after_abort = self.timeout.map_or(Duration::ZERO, |t| t.mul_f64(0.4));
        epsilon
            .saturating_mul(2)
            .saturating_add(after_abort.max(MIN_SETTLE))
    }

    /// The second call this case makes right after the first (judged by `P11 reusable`), if
    /// it makes one: four quick sleeps with the same workers and timeout, an eager consumer.
    pub fn follow_up_case(&self) -> Option<Case> {
        self.follow_up.then(|| Case {
            name: format!("{} (follow-up)", self.name),
            about: "the call made right after the case's own, on the same executor".into(),
            tasks: vec![TaskSpec::Sleep { ms: FOLLOW_UP_TASK }; FOLLOW_UP_TASKS],
            n_jobs: self.n_jobs,
            timeout: self.timeout,
            consumer: Consumer::default(),
            follow_up: false,
            exercises: Vec::new(),
        })
    }

    /// The case with every duration (tasks, timeout, consumer pauses) multiplied by
    /// `to / from`, exactly to the nanosecond: a case written at T = `from` run at T = `to`.
    pub fn scaled(&self, from: Duration, to: Duration) -> Case {
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
        assert_eq!(
            c.watchdog_bound(Duration::MAX, Duration::MAX),
            Duration::MAX
        );
        assert!(c.settle_time(Duration::MAX) >= Duration::from_secs(1));
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
