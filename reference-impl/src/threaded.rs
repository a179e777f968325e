//! The threaded driver: runs one call's [`Core`] on threads, with time from a [`Clock`].
//!
//! Per call it starts detached threads, never joined, so neither a hung task nor a dropped
//! stream can block the consumer, and every call has its own workers (the executor is reusable
//! by construction):
//!
//! - **workers** (`n_jobs` of them, plus a replacement for each task abandoned under
//!   `PerTask`): lock, ask the core for a task, unlock, run it with its stop flag, lock, report
//!   the finish. A worker asks with `now`, so the core fires due timers first: an abort stops
//!   dispatch at its due time even if the consumer is not polling. An idle worker waits on the
//!   condvar until a change or the core's next deadline.
//! - **the timekeeper** (calls with a timeout): waits until the core's next deadline and fires
//!   it, so stop requests reach running tasks on time even when every worker is busy and the
//!   consumer is slow. Under a [`crate::clock::VirtualClock`] it is the thread that makes
//!   deadlines happen. It exits once no timer can be armed again.
//! - **the consumer** (the caller): polls the core; on `Pending` waits on the condvar until a
//!   change or the next deadline.
//!
//! All state is in one `Mutex<State>`; one `Condvar` wakes every waiter. Every change to the
//! core is made under the lock and followed, under the same lock, by `notify_all` when the
//! core's generation moved, and every waiter re-checks the core under the lock before waiting:
//! no wakeup can be lost, and an input that changes nothing notifies nobody (no ping-pong).
//! Whoever takes the lock first after a deadline fires it; the others find it fired.
//!
//! Seeded defects break this driver on purpose, to show the loom models catch them
//! (`reference-impl/LOOM.md`); no normal build sets them: `--cfg overtime_defect="lost_notify"`
//! (a worker's finish wakes nobody), `"unlocked_wait"` (the consumer lets go of the lock
//! between its check and its wait), `"drop_ignored"` (dropping the iteration does nothing).
//!
//! Costs: one thread per worker and one timekeeper per call; one lock round trip per dispatch,
//! finish and poll; a `notify_all` wakes every waiter of the call (a handful of threads).
//! Threads are spawned while holding the lock (at the start, and for PerTask replacements).

use crate::clock::{Clock, RealClock};
use crate::core::{self, AfterTask, Core, CoreConfig, Dispatch, Poll, TaskResult, Tick};
use crate::machine::Machine;
use crate::sync::{self, thread, Arc, AtomicBool, Condvar, Mutex, MutexGuard, Ordering};
use overtime_harness::{CallError, Output, Slot, SlotResult, StopSignal, TaskFailure};
use std::panic::{self, AssertUnwindSafe};

/// One task's body as the driver runs it: it gets its stop signal and returns its output or
/// its failure. [`overtime_harness::Task::run`] fits: `Box::new(move |stop| task.run(stop))`.
pub type Job = Box<dyn FnOnce(&dyn StopSignal) -> Result<Output, TaskFailure> + Send>;

/// A task's stop request: set once by the driver, read by the task through [`StopSignal`].
#[derive(Debug)]
pub struct StopFlag(AtomicBool);

impl StopFlag {
    fn new() -> StopFlag {
        StopFlag(AtomicBool::new(false))
    }

    fn request(&self) {
        self.0.store(true, Ordering::Release);
    }
}

