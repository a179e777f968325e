//! The timekeeper: one thread per call that makes the due times of `task_runtime` and
//! `overall` happen while nobody pulls — so that jobs not yet started never start and running
//! tasks are asked to stop at the due time, even with a slow consumer. It waits on its channel
//! until the call's next due time ([`Shared::next_due`]; the wait is [`recv_until`]'s, never a
//! poll) and ends the call when one passes. A consumer waiting in a pull does the same on its
//! own, and whichever wakes first ends the call.

use crate::call::{recv_until, Shared};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use overtime_harness::TimeoutClock;
use std::io;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

/// What the timekeeper is told.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Control {
    /// A task started while none ran: the next due time came down from none.
    Rearm,
    /// Nothing more can be due: the call ended or its stream was dropped.
    Over,
}

/// Starts the timekeeper of one call. It exits once the call has ended, on [`Control::Over`],
/// or (`overall`) once nothing can be due any more.
pub(crate) fn spawn(shared: Arc<Shared>, controls: Receiver<Control>) -> io::Result<()> {
    thread::Builder::new()
        .name("overtime-rayon-timekeeper".into())
        .spawn(move || keep_time(&shared, &controls))
        .map(drop)
}

fn keep_time(shared: &Shared, controls: &Receiver<Control>) {
    loop {
        if shared.fire_if_due(Instant::now()) {
            return;
        }
        let due = shared.next_due().map(|(due, _)| due);
        if due.is_none() && shared.clock == TimeoutClock::Overall {
            // Every task ended in time: the overall clock can never be due again.
            return;
        }
        match recv_until(controls, due) {
            Ok(Control::Rearm) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Control::Over) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
