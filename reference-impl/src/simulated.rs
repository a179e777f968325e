//! The simulated driver: runs a call's state machine in discrete-event virtual time, with no
//! threads, no clock and no sleeping, and records the same [`Trace`] the real-time runner
//! records — with exact stamps, so the harness's checker judges it at ε = 0.
//!
//! ```
//! use overtime_harness::catalogue::catalogue;
//! use overtime_harness::Mode;
//! use overtime_reference::simulated;
//! use overtime_reference::ReferenceExecutor;
//!
//! let case = catalogue().into_iter().find(|c| c.name == "joblib-1586").expect("built in");
//! let run = simulated::run_case(&ReferenceExecutor::default(), &case, Mode::Unordered);
//! assert!(run.verdicts.iter().all(|(_, v)| !v.is_fail()));
//! // Two workers, three hung tasks, T = 100 ms: the timeout is seen at exactly 100 ms.
//! assert_eq!(run.timeout_seen_at(), Some(overtime_harness::Stamp(100_000_000)));
//! ```
//!
//! What is simulated, and how (spec §1 for the events; the core's module doc for the tie rules):
//!
//! - **Tasks** run for their spec's duration from the instant a worker is dispatched to them:
//!   `sleep`, `spin`, `fail` and `cooperative_sleep` end after `ms`, `kill_worker` dies then
//!   (reported to the machine as the task's failure, as the threaded driver catches it); `hang` never ends (the
//!   harness releases it at teardown, after the trace is sealed); a cooperative task ends
//!   `stopped` at the very instant the machine asks it to stop.
//! - **Workers** are the machine's: its spawn requests start them (the initial pool, then a
//!   replacement for each task abandoned under `PerTask`); a worker asks for work when it starts
//!   and after each task, and waits while the machine says so.
//! - **The consumer** behaves as the harness's [`overtime_harness::consume`]: the same
//!   pauses (`start_after_ms` before the first pull, `pause_ms` before each later one), the
//!   same `drop_after`, the same events, List mode blocking in the call.
//! - **Time** jumps from one instant to the next: the earliest task end, the end of a consumer
//!   pause, the machine's next deadline. At one instant, every task that ends then is reported
//!   first (in task order), before any other input — the core's rule that a result arriving at
//!   its deadline counts — and then workers, deadlines and the consumer act until nothing
//!   changes.
//! - **Recording** stops max(0.4T, 20 ms) after the consumer is done (the runner's rule,
//!   [`Case::settle_time`], with ε = 0). A consumer still waiting when nothing can happen any
//!   more is hung: the trace ends with `watchdog_fired` at the runner's watchdog bound
//!   ([`Case::watchdog_bound`]), as in real time.
//! - **The run** is the same [`CaseRun`] a real-time run gives, judged at ε = 0, so one fold
//!   makes a conformance matrix of either.
//!
//! The driver runs any [`Machine`] — the interface the threaded driver runs too; a
//! [`SimExecutor`] makes one per call. The reference executor is one ([`ReferenceExecutor`]
//! implements [`SimExecutor`] with the [`Core`]); an executor that differs from the core in
//! one deliberate way (a mutant wrapping the core) is simulated by implementing
//! [`SimExecutor`] for it: its profile, and its machine for a call.
//!
//! Cost: O(events × log n_tasks) per call; generating the call and judging its trace cost more
//! (`examples/simulated_throughput.rs` measures the whole, `reports/perf.md` records it).

use crate::core::{self, AfterTask, Core, CoreConfig, Dispatch, Poll, TaskResult, Tick};
use crate::machine::Machine;
use crate::ReferenceExecutor;
use overtime_harness::{
    Answer, CallParams, Case, CaseRun, Consumer, Contract, Event, Mode, Profile, RunConfig, Stamp,
    Stamped, TaskEnd, TaskSpec, Trace,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

/// An executor the simulated driver can run: what it declares, and a fresh machine per call.
pub trait SimExecutor {
    type Machine: Machine;

    /// What the executor promises; traces are judged against its contract. (Not `profile`, so
    /// that a type that is also an [`overtime_harness::Executor`] has no two methods of one
    /// name.)
    fn simulated_profile(&self) -> Profile;

    /// The machine for one call made at tick 0.
    fn start(&self, call: &CallParams) -> Self::Machine;
}

/// The reference executor in simulated time: its [`Core`] with its contract and window.
impl SimExecutor for ReferenceExecutor {
    type Machine = Core;

    fn simulated_profile(&self) -> Profile {
        overtime_harness::Executor::profile(self)
    }

    fn start(&self, call: &CallParams) -> Core {
        let mut config = CoreConfig::new(*call, self.contract());
        if let Some(window) = self.window {
            config.window = window;
        }
        Core::new(config)
    }
}

/// Simulates `case` in `mode` and judges every property on the trace at ε = 0.
pub fn run_case<E: SimExecutor + ?Sized>(executor: &E, case: &Case, mode: Mode) -> CaseRun {
    CaseRun::judged(case, mode, simulate(executor, case, mode), Duration::ZERO)
}

/// Simulates `case` in `mode` (and its follow-up call, if it asks for one) and returns the
/// trace, stamped in virtual nanoseconds from the call.
pub fn simulate<E: SimExecutor + ?Sized>(executor: &E, case: &Case, mode: Mode) -> Trace {
    let contract = executor.simulated_profile().contract_for(mode);
    let mut trace = simulate_call(executor, case, mode, contract);
    if let Some(follow) = case.follow_up_case() {
        trace.follow_up = Some(Box::new(simulate_call(executor, &follow, mode, contract)));
    }
    trace
}

fn simulate_call<E: SimExecutor + ?Sized>(
    executor: &E,
    case: &Case,
    mode: Mode,
    contract: Contract,
) -> Trace {
    let config = RunConfig::simulated();
    let watchdog = Tick::from_duration(case.watchdog_bound(config.epsilon, config.grace));
    let mut sim = Sim::new(executor.start(&case.params(mode)), case, mode, watchdog);
    sim.run();
    case.trace(mode, contract, sim.events)
}

/// Where a task is, as the simulation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    NotStarted,
    Running,
    Ended,
}

