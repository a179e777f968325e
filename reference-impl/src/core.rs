//! The reference executor's logic as a deterministic state machine, with no threads, no clock
//! and no locks of its own (sans-IO, in the style of quinn-proto).
//!
//! Time is an input: every method that can change the state takes `now`, a [`Tick`] counted
//! from the instant the call was made, and fires every timer due by then before acting.
//! Timers are outputs: [`Core::next_deadline`] says when the core next needs to be woken if
//! nothing else happens. Work to do outside is an output too: which running tasks to ask to
//! stop ([`Core::take_stop_requests`]) and how many workers to start
//! ([`Core::take_spawn_requests`]).
//!
//! ```text
//! worker:   next_task(now) ─▶ Run(i) ─▶ (runs task i) ─▶ task_finished(i, result, now)
//! consumer: poll(now) ─▶ Ready(answer) | Pending (wait until next_deadline() or a change)
//! driver:   on_time(now) at next_deadline(); act on take_stop_requests / take_spawn_requests
//! ```
//!
//! The same core runs threaded (`crate::threaded`), in simulated time and under loom; the
//! semantics below are the ones the harness's checker judges.
//!
//! # Semantics
//!
//! - **Dispatch**: tasks are handed out in input order, never more than `n_jobs` running at
//!   once (a batch, see Costs, is one worker running its tasks one after another). The lazy modes
//!   keep at most `window` tasks dispatched but not yet delivered (joblib's `pre_dispatch`;
//!   a task marked timed out counts until its marker is delivered). List has no window.
//! - **Clocks** (`T` = the timeout; without one there are no timers at all):
//!   `TaskRuntime` — task `i` started at `s_i` is due at `s_i + T`;
//!   `Overall` — every unfinished task is due at tick `T`, or (deadline anchor `FirstPull`, lazy
//!   modes) at the consumer's first poll + `T`;
//!   `ResultWait` — each wait of the consumer for its next result is due at its start + `T`.
//!   A lazy consumer's wait starts at its first `Pending` poll for an item and lasts until
//!   something is delivered; in List mode the core is an eager consumer in input order whose
//!   wait for slot 0 starts at tick 0 and for slot `k + 1` at `max(wait_k, available_k)`.
//! - **Abort**: the first due time, or a task failure (always, under either on-timeout
//!   behaviour), aborts the call: no task starts afterwards, running tasks are asked to stop,
//!   results finishing afterwards are discarded. Ordered still delivers the slots finished
//!   before the abort up to the first one that was not; Unordered delivers every result
//!   finished before it; then the error.
//! - **Error order**: under `FailFast` a failure aborts at once. Under `InputOrder` (List and
//!   Ordered; Unordered is fail-fast, a task's turn being its completion) a failed task's slot
//!   holds its failure until the consumer reaches it — the List's eager consumer once every
//!   slot before it resolved, an Ordered pull for that slot — and the call aborts then; until
//!   that turn, tasks keep being dispatched and timers keep running, so a timeout due first
//!   aborts first. (`AtEnd` is not kept: [`CoreConfig::new`]'s caller declares `InputOrder`
//!   instead, see `ReferenceExecutor::new`.)
//! - **PerTask**: a due task's slot yields a timed-out marker; if it was running it is asked
//!   to stop and abandoned (it no longer counts towards `n_jobs`, so a replacement worker is
//!   requested while tasks remain to start; its late result is discarded). `Overall` marks
//!   every unfinished task at `T`; `ResultWait` marks the awaited slot (Ordered, List) or, in
//!   Unordered, the running task that started first (ties: lowest index), else the lowest
//!   task not yet started.
//!
//! # Tie rules
//!
//! - A deadline at exactly `now` has passed: every input except [`Core::task_finished`] fires
//!   timers with `due <= now`.
//! - A finish reported at tick `t` is processed before the timers due at `t`:
//!   [`Core::task_finished`] fires only timers with `due < now`, so a result that arrives at
//!   the instant of its deadline is delivered. A finish processed after an abort is discarded,
//!   even at the same tick (a failure and a result at one tick: whichever is reported first).
//! - Several timers due by `now` fire in due order; equal due times in task index order.
//!
//! # Costs
//!
//! - **Memory.** List mode keeps a state per task (its answer holds every slot anyway). The
//!   lazy modes keep a state only for the *live* tasks — dispatched or marked, and not yet
//!   delivered — so their memory is bounded by the window plus the abandoned tasks, whatever
//!   the number of tasks: a task not yet reached is implied by the dispatch frontier, a
//!   delivered one by its absence, and `Overall`'s mass marking of the tasks never started is
//!   one instant, not one marker each.
//! - **Batches.** A List-mode call with no timeout has no timers, so when each task starts is
//!   not part of its semantics: [`Core::next_batch`] hands a worker a run of consecutive tasks
//!   (guided self-scheduling: a share of what is left, shrinking towards the end) to run one
//!   after another and report at once ([`Core::batch_finished`]): one input per run instead of
//!   two per task. Every other call dispatches one task at a time.

