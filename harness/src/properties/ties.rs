//! Near ties: a completion so close to a due time it decides that which came first depends on
//! scheduling, not on the executor. Real time cannot judge those; simulated time can.

use super::due;
use super::timeline::Timeline;
use crate::trace::{Ms, Trace};
use std::time::Duration;

/// A completion within `guard` of a due time it decides, if the trace has one, said in one
/// sentence. Whether such a task was in time depends on which of two nearly simultaneous events
/// the executor saw first, which no ε can excuse, so a real-time run with one is not judged.
/// The due times are the checker's own (spec §2.1), so this and the verdicts never disagree.
pub fn near_tie(trace: &Trace, guard: Duration) -> Option<String> {
    let timeout = trace.call.timeout?;
    let t = Timeline::of(trace);
    let deadlines = due::deadlines(&t, timeout);
    for task in 0..trace.call.n_tasks {
        let Some(end) = t.completed_at(task) else {
            continue;
        };
        for d in deadlines.iter().filter(|d| d.owners.contains(&task)) {
            let gap = if end > d.due {
                end.since(d.due)
            } else {
                d.due.since(end)
            };
            if gap < guard {
                return Some(format!(
                    "near tie: task {task} completed at {end}, {} from a due time at {} (closer than {})",
                    Ms(gap),
                    d.due,
                    Ms(guard)
                ));
            }
        }
    }
    None
}
