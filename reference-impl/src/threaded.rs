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
//! All state is in one `Mutex<State>`. Every change to the core is made under the lock and
//! followed, under the same lock, by a wakeup of whoever waits for it, and every waiter
//! re-checks the core under the lock and says so in the state before it waits: no wakeup can
//! be lost. Each party waits on its own condvar and is woken only when what it waits for may
//! have changed, and only if it is waiting — so an input that changes nothing, or nothing
//! anybody waits for, costs no wakeup (and no system call):
//!
//! - workers (`work`): the core's generation moved;
//! - the consumer (`answer`): the core's answer generation moved (a slot became deliverable,
//!   an abort, a drop), or the next deadline moved earlier than the one it waits towards (so
//!   that it wakes at the deadline itself and fires it, rather than waiting for the
//!   timekeeper to be scheduled first: one wakeup between the deadline and the consumer
//!   seeing it, not two); and, while it waits towards a deadline, any change at all. That
//!   last rule costs a wakeup per change in calls with a timeout and is kept for what it was
//!   measured to do under CPU oversubscription (a lower p99 lateness, `reports/perf.md`
//!   section a), not for a mechanism we can point to. Calls without a timeout never pay it;
//! - the timekeeper (`timer`): the next deadline moved earlier than the one it sleeps
//!   towards, or no timer can be armed again.
//!
//! Whoever takes the lock first after a deadline fires it; the others find it fired.
//!
//! Seeded defects break this driver on purpose, to show the loom models catch them
//! (`reference-impl/LOOM.md`); no normal build sets them: `--cfg overtime_defect="lost_notify"`
//! (a worker's finish wakes nobody), `"unlocked_wait"` (the consumer lets go of the lock
//! between its check and its wait), `"drop_ignored"` (dropping the iteration does nothing).
//!
//! Costs: one thread per worker and one timekeeper per call; one lock round trip per dispatch
//! (a task, or a batch of tasks in a List call with no timeout: [`Core::next_batch`]), per
//! report and per poll. Memory beyond the input: the core's (bounded by the window in the
//! lazy modes), the outputs not yet delivered (the same bound; List holds every output until
//! its answer), one stop flag per worker. Threads are spawned while holding the lock (at the
//! start, and for PerTask replacements).
//!
//! Against rayon's `par_iter().map().collect()` over no-op jobs, a List call with no timeout
//! is slower (`reports/perf.md`, section b, says by how much): batches remove the locking, and
//! what is left is what `par_iter` does not do — a state per task in the core, each output
//! moved through the shared store into an answer in input order, threads started per call. A
//! lazy call hands over one slot per wakeup of the consumer; batching there would delay
//! results the consumer could already have.

use crate::clock::{Clock, RealClock};
use crate::core::{self, AfterTask, Core, CoreConfig, Dispatch, Poll, TaskResult, Tick};
use crate::machine::Machine;
use crate::sync::{self, thread, Arc, AtomicBool, Condvar, Mutex, MutexGuard, Ordering};
use overtime_harness::{CallError, Mode, Output, Slot, SlotResult, StopSignal, TaskFailure};
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};

/// One task's body as the driver runs it: it gets its stop signal and returns its output or
/// its failure. [`overtime_harness::Task::run`] fits: `Box::new(move |stop| task.run(stop))`.
pub type Job = Box<dyn FnOnce(&dyn StopSignal) -> Result<Output, TaskFailure> + Send>;

/// A stop request: set by the driver, read by the task through [`StopSignal`]. Each worker
/// has one, lent to the task it runs.
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
    /// Wakes waiting workers: the core's generation moved.
    work: Condvar,
    /// Wakes the waiting consumer: the core's answer generation moved, or the next deadline
    /// moved earlier.
    answer: Condvar,
    /// Wakes the timekeeper: the next deadline moved earlier, or the timers are finished.
    timer: Condvar,
    clock: C,
}

struct State<M> {
    core: M,
    /// Task bodies not yet taken by a worker.
    jobs: Vec<Option<Job>>,
    /// Outputs of results the core kept for delivery, until delivered.
    outputs: Outputs,
    /// The stop flag of each task being run (of a batch: its first task, the one the core
    /// counts as running), by task.
    flags: Vec<(usize, Arc<StopFlag>)>,
    /// Who is waiting, so that a change wakes only them.
    waiting: Waiting,
    /// Set when the driver itself failed (a thread could not be started).
    broken: Option<String>,
}

/// Who is waiting; the consumer and the timekeeper with the deadline they wait towards
/// (`Some(None)`: until woken).
#[derive(Debug, Default)]
struct Waiting {
    workers: usize,
    consumer: Option<Option<Tick>>,
    timekeeper: Option<Option<Tick>>,
}

