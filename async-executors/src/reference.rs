//! The async reference executor: the reference's sans-IO core ([`Core`]) driven from tokio
//! tasks, so it keeps every mode, clock and on-timeout behaviour with the semantics the spec is
//! checked against, on tokio's time (real or paused).
//!
//! Per call:
//!
//! - **workers** (`n_jobs` tokio tasks, plus a replacement for each task abandoned under
//!   `PerTask`, as the core asks): take a task from the core, run its body as a future, report
//!   its end. A task the core asks to stop is cancelled the async way — its future is dropped
//!   (it stamps `stopped`) — and a cooperative one also sees its stop request; a blocking body
//!   (`spin`, on `spawn_blocking`) runs on to its end.
//! - **the timekeeper** (calls with a timeout): sleeps until the core's next deadline and fires
//!   it, so aborts and stop requests happen on time whoever else is busy.
//! - **the consumer**: polls the core from the stream's `next()` (or the List future), waiting
//!   for a change or the next deadline in between. Dropping the stream drops the iteration:
//!   one short critical section, nothing awaited.
//!
//! Ties (paused time): when a deadline wakes a waiter, it yields once before it acts, so a
//! body ending at that very instant reports first, as the core's tie rule wants.
//!
//! The core sits in one `std::sync::Mutex`, held only for an input and never across an
//! `.await`. Every input that moves the core's generation or its next deadline bumps a
//! `tokio::sync::watch` counter; a waiter marks the counter seen before it looks at the core,
//! so a change made after its look always wakes it.

use futures::stream;
use futures::FutureExt;
use overtime_harness::asynchronous::{
    AsyncCall, AsyncExecutor, AsyncOutcome, AsyncStop, AsyncTask,
};
use overtime_harness::{CallError, Contract, Mode, OnTimeout, Output, Profile, Slot};
use overtime_harness::{TaskFailure, TimeoutClock};
use overtime_reference::core::{
    self, AfterTask, Core, CoreConfig, Dispatch, Poll, TaskResult, Tick,
};
use overtime_reference::machine::Machine;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::time::Instant;

/// The async reference executor, for one contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncReference {
    contract: Contract,
    window: Option<usize>,
    name: String,
}

impl AsyncReference {
    /// joblib's documented contract (each task from its own start; abort), as the threaded
    /// reference's default.
    pub const DEFAULT_CONTRACT: Contract = overtime_reference::ReferenceExecutor::DEFAULT_CONTRACT;

    /// The executor keeping `contract`'s clock and on-timeout behaviour, named
    /// `async-reference` for [`Self::DEFAULT_CONTRACT`] and `async-reference/<clock>/<on_timeout>`
    /// otherwise. It always cancels running tasks, so it declares `cancels_running: true`.
    pub fn new(contract: Contract) -> AsyncReference {
        let contract = Contract {
            cancels_running: true,
            ..contract
        };
        let name = if contract == Self::DEFAULT_CONTRACT {
            "async-reference".to_string()
        } else {
            format!("async-reference/{contract}")
        };
        AsyncReference {
            contract,
            window: None,
            name,
        }
    }

    /// Sets the lazy modes' window (default `2 × n_jobs`, as the threaded reference).
    pub fn with_window(mut self, window: usize) -> AsyncReference {
        self.window = Some(window);
        self
    }

    /// One executor per contract: every clock with both on-timeout behaviours.
    pub fn all() -> Vec<AsyncReference> {
        Contract::all(true)
            .into_iter()
            .map(AsyncReference::new)
            .collect()
    }

    /// The executor for a clock and an on-timeout behaviour.
    pub fn keeping(clock: TimeoutClock, on_timeout: OnTimeout) -> AsyncReference {
        AsyncReference::new(Contract {
            clock,
            on_timeout,
            cancels_running: true,
            ..Contract::default()
        })
    }
}

impl Default for AsyncReference {
    fn default() -> Self {
        AsyncReference::new(Self::DEFAULT_CONTRACT)
    }
}

impl AsyncExecutor for AsyncReference {
    fn profile(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            modes: Mode::ALL.to_vec(),
            contract: self.contract,
            per_mode: Default::default(),
        }
    }

    fn run(&self, call: AsyncCall) -> AsyncOutcome {
        let mut config = CoreConfig::new(call.params(), self.contract);
        if let Some(window) = self.window {
            config.window = window;
        }
        run_machine(Core::new(config), call.tasks)
    }
}