impl StopSignal for StopFlag {
    fn is_requested(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// One call running on threads: a lazy stream of slots ([`Iterator`]) or, in List mode, one
/// blocking answer ([`ThreadedCall::wait_list`]). Dropping it drops the iteration: it returns
/// at once, asks running tasks to stop, and leaves the threads to exit by themselves.
pub struct ThreadedCall<C: Clock = RealClock, M: Machine = Core> {
    shared: Arc<Shared<C, M>>,
    /// A terminal answer was returned; the stream is over.
    over: bool,
}

struct Shared<C, M> {
    state: Mutex<State<M>>,
    /// Notified whenever the core's generation moves (and when the driver breaks).
    changed: Condvar,
    clock: C,
    stops: Box<[StopFlag]>,
}

struct State<M> {
    core: M,
    /// Task bodies not yet taken by a worker.
    jobs: Vec<Option<Job>>,
    /// Outputs of tasks that returned, until delivered.
    outputs: Vec<Option<Output>>,
    /// Set when the driver itself failed (a thread could not be started).
    broken: Option<String>,
}

/// A core answer in the harness's terms.
enum Delivery {
    Slot(Slot),
    List(Vec<Slot>),
    Failed(CallError),
    End,
}

impl<C: Clock> ThreadedCall<C> {
    /// Starts the call: its workers and (with a timeout) its timekeeper. Tick 0 is whatever
    /// `clock` says it is; make the clock when the call is made. `config.n_tasks` is replaced
    /// by `jobs.len()`.
    pub fn start(mut config: CoreConfig, jobs: Vec<Job>, clock: C) -> ThreadedCall<C> {
        config.n_tasks = jobs.len();
        ThreadedCall::start_machine(Core::new(config), jobs, clock)
    }
}

impl<C: Clock, M: Machine> ThreadedCall<C, M> {
    /// Starts a call run by `machine` (made for `jobs.len()` tasks at the call's instant): the
    /// same driver for the reference core and for any other [`Machine`].
    pub fn start_machine(machine: M, jobs: Vec<Job>, clock: C) -> ThreadedCall<C, M> {
        let has_timeout = !machine.timers_finished();
        let n = jobs.len();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                core: machine,
                jobs: jobs.into_iter().map(Some).collect(),
                outputs: (0..n).map(|_| None).collect(),
                broken: None,
            }),
            changed: Condvar::new(),
            clock,
            stops: (0..n).map(|_| StopFlag::new()).collect(),
        });
        {
            let mut state = shared.lock();
            let generation = state.core.generation();
            Shared::settle(&shared, &mut state, generation);
            if has_timeout {
                let for_thread = Arc::clone(&shared);
                shared.spawn(&mut state, "overtime-timekeeper", move || {
                    timekeeper(for_thread)
                });
            }
        }
        ThreadedCall {
            shared,
            over: false,
        }
    }

    /// The next slot of a lazy stream, blocking until it is there, the timeout fires or a task
    /// fails; `None` once the stream ended or after its error.
    pub fn next_slot(&mut self) -> Option<SlotResult> {
        if self.over {
            return None;
        }
        let answer = match Shared::next_delivery(&self.shared) {
            Delivery::Slot(slot) => return Some(Ok(slot)),
            Delivery::End => None,
            Delivery::Failed(error) => Some(Err(error)),
            Delivery::List(_) => Some(Err(CallError::Executor(
                "a List-mode call was pulled as a stream".into(),
            ))),
        };
        self.over = true;
        answer
    }

    /// List mode: blocks until every slot is there, in input order, or the call fails.
    pub fn wait_list(mut self) -> Result<Vec<Slot>, CallError> {
        self.over = true;
        match Shared::next_delivery(&self.shared) {
            Delivery::List(slots) => Ok(slots),
            Delivery::Failed(error) => Err(error),
            Delivery::Slot(_) | Delivery::End => Err(CallError::Executor(
                "a lazy-mode call was awaited as a list".into(),
            )),
        }
    }
}

impl<C: Clock, M: Machine> Iterator for ThreadedCall<C, M> {
    type Item = SlotResult;

    fn next(&mut self) -> Option<SlotResult> {
        self.next_slot()
    }
}

impl<C: Clock, M: Machine> Drop for ThreadedCall<C, M> {
    /// Never blocks on a task: one short critical section, then the threads are left to exit.
    fn drop(&mut self) {
        // Seeded defect (LOOM.md): dropping the iteration tells the call nothing, so its
        // workers go on dispatching and running tasks are never asked to stop.
        if cfg!(overtime_defect = "drop_ignored") {
            return;
        }
        let mut state = self.shared.lock();
        let generation = state.core.generation();
        let now = self.shared.clock.now();
        state.core.drop_iteration(now);
        Shared::settle(&self.shared, &mut state, generation);
    }
}

impl<C: Clock, M: Machine> Shared<C, M> {
    fn lock(&self) -> MutexGuard<'_, State<M>> {
        sync::lock(&self.state)
    }

    /// Acts on the core's outputs after an input: stop flags, new workers, and a wakeup for
    /// everybody if the state changed since `generation`. Called under the lock.
    fn settle(shared: &Arc<Self>, state: &mut State<M>, generation: u64) {
        for task in state.core.take_stop_requests() {
            if let Some(flag) = shared.stops.get(task) {
                flag.request();
            }
        }
        for _ in 0..state.core.take_spawn_requests() {
            let for_thread = Arc::clone(shared);
            shared.spawn(state, "overtime-worker", move || worker(for_thread));
        }
        if state.core.generation() != generation {
            shared.changed.notify_all();
        }
    }

    /// Starts a detached thread; if the OS refuses, the call fails with an executor error
    /// instead of waiting for a worker that will never come.
    fn spawn(&self, state: &mut State<M>, name: &str, body: impl FnOnce() + Send + 'static) {
        if state.broken.is_some() {
            return;
        }
        if let Err(e) = thread::Builder::new().name(name.into()).spawn(body) {
            state.broken = Some(format!("could not start a thread ({name}): {e}"));
            let now = self.clock.now();
            state.core.drop_iteration(now);
            for task in state.core.take_stop_requests() {
                if let Some(flag) = self.stops.get(task) {
                    flag.request();
                }
            }
            self.changed.notify_all();
        }
    }

    /// The consumer's side: polls the core until it answers, waiting in between.
    fn next_delivery(shared: &Arc<Self>) -> Delivery {
        let mut state = shared.lock();
        loop {
            if let Some(message) = &state.broken {
                return Delivery::Failed(CallError::Executor(message.clone()));
            }
            let generation = state.core.generation();
            let poll = state.core.poll(shared.clock.now());
            Shared::settle(shared, &mut state, generation);
            match poll {
                Poll::Ready(answer) => return state.delivery(answer),
                Poll::Pending => {
                    let deadline = state.core.next_deadline();
                    // Seeded defect (LOOM.md): the consumer lets go of the lock between its
                    // check and its wait, so a change made in between wakes nobody.
                    #[cfg(overtime_defect = "unlocked_wait")]
                    {
                        drop(state);
                        state = shared.lock();
                    }
                    state = shared.clock.wait(&shared.changed, state, deadline);
                }
            }
        }
    }
}