use overtime_harness::{
    CallParams, Contract, DeadlineAnchor, ErrorOrder, Mode, OnTimeout, TimeoutClock,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Duration;

/// An instant of a call: nanoseconds since the call was made (tick 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tick(pub u64);

impl Tick {
    /// The instant the call was made.
    pub const ZERO: Tick = Tick(0);

    /// The tick `d` after the call; saturates at `u64::MAX` nanoseconds (about 584 years).
    pub fn from_duration(d: Duration) -> Tick {
        Tick(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    /// The time since the call was made.
    pub fn as_duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Tick {
        Tick(self.0.saturating_add(Tick::from_duration(d).0))
    }
}

impl fmt::Display for Tick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_duration())
    }
}

/// One call as the core sees it: its parameters (`call.n_jobs` of 0 is treated as 1), the
/// contract it keeps, and the lazy modes' window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreConfig {
    pub call: CallParams,
    pub contract: Contract,
    /// Lazy modes: at most this many tasks dispatched but not yet delivered; 0 is treated as 1.
    /// Ignored in List mode.
    pub window: usize,
}

impl CoreConfig {
    /// A configuration with the default window, [`CoreConfig::default_window`].
    pub fn new(call: CallParams, contract: Contract) -> CoreConfig {
        CoreConfig {
            call,
            contract,
            window: CoreConfig::default_window(call.n_jobs),
        }
    }

    /// `2 × n_jobs`, joblib's default `pre_dispatch`.
    pub fn default_window(n_jobs: usize) -> usize {
        n_jobs.max(1).saturating_mul(2)
    }
}

/// What a worker asking for work should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// Run task `index`; the core has recorded that it started at `now`.
    Run(usize),
    /// Run the `len` tasks from `first` one after another, unless asked to stop; report them
    /// with [`Core::batch_finished`]. Only [`Core::next_batch`] hands out batches.
    Batch { first: usize, len: usize },
    /// Nothing to run now (window full or all jobs busy); ask again after the state changes or
    /// at [`Core::next_deadline`].
    Wait,
    /// No more work for this worker, ever: all tasks are dispatched, or the call was aborted or
    /// dropped.
    Exit,
}

/// How a task's body ended, as far as the core cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskResult {
    Returned,
    /// The task failed (or was stopped); the message is carried to the call's error.
    Failed {
        message: String,
    },
}

/// What the worker that reported a finish should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTask {
    /// Ask for more work with [`Core::next_task`].
    NextTask,
    /// Exit: the task had been abandoned (a replacement worker took its place), or the call
    /// is over.
    Exit,
}

/// One delivered slot: a task's result or its timed-out marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Item(usize),
    TimedOut(usize),
}

impl Slot {
    pub fn task(self) -> usize {
        match self {
            Slot::Item(task) | Slot::TimedOut(task) => task,
        }
    }
}

/// Why a call was aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A timer fired under `OnTimeout::Abort`; `task` is the task it fired for, when there is
    /// one (`Overall`: the lowest unfinished task).
    Timeout { task: Option<usize> },
    /// Task `task` failed.
    TaskFailed { task: usize, message: String },
}

/// What the consumer receives from [`Core::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Lazy modes: the next slot.
    Slot(Slot),
    /// List mode: every slot, in input order.
    List(Vec<Slot>),
    /// The call was aborted. Terminal.
    Failed(Failure),
    /// The stream ended (every task delivered or marked), or a terminal answer was already
    /// given, or the iteration was dropped.
    End,
}

/// The answer to a poll: ready, or nothing deliverable yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    Ready(Answer),
    /// Nothing to deliver; poll again after the state changes or at [`Core::next_deadline`].
    Pending,
}

/// Where a task is in its execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exec {
    NotStarted,
    Running,
    Ended,
}

/// What a task's slot holds for the consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Nothing yet: the task has not finished and was not marked.
    Open,
    /// A result or a marker, not yet delivered.
    Ready(SlotKind),
    Delivered,
    /// Nothing, ever: the task failed, or finished after the abort or the drop.
    Void,
    /// `InputOrder`: the task failed; its slot holds the failure until the consumer reaches it.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    Item,
    TimedOut,
}