/// True when `next` comes before `until` (no deadline: never).
fn earlier(next: Option<Tick>, until: Option<Tick>) -> bool {
    match (next, until) {
        (Some(next), Some(until)) => next < until,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// What the wakeups after an input compare with: the core's counters before it.
#[derive(Debug, Clone, Copy)]
struct Before {
    generation: u64,
    answer_generation: u64,
}

/// The outputs of tasks that returned, until delivered: by index for a List call (its answer
/// takes them all), by key for the lazy modes (at most the window's worth at once).
enum Outputs {
    Every(Vec<Option<Output>>),
    InFlight(HashMap<usize, Output>),
}

impl Outputs {
    fn for_call(mode: Mode, n_tasks: usize) -> Outputs {
        match mode {
            Mode::List => Outputs::Every((0..n_tasks).map(|_| None).collect()),
            Mode::Ordered | Mode::Unordered => Outputs::InFlight(HashMap::new()),
        }
    }

    fn put(&mut self, task: usize, output: Output) {
        match self {
            Outputs::Every(outputs) => {
                if let Some(slot) = outputs.get_mut(task) {
                    *slot = Some(output);
                }
            }
            Outputs::InFlight(outputs) => {
                outputs.insert(task, output);
            }
        }
    }

    fn take(&mut self, task: usize) -> Option<Output> {
        match self {
            Outputs::Every(outputs) => outputs.get_mut(task).and_then(Option::take),
            Outputs::InFlight(outputs) => outputs.remove(&task),
        }
    }
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
    /// `clock` says it is; make the clock when the call is made. `config.call.n_tasks` is replaced
    /// by `jobs.len()`.
    pub fn start(mut config: CoreConfig, jobs: Vec<Job>, clock: C) -> ThreadedCall<C> {
        config.call.n_tasks = jobs.len();
        ThreadedCall::start_machine(Core::new(config), jobs, clock)
    }
}

impl<C: Clock, M: Machine> ThreadedCall<C, M> {
    /// Starts a call run by `machine` (made for `jobs.len()` tasks at the call's instant): the
    /// same driver for the reference core and for any other [`Machine`].
    pub fn start_machine(machine: M, jobs: Vec<Job>, clock: C) -> ThreadedCall<C, M> {
        let has_timeout = !machine.timers_finished();
        let outputs = Outputs::for_call(machine.config().call.mode, jobs.len());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                core: machine,
                jobs: jobs.into_iter().map(Some).collect(),
                outputs,
                flags: Vec::new(),
                waiting: Waiting::default(),
                broken: None,
            }),
            work: Condvar::new(),
            answer: Condvar::new(),
            timer: Condvar::new(),
            clock,
        });
        {
            let mut state = shared.lock();
            let before = state.before();
            Shared::settle(&shared, &mut state, before);
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
            Delivery::List(_) => Some(Err(CallError::ExecutorError(
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
            Delivery::Slot(_) | Delivery::End => Err(CallError::ExecutorError(
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
        let before = state.before();
        let now = self.shared.clock.now();
        state.core.drop_iteration(now);
        Shared::settle(&self.shared, &mut state, before);
    }
}

impl<C: Clock, M: Machine> Shared<C, M> {
    fn lock(&self) -> MutexGuard<'_, State<M>> {
        sync::lock(&self.state)
    }

    /// Acts on the core's outputs after an input: stop flags, new workers, and a wakeup for
    /// each waiting party whose wait the input may have ended (see the module docs). Called
    /// under the lock.
    fn settle(shared: &Arc<Self>, state: &mut State<M>, before: Before) {
        state.request_stops();
        for _ in 0..state.core.take_spawn_requests() {
            let for_thread = Arc::clone(shared);
            shared.spawn(state, "overtime-worker", move || worker(for_thread));
        }
        let core = &state.core;
        if state.waiting.workers > 0 && core.generation() != before.generation {
            shared.work.notify_all();
        }
        if let Some(until) = state.waiting.consumer {
            let changed = core.generation() != before.generation;
            if core.answer_generation() != before.answer_generation
                || earlier(core.next_deadline(), until)
                || (until.is_some() && changed)
            {
                shared.answer.notify_one();
            }
        }
        if let Some(until) = state.waiting.timekeeper {
            if earlier(core.next_deadline(), until) || core.timers_finished() {
                shared.timer.notify_one();
            }
        }
    }

    /// Wakes every waiting party, whatever it waits for.
    fn wake_everybody(&self) {
        self.work.notify_all();
        self.answer.notify_all();
        self.timer.notify_all();
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
            state.request_stops();
            self.wake_everybody();
        }
    }

    /// The consumer's side: polls the core until it answers, waiting in between.
    fn next_delivery(shared: &Arc<Self>) -> Delivery {
        let mut state = shared.lock();
        loop {
            if let Some(message) = &state.broken {
                return Delivery::Failed(CallError::ExecutorError(message.clone()));
            }
            let before = state.before();
            let poll = state.core.poll(shared.clock.now());
            Shared::settle(shared, &mut state, before);
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
                    state.waiting.consumer = Some(deadline);
                    state = shared.clock.wait(&shared.answer, state, deadline);
                    state.waiting.consumer = None;
                }
            }
        }
    }
}