impl<M: Machine> State<M> {
    /// Maps a core answer onto the harness's types, handing over the stored outputs.
    fn delivery(&mut self, answer: core::Answer) -> Delivery {
        match answer {
            core::Answer::Slot(slot) => match self.slot(slot) {
                Ok(slot) => Delivery::Slot(slot),
                Err(error) => Delivery::Failed(error),
            },
            core::Answer::List(slots) => match slots.into_iter().map(|s| self.slot(s)).collect() {
                Ok(slots) => Delivery::List(slots),
                Err(error) => Delivery::Failed(error),
            },
            core::Answer::Failed(core::Failure::Timeout { task }) => {
                Delivery::Failed(CallError::Timeout { task })
            }
            core::Answer::Failed(core::Failure::TaskFailed { task, message }) => {
                Delivery::Failed(CallError::TaskFailed { task, message })
            }
            core::Answer::End => Delivery::End,
        }
    }

    fn slot(&mut self, slot: core::Slot) -> Result<Slot, CallError> {
        match slot {
            core::Slot::TimedOut(task) => Ok(Slot::TimedOut { task }),
            core::Slot::Item(task) => self
                .outputs
                .get_mut(task)
                .and_then(Option::take)
                .map(Slot::Value)
                .ok_or_else(|| {
                    CallError::Executor(format!("the result of task {task} went missing"))
                }),
        }
    }
}

/// A worker: takes tasks until the core says it is done.
fn worker<C: Clock, M: Machine>(shared: Arc<Shared<C, M>>) {
    let mut state = shared.lock();
    loop {
        let generation = state.core.generation();
        let dispatch = state.core.next_task(shared.clock.now());
        Shared::settle(&shared, &mut state, generation);
        match dispatch {
            Dispatch::Exit => return,
            Dispatch::Wait => {
                let deadline = state.core.next_deadline();
                state = shared.clock.wait(&shared.changed, state, deadline);
            }
            Dispatch::Run(task) => {
                let job = state.jobs.get_mut(task).and_then(Option::take);
                drop(state);
                let result = run_job(job, task, &shared.stops);
                state = shared.lock();
                let generation = state.core.generation();
                let now = shared.clock.now();
                let result = match result {
                    Ok(output) => {
                        if let Some(slot) = state.outputs.get_mut(task) {
                            *slot = Some(output);
                        }
                        TaskResult::Returned
                    }
                    Err(failure) => TaskResult::Failed {
                        message: failure.message,
                    },
                };
                let after = state.core.task_finished(task, result, now);
                // Seeded defect (LOOM.md): the finish is taken as no change, so it wakes
                // nobody.
                let generation = if cfg!(overtime_defect = "lost_notify") {
                    state.core.generation()
                } else {
                    generation
                };
                Shared::settle(&shared, &mut state, generation);
                if after == AfterTask::Exit {
                    return;
                }
            }
        }
    }
}

/// Runs one task body outside the lock. A panic in the body is the task's failure.
fn run_job(job: Option<Job>, task: usize, stops: &[StopFlag]) -> Result<Output, TaskFailure> {
    let failure = |message: &str| TaskFailure {
        task,
        message: message.into(),
    };
    let (Some(job), Some(stop)) = (job, stops.get(task)) else {
        return Err(failure("the executor lost this task's body"));
    };
    panic::catch_unwind(AssertUnwindSafe(|| job(stop)))
        .unwrap_or_else(|_| Err(failure("the task panicked")))
}

/// The timekeeper: fires each deadline when it comes, until no timer can be armed again.
fn timekeeper<C: Clock, M: Machine>(shared: Arc<Shared<C, M>>) {
    let mut state = shared.lock();
    loop {
        let generation = state.core.generation();
        state.core.on_time(shared.clock.now());
        Shared::settle(&shared, &mut state, generation);
        if state.core.timers_finished() || state.broken.is_some() {
            return;
        }
        let deadline: Option<Tick> = state.core.next_deadline();
        state = shared.clock.sleep_until(&shared.changed, state, deadline);
    }
}
