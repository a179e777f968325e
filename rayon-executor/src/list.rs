//! List mode: the tasks run as one `par_iter` in the call's pool; the caller waits for the
//! whole list, the timeout or a failure.

use crate::call::{earliest, wait, End, Message, Shared, Waited};
use crate::Job;
use crossbeam_channel::Receiver;
use overtime_harness::{CallError, Slot, TimeoutClock};
use rayon::prelude::*;
use rayon::ThreadPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Runs every job and blocks until all slots are there, in input order, or the call fails.
pub(crate) fn run(
    pool: &ThreadPool,
    shared: Arc<Shared>,
    results: Receiver<Message>,
    jobs: Vec<(usize, Job)>,
    leaf: Option<usize>,
) -> Result<Vec<Slot>, CallError> {
    let n_tasks = jobs.len();
    let eager_waits = shared.clock == TimeoutClock::ResultWait && shared.timeout.is_some();
    {
        let shared = Arc::clone(&shared);
        pool.spawn(move || {
            let slots = jobs
                .into_par_iter()
                // One task per leaf (by default): no task waits behind a slow one while a
                // thread is free.
                .with_max_len(leaf.unwrap_or(usize::MAX))
                .map(|(task, job)| match shared.run_one(task, job) {
                    Some((Ok(output), ended)) => {
                        if let (true, Some(at)) = (eager_waits, ended) {
                            shared.send(Message::Completed { task, at });
                        }
                        Slot::Item(output)
                    }
                    // Skipped, failed or discarded: the call has ended, and a list with such
                    // a slot is never handed over (see `wait_list`). A placeholder keeps the
                    // collect a single pass into the answer's own type.
                    _ => Slot::TimedOut { task },
                })
                .collect();
            shared.send(Message::List(slots));
        });
    }
    let answer = wait_list(&shared, &results, n_tasks);
    if answer.is_ok() {
        shared.end(End::Completed);
    }
    shared.release_timekeeper();
    answer
}

/// The caller's wait. Under `result_wait` it is the eager consumer of spec §2.1: it waits for
/// slot 0 from the call and for slot k + 1 from max(its wait for slot k, slot k's completion),
/// T each time.
fn wait_list(
    shared: &Shared,
    results: &Receiver<Message>,
    n_tasks: usize,
) -> Result<Vec<Slot>, CallError> {
    let result_wait = shared
        .timeout
        .filter(|_| shared.clock == TimeoutClock::ResultWait);
    let mut awaited = 0usize;
    let mut wait_began = shared.made;
    let mut completions: HashMap<usize, Instant> = HashMap::new();
    loop {
        while let Some(at) = completions.remove(&awaited) {
            let due = result_wait.and_then(|t| wait_began.checked_add(t));
            if due.is_some_and(|due| at > due) {
                // Seen late: the slot completed after its wait's due time.
                shared.end(End::Timeout {
                    task: Some(awaited),
                });
                return Err(shared.end_error());
            }
            wait_began = wait_began.max(at);
            awaited += 1;
        }
        let own = result_wait
            .filter(|_| awaited < n_tasks)
            .and_then(|t| wait_began.checked_add(t));
        let due = shared.next_due().map(|(due, _)| due);
        match wait(results, earliest(own, due)) {
            Waited::Message(Message::Completed { task, at }) => {
                completions.insert(task, at);
            }
            Waited::Message(Message::List(slots)) => {
                // Every slot is a value unless the call ended, which is checked here: a task
                // that did not return ended the call before its slot was filled.
                if shared.is_ended() {
                    return Err(shared.end_error());
                }
                return Ok(slots);
            }
            Waited::Message(Message::Ended) | Waited::Closed => return Err(shared.end_error()),
            Waited::Message(Message::Done { .. } | Message::Rearm) => {}
            Waited::DeadlinePassed => {
                let now = Instant::now();
                if own.is_some_and(|own| own <= now) {
                    shared.end(End::Timeout {
                        task: Some(awaited),
                    });
                    return Err(shared.end_error());
                }
                if shared.fire_if_due(now) {
                    return Err(shared.end_error());
                }
            }
        }
    }
}