impl SlotKind {
    fn of(slot: Slot) -> SlotKind {
        match slot {
            Slot::Item(_) => SlotKind::Item,
            Slot::TimedOut(_) => SlotKind::TimedOut,
        }
    }

    fn slot(self, task: usize) -> Slot {
        match self {
            SlotKind::Item => Slot::Item(task),
            SlotKind::TimedOut => Slot::TimedOut(task),
        }
    }
}

/// A task's state, in 16 bytes: List mode keeps one per task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TaskState {
    exec: Exec,
    held: Held,
    /// The one instant the state needs: while the task runs with its slot open, when it
    /// started (its `TaskRuntime` timer, its place among the running); while its slot is
    /// ready, since when (List mode's `ResultWait` waits). Otherwise zero.
    tick: Tick,
}

// List mode's memory per task depends on it.
const _: () = assert!(std::mem::size_of::<TaskState>() == 16);

impl TaskState {
    /// A task not reached yet.
    const UNSTARTED: TaskState = TaskState {
        exec: Exec::NotStarted,
        held: Held::Open,
        tick: Tick::ZERO,
    };
    /// A task the consumer is done with: delivered, or void.
    const SETTLED: TaskState = TaskState {
        exec: Exec::Ended,
        held: Held::Delivered,
        tick: Tick::ZERO,
    };

    fn running(started: Tick) -> TaskState {
        TaskState {
            exec: Exec::Running,
            held: Held::Open,
            tick: started,
        }
    }

    fn ended(held: Held, tick: Tick) -> TaskState {
        TaskState {
            exec: Exec::Ended,
            held,
            tick,
        }
    }

    fn settled(self) -> bool {
        matches!(self.held, Held::Delivered | Held::Void)
    }

    /// The slot ready for task `task`, and since when.
    fn ready(self, task: usize) -> Option<(Slot, Tick)> {
        match self.held {
            Held::Ready(kind) => Some((kind.slot(task), self.tick)),
            _ => None,
        }
    }
}

/// The states of the tasks below the dispatch frontier (see the module's costs).
#[derive(Debug, Clone)]
enum Table {
    /// Every task's state, by index: List mode.
    Dense(Vec<TaskState>),
    /// Only the live tasks; a task below the frontier that is not here is settled.
    Live(BTreeMap<usize, TaskState>),
}

impl Table {
    fn get(&self, i: usize) -> TaskState {
        match self {
            Table::Dense(tasks) => tasks.get(i).copied().unwrap_or(TaskState::SETTLED),
            Table::Live(live) => live.get(&i).copied().unwrap_or(TaskState::SETTLED),
        }
    }

    fn set(&mut self, i: usize, state: TaskState) {
        match self {
            Table::Dense(tasks) => {
                if let Some(task) = tasks.get_mut(i) {
                    *task = state;
                }
            }
            Table::Live(live) if state.settled() => {
                live.remove(&i);
            }
            Table::Live(live) => {
                live.insert(i, state);
            }
        }
    }

    /// The tasks below `frontier` whose slot is still open, in index order.
    fn open_below(&self, frontier: usize) -> Vec<usize> {
        let open = |(i, t): (usize, &TaskState)| (t.held == Held::Open).then_some(i);
        match self {
            Table::Dense(tasks) => tasks[..frontier.min(tasks.len())]
                .iter()
                .enumerate()
                .filter_map(open)
                .collect(),
            Table::Live(live) => live.iter().map(|(&i, t)| (i, t)).filter_map(open).collect(),
        }
    }
}

/// A timer of the declared clock.
#[derive(Debug, Clone, Copy)]
enum Timer {
    TaskRuntime(usize),
    Overall,
    ResultWait,
}

/// Whether a deadline at exactly `now` fires (see the module's tie rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ties {
    Fire,
    Hold,
}