impl<M: Machine> State<M> {
    fn before(&self) -> Before {
        Before {
            generation: self.core.generation(),
            answer_generation: self.core.answer_generation(),
        }
    }

    /// Sets the stop flag of each task the core asks to stop.
    fn request_stops(&mut self) {
        for task in self.core.take_stop_requests() {
            if let Some((_, flag)) = self.flags.iter().find(|(t, _)| *t == task) {
                flag.request();
            }
        }
    }

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
            core::Slot::Item(task) => self.outputs.take(task).map(Slot::Item).ok_or_else(|| {
                CallError::ExecutorError(format!("the result of task {task} went missing"))
            }),
        }
    }
}

/// A worker: takes tasks (or batches) until the core says it is done.
fn worker<C: Clock, M: Machine>(shared: Arc<Shared<C, M>>) {
    let mut flag = Arc::new(StopFlag::new());
    let mut state = shared.lock();
    loop {
        let before = state.before();
        let dispatch = state.core.next_batch(shared.clock.now());
        Shared::settle(&shared, &mut state, before);
        let (first, len) = match dispatch {
            Dispatch::Exit => return,
            Dispatch::Wait => {
                let deadline = state.core.next_deadline();
                state.waiting.workers += 1;
                state = shared.clock.wait(&shared.work, state, deadline);
                state.waiting.workers -= 1;
                continue;
            }
            Dispatch::Run(task) => (task, 1),
            Dispatch::Batch { first, len } => (first, len),
        };
        let jobs: Vec<Option<Job>> = (first..first + len)
            .map(|task| state.jobs.get_mut(task).and_then(Option::take))
            .collect();
        state.flags.push((first, Arc::clone(&flag)));
        drop(state);
        let ran = run_jobs(jobs, first, &flag);
        state = shared.lock();
        let before = state.before();
        let now = shared.clock.now();
        state.flags.retain(|(task, _)| *task != first);
        let returned = ran.outputs.len();
        let after = match dispatch {
            Dispatch::Batch { .. } => state.core.batch_finished(first, returned, ran.failure, now),
            _ => {
                let result = match ran.failure {
                    Some(message) => TaskResult::Failed { message },
                    None => TaskResult::Returned,
                };
                state.core.task_finished(first, result, now)
            }
        };
        for (task, output) in (first..).zip(ran.outputs) {
            if state.core.awaits_output(task) {
                state.outputs.put(task, output);
            }
        }
        // Seeded defect (LOOM.md): the finish is taken as no change, so it wakes nobody.
        let before = if cfg!(overtime_defect = "lost_notify") {
            state.before()
        } else {
            before
        };
        Shared::settle(&shared, &mut state, before);
        if after == AfterTask::Exit {
            return;
        }
        if flag.is_requested() {
            // Asked to stop a task that then ended anyway: the next task gets a fresh flag.
            flag = Arc::new(StopFlag::new());
        }
    }
}

/// What a worker's tasks did: the outputs of those that returned, in order, then the failure
/// of the one that failed, if one did.
struct Ran {
    outputs: Vec<Output>,
    failure: Option<String>,
}

/// Runs a worker's tasks from `first`, in order, outside the lock; stops at a failure, and
/// before any task after the first once `stop` is requested (the call was aborted or dropped).
fn run_jobs(jobs: Vec<Option<Job>>, first: usize, stop: &StopFlag) -> Ran {
    let mut ran = Ran {
        outputs: Vec::with_capacity(jobs.len()),
        failure: None,
    };
    for (task, job) in (first..).zip(jobs) {
        if task > first && stop.is_requested() {
            break;
        }
        match run_job(job, task, stop) {
            Ok(output) => ran.outputs.push(output),
            Err(failure) => {
                ran.failure = Some(failure.message);
                break;
            }
        }
    }
    ran
}

/// Runs one task body. A panic in the body is the task's failure.
fn run_job(job: Option<Job>, task: usize, stop: &StopFlag) -> Result<Output, TaskFailure> {
    let failure = |message: &str| TaskFailure::new(task, message);
    let Some(job) = job else {
        return Err(failure("the executor lost this task's body"));
    };
    panic::catch_unwind(AssertUnwindSafe(|| job(stop)))
        .unwrap_or_else(|_| Err(failure("the task panicked")))
}

/// The timekeeper: fires each deadline when it comes, until no timer can be armed again.
fn timekeeper<C: Clock, M: Machine>(shared: Arc<Shared<C, M>>) {
    let mut state = shared.lock();
    loop {
        let before = state.before();
        state.core.on_time(shared.clock.now());
        Shared::settle(&shared, &mut state, before);
        if state.core.timers_finished() || state.broken.is_some() {
            return;
        }
        let deadline: Option<Tick> = state.core.next_deadline();
        state.waiting.timekeeper = Some(deadline);
        state = shared.clock.sleep_until(&shared.timer, state, deadline);
        state.waiting.timekeeper = None;
    }
}
