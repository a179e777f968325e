//! loom models of the threaded driver: the code that ships ([`overtime_reference::threaded`]),
//! compiled against loom through its one sync facade ([`overtime_reference::sync`]) and run on
//! virtual time ([`VirtualClock`]), where a deadline is an event fired by the driver's own
//! timekeeper thread. loom runs every interleaving of the consumer, the workers and the
//! timekeeper (within the preemption bound), so "a result arrives" and "the deadline fires"
//! are tried in both orders. `reference-impl/LOOM.md` tells the whole story.
//!
//! Each `#[test]` is one model: a call of a few plain-closure jobs, a consumer script, and the
//! outcomes the contract allows. Every execution is recorded, then judged (the harness's
//! record-then-judge, in miniature):
//!
//! - its **outcome** — what the consumer saw, then which task bodies ever started, as
//!   `"v0 timeout(1) end | started 0 1"` — must be one the contract allows, and every allowed
//!   outcome must be reached by some execution (the race really went both ways);
//! - a task body that starts after the consumer observed the abort or made the drop must find
//!   its stop flag set, i.e. it was dispatched before the halt (a task dispatched after it
//!   never gets a stop request);
//! - loom itself fails an execution in which a thread blocks forever ("deadlock": the consumer
//!   never woken, a worker that never exits), spins forever, or leaks the driver's `Arc`.
//!
//! Run (release: loom is slow in debug):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p overtime-reference \
//!     --test loom_models --target-dir target/loom -- --nocapture --test-threads=1
//! ```
//!
//! Each model prints its interleavings and wall time. `.ci/loom` runs this, then the seeded
//! defects, which must make it fail.
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use overtime_harness::{
    CallError, CallParams, Contract, Mode, OnTimeout, Output, Slot, SlotResult, StopSignal,
    TaskFailure, TimeoutClock,
};
use overtime_reference::clock::VirtualClock;
use overtime_reference::core::CoreConfig;
use overtime_reference::threaded::{Job, ThreadedCall};
use std::collections::BTreeSet;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

/// The timeout of every call. Its value is irrelevant on virtual time: only the order of
/// events matters, and the timekeeper brings each deadline.
const TIMEOUT: Duration = Duration::from_millis(100);

/// Used when `LOOM_MAX_PREEMPTIONS` is not set; CI sets it explicitly. Below 2, loom cannot
/// reach every outcome the models require (their coverage check fails, on purpose); at 3 the
/// suite is too slow for CI (`reference-impl/LOOM.md` has the times).
const DEFAULT_PREEMPTION_BOUND: usize = 2;

// ---------------------------------------------------------------------------------------------
// The models.
// ---------------------------------------------------------------------------------------------

/// (a) List: a result against the deadline. One worker, two tasks: both results, or the
/// timeout of the task running when it fired — and then the other never starts.
#[test]
fn result_against_deadline_list() {
    const ALLOWED: &[&str] = &[
        "list[v0 v1] | started 0 1",
        "timeout(0) | started 0",
        "timeout(1) | started 0 1",
    ];
    let model = Model::new("result_against_deadline_list", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Returns), probe.job(1, Body::Returns)];
        let call = start(Mode::List, 1, OnTimeout::Abort, jobs);
        probe.wait_list(call);
    });
}

/// (a) Ordered: a result against the deadline. Slots finished before the abort are delivered
/// in input order, then the timeout of the task it fired for; exactly once each.
#[test]
fn result_against_deadline_ordered() {
    const ALLOWED: &[&str] = &[
        "v0 v1 end | started 0 1",
        "v0 timeout(1) end | started 0 1",
        "timeout(0) end | started 0",
    ];
    let model = Model::new("result_against_deadline_ordered", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Returns), probe.job(1, Body::Returns)];
        let mut call = start(Mode::Ordered, 1, OnTimeout::Abort, jobs);
        probe.pull_to_end(&mut call, 2);
    });
}