/// The state machine of one call. Memory: O(n_tasks) in List mode, O(window + abandoned
/// tasks) in the lazy modes; each input costs O(log live tasks), plus O(n_tasks) for building
/// the List answer and, in List mode, for an `Overall` firing.
#[derive(Debug, Clone)]
pub struct Core {
    config: CoreConfig,
    /// The states of the tasks below `next_start`.
    table: Table,
    /// The latest `now` seen; inputs with an earlier `now` are taken to happen at this one.
    now: Tick,
    /// Running tasks that count towards `n_jobs` (not abandoned), by start then index.
    running: BTreeSet<(Tick, usize)>,
    /// The dispatch frontier: every task from here on has not started and is open, unless
    /// `rest_marked` says they were all marked.
    next_start: usize,
    /// `Overall` under `PerTask`: when every task from `next_start` on was marked timed out
    /// (they never start; the lazy modes deliver their markers from `next_start` upwards).
    rest_marked: Option<Tick>,
    /// Lazy modes: dispatched tasks not yet delivered.
    window_used: usize,
    /// Tasks whose slot is still `Open`.
    unresolved: usize,
    /// Unordered: slots ready to deliver, in the order they became ready.
    ready: VecDeque<Slot>,
    /// Ordered: the next slot to deliver. List: the first slot not yet available.
    cursor: usize,
    /// ResultWait: when the current wait of the consumer began.
    wait_start: Option<Tick>,
    /// Overall: where its clock starts — tick 0, or (deadline anchor `FirstPull`, lazy modes)
    /// the consumer's first poll, unknown until then.
    overall_from: Option<Tick>,
    /// `InputOrder`: the failure of each task whose slot holds one, until its turn.
    held_failures: BTreeMap<usize, String>,
    aborted: Option<(Tick, Failure)>,
    dropped: bool,
    /// A terminal answer was given.
    terminated: bool,
    delivered: usize,
    stop_requests: Vec<usize>,
    spawn_requests: usize,
    /// Running tasks abandoned by the timer being fired (replacements not yet requested).
    newly_abandoned: usize,
    /// Batches handed out and not yet reported: first task → length.
    batches: BTreeMap<usize, usize>,
    generation: u64,
    answer_generation: u64,
}

impl Core {
    /// A call made at tick 0. The first spawn request asks for the initial workers:
    /// `min(n_jobs, n_tasks)`.
    pub fn new(mut config: CoreConfig) -> Core {
        config.call.n_jobs = config.call.n_jobs.max(1);
        config.window = config.window.max(1);
        let n = config.call.n_tasks;
        Core {
            table: match config.call.mode {
                Mode::List => Table::Dense(vec![TaskState::UNSTARTED; n]),
                Mode::Ordered | Mode::Unordered => Table::Live(BTreeMap::new()),
            },
            now: Tick::ZERO,
            running: BTreeSet::new(),
            next_start: 0,
            rest_marked: None,
            window_used: 0,
            unresolved: n,
            ready: VecDeque::new(),
            cursor: 0,
            // The List mode's internal consumer starts waiting for slot 0 at the call.
            wait_start: (config.call.mode == Mode::List).then_some(Tick::ZERO),
            overall_from: (config.contract.deadline_anchor == DeadlineAnchor::Call
                || config.call.mode == Mode::List)
                .then_some(Tick::ZERO),
            held_failures: BTreeMap::new(),
            aborted: None,
            dropped: false,
            terminated: false,
            delivered: 0,
            stop_requests: Vec::new(),
            spawn_requests: config.call.n_jobs.min(n),
            newly_abandoned: 0,
            batches: BTreeMap::new(),
            generation: 0,
            answer_generation: 0,
            config,
        }
    }

    /// The configuration, with `n_jobs` and `window` at least 1.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The latest instant the core has been told about.
    pub fn now(&self) -> Tick {
        self.now
    }

    /// When the call was aborted, if it was.
    pub fn aborted_at(&self) -> Option<Tick> {
        self.aborted.as_ref().map(|(at, _)| *at)
    }

    /// A counter that changes whenever the state changes in a way another party may be waiting
    /// for (a dispatch, a finish, a marker, an abort, a delivery, a new wait, a drop). A driver
    /// wakes its waiters when it changed across an input, and only then.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A counter that changes whenever the consumer's next [`Core::poll`] may answer
    /// differently because of something other than the consumer itself: a slot became
    /// deliverable (Unordered: any; Ordered: the awaited one; List: the last one), an abort, a
    /// drop. A driver wakes a waiting consumer when it changed, and only then. It moves only
    /// when [`Core::generation`] moves too.
    pub fn answer_generation(&self) -> u64 {
        self.answer_generation
    }

    /// A worker asks for work at `now` (timers due by `now` fire first).
    pub fn next_task(&mut self, now: Tick) -> Dispatch {
        let now = self.advance(now, Ties::Fire);
        if self.halted() {
            return Dispatch::Exit;
        }
        let Some(index) = self.first_unstarted() else {
            return Dispatch::Exit;
        };
        if self.running.len() >= self.config.call.n_jobs
            || (self.config.call.mode != Mode::List && self.window_used >= self.config.window)
        {
            return Dispatch::Wait;
        }
        self.next_start = index + 1;
        self.table.set(index, TaskState::running(now));
        self.running.insert((now, index));
        self.window_used += 1;
        self.bump();
        Dispatch::Run(index)
    }

