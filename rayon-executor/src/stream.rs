//! Ordered and Unordered: a lazy stream over one rayon job per task, with at most `window`
//! tasks dispatched but not yet delivered.

use crate::call::{earliest, wait, End, Message, Shared, Waited};
use crate::Job;
use crossbeam_channel::Receiver;
use overtime_harness::{Output, Slot, SlotResult, TimeoutClock};
use rayon::ThreadPool;
use std::collections::BTreeMap;
use std::iter::Enumerate;
use std::sync::Arc;
use std::time::Instant;
use std::vec;

/// One lazy call. Dropping it ends an unfinished iteration at once: unstarted jobs never
/// start, running tasks are asked to stop, and the pool's threads exit by themselves.
pub(crate) struct Stream {
    shared: Arc<Shared>,
    results: Receiver<Message>,
    pool: ThreadPool,
    /// Jobs not yet dispatched, in input order.
    pending: Enumerate<vec::IntoIter<Job>>,
    /// Ordered: deliver in input order; else in the order results arrive.
    ordered: bool,
    /// Ordered: results that came before their turn (at most the window's worth).
    early: BTreeMap<usize, Output>,
    /// Ordered: the slot whose turn it is.
    turn: usize,
    delivered: usize,
    n_tasks: usize,
    /// A terminal answer was returned.
    over: bool,
}

impl Stream {
    /// Dispatches the first `window` jobs and returns the stream.
    pub(crate) fn start(
        pool: ThreadPool,
        shared: Arc<Shared>,
        results: Receiver<Message>,
        jobs: Enumerate<vec::IntoIter<Job>>,
        window: usize,
        ordered: bool,
    ) -> Stream {
        let n_tasks = jobs.len();
        let mut stream = Stream {
            shared,
            results,
            pool,
            pending: jobs,
            ordered,
            early: BTreeMap::new(),
            turn: 0,
            delivered: 0,
            n_tasks,
            over: false,
        };
        for _ in 0..window {
            stream.dispatch();
        }
        stream
    }

    /// Spawns the next job into the pool, unless none is left or the call has ended.
    fn dispatch(&mut self) {
        if self.shared.is_ended() {
            return;
        }
        let Some((task, job)) = self.pending.next() else {
            return;
        };
        let shared = Arc::clone(&self.shared);
        self.pool.spawn(move || {
            if let Some((Ok(output), _)) = shared.run_one(task, job) {
                shared.send(Message::Done { task, output });
            }
        });
    }

    /// Hands `output` over and frees its place in the window.
    fn deliver(&mut self, output: Output) -> Option<SlotResult> {
        self.delivered += 1;
        if self.ordered {
            self.turn += 1;
        }
        self.dispatch();
        Some(Ok(Slot::Item(output)))
    }

    fn fail(&mut self) -> Option<SlotResult> {
        self.over = true;
        Some(Err(self.shared.end_error()))
    }

    fn next_slot(&mut self) -> Option<SlotResult> {
        if self.over {
            return None;
        }
        let asked = Instant::now();
        let own = self
            .shared
            .timeout
            .filter(|_| self.shared.clock == TimeoutClock::ResultWait)
            .and_then(|t| asked.checked_add(t));
        loop {
            if self.ordered {
                if let Some(output) = self.early.remove(&self.turn) {
                    return self.deliver(output);
                }
            }
            if self.delivered == self.n_tasks {
                self.shared.end(End::Completed);
                self.over = true;
                return None;
            }
            let due = self.shared.next_due().map(|(due, _)| due);
            match wait(&self.results, earliest(own, due)) {
                Waited::Message(Message::Done { task, output }) => {
                    if !self.ordered || task == self.turn {
                        return self.deliver(output);
                    }
                    self.early.insert(task, output);
                }
                Waited::Message(Message::Ended) | Waited::Closed => return self.fail(),
                Waited::Message(Message::Rearm | Message::Completed { .. } | Message::List(_)) => {}
                Waited::DeadlinePassed => {
                    let now = Instant::now();
                    if own.is_some_and(|own| own <= now) {
                        self.shared.end(End::Timeout {
                            task: self.ordered.then_some(self.turn),
                        });
                        return self.fail();
                    }
                    if self.shared.fire_if_due(now) {
                        return self.fail();
                    }
                }
            }
        }
    }
}

impl Iterator for Stream {
    type Item = SlotResult;

    fn next(&mut self) -> Option<SlotResult> {
        self.next_slot()
    }
}

impl Drop for Stream {
    /// Never blocks: ends the call (if it had not ended) and lets the pool go.
    fn drop(&mut self) {
        self.shared.end(End::Dropped);
        self.shared.release_timekeeper();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Shared;
    use overtime_harness::Output;

    #[test]
    fn dispatches_at_most_the_window_and_one_more_per_delivery() {
        let n = 50;
        let (shared, results) =
            Shared::start(Instant::now(), n, None, TimeoutClock::TaskRuntime).expect("starts");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool");
        let jobs: Vec<Job> = (0..n)
            .map(|task| -> Job { Box::new(move |_| Ok(Output { task })) })
            .collect();
        let mut stream =
            Stream::start(pool, shared, results, jobs.into_iter().enumerate(), 3, true);
        assert_eq!(
            stream.pending.len(),
            n - 3,
            "only the window is dispatched up front"
        );
        let first = stream.next();
        assert_eq!(first.map(|s| s.map(|s| s.task())), Some(Ok(0)));
        assert_eq!(stream.pending.len(), n - 4, "one more per delivered slot");
        let rest: Vec<usize> = stream
            .map(|s| s.map(|s| s.task()))
            .collect::<Result<_, _>>()
            .expect("no error");
        assert_eq!(rest, (1..n).collect::<Vec<_>>());
    }
}
