//! The reference executor against the whole catalogue, in every mode × clock × on-timeout
//! combination, in real time (the default ε, 20 ms, with the runner's watchdog).

use overtime::harness::{Contract, Mode, OnTimeout, TimeoutClock};
use overtime::reference::ReferenceExecutor;
use rstest::rstest;
use std::sync::Arc;

mod common;

#[rstest]
fn reference_conforms(
    #[values(Mode::List, Mode::Ordered, Mode::Unordered)] mode: Mode,
    #[values(
        TimeoutClock::TaskRuntime,
        TimeoutClock::ResultWait,
        TimeoutClock::Overall
    )]
    clock: TimeoutClock,
    #[values(OnTimeout::Abort, OnTimeout::PerTask)] on_timeout: OnTimeout,
) {
    let contract = Contract {
        clock,
        on_timeout,
        cancels_running: true,
        ..Contract::default()
    };
    common::assert_conforms(Arc::new(ReferenceExecutor::new(contract)), mode);
}
