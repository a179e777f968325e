//! An async executor judged in real time: [`RealTime`] runs it on a multi-threaded tokio
//! runtime of its own and is a [`CaseExecutor`], so the real-time runner, its watchdog and
//! lateness probe, the suite and `overtime check` drive it as they drive any executor.

use super::consume::consume;
use super::executor::{AsyncCall, AsyncExecutor};
use super::task::AsyncTask;
use crate::call::Consumer;
use crate::case_executor::CaseExecutor;
use crate::executor::Call;
use crate::model::Profile;
use crate::trace::Recorder;
use tokio::runtime::{Builder, Runtime};

/// The worker threads of [`RealTime`]'s runtime, whatever the machine: the verdicts must not
/// depend on how many CPUs it has (a blocking body that starves two workers starves them on
/// every machine).
pub const REAL_TIME_WORKERS: usize = 2;

/// `executor` on a multi-threaded runtime of [`REAL_TIME_WORKERS`] workers, made when this is;
/// every call of every case runs on it (so `P11 reusable` judges the same runtime).
pub struct RealTime<E> {
    executor: E,
    runtime: Option<Runtime>,
}

impl<E: AsyncExecutor> RealTime<E> {
    /// # Panics
    /// If the OS refuses the runtime's threads.
    pub fn new(executor: E) -> RealTime<E> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(REAL_TIME_WORKERS)
            .thread_name("overtime-tokio")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
        RealTime {
            executor,
            runtime: Some(runtime),
        }
    }

    pub fn executor(&self) -> &E {
        &self.executor
    }
}

impl<E: AsyncExecutor> CaseExecutor for RealTime<E> {
    fn declared_profile(&self) -> Profile {
        self.executor.profile()
    }

    /// The harness's async consumer, run by `block_on` on the runner's consumer thread (as a
    /// program's `#[tokio::main]` runs its main future): the executor's spawned tasks run on
    /// the runtime's workers.
    fn make_call(&self, call: Call, consumer: &Consumer, recorder: &Recorder) {
        let Some(runtime) = &self.runtime else { return };
        let call = AsyncCall {
            n_jobs: call.n_jobs,
            timeout: call.timeout,
            mode: call.mode,
            tasks: call.tasks.into_iter().map(AsyncTask::from).collect(),
        };
        runtime.block_on(consume(&self.executor, call, consumer, recorder));
    }
}

impl<E> Drop for RealTime<E> {
    /// Never waits for the runtime's tasks: a blocked worker must not block the harness.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