    /// Like [`Core::next_task`], but a List-mode call with no timeout may hand out a
    /// [`Dispatch::Batch`]: the next `len` tasks, `len` = what is left ÷ (2 × `n_jobs`), at
    /// least 1. The batch's first task counts as running from `now`; the others are reserved
    /// for the worker (no other worker gets them) and start, as far as the core knows, when the
    /// one before them ends. Every other call gets what [`Core::next_task`] gives.
    pub fn next_batch(&mut self, now: Tick) -> Dispatch {
        if self.config.call.mode != Mode::List || self.config.call.timeout.is_some() {
            return self.next_task(now);
        }
        let dispatch = self.next_task(now);
        let Dispatch::Run(first) = dispatch else {
            return dispatch;
        };
        let left = self.config.call.n_tasks - first;
        let len = (left / self.config.call.n_jobs.saturating_mul(2)).clamp(1, left);
        if len == 1 {
            return dispatch;
        }
        self.next_start = first + len;
        self.batches.insert(first, len);
        Dispatch::Batch { first, len }
    }

    /// A worker's report on the [`Dispatch::Batch`] from `first`, at `now`: the first
    /// `returned` tasks returned, in order; then, if `failure` is set, the next one failed;
    /// the worker ran none of the rest (it stops at a failure or a stop request). Each task is
    /// taken to have ended at `now` (the call has no timers, so the instant is not part of its
    /// semantics), and is handled as [`Core::task_finished`] would.
    pub fn batch_finished(
        &mut self,
        first: usize,
        returned: usize,
        failure: Option<String>,
        now: Tick,
    ) -> AfterTask {
        let first_result = match (returned, &failure) {
            (0, Some(message)) => TaskResult::Failed {
                message: message.clone(),
            },
            (0, None) => TaskResult::Failed {
                message: "the worker reported nothing for this task".into(),
            },
            _ => TaskResult::Returned,
        };
        // The rest of the batch was reserved for this worker: a report cannot claim more.
        let reserved = self.batches.remove(&first).unwrap_or(1);
        let after = self.task_finished(first, first_result, now);
        if after == AfterTask::Exit || returned == 0 {
            return after;
        }
        let ended = first + returned.min(reserved);
        // Batches exist only in List mode: a result is ready at once, and the list's cursor
        // moves once for the whole batch.
        for index in first + 1..ended {
            self.unresolved -= 1;
            self.table
                .set(index, TaskState::ended(Held::Ready(SlotKind::Item), now));
        }
        self.bump();
        self.advance_list();
        if returned > reserved {
            // The report claimed tasks that were not this worker's.
            return AfterTask::Exit;
        }
        match failure {
            // The task after the last one that returned, if it was still the worker's.
            Some(message) if ended < first + reserved => {
                self.unresolved -= 1;
                self.end(ended, TaskResult::Failed { message }, now);
                AfterTask::Exit
            }
            Some(_) => AfterTask::Exit,
            None => after,
        }
    }

    /// Task `index` (dispatched by [`Core::next_task`]) ended at `now`. Timers due strictly
    /// before `now` fire first; those due at `now` do not (a result at its deadline counts).
    pub fn task_finished(&mut self, index: usize, result: TaskResult, now: Tick) -> AfterTask {
        let now = self.advance(now, Ties::Hold);
        if index >= self.next_start {
            return AfterTask::Exit;
        }
        let mut task = self.table.get(index);
        if task.exec != Exec::Running {
            return AfterTask::Exit;
        }
        if task.held != Held::Open {
            // Marked timed out and abandoned: its slot is settled, its worker replaced, and
            // nobody waits for it.
            task.exec = Exec::Ended;
            self.table.set(index, task);
            return AfterTask::Exit;
        }
        self.running.remove(&(task.tick, index));
        self.unresolved -= 1;
        self.bump();
        self.end(index, result, now);
        if self.halted() {
            AfterTask::Exit
        } else {
            AfterTask::NextTask
        }
    }

    /// Task `index`, counted as resolved, ended at `now` with `result`.
    fn end(&mut self, index: usize, result: TaskResult, now: Tick) {
        let void = TaskState::ended(Held::Void, Tick::ZERO);
        if self.halted() {
            self.table.set(index, void);
            return;
        }
        match result {
            TaskResult::Returned => {
                self.table
                    .set(index, TaskState::ended(Held::Open, Tick::ZERO));
                self.make_ready(index, Slot::Item(index), now);
            }
            TaskResult::Failed { message } if self.fails_at_its_turn() => {
                self.table.set(index, TaskState::ended(Held::Failed, now));
                self.held_failures.insert(index, message);
                match self.config.call.mode {
                    Mode::List => self.advance_list(),
                    _ if index == self.cursor => self.bump_answer(),
                    _ => {}
                }
            }
            TaskResult::Failed { message } => {
                self.table.set(index, void);
                self.abort(
                    Failure::TaskFailed {
                        task: index,
                        message,
                    },
                    now,
                );
            }
        }
    }