/// What the consumer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Consuming {
    /// Pausing before its next pull, until the instant given.
    Pausing(Tick),
    /// Waiting for an answer: a pull (lazy modes) or the call itself (List).
    Waiting,
    /// Done (dropped, or List answered) at the instant given.
    Done(Tick),
}

/// An upper bound on the rounds at one instant: far above what any call needs (every round
/// that does not end the instant makes progress: a start, an end, a delivery), it only stops a
/// machine that keeps answering without ever settling.
const MAX_ROUNDS_PER_INSTANT: usize = 10_000;

struct Sim<'a, M> {
    machine: M,
    specs: &'a [TaskSpec],
    behaviour: &'a Consumer,
    mode: Mode,
    watchdog: Tick,
    now: Tick,
    events: Vec<Stamped>,
    tasks: Vec<Run>,
    /// Outputs of tasks that returned, until delivered (as the threaded driver keeps them).
    outputs: Vec<bool>,
    /// Finite end instants of running tasks: (end, task).
    ends: BinaryHeap<Reverse<(Tick, usize)>>,
    /// Workers alive and not running a task.
    idle_workers: usize,
    consumer: Consuming,
    delivered: usize,
    /// How long recording goes on after the consumer is done: the runner's rule at ε = 0.
    settle: Duration,
}