/// (a) Unordered, two workers: results in completion order, and every result finished before
/// the abort is delivered before the timeout (joblib #1586's mode: the deadline must still
/// fire while the consumer waits for "any" result).
#[test]
fn result_against_deadline_unordered() {
    const ALLOWED: &[&str] = &[
        "v0 v1 end | started 0 1",
        "v1 v0 end | started 0 1",
        "v0 timeout(1) end | started 0 1",
        "v1 timeout(0) end | started 0 1",
        "timeout(0) end | started 0",
        "timeout(0) end | started 0 1",
    ];
    let model = Model::new("result_against_deadline_unordered", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Returns), probe.job(1, Body::Returns)];
        let mut call = start(Mode::Unordered, 2, OnTimeout::Abort, jobs);
        probe.pull_to_end(&mut call, 2);
    });
}

/// (a) Unordered on the `ResultWait` clock: the timer is armed by the consumer's own wait, so
/// the consumer's poll must wake the timekeeper; the timeout names the running task that
/// started first, else the first not started (the wait may expire before any task starts).
#[test]
fn result_against_deadline_unordered_result_wait() {
    const ALLOWED: &[&str] = &[
        "v0 v1 end | started 0 1",
        "v1 v0 end | started 0 1",
        "v0 timeout(1) end | started 0 1",
        "v1 timeout(0) end | started 0 1",
        "timeout(0) end | started 0",
        "timeout(0) end | started 0 1",
        "timeout(0) end | started",
    ];
    let model = Model::new("result_against_deadline_unordered_result_wait", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Returns), probe.job(1, Body::Returns)];
        let mut call = start_with_clock(
            TimeoutClock::ResultWait,
            Mode::Unordered,
            2,
            OnTimeout::Abort,
            jobs,
        );
        probe.pull_to_end(&mut call, 2);
    });
}

/// (a) PerTask, Ordered: each slot is its result or its timed-out marker, never both; a task
/// marked while running is abandoned (its late result is dropped) and a replacement worker
/// runs the next task.
#[test]
fn result_against_marker_per_task_ordered() {
    const ALLOWED: &[&str] = &[
        "v0 v1 end | started 0 1",
        "v0 timed_out(1) end | started 0 1",
        "timed_out(0) v1 end | started 0 1",
        "timed_out(0) timed_out(1) end | started 0 1",
    ];
    let model = Model::new("result_against_marker_per_task_ordered", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Returns), probe.job(1, Body::Returns)];
        let mut call = start(Mode::Ordered, 1, OnTimeout::PerTask, jobs);
        probe.pull_to_end(&mut call, 2);
    });
}

/// (b) The consumer takes one answer and drops the iteration while the workers complete and
/// the deadline may fire: the drop returns, no task is dispatched after it, every thread
/// exits.
#[test]
fn drop_while_workers_complete() {
    // No "v0 drop | started 0": the worker that finished task 0 dispatches task 1 under the
    // same lock, before the consumer can take v0.
    const ALLOWED: &[&str] = &[
        "v0 drop | started 0 1",
        "v1 drop | started 0 1",
        "timeout(0) drop | started 0",
        "timeout(0) drop | started 0 1",
    ];
    let model = Model::new("drop_while_workers_complete", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Returns), probe.job(1, Body::Returns)];
        let mut call = start(Mode::Unordered, 2, OnTimeout::Abort, jobs);
        probe.pull(&mut call);
        probe.drop_call(call);
    });
}

/// (b) The consumer drops the iteration while task 0 is hung (it ignores its stop flag and
/// returns only when the model releases it, after the drop returned) and task 1 runs until
/// asked to stop: the drop returns without waiting for either, task 1 is asked to stop, and
/// every thread exits once task 0 is released.
#[test]
fn drop_while_a_task_is_hung() {
    const ALLOWED: &[&str] = &["drop | started", "drop | started 0", "drop | started 0 1"];
    let model = Model::new("drop_while_a_task_is_hung", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let gate = Gate::new();
        let jobs = vec![
            probe.job(0, Body::HangsUntilReleased(gate.clone())),
            probe.job(1, Body::HangsUntilStopped),
        ];
        let call = start(Mode::Unordered, 2, OnTimeout::Abort, jobs);
        probe.drop_call(call);
        gate.release();
    });
}

