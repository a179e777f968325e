//! The trait an async executor implements ([`AsyncExecutor`]), what a call hands it
//! ([`AsyncCall`]) and what it gives back ([`AsyncOutcome`]): the same three return modes as
//! [`crate::Executor`], the lazy ones as a [`Stream`] of slots.

use super::task::AsyncTask;
use crate::call::CallParams;
use crate::executor::{CallError, Slot, SlotResult};
use crate::model::{Mode, Profile};
use futures::Stream;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One parallel map, for an async executor.
pub struct AsyncCall {
    pub tasks: Vec<AsyncTask>,
    pub n_jobs: usize,
    pub timeout: Option<Duration>,
    pub mode: Mode,
}

impl AsyncCall {
    /// The call's parameters, without its task bodies.
    pub fn params(&self) -> CallParams {
        CallParams {
            n_tasks: self.tasks.len(),
            n_jobs: self.n_jobs,
            timeout: self.timeout,
            mode: self.mode,
        }
    }
}

/// A lazy call's results: pulled by the consumer's `next().await`, dropped whenever it likes.
pub type SlotStream = Pin<Box<dyn Stream<Item = SlotResult> + Send>>;

/// A List call's answer: every slot in input order, or the error.
pub type ListFuture = Pin<Box<dyn Future<Output = Result<Vec<Slot>, CallError>> + Send>>;

/// What running a call returns.
pub enum AsyncOutcome {
    /// `Mode::List`: a future of all slots in input order, or the error.
    List(ListFuture),
    /// `Mode::Ordered` / `Mode::Unordered`: a stream of slots.
    Stream(SlotStream),
}

impl AsyncOutcome {
    /// The List answer of `future`, boxed.
    pub fn list(
        future: impl Future<Output = Result<Vec<Slot>, CallError>> + Send + 'static,
    ) -> AsyncOutcome {
        AsyncOutcome::List(Box::pin(future))
    }

    /// The lazy answer of `stream`, boxed.
    pub fn stream(stream: impl Stream<Item = SlotResult> + Send + 'static) -> AsyncOutcome {
        AsyncOutcome::Stream(Box::pin(stream))
    }
}

/// An async executor under test.
///
/// `run` is called inside a tokio runtime (multi-threaded in real time, current-thread on
/// paused time), on the task that then awaits the list or pulls the stream and drops it; it
/// may spawn. It should return at once: the work happens as the future or the stream is polled,
/// or in tasks it spawned. Every task must be run at most once.
pub trait AsyncExecutor: Send + Sync + 'static {
    /// What the executor promises; the harness judges it against exactly this.
    fn profile(&self) -> Profile;

    /// Runs one call. `call.mode` is one of `profile().modes`.
    fn run(&self, call: AsyncCall) -> AsyncOutcome;
}

impl<E: AsyncExecutor + ?Sized> AsyncExecutor for std::sync::Arc<E> {
    fn profile(&self) -> Profile {
        (**self).profile()
    }

    fn run(&self, call: AsyncCall) -> AsyncOutcome {
        (**self).run(call)
    }
}