impl<'a, M: Machine> Sim<'a, M> {
    fn new(machine: M, case: &'a Case, mode: Mode, watchdog: Tick) -> Sim<'a, M> {
        let n = case.tasks.len();
        Sim {
            machine,
            specs: &case.tasks,
            behaviour: &case.consumer,
            mode,
            watchdog,
            settle: case.settle_time(Duration::ZERO),
            now: Tick::ZERO,
            events: Vec::with_capacity(8 * n + 16),
            tasks: vec![Run::NotStarted; n],
            outputs: vec![false; n],
            ends: BinaryHeap::with_capacity(n),
            idle_workers: 0,
            consumer: Consuming::Waiting,
            delivered: 0,
        }
    }

    fn record(&mut self, event: Event) {
        self.events.push(Stamped::new(Stamp(self.now.0), event));
    }

    /// The whole call: the consumer makes it at tick 0, then time runs until recording stops.
    fn run(&mut self) {
        self.record(Event::CallMade);
        if self.mode != Mode::List {
            // A lazy call returns at once; the consumer then decides on its first pull.
            self.record(Event::CallReturned);
            self.consumer_next();
        }
        loop {
            if !self.settle_instant() {
                self.record(Event::WatchdogFired);
                return;
            }
            let stop_at = match self.consumer {
                Consuming::Done(at) => Some(at.plus(self.settle)),
                _ => None,
            };
            let next = self.next_instant();
            match (next, stop_at) {
                (Some(next), Some(stop)) if next <= stop => self.now = next,
                (_, Some(_)) => return,
                (Some(next), None) if next < self.watchdog => self.now = next,
                (_, None) => {
                    // Nothing can happen before the watchdog's bound and the consumer still
                    // waits: the case is hung, as the runner would report it.
                    self.now = self.now.max(self.watchdog);
                    self.record(Event::WatchdogFired);
                    return;
                }
            }
        }
    }

    /// The next instant something is scheduled to happen, strictly after now.
    fn next_instant(&self) -> Option<Tick> {
        let task_end = self.ends.peek().map(|Reverse((at, _))| *at);
        let pause_end = match self.consumer {
            Consuming::Pausing(until) => Some(until),
            _ => None,
        };
        let deadline = self.machine.next_deadline().filter(|d| *d > self.now);
        [task_end, pause_end, deadline]
            .into_iter()
            .flatten()
            .filter(|at| *at > self.now)
            .min()
    }

    /// Acts on everything due at `now` until nothing changes. False if the machine never
    /// settled (see [`MAX_ROUNDS_PER_INSTANT`]).
    fn settle_instant(&mut self) -> bool {
        // Tasks ending now are reported before any other input at this instant.
        self.finish_due_tasks();
        if let Consuming::Pausing(until) = self.consumer {
            if until <= self.now {
                self.ask();
            }
        }
        for _ in 0..MAX_ROUNDS_PER_INSTANT {
            // Any input may fire a timer, so the machine's requests are acted on after each:
            // a stop request reaches its cooperative task at the instant it is made.
            let mut progress = self.finish_due_tasks();
            progress |= self.act_on_requests();
            progress |= self.dispatch_workers();
            progress |= self.act_on_requests();
            if self.machine.next_deadline().is_some_and(|d| d <= self.now) {
                self.machine.on_time(self.now);
                progress |= self.act_on_requests();
            }
            progress |= self.poll_consumer();
            progress |= self.act_on_requests();
            // A wait the consumer began this round may already be due (a timeout of 0): fire
            // it at this instant, as the threaded driver would, before time moves on.
            let due_now = self.machine.next_deadline().is_some_and(|d| d <= self.now);
            if !progress && !due_now {
                return true;
            }
        }
        false
    }

    /// Reports every task whose end is due by now, in task order at one instant.
    fn finish_due_tasks(&mut self) -> bool {
        let mut progress = false;
        while let Some(&Reverse((at, task))) = self.ends.peek() {
            if at > self.now {
                break;
            }
            self.ends.pop();
            if self.tasks[task] != Run::Running {
                continue;
            }
            let end = match self.specs[task] {
                TaskSpec::KillWorker { .. } => TaskEnd::Died,
                ref spec if spec.fails() => TaskEnd::Failed,
                _ => TaskEnd::Returned,
            };
            self.end_task(task, end);
            progress = true;
        }
        progress
    }

    /// Stop requests end running cooperative tasks now; spawn requests start idle workers.
    fn act_on_requests(&mut self) -> bool {
        let mut progress = false;
        for task in self.machine.take_stop_requests() {
            let cooperative = self.specs.get(task).is_some_and(TaskSpec::is_cooperative);
            if cooperative && self.tasks[task] == Run::Running {
                self.end_task(task, TaskEnd::Stopped);
                progress = true;
            }
        }
        let spawned = self.machine.take_spawn_requests();
        if spawned > 0 {
            self.idle_workers += spawned;
            progress = true;
        }
        progress
    }

    /// Task `task`'s body ended now: stamp it and report it to the machine; its worker then
    /// asks for more work or exits.
    fn end_task(&mut self, task: usize, end: TaskEnd) {
        self.tasks[task] = Run::Ended;
        self.record(Event::TaskEnded { task, end });
        let result = match end {
            TaskEnd::Returned => {
                self.outputs[task] = true;
                TaskResult::Returned
            }
            TaskEnd::Failed => TaskResult::Failed {
                message: "failed as its spec says".into(),
            },
            TaskEnd::Stopped | TaskEnd::Released | TaskEnd::Killed => TaskResult::Failed {
                message: overtime_harness::TaskFailure::STOPPED.into(),
            },
            // The threaded driver catches the worker's unwinding as the task's failure.
            TaskEnd::Died => TaskResult::Failed {
                message: "the task panicked".into(),
            },
        };
        if self.machine.task_finished(task, result, self.now) == AfterTask::NextTask {
            self.idle_workers += 1;
        }
    }

    /// Every idle worker asks for work; stops at the first `Wait` (the others would hear the
    /// same until something changes).
    fn dispatch_workers(&mut self) -> bool {
        let mut progress = false;
        // A bound for machines that keep handing out work no worker can run.
        let mut budget = self.idle_workers + self.tasks.len() + 1;
        while self.idle_workers > 0 && budget > 0 {
            budget -= 1;
            match self.machine.next_task(self.now) {
                Dispatch::Run(task) => {
                    self.idle_workers -= 1;
                    progress = true;
                    self.start_task(task);
                }
                Dispatch::Exit => {
                    self.idle_workers -= 1;
                    progress = true;
                }
                Dispatch::Wait => break,
                Dispatch::Batch { .. } => unreachable!("next_task hands out one task at a time"),
            }
        }
        progress
    }

    fn start_task(&mut self, task: usize) {
        let ends_at = match self.specs.get(task) {
            Some(spec) if self.tasks[task] == Run::NotStarted => match *spec {
                TaskSpec::Sleep { ms }
                | TaskSpec::Spin { ms }
                | TaskSpec::Fail { ms }
                | TaskSpec::RaiseTimeout { ms }
                | TaskSpec::CooperativeSleep { ms }
                | TaskSpec::KillWorker { ms } => Some(self.now.plus(ms)),
                TaskSpec::Hang | TaskSpec::CooperativeHang => None,
            },
            _ => {
                // A task the call does not have, or one dispatched twice: the threaded driver
                // has no body to run and reports the failure without running anything.
                let message = "the executor lost this task's body".to_string();
                let after =
                    self.machine
                        .task_finished(task, TaskResult::Failed { message }, self.now);
                if after == AfterTask::NextTask {
                    self.idle_workers += 1;
                }
                return;
            }
        };
        self.tasks[task] = Run::Running;
        self.record(Event::TaskStarted { task });
        if let Some(at) = ends_at {
            self.ends.push(Reverse((at, task)));
        }
    }

    /// The consumer decides what to do after a delivered item (or at the start of a lazy
    /// call): drop, pause, or pull. Mirrors the runner's `consume`.
    fn consumer_next(&mut self) {
        let behaviour = self.behaviour;
        if behaviour.drops_after(self.delivered) {
            self.drop_iteration();
            return;
        }
        let pause = behaviour.pause_before(self.delivered);
        if pause.is_zero() {
            self.ask();
        } else {
            self.consumer = Consuming::Pausing(self.now.plus(pause));
        }
    }

    fn ask(&mut self) {
        self.record(Event::NextAsked);
        self.consumer = Consuming::Waiting;
    }

    fn drop_iteration(&mut self) {
        self.record(Event::DropBegun);
        self.machine.drop_iteration(self.now);
        self.record(Event::DropReturned);
        self.consumer = Consuming::Done(self.now);
        self.act_on_requests();
    }

    /// Polls for the waiting consumer; true if it received an answer.
    fn poll_consumer(&mut self) -> bool {
        if self.consumer != Consuming::Waiting {
            return false;
        }
        let Poll::Ready(answer) = self.machine.poll(self.now) else {
            return false;
        };
        if self.mode == Mode::List {
            self.list_answered(answer);
        } else {
            self.stream_answered(answer);
        }
        true
    }

    fn list_answered(&mut self, answer: core::Answer) {
        self.record(Event::CallReturned);
        let answers = match answer {
            core::Answer::List(slots) => {
                let mut answers: Vec<Answer> = Vec::with_capacity(slots.len() + 1);
                for slot in slots {
                    match self.answer_of_slot(slot) {
                        Ok(a) => answers.push(a),
                        Err(error) => {
                            answers = vec![error];
                            break;
                        }
                    }
                }
                if !matches!(answers.last(), Some(Answer::ExecutorError { .. })) {
                    answers.push(Answer::End);
                }
                answers
            }
            core::Answer::Failed(failure) => vec![answer_of_failure(failure)],
            core::Answer::Slot(_) | core::Answer::End => vec![Answer::ExecutorError {
                message: "a lazy-mode call was awaited as a list".into(),
            }],
        };
        for a in answers {
            self.record(Event::Answered(a));
        }
        self.consumer = Consuming::Done(self.now);
    }

    fn stream_answered(&mut self, answer: core::Answer) {
        let answer = match answer {
            core::Answer::Slot(slot) => match self.answer_of_slot(slot) {
                Ok(item) => {
                    self.record(Event::Answered(item));
                    self.delivered += 1;
                    self.consumer_next();
                    return;
                }
                Err(error) => error,
            },
            core::Answer::Failed(failure) => answer_of_failure(failure),
            core::Answer::End => Answer::End,
            core::Answer::List(_) => Answer::ExecutorError {
                message: "a List-mode call was pulled as a stream".into(),
            },
        };
        self.record(Event::Answered(answer));
        self.drop_iteration();
    }

    /// A slot in the harness's terms; an item whose output is not there (never returned, or
    /// already delivered) is the executor error the threaded driver reports.
    fn answer_of_slot(&mut self, slot: core::Slot) -> Result<Answer, Answer> {
        match slot {
            core::Slot::TimedOut(task) => Ok(Answer::TimedOut { task }),
            core::Slot::Item(task) => match self.outputs.get_mut(task) {
                Some(output) if *output => {
                    *output = false;
                    Ok(Answer::Item { task })
                }
                _ => Err(Answer::ExecutorError {
                    message: format!("the result of task {task} went missing"),
                }),
            },
        }
    }
}

fn answer_of_failure(failure: core::Failure) -> Answer {
    match failure {
        core::Failure::Timeout { .. } => Answer::Timeout,
        core::Failure::TaskFailed { task, .. } => Answer::TaskFailed { task },
    }
}

#[cfg(test)]
mod tests;
