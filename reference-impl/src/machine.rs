//! The interface the drivers run: what a call's state machine must answer.
//!
//! [`crate::core::Core`] is the one implementation the reference executor ships. The trait
//! exists so the same drivers — threaded, simulated, loom — can run a machine that differs
//! from the core in one deliberate way (the mutant zoo wraps the core to carry one realistic
//! defect each), without a single defect switch inside the shipped core.

use crate::core::{AfterTask, Core, Dispatch, Poll, TaskResult, Tick};

/// A call's logic as a sans-IO state machine: time is an input (`now`, counted from the call),
/// timers are outputs ([`Machine::next_deadline`]). See [`Core`] for the semantics.
pub trait Machine: Send + 'static {
    /// Changes whenever something a waiter may be waiting for changed.
    fn generation(&self) -> u64;
    /// A worker asks for its next task.
    fn next_task(&mut self, now: Tick) -> Dispatch;
    /// A worker reports that task `index` ended.
    fn task_finished(&mut self, index: usize, result: TaskResult, now: Tick) -> AfterTask;
    /// The consumer asks for its next answer.
    fn poll(&mut self, now: Tick) -> Poll;
    /// Fires every timer due by `now`.
    fn on_time(&mut self, now: Tick);
    /// The consumer dropped the iteration.
    fn drop_iteration(&mut self, now: Tick);
    /// When the machine next needs to be woken if nothing else happens.
    fn next_deadline(&self) -> Option<Tick>;
    /// No timer can be armed again.
    fn timers_finished(&self) -> bool;
    /// Running tasks to ask to stop, since the last call.
    fn take_stop_requests(&mut self) -> Vec<usize>;
    /// Workers to start, since the last call.
    fn take_spawn_requests(&mut self) -> usize;
}

impl Machine for Core {
    fn generation(&self) -> u64 {
        Core::generation(self)
    }
    fn next_task(&mut self, now: Tick) -> Dispatch {
        Core::next_task(self, now)
    }
    fn task_finished(&mut self, index: usize, result: TaskResult, now: Tick) -> AfterTask {
        Core::task_finished(self, index, result, now)
    }
    fn poll(&mut self, now: Tick) -> Poll {
        Core::poll(self, now)
    }
    fn on_time(&mut self, now: Tick) {
        Core::on_time(self, now)
    }
    fn drop_iteration(&mut self, now: Tick) {
        Core::drop_iteration(self, now)
    }
    fn next_deadline(&self) -> Option<Tick> {
        Core::next_deadline(self)
    }
    fn timers_finished(&self) -> bool {
        Core::timers_finished(self)
    }
    fn take_stop_requests(&mut self) -> Vec<usize> {
        Core::take_stop_requests(self)
    }
    fn take_spawn_requests(&mut self) -> usize {
        Core::take_spawn_requests(self)
    }
}