/// (c) Unordered, two workers: task 0 fails while the deadline fires and task 1 runs until
/// asked to stop. Exactly one error: task 0's failure, or the timeout; never task 1's
/// "stopped", which comes after the abort.
#[test]
fn failure_against_deadline_unordered() {
    const ALLOWED: &[&str] = &[
        "failed(0: boom) end | started 0",
        "failed(0: boom) end | started 0 1",
        "timeout(0) end | started 0",
        "timeout(0) end | started 0 1",
    ];
    let model = Model::new("failure_against_deadline_unordered", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![
            probe.job(0, Body::Fails),
            probe.job(1, Body::HangsUntilStopped),
        ];
        let mut call = start(Mode::Unordered, 2, OnTimeout::Abort, jobs);
        probe.pull_to_end(&mut call, 2);
    });
}

/// (c) Ordered, one worker: task 0 returns, task 1 fails, racing the deadline. Exactly one
/// error, of the kind of whichever came first.
#[test]
fn failure_against_deadline_ordered() {
    const ALLOWED: &[&str] = &[
        "v0 failed(1: boom) end | started 0 1",
        "v0 timeout(1) end | started 0 1",
        "timeout(0) end | started 0",
    ];
    let model = Model::new("failure_against_deadline_ordered", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Returns), probe.job(1, Body::Fails)];
        let mut call = start(Mode::Ordered, 1, OnTimeout::Abort, jobs);
        probe.pull_to_end(&mut call, 2);
    });
}

/// (c) List, one worker: task 0 fails against the deadline; task 1 never starts.
#[test]
fn failure_against_deadline_list() {
    const ALLOWED: &[&str] = &["failed(0: boom) | started 0", "timeout(0) | started 0"];
    let model = Model::new("failure_against_deadline_list", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = vec![probe.job(0, Body::Fails), probe.job(1, Body::Returns)];
        let call = start(Mode::List, 1, OnTimeout::Abort, jobs);
        probe.wait_list(call);
    });
}

/// (d) Abort against dispatch: one worker, three tasks, the deadline firing at any point of
/// the dispatch loop. The tasks that start are exactly those up to the one the timeout names;
/// none starts after the consumer has seen the abort.
#[test]
fn abort_against_dispatch() {
    const ALLOWED: &[&str] = &[
        "v0 v1 v2 end | started 0 1 2",
        "v0 v1 timeout(2) end | started 0 1 2",
        "v0 timeout(1) end | started 0 1",
        "timeout(0) end | started 0",
    ];
    let model = Model::new("abort_against_dispatch", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = (0..3).map(|i| probe.job(i, Body::Returns)).collect();
        let mut call = start(Mode::Ordered, 1, OnTimeout::Abort, jobs);
        probe.pull_to_end(&mut call, 3);
    });
}

/// (e) Reuse: call `a` times out on a hung task (still hung during call `b`, released at the
/// end); call `b` then runs as a fresh call would, racing its own deadline.
#[test]
fn reuse_after_timeout() {
    const ALLOWED: &[&str] = &[
        "timeout(0) end drop v0 v1 end | started a0 b0 b1",
        "timeout(0) end drop v0 timeout(1) end | started a0 b0 b1",
        "timeout(0) end drop timeout(0) end | started a0 b0",
    ];
    let model = Model::new("reuse_after_timeout", ALLOWED);
    explore(model, |run| {
        let gate = Gate::new();
        let first = run.call("a");
        let mut call = start(
            Mode::Ordered,
            1,
            OnTimeout::Abort,
            vec![first.job(0, Body::HangsUntilReleased(gate.clone()))],
        );
        first.pull_to_end(&mut call, 1);
        first.drop_call(call);

        let second = run.call("b");
        let jobs = vec![second.job(0, Body::Returns), second.job(1, Body::Returns)];
        let mut call = start(Mode::Ordered, 1, OnTimeout::Abort, jobs);
        second.pull_to_end(&mut call, 2);
        gate.release();
    });
}

/// (batches) List with no timeout hands out batches: one worker, four tasks, run as a batch
/// of two then two single tasks; the report of the last one must wake the consumer, which
/// waits for nothing else (no timekeeper, no deadline).
#[test]
fn batches_complete_the_list() {
    const ALLOWED: &[&str] = &["list[v0 v1 v2 v3] | started 0 1 2 3"];
    let model = Model::new("batches_complete_the_list", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = (0..4).map(|i| probe.job(i, Body::Returns)).collect();
        let call = start_without_timeout(Mode::List, 1, jobs);
        probe.wait_list(call);
    });
}