/// Runs `tasks` with `machine` (made for them, now) on the current tokio runtime: a List
/// future or a stream of slots, as the machine's mode says. Must be called inside a runtime.
pub fn run_machine<M: Machine>(machine: M, tasks: Vec<AsyncTask>) -> AsyncOutcome {
    let mode = machine.config().call.mode;
    let call = AsyncCoreCall::start(machine, tasks);
    match mode {
        Mode::List => AsyncOutcome::list(async move {
            match call.next_delivery().await {
                Delivery::List(slots) => Ok(slots),
                Delivery::Failed(error) => Err(error),
                Delivery::Slot(_) | Delivery::End => Err(CallError::ExecutorError(
                    "a lazy-mode call was awaited as a list".into(),
                )),
            }
        }),
        Mode::Ordered | Mode::Unordered => {
            AsyncOutcome::stream(stream::unfold(Some(call), |call| async move {
                let call = call?;
                match call.next_delivery().await {
                    Delivery::Slot(slot) => Some((Ok(slot), Some(call))),
                    Delivery::End => None,
                    Delivery::Failed(error) => Some((Err(error), None)),
                    Delivery::List(_) => Some((
                        Err(CallError::ExecutorError(
                            "a List-mode call was pulled as a stream".into(),
                        )),
                        None,
                    )),
                }
            }))
        }
    }
}

/// One call on the core: the consumer's handle. Dropping it drops the iteration.
struct AsyncCoreCall<M: Machine> {
    shared: Arc<Shared<M>>,
}

struct Shared<M> {
    state: Mutex<State<M>>,
    /// Bumped whenever the core's generation or its next deadline moved.
    changed: watch::Sender<u64>,
    /// Tick 0: the instant the call was made, on tokio's clock.
    origin: Instant,
    runtime: Handle,
}

struct State<M> {
    core: M,
    tasks: Vec<Option<AsyncTask>>,
    /// Outputs the core kept for delivery, until delivered.
    outputs: HashMap<usize, Output>,
    /// The stop request of each running task.
    stops: HashMap<usize, AsyncStop>,
}

/// A core answer in the harness's terms.
enum Delivery {
    Slot(Slot),
    List(Vec<Slot>),
    Failed(CallError),
    End,
}

impl<M: Machine> AsyncCoreCall<M> {
    fn start(machine: M, tasks: Vec<AsyncTask>) -> AsyncCoreCall<M> {
        let has_timeout = !machine.timers_finished();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                core: machine,
                tasks: tasks.into_iter().map(Some).collect(),
                outputs: HashMap::new(),
                stops: HashMap::new(),
            }),
            changed: watch::Sender::new(0),
            origin: Instant::now(),
            runtime: Handle::current(),
        });
        {
            let mut state = shared.lock();
            let before = Before::of(&state.core);
            shared.settle(&mut state, before);
        }
        if has_timeout {
            shared.runtime.spawn(timekeeper(Arc::clone(&shared)));
        }
        AsyncCoreCall { shared }
    }

    /// Polls the core until it answers, waiting for a change or its next deadline between.
    async fn next_delivery(&self) -> Delivery {
        let shared = &self.shared;
        let mut changed = shared.changed.subscribe();
        loop {
            changed.borrow_and_update();
            let deadline = {
                let mut state = shared.lock();
                let before = Before::of(&state.core);
                let poll = state.core.poll(shared.now());
                shared.settle(&mut state, before);
                match poll {
                    Poll::Ready(answer) => return state.delivery(answer),
                    Poll::Pending => state.core.next_deadline(),
                }
            };
            shared.wait(&mut changed, deadline).await;
        }
    }
}

impl<M: Machine> Drop for AsyncCoreCall<M> {
    /// The consumer dropped the iteration (or the List future): tell the core, ask running
    /// tasks to stop, and return.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let before = Before::of(&state.core);
        let now = self.shared.now();
        state.core.drop_iteration(now);
        self.shared.settle(&mut state, before);
    }
}

/// What a change is measured against: the core's generation and next deadline before an input.
#[derive(Clone, Copy)]
struct Before {
    generation: u64,
    deadline: Option<Tick>,
}

impl Before {
    fn of<M: Machine>(core: &M) -> Before {
        Before {
            generation: core.generation(),
            deadline: core.next_deadline(),
        }
    }
}

