//! Two executors written independently, in the naive style people actually write: a worker
//! pool over a channel, with the timeout bolted on where it was easiest. Neither shares code
//! with the reference executor.

use overtime_harness::{
    Call, CallError, Mode, NeverStop, Outcome, Output, Slot, SlotResult, Task, TaskFailure,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

type Done = (usize, Result<Output, TaskFailure>);

/// Starts `n_jobs` threads that take tasks from a shared queue and send their results.
fn pool(tasks: Vec<Task>, n_jobs: usize) -> (Receiver<Done>, Vec<JoinHandle<()>>) {
    let queue = Arc::new(Mutex::new(tasks.into_iter().collect::<VecDeque<_>>()));
    let (tx, rx) = mpsc::channel();
    let workers = (0..n_jobs.max(1))
        .map(|_| {
            let queue = Arc::clone(&queue);
            let tx = tx.clone();
            thread::spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                let Some(task) = next else { break };
                let index = task.index();
                if tx.send((index, task.run(&NeverStop))).is_err() {
                    break;
                }
            })
        })
        .collect();
    (rx, workers)
}

fn slot_of((index, result): Done) -> SlotResult {
    match result {
        Ok(output) => Ok(Slot::Item(output)),
        Err(failure) => Err(CallError::TaskFailed {
            task: index,
            message: failure.message,
        }),
    }
}

/// Runs everything, waits for every result, and only then looks at the clock.
pub fn collect_then_compare(call: Call) -> Outcome {
    let started = Instant::now();
    let n = call.tasks.len();
    let (rx, _workers) = pool(call.tasks, call.n_jobs);
    let mut done: Vec<Done> = rx.iter().take(n).collect();
    let late = call.timeout.is_some_and(|t| started.elapsed() > t);
    if call.mode != Mode::Unordered {
        done.sort_by_key(|(index, _)| *index);
    }
    let mut answers: Vec<SlotResult> = Vec::new();
    if late {
        answers.push(Err(CallError::Timeout { task: None }));
    } else {
        for d in done {
            let answer = slot_of(d);
            let failed = answer.is_err();
            answers.push(answer);
            if failed {
                break;
            }
        }
    }
    match call.mode {
        Mode::List => Outcome::List(answers.into_iter().collect()),
        Mode::Ordered | Mode::Unordered => Outcome::Stream(Box::new(answers.into_iter())),
    }
}

/// A pool whose consumer blocks in `recv()` and checks the elapsed time when a result comes.
pub fn blocking_recv(call: Call) -> Outcome {
    let n = call.tasks.len();
    let (rx, workers) = pool(call.tasks, call.n_jobs);
    let mut stream = BlockingStream {
        rx,
        workers,
        started: Instant::now(),
        timeout: call.timeout,
        ordered: call.mode != Mode::Unordered,
        buffer: BTreeMap::new(),
        next_index: 0,
        remaining: n,
        over: false,
    };
    match call.mode {
        Mode::List => Outcome::List(stream.by_ref().collect()),
        Mode::Ordered | Mode::Unordered => Outcome::Stream(Box::new(stream)),
    }
}

struct BlockingStream {
    rx: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    started: Instant,
    timeout: Option<Duration>,
    ordered: bool,
    buffer: BTreeMap<usize, Done>,
    next_index: usize,
    remaining: usize,
    over: bool,
}

impl Iterator for BlockingStream {
    type Item = SlotResult;

    fn next(&mut self) -> Option<SlotResult> {
        if self.over || self.remaining == 0 {
            return None;
        }
        loop {
            if self.ordered {
                if let Some(done) = self.buffer.remove(&self.next_index) {
                    self.next_index += 1;
                    self.remaining -= 1;
                    let answer = slot_of(done);
                    self.over = answer.is_err();
                    return Some(answer);
                }
            }
            let Ok(done) = self.rx.recv() else {
                self.over = true;
                return Some(Err(CallError::ExecutorError(
                    "the worker pool went away".into(),
                )));
            };
            if self.timeout.is_some_and(|t| self.started.elapsed() > t) {
                self.over = true;
                return Some(Err(CallError::Timeout { task: None }));
            }
            if self.ordered {
                self.buffer.insert(done.0, done);
            } else {
                self.remaining -= 1;
                let answer = slot_of(done);
                self.over = answer.is_err();
                return Some(answer);
            }
        }
    }
}

impl Drop for BlockingStream {
    fn drop(&mut self) {
        // Tidy: wait for the pool to finish before going away.
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}