/// (batches) A failure against a batch: two workers, eight tasks with no timeout; one worker
/// gets the batch of tasks 0 and 1, the other task 2, which fails. The batch's worker stops
/// before its next task once the failure has aborted the call, and no task is dispatched after
/// it; how far it got depends on when the failure lands.
#[test]
fn failure_against_a_batch() {
    const ALLOWED: &[&str] = &[
        "failed(2: boom) | started 0 2",
        "failed(2: boom) | started 0 1 2",
        "failed(2: boom) | started 0 1 2 3",
        "failed(2: boom) | started 0 1 2 3 4",
        "failed(2: boom) | started 0 1 2 3 4 5",
        "failed(2: boom) | started 0 1 2 3 4 5 6",
        "failed(2: boom) | started 0 1 2 3 4 5 6 7",
    ];
    let model = Model::new("failure_against_a_batch", ALLOWED);
    explore(model, |run| {
        let probe = run.call("");
        let jobs = (0..8)
            .map(|i| probe.job(i, if i == 2 { Body::Fails } else { Body::Returns }))
            .collect();
        let call = start_without_timeout(Mode::List, 2, jobs);
        probe.wait_list(call);
    });
}

// ---------------------------------------------------------------------------------------------
// Calls and jobs.
// ---------------------------------------------------------------------------------------------

/// Starts the shipped driver on virtual time: `TaskRuntime` clock, the default window.
fn start(
    mode: Mode,
    n_jobs: usize,
    on_timeout: OnTimeout,
    jobs: Vec<Job>,
) -> ThreadedCall<VirtualClock> {
    start_with_clock(TimeoutClock::TaskRuntime, mode, n_jobs, on_timeout, jobs)
}

/// Starts the shipped driver on virtual time, with the default window.
fn start_with_clock(
    clock: TimeoutClock,
    mode: Mode,
    n_jobs: usize,
    on_timeout: OnTimeout,
    jobs: Vec<Job>,
) -> ThreadedCall<VirtualClock> {
    start_call(clock, mode, n_jobs, on_timeout, Some(TIMEOUT), jobs)
}

/// Starts the shipped driver with no timeout (no timekeeper), with the default window.
fn start_without_timeout(mode: Mode, n_jobs: usize, jobs: Vec<Job>) -> ThreadedCall<VirtualClock> {
    start_call(
        TimeoutClock::TaskRuntime,
        mode,
        n_jobs,
        OnTimeout::Abort,
        None,
        jobs,
    )
}

fn start_call(
    clock: TimeoutClock,
    mode: Mode,
    n_jobs: usize,
    on_timeout: OnTimeout,
    timeout: Option<Duration>,
    jobs: Vec<Job>,
) -> ThreadedCall<VirtualClock> {
    let contract = Contract {
        clock,
        on_timeout,
        cancels_running: true,
        ..Contract::default()
    };
    let config = CoreConfig::new(
        CallParams {
            n_tasks: jobs.len(),
            n_jobs,
            timeout,
            mode,
        },
        contract,
    );
    ThreadedCall::start(config, jobs, VirtualClock::new())
}

/// What a job's body does once started.
enum Body {
    Returns,
    Fails,
    /// Polls its stop flag until the driver sets it (a cooperative task), then fails "stopped".
    HangsUntilStopped,
    /// Ignores its stop flag; returns when the model opens the gate (the harness's hung task).
    HangsUntilReleased(Gate),
}

