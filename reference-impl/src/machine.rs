//! The interface the drivers run: what a call's state machine must answer.
//!
//! [`crate::core::Core`] is the one implementation the reference executor ships. The trait
//! exists so the same drivers — threaded, simulated, loom — can run a machine that differs
//! from the core in one deliberate way (the mutant zoo wraps the core to carry one realistic
//! defect each), without a single defect switch inside the shipped core.

use crate::core::{AfterTask, Core, CoreConfig, Dispatch, Poll, TaskResult, Tick};

/// A call's logic as a sans-IO state machine: time is an input (`now`, counted from the call),
/// timers are outputs ([`Machine::next_deadline`]). See [`Core`] for the semantics.
pub trait Machine: Send + 'static {
    /// The call's parameters.
    fn config(&self) -> &CoreConfig;
    /// Changes whenever something a waiter may be waiting for changed.
    fn generation(&self) -> u64;
    /// Changes whenever the consumer's next poll may answer differently because of something
    /// the consumer did not do. Moving it too often only costs wakeups: the default is
    /// [`Machine::generation`].
    fn answer_generation(&self) -> u64 {
        self.generation()
    }
    /// A worker asks for its next task.
    fn next_task(&mut self, now: Tick) -> Dispatch;
    /// A worker asks for its next task or batch of tasks ([`Core::next_batch`]). The default
    /// never hands out a batch.
    fn next_batch(&mut self, now: Tick) -> Dispatch {
        self.next_task(now)
    }
    /// A worker reports that task `index` ended.
    fn task_finished(&mut self, index: usize, result: TaskResult, now: Tick) -> AfterTask;
    /// A worker reports on a batch ([`Core::batch_finished`]). Only a machine whose
    /// [`Machine::next_batch`] hands out batches gets this; the default takes the report as
    /// one about the batch's first task alone.
    fn batch_finished(
        &mut self,
        first: usize,
        returned: usize,
        failure: Option<String>,
        now: Tick,
    ) -> AfterTask {
        let result = match (returned, failure) {
            (0, Some(message)) => TaskResult::Failed { message },
            _ => TaskResult::Returned,
        };
        self.task_finished(first, result, now)
    }
    /// The output of task `index`'s result is still to be delivered: store it. The default
    /// keeps every output.
    fn awaits_output(&self, index: usize) -> bool {
        let _ = index;
        true
    }
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
    fn config(&self) -> &CoreConfig {
        Core::config(self)
    }
    fn generation(&self) -> u64 {
        Core::generation(self)
    }
    fn answer_generation(&self) -> u64 {
        Core::answer_generation(self)
    }
    fn next_task(&mut self, now: Tick) -> Dispatch {
        Core::next_task(self, now)
    }
    fn next_batch(&mut self, now: Tick) -> Dispatch {
        Core::next_batch(self, now)
    }
    fn task_finished(&mut self, index: usize, result: TaskResult, now: Tick) -> AfterTask {
        Core::task_finished(self, index, result, now)
    }
    fn batch_finished(
        &mut self,
        first: usize,
        returned: usize,
        failure: Option<String>,
        now: Tick,
    ) -> AfterTask {
        Core::batch_finished(self, first, returned, failure, now)
    }
    fn awaits_output(&self, index: usize) -> bool {
        Core::awaits_output(self, index)
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