    /// Whether a failure waits for its slot's turn in input order (`InputOrder`, List and
    /// Ordered) instead of aborting at once.
    fn fails_at_its_turn(&self) -> bool {
        self.config.contract.error_order != ErrorOrder::FailFast
            && self.config.call.mode != Mode::Unordered
    }

    /// Aborts the call with the failure held in slot `index`, whose turn came at `at`.
    fn raise_held_failure(&mut self, index: usize, at: Tick) {
        let message = self.held_failures.remove(&index).unwrap_or_default();
        self.table
            .set(index, TaskState::ended(Held::Void, Tick::ZERO));
        self.abort(
            Failure::TaskFailed {
                task: index,
                message,
            },
            at,
        );
    }

    /// The consumer asks for its next answer at `now` (timers due by `now` fire first). In the
    /// lazy modes a `Pending` poll starts the consumer's wait (the `ResultWait` clock), kept
    /// until something is delivered. In List mode the answer is the whole list or the error.
    /// After a terminal answer, or after a drop, every poll answers [`Answer::End`].
    pub fn poll(&mut self, now: Tick) -> Poll {
        if self.overall_from.is_none() {
            // Deadline anchor `FirstPull`: the overall clock starts at this first poll.
            self.overall_from = Some(self.now.max(now));
            self.bump();
        }
        let now = self.advance(now, Ties::Fire);
        if self.terminated || self.dropped {
            return Poll::Ready(Answer::End);
        }
        match self.config.call.mode {
            Mode::List => self.poll_list(),
            Mode::Ordered => self.poll_ordered(now),
            Mode::Unordered => self.poll_unordered(now),
        }
    }

    /// Time has come to `now`: fire every timer due by then.
    pub fn on_time(&mut self, now: Tick) {
        self.advance(now, Ties::Fire);
    }

    /// The consumer dropped the iteration at `now`: nothing starts or is delivered any more and
    /// running tasks are asked to stop. Idempotent.
    pub fn drop_iteration(&mut self, now: Tick) {
        self.advance(now, Ties::Hold);
        if self.dropped {
            return;
        }
        self.dropped = true;
        self.stop_requests
            .extend(self.running.iter().map(|&(_, i)| i));
        self.bump();
        self.bump_answer();
    }

    /// How many task states the core keeps: every task in List mode; the live ones in the lazy
    /// modes (at most the window plus the tasks abandoned and not yet delivered).
    pub fn kept_states(&self) -> usize {
        match &self.table {
            Table::Dense(tasks) => tasks.len(),
            Table::Live(live) => live.len(),
        }
    }

    /// True when the output of task `index`'s result is still to be handed to the consumer:
    /// the core kept it for delivery. A driver stores an output only then, so results the
    /// core discarded (late, or after the abort) take no memory.
    pub fn awaits_output(&self, index: usize) -> bool {
        index < self.next_start && self.table.get(index).held == Held::Ready(SlotKind::Item)
    }

    /// The earliest instant a timer is due, if any is armed; it may already have passed (when
    /// the last input was a finish at its tick). A driver that is woken then calls any input
    /// (usually [`Core::on_time`]) to fire it.
    pub fn next_deadline(&self) -> Option<Tick> {
        self.earliest_timer().map(|(due, _)| due)
    }

    /// True once no timer can ever be armed again: no timeout, or the call was aborted or
    /// dropped, or every task finished or was marked.
    pub fn timers_finished(&self) -> bool {
        self.config.call.timeout.is_none()
            || self.halted()
            || self.terminated
            || self.unresolved == 0
    }