/// A gate a hung job blocks on; the model opens it at its end, so every thread can exit.
#[derive(Clone)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn new() -> Gate {
        Gate(Arc::new((Mutex::new(false), Condvar::new())))
    }

    fn release(&self) {
        let (open, changed) = &*self.0;
        *open.lock().expect("gate lock") = true;
        changed.notify_all();
    }

    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut guard = open.lock().expect("gate lock");
        while !*guard {
            guard = changed.wait(guard).expect("gate lock");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Recording an execution.
// ---------------------------------------------------------------------------------------------

/// One thing an execution did, in the order loom ran it. Kept in std types: recording adds no
/// step for loom to interleave.
enum Entry {
    /// The consumer saw an answer, or dropped the iteration.
    Saw(String),
    /// A task body started. `after_halt`: the consumer had already observed the abort or made
    /// the drop; `stop_requested`: then, the task's stop flag was set.
    Started {
        job: String,
        after_halt: bool,
        stop_requested: bool,
    },
}

type Journal = std::sync::Arc<std::sync::Mutex<Vec<Entry>>>;

fn record(journal: &Journal, entry: Entry) {
    journal
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(entry);
}

/// One execution of a model.
struct Run {
    journal: Journal,
}

impl Run {
    /// Instruments for one call: jobs are named `{name}{task}` in the outcome.
    fn call(&self, name: &'static str) -> Probe {
        Probe {
            name,
            halt: Arc::new(AtomicBool::new(false)),
            journal: self.journal.clone(),
        }
    }
}

/// One call's instruments. `halt` is a loom atomic on purpose: the consumer publishes "I saw
/// the abort / I dropped" through it, so a job that reads it set and then reads its stop flag
/// is ordered after the driver's stop request (loom models weak memory; a std flag would not
/// give that order and the check could fail spuriously).
struct Probe {
    name: &'static str,
    halt: Arc<AtomicBool>,
    journal: Journal,
}

impl Probe {
    fn job(&self, task: usize, body: Body) -> Job {
        let name = format!("{}{task}", self.name);
        let halt = Arc::clone(&self.halt);
        let journal = self.journal.clone();
        Box::new(move |stop: &dyn StopSignal| {
            let after_halt = halt.load(Ordering::SeqCst);
            let stop_requested = after_halt && stop.is_requested();
            record(
                &journal,
                Entry::Started {
                    job: name,
                    after_halt,
                    stop_requested,
                },
            );
            let failure = |message: &str| TaskFailure::new(task, message);
            match body {
                Body::Returns => Ok(Output { task }),
                Body::Fails => Err(failure("boom")),
                Body::HangsUntilStopped => {
                    while !stop.is_requested() {
                        thread::yield_now();
                    }
                    Err(failure("stopped"))
                }
                Body::HangsUntilReleased(gate) => {
                    gate.wait();
                    Ok(Output { task })
                }
            }
        })
    }

    fn saw(&self, what: String) {
        record(&self.journal, Entry::Saw(what));
    }

    /// The consumer has observed the abort, or made the drop.
    fn halted(&self) {
        self.halt.store(true, Ordering::SeqCst);
    }

    /// Pulls one answer and records it.
    fn pull(&self, call: &mut ThreadedCall<VirtualClock>) -> Option<SlotResult> {
        let answer = call.next();
        match &answer {
            None => self.saw("end".into()),
            Some(Ok(slot)) => self.saw(describe_slot(slot)),
            Some(Err(error)) => {
                self.halted();
                self.saw(describe_error(error));
            }
        }
        answer
    }

    /// Pulls until the stream ends. A stream of `n_tasks` slots gives at most `n_tasks`
    /// answers then the end; one more answer than that fails the model.
    fn pull_to_end(&self, call: &mut ThreadedCall<VirtualClock>, n_tasks: usize) {
        for _ in 0..=n_tasks {
            if self.pull(call).is_none() {
                return;
            }
        }
        panic!("the stream did not end after {n_tasks} answers for {n_tasks} tasks");
    }

    /// List mode: blocks for the whole answer.
    fn wait_list(&self, call: ThreadedCall<VirtualClock>) {
        match call.wait_list() {
            Ok(slots) => {
                let slots: Vec<String> = slots.iter().map(describe_slot).collect();
                self.saw(format!("list[{}]", slots.join(" ")));
            }
            Err(error) => {
                self.halted();
                self.saw(describe_error(&error));
            }
        }
    }

    /// Drops the iteration (the call must return), then says so.
    fn drop_call(&self, call: ThreadedCall<VirtualClock>) {
        drop(call);
        self.halted();
        self.saw("drop".into());
    }
}

fn describe_slot(slot: &Slot) -> String {
    match slot {
        Slot::Item(output) => format!("v{}", output.task),
        Slot::TimedOut { task } => format!("timed_out({task})"),
    }
}

fn describe_error(error: &CallError) -> String {
    match error {
        CallError::Timeout { task: Some(task) } => format!("timeout({task})"),
        CallError::Timeout { task: None } => "timeout".into(),
        CallError::TaskFailed { task, message } => format!("failed({task}: {message})"),
        CallError::ExecutorError(message) => format!("executor({message})"),
    }
}

// ---------------------------------------------------------------------------------------------
// Exploring and judging.
// ---------------------------------------------------------------------------------------------

/// A model's name and the outcomes its contract allows: every execution must end in one of
/// them, and each must be reached by some execution (the races were explored both ways).
#[derive(Clone, Copy)]
struct Model {
    name: &'static str,
    allowed: &'static [&'static str],
}