impl<M: Machine> Shared<M> {
    fn lock(&self) -> MutexGuard<'_, State<M>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Tick {
        Tick::from_duration(self.origin.elapsed())
    }

    /// Acts on the core's outputs after an input: stop requests, new workers, and a bump of the
    /// change counter if the core moved. Called under the lock.
    fn settle(self: &Arc<Self>, state: &mut State<M>, before: Before) {
        for task in state.core.take_stop_requests() {
            if let Some(stop) = state.stops.get(&task) {
                stop.request();
            }
        }
        for _ in 0..state.core.take_spawn_requests() {
            self.runtime.spawn(worker(Arc::clone(self)));
        }
        let core = &state.core;
        if core.generation() != before.generation || core.next_deadline() != before.deadline {
            self.changed.send_modify(|g| *g = g.wrapping_add(1));
        }
    }

    /// Waits until the counter moves past what `changed` has seen, or `deadline` comes.
    async fn wait(&self, changed: &mut watch::Receiver<u64>, deadline: Option<Tick>) {
        match deadline {
            Some(deadline) => {
                let at = self.origin + deadline.as_duration();
                tokio::select! {
                    _ = changed.changed() => {}
                    _ = tokio::time::sleep_until(at) => {
                        // Let whatever else woke at this instant run first: a task body that
                        // ends at the very instant of its deadline reports before the deadline
                        // fires (the core's tie rule: a result at D is in time). Only virtual
                        // time has exact ties; in real time this costs one reschedule.
                        tokio::task::yield_now().await;
                    }
                }
            }
            None => {
                let _ = changed.changed().await;
            }
        }
    }
}

impl<M: Machine> State<M> {
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
            core::Slot::Item(task) => self.outputs.remove(&task).map(Slot::Item).ok_or_else(|| {
                CallError::ExecutorError(format!("the result of task {task} went missing"))
            }),
        }
    }
}

/// A worker: takes tasks until the core says it is done.
async fn worker<M: Machine>(shared: Arc<Shared<M>>) {
    let mut changed = shared.changed.subscribe();
    loop {
        changed.borrow_and_update();
        let (run, deadline) = {
            let mut state = shared.lock();
            let before = Before::of(&state.core);
            let dispatch = state.core.next_task(shared.now());
            shared.settle(&mut state, before);
            match dispatch {
                Dispatch::Exit => return,
                Dispatch::Wait => (None, state.core.next_deadline()),
                Dispatch::Run(task) | Dispatch::Batch { first: task, .. } => {
                    let stop = AsyncStop::new();
                    state.stops.insert(task, stop.clone());
                    let body = state.tasks.get_mut(task).and_then(Option::take);
                    (Some((task, body, stop)), None)
                }
            }
        };
        let Some((task, body, stop)) = run else {
            shared.wait(&mut changed, deadline).await;
            continue;
        };
        let result = match body {
            Some(body) => run_body(body, &stop).await,
            None => Err(TaskFailure::new(task, "the executor lost this task's body")),
        };
        let mut state = shared.lock();
        let before = Before::of(&state.core);
        state.stops.remove(&task);
        let (output, result) = match result {
            Ok(output) => (Some(output), TaskResult::Returned),
            Err(failure) => (
                None,
                TaskResult::Failed {
                    message: failure.message,
                },
            ),
        };
        let now = shared.now();
        let after = state.core.task_finished(task, result, now);
        if let Some(output) = output.filter(|_| state.core.awaits_output(task)) {
            state.outputs.insert(task, output);
        }
        shared.settle(&mut state, before);
        if after == AfterTask::Exit {
            return;
        }
    }
}

/// Runs a body until it ends or is asked to stop; a stop request drops it (a cooperative body
/// sees the request first and ends `stopped` by itself). A body that panics — or kills its
/// worker, which unwinds the same way — fails its task: the worker lives on.
async fn run_body(body: AsyncTask, stop: &AsyncStop) -> Result<Output, TaskFailure> {
    let task = body.index();
    let run = AssertUnwindSafe(body.run_until_stopped(stop.clone())).catch_unwind();
    tokio::select! {
        biased;
        result = run => result.unwrap_or_else(|_| Err(TaskFailure::new(task, "the task panicked"))),
        () = stop.requested() => Err(TaskFailure::new(task, "cancelled on request")),
    }
}

/// The timekeeper: fires each deadline when it comes, until no timer can be armed again.
async fn timekeeper<M: Machine>(shared: Arc<Shared<M>>) {
    let mut changed = shared.changed.subscribe();
    loop {
        changed.borrow_and_update();
        let deadline = {
            let mut state = shared.lock();
            let before = Before::of(&state.core);
            state.core.on_time(shared.now());
            shared.settle(&mut state, before);
            if state.core.timers_finished() {
                return;
            }
            state.core.next_deadline()
        };
        shared.wait(&mut changed, deadline).await;
    }
}
