//! Margins: the instants of an ideal run (a simulated trace of a correct executor) that a
//! verdict would hinge on if a real run moved them by a little. A case whose ideal run puts a
//! completion within ε of a due time it decides, a possible task start near the instant an
//! abort stops being an excuse (abort + ε), or a failure within ε of the first due time, gives
//! a verdict that flips with scheduling noise: the catalogue keeps its cases clear of them.

use super::due;
use super::facts::Facts;
use super::timeline::Timeline;
use crate::model::{Mode, OnTimeout, TimeoutClock};
use crate::trace::{Ms, Stamp, Trace};
use std::time::Duration;

/// One instant of an ideal run too close to a threshold a property compares it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hair {
    /// The property whose verdict would hinge on it (`P01/P02`, `P08`, `P07/P13`).
    pub judged_by: &'static str,
    /// The instant, the threshold, their distance and the guard it falls short of, in words.
    pub what: String,
}

fn distance(a: Stamp, b: Stamp) -> Duration {
    if a > b {
        a.since(b)
    } else {
        b.since(a)
    }
}

/// Every instant of `trace` (an ideal run) that lies too close, at tolerance `epsilon`, to a
/// threshold a property compares it with:
///
/// - a completion within ε of a due time that decides whether it was in time (`P01/P02`);
/// - a completion — a worker becoming free, when a task could start — within ε/2 of an abort
///   instant + ε, where a start stops being excused (`P08`);
/// - a task failure within ε of the call's first due time, where which of the two must be
///   raised flips (`P07/P13`).
pub fn hairs(trace: &Trace, epsilon: Duration) -> Vec<Hair> {
    let mut out = Vec::new();
    let t = Timeline::of(trace);
    if let Some(timeout) = trace.call.timeout {
        // An Unordered pull's wait is met by the first of its tasks to complete: only that
        // completion decides it. Every other deadline decides each of its tasks.
        let any_of =
            trace.call.mode == Mode::Unordered && trace.contract.clock == TimeoutClock::ResultWait;
        for d in due::deadlines(&t, timeout) {
            let deciding: Vec<usize> = if any_of {
                d.owners
                    .iter()
                    .copied()
                    .filter(|&w| t.starts[w].is_some_and(|s| s < d.due))
                    .filter(|&w| t.completed_at(w).is_some())
                    .min_by_key(|&w| t.completed_at(w))
                    .into_iter()
                    .collect()
            } else {
                d.owners.clone()
            };
            for &task in &deciding {
                // A task that started at or after the due time cannot have met it.
                let (Some(end), Some(start)) = (t.completed_at(task), t.starts[task]) else {
                    continue;
                };
                if start >= d.due {
                    continue;
                }
                if distance(end, d.due) < epsilon {
                    out.push(Hair {
                        judged_by: "P01/P02",
                        what: format!(
                            "task {task} completes at {end}, {} from a due time at {} (ε {})",
                            Ms(distance(end, d.due)),
                            d.due,
                            Ms(epsilon)
                        ),
                    });
                }
            }
        }
    }
    let f = Facts::of(trace, epsilon);
    let mut aborts: Vec<(Stamp, &str)> = Vec::new();
    if f.contract.on_timeout == OnTimeout::Abort {
        if let Some(ob) = f.first_obligation() {
            aborts.push((ob.due, "the timeout's abort"));
        }
    }
    if let Some((_, at)) = f.first_failure {
        aborts.push((at, "the failure's abort"));
    }
    if let Some(at) = f.drop_begun {
        aborts.push((at, "the drop"));
    }
    for (abort, what) in aborts {
        let threshold = abort.plus(epsilon);
        for task in 0..trace.call.n_tasks {
            let Some(end) = t.completed_at(task) else {
                continue;
            };
            if end > abort && distance(end, threshold) < epsilon / 2 {
                out.push(Hair {
                    judged_by: "P08",
                    what: format!(
                        "task {task} frees its worker at {end}, {} from {what} at {abort} + ε \
                         (ε {}): a task the executor still starts then is at the margin",
                        Ms(distance(end, threshold)),
                        Ms(epsilon)
                    ),
                });
            }
        }
    }
    if let (Some((task, failed)), Some(ob)) = (f.first_failure, f.all_obligations.first()) {
        if distance(failed, ob.due) < epsilon {
            out.push(Hair {
                judged_by: "P07/P13",
                what: format!(
                    "task {task} fails at {failed}, {} from the first due time at {} (ε {})",
                    Ms(distance(failed, ob.due)),
                    ob.due,
                    Ms(epsilon)
                ),
            });
        }
    }
    out
}