    /// Running tasks to ask to stop (each at most once), since the last call.
    pub fn take_stop_requests(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.stop_requests)
    }

    /// How many workers to start, since the last call: the initial pool, then one replacement
    /// for each running task abandoned under `PerTask` while tasks remain to start.
    pub fn take_spawn_requests(&mut self) -> usize {
        std::mem::take(&mut self.spawn_requests)
    }

    fn halted(&self) -> bool {
        self.aborted.is_some() || self.dropped
    }

    fn bump(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    fn bump_answer(&mut self) {
        self.bump();
        self.answer_generation = self.answer_generation.wrapping_add(1);
    }

    fn n_tasks(&self) -> usize {
        self.config.call.n_tasks
    }

    /// Task `i`'s state, wherever it is kept.
    fn task(&self, i: usize) -> TaskState {
        if i >= self.n_tasks() {
            return TaskState::SETTLED;
        }
        if i >= self.next_start {
            return match self.rest_marked {
                Some(at) => TaskState {
                    exec: Exec::NotStarted,
                    held: Held::Ready(SlotKind::TimedOut),
                    tick: at,
                },
                None => TaskState::UNSTARTED,
            };
        }
        self.table.get(i)
    }

    /// Moves time to `now` (never backwards) and fires the timers due by then.
    fn advance(&mut self, now: Tick, ties: Ties) -> Tick {
        self.now = self.now.max(now);
        let limit = self.now;
        while let Some((due, timer)) = self.earliest_timer() {
            if due > limit || (ties == Ties::Hold && due == limit) {
                break;
            }
            self.fire(timer, due);
            if self.first_unstarted().is_some() {
                self.spawn_requests += self.newly_abandoned;
            }
            self.newly_abandoned = 0;
        }
        self.now
    }

    fn earliest_timer(&self) -> Option<(Tick, Timer)> {
        let timeout = self.config.call.timeout?;
        if self.halted() || self.terminated {
            return None;
        }
        match self.config.contract.clock {
            TimeoutClock::TaskRuntime => self
                .running
                .first()
                .map(|&(started, i)| (started.plus(timeout), Timer::TaskRuntime(i))),
            TimeoutClock::Overall => {
                let from = self.overall_from.filter(|_| self.unresolved > 0)?;
                Some((from.plus(timeout), Timer::Overall))
            }
            TimeoutClock::ResultWait => {
                let start = self.wait_start?;
                self.awaiting()
                    .then(|| (start.plus(timeout), Timer::ResultWait))
            }
        }
    }

    /// True when the consumer's current wait has nothing to deliver yet.
    fn awaiting(&self) -> bool {
        match self.config.call.mode {
            Mode::List => self.cursor < self.n_tasks(),
            Mode::Ordered => {
                self.cursor < self.n_tasks() && self.task(self.cursor).held == Held::Open
            }
            Mode::Unordered => {
                self.ready.is_empty()
                    && self.rest_marked.is_none()
                    && self.delivered < self.n_tasks()
            }
        }
    }

    /// The task the consumer's current wait is for (ResultWait).
    fn awaited_task(&self) -> Option<usize> {
        match self.config.call.mode {
            Mode::List | Mode::Ordered => (self.cursor < self.n_tasks()).then_some(self.cursor),
            Mode::Unordered => match self.running.first() {
                Some(&(_, i)) => Some(i),
                None => self.first_unstarted(),
            },
        }
    }

    fn fire(&mut self, timer: Timer, due: Tick) {
        match self.config.contract.on_timeout {
            OnTimeout::Abort => {
                let task = match timer {
                    Timer::TaskRuntime(i) => Some(i),
                    Timer::Overall => self
                        .table
                        .open_below(self.next_start)
                        .first()
                        .copied()
                        .or_else(|| self.first_unstarted()),
                    Timer::ResultWait => self.awaited_task(),
                };
                self.abort(Failure::Timeout { task }, due);
            }
            OnTimeout::PerTask => match timer {
                Timer::TaskRuntime(i) => self.mark(i, due),
                Timer::Overall => {
                    for i in self.table.open_below(self.next_start) {
                        self.mark(i, due);
                    }
                    self.mark_rest(due);
                }
                Timer::ResultWait => match self.awaited_task() {
                    Some(i) if self.task(i).held == Held::Open => self.mark(i, due),
                    // Unreachable while `awaiting()` holds; dropping the wait keeps a stale
                    // timer from firing forever.
                    _ => self.wait_start = None,
                },
            },
        }
    }

    fn abort(&mut self, failure: Failure, at: Tick) {
        if self.halted() {
            return;
        }
        self.aborted = Some((at, failure));
        self.stop_requests
            .extend(self.running.iter().map(|&(_, i)| i));
        self.bump_answer();
    }

    /// Settles task `i`'s slot as timed out at `at`; a running task is asked to stop and
    /// abandoned.
    fn mark(&mut self, i: usize, at: Tick) {
        let task = self.task(i);
        match task.exec {
            Exec::Running => {
                self.running.remove(&(task.tick, i));
                self.stop_requests.push(i);
                self.newly_abandoned += 1;
            }
            Exec::NotStarted => {
                // Only the first task not started is ever marked alone (the awaited slot, or
                // Unordered's lowest task not started): it moves the frontier by one.
                debug_assert_eq!(i, self.next_start, "a marked task skips the frontier");
                self.next_start = self.next_start.max(i + 1);
                self.table.set(i, task);
            }
            Exec::Ended => {}
        }
        self.unresolved -= 1;
        self.make_ready(i, Slot::TimedOut(i), at);
    }

    /// `Overall` under `PerTask`: every task not started yet is marked at `at`, at once.
    fn mark_rest(&mut self, at: Tick) {
        let Some(first) = self.first_unstarted() else {
            return;
        };
        self.unresolved -= self.n_tasks() - first;
        self.rest_marked = Some(at);
        self.bump_answer();
        if self.config.call.mode == Mode::List {
            self.advance_list();
        }
    }

    fn make_ready(&mut self, i: usize, slot: Slot, at: Tick) {
        let mut task = self.table.get(i);
        task.held = Held::Ready(SlotKind::of(slot));
        task.tick = at;
        self.table.set(i, task);
        self.bump();
        match self.config.call.mode {
            Mode::Unordered => {
                self.ready.push_back(slot);
                self.bump_answer();
            }
            Mode::List => self.advance_list(),
            Mode::Ordered if i == self.cursor => self.bump_answer(),
            Mode::Ordered => {}
        }
    }

    /// List mode's eager internal consumer: takes every slot available in input order; the
    /// wait for the next slot starts when the previous one became available (or when the
    /// previous wait started, if later).
    fn advance_list(&mut self) {
        while self.cursor < self.n_tasks() {
            let task = self.task(self.cursor);
            if task.held == Held::Failed {
                // The failure's turn: every slot before it resolved.
                let turn = self.wait_start.unwrap_or(Tick::ZERO).max(task.tick);
                self.raise_held_failure(self.cursor, turn);
                return;
            }
            let Some((_, at)) = task.ready(self.cursor) else {
                break;
            };
            self.wait_start = Some(self.wait_start.map_or(at, |w| w.max(at)));
            self.cursor += 1;
        }
        if self.cursor == self.n_tasks() {
            self.bump_answer();
        }
    }

    /// The lowest task that can still start, if any.
    fn first_unstarted(&self) -> Option<usize> {
        (self.rest_marked.is_none() && self.next_start < self.n_tasks()).then_some(self.next_start)
    }

    fn deliver(&mut self, slot: Slot) -> Poll {
        let i = slot.task();
        if i >= self.next_start {
            // A marker of the marked rest: never started, kept nowhere.
            self.next_start = i + 1;
        } else {
            let mut task = self.table.get(i);
            if task.exec != Exec::NotStarted {
                self.window_used -= 1;
            }
            task.held = Held::Delivered;
            self.table.set(i, task);
        }
        self.delivered += 1;
        self.wait_start = None;
        self.bump();
        Poll::Ready(Answer::Slot(slot))
    }

    fn terminate(&mut self, answer: Answer) -> Poll {
        self.terminated = true;
        self.bump();
        Poll::Ready(answer)
    }

    fn failure(&self) -> Option<Failure> {
        self.aborted.as_ref().map(|(_, f)| f.clone())
    }

    fn start_wait(&mut self, now: Tick) -> Poll {
        if self.wait_start.is_none() {
            self.wait_start = Some(now);
            self.bump();
        }
        Poll::Pending
    }

    fn poll_list(&mut self) -> Poll {
        if let Some(failure) = self.failure() {
            return self.terminate(Answer::Failed(failure));
        }
        if self.cursor < self.n_tasks() {
            return Poll::Pending;
        }
        let slots = (0..self.n_tasks())
            .filter_map(|i| self.task(i).ready(i).map(|(slot, _)| slot))
            .collect();
        self.terminate(Answer::List(slots))
    }

    fn poll_ordered(&mut self, now: Tick) -> Poll {
        if let Some((slot, _)) = self.task(self.cursor).ready(self.cursor) {
            self.cursor += 1;
            return self.deliver(slot);
        }
        if self.failure().is_none() && self.task(self.cursor).held == Held::Failed {
            // The pull for a failed slot: its failure's turn.
            self.raise_held_failure(self.cursor, now);
        }
        if let Some(failure) = self.failure() {
            return self.terminate(Answer::Failed(failure));
        }
        if self.cursor >= self.n_tasks() {
            return self.terminate(Answer::End);
        }
        self.start_wait(now)
    }

    fn poll_unordered(&mut self, now: Tick) -> Poll {
        if let Some(slot) = self.ready.pop_front() {
            return self.deliver(slot);
        }
        if self.rest_marked.is_some() && self.next_start < self.n_tasks() {
            return self.deliver(Slot::TimedOut(self.next_start));
        }
        if let Some(failure) = self.failure() {
            return self.terminate(Answer::Failed(failure));
        }
        if self.delivered >= self.n_tasks() {
            return self.terminate(Answer::End);
        }
        self.start_wait(now)
    }
}

#[cfg(test)]
mod tests;