impl Model {
    fn new(name: &'static str, allowed: &'static [&'static str]) -> Model {
        Model { name, allowed }
    }

    /// Judges one finished execution (all its threads have exited): returns its outcome.
    fn judge(&self, entries: &[Entry]) -> String {
        let mut saw = Vec::new();
        let mut started = BTreeSet::new();
        for entry in entries {
            match entry {
                Entry::Saw(what) => saw.push(what.as_str()),
                Entry::Started {
                    job,
                    after_halt,
                    stop_requested,
                } => {
                    assert!(
                        !after_halt || *stop_requested,
                        "model {}: task {job} started after the consumer observed the abort or \
                         made the drop, and was never asked to stop: it was dispatched after \
                         the halt (consumer saw: {saw:?})",
                        self.name
                    );
                    started.insert(job.as_str());
                }
            }
        }
        let started: Vec<&str> = started.into_iter().collect();
        let outcome = if started.is_empty() {
            format!("{} | started", saw.join(" "))
        } else {
            format!("{} | started {}", saw.join(" "), started.join(" "))
        };
        assert!(
            self.allowed.contains(&outcome.as_str()),
            "model {}: outcome `{outcome}` is not one the contract allows; allowed: {:#?}",
            self.name,
            self.allowed
        );
        outcome
    }
}

/// `LOOM_MAX_PREEMPTIONS`, else [`DEFAULT_PREEMPTION_BOUND`].
fn preemption_bound() -> usize {
    match std::env::var("LOOM_MAX_PREEMPTIONS") {
        Ok(value) => value.parse().unwrap_or_else(|_| {
            panic!("LOOM_MAX_PREEMPTIONS={value:?} is not a number; set it to e.g. 2")
        }),
        Err(_) => DEFAULT_PREEMPTION_BOUND,
    }
}

/// Runs `body` under loom, in every interleaving within the preemption bound, judging each
/// execution; then checks every allowed outcome was reached and prints the model's numbers.
fn explore(model: Model, body: impl Fn(&Run) + Send + Sync + 'static) {
    let bound = preemption_bound();
    let journal: Journal = Default::default();
    let reached = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::<String>::new()));
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let judge = {
        let reached = reached.clone();
        move |entries: &[Entry]| {
            let outcome = model.judge(entries);
            reached
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(outcome);
        }
    };

    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    let began = Instant::now();
    {
        let (journal, executions, judge) = (journal.clone(), executions.clone(), judge.clone());
        builder.check(move || {
            // The previous execution is over (loom ran all its threads to the end): judge it.
            let previous = std::mem::take(
                &mut *journal
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            );
            if executions.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 0 {
                judge(&previous);
            }
            body(&Run {
                journal: journal.clone(),
            });
        });
    }
    let last = std::mem::take(
        &mut *journal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    judge(&last);
    let elapsed = began.elapsed();

    let reached = reached
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let executions = executions.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "loom model {:<40} {:>8} interleavings {:>8.2} s  preemption bound {bound}  \
         outcomes {}/{}",
        model.name,
        executions,
        elapsed.as_secs_f64(),
        reached.len(),
        model.allowed.len(),
    );
    let missing: Vec<&str> = model
        .allowed
        .iter()
        .copied()
        .filter(|outcome| !reached.contains(*outcome))
        .collect();
    assert!(
        missing.is_empty(),
        "model {}: no interleaving reached {missing:#?} (reached: {reached:#?}); the race was \
         not explored both ways (preemption bound {bound}: the models need at least 2)",
        model.name
    );
}
